package commands

import (
	"context"
	"log/slog"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/logging"
)

func logFrom(ctx context.Context) *slog.Logger { return logging.From(ctx) }

// logoutSpec is /logout: it revokes the invoking user's grant, at Google too.
func logoutSpec(auth Authority) Spec {
	return Spec{
		Name:        "logout",
		Description: "Revoke the authorization you gave Invite, at Google too",
		Run: func(ctx context.Context, ev *events.Event) events.Reply {
			return logout(ctx, auth, ev)
		},
	}
}

func logout(ctx context.Context, auth Authority, ev *events.Event) events.Reply {
	had, revoked, err := auth.Revoke(ctx, ev.User.Name)
	switch {
	case err != nil:
		return failure(ctx, "logout", err)
	case !had:
		return events.Reply{Private: true, Text: "You had not authorized me, so there is nothing to remove."}
	case !revoked:
		return events.Reply{Private: true, Text: "I deleted your authorization here, but Google could not be reached to revoke it there. " +
			"To be sure, remove Invite at https://myaccount.google.com/permissions."}
	default:
		return events.Reply{Private: true, Text: "Done: I deleted your authorization and revoked it at Google. I will ask again the next time you invite someone."}
	}
}
