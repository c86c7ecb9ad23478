package emulator

import (
	"net/http"
	"time"
)

// Quota is Google Chat's write quotas as the emulator enforces them
// (https://developers.google.com/workspace/chat/limits): at most SpaceWrites
// writes per space and ProjectMembershipWrites membership writes per
// project in any Window; past them the call answers 429 RESOURCE_EXHAUSTED.
// Google's window is 60 s; tests and the sandbox shorten it.
type Quota struct {
	Window                  time.Duration
	SpaceWrites             int
	ProjectMembershipWrites int
}

// GoogleQuota is Google's: 60 writes a minute per space, 300 membership
// writes a minute per project.
var GoogleQuota = Quota{Window: time.Minute, SpaceWrites: 60, ProjectMembershipWrites: 300}

type quotaState struct {
	q        Quota
	space    map[string][]time.Time // write times per space id
	project  []time.Time            // membership write times
	refused  int
	accepted int
}

// SetQuota makes the emulator enforce q (the zero Quota: none).
func (e *Emulator) SetQuota(q Quota) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.state.quota = &quotaState{q: q, space: map[string][]time.Time{}}
}

// QuotaCounts reports the writes the quota let through and those it refused
// with 429.
func (e *Emulator) QuotaCounts() (accepted, refused int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state.quota == nil {
		return 0, 0
	}
	return e.state.quota.accepted, e.state.quota.refused
}

// spend counts one write in spaceID (a membership write too when
// membership), answering 429 and reporting false past the quota; runs with
// e.mu held.
func (e *Emulator) spend(w http.ResponseWriter, spaceID string, membership bool) bool {
	qs := e.state.quota
	if qs == nil || qs.q.Window <= 0 {
		return true
	}
	now := e.now()
	recent := func(ts []time.Time) []time.Time {
		i := 0
		for i < len(ts) && !ts[i].After(now.Add(-qs.q.Window)) {
			i++
		}
		return ts[i:]
	}
	qs.space[spaceID] = recent(qs.space[spaceID])
	qs.project = recent(qs.project)
	if (qs.q.SpaceWrites > 0 && len(qs.space[spaceID]) >= qs.q.SpaceWrites) ||
		(membership && qs.q.ProjectMembershipWrites > 0 && len(qs.project) >= qs.q.ProjectMembershipWrites) {
		qs.refused++
		googleError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED",
			"Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute'.")
		return false
	}
	qs.accepted++
	qs.space[spaceID] = append(qs.space[spaceID], now)
	if membership {
		qs.project = append(qs.project, now)
	}
	return true
}
