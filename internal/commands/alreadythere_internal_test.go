package commands

import (
	"context"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/membership"
)

// oneMembership answers every spaces.members.get with m.
type oneMembership struct {
	Members
	m *chat.Membership
}

func (o oneMembership) GetMembership(context.Context, string, string) (*chat.Membership, error) {
	return o.m, nil
}

// TestFoundAfterACallMayHaveGoneOut: a target whose call may have gone out
// (a restart mid-call, a passing 5xx then 409) is checked with
// spaces.members.get; a membership Chat created before the change began
// was there already (Undo must never remove them), one created since is
// the call's doing.
func TestFoundAfterACallMayHaveGoneOut(t *testing.T) {
	began := time.Date(2026, 12, 7, 10, 0, 0, 500_000_000, time.UTC)
	for _, tc := range []struct {
		name    string
		state   string
		created time.Time
		want    membership.Outcome
	}{
		{"a member for a day", "JOINED", began.Add(-24 * time.Hour), membership.AlreadyMember},
		{"invited an hour before", "INVITED", began.Add(-time.Hour), membership.AlreadyInvited},
		{"added by this change", "JOINED", began.Add(2 * time.Second), membership.Added},
		{"the same second, whole seconds only", "JOINED", began.Truncate(time.Second), membership.Added},
		{"invited by this change", "INVITED", began.Add(time.Second), membership.Invited},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &chat.Membership{State: tc.state, CreateTime: tc.created.Format(time.RFC3339)}
			iv := &Invite{Deps: Deps{Members: oneMembership{m: m}}}
			r := &Result{Target: membership.Target{Kind: membership.TargetUser, Name: "users/123", Typed: "bob@example.com"}, Space: "spaces/AAA"}
			if !iv.alreadyThere(t.Context(), "token", r, began) {
				t.Fatal("a membership found is the outcome")
			}
			if r.Outcome != tc.want {
				t.Fatalf("outcome %v, want %v", r.Outcome, tc.want)
			}
		})
	}
}
