package commands

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net/http"
	"slices"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/logging"
)

// AppMessages are the app's own messages, created and updated through the
// Chat API with the app's credentials (scope chat.bot). An app may update
// only the messages it created; a client-assigned id ("client-…") names
// the message before Chat answers, so it can be updated after a restart.
type AppMessages interface {
	CreateMessage(ctx context.Context, space, messageID string, m *chat.Message) (string, error)
	UpdateMessage(ctx context.Context, name string, m *chat.Message) error
}

// Jobs run invitations in the background, surviving restarts.
type Jobs interface {
	// Start stores inv and queues its work in one transaction: both or
	// neither, so nothing runs that was not stored, and nothing stored
	// waits for a start to resume it.
	Start(ctx context.Context, inv *Invitation) error
}

// ErrMoreWork asks for Work to be called again for the same invitation.
var ErrMoreWork = errors.New("more to do")

// Background returns the job that works an invitation, one bounded slice a
// call: it returns ErrMoreWork while targets remain.
func Background(d Deps) func(ctx context.Context, id string) error {
	return (&Invite{Deps: d}).Work
}

func newID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startBackground stores an invitation too large to finish while Chat
// waits, shows its progress message, and hands it to the job queue. The
// answer to the event itself is empty: the progress message is it.
func (iv *Invite) startBackground(ctx context.Context, ev *events.Event, spaces []string, targets []Target) events.Reply {
	var plans []Planned
	for _, s := range spaces {
		for _, t := range targets {
			plans = append(plans, Planned{Space: s, Target: t})
		}
	}
	return iv.startPlanned(ctx, ev, plans, true)
}

// startPlanned is startBackground for planned (space, target) pairs.
//
// Whatever the size, the policy is checked first (settle) and nothing is
// stored that the user is not told about: the progress message is created
// first (a bounded wait for its message slot; past it, the answer itself
// carries the progress card and the work posts its message later), then
// the invitation and its job are committed in one transaction. A failure
// before that leaves nothing stored; the answer comes within Chat's
// deadline either way.
//
// announce false skips the wait for the message slot (the person already
// waited for a membership slot): the answer carries the progress card.
func (iv *Invite) startPlanned(ctx context.Context, ev *events.Event, plans []Planned, announce bool) events.Reply {
	var targets []Target
	var spaces []string
	for _, p := range plans {
		targets = append(targets, p.Target)
		if !slices.Contains(spaces, p.Space) {
			spaces = append(spaces, p.Space)
		}
	}
	if iv.AppMessages == nil || iv.Jobs == nil || iv.Invitations == nil {
		return events.Reply{Private: true, Cards: refusalCards("Too many to finish while Chat waits",
			fmt.Sprintf("Invitations of more than %d people (or copies of a space's members) run in the background and report in a message of the app's own, "+
				"which needs the app's credentials. Ask whoever runs Invite to set them up (bot doctor checks them), or invite at most %d at a time.", iv.SyncMax, iv.SyncMax))}
	}
	if closed(iv.Draining) {
		return events.Reply{Private: true, Transient: true, Cards: refusalCards("Nothing was done", restartingNotTried+".")}
	}
	scopes := neededScopes(iv.op, targets, spaces, ev.Space.Name)
	token, err := iv.Auth.AccessToken(ctx, ev.User.Name, scopes)
	if consentRequired(err) {
		return consentPrompt(ctx, iv.Auth, ev, scopes)
	} else if err != nil {
		return failure(ctx, "get access token", err)
	}
	inv := &Invitation{ID: newID(), Op: iv.op, MessageName: ev.MessageName, User: ev.User.Name, Space: ev.Space.Name, SpaceName: ev.Space.DisplayName,
		Private: !iv.Policy.Public, AddOn: ev.Shape == events.AddOn, CreatedAt: iv.Now(), Trace: logging.Trace(ctx)}
	var open []int // targets policy left to write
	var rs []Result
	for _, p := range plans {
		p.Seq = len(inv.Targets)
		if p.State != Done {
			open = append(open, p.Seq)
			rs = append(rs, Result{Target: p.Target, Space: p.Space})
		}
		inv.Targets = append(inv.Targets, p)
	}
	settled := iv.settle(ctx, ev, token, rs)
	left := 0
	for i, seq := range open {
		if settled[i] {
			p := &inv.Targets[seq]
			p.State, p.Outcome, p.Detail, p.APIStatus = Done, rs[i].Outcome.String(), rs[i].Detail, rs[i].APIStatus
		} else {
			left++
		}
	}
	for _, r := range rs {
		if r.APIStatus == http.StatusUnauthorized {
			if err := iv.Auth.Forget(ctx, ev.User.Name); err != nil {
				return failure(ctx, "forget rejected grant", err)
			}
			return consentPrompt(ctx, iv.Auth, ev, scopes)
		}
	}
	if left == 0 {
		// Nothing to write: the answer is the result, as for a small one.
		results, spaces, _ := inv.results()
		return events.Reply{Private: !iv.Policy.Public, Cards: resultCards(iv.op, results, ev.Space, spaces), CloseStatus: summary(results)}
	}
	reply := events.Reply{Empty: true}
	if announce && iv.announce(ctx, inv) {
		inv.ProgressMessage = ev.Space.Name + "/messages/" + progressID(inv)
	} else if ctx.Err() != nil || closed(iv.Draining) {
		return events.Reply{Private: true, Transient: true, Cards: refusalCards("Nothing was done", restartingNotTried+".")}
	} else {
		// No message slot in time: the answer carries the progress card,
		// and the work posts its own message when it reports.
		m := iv.progressMessage(inv, false)
		reply = events.Reply{Private: inv.Private, Cards: m.CardsV2}
	}
	// Announced: stored whatever happens to the request from here.
	storeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := iv.Jobs.Start(storeCtx, inv); err != nil {
		if inv.ProgressMessage != "" {
			m := &chat.Message{CardsV2: refusalCards("Nothing was done", "The invitation could not be saved: run /invite again.")}
			if inv.Private {
				m.PrivateMessageViewer = &chat.User{Name: inv.User}
			}
			if err := iv.AppMessages.UpdateMessage(storeCtx, inv.ProgressMessage, m); err != nil {
				logFrom(ctx).Warn("say on the progress message that nothing started", "error", err.Error())
			}
		}
		return failure(ctx, "store the invitation", err)
	}
	logFrom(ctx).Info("large invitation started", "invitation", inv.ID, "inviter", inv.User, "targets", len(inv.Targets), "to_write", left)
	return reply
}

