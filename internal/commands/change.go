package commands

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	chat "google.golang.org/api/chat/v1"
	"google.golang.org/api/googleapi"

	"github.com/chatinvite/invitebot/internal/chatapi"
	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// writer is how one membership change waits and what it may do while it
// retries: a person waiting for the answer (bounded by Chat's deadline,
// the rest deferred), or background work (waiting it out, every call with
// a token checked live, refused calls' slots given back).
type writer struct {
	// slot takes a write slot within Google's quotas.
	slot func(ctx context.Context) error
	// token is the user's token for the next call.
	token func(ctx context.Context) (string, error)
	// refund gives back the slot of a call Google did not count.
	refund func(ctx context.Context)
	// pause waits before a retry; false ends the retries (the answer so
	// far stands, for the caller to read).
	pause func(ctx context.Context, attempt int) bool
}

// Errors change returns besides ctx's, slot's and token's.
var (
	// errGaveUp: pause ended the retries of a 429, 503 or passing 5xx.
	errGaveUp = errors.New("retries ended")
	// errRejected: Chat answered 401: the user's authorization is gone.
	errRejected = errors.New("authorization rejected")
	// errNoSlot wraps slot's error: no write slot was had.
	errNoSlot = errors.New("no write slot")
)

// change makes one membership change for r with the one policy every size
// shares: the call; its answer read as an outcome (409 as already there);
// 429 RESOURCE_EXHAUSTED, 503 and up to maxServerErrors passing 500, 502 or
// 504 tried again after a pause in a slot of their own, the refused call's
// slot given back (Google did not count it). After a passing 5xx a 409 is
// checked first: the earlier call may have added them after all.
//
// It returns nil with r's outcome set; errGaveUp with r.APIStatus the last
// refusal; errRejected on a 401; ctx's error when the call may have gone
// out; slot's error wrapped in errNoSlot; or token's error.
func (iv *Invite) change(ctx context.Context, ev *events.Event, op membership.Op, w writer, r *Result) error {
	defer iv.toManager(ev, r)
	if err := w.slot(ctx); err != nil {
		return fmt.Errorf("%w: %w", errNoSlot, err)
	}
	body := membershipBody(r.Target)
	serverErrors := 0
	began := iv.Now() // a membership older than this is not this change's doing
	for {
		token, err := w.token(ctx)
		if err != nil {
			w.refund(ctx)
			return err
		}
		r.Attempts++
		var m *chat.Membership
		if op == membership.Remove {
			m, err = iv.removeOne(ctx, ev, token, r)
		} else {
			m, err = iv.Members.CreateMembership(ctx, token, r.Space, body)
		}
		if errors.Is(err, errSelf) {
			r.Outcome, r.Detail = membership.NotTried, "that is you: type /remove me to leave"
			return nil
		}
		if err == nil {
			r.APIStatus = http.StatusOK
			if op == membership.Remove {
				classifyRemoved(r, m)
			} else {
				classifyMembership(r, m)
			}
			return nil
		}
		r.APIStatus = apiStatus(err)
		if r.APIStatus == http.StatusUnauthorized {
			w.refund(ctx)
			classifyError(r, err, ev, false)
			return errRejected
		}
		if transientServerError(r.APIStatus) {
			serverErrors++
		}
		if r.APIStatus == http.StatusTooManyRequests || r.APIStatus == http.StatusServiceUnavailable ||
			(transientServerError(r.APIStatus) && serverErrors < maxServerErrors) {
			w.refund(ctx)
			if !w.pause(ctx, r.Attempts) {
				if transientServerError(r.APIStatus) {
					classifyError(r, err, ev, false)
				}
				return errGaveUp
			}
			if err := w.slot(ctx); err != nil {
				return fmt.Errorf("%w: %w", errNoSlot, err)
			}
			continue
		}
		if r.APIStatus == 0 && ctx.Err() != nil {
			classifyError(r, err, ev, true)
			return ctx.Err() // the call may have gone out
		}
		if transientServerError(r.APIStatus) {
			classifyError(r, err, ev, false)
			return nil
		}
		switch {
		case iv.admin && r.APIStatus == http.StatusForbidden:
			r.Outcome, r.Detail = membership.NotAllowed, privilegeMissingReason
		case op == membership.Remove && r.APIStatus == http.StatusNotFound:
			// After a passing 5xx, the earlier call may have removed them.
			r.Outcome, r.Detail = membership.NotAMember, ""
			if serverErrors > 0 {
				r.Outcome = membership.Removed
			}
		case op == membership.Remove && r.APIStatus == http.StatusForbidden:
			r.Outcome, r.Detail = membership.NotAllowed, "only space managers can remove others, and only a space manager a space manager"
		case r.APIStatus == http.StatusConflict:
			if serverErrors == 0 || !iv.alreadyThere(ctx, token, r, began) {
				iv.classifyExisting(ctx, token, r)
			}
		case op == membership.Add && r.APIStatus == http.StatusNotFound && isAddress(r.Target) && iv.Groups != nil:
			// Nobody has the address: it may be a group's (groupaddr.go).
			switch iv.findGroup(ctx, ev, r) {
			case groupFound:
				body = membershipBody(r.Target)
				if err := w.slot(ctx); err != nil {
					return fmt.Errorf("%w: %w", errNoSlot, err)
				}
				continue
			case groupNeedsConsent:
				r.Outcome, r.Detail = membership.NotFound, mayBeGroup
			default:
				classifyError(r, err, ev, false)
			}
		default:
			classifyError(r, err, ev, ctx.Err() != nil)
		}
		return nil
	}
}

