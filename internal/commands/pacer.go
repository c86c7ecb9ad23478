package commands

import (
	"context"
	"sync"
	"time"
)

// Pacer keeps this instance's Chat API writes within Google's quotas
// (https://developers.google.com/workspace/chat/limits): writes per space,
// and membership writes per project, each counted over a trailing window
// as Google counts them. Up to a quota goes at once; past it, each write
// waits for the slot the oldest one in the window frees. Slots are handed
// out in the order asked, so an invitation of three started while a large
// one runs waits behind at most the slot already promised to it.
type Pacer struct {
	spaceQuota, projectQuota int
	window                   time.Duration
	now                      func() time.Time

	mu      sync.Mutex
	spaces  map[string][]time.Time // write times (some in the future: promised), ascending
	project []time.Time
}

// NewPacer paces to spaceWrites per space and projectMembershipWrites per
// project, per window (Google's: 60 and 300 a minute). A write reaches
// Google a little after its slot, and Google's clock is not ours: the
// window counted here is a twentieth longer (a quarter of a second at least).
func NewPacer(spaceWrites, projectMembershipWrites int, window time.Duration) *Pacer {
	margin := max(window/20, 250*time.Millisecond)
	return &Pacer{spaceQuota: spaceWrites, projectQuota: projectMembershipWrites, window: window + margin, now: time.Now, spaces: map[string][]time.Time{}}
}

// Wait takes a slot for one write in space (a membership write too when
// membership) and waits for it, or returns ctx's error.
func (p *Pacer) Wait(ctx context.Context, space string, membership bool) error {
	if p == nil {
		return nil
	}
	at := p.reserve(space, membership)
	return waitUntil(ctx, at, p.now)
}

func (p *Pacer) reserve(space string, membership bool) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	sp := p.trim(p.spaces[space], now)
	at := p.next(sp, p.spaceQuota, now)
	if membership {
		p.project = p.trim(p.project, now)
		if t := p.next(p.project, p.projectQuota, now); t.After(at) {
			at = t
		}
		p.project = insert(p.project, at)
	}
	p.spaces[space] = insert(sp, at)
	return at
}

// trim drops the writes that left the window.
func (p *Pacer) trim(ts []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-p.window)) {
		i++
	}
	return ts[i:]
}

// next is the earliest time one more write fits under quota.
func (p *Pacer) next(ts []time.Time, quota int, now time.Time) time.Time {
	if len(ts) < quota {
		return now
	}
	if t := ts[len(ts)-quota].Add(p.window); t.After(now) {
		return t
	}
	return now
}

func insert(ts []time.Time, t time.Time) []time.Time {
	i := len(ts)
	for i > 0 && ts[i-1].After(t) {
		i--
	}
	ts = append(ts, time.Time{})
	copy(ts[i+1:], ts[i:])
	ts[i] = t
	return ts
}

func waitUntil(ctx context.Context, at time.Time, now func() time.Time) error {
	d := at.Sub(now())
	if d <= 0 {
		return ctx.Err()
	}
	if !sleep(ctx, d) {
		return ctx.Err()
	}
	return nil
}
