// Package slotstest checks an implementation of commands.Slots, the ledger
// the pacer takes its write slots from.
package slotstest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/commands"
)

// NeverOverQuota reserves 3×quota slots in one bucket from every ledger at
// once (instances sharing a store each have their own), plus one slot in
// another bucket, and checks: no window holds more than quota slots, the
// first quota are free at once, and the other bucket is not held up. Slots
// are only reserved, never waited for, so the check takes no time.
func NeverOverQuota(t *testing.T, ledgers ...commands.Slots) {
	t.Helper()
	const quota = 5
	const window = time.Minute
	ctx := context.Background()
	var mu sync.Mutex
	var got []commands.Slot
	var wg sync.WaitGroup
	errs := make(chan error, 3*quota)
	for i := range 3 * quota {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := ledgers[i%len(ledgers)].Reserve(ctx, "bucket:a", quota, window)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			got = append(got, s)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("reserve: %v", err)
	}
	slices.SortFunc(got, func(a, b commands.Slot) int { return a.At.Compare(b.At) })
	free := 0
	for _, s := range got {
		if s.Wait <= 0 {
			free++
		}
	}
	if free != quota {
		t.Fatalf("%d of %d slots free at once, want the quota (%d)", free, len(got), quota)
	}
	for i := 0; i+quota < len(got); i++ {
		if gap := got[i+quota].At.Sub(got[i].At); gap < window {
			t.Fatalf("slots %d and %d are %v apart: %d writes in one %v window, quota %d", i, i+quota, gap, quota+1, window, quota)
		}
	}
	other, err := ledgers[len(ledgers)-1].Reserve(ctx, "bucket:b", quota, window)
	if err != nil {
		t.Fatalf("reserve: %v", err)
	}
	if other.Wait > 0 {
		t.Fatalf("another bucket waits %v behind a full one", other.Wait)
	}
}
