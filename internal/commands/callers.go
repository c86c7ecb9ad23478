package commands

import (
	"sync"
	"time"

	chat "google.golang.org/api/chat/v1"
)

// callerTTL is how long a caller's membership of a space, as
// spaces.members.get read it, is taken as still true. Chat enforces
// membership on every write anyway: within this time a caller removed from
// the space meets Chat's refusal, and a manager demoted keeps the manager
// rule's leave for at most this long.
const callerTTL = 30 * time.Second

// callers remembers callers' memberships briefly, so that someone's
// /invites in a row read theirs once (the read cost a sixth of an event's
// CPU in the load harness).
type callers struct {
	mu sync.Mutex
	m  map[string]callerSeen
}

type callerSeen struct {
	role, state string
	at          time.Time
}

func newCallers() *callers { return &callers{m: map[string]callerSeen{}} }

// get returns the membership read for user in space within callerTTL of now.
func (c *callers) get(user, space string, now time.Time) (*chat.Membership, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[user+" "+space]
	if !ok || now.Sub(s.at) >= callerTTL || now.Before(s.at) {
		return nil, false
	}
	return &chat.Membership{Role: s.role, State: s.state}, true
}

// put remembers m, read for user in space at now.
func (c *callers) put(user, space string, m *chat.Membership, now time.Time) {
	if c == nil || m == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= 10_000 {
		for k, s := range c.m {
			if now.Sub(s.at) >= callerTTL {
				delete(c.m, k)
			}
		}
	}
	c.m[user+" "+space] = callerSeen{role: m.Role, state: m.State, at: now}
}
