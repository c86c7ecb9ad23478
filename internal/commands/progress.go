package commands

// The progress message of a large invitation, and its final card.

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// progressCardID names the progress card.
const progressCardID = "invite-progress"

// progressID is the client-assigned id of an invitation's progress message.
func progressID(inv *membership.Invitation) string { return "client-inv-" + inv.ID }

// progressMessage is the message that shows an invitation: progress with a
// Stop button while it runs, then the same card a small invitation gets.
func (iv *Invite) progressMessage(inv *membership.Invitation, final bool) *chat.Message {
	m := &chat.Message{}
	if inv.Private {
		m.PrivateMessageViewer = &chat.User{Name: inv.User}
	}
	here := events.Space{Name: inv.Space, DisplayName: inv.SpaceName}
	results, spaces, done := outcomesOf(inv)
	shape := events.Classic
	if inv.AddOn {
		shape = events.AddOn
	}
	if final {
		if inv.UndoOf != "" {
			results = undoResults(results)
		}
		// The invitation is stored: a dialog lists all who were not added
		// when the card cannot.
		more := events.ButtonAction(shape, iv.Endpoint, failedListParams(inv.ID, 0), true)
		m.CardsV2 = resultCardsWith(inv.Op, results, here, spaces, more, iv.undoSection(inv, results)...)
		if inv.Admin {
			m.CardsV2 = administeredCards(m.CardsV2)
		}
		return fitMessage(m)
	}
	var finished []Result
	for i, p := range inv.Targets {
		if p.State == membership.Done {
			finished = append(finished, results[i])
		}
	}
	verb := "Inviting"
	if inv.Op == membership.Remove {
		verb = "Removing"
	}
	title := fmt.Sprintf("%s %s · %d done", verb, people(len(inv.Targets)), done)
	subtitle := "Starting"
	if len(finished) > 0 {
		subtitle = summary(finished)
	}
	widgets := []*chat.GoogleAppsCardV1Widget{
		paragraph(html.EscapeString(fmt.Sprintf("Google Chat allows this app about %d changes a minute in all%s. This message updates as it goes.",
			iv.quotaPerMinute(), timeLeft(len(inv.Targets)-done, iv.quotaPerMinute())))),
	}
	if wait := iv.quotaWait(inv.Op); wait != "" {
		widgets = append(widgets, paragraph("<i>"+html.EscapeString(wait)+"</i>"))
	}
	if inv.Stopped {
		widgets = append(widgets, paragraph("<i>Stopping…</i>"))
	} else {
		widgets = append(widgets, button("Stop", events.ButtonAction(shape, iv.Endpoint, map[string]string{"command": "invite", "step": "stop", "invitation": inv.ID}, false)))
	}
	m.CardsV2 = card(progressCardID, title, subtitle, section("", widgets...))
	return fitMessage(m)
}

// quotaWait says what the invitation waits for while every membership
// write waits for Chat's quota: "Waiting for Chat's limit: next additions
// in 8 s"; "" while writes go.
func (iv *Invite) quotaWait(op membership.Op) string {
	at, ok := iv.Pacer.MembershipWait()
	if !ok || iv.Now == nil {
		return ""
	}
	secs := int((at.Sub(iv.Now()) + time.Second - 1) / time.Second)
	if secs <= 0 {
		return ""
	}
	what := "additions"
	if op == membership.Remove {
		what = "removals"
	}
	in := fmt.Sprintf("%d s", secs)
	if secs >= 90 {
		in = fmt.Sprintf("%d minutes", (secs+30)/60)
	}
	return fmt.Sprintf("Waiting for Chat's limit: next %s in %s", what, in)
}

func (iv *Invite) quotaPerMinute() int {
	if iv.QuotaPerMinute > 0 {
		return iv.QuotaPerMinute
	}
	return 300
}

// outcomesOf are the invitation's outcomes so far (not tried yet for the
// rest), its spaces in order, and how many are done.
func outcomesOf(inv *membership.Invitation) ([]Result, []string, int) {
	var out []Result
	_, spaces := targetsOf(inv.Targets)
	done := 0
	for _, p := range inv.Targets {
		r := Result{Target: p.Target, Space: p.Space, Outcome: membership.NotTried, Detail: "not tried yet", APIStatus: p.APIStatus}
		if p.State == membership.Done {
			done++
			if o, ok := membership.OutcomeNamed(p.Outcome); ok {
				r.Outcome, r.Detail = o, p.Detail
			}
		}
		out = append(out, r)
	}
	return out, spaces, done
}

