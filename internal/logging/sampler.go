package logging

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Sampler keeps a flood of like log lines (rejected requests, say) from
// filling the logs: a burst passes, then a few a second, and the next line
// that passes tells how many were dropped before it.
type Sampler struct {
	mu      sync.Mutex
	lim     *rate.Limiter
	dropped int64
}

// NewSampler lets burst lines through at once and perSecond after that.
func NewSampler(perSecond float64, burst int) *Sampler {
	return &Sampler{lim: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

// Allow reports whether a line may be written at now, and how many were
// dropped since the last one that was (to be logged with it).
func (s *Sampler) Allow(now time.Time) (ok bool, droppedBefore int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.lim.AllowN(now, 1) {
		s.dropped++
		return false, 0
	}
	d := s.dropped
	s.dropped = 0
	return true, d
}