// announce creates the invitation's progress message if its space's message
// quota gives a slot within SlotWait (or before the app stops).
func (iv *Invite) announce(ctx context.Context, inv *Invitation) bool {
	wctx, cancel := iv.whileChatWaits(ctx, iv.slotWait())
	defer cancel()
	if err := iv.Pacer.Wait(wctx, inv.Space, false); err != nil {
		return false
	}
	if _, err := iv.AppMessages.CreateMessage(ctx, inv.Space, progressID(inv), iv.progressMessage(inv, false)); err != nil {
		logFrom(ctx).Warn("create the progress message; the answer carries it", "invitation", inv.ID, "error", err.Error())
		return false
	}
	return true
}

// slotWait bounds a wait for a write slot while Chat waits (a progress
// message's, or a small invitation's membership writes) before the answer
// is given and the rest done in the background.
func (iv *Invite) slotWait() time.Duration { return cmp.Or(iv.SlotWait, 1500*time.Millisecond) }

// progressCardID names the progress card.
const progressCardID = "invite-progress"

// progressID is the client-assigned id of an invitation's progress message.
func progressID(inv *Invitation) string { return "client-inv-" + inv.ID }

// progressMessage is the message that shows an invitation: progress with a
// Stop button while it runs, then the same card a small invitation gets.
func (iv *Invite) progressMessage(inv *Invitation, final bool) *chat.Message {
	m := &chat.Message{}
	if inv.Private {
		m.PrivateMessageViewer = &chat.User{Name: inv.User}
	}
	here := events.Space{Name: inv.Space, DisplayName: inv.SpaceName}
	results, spaces, done := inv.results()
	if final {
		m.CardsV2 = resultCards(inv.Op, results, here, spaces)
		return fitMessage(m)
	}
	var finished []Result
	for i, p := range inv.Targets {
		if p.State == Done {
			finished = append(finished, results[i])
		}
	}
	shape := events.Classic
	if inv.AddOn {
		shape = events.AddOn
	}
	verb := "Inviting"
	if inv.Op == Remove {
		verb = "Removing"
	}
	title := fmt.Sprintf("%s %s · %d done", verb, people(len(inv.Targets)), done)
	subtitle := "Starting"
	if len(finished) > 0 {
		subtitle = summary(finished)
	}
	widgets := []*chat.GoogleAppsCardV1Widget{
		paragraph(html.EscapeString(fmt.Sprintf("Google Chat allows this app about %d additions a minute in all, so a large invitation can take a few minutes. This message updates as it goes.", iv.quotaPerMinute()))),
	}
	if inv.Stopped {
		widgets = append(widgets, paragraph("<i>Stopping…</i>"))
	} else {
		widgets = append(widgets, button("Stop", events.ButtonAction(shape, iv.Endpoint, map[string]string{"command": "invite", "step": "stop", "invitation": inv.ID}, false)))
	}
	m.CardsV2 = card(progressCardID, title, subtitle, section("", widgets...))
	return fitMessage(m)
}

