package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	chat "google.golang.org/api/chat/v1"
	"google.golang.org/api/googleapi"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
	"github.com/chatinvite/invitebot/internal/quota"
)

// attempt tries every (space, target) pair with bounded concurrency.
func (iv *Invite) attempt(ctx context.Context, ev *events.Event, token string, spaces []string, targets []membership.Target) []Result {
	results := make([]Result, 0, len(spaces)*len(targets))
	for _, s := range spaces {
		for _, t := range targets {
			results = append(results, Result{Target: t, Space: s})
		}
	}
	iv.attemptAll(ctx, ev, token, results)
	return results
}

// attemptAll tries each result's (space, target) with bounded concurrency,
// setting its outcome.
func (iv *Invite) attemptAll(ctx context.Context, ev *events.Event, token string, results []Result) {
	settled := iv.settle(ctx, ev, token, results)
	var todo []*Result
	for i := range results {
		if !settled[i] {
			todo = append(todo, &results[i])
		}
	}
	var g errgroup.Group
	g.SetLimit(max(iv.Concurrency, 1))
	for _, r := range todo {
		g.Go(func() error {
			defer func() {
				if r.Detail != deferred { // audited when the background work writes it
					iv.audit(ctx, ev, r)
				}
			}()
			defer func() {
				// A goroutine nothing recovers would take the process
				// down with every request in flight.
				if p := recover(); p != nil {
					logFrom(ctx).Error("invite attempt panicked", "panic", fmt.Sprint(p), "space", r.Space, "target", r.Target.Name)
					r.Outcome, r.Detail = membership.Failed, "something went wrong on the app's side"
				}
			}()
			iv.tryOne(ctx, ev, token, r)
			return nil
		})
	}
	_ = g.Wait()
}

// deferred marks a target that got no write slot while Chat waited: with
// background work available, it is finished there rather than dropped.
const deferred = "deferred to the background"

// canDefer reports whether targets left without a slot can be finished in
// the background.
func (iv *Invite) canDefer() bool {
	return iv.AppMessages != nil && iv.Jobs != nil && iv.Invitations != nil && !closed(iv.Draining)
}

// waitSlot waits for a membership slot: for as long as Chat waits, or a few
// seconds when the background can take over.
func (iv *Invite) waitSlot(ctx context.Context, ev *events.Event) error {
	if iv.canDefer() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, iv.slotWait())
		defer cancel()
	}
	return iv.Pacer.Membership(ctx, quota.Turn{Who: ev.User.Name})
}

// tryOne makes one membership change while a person waits: the shared
// call (change), its retries while Chat's deadline allows; past it, the
// target is deferred to the background when that can take it, else not
// tried.
func (iv *Invite) tryOne(ctx context.Context, ev *events.Event, token string, r *Result) {
	if closed(iv.Draining) {
		r.Outcome, r.Detail = membership.NotTried, restartingNotTried
		return
	}
	if ctx.Err() != nil {
		r.Outcome, r.Detail = membership.NotTried, "the time limit was reached first"
		return
	}
	w := writer{
		slot:   func(ctx context.Context) error { return iv.waitSlot(ctx, ev) },
		token:  func(context.Context) (string, error) { return token, nil },
		refund: func(context.Context) {},
		pause: func(ctx context.Context, attempt int) bool {
			delay := backoff(iv.BackoffBase, attempt)
			if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= delay {
				return false
			}
			return sleep(ctx, delay) && !closed(iv.Draining)
		},
	}
	err := iv.change(ctx, ev, iv.op, w, r)
	switch {
	case err == nil, errors.Is(err, errRejected):
		// The outcome is r's (a 401 makes the command ask for consent).
	case (errors.Is(err, errNoSlot) || errors.Is(err, errGaveUp)) && closed(iv.Draining):
		r.Outcome, r.Detail = membership.NotTried, restartingNotTried
	case errors.Is(err, errNoSlot): // no slot in time
		r.Outcome, r.Detail = membership.NotTried, "the time limit was reached first"
		if ctx.Err() == nil && iv.canDefer() {
			r.Detail = deferred
		}
	case errors.Is(err, errGaveUp) && transientServerError(r.APIStatus):
		// failed, with its status
	case errors.Is(err, errGaveUp):
		r.Outcome, r.Detail = membership.NotTried, "Chat's limit on additions a minute was reached: run /invite again in a minute"
		if iv.canDefer() {
			r.Detail = deferred
		}
	default: // the deadline passed, or the app stopped, with a call under way
		if closed(iv.Halted) {
			r.Detail = restartingInFlight
		}
	}
}

func backoff(base time.Duration, attempt int) time.Duration {
	ceiling := base << min(attempt-1, 6)
	return time.Duration(rand.Int64N(int64(ceiling)) + 1)
}

// sleep waits d unless ctx ends first; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func apiStatus(err error) int {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}

// classifyExisting tells a member from someone invited who has not
// accepted: spaces.members.create answers 409 ALREADY_EXISTS for both, and
// spaces.members.get says which (state JOINED or INVITED).
func (iv *Invite) classifyExisting(ctx context.Context, token string, r *Result) {
	r.APIStatus, r.Outcome = http.StatusConflict, membership.AlreadyMember
	id, ok := strings.CutPrefix(r.Target.Name, "users/")
	if !ok { // a group: its membership name is not derived from the group's
		return
	}
	m, err := iv.Members.GetMembership(ctx, token, r.Space+"/members/"+id)
	if err != nil || m == nil {
		return
	}
	if m.State == "INVITED" {
		// The section's heading says they are yet to accept.
		r.Outcome = membership.AlreadyInvited
	}
	nameFrom(r, m)
}

