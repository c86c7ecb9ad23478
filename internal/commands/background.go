package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/events"
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
	Enqueue(ctx context.Context, id string) error
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
	return iv.startPlanned(ctx, ev, plans)
}

// startPlanned is startBackground for planned (space, target) pairs.
func (iv *Invite) startPlanned(ctx context.Context, ev *events.Event, plans []Planned) events.Reply {
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
	scopes := neededScopes(targets, spaces, ev.Space.Name)
	if _, err := iv.Auth.AccessToken(ctx, ev.User.Name, scopes); consentRequired(err) {
		return consentPrompt(ctx, iv.Auth, ev, scopes)
	} else if err != nil {
		return failure(ctx, "get access token", err)
	}
	inv := &Invitation{ID: newID(), MessageName: ev.MessageName, User: ev.User.Name, Space: ev.Space.Name, SpaceName: ev.Space.DisplayName,
		Private: !iv.Policy.Public, AddOn: ev.Shape == events.AddOn, CreatedAt: iv.Now()}
	for _, p := range plans {
		p.Seq = len(inv.Targets)
		switch {
		case p.Target.Kind == TargetApp && p.Space == ev.Space.Name:
			p.State, p.Outcome, p.Detail = Done, AlreadyMember.String(), "Invite is already in this space"
		case !iv.domainAllowed(p.Target):
			p.State, p.Outcome, p.Detail = Done, NotTried.String(), "not allowed by this app's policy"
		}
		inv.Targets = append(inv.Targets, p)
	}
	inv.ProgressMessage = ev.Space.Name + "/messages/client-inv-" + inv.ID
	if err := iv.Invitations.CreateInvitation(ctx, inv); err != nil {
		return failure(ctx, "store invitation", err)
	}
	if err := iv.Pacer.Wait(ctx, inv.Space, false); err != nil {
		return failure(ctx, "pace", err)
	}
	if _, err := iv.AppMessages.CreateMessage(ctx, inv.Space, "client-inv-"+inv.ID, iv.progressMessage(inv, false)); err != nil {
		_ = iv.Invitations.FinishInvitation(ctx, inv.ID)
		return failure(ctx, "create the progress message", err)
	}
	if err := iv.Jobs.Enqueue(ctx, inv.ID); err != nil {
		// It is stored: the next start of any instance resumes it.
		logFrom(ctx).Error("enqueue invitation; it resumes at the next start", "invitation", inv.ID, "error", err.Error())
	}
	logFrom(ctx).Info("large invitation started", "invitation", inv.ID, "inviter", inv.User, "targets", len(inv.Targets))
	return events.Reply{Empty: true}
}

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
		m.CardsV2 = resultCards(results, here, spaces)
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
	title := fmt.Sprintf("Inviting %s · %d done", people(len(inv.Targets)), done)
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
	m.CardsV2 = card("invite-progress", title, subtitle, section("", widgets...))
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
	var targets []Target
	var spaces []string
	for _, p := range inv.Targets {
		targets = append(targets, p.Target)
		if !slices.Contains(spaces, p.Space) {
			spaces = append(spaces, p.Space)
		}
	}
	token, err := iv.Auth.AccessToken(ctx, inv.User, neededScopes(targets, spaces, inv.Space))
	if consentRequired(err) {
		return iv.finish(ctx, inv, "your authorization was withdrawn: run /invite again")
	}
	if err != nil {
		return fmt.Errorf("access token for invitation %s: %w", id, err)
	}
	start, lastUpdate := iv.Now(), iv.Now()
	ev := &events.Event{User: events.User{Name: inv.User}, Space: events.Space{Name: inv.Space, DisplayName: inv.SpaceName}}
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
	var stop string // why no more targets start: "stopped", "pause" or "error"
	var failed error
	for {
		for stop == "" && inFlight < max(iv.Concurrency, 1) && next < len(inv.Targets) {
			i := next
			if inv.Targets[i].State == Done {
				next++
				continue
			}
			if stopped, err := iv.Invitations.InvitationStopped(ctx, id); err == nil && stopped {
				stop = "stopped"
				break
			}
			if ctx.Err() != nil || closed(iv.Draining) || iv.Now().Sub(start) > iv.sliceFor() {
				stop = "pause"
				break
			}
			next++
			inFlight++
			go func(p Planned) {
				err := iv.workOne(ctx, ev, inv, token, &p)
				results <- worked{i, p, err}
			}(inv.Targets[i])
		}
		if inFlight == 0 {
			break
		}
		w := <-results
		inFlight--
		inv.Targets[w.i] = w.p
		if w.err != nil && failed == nil {
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
	case stop == "stopped":
		inv.Stopped = true
		return iv.finish(ctx, inv, "stopped")
	case stop == "pause":
		iv.updateProgress(ctx, inv)
		return ErrMoreWork
	}
	return iv.finish(ctx, inv, "")
}