// errSelf: a /remove named its caller other than as "me".
var errSelf = errors.New("the caller named themselves")

// removeOne calls spaces.members.delete for r. A person is read first
// (spaces.members.get, by id or email) so that the caller is never removed
// by accident (only "/remove me" does that) and the card names whoever was
// removed; a group's membership is found in the space's list (its name is
// not derived from the group's); the app is "members/app". A target that
// is not there answers 404, as Chat's delete would.
func (iv *Invite) removeOne(ctx context.Context, ev *events.Event, token string, r *Result) (*chat.Membership, error) {
	var name string
	switch r.Target.Kind {
	case membership.TargetApp:
		name = r.Space + "/members/app"
	case membership.TargetGroup:
		err := iv.Members.ListMembers(ctx, token, r.Space, chatapi.ListOptions{ShowGroups: true}, func(m *chat.Membership) error {
			if m.GroupMember != nil && strings.EqualFold(m.GroupMember.Name, r.Target.Name) {
				name = m.Name
				return chatapi.ErrStopListing
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if name == "" {
			return nil, &googleapi.Error{Code: http.StatusNotFound, Message: "no membership of that group"}
		}
	default:
		ref := strings.TrimPrefix(r.Target.Name, "users/")
		m, err := iv.Members.GetMembership(ctx, token, r.Space+"/members/"+ref)
		if err != nil {
			return nil, err
		}
		if m.Member != nil && m.Member.Name == ev.User.Name && r.Target.Typed != selfWord {
			return nil, errSelf
		}
		name = m.Name
	}
	return iv.Members.DeleteMembership(ctx, token, name)
}

// classifyRemoved reads a deleted membership: removed, named as Chat names
// them when that says more than what was typed.
func classifyRemoved(r *Result, m *chat.Membership) {
	r.Outcome, r.Detail = membership.Removed, ""
	if m != nil && m.Member != nil && m.Member.DisplayName != "" && m.Member.DisplayName != r.Target.Typed {
		r.Detail = m.Member.DisplayName
	}
}

// alreadyThere checks a target whose call may have gone out: a membership
// found is that call's outcome, unless Chat created it before since (the
// change began): then they were there already, and say so, so that Undo
// never removes them. Chat's createTime may have whole seconds only
// (Membership.createTime, https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces.members),
// so only a membership from an earlier second counts as older.
func (iv *Invite) alreadyThere(ctx context.Context, token string, r *Result, since time.Time) bool {
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
	if created, err := time.Parse(time.RFC3339Nano, m.CreateTime); err == nil && created.Before(since.Truncate(time.Second)) {
		switch r.Outcome {
		case membership.Added:
			r.Outcome = membership.AlreadyMember
			return true
		case membership.Invited:
			r.Outcome = membership.AlreadyInvited
			return true
		}
	}
	return r.Outcome == membership.Added || r.Outcome == membership.Invited
}

// doneOnResume checks a target whose call may have gone out before a stop
// or crash: an added person found there, or a removed one found gone, is
// that call's outcome.
func (iv *Invite) doneOnResume(ctx context.Context, op membership.Op, token string, r *Result, since time.Time) bool {
	if op == membership.Add {
		return iv.alreadyThere(ctx, token, r, since)
	}
	id, ok := strings.CutPrefix(r.Target.Name, "users/")
	if !ok {
		return false // a group or the app: deleted again, or found gone
	}
	_, err := iv.Members.GetMembership(ctx, token, r.Space+"/members/"+id)
	if apiStatus(err) != http.StatusNotFound {
		return false
	}
	r.APIStatus, r.Outcome = http.StatusOK, membership.Removed
	return true
}
