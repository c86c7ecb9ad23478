package emulator

import (
	"net/http"
	"time"
)

// Quota is Google Chat's write quotas as the emulator enforces them, as
// https://developers.google.com/workspace/chat/limits lists them: the
// per-space "Writes per minute" (spaces.messages.create, patch and delete
// among them: the app's own messages) at most SpaceWrites per space, and the
// per-project "Membership writes per minute" (spaces.members.create and
// delete) at most ProjectMembershipWrites, in any Window; past them the call
// answers 429 RESOURCE_EXHAUSTED. Google's per-space list does not name
// spaces.members.create, so a membership write counts against the project
// quota only. Google's window is 60 s; tests and the sandbox shorten it.
type Quota struct {
	Window                  time.Duration
	SpaceWrites             int
	ProjectMembershipWrites int
}

// GoogleQuota is Google's: 60 writes (messages) a minute per space, 300
// membership writes a minute per project.
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

// spend counts one write: a membership write against the project's
// membership quota, any other write against spaceID's; it answers 429 and
// reports false past the quota; runs with e.mu held.
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
	if membership {
		qs.project = recent(qs.project)
		if qs.q.ProjectMembershipWrites > 0 && len(qs.project) >= qs.q.ProjectMembershipWrites {
			qs.refused++
			googleError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED",
				"Quota exceeded for quota metric 'Membership write requests' and limit 'Membership write requests per minute'.")
			return false
		}
		qs.accepted++
		qs.project = append(qs.project, now)
		return true
	}
	qs.space[spaceID] = recent(qs.space[spaceID])
	if qs.q.SpaceWrites > 0 && len(qs.space[spaceID]) >= qs.q.SpaceWrites {
		qs.refused++
		googleError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED",
			"Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per space'.")
		return false
	}
	qs.accepted++
	qs.space[spaceID] = append(qs.space[spaceID], now)
	return true
}
