package commands

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/chatapi"
	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// copyMembers invites everyone in the CopyFrom spaces who is not already in
// the target spaces (apps are left out unless named), as a large
// invitation. Listing members takes the user's own chat.memberships scope.
//
// Each destination is read first, with its groups and invited people
// (spaces.members.list omits them unless showGroups and showInvited ask):
// its members are left out, and people it has already invited are reported
// "already invited" without a write. Each source is then read page by page,
// with its groups, and reading stops as soon as the invitation would pass
// the app's maximum. Copied people are named by email when the list gives
// it ("users/{email}": Google adds people of another organization, or with
// a consumer account, by email only; create-members guide), so the domain
// policy applies to them too.
func (iv *Invite) copyMembers(ctx context.Context, ev *events.Event, spaces []string, req InviteRequest) events.Reply {
	if iv.AppMessages == nil || iv.Jobs == nil || iv.Invitations == nil {
		return iv.startPlanned(ctx, ev, nil, true) // the refusal, said once
	}
	token, refusal := iv.copyToken(ctx, ev, spaces, req)
	if refusal != nil {
		return *refusal
	}
	plans, _, refusal := iv.copyPlans(ctx, ev, token, spaces, req)
	if refusal != nil {
		return *refusal
	}
	return iv.startPlanned(ctx, ev, plans, true)
}

// copyToken is the user's token for a copy: listing members takes their
// own chat.memberships scope.
func (iv *Invite) copyToken(ctx context.Context, ev *events.Event, spaces []string, req InviteRequest) (string, *events.Reply) {
	scopes := append(neededScopes(membership.Add, req.Targets, spaces, ev.Space.Name), ScopeMemberships)
	token, err := iv.Auth.AccessToken(ctx, ev.User.Name, slices.Compact(slices.Sorted(slices.Values(scopes))))
	if consentRequired(err) {
		r := consentPrompt(ctx, iv.Auth, ev, []string{ScopeMemberships})
		return "", &r
	}
	if err != nil {
		r := failure(ctx, "get access token", err)
		return "", &r
	}
	return token, nil
}

// copyPlans reads the destinations and the sources of a copy and plans it:
// every target to write, and those already there (named ones reported).
// It writes nothing. unread are the destinations whose members could not
// be read; a refusal says why nothing would be done.
func (iv *Invite) copyPlans(ctx context.Context, ev *events.Event, token string, spaces []string, req InviteRequest) (plans []membership.Planned, unread []string, refusal *events.Reply) {
	refuse := func(r events.Reply) ([]membership.Planned, []string, *events.Reply) { return nil, nil, &r }
	dests := make([]presence, len(spaces))
	for i, s := range spaces {
		dests[i] = presence{}
		err := iv.Members.ListMembers(ctx, token, s, chatapi.ListOptions{ShowGroups: true, ShowInvited: true}, func(m *chat.Membership) error {
			dests[i].add(m)
			return nil
		})
		if err != nil {
			// Not fatal: each create call then says what is already there.
			logFrom(ctx).Warn("list the destination's members", "space", s, "error", err.Error())
			unread = append(unread, s)
		}
	}
	writes := 0
	// named: a target typed beside "members of" is reported even when it
	// is already there; a copied one is then left out.
	plan := func(t membership.Target, named bool, keys ...string) {
		for i, s := range spaces {
			p := membership.Planned{Space: s, Target: t}
			switch dests[i].state(keys...) {
			case "JOINED":
				if !named {
					continue
				}
				p.State, p.Outcome, p.Detail = membership.Done, membership.AlreadyMember.String(), ""
			case "INVITED":
				p.State, p.Outcome, p.Detail = membership.Done, membership.AlreadyInvited.String(), ""
			default:
				writes++
			}
			plans = append(plans, p)
		}
	}
	for _, t := range req.Targets {
		plan(t, true, t.Name, t.Email)
	}
	tooMany := false
	seen := map[string]bool{}
	for _, src := range req.CopyFrom {
		err := iv.Members.ListMembers(ctx, token, src, chatapi.ListOptions{ShowGroups: true}, func(m *chat.Membership) error {
			t, key, ok := copied(m)
			if !ok || seen[key] {
				return nil
			}
			seen[key] = true
			plan(t, false, key, t.Email)
			if writes > iv.Policy.MaxTargets {
				tooMany = true
				return chatapi.ErrStopListing
			}
			return nil
		})
		if err != nil {
			why := "I could not list its members"
			if s := apiStatus(err); s == http.StatusNotFound || s == http.StatusForbidden {
				why = "it was not found, or you are not a member of it"
			}
			return refuse(events.Reply{Private: true, Cards: refusalCards("Nothing was done", src+": "+why+".")})
		}
		if tooMany {
			break
		}
	}
	if tooMany {
		return refuse(events.Reply{Private: true, Cards: refusalCards("Too many at once", fmt.Sprintf(
			"That is more than %d invitations, the most this app allows in one command.", iv.Policy.MaxTargets))})
	}
	if writes == 0 {
		return refuse(events.Reply{Private: true, Cards: refusalCards("Nobody to invite",
			"Everyone in "+strings.Join(req.CopyFrom, ", ")+" is already here, or already invited.")})
	}
	return plans, unread, nil
}

// copied is the target a source space's membership becomes, and the key
// that matches it in another space's list (the user's or group's resource
// name); apps, and memberships naming nobody, are not copied.
func copied(m *chat.Membership) (membership.Target, string, bool) {
	switch {
	case m.GroupMember != nil && m.GroupMember.Name != "":
		return membership.Target{Kind: membership.TargetGroup, Typed: m.GroupMember.Name, Name: m.GroupMember.Name}, m.GroupMember.Name, true
	case m.Member == nil || m.Member.Name == "" || m.Member.Type == "BOT":
		return membership.Target{}, "", false
	}
	u := m.Member
	t := membership.Target{Kind: membership.TargetUser, Typed: u.DisplayName, Name: u.Name}
	if email := strings.ToLower(u.Email); email != "" {
		t.Name, t.Email = "users/"+email, email
	}
	if t.Typed == "" {
		t.Typed = strings.TrimPrefix(t.Name, "users/")
	}
	return t, u.Name, true
}

// presence is who a space holds: resource names and emails, lower-cased,
// to their membership state (JOINED or INVITED).
type presence map[string]string

func (p presence) add(m *chat.Membership) {
	state := m.State
	if state == "" {
		state = "JOINED"
	}
	if m.GroupMember != nil {
		p[strings.ToLower(m.GroupMember.Name)] = state
	}
	if m.Member != nil {
		p[strings.ToLower(m.Member.Name)] = state
		if m.Member.Email != "" {
			p["users/"+strings.ToLower(m.Member.Email)] = state
			p[strings.ToLower(m.Member.Email)] = state
		}
	}
}

// state is the state of the first key found, or "".
func (p presence) state(keys ...string) string {
	for _, k := range keys {
		if k == "" {
			continue
		}
		if s, ok := p[strings.ToLower(k)]; ok {
			return s
		}
	}
	return ""
}
