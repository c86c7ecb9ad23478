package commands

// Administrator mode: "/invite … to spaces/X as admin" and "/remove … from
// spaces/X as admin" run every call with useAdminAccess=true
// (spaces.members.create, delete, get and list in the chat/v1 discovery
// document; https://developers.google.com/workspace/chat/admin-overview):
// the caller needs the Admin console privilege "Manage Chat and spaces
// conversations" (https://support.google.com/a/answer/13369245) and the
// scope chat.admin.memberships, and need not be a member of the space.
// Chat shows the change as made by "the organization's administrator".

import (
	"context"
	"html"
	"log/slog"
	"net/http"
	"strings"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/chatapi"
	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/logging"
	"github.com/chatinvite/invitebot/internal/membership"
)

// adminWord ends a command run with administrator access: "as admin".
const adminWord = "admin"

// adminParseRules: admin mode names its spaces (never the space the
// command is typed in by default, so nobody acts as administrator there by
// surprise), and does not copy a space's members (listing one with admin
// access would need chat.admin.memberships.readonly too; it is refused
// rather than half supported).
func adminParseRules(req InviteRequest, spacesWord string) error {
	if len(req.CopyFrom) > 0 {
		return &ParseError{Token: "members of", Reason: "can't be used “as admin”: name the people to add, or copy the members without “as admin”"}
	}
	if len(req.Spaces) == 0 {
		return &ParseError{Token: "as admin", Reason: "needs the space named: add “" + spacesWord + " spaces/…” (or a link to the space) before “as admin”; it never applies to this space by default"}
	}
	return nil
}

// asAdmin runs a command that ended "as admin", if the operator allowed it.
func (iv *Invite) asAdmin(ctx context.Context, ev *events.Event, req InviteRequest) events.Reply {
	if len(iv.Policy.AdminDomains) == 0 {
		return events.Reply{Private: true, Cards: refusalCards("Administrator access is off",
			"This Invite does not act “as admin”. An operator of Invite must turn it on (the setting INVITE_ADMIN_ACCESS, naming the organization's domains) before administrators can use it; without “as admin”, the command works as usual for members of the space.")}
	}
	admin := *iv
	admin.admin = true
	return admin.execute(chatapi.WithAdminAccess(ctx), ev, req)
}

// scopesFor are the scopes a change needs: with administrator access,
// chat.admin.memberships alone covers create, delete, get and list.
func (iv *Invite) scopesFor(op membership.Op, targets []membership.Target, spaces []string, here string) []string {
	if iv.admin {
		return []string{ScopeAdminMemberships}
	}
	return neededScopes(op, targets, spaces, here)
}

// adminRefuses says why a target cannot be changed with administrator
// access, before any call, as Google states it: "Creating app memberships
// or creating memberships for users outside the administrator's Google
// Workspace organization isn't supported using admin access"
// (spaces.members.create), "Deleting app memberships in a space isn't
// supported using admin access" (spaces.members.delete). The
// organization's domains are INVITE_ALLOWED_DOMAINS (required with
// INVITE_ADMIN_ACCESS); people named by id are of the organization, as
// Google names others only by email.
func (iv *Invite) adminRefuses(t membership.Target) string {
	if t.Kind == membership.TargetApp {
		return "administrators can't add or remove apps: Google does not support it with administrator access"
	}
	if iv.op != membership.Add || t.Email == "" {
		return ""
	}
	_, domain, _ := strings.Cut(t.Email, "@")
	for _, d := range iv.Policy.AdminDomains {
		if domain == d {
			return ""
		}
	}
	return "administrators can add only people of your organization: Google does not support adding others with administrator access (a member of the space can invite them)"
}

// privilegeMissingReason is a 403 with administrator access: the account
// lacks the privilege (or Google refused it for this space).
const privilegeMissingReason = "your account lacks the administrator privilege “Manage Chat and spaces conversations”"

// privilegeMissing reports whether every call made was refused for want of
// the privilege.
func privilegeMissing(results []Result) bool {
	called := 0
	for _, r := range results {
		if r.APIStatus == 0 {
			continue // refused before any call
		}
		called++
		if r.APIStatus != http.StatusForbidden || r.Detail != privilegeMissingReason {
			return false
		}
	}
	return called > 0
}

// privilegeCards say that the account lacks the privilege, and what grants it.
func privilegeCards() []*chat.CardWithId {
	return card("invite-admin-denied", "You are not a Chat administrator", "Nothing was done",
		section("", paragraph(html.EscapeString("Google refused administrator access: your account lacks the administrator privilege “Manage Chat and spaces conversations”."))),
		section("What grants it", paragraph(html.EscapeString(
			"Super administrators have it. Another administrator gets it from a super administrator in the Google Admin console: "+
				"Account › Admin roles › a role › Privileges › Admin console privileges › Services › Chat and spaces conversations › "+
				"Manage Chat and spaces conversations, then that role assigned to you (support.google.com/a/answer/13369245). "+
				"Without it, leave out “as admin”: members of a space can invite as usual."))))
}

// administered marks result cards of an administrator's change.
func (iv *Invite) administered(cards []*chat.CardWithId) []*chat.CardWithId {
	if !iv.admin {
		return cards
	}
	return administeredCards(cards)
}

// administeredCards say in their title that the change was made as
// administrator, as Chat shows it to the space ("the organization's
// administrator added …").
func administeredCards(cards []*chat.CardWithId) []*chat.CardWithId {
	for _, c := range cards {
		if c.Card != nil && c.Card.Header != nil {
			c.Card.Header.Title += " as administrator"
		}
	}
	return cards
}

// adminAudit raises an administrator's audit line to NOTICE, marked
// admin=true: Cloud Logging's severity>=NOTICE finds every one.
func adminAudit(op membership.Op, attrs []slog.Attr) (slog.Level, []slog.Attr) {
	what := "add"
	if op == membership.Remove {
		what = "remove"
	}
	return logging.LevelNotice, append(attrs, slog.Bool("admin", true), slog.String("op", what))
}

// adminBox is the form's checkbox for "as admin".
const adminBox = "admin"

// formDialog is the /invite form, with an "As administrator" checkbox for
// those who granted chat.admin.memberships where the operator allowed it
// (never offered to others: ticking it would only lead to a refusal).
func (iv *Invite) formDialog(ctx context.Context, ev *events.Event, people, spaces, problem string, checked bool) *chat.GoogleAppsCardV1Card {
	dialog := iv.withSpacePicker(ctx, ev, inviteDialog(ev, people, spaces, problem))
	if len(iv.Policy.AdminDomains) == 0 {
		return dialog
	}
	if !checked {
		if _, err := iv.Auth.AccessToken(ctx, ev.User.Name, []string{ScopeAdminMemberships}); err != nil {
			return dialog
		}
	}
	box := &chat.GoogleAppsCardV1Widget{SelectionInput: &chat.GoogleAppsCardV1SelectionInput{
		Name: adminBox, Type: "CHECK_BOX",
		Items: []*chat.GoogleAppsCardV1SelectionItem{{
			Text: "As administrator: any space of your organization (name the spaces)", Value: "true", Selected: checked,
		}},
	}}
	sec := dialog.Sections[0]
	n := len(sec.Widgets)
	// Before the button, which is the last widget.
	btn := sec.Widgets[n-1]
	sec.Widgets = append(sec.Widgets[:n-1:n-1], box, btn)
	return dialog
}

// adminTurnedOff is why the rest of an invitation made "as admin" is not
// tried once an operator turned administrator access off.
const adminTurnedOff = "not tried: administrator access was turned off by this app's operator"
