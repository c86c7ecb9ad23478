package commands

import (
	"context"
	"errors"

	"github.com/chatinvite/invitebot/internal/events"
)

// Authority acts with a user's own OAuth consent. The bot's oauthflow
// package implements it; commands only know this much.
type Authority interface {
	// AccessToken returns an access token of user covering scopes, or an
	// error whose ConsentRequired() is true when the user must authorize
	// first.
	AccessToken(ctx context.Context, user string, scopes []string) (string, error)
	// ConsentLink returns the link that starts consent for user.
	ConsentLink(ctx context.Context, user, configCompleteURL string, scopes []string) (string, error)
	// Forget drops user's grant after Google rejected its token.
	Forget(ctx context.Context, user string) error
	// Revoke revokes and deletes user's grant; revokedAtGoogle is false when
	// only the local copy could be deleted. hadGrant is false when there was
	// nothing to revoke.
	Revoke(ctx context.Context, user string) (hadGrant, revokedAtGoogle bool, err error)
}

// consentRequired reports whether err asks for the user's consent.
func consentRequired(err error) bool {
	if err == nil {
		return false
	}
	var cr interface{ ConsentRequired() bool }
	return errors.As(err, &cr) && cr.ConsentRequired()
}

// consentPrompt answers with the configure prompt Chat shows privately. It
// asks for the form's scopes too (consentScopes), and its link says what
// the person asked for (askedFor).
func consentPrompt(ctx context.Context, auth Authority, ev *events.Event, scopes []string) events.Reply {
	link, err := consentLink(ctx, auth, ev.User.Name, ev.ConfigCompleteURL, consentScopes(scopes), askedFor(ev))
	if err != nil {
		return failure(ctx, "make a consent link", err)
	}
	return events.Reply{ConfigURL: link}
}

// failure logs err and tells the person something went wrong on our side.
func failure(ctx context.Context, what string, err error) events.Reply {
	logFrom(ctx).Error(what, "error", err.Error())
	return events.Reply{Private: true, Transient: true, Text: "Sorry, something went wrong on my side and nothing was changed. Please try again in a minute."}
}
