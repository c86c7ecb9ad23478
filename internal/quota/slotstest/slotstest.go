// Package slotstest checks an implementation of quota.Slots, the ledger
// the pacer takes its write slots from.
package slotstest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/quota"
)

// NeverOverQuota asks for 3×limit slots in one bucket from every ledger
// at once (instances sharing a store each have their own), plus one in
// another bucket, and checks: exactly limit are taken, the others are told
// a time a window after the first taken, and the other bucket is not held
// up; then that a refunded slot can be taken again, once. Nothing waits,
// so the check takes no time.
func NeverOverQuota(t *testing.T, ledgers ...quota.Slots) {
	t.Helper()
	const limit = 5
	const window = time.Minute
	ctx := context.Background()
	var mu sync.Mutex
	var got []quota.Slot
	var tags []string
	var wg sync.WaitGroup
	errs := make(chan error, 3*limit)
	for i := range 3 * limit {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tag := fmt.Sprintf("write-%d", i)
			s, err := ledgers[i%len(ledgers)].Reserve(ctx, "bucket:a", limit, window, tag)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			got = append(got, s)
			if s.Taken {
				tags = append(tags, tag)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("reserve: %v", err)
	}
	var taken []time.Time
	for _, s := range got {
		if s.Taken {
			taken = append(taken, s.At)
		}
	}
	if len(taken) != limit {
		t.Fatalf("%d of %d asks took a slot, want the limit (%d)", len(taken), len(got), limit)
	}
	first := slices.MinFunc(taken, time.Time.Compare)
	for _, s := range got {
		if !s.Taken && (s.Wait <= 0 || s.At.Before(first.Add(window))) {
			t.Fatalf("refused, yet told a slot frees at %v (wait %v): the first write left the window at %v", s.At, s.Wait, first.Add(window))
		}
	}
	last := ledgers[len(ledgers)-1]
	other, err := last.Reserve(ctx, "bucket:b", limit, window, "")
	if err != nil {
		t.Fatalf("reserve: %v", err)
	}
	if !other.Taken {
		t.Fatalf("another bucket waits %v behind a full one", other.Wait)
	}
	for _, tag := range []string{"never-taken", ""} {
		if err := last.Refund(ctx, "bucket:a", tag); err != nil {
			t.Fatalf("refund: %v", err)
		}
	}
	if s, err := last.Reserve(ctx, "bucket:a", limit, window, "after"); err != nil || s.Taken {
		t.Fatalf("a slot taken after refunds of nothing: %+v %v", s, err)
	}
	if err := ledgers[0].Refund(ctx, "bucket:a", tags[0]); err != nil {
		t.Fatalf("refund: %v", err)
	}
	if s, err := last.Reserve(ctx, "bucket:a", limit, window, "again"); err != nil || !s.Taken {
		t.Fatalf("the refunded slot was not free again: %+v %v", s, err)
	}
	if s, err := last.Reserve(ctx, "bucket:a", limit, window, "once-more"); err != nil || s.Taken {
		t.Fatalf("one refund freed two slots: %+v %v", s, err)
	}
}

// SurvivesRestart takes a limit of slots from a ledger and refunds one,
// then opens the ledger again, as an instance restarted (even after
// kill -9) does, and checks that the new one counts the slots taken: the
// refunded slot is free, and no other until the first leaves the window.
// A ledger that forgot them would have the restarted instance's writes
// answered 429 by Google, which still counts them.
func SurvivesRestart(t *testing.T, open func() quota.Slots) {
	t.Helper()
	const limit = 3
	const window = time.Minute
	ctx := context.Background()
	before := open()
	for i := range limit {
		s, err := before.Reserve(ctx, "bucket:restart", limit, window, fmt.Sprintf("before-%d", i))
		if err != nil || !s.Taken {
			t.Fatalf("slot %d of the limit: %+v %v", i, s, err)
		}
	}
	if err := before.Refund(ctx, "bucket:restart", "before-0"); err != nil {
		t.Fatalf("refund: %v", err)
	}
	after := open()
	if s, err := after.Reserve(ctx, "bucket:restart", limit, window, "after-0"); err != nil || !s.Taken {
		t.Fatalf("the slot refunded before the restart is not free after it: %+v %v", s, err)
	}
	s, err := after.Reserve(ctx, "bucket:restart", limit, window, "after-1")
	if err != nil {
		t.Fatalf("reserve: %v", err)
	}
	if s.Taken || s.Wait <= 0 {
		t.Fatalf("after a restart, a slot over the limit taken before it: %+v", s)
	}
}