// workOne adds one target and stores its outcome.
func (iv *Invite) workOne(ctx context.Context, ev *events.Event, inv *Invitation, token string, p *Planned) error {
	r := Result{Target: p.Target, Space: p.Space}
	tag := fmt.Sprintf("%s/%d", inv.ID, p.Seq)
	if p.State == Sent {
		if iv.alreadyThere(ctx, token, &r) {
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
	if err := iv.Pacer.WaitMembership(ctx, tag); err != nil {
		return err
	}
	body := membershipBody(p.Target)
	for {
		r.Attempts++
		m, err := iv.Members.CreateMembership(ctx, token, p.Space, body)
		if err == nil {
			r.APIStatus = http.StatusOK
			classifyMembership(&r, m)
			break
		}
		r.APIStatus = apiStatus(err)
		if r.APIStatus == http.StatusTooManyRequests || r.APIStatus == http.StatusServiceUnavailable {
			// Over a quota, or busy: wait and try again, in a slot of its
			// own (Google did not count the refused call); never a failure.
			iv.refund(ctx, inv, tag)
			if !sleep(ctx, backoff(max(iv.BackoffBase, 100*time.Millisecond), min(r.Attempts, 6))) {
				return ctx.Err()
			}
			if err := iv.Pacer.WaitMembership(ctx, tag); err != nil {
				return err
			}
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err() // the call may have gone out: checked on resume
		}
		if r.APIStatus == http.StatusConflict {
			iv.classifyExisting(ctx, token, &r)
		} else {
			classifyError(&r, err, ev, false)
		}
		break
	}
	return iv.record(ctx, ev, inv, p, r)
}

// refund gives back the quota slot of the write tagged tag.
func (iv *Invite) refund(ctx context.Context, inv *Invitation, tag string) {
	if err := iv.Pacer.Refund(ctx, tag); err != nil {
		logFrom(ctx).Warn("give back a quota slot", "invitation", inv.ID, "error", err.Error())
	}
}

// alreadyThere checks a target whose call may have gone out: a membership
// found is that call's outcome.
func (iv *Invite) alreadyThere(ctx context.Context, token string, r *Result) bool {
	id, ok := strings.CutPrefix(r.Target.Name, "users/")
	if !ok {
		return false // a group's membership name is not derived from it
	}
	m, err := iv.Members.GetMembership(ctx, token, r.Space+"/members/"+id)
	if err != nil || m == nil {
		return false
	}
	r.APIStatus = http.StatusOK
	classifyMembership(r, m)
	return r.Outcome == Added || r.Outcome == Invited
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
	if err := iv.Pacer.Wait(ctx, inv.Space, false); err != nil {
		return err
	}
	if err := iv.AppMessages.UpdateMessage(ctx, inv.ProgressMessage, iv.progressMessage(inv, true)); err != nil {
		return fmt.Errorf("show the final card: %w", err)
	}
	logFrom(ctx).Info("large invitation finished", "invitation", inv.ID)
	return iv.Invitations.FinishInvitation(ctx, inv.ID)
}

func (iv *Invite) updateProgress(ctx context.Context, inv *Invitation) {
	if err := iv.Pacer.Wait(ctx, inv.Space, false); err != nil {
		return
	}
	if err := iv.AppMessages.UpdateMessage(ctx, inv.ProgressMessage, iv.progressMessage(inv, false)); err != nil {
		logFrom(ctx).Warn("update the progress message", "invitation", inv.ID, "error", err.Error())
	}
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

// copyMembers invites everyone in the CopyFrom spaces who is not already in
// the target space (apps are left out unless named), as a large invitation.
// Listing members takes the user's own chat.memberships scope.
func (iv *Invite) copyMembers(ctx context.Context, ev *events.Event, spaces []string, req InviteRequest) events.Reply {
	if iv.AppMessages == nil || iv.Jobs == nil || iv.Invitations == nil {
		return iv.startPlanned(ctx, ev, nil) // the refusal, said once
	}
	scopes := append(neededScopes(req.Targets, spaces, ev.Space.Name), ScopeMemberships)
	token, err := iv.Auth.AccessToken(ctx, ev.User.Name, slices.Compact(slices.Sorted(slices.Values(scopes))))
	if consentRequired(err) {
		return consentPrompt(ctx, iv.Auth, ev, []string{ScopeMemberships})
	}
	if err != nil {
		return failure(ctx, "get access token", err)
	}
	var found []Target
	seen := map[string]bool{}
	for _, src := range req.CopyFrom {
		ms, err := iv.Members.ListMembers(ctx, token, src)
		if err != nil {
			why := "I could not list its members"
			if s := apiStatus(err); s == http.StatusNotFound || s == http.StatusForbidden {
				why = "it was not found, or you are not a member of it"
			}
			return events.Reply{Private: true, Cards: refusalCards("Nothing was done", src+": "+why+".")}
		}
		for _, m := range ms {
			if m.Member == nil || m.Member.Type == "BOT" || seen[m.Member.Name] {
				continue
			}
			seen[m.Member.Name] = true
			typed := m.Member.DisplayName
			if typed == "" {
				typed = m.Member.Name
			}
			found = append(found, Target{Kind: TargetUser, Typed: typed, Name: m.Member.Name})
		}
	}
	var plans []Planned
	for _, s := range spaces {
		present := map[string]bool{}
		if ms, err := iv.Members.ListMembers(ctx, token, s); err == nil {
			for _, m := range ms {
				if m.Member != nil {
					present[m.Member.Name] = true
				}
			}
		}
		for _, t := range append(append([]Target(nil), req.Targets...), found...) {
			if t.Kind == TargetUser && t.Email == "" && present[t.Name] {
				continue
			}
			plans = append(plans, Planned{Space: s, Target: t})
		}
	}
	if len(plans) == 0 {
		return events.Reply{Private: true, Cards: refusalCards("Nobody to invite", "Everyone in "+strings.Join(req.CopyFrom, ", ")+" is already here.")}
	}
	if n := len(plans); n > iv.Policy.MaxTargets {
		return events.Reply{Private: true, Cards: refusalCards("Too many at once", fmt.Sprintf(
			"That is %d invitations; this app allows at most %d in one command.", n, iv.Policy.MaxTargets))}
	}
	return iv.startPlanned(ctx, ev, plans)
}
