package commands

// Undo: every answer that added or invited anyone carries an Undo button
// for the person who started it, which removes exactly those people and
// groups (never anyone who was already there) on the membership engine, as
// a stored removal linked to the invitation: at most one, however often
// and wherever it is clicked; resumed after a restart like any other. Its
// calls are /remove's: spaces.members.delete, which removes an invitation
// not yet accepted too (https://developers.google.com/workspace/chat/delete-members).

import (
	"context"
	"errors"
	"fmt"
	"html"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/chatapi"
	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/logging"
	"github.com/chatinvite/invitebot/internal/membership"
)

// undoOn reports whether invitations can be undone here.
func (iv *Invite) undoOn() bool {
	return iv.Undos != nil && iv.Invitations != nil && iv.UndoFor > 0
}

// addedAny reports whether results added or invited anyone: only then is
// there something to undo.
func addedAny(results []Result) bool {
	for _, r := range results {
		if r.Outcome == membership.Added || r.Outcome == membership.Invited {
			return true
		}
	}
	return false
}

// undoButtonSection is the card section with inv's Undo button.
func (iv *Invite) undoButtonSection(shape events.Shape, id string) []*chat.GoogleAppsCardV1Section {
	hours := int(iv.UndoFor / time.Hour)
	note := fmt.Sprintf("Undo removes exactly the people and groups this added or invited; it works for %d hours.", hours)
	if iv.UndoFor < time.Hour {
		note = "Undo removes exactly the people and groups this added or invited, for a short while."
	}
	return []*chat.GoogleAppsCardV1Section{section("",
		paragraph(html.EscapeString(note)),
		button("Undo", events.ButtonAction(shape, iv.Endpoint, map[string]string{"command": "invite", "step": "undo", "invitation": id}, false)),
	)}
}

// undoSection is the Undo button of a background invitation's final card:
// none for a removal, for one that added nobody, or past the window.
func (iv *Invite) undoSection(inv *membership.Invitation, results []Result) []*chat.GoogleAppsCardV1Section {
	if !iv.undoOn() || inv.Op != membership.Add || inv.UndoOf != "" || !addedAny(results) {
		return nil
	}
	if !inv.FinishedAt.IsZero() && iv.Now().Sub(inv.FinishedAt) > iv.UndoFor {
		return nil
	}
	shape := events.Classic
	if inv.AddOn {
		shape = events.AddOn
	}
	return iv.undoButtonSection(shape, inv.ID)
}

// keepForUndo stores a small invitation that added or invited anyone,
// finished, and returns its Undo button. Storing is what makes the button
// possible: a failure to store costs the button, never the answer.
func (iv *Invite) keepForUndo(ctx context.Context, ev *events.Event, results []Result) []*chat.GoogleAppsCardV1Section {
	if iv.op != membership.Add || !iv.undoOn() || !addedAny(results) {
		return nil
	}
	inv := &membership.Invitation{ID: newID(), Op: membership.Add, MessageName: ev.MessageName, User: ev.User.Name, UserDisplay: ev.User.DisplayName,
		Space: ev.Space.Name, SpaceName: ev.Space.DisplayName, Private: !iv.Policy.Public, AddOn: ev.Shape == events.AddOn,
		CreatedAt: iv.Now(), Trace: logging.Trace(ctx), Admin: iv.admin}
	for i, r := range results {
		inv.Targets = append(inv.Targets, membership.Planned{Seq: i, Space: r.Space, Target: r.Target, State: membership.Done,
			Outcome: r.Outcome.String(), Detail: r.Detail, APIStatus: r.APIStatus})
	}
	storeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := iv.Undos.SaveFinished(storeCtx, inv); err != nil {
		logFrom(ctx).Warn("keep the invitation for Undo; its card has no Undo button", "error", err.Error())
		return nil
	}
	return iv.undoButtonSection(ev.Shape, inv.ID)
}

// undoPlans are the targets an invitation added or invited, to remove.
func undoPlans(inv *membership.Invitation) []membership.Planned {
	var plans []membership.Planned
	for _, p := range inv.Targets {
		if p.State == membership.Done && (p.Outcome == membership.Added.String() || p.Outcome == membership.Invited.String()) {
			plans = append(plans, membership.Planned{Seq: len(plans), Space: p.Space, Target: p.Target})
		}
	}
	return plans
}

// undoResults says of an undo's "not a member" lines that the person was
// already gone (they left, or someone removed them, since).
func undoResults(results []Result) []Result {
	for i := range results {
		if results[i].Outcome == membership.NotAMember && results[i].Detail == "" {
			results[i].Detail = "already gone"
		}
	}
	return results
}

