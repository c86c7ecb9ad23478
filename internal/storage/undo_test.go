package storage

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/membership"
)

// TestUndoStore: an invitation that finished while Chat waited is stored
// finished (dated for the sweep, never resumed), with its starter's name;
// it gets at most one undo, however many clicks race to create it.
func TestUndoStore(t *testing.T) {
	for name, location := range locations {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, dir := location(t)
			db, err := Open(context.Background(), url, dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			now := time.UnixMilli(1_800_000_000_000)
			db.SetClock(func() time.Time { return now })
			ctx := context.Background()
			target := membership.Target{Kind: membership.TargetUser, Typed: "a@example.com", Name: "users/a@example.com", Email: "a@example.com"}
			orig := &membership.Invitation{ID: "orig", User: "users/1", UserDisplay: "Ana Owner", Space: "spaces/A", CreatedAt: now,
				Targets: []membership.Planned{{Seq: 0, Space: "spaces/A", Target: target, State: membership.Done, Outcome: "added"}}}
			if err := db.SaveFinished(ctx, orig); err != nil {
				t.Fatal(err)
			}
			got, err := db.GetInvitation(ctx, "orig")
			if err != nil || !got.Finished || !got.FinishedAt.Equal(now) || got.UserDisplay != "Ana Owner" || got.Targets[0].Outcome != "added" {
				t.Fatalf("saved: %+v %v", got, err)
			}
			if resumes, err := db.ResumeInvitations(ctx); err != nil || len(resumes) != 0 {
				t.Fatalf("a finished invitation would be resumed: %v %v", resumes, err)
			}
			if undo, err := db.UndoOf(ctx, "orig"); err != nil || undo != "" {
				t.Fatalf("undo before any: %q %v", undo, err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Go(func() {
					errs[i] = db.CreateUndo(ctx, &membership.Invitation{ID: "undo" + string(rune('a'+i)), Op: membership.Remove, UndoOf: "orig",
						User: "users/1", Space: "spaces/A", CreatedAt: now,
						Targets: []membership.Planned{{Seq: 0, Space: "spaces/A", Target: target}}})
				})
			}
			wg.Wait()
			created := 0
			for _, err := range errs {
				switch {
				case err == nil:
					created++
				case !errors.Is(err, membership.ErrAlreadyUndone):
					t.Fatalf("a second undo: %v", err)
				}
			}
			if created != 1 {
				t.Fatalf("%d undos created of one invitation", created)
			}
			undo, err := db.UndoOf(ctx, "orig")
			if err != nil || undo == "" {
				t.Fatalf("undo: %q %v", undo, err)
			}
			if u, err := db.GetInvitation(ctx, undo); err != nil || u.UndoOf != "orig" || u.Finished || u.Op != membership.Remove {
				t.Fatalf("the undo: %+v %v", u, err)
			}
		})
	}
}
