package commands

import (
	"strings"
	"testing"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
	"github.com/chatinvite/invitebot/internal/storage"
)

// TestStopNeverLandsBelowTheFinalCard: Stop on an invitation whose every
// target has its outcome (its final card is shown or being shown) answers
// with no message; on one still going it says it stops, once.
func TestStopNeverLandsBelowTheFinalCard(t *testing.T) {
	db, err := storage.Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	iv := &Invite{Deps: Deps{Invitations: db}}
	target := membership.Target{Kind: membership.TargetUser, Name: "users/2", Typed: "ana@example.com"}
	done := &membership.Invitation{ID: "done", User: "users/1", Space: "spaces/AAA", Targets: []membership.Planned{
		{Seq: 0, Space: "spaces/AAA", Target: target, State: membership.Done, Outcome: membership.Added.String()}}}
	going := &membership.Invitation{ID: "going", User: "users/1", Space: "spaces/AAA", Targets: []membership.Planned{
		{Seq: 0, Space: "spaces/AAA", Target: target}}}
	for _, inv := range []*membership.Invitation{done, going} {
		if err := db.CreateInvitation(t.Context(), inv); err != nil {
			t.Fatal(err)
		}
	}
	click := func(id string) events.Reply {
		return iv.Run(t.Context(), &events.Event{Kind: events.KindCardClicked, User: events.User{Name: "users/1"},
			Parameters: map[string]string{"command": "invite", "step": "stop", "invitation": id}})
	}
	if r := click("done"); !r.Empty {
		t.Fatalf("Stop after the last outcome: %+v", r)
	}
	if r := click("going"); !strings.HasPrefix(r.Text, "Stopping") {
		t.Fatalf("Stop while it goes: %+v", r)
	}
	if r := click("going"); !r.Empty {
		t.Fatalf("a second Stop: %+v", r)
	}
}
