package commands

// A Google Group named by its address.
//
// People paste a group's address (eng@example.com); Chat adds a group only
// as groupMember groups/{id} (Membership.groupMember.name in the chat/v1
// discovery document), and answers 404 to users/{a group's address}. The
// address is looked up (Cloud Identity groups.lookup) only after Chat said
// no account has it: a pasted list of people costs no lookup at all, where
// looking up every address of the organization's domain first would cost
// one call per person for the rare group. The lookup's scope is asked for
// only when a lookup is first needed: without it, the line says the
// address may be a group and the card offers the consent.

import (
	"context"
	"html"
	"strconv"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/cloudidentity"
	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// ScopeGroupsRead lets Invite find a group by its address.
const ScopeGroupsRead = cloudidentity.ScopeGroupsReadonly

// GroupFinder finds a Google Group by its address; the cloudidentity
// package implements it.
type GroupFinder interface {
	// FindGroup returns the group's name (groups/{id}) and display name;
	// found is false when no group has that address.
	FindGroup(ctx context.Context, accessToken, email string) (name, displayName string, found bool, err error)
}

// mayBeGroup is the reason of an address nobody has when Invite may not
// look groups up yet.
const mayBeGroup = "no Google account with this email (if it is a Google Group, Invite needs your permission to look groups up)"

// groupLookup is what looking an address up found.
type groupLookup int

const (
	noGroup groupLookup = iota
	groupFound
	groupNeedsConsent
)

// isAddress: a person named by email, which may be a group's address.
func isAddress(t membership.Target) bool {
	return t.Kind == membership.TargetUser && t.Email != ""
}

// findGroup looks r's address up as a group; found, r's target becomes the
// group (as typed), its display name r's detail.
func (iv *Invite) findGroup(ctx context.Context, ev *events.Event, r *Result) groupLookup {
	token, err := iv.Auth.AccessToken(ctx, ev.User.Name, []string{ScopeGroupsRead})
	if consentRequired(err) {
		return groupNeedsConsent
	}
	if err != nil {
		logFrom(ctx).Warn("token to look a group up", "error", err.Error())
		return noGroup
	}
	name, display, found, err := iv.Groups.FindGroup(ctx, token, r.Target.Email)
	switch {
	case cloudidentity.InsufficientScope(err):
		return groupNeedsConsent
	case err != nil:
		logFrom(ctx).Warn("look a group up", "error", err.Error())
		return noGroup
	case !found:
		return noGroup
	}
	r.Target = membership.Target{Kind: membership.TargetGroup, Typed: r.Target.Typed, Name: name, Email: r.Target.Email}
	r.Detail = "group"
	if display != "" {
		r.Detail = display + " (group)"
	}
	return groupFound
}

// groupAwareCards is the result card; when an address may be a group
// Invite could not look up, with a section whose button gives Invite that
// permission, the card's lines cut (as resultCards cuts them) so that both
// stay within Chat's limits.
func (iv *Invite) groupAwareCards(ctx context.Context, ev *events.Event, results []Result, spaces []string, extra ...*chat.GoogleAppsCardV1Section) []*chat.CardWithId {
	if sec := iv.groupConsentSection(ctx, ev, results); sec != nil {
		extra = append([]*chat.GoogleAppsCardV1Section{sec}, extra...)
	}
	return resultCards(iv.op, results, ev.Space, spaces, extra...)
}

// groupConsentSection offers the permission to look groups up, or nil
// when no line needs it.
func (iv *Invite) groupConsentSection(ctx context.Context, ev *events.Event, results []Result) *chat.GoogleAppsCardV1Section {
	var addrs []string
	for _, r := range results {
		if r.Detail == mayBeGroup {
			addrs = append(addrs, r.Target.Typed)
		}
	}
	if len(addrs) == 0 {
		return nil
	}
	// No config-complete URL: after consent the page says to run the
	// command again (Chat re-sends only a message its prompt held back).
	// Only the lookup's scope: the person has authorized Invite already.
	purpose := "add " + addrs[0] + " as a Google Group"
	link, err := consentLink(ctx, iv.Auth, ev.User.Name, "", []string{ScopeGroupsRead}, purpose)
	if err != nil {
		logFrom(ctx).Warn("consent link for group lookups", "error", err.Error())
		return nil
	}
	which := html.EscapeString(shorten(addrs[0]))
	if len(addrs) > 1 {
		which += " and " + strconv.Itoa(len(addrs)-1) + " more"
	}
	return section("Is it a group?",
		paragraph("No Google account has the address "+which+". If it is a Google Group, allow Invite to look groups up, then run your command again: the group is added as a group."),
		&chat.GoogleAppsCardV1Widget{ButtonList: &chat.GoogleAppsCardV1ButtonList{Buttons: []*chat.GoogleAppsCardV1Button{{
			Text: "Allow group lookups", OnClick: &chat.GoogleAppsCardV1OnClick{OpenLink: &chat.GoogleAppsCardV1OpenLink{Url: link}},
		}}}})
}

// whoCount counts the people and groups with outcome o: "1 person",
// "2 people and 1 group", "1 group".
func whoCount(results []Result, o membership.Outcome) string {
	var persons, groups int
	for _, r := range results {
		if r.Outcome != o {
			continue
		}
		if r.Target.Kind == membership.TargetGroup {
			groups++
		} else {
			persons++
		}
	}
	switch {
	case groups == 0:
		return people(persons)
	case persons == 0:
		return plural(groups, "group", "groups")
	}
	return people(persons) + " and " + plural(groups, "group", "groups")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
