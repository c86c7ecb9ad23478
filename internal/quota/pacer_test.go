package quota_test

import (
	"context"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/quota"
	"github.com/chatinvite/invitebot/internal/quota/slotstest"
)

func TestMemorySlotsNeverOverQuota(t *testing.T) {
	slotstest.NeverOverQuota(t, quota.NewMemorySlots(time.Now))
}

// TestSlotsAsTheWindowMoves: a full window frees a slot as its oldest
// write leaves it; asking without taking promises nothing, so whoever asks
// when it frees gets it (a large invitation asks for one at a time).
func TestSlotsAsTheWindowMoves(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	now := start
	m := quota.NewMemorySlots(func() time.Time { return now })
	ask := func() quota.Slot {
		s, err := m.Reserve(context.Background(), "project:memberships", 3, time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for i := range 3 {
		if s := ask(); !s.Taken {
			t.Fatalf("write %d of the quota waits %v", i, s.Wait)
		}
		now = now.Add(10 * time.Second)
	}
	for range 2 {
		if s := ask(); s.Taken || !s.At.Equal(start.Add(time.Minute)) || s.Wait != 30*time.Second {
			t.Fatalf("over the quota: %+v, want a slot at the first write's minute", s)
		}
	}
	now = start.Add(time.Minute - time.Millisecond)
	if s := ask(); s.Taken {
		t.Fatal("a write taken while the first is still inside the window")
	}
	now = start.Add(time.Minute)
	if s := ask(); !s.Taken {
		t.Fatalf("the first write left the window, yet %+v", s)
	}
	if s := ask(); s.Taken || !s.At.Equal(start.Add(70*time.Second)) {
		t.Fatalf("the next frees when the second write leaves: %+v", s)
	}
}

// TestMembershipWaitSaysWhenASlotFrees: while a membership write waits for
// the quota, the Pacer says when the next slot frees (a progress message
// shows it); once the wait ends, it says nobody waits.
func TestMembershipWaitSaysWhenASlotFrees(t *testing.T) {
	p := quota.NewPacer(60, 1, time.Hour, nil)
	if _, ok := p.MembershipWait(); ok {
		t.Fatal("a wait before any write")
	}
	if err := p.Membership(t.Context(), quota.Turn{Who: "users/1", Job: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.MembershipWait(); ok {
		t.Fatal("a wait after a write that took its slot at once")
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- p.Membership(ctx, quota.Turn{Who: "users/1", Job: "a"}) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if at, ok := p.MembershipWait(); ok {
			if d := time.Until(at); d < 59*time.Minute || d > 64*time.Minute {
				t.Fatalf("the next slot frees in %v, want about an hour (the window and its margin)", d)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the waiting write is not reported")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the wait ended without its slot and without an error")
	}
	if _, ok := p.MembershipWait(); ok {
		t.Fatal("still reported waiting after the wait ended")
	}
}
