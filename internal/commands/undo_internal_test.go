package commands

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// undoStoreStub satisfies membership.UndoStore; undoSection never calls it.
type undoStoreStub struct{ membership.UndoStore }

// invitationsStub satisfies membership.InvitationStore, likewise.
type invitationsStub struct{ membership.InvitationStore }

// TestUndoButtonOnFinalCards: a background invitation's final card offers
// Undo while INVITE_UNDO_HOURS have not passed since it finished, and not
// after (a card rendered then omits it); never for a removal, an undo, one
// that added nobody, or with Undo off.
func TestUndoButtonOnFinalCards(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	on := &Invite{Deps: Deps{Now: func() time.Time { return now }, Undos: undoStoreStub{}, Invitations: invitationsStub{}, UndoFor: 24 * time.Hour}}
	off := &Invite{Deps: Deps{Now: on.Now, Invitations: invitationsStub{}}}
	added := []Result{{Outcome: membership.Added}, {Outcome: membership.AlreadyMember}}
	invited := []Result{{Outcome: membership.Invited}}
	nobody := []Result{{Outcome: membership.AlreadyMember}, {Outcome: membership.NotFound}}
	for _, tc := range []struct {
		name    string
		iv      *Invite
		inv     membership.Invitation
		results []Result
		want    bool
	}{
		{"running", on, membership.Invitation{ID: "a"}, added, true},
		{"finished an hour ago", on, membership.Invitation{ID: "a", Finished: true, FinishedAt: now.Add(-time.Hour)}, invited, true},
		{"finished a day and a minute ago", on, membership.Invitation{ID: "a", Finished: true, FinishedAt: now.Add(-24*time.Hour - time.Minute)}, added, false},
		{"a removal", on, membership.Invitation{ID: "a", Op: membership.Remove}, []Result{{Outcome: membership.Removed}}, false},
		{"an undo", on, membership.Invitation{ID: "a", Op: membership.Remove, UndoOf: "b"}, []Result{{Outcome: membership.Removed}}, false},
		{"nobody added", on, membership.Invitation{ID: "a"}, nobody, false},
		{"undo off", off, membership.Invitation{ID: "a"}, added, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.iv.undoSection(&tc.inv, tc.results)
			if (got != nil) != tc.want {
				t.Fatalf("Undo offered: %v, want %v", got != nil, tc.want)
			}
			if got != nil {
				b := got[0].Widgets[1].ButtonList.Buttons[0]
				params := map[string]string{}
				for _, p := range b.OnClick.Action.Parameters {
					params[p.Key] = p.Value
				}
				if b.Text != "Undo" || params["command"] != "invite" || params["step"] != "undo" || params["invitation"] != "a" {
					t.Fatalf("button %q %v", b.Text, params)
				}
			}
		})
	}
}

// oneInvitation serves one stored invitation, and knows of no undo yet.
type oneInvitation struct {
	membership.InvitationStore
	membership.UndoStore
	inv *membership.Invitation
}

func (s oneInvitation) GetInvitation(context.Context, string) (*membership.Invitation, error) {
	return s.inv, nil
}
func (s oneInvitation) UndoOf(context.Context, string) (string, error) {
	return "", errStubUndoOf
}

var errStubUndoOf = errors.New("stub: no further")

// TestUndoRightAfterTheFinalCard: the final card is shown just before the
// invitation is marked finished; a click in between, with every outcome
// known, goes ahead (it used to answer "still finishing" and do nothing).
// While outcomes are still coming it says to click again.
func TestUndoRightAfterTheFinalCard(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	inv := &membership.Invitation{ID: "a", User: "users/1", Targets: []membership.Planned{
		{Seq: 0, State: membership.Done, Outcome: membership.Added.String()},
		{Seq: 1, State: membership.Done, Outcome: membership.AlreadyMember.String()},
	}}
	store := oneInvitation{inv: inv}
	iv := &Invite{Deps: Deps{Now: func() time.Time { return now }, Undos: store, Invitations: store, UndoFor: 24 * time.Hour}}
	ev := &events.Event{User: events.User{Name: "users/1"}, Parameters: map[string]string{"invitation": "a"}}
	if r := iv.undo(t.Context(), ev); strings.Contains(r.Text, "still finishing") || strings.Contains(r.Text, "expired") {
		t.Fatalf("every outcome known: %q", r.Text)
	}
	inv.Targets[1].State = membership.Sent
	if r := iv.undo(t.Context(), ev); !strings.Contains(r.Text, "still finishing") {
		t.Fatalf("an outcome still coming: %q", r.Text)
	}
}