func (iv *Invite) quotaPerMinute() int {
	if iv.QuotaPerMinute > 0 {
		return iv.QuotaPerMinute
	}
	return 300
}

// results are the invitation's outcomes so far (not tried yet for the
// rest), its spaces in order, and how many are done.
func (inv *Invitation) results() ([]Result, []string, int) {
	var out []Result
	var spaces []string
	done := 0
	for _, p := range inv.Targets {
		r := Result{Target: p.Target, Space: p.Space, Outcome: NotTried, Detail: "not tried yet", APIStatus: p.APIStatus}
		if p.State == Done {
			done++
			if o, ok := outcomeNamed(p.Outcome); ok {
				r.Outcome, r.Detail = o, p.Detail
			}
		}
		if !slices.Contains(spaces, p.Space) {
			spaces = append(spaces, p.Space)
		}
		out = append(out, r)
	}
	return out, spaces, done
}

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
	case inv.Finished:
		return events.Reply{Private: true, Text: "It had already finished."}
	}
	if err := iv.Invitations.StopInvitation(ctx, inv.ID); err != nil {
		return failure(ctx, "stop invitation", err)
	}
	logFrom(ctx).Info("large invitation stopped", "invitation", inv.ID, "by", ev.User.Name)
	return events.Reply{Private: true, Text: "Stopping. Everyone already added stays added; the rest will not be tried."}
}

// Work runs one slice of an invitation: targets in order, up to Concurrency
// at once, each paced within Google's quotas, a 429 delaying it rather than
// failing it, every outcome stored as it comes, the progress message
// updated every ProgressEvery and at the end replaced by the final card. A target whose call may have gone
// out before a stop or crash is checked with spaces.members.get first, so
// nobody is added twice or reported wrongly.
func (iv *Invite) Work(ctx context.Context, id string) error {
	inv, err := iv.Invitations.GetInvitation(ctx, id)
	if err != nil {
		return fmt.Errorf("load invitation %s: %w", id, err)
	}
	if inv.Finished {
		return nil
	}
	if inv.Trace != "" {
		ctx = logging.With(ctx, logFrom(ctx).With(logging.TraceKey, inv.Trace))
	}
	var targets []Target
	var spaces []string
	for _, p := range inv.Targets {
		targets = append(targets, p.Target)
		if !slices.Contains(spaces, p.Space) {
			spaces = append(spaces, p.Space)
		}
	}
	// Each call takes its own token (liveToken); this one only says at
	// once whether the user's authorization is still there.
	scopes := neededScopes(inv.Op, targets, spaces, inv.Space)
	if _, err := iv.Auth.AccessToken(ctx, inv.User, scopes); consentRequired(err) {
		return iv.giveUp(ctx, inv, iv.withdrawn(ctx, inv))
	} else if err != nil {
		return fmt.Errorf("access token for invitation %s: %w", id, err)
	}
	start, lastUpdate := iv.Now(), iv.Now()
	ev := inviteEvent(inv)
	// Up to Concurrency targets are under way at once (Chat answers each
	// call in a fraction of a second: one at a time would stay well below
	// the quota); each works on its own copy, and this loop alone writes
	// inv, so the progress message reads it safely.
	type worked struct {
		i   int
		p   Planned
		err error
	}
	results := make(chan worked)
	inFlight, next := 0, 0
	var stop string   // why no more targets start: "halt", "pause" or "error"
	var halted string // why the rest is not tried: stopped, signed out…
	var failed error
	for {
		for stop == "" && inFlight < max(iv.Concurrency, 1) && next < len(inv.Targets) {
			i := next
			if inv.Targets[i].State == Done {
				next++
				continue
			}
			if stopped, why, err := iv.Invitations.StopReason(ctx, id); err == nil && stopped {
				stop, halted = "halt", cmp.Or(why, stoppedNotTried)
				break
			}
			if ctx.Err() != nil || closed(iv.Draining) || iv.Now().Sub(start) > iv.sliceFor() {
				stop = "pause"
				break
			}
			next++
			inFlight++
			go func(p Planned) {
				err := iv.workOne(ctx, ev, inv, scopes, &p)
				results <- worked{i, p, err}
			}(inv.Targets[i])
		}
		if inFlight == 0 {
			break
		}
		w := <-results
		inFlight--
		inv.Targets[w.i] = w.p
		var h *haltError
		switch {
		case errors.As(w.err, &h):
			stop, halted = "halt", cmp.Or(halted, h.reason)
		case w.err != nil && failed == nil:
			failed, stop = w.err, "error"
		}
		if iv.Now().Sub(lastUpdate) >= iv.progressEvery() {
			iv.updateProgress(ctx, inv)
			lastUpdate = iv.Now()
		}
	}
	switch {
	case failed != nil && (ctx.Err() != nil || closed(iv.Draining)):
		return ErrMoreWork
	case failed != nil:
		return failed
	case halted != "":
		return iv.giveUp(ctx, inv, halted)
	case stop == "pause":
		iv.updateProgress(ctx, inv)
		return ErrMoreWork
	}
	return iv.finish(ctx, inv, "")
}

