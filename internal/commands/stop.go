package commands

// Ending a large invitation early: the Stop button, and giving up.

import (
	"context"
	"fmt"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// stop handles the progress message's Stop button: only the person who
// started the invitation may stop it; what is done stays done.
func (iv *Invite) stop(ctx context.Context, ev *events.Event) events.Reply {
	if iv.Invitations == nil {
		return events.Reply{Private: true, Text: "There is nothing to stop."}
	}
	inv, err := iv.Invitations.GetInvitation(ctx, ev.Parameters["invitation"])
	switch {
	case err != nil:
		return events.Reply{Private: true, Text: "That invitation is no longer known here."}
	case inv.User != ev.User.Name:
		return events.Reply{Private: true, Text: "Only the person who started this invitation can stop it."}
	case inv.Finished || allDone(inv):
		// Its message is the final card by now (or is about to be): a new
		// message would land below it and read as if it were still going.
		// The card says it all.
		return events.Reply{Empty: true}
	case inv.Stopped:
		return events.Reply{Empty: true} // the first click was answered
	}
	if err := iv.Invitations.StopInvitation(ctx, inv.ID); err != nil {
		return failure(ctx, "stop invitation", err)
	}
	logFrom(ctx).Info("large invitation stopped", "invitation", inv.ID, "by", ev.User.Name)
	return events.Reply{Private: true, Text: "Stopping. Everyone already added stays added; the rest will not be tried."}
}

// allDone reports whether every target of inv has its outcome: the final
// card is then shown, or being shown.
func allDone(inv *membership.Invitation) bool {
	for _, p := range inv.Targets {
		if p.State != membership.Done {
			return false
		}
	}
	return true
}

// MaxResumes is how many starts may find an invitation unfinished before it
// is given up (a crash loop, or a final card Chat keeps refusing).
const MaxResumes = 10

// GiveUp ends an invitation that could not be finished: what was not tried
// is marked so, the final card is shown if Chat takes it, and it is closed
// whatever Chat answers.
func GiveUp(d Deps) func(ctx context.Context, id string) error {
	iv := &Invite{Deps: d}
	return func(ctx context.Context, id string) error {
		inv, err := iv.Invitations.GetInvitation(ctx, id)
		if err != nil {
			return fmt.Errorf("load invitation %s: %w", id, err)
		}
		for i := range inv.Targets {
			p := &inv.Targets[i]
			if p.State == membership.Done {
				continue
			}
			p.State, p.Outcome, p.Detail = membership.Done, membership.NotTried.String(), "the app could not finish this invitation: run /invite again"
			if err := iv.Invitations.RecordOutcome(ctx, inv.ID, *p); err != nil {
				return err
			}
		}
		if iv.AppMessages != nil {
			if err := iv.showFinal(ctx, inv); err != nil {
				logFrom(ctx).Warn("give up an invitation: its final card could not be shown", "invitation", id, "error", err.Error())
			}
		}
		logFrom(ctx).Error("gave up an invitation that could not be finished", "invitation", id, "inviter", inv.User)
		return iv.Invitations.FinishInvitation(ctx, inv.ID)
	}
}
