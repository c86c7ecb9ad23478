package emulator

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestMembershipCreateTime: a membership's createTime is when it was made,
// not when it is read, and it stays when an invitation is accepted
// (Membership.createTime,
// https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces.members):
// a bot that checks whether its own call made a membership compares it.
func TestMembershipCreateTime(t *testing.T) {
	made := time.Date(2026, 12, 1, 9, 0, 0, 250_000_000, time.UTC)
	var now atomic.Int64
	now.Store(made.UnixNano())
	e, err := Start("", WithClock(func() time.Time { return time.Unix(0, now.Load()).UTC() }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	e.AddSpace(Space{ID: "S", Domain: "example.com"})
	e.AddMember("S", "3", RoleMember)
	now.Add(int64(time.Hour))
	e.mu.Lock()
	got := e.membershipJSON("S", e.state.chat.spaces["S"].members["3"]).CreateTime
	e.mu.Unlock()
	if want := "2026-12-01T09:00:00.25Z"; got != want {
		t.Fatalf("createTime %q, want %q (when it was made)", got, want)
	}
}