// undoFrom answers the Undo button where it was clicked: a click in a
// dialog (a form's result shown there) is answered, as Google answers a
// dialog's buttons, with another dialog or by closing it.
func (iv *Invite) undoFrom(ctx context.Context, ev *events.Event) events.Reply {
	reply := iv.undo(ctx, ev)
	if reply.ConfigURL != "" && ev.DialogEventType == "" {
		// The grant went since (a /logout, a revocation): Chat documents
		// the configure prompt only as the answer to a message, so a click
		// on a card gets the link.
		return events.Reply{Private: true, Text: "Nothing was undone: Invite needs your authorization again. Give it at " + reply.ConfigURL + " and then click Undo again."}
	}
	if ev.DialogEventType == "" || reply.Dialog != nil || reply.CloseDialog {
		return reply
	}
	switch {
	case reply.ConfigURL != "":
		return events.Reply{Dialog: consentDialog(reply.ConfigURL)}
	case reply.Empty:
		return events.Reply{CloseDialog: true, CloseStatus: "Undoing: the app's message in this space shows the progress."}
	}
	return events.Reply{Dialog: resultDialog(ev, reply)}
}

// undo handles the Undo button: only the starter, only within UndoFor of
// the invitation's end, once. Up to SyncMax removals answer at once; more
// run in the background with progress and Stop, as a large /remove.
func (iv *Invite) undo(ctx context.Context, ev *events.Event) events.Reply {
	if !iv.undoOn() {
		return events.Reply{Private: true, Text: "Undo is turned off here: use /remove to remove people."}
	}
	inv, err := iv.Invitations.GetInvitation(ctx, ev.Parameters["invitation"])
	switch {
	case err != nil:
		return events.Reply{Private: true, Text: "That invitation is no longer kept, so it cannot be undone: use /remove to remove people."}
	case inv.User != ev.User.Name:
		if inv.UserDisplay == "" {
			return events.Reply{Private: true, Text: "Only the person who started it can undo it."}
		}
		return events.Reply{Private: true, Text: fmt.Sprintf("Only %s, who started it, can undo it.", inv.UserDisplay)}
	case inv.Op != membership.Add || inv.UndoOf != "":
		return events.Reply{Private: true, Text: "Only an invitation can be undone."}
	case !inv.Finished && !allDone(inv):
		return events.Reply{Private: true, Text: "It is still finishing: click Undo again in a moment."}
	case inv.Finished && iv.Now().Sub(inv.FinishedAt) > iv.UndoFor:
		// (Every outcome known but not yet marked finished: its final card
		// was just shown, and Undo works at once.)
		return events.Reply{Private: true, Text: fmt.Sprintf("Undo has expired: it works for %s after an invitation finished. Use /remove to remove people.", hoursText(iv.UndoFor))}
	}
	if id, err := iv.Undos.UndoOf(ctx, inv.ID); err != nil {
		return failure(ctx, "find the undo of an invitation", err)
	} else if id != "" {
		return iv.undoState(ctx, id)
	}
	plans := undoPlans(inv)
	if len(plans) == 0 {
		return events.Reply{Private: true, Text: "Nobody to remove: that invitation added or invited nobody."}
	}
	rm := &Invite{Deps: iv.Deps, op: membership.Remove, undoOf: inv.ID, admin: inv.Admin}
	if inv.Admin {
		// Made "as admin", undone as admin: the starter may not be a
		// member of the space.
		if len(iv.Policy.AdminDomains) == 0 {
			return events.Reply{Private: true, Text: "Administrator access has been turned off since, so this cannot be undone as administrator: use /remove."}
		}
		ctx = chatapi.WithAdminAccess(ctx)
	}
	logFrom(ctx).Info("undo", "invitation", inv.ID, "by", ev.User.Name, "targets", len(plans))
	if iv.SyncMax > 0 && len(plans) > iv.SyncMax {
		return rm.startPlanned(ctx, ev, plans, true)
	}
	return rm.undoNow(ctx, ev, inv, plans)
}

func hoursText(d time.Duration) string {
	if h := int(d / time.Hour); h == 1 {
		return "1 hour"
	} else if h > 1 {
		return fmt.Sprintf("%d hours", h)
	}
	return d.String()
}

// undoState answers a click on an invitation already undone (or being
// undone): the undo's result, or its progress.
func (iv *Invite) undoState(ctx context.Context, id string) events.Reply {
	u, err := iv.Invitations.GetInvitation(ctx, id)
	if err != nil {
		return failure(ctx, "load the undo", err)
	}
	if !u.Finished {
		m := iv.progressMessage(u, false)
		return events.Reply{Private: true, Text: "It is being undone:", Cards: m.CardsV2}
	}
	results, spaces, _ := outcomesOf(u)
	here := events.Space{Name: u.Space, DisplayName: u.SpaceName}
	return events.Reply{Private: true, Text: "It was already undone:", Cards: resultCards(membership.Remove, undoResults(results), here, spaces)}
}

