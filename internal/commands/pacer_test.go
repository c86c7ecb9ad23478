package commands_test

import (
	"context"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/commands/slotstest"
)

func TestMemorySlotsNeverOverQuota(t *testing.T) {
	slotstest.NeverOverQuota(t, commands.NewMemorySlots(time.Now))
}

// TestSlotsInTheOrderAsked: a large invitation takes one slot at a time and
// waits for it; a small one arriving meanwhile waits behind at most the
// slot already promised to the large one, never behind the rest of it.
func TestSlotsInTheOrderAsked(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	now := start
	m := commands.NewMemorySlots(func() time.Time { return now })
	reserve := func() time.Time {
		s, err := m.Reserve(context.Background(), "project:memberships", 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return s.At
	}
	var big []time.Time
	for range 12 {
		at := reserve()
		big = append(big, at)
		now = at // the large one waits for its slot, then asks again
	}
	for i := range 10 {
		if !big[i].Equal(start) {
			t.Fatalf("write %d of the first quota waits until %v", i, big[i])
		}
	}
	small := reserve()
	next := reserve()
	if small.After(next) {
		t.Fatalf("the small invitation's slot %v comes after the large one's next %v", small, next)
	}
}
