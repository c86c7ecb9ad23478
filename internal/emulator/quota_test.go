package emulator

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestQuotaAsGoogleListsIt follows
// https://developers.google.com/workspace/chat/limits: the per-space
// "Writes per minute" lists spaces.messages.create, patch and delete (not
// spaces.members.create); membership writes count against the project's
// "Membership writes per minute" only.
func TestQuotaAsGoogleListsIt(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	e := start(t)
	e.now = func() time.Time { return now }
	e.SetQuota(Quota{Window: time.Minute, SpaceWrites: 2, ProjectMembershipWrites: 3})
	spend := func(space string, membership bool) int {
		w := httptest.NewRecorder()
		e.mu.Lock()
		defer e.mu.Unlock()
		e.spend(w, space, membership)
		return w.Code
	}
	for i := range 3 {
		if got := spend("S", true); got != http.StatusOK {
			t.Fatalf("membership write %d in one space: %d (the per-space quota of 2 must not apply)", i+1, got)
		}
	}
	if got := spend("T", true); got != http.StatusTooManyRequests {
		t.Fatalf("a fourth membership write in the project: %d, want 429", got)
	}
	for i := range 2 {
		if got := spend("S", false); got != http.StatusOK {
			t.Fatalf("message write %d in S: %d", i+1, got)
		}
	}
	if got := spend("S", false); got != http.StatusTooManyRequests {
		t.Fatalf("a third message write in S: %d, want 429", got)
	}
	if got := spend("T", false); got != http.StatusOK {
		t.Fatalf("a message write in T: %d", got)
	}
	now = now.Add(time.Minute + time.Millisecond)
	if spend("S", true) != http.StatusOK || spend("S", false) != http.StatusOK {
		t.Fatal("the window passed, yet writes are refused")
	}
	if accepted, refused := e.QuotaCounts(); accepted != 8 || refused != 2 {
		t.Fatalf("counts: %d accepted, %d refused", accepted, refused)
	}
}
