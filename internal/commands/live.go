package commands

import (
	"cmp"
	"context"
	"net/http"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// Why the rest of a background invitation is not tried.
const (
	stoppedNotTried   = "stopped"
	signedOutNotTried = "you signed out"
	withdrawnNotTried = "your authorization was withdrawn: run /invite again"
)

// maxServerErrors bounds the tries of one target that Chat answers with a
// 500, 502 or 504: each is retried like a 503, and the last is "failed".
const maxServerErrors = 5

func transientServerError(status int) bool {
	return status == http.StatusInternalServerError || status == http.StatusBadGateway || status == http.StatusGatewayTimeout
}

// haltError ends a background invitation: no call is made for the rest of
// it, which is "not tried" for reason.
type haltError struct{ reason string }

func (e *haltError) Error() string { return "invitation halted: " + e.reason }

// liveToken is the user's token for one membership call of inv, or a
// *haltError when the call must not be made. The Authority serves a token
// only when it found the user's grant stored a few seconds before at most,
// so a grant deleted by /logout, or after Google refused it, on any
// instance, stops the calls of every instance within that time; and an
// invitation stopped (its Stop button, or sign-out, which stops every
// invitation of its user in the shared database) makes no further call.
func (iv *Invite) liveToken(ctx context.Context, inv *membership.Invitation, scopes []string) (string, error) {
	stopped, why, err := iv.Invitations.StopReason(ctx, inv.ID)
	if err != nil {
		return "", err
	}
	if stopped {
		return "", &haltError{reason: cmp.Or(why, stoppedNotTried)}
	}
	token, err := iv.Auth.AccessToken(ctx, inv.User, scopes)
	if consentRequired(err) {
		return "", &haltError{reason: iv.withdrawn(ctx, inv)}
	}
	return token, err
}

// withdrawn says why inv's user's authorization is gone: they signed out
// (their invitations were stopped saying so), or it was withdrawn
// otherwise (revoked at Google, expired).
func (iv *Invite) withdrawn(ctx context.Context, inv *membership.Invitation) string {
	if stopped, why, err := iv.Invitations.StopReason(ctx, inv.ID); err == nil && stopped && why != "" {
		return why
	}
	return withdrawnNotTried
}

// rejected handles a 401 from Chat during inv: every invitation of the
// user stops, on whichever instance works it, and the grant is dropped;
// inv halts. A sign-out that caused the 401 keeps its own reason.
func (iv *Invite) rejected(ctx context.Context, inv *membership.Invitation) error {
	logFrom(ctx).Warn("Chat rejected the user's authorization; their grant is dropped and their invitations stop", "invitation", inv.ID, "inviter", inv.User)
	why := iv.withdrawn(ctx, inv)
	if _, err := iv.Invitations.StopUserInvitations(ctx, inv.User, why); err != nil {
		logFrom(ctx).Error("stop the invitations of a user whose authorization Chat rejected", "invitation", inv.ID, "error", err.Error())
	}
	if err := iv.Auth.Forget(ctx, inv.User); err != nil {
		logFrom(ctx).Error("forget a rejected grant", "invitation", inv.ID, "error", err.Error())
	}
	return &haltError{reason: why}
}

// giveUp ends inv without trying the rest: each target left gets its audit
// line ("not tried", why), then the final card shows.
func (iv *Invite) giveUp(ctx context.Context, inv *membership.Invitation, why string) error {
	if why == stoppedNotTried {
		inv.Stopped = true
	}
	ev := inviteEvent(inv)
	for _, p := range inv.Targets {
		if p.State != membership.Done {
			iv.audit(ctx, ev, &Result{Target: p.Target, Space: p.Space, Outcome: membership.NotTried, Detail: why})
		}
	}
	logFrom(ctx).Info("large invitation ends early", "invitation", inv.ID, "inviter", inv.User, "why", why)
	return iv.finish(ctx, inv, why)
}

// inviteEvent stands for the command that started inv, for audit lines
// and outcomes written in the background.
func inviteEvent(inv *membership.Invitation) *events.Event {
	return &events.Event{User: events.User{Name: inv.User}, Space: events.Space{Name: inv.Space, DisplayName: inv.SpaceName}}
}
