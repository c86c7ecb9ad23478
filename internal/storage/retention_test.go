package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/membership"
)

// TestHistoryIsDeleted runs on each engine, on a clock of the test's: a
// finished invitation and its targets are deleted once they are older than
// the history kept, a bounded batch at a time; unfinished ones stay, with
// their leases; expired quota slots and the leases of finished work go.
func TestHistoryIsDeleted(t *testing.T) {
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
			t0 := time.UnixMilli(1_900_000_000_000)
			now := t0
			db.SetClock(func() time.Time { return now })

			put := func(id, user string, finishedAt time.Time) {
				t.Helper()
				inv := &membership.Invitation{ID: id, User: user, Space: "spaces/A", CreatedAt: t0, Targets: []membership.Planned{
					{Seq: 0, Space: "spaces/A", Target: membership.Target{Name: "users/ana@example.com", Typed: "ana@example.com", Email: "ana@example.com"}},
					{Seq: 1, Space: "spaces/A", Target: membership.Target{Name: "users/2", Typed: "Bo"}}}}
				if err := db.CreateInvitation(ctx, inv); err != nil {
					t.Fatal(err)
				}
				if ok, err := db.TakeLease(ctx, id, "owner", t0, t0.Add(time.Minute)); err != nil || !ok {
					t.Fatalf("lease %s: %v", id, err)
				}
				if err := db.ReleaseLease(ctx, id, "owner", false); err != nil {
					t.Fatal(err)
				}
				if !finishedAt.IsZero() {
					now = finishedAt
					if err := db.FinishInvitation(ctx, id); err != nil {
						t.Fatal(err)
					}
				}
			}
			day := 24 * time.Hour
			for _, id := range []string{"old1", "old2", "old3"} {
				put(id, "users/1", t0)
			}
			put("recent", "users/1", t0.Add(20*day))
			put("running", "users/1", time.Time{})
			put("other", "users/9", time.Time{})
			for _, at := range []time.Time{t0.Add(-2 * time.Hour), t0.Add(40 * day)} {
				if _, err := db.w.ExecContext(ctx, `INSERT INTO quota_slots (bucket, at, tag) VALUES ('b', $1, '')`, at.UnixMicro()); err != nil {
					t.Fatal(err)
				}
			}

			// 30 days kept, on day 31: the three old ones go, two at a time.
			now = t0.Add(31 * day)
			if n, err := db.DeleteHistory(ctx, now.Add(-30*day), now.Add(-time.Hour), 2); err != nil || n != 2 {
				t.Fatalf("first batch: %d, %v", n, err)
			}
			if n, err := db.DeleteHistory(ctx, now.Add(-30*day), now.Add(-time.Hour), 2); err != nil || n != 1 {
				t.Fatalf("second batch: %d, %v", n, err)
			}
			if n, err := db.DeleteHistory(ctx, now.Add(-30*day), now.Add(-time.Hour), 2); err != nil || n != 0 {
				t.Fatalf("nothing more is that old: %d, %v", n, err)
			}
			for id, kept := range map[string]bool{"old1": false, "old2": false, "old3": false, "recent": true, "running": true, "other": true} {
				inv, err := db.GetInvitation(ctx, id)
				switch {
				case kept && (err != nil || len(inv.Targets) != 2):
					t.Errorf("%s: deleted too soon (%v)", id, err)
				case !kept && !errors.Is(err, ErrNoInvitation):
					t.Errorf("%s: kept past its history (%v)", id, err)
				}
			}
			count := func(q string) int {
				var n int
				if err := db.sql.QueryRowContext(ctx, q).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := count(`SELECT count(*) FROM invitation_targets WHERE invitation_id LIKE 'old%'`); n != 0 {
				t.Errorf("%d targets of deleted invitations left", n)
			}
			if n := count(`SELECT count(*) FROM job_leases`); n != 2 {
				t.Errorf("%d leases left, want those of the 2 unfinished invitations", n)
			}
			if n := count(`SELECT count(*) FROM quota_slots`); n != 1 {
				t.Errorf("%d quota slots left, want the one not yet expired", n)
			}

			// Kept no time (INVITE_HISTORY_DAYS=0): what finished goes at once.
			if n, err := db.DeleteHistory(ctx, now, now.Add(-time.Hour), 100); err != nil || n != 1 {
				t.Fatalf("history of 0 days: %d deleted, %v", n, err)
			}

			// Sign-out stops the unfinished invitations of its user only.
			if n, err := db.StopUserInvitations(ctx, "users/1", "you signed out"); err != nil || n != 1 {
				t.Fatalf("stopped %d: %v", n, err)
			}
			for id, want := range map[string]string{"running": "you signed out", "other": "-"} {
				stopped, why, err := db.StopReason(ctx, id)
				if err != nil || stopped != (want != "-") || (stopped && why != want) {
					t.Errorf("%s: stopped %v (%q), %v", id, stopped, why, err)
				}
			}
			if err := db.StopInvitation(ctx, "other"); err != nil {
				t.Fatal(err)
			}
			if stopped, why, err := db.StopReason(ctx, "other"); err != nil || !stopped || why != "" {
				t.Errorf("Stop button: %v %q %v", stopped, why, err)
			}
		})
	}
}