// updateProgress shows inv's progress in its message, creating the message
// when the answer carried the first card. When Chat refuses, the state is
// logged instead.
func (iv *Invite) updateProgress(ctx context.Context, inv *membership.Invitation) {
	if err := iv.Pacer.Message(ctx, inv.Space); err != nil {
		return
	}
	m := iv.progressMessage(inv, false)
	var err error
	if inv.ProgressMessage == "" {
		err = iv.createProgress(ctx, inv, m)
	} else {
		err = iv.AppMessages.UpdateMessage(ctx, inv.ProgressMessage, m)
	}
	if err != nil {
		results, _, done := outcomesOf(inv)
		logFrom(ctx).Warn("update the progress message", "invitation", inv.ID, "done", done, "of", len(inv.Targets),
			"outcomes", summary(results), "error", err.Error())
	}
}

// createProgress posts inv's progress message under its client-assigned id
// and remembers it.
func (iv *Invite) createProgress(ctx context.Context, inv *membership.Invitation, m *chat.Message) error {
	name := inv.Space + "/messages/" + progressID(inv)
	if _, err := iv.AppMessages.CreateMessage(ctx, inv.Space, progressID(inv), m); err != nil && apiStatus(err) != http.StatusConflict {
		return err
	}
	inv.ProgressMessage = name
	return iv.Invitations.SetProgressMessage(ctx, inv.ID, name)
}

// showFinal replaces the progress message with the final card. A message
// that is gone (deleted: 404, or no longer the app's to change: 403) gets
// the card in a new message; a space the app can no longer post in (it was
// removed, or the space deleted) ends the invitation all the same, its
// outcomes stored and logged: gone is an outcome, not a reason to retry.
// Other failures (Chat unavailable) are returned, to be tried again.
func (iv *Invite) showFinal(ctx context.Context, inv *membership.Invitation) error {
	final := iv.progressMessage(inv, true)
	if err := iv.Pacer.Message(ctx, inv.Space); err != nil {
		return err
	}
	var err error
	if inv.ProgressMessage == "" {
		err = iv.createProgress(ctx, inv, final)
	} else {
		err = iv.AppMessages.UpdateMessage(ctx, inv.ProgressMessage, final)
	}
	if err == nil {
		return nil
	}
	if !gone(err) {
		return fmt.Errorf("show the final card: %w", err)
	}
	if err := iv.Pacer.Message(ctx, inv.Space); err != nil {
		return err
	}
	_, err = iv.AppMessages.CreateMessage(ctx, inv.Space, "client-fin-"+inv.ID, final)
	switch {
	case err == nil || apiStatus(err) == http.StatusConflict: // posted, maybe by an earlier try
		logFrom(ctx).Warn("the progress message is gone: the final card was posted anew", "invitation", inv.ID)
		return nil
	case gone(err):
		results, _, _ := outcomesOf(inv)
		logFrom(ctx).Warn("the invitation's space is no longer reachable: its outcomes are kept, not shown",
			"invitation", inv.ID, "inviter", inv.User, "space", inv.Space, "outcomes", summary(results), "error", err.Error())
		return nil
	}
	return fmt.Errorf("post the final card: %w", err)
}

// gone reports a Chat answer saying the message or space is no longer
// there for the app (404 NOT_FOUND, 403 PERMISSION_DENIED).
func gone(err error) bool {
	s := apiStatus(err)
	return s == http.StatusNotFound || s == http.StatusForbidden
}

// timeLeft says how long left changes take at perMinute, the least the
// quota allows (others' writes share it): ", so about 40 s left".
func timeLeft(left, perMinute int) string {
	if left <= 0 || perMinute <= 0 {
		return ""
	}
	secs := (left*60 + perMinute - 1) / perMinute
	switch {
	case secs < 90:
		return fmt.Sprintf(", so about %d s left", secs)
	default:
		return fmt.Sprintf(", so about %d minutes left", (secs+30)/60)
	}
}
