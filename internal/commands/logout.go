package commands

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/logging"
	"github.com/chatinvite/invitebot/internal/membership"
)

func logFrom(ctx context.Context) *slog.Logger { return logging.From(ctx) }

// logoutSpec is /logout: it revokes the invoking user's grant, at Google
// too, and stops their invitations under way.
func logoutSpec(auth Authority, invitations membership.InvitationStore) Spec {
	return Spec{
		Name:        "logout",
		Description: "Revoke the authorization you gave Invite, at Google too",
		Run: func(ctx context.Context, ev *events.Event) events.Reply {
			return logout(ctx, auth, invitations, ev)
		},
	}
}

// logout stops the user's invitations before their grant goes: whichever
// instance works one then reads why it stopped ("you signed out") before it
// finds the grant gone, and makes no further call in their name.
func logout(ctx context.Context, auth Authority, invitations membership.InvitationStore, ev *events.Event) events.Reply {
	stopped := 0
	if invitations != nil {
		n, err := invitations.StopUserInvitations(ctx, ev.User.Name, signedOutNotTried)
		if err != nil {
			// The grant's deletion below stops them too, a few seconds later.
			logFrom(ctx).Error("stop the invitations of a user signing out", "user", ev.User.Name, "error", err.Error())
		}
		stopped = n
		if n > 0 {
			logFrom(ctx).Info("invitations stopped at sign-out", "user", ev.User.Name, "invitations", n)
		}
	}
	had, revoked, err := auth.Revoke(ctx, ev.User.Name)
	then := ""
	if stopped > 0 {
		then = " Your invitation under way stops now: everyone already added stays added."
		if stopped > 1 {
			then = fmt.Sprintf(" Your %d invitations under way stop now: everyone already added stays added.", stopped)
		}
	}
	switch {
	case err != nil:
		return failure(ctx, "logout", err)
	case !had:
		return events.Reply{Private: true, Text: "You had not authorized me, so there is nothing to remove." + then}
	case !revoked:
		return events.Reply{Private: true, Text: "I deleted your authorization here, but Google could not be reached to revoke it there. " +
			"To be sure, remove Invite at https://myaccount.google.com/permissions." + then}
	default:
		return events.Reply{Private: true, Text: "Done: I deleted your authorization and revoked it at Google. I will ask again the next time you invite someone." + then}
	}
}