// undoTaken answers a click that lost the race to create the undo: its
// progress message, if it posted one, says so too.
func (iv *Invite) undoTaken(ctx context.Context, ev *events.Event, lost *membership.Invitation) events.Reply {
	id, err := iv.Undos.UndoOf(ctx, lost.UndoOf)
	if err != nil || id == "" {
		return failure(ctx, "find the undo of an invitation", fmt.Errorf("after a conflict: %w", errors.Join(err, membership.ErrAlreadyUndone)))
	}
	reply := iv.undoState(ctx, id)
	if lost.ProgressMessage != "" {
		m := &chat.Message{Text: reply.Text, CardsV2: reply.Cards}
		if lost.Private {
			m.PrivateMessageViewer = &chat.User{Name: lost.User}
		}
		if err := iv.AppMessages.UpdateMessage(ctx, lost.ProgressMessage, m); err != nil {
			logFrom(ctx).Warn("say on a second progress message that the undo runs in the first", "error", err.Error())
		}
		return events.Reply{Empty: true}
	}
	return reply
}

// undoNow removes up to SyncMax people while Chat waits. The undo is
// stored first (the claim that makes a second click answer with this one);
// whatever gets no write slot in time, or is cut short by a stop, is
// finished in the background, at once or after the restart.
func (iv *Invite) undoNow(ctx context.Context, ev *events.Event, orig *membership.Invitation, plans []membership.Planned) events.Reply {
	targets, spaces := targetsOf(plans)
	scopes := iv.scopesFor(membership.Remove, targets, spaces, ev.Space.Name)
	runCtx, cancel := iv.whileChatWaits(ctx, iv.Deadline)
	defer cancel()
	token, err := iv.Auth.AccessToken(runCtx, ev.User.Name, scopes)
	if consentRequired(err) {
		return consentPrompt(ctx, iv.Auth, ev, scopes)
	} else if err != nil {
		return failure(ctx, "get access token", err)
	}
	if closed(iv.Draining) {
		return events.Reply{Private: true, Transient: true, Text: "The app is restarting: click Undo again in a minute."}
	}
	u := &membership.Invitation{ID: newID(), Op: membership.Remove, UndoOf: orig.ID, MessageName: ev.MessageName,
		User: ev.User.Name, UserDisplay: ev.User.DisplayName, Space: orig.Space, SpaceName: orig.SpaceName, Private: orig.Private,
		AddOn: ev.Shape == events.AddOn, CreatedAt: iv.Now(), Trace: logging.Trace(ctx), Targets: plans, Admin: iv.admin}
	storeCtx, cancelStore := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancelStore()
	if err := iv.Undos.CreateUndo(storeCtx, u); errors.Is(err, membership.ErrAlreadyUndone) {
		return iv.undoState(storeCtx, mustUndoOf(storeCtx, iv.Undos, orig.ID))
	} else if err != nil {
		return failure(ctx, "store the undo", err)
	}
	results := make([]Result, len(plans))
	for i, p := range plans {
		results[i] = Result{Target: p.Target, Space: p.Space}
	}
	iv.attemptAll(runCtx, ev, token, results)
	// Without background work (no app credentials) nothing would ever
	// resume the rest: what was not done is reported so.
	background := iv.Jobs != nil && iv.AppMessages != nil
	left := 0
	for i, r := range results {
		p := &u.Targets[i]
		switch r.Detail {
		case deferred, restartingNotTried:
			if !background {
				break
			}
			left++
			continue
		case restartingInFlight:
			if !background {
				break
			}
			// The call may have gone out: checked before it is made again.
			left++
			p.State = membership.Sent
			if err := iv.Invitations.MarkSent(storeCtx, u.ID, p.Seq); err != nil {
				return failure(ctx, "store the undo's progress", err)
			}
			continue
		}
		p.State, p.Outcome, p.Detail, p.APIStatus = membership.Done, r.Outcome.String(), r.Detail, r.APIStatus
		if err := iv.Invitations.RecordOutcome(storeCtx, u.ID, *p); err != nil {
			return failure(ctx, "store the undo's outcomes", err)
		}
	}
	if left > 0 {
		// Stored unfinished: the background finishes it now, or the next
		// start resumes it.
		if r, ok := iv.Jobs.(interface {
			Resume(ctx context.Context, id string) error
		}); ok && !closed(iv.Draining) {
			if err := r.Resume(storeCtx, u.ID); err != nil {
				logFrom(ctx).Warn("queue the rest of an undo; the next start finishes it", "invitation", u.ID, "error", err.Error())
			}
		}
		m := iv.progressMessage(u, false)
		return events.Reply{Private: true, Cards: m.CardsV2}
	}
	if err := iv.Invitations.FinishInvitation(storeCtx, u.ID); err != nil {
		return failure(ctx, "finish the undo", err)
	}
	here := events.Space{Name: u.Space, DisplayName: u.SpaceName}
	return events.Reply{Private: u.Private, Cards: resultCards(membership.Remove, undoResults(results), here, spaces), CloseStatus: summary(results)}
}

// mustUndoOf is the id of id's undo, "" when it cannot be read (undoState
// then answers that it failed).
func mustUndoOf(ctx context.Context, s membership.UndoStore, id string) string {
	undo, _ := s.UndoOf(ctx, id)
	return undo
}
