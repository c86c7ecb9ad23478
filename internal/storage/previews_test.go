package storage

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/membership"
)

// TestPreviews runs on each engine: a preview is claimed once by its own
// user before it expires, however many claim it at once; anyone else's
// claim or cancel takes nothing; a cancelled one is gone; the sweep
// deletes expired ones.
func TestPreviews(t *testing.T) {
	for name, location := range locations {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, dir := location(t)
			ctx := context.Background()
			db, err := Open(ctx, url, dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			now := time.UnixMilli(1_900_000_000_000)
			put := func(id string) {
				t.Helper()
				p := &membership.Preview{ID: id, Op: membership.Add, User: "users/1", Space: "spaces/A", ExpiresAt: now.Add(15 * time.Minute),
					Targets: []membership.Planned{
						{Space: "spaces/A", Target: membership.Target{Name: "users/ana@example.com", Typed: "Ana", Email: "ana@example.com"}},
						{Space: "spaces/A", Target: membership.Target{Kind: membership.TargetGroup, Name: "groups/eng", Typed: "groups/eng"},
							State: membership.Done, Outcome: "already a member"}}}
				if err := db.PutPreview(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			put("p1")
			if _, err := db.ClaimPreview(ctx, "p1", "users/2", now); !errors.Is(err, membership.ErrPreviewNotYours) {
				t.Fatalf("someone else's claim: %v", err)
			}
			if err := db.CancelPreview(ctx, "p1", "users/2"); !errors.Is(err, membership.ErrPreviewNotYours) {
				t.Fatalf("someone else's cancel: %v", err)
			}
			var wg sync.WaitGroup
			got := make([]error, 8)
			for i := range got {
				wg.Add(1)
				go func() {
					defer wg.Done()
					p, err := db.ClaimPreview(ctx, "p1", "users/1", now)
					if err == nil && (len(p.Targets) != 2 || p.Targets[1].Outcome != "already a member" || p.Targets[0].Target.Email != "ana@example.com") {
						t.Errorf("claimed %+v", p)
					}
					got[i] = err
				}()
			}
			wg.Wait()
			claimed := 0
			for _, err := range got {
				switch {
				case err == nil:
					claimed++
				case !errors.Is(err, membership.ErrPreviewStarted):
					t.Fatalf("a second claim: %v", err)
				}
			}
			if claimed != 1 {
				t.Fatalf("claimed %d times", claimed)
			}
			if err := db.CancelPreview(ctx, "p1", "users/1"); !errors.Is(err, membership.ErrPreviewStarted) {
				t.Fatalf("cancel once started: %v", err)
			}

			put("p2")
			if err := db.CancelPreview(ctx, "p2", "users/1"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ClaimPreview(ctx, "p2", "users/1", now); !errors.Is(err, membership.ErrPreviewGone) {
				t.Fatalf("claim once cancelled: %v", err)
			}

			put("p3")
			if _, err := db.ClaimPreview(ctx, "p3", "users/1", now.Add(15*time.Minute)); !errors.Is(err, membership.ErrPreviewExpired) {
				t.Fatalf("claim at expiry: %v", err)
			}
			put("p4")
			if err := db.DeleteExpiredPreviews(ctx, now.Add(15*time.Minute), 100); err != nil {
				t.Fatal(err)
			}
			var left int
			if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM invite_previews`).Scan(&left); err != nil {
				t.Fatal(err)
			}
			if left != 0 {
				t.Fatalf("%d previews left after they all expired", left)
			}
		})
	}
}