func classifyMembership(r *Result, m *chat.Membership) {
	if m == nil {
		r.Outcome, r.Detail = membership.Failed, "Chat answered without a membership"
		return
	}
	switch m.State {
	case "JOINED":
		r.Outcome = membership.Added
	case "INVITED":
		r.Outcome = membership.Invited
	default:
		r.Outcome, r.Detail = membership.Failed, "Chat answered with an unexpected state"
		return
	}
	nameFrom(r, m)
}

// nameFrom names r's target as Chat names it in m, when that says more
// than what was typed: the line then shows both.
func nameFrom(r *Result, m *chat.Membership) {
	switch {
	case m.Member != nil && m.Member.DisplayName == r.Target.Typed:
		// The line already says the name.
	case m.Member != nil && m.Member.DisplayName != "":
		r.Detail = m.Member.DisplayName
	case m.Member != nil && m.Member.Name != r.Target.Name:
		r.Detail = m.Member.Name
	case m.GroupMember != nil && m.GroupMember.Name != r.Target.Name:
		r.Detail = m.GroupMember.Name
	}
}

func classifyError(r *Result, err error, ev *events.Event, timedOut bool) {
	switch r.APIStatus {
	case http.StatusNotFound:
		r.Outcome, r.Detail = membership.NotFound, notFoundReason(r.Target)
	case http.StatusForbidden:
		r.Outcome, r.Detail = membership.NotAllowed, notAllowedReason(r, ev, apiMessage(err))
	case http.StatusBadRequest:
		r.Outcome, r.Detail = membership.Invalid, invalidReason(r.Target)
	case http.StatusUnauthorized:
		r.Outcome, r.Detail = membership.Failed, "your authorization was rejected"
	case 0:
		if timedOut {
			r.Outcome, r.Detail = membership.Failed, "no answer before the time limit (it may still happen)"
		} else {
			r.Outcome, r.Detail = membership.Failed, "Chat could not be reached"
		}
	default:
		r.Outcome, r.Detail = membership.Failed, fmt.Sprintf("Chat answered with an error (%d)", r.APIStatus)
	}
}

func apiMessage(err error) string {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return strings.ToLower(ge.Message)
	}
	return ""
}

// notFoundReason says who was not found. A space that was not found is
// told apart afterwards (explainNotFound).
func notFoundReason(t membership.Target) string {
	switch t.Kind {
	case membership.TargetGroup:
		return "no such group, or it is not visible to you"
	case membership.TargetApp:
		return "the space was not found, or you are not a member of it"
	}
	if t.Email == "" {
		return "no such user; people outside your organization must be named by email"
	}
	return "no Google account with this email"
}

// spaceNotFound is the reason when the space, not the person, is missing.
const spaceNotFound = "the space was not found, or you are not a member of it"

// notAllowedReason says what would allow it. Google does not document its
// 403 messages: they are read for the likely cause, with a sentence that
// helps whatever the cause when they say nothing known.
func notAllowedReason(r *Result, ev *events.Event, msg string) string {
	switch {
	case r.Space == ev.Space.Name && ev.Space.SpaceType == "DIRECT_MESSAGE":
		return "people can't be added to a direct message: create a space or a group chat"
	case strings.Contains(msg, "outside") || strings.Contains(msg, "external"):
		return "this space doesn't allow people outside your organization: a space manager can allow them in its settings"
	case strings.Contains(msg, "not a member"):
		return "you are not a member of that space: ask one of its members to invite them"
	case strings.Contains(msg, "manager"):
		return "only the space's managers can add people to it"
	case r.Target.Kind == membership.TargetApp:
		return "you may not add apps to that space: a space manager can, if your organization allows it"
	case r.Target.Email != "":
		return "the space's settings or your organization's policy don't allow it: ask a space manager or your admin"
	}
	return "the space's settings don't let you add people: ask a space manager (people outside your organization must be named by email)"
}

// askAManager ends the reasons that send a person to a space manager.
var askAManager = []string{": a space manager can allow them in its settings", ": a space manager can, if your organization allows it"}

// toManager words a refusal for who asked: a manager of the space (its
// membership read moments ago says so) is not told to ask one.
func (iv *Invite) toManager(ev *events.Event, r *Result) {
	if r.Outcome != membership.NotAllowed || iv.callers == nil || iv.Now == nil {
		return
	}
	m, ok := iv.callers.get(ev.User.Name, r.Space, iv.Now())
	if !ok || m.Role != "ROLE_MANAGER" {
		return
	}
	for _, s := range askAManager {
		r.Detail = strings.TrimSuffix(r.Detail, s)
	}
	r.Detail = strings.Replace(r.Detail, "ask a space manager or your admin", "ask your admin", 1)
}

func invalidReason(t membership.Target) string {
	if t.Kind == membership.TargetGroup {
		return "groups can only be added to named spaces"
	}
	return "Chat did not accept this name"
}

func (iv *Invite) audit(ctx context.Context, ev *events.Event, r *Result) {
	if isPreviewing(ctx) { // nothing was attempted
		return
	}
	level, attrs := slog.LevelInfo, []slog.Attr{
		slog.String("inviter", ev.User.Name), slog.String("space", r.Space), slog.String("target", r.Target.Name),
		slog.String("outcome", r.Outcome.String()), slog.Int("api_status", r.APIStatus), slog.Int("attempts", r.Attempts)}
	if iv.admin {
		level, attrs = adminAudit(iv.op, attrs)
	}
	logFrom(ctx).LogAttrs(ctx, level, "invite attempt", attrs...)
}