// workOne adds one target and stores its outcome. Every call takes a
// token just before it (liveToken): once the user signed out, or their
// authorization was withdrawn, no call is made and no quota slot taken.
func (iv *Invite) workOne(ctx context.Context, ev *events.Event, inv *Invitation, scopes []string, p *Planned) error {
	r := Result{Target: p.Target, Space: p.Space}
	tag := fmt.Sprintf("%s/%d", inv.ID, p.Seq)
	token, err := iv.liveToken(ctx, inv, scopes)
	if err != nil {
		return err
	}
	if p.State == Sent {
		if iv.doneOnResume(ctx, inv.Op, token, &r) {
			return iv.record(ctx, ev, inv, p, r)
		}
		// Its call never completed (a crash, a kill, a stop while it was
		// under way): the quota slot it took, if any, is given back.
		iv.refund(ctx, inv, tag)
	}
	// Marked before the slot is awaited, so the call follows its slot at once.
	if err := iv.Invitations.MarkSent(ctx, inv.ID, p.Seq); err != nil {
		return err
	}
	p.State = Sent
	w := writer{
		slot: func(ctx context.Context) error {
			return iv.Pacer.WaitMembership(ctx, Turn{Who: inv.User, Job: inv.ID, Tag: tag})
		},
		// The slot may have taken a while: the token is looked at again.
		token:  func(ctx context.Context) (string, error) { return iv.liveToken(ctx, inv, scopes) },
		refund: func(ctx context.Context) { iv.refund(ctx, inv, tag) },
		// Background work waits out a quota or a busy Chat: never a failure.
		pause: func(ctx context.Context, attempt int) bool {
			return sleep(ctx, backoff(max(iv.BackoffBase, 100*time.Millisecond), min(attempt, 6)))
		},
	}
	switch err := iv.change(ctx, ev, inv.Op, w, &r); {
	case errors.Is(err, errRejected):
		// Google no longer honours the user's authorization: nothing more
		// is tried in their name, here or on another instance.
		return iv.rejected(ctx, inv)
	case errors.Is(err, errGaveUp):
		return ctx.Err() // its pause ended with the slice: tried again
	case err != nil:
		return err
	}
	return iv.record(ctx, ev, inv, p, r)
}

// refund gives back the quota slot of the write tagged tag.
func (iv *Invite) refund(ctx context.Context, inv *Invitation, tag string) {
	if err := iv.Pacer.Refund(ctx, tag); err != nil {
		logFrom(ctx).Warn("give back a quota slot", "invitation", inv.ID, "error", err.Error())
	}
}

