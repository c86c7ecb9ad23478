package commands

import (
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"
)

// TestCallersRememberBriefly: a caller's membership read is reused for
// callerTTL, then read again; per user and space.
func TestCallersRememberBriefly(t *testing.T) {
	c := newCallers()
	t0 := time.Unix(1_800_000_000, 0)
	c.put("users/1", "spaces/A", &chat.Membership{Role: "ROLE_MANAGER", State: "JOINED"}, t0)
	if m, ok := c.get("users/1", "spaces/A", t0.Add(callerTTL-time.Second)); !ok || m.Role != "ROLE_MANAGER" {
		t.Fatalf("not remembered: %v %v", m, ok)
	}
	if _, ok := c.get("users/1", "spaces/A", t0.Add(callerTTL)); ok {
		t.Fatal("remembered past callerTTL")
	}
	if _, ok := c.get("users/1", "spaces/B", t0); ok {
		t.Fatal("remembered for another space")
	}
	if _, ok := c.get("users/2", "spaces/A", t0); ok {
		t.Fatal("remembered for another user")
	}
	var none *callers
	none.put("users/1", "spaces/A", &chat.Membership{}, t0)
	if _, ok := none.get("users/1", "spaces/A", t0); ok {
		t.Fatal("a nil cache remembered")
	}
}
