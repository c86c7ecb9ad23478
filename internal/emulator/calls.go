package emulator

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// callLog records when each Chat membership call arrived and in whose
// name, whatever its answer (a revoked token's call included): a test then
// asks whether anything was attempted in someone's name after a moment.
type callLog struct {
	mu sync.Mutex
	at map[string][]time.Time // by person id
}

// noteMembershipCall records a membership call as it arrives.
func (e *Emulator) noteMembershipCall(r *http.Request) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	e.mu.Lock()
	a, ok := e.state.access[token]
	now := e.now()
	e.mu.Unlock()
	if !ok || a.userID == "" {
		return
	}
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	if e.calls.at == nil {
		e.calls.at = map[string][]time.Time{}
	}
	e.calls.at[a.userID] = append(e.calls.at[a.userID], now)
}

// MembershipCalls lists when the spaces.members.create and get calls
// made with the access tokens of the person with id arrived, in order,
// whatever Chat answered, a revoked token's included.
func (e *Emulator) MembershipCalls(personID string) []time.Time {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	return append([]time.Time(nil), e.calls.at[personID]...)
}
