package storage

import (
	"context"
	"testing"
	"time"
)

// testLeases: one holder at a time; a lease renewed stays; an expired one
// is listed and can be taken; a released one is free but not "expired"
// (its job waits in the queue); a lost lease cannot be renewed.
func testLeases(t *testing.T, db *DB) {
	ctx := context.Background()
	t0 := time.UnixMilli(1_800_000_000_000)
	take := func(owner string, now time.Time) bool {
		ok, err := db.TakeLease(ctx, "inv", owner, now, now.Add(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	expired := func(now time.Time) map[string]time.Time {
		m, err := db.ExpiredLeases(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if !take("a", t0) || !take("a", t0.Add(time.Second)) {
		t.Fatal("a could not take a free lease, or take its own again")
	}
	if take("b", t0.Add(5*time.Second)) {
		t.Fatal("b took a's valid lease")
	}
	if ok, err := db.RenewLease(ctx, "inv", "a", t0.Add(20*time.Second)); err != nil || !ok {
		t.Fatalf("renew: %v %v", ok, err)
	}
	if len(expired(t0.Add(15*time.Second))) != 0 || take("b", t0.Add(15*time.Second)) {
		t.Fatal("a renewed lease counted as expired")
	}
	if got := expired(t0.Add(21 * time.Second)); !got["inv"].Equal(t0.Add(20 * time.Second)) {
		t.Fatalf("expired: %v", got)
	}
	if !take("b", t0.Add(21*time.Second)) {
		t.Fatal("b could not take an expired lease")
	}
	if ok, _ := db.RenewLease(ctx, "inv", "a", t0.Add(40*time.Second)); ok {
		t.Fatal("a renewed a lease b took over")
	}
	if err := db.ReleaseLease(ctx, "inv", "a", true); err != nil {
		t.Fatal(err)
	}
	if take("c", t0.Add(22*time.Second)) {
		t.Fatal("a's release dropped b's lease")
	}
	if err := db.ReleaseLease(ctx, "inv", "b", false); err != nil {
		t.Fatal(err)
	}
	if len(expired(t0.Add(time.Hour))) != 0 {
		t.Fatal("a released lease is listed as expired")
	}
	if !take("c", t0.Add(23*time.Second)) {
		t.Fatal("c could not take a released lease")
	}
	if err := db.ReleaseLease(ctx, "inv", "c", true); err != nil {
		t.Fatal(err)
	}
	if len(expired(t0.Add(time.Hour))) != 0 || !take("d", t0) {
		t.Fatal("a dropped lease lingers")
	}
}