func (iv *Invite) record(ctx context.Context, ev *events.Event, inv *Invitation, p *Planned, r Result) error {
	p.State, p.Outcome, p.Detail, p.APIStatus = Done, r.Outcome.String(), r.Detail, r.APIStatus
	iv.audit(ctx, ev, &r)
	return iv.Invitations.RecordOutcome(ctx, inv.ID, *p)
}

// finish marks what was not tried (why: stopped, or consent withdrawn),
// shows the final card and closes the invitation.
func (iv *Invite) finish(ctx context.Context, inv *Invitation, notTried string) error {
	for i := range inv.Targets {
		p := &inv.Targets[i]
		if p.State == Done {
			continue
		}
		p.State, p.Outcome, p.Detail = Done, NotTried.String(), notTried
		if err := iv.Invitations.RecordOutcome(ctx, inv.ID, *p); err != nil {
			return err
		}
	}
	if err := iv.showFinal(ctx, inv); err != nil {
		return err
	}
	logFrom(ctx).Info("large invitation finished", "invitation", inv.ID)
	return iv.Invitations.FinishInvitation(ctx, inv.ID)
}

// showFinal replaces the progress message with the final card. A message
// that is gone (deleted: 404, or no longer the app's to change: 403) gets
// the card in a new message; a space the app can no longer post in (it was
// removed, or the space deleted) ends the invitation all the same, its
// outcomes stored and logged: gone is an outcome, not a reason to retry.
// Other failures (Chat unavailable) are returned, to be tried again.
func (iv *Invite) showFinal(ctx context.Context, inv *Invitation) error {
	final := iv.progressMessage(inv, true)
	if err := iv.Pacer.Wait(ctx, inv.Space, false); err != nil {
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
	if err := iv.Pacer.Wait(ctx, inv.Space, false); err != nil {
		return err
	}
	_, err = iv.AppMessages.CreateMessage(ctx, inv.Space, "client-fin-"+inv.ID, final)
	switch {
	case err == nil || apiStatus(err) == http.StatusConflict: // posted, maybe by an earlier try
		logFrom(ctx).Warn("the progress message is gone: the final card was posted anew", "invitation", inv.ID)
		return nil
	case gone(err):
		results, _, _ := inv.results()
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
			if p.State == Done {
				continue
			}
			p.State, p.Outcome, p.Detail = Done, NotTried.String(), "the app could not finish this invitation: run /invite again"
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

// updateProgress shows inv's progress in its message, creating the message
// when the answer carried the first card. When Chat refuses, the state is
// logged instead.
func (iv *Invite) updateProgress(ctx context.Context, inv *Invitation) {
	if err := iv.Pacer.Wait(ctx, inv.Space, false); err != nil {
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
		results, _, done := inv.results()
		logFrom(ctx).Warn("update the progress message", "invitation", inv.ID, "done", done, "of", len(inv.Targets),
			"outcomes", summary(results), "error", err.Error())
	}
}

// createProgress posts inv's progress message under its client-assigned id
// and remembers it.
func (iv *Invite) createProgress(ctx context.Context, inv *Invitation, m *chat.Message) error {
	name := inv.Space + "/messages/" + progressID(inv)
	if _, err := iv.AppMessages.CreateMessage(ctx, inv.Space, progressID(inv), m); err != nil && apiStatus(err) != http.StatusConflict {
		return err
	}
	inv.ProgressMessage = name
	return iv.Invitations.SetProgressMessage(ctx, inv.ID, name)
}

func (iv *Invite) progressEvery() time.Duration {
	if iv.ProgressEvery > 0 {
		return iv.ProgressEvery
	}
	return 5 * time.Second
}

func (iv *Invite) sliceFor() time.Duration {
	if iv.SliceFor > 0 {
		return iv.SliceFor
	}
	return 40 * time.Second
}

func membershipBody(t Target) *chat.Membership {
	body := &chat.Membership{Member: &chat.User{Name: t.Name, Type: "HUMAN"}}
	switch t.Kind {
	case TargetApp:
		body.Member.Type = "BOT"
	case TargetGroup:
		body = &chat.Membership{GroupMember: &chat.Group{Name: t.Name}}
	}
	return body
}
