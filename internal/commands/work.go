package commands

// Working a large invitation, one bounded slice a job.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/chatapi"
	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/logging"
	"github.com/chatinvite/invitebot/internal/membership"
	"github.com/chatinvite/invitebot/internal/quota"
)

// ErrMoreWork asks for Work to be called again for the same invitation.
var ErrMoreWork = errors.New("more to do")

// Background returns the job that works an invitation, one bounded slice a
// call: it returns ErrMoreWork while targets remain.
func Background(d Deps) func(ctx context.Context, id string) error {
	return (&Invite{Deps: d}).Work
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
	if inv.Admin && len(iv.Policy.AdminDomains) == 0 {
		// Administrator access was turned off since it started: nothing
		// more is done with it.
		return iv.giveUp(ctx, inv, adminTurnedOff)
	}
	if inv.Admin && !iv.admin {
		// Stored "as admin": every call of its work keeps administrator
		// access, across restarts.
		cp := *iv
		cp.admin, cp.op = true, inv.Op
		iv, ctx = &cp, chatapi.WithAdminAccess(ctx)
	}
	if inv.Trace != "" {
		ctx = logging.With(ctx, logFrom(ctx).With(logging.TraceKey, inv.Trace))
	}
	targets, spaces := targetsOf(inv.Targets)
	// Each call takes its own token (liveToken); this one only says at
	// once whether the user's authorization is still there.
	scopes := iv.scopesFor(inv.Op, targets, spaces, inv.Space)
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
		p   membership.Planned
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
			if inv.Targets[i].State == membership.Done {
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
			go func(p membership.Planned) {
				err := iv.workOne(ctx, ev, inv, scopes, &p)
				results <- worked{i, p, err}
			}(inv.Targets[i])
		}
		if inFlight == 0 {
			break
		}
		// The message moves on time too, not only as results come: while
		// the quota holds every writer back, none come.
		var w worked
		tick := time.NewTimer(max(iv.progressEvery()-iv.Now().Sub(lastUpdate), time.Millisecond))
		select {
		case w = <-results:
			tick.Stop()
		case <-tick.C:
			iv.updateProgress(ctx, inv)
			lastUpdate = iv.Now()
			continue
		}
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
func (iv *Invite) workOne(ctx context.Context, ev *events.Event, inv *membership.Invitation, scopes []string, p *membership.Planned) error {
	r := Result{Target: p.Target, Space: p.Space}
	tag := fmt.Sprintf("%s/%d", inv.ID, p.Seq)
	token, err := iv.liveToken(ctx, inv, scopes)
	if err != nil {
		return err
	}
	if p.State == membership.Sent {
		if iv.doneOnResume(ctx, inv.Op, token, &r, inv.CreatedAt) {
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
	p.State = membership.Sent
	w := writer{
		slot: func(ctx context.Context) error {
			return iv.Pacer.Membership(ctx, quota.Turn{Who: inv.User, Job: inv.ID, Tag: tag})
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
func (iv *Invite) refund(ctx context.Context, inv *membership.Invitation, tag string) {
	if err := iv.Pacer.Refund(ctx, tag); err != nil {
		logFrom(ctx).Warn("give back a quota slot", "invitation", inv.ID, "error", err.Error())
	}
}

func (iv *Invite) record(ctx context.Context, ev *events.Event, inv *membership.Invitation, p *membership.Planned, r Result) error {
	p.State, p.Outcome, p.Detail, p.APIStatus = membership.Done, r.Outcome.String(), r.Detail, r.APIStatus
	p.Target = r.Target // as resolved: a group's address becomes the group
	iv.audit(ctx, ev, &r)
	return iv.Invitations.RecordOutcome(ctx, inv.ID, *p)
}

// finish marks what was not tried (why: stopped, or consent withdrawn),
// shows the final card and closes the invitation.
func (iv *Invite) finish(ctx context.Context, inv *membership.Invitation, notTried string) error {
	for i := range inv.Targets {
		p := &inv.Targets[i]
		if p.State == membership.Done {
			continue
		}
		p.State, p.Outcome, p.Detail = membership.Done, membership.NotTried.String(), notTried
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

func membershipBody(t membership.Target) *chat.Membership {
	body := &chat.Membership{Member: &chat.User{Name: t.Name, Type: "HUMAN"}}
	switch t.Kind {
	case membership.TargetApp:
		body.Member.Type = "BOT"
	case membership.TargetGroup:
		body = &chat.Membership{GroupMember: &chat.Group{Name: t.Name}}
	}
	return body
}
