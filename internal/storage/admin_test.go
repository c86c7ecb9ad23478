package storage

import (
	"context"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/membership"
)

// TestInvitationKeepsAdminMode: an invitation made "as admin" is read back
// as one, on both engines, so its work resumes with administrator access.
func TestInvitationKeepsAdminMode(t *testing.T) {
	for name, location := range locations {
		t.Run(name, func(t *testing.T) {
			url, dir := location(t)
			db, err := Open(context.Background(), url, dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			ctx := context.Background()
			for id, admin := range map[string]bool{"adm": true, "usr": false} {
				inv := &membership.Invitation{ID: id, User: "users/1", Space: "spaces/A", Admin: admin, CreatedAt: time.UnixMilli(1_700_000_000_000),
					Targets: []membership.Planned{{Space: "spaces/B", Target: membership.Target{Name: "users/2"}}}}
				if err := db.CreateInvitation(ctx, inv); err != nil {
					t.Fatal(err)
				}
				got, err := db.GetInvitation(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if got.Admin != admin {
					t.Fatalf("%s: admin %v, stored %v", id, got.Admin, admin)
				}
			}
		})
	}
}
