package commands

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// settle decides, before anything is stored or any membership written,
// what needs no write: the app already in the space the command came from,
// an address the domain policy refuses, and every target of a space the
// caller may not invite to (not a member of it; with INVITE_REQUIRE_MANAGER,
// not an owner or manager). It is the one policy check of every /invite,
// small, large and "members of" alike. Results it settles get their outcome
// and are audited; it reports which.
func (iv *Invite) settle(ctx context.Context, ev *events.Event, token string, rs []Result) []bool {
	settled := make([]bool, len(rs))
	var spaces []string
	for i := range rs {
		r := &rs[i]
		refusal := ""
		if iv.admin {
			refusal = iv.adminRefuses(r.Target)
		}
		switch {
		case refusal != "":
			// Google does not support it with admin access: refused before any call.
			r.Outcome, r.Detail = membership.NotAllowed, refusal
		case iv.op == membership.Add && r.Target.Kind == membership.TargetApp && r.Space == ev.Space.Name:
			// Chat sent this event from the space: the app is in it.
			r.Outcome, r.Detail = membership.AlreadyMember, "Invite is already in this space"
		case iv.op == membership.Add && !iv.domainAllowed(r.Target):
			r.Outcome, r.Detail = membership.NotTried, "not allowed by this app's policy"
		default:
			if !slices.Contains(spaces, r.Space) {
				spaces = append(spaces, r.Space)
			}
			continue
		}
		settled[i] = true
		iv.audit(ctx, ev, r)
	}
	if iv.admin {
		spaces = nil // administrators need not be members (useAdminAccess)
	}
	blocked := map[string]Result{}
	for _, s := range spaces {
		if b, ok := iv.checkCaller(ctx, ev, token, s); !ok {
			blocked[s] = b
		}
	}
	for i := range rs {
		r := &rs[i]
		if b, ok := blocked[r.Space]; ok && !settled[i] {
			if iv.op == membership.Remove && r.Target.Typed == selfWord && b.Outcome == membership.NotTried {
				continue // the manager rule is about others: anyone may leave
			}
			r.Outcome, r.Detail, r.APIStatus = b.Outcome, b.Detail, b.APIStatus
			settled[i] = true
			iv.audit(ctx, ev, r)
		}
	}
	return settled
}

func (iv *Invite) domainAllowed(t membership.Target) bool {
	if len(iv.Policy.AllowedDomains) == 0 || t.Email == "" {
		return true
	}
	_, domain, _ := strings.Cut(t.Email, "@")
	return slices.Contains(iv.Policy.AllowedDomains, domain)
}

// checkCaller reads the caller's membership of space: someone who is not a
// member may not add anyone there, and with INVITE_REQUIRE_MANAGER only its
// owners and managers may. When the read fails for another reason, the
// membership calls themselves tell (unless the manager rule needs the role).
func (iv *Invite) checkCaller(ctx context.Context, ev *events.Event, token, space string) (Result, bool) {
	m, fresh := iv.callers.get(ev.User.Name, space, iv.Now())
	var err error
	if !fresh {
		id := strings.TrimPrefix(ev.User.Name, "users/")
		m, err = iv.Members.GetMembership(ctx, token, space+"/members/"+id)
		if err == nil {
			iv.callers.put(ev.User.Name, space, m, iv.Now())
		}
	}
	if err != nil {
		status := apiStatus(err)
		switch {
		case status == http.StatusNotFound || status == http.StatusForbidden:
			// Chat does not tell a space that does not exist from one the
			// caller cannot see.
			return Result{Outcome: membership.NotFound, Detail: spaceNotFound, APIStatus: status}, false
		case status == http.StatusUnauthorized:
			return Result{Outcome: membership.Failed, APIStatus: status}, false
		case iv.Policy.RequireManager:
			return Result{Outcome: membership.Failed, Detail: "could not check your role in that space", APIStatus: status}, false
		}
		return Result{}, true
	}
	if m != nil && m.State == "INVITED" {
		return Result{Outcome: membership.NotAllowed, Detail: "you are invited to that space but have not joined it yet", APIStatus: http.StatusForbidden}, false
	}
	if iv.Policy.RequireManager && (m == nil || (m.Role != "ROLE_MANAGER" && m.Role != "ROLE_ASSISTANT_MANAGER")) {
		return Result{Outcome: membership.NotTried, Detail: "only owners and managers of that space may " + map[membership.Op]string{membership.Add: "invite", membership.Remove: "remove"}[iv.op] + " (this app's policy)"}, false
	}
	return Result{}, true
}
