package commands

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/chatapi"
	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// Members is the part of the Chat API /invite calls.
type Members interface {
	CreateMembership(ctx context.Context, accessToken, space string, m *chat.Membership) (*chat.Membership, error)
	GetMembership(ctx context.Context, accessToken, name string) (*chat.Membership, error)
	DeleteMembership(ctx context.Context, accessToken, name string) (*chat.Membership, error)
	// ListMembers hands each of a space's members to each, page by page
	// (joined people and apps; groups and invited people as opt asks); each
	// returning chatapi.ErrStopListing ends it early.
	ListMembers(ctx context.Context, accessToken, space string, opt chatapi.ListOptions, each func(*chat.Membership) error) error
}

// Policy is what an admin allows /invite to do.
type Policy struct {
	MaxTargets     int
	AllowedDomains []string // lower-case; empty: any
	RequireManager bool
	Public         bool // post results for the space instead of privately
	// AdminDomains are the organization's domains (INVITE_ADMIN_ACCESS):
	// set, "as admin" runs, adding only people of these domains.
	AdminDomains []string
}

// Invite runs /invite, and /remove on the same engine (op Remove).
type Invite struct {
	Deps
	op membership.Op
	// undoOf: this removal undoes that invitation (undo.go).
	undoOf string
	// admin: every call runs with administrator access ("as admin").
	admin bool
}

// formScopes are what the form may need: consent asks for all of them
// before it opens, so a submit never needs a configure prompt (Chat
// documents that prompt only as the answer to a message).
var formScopes = []string{ScopeMemberships, ScopeMembershipsApp}

func inviteSpec(d Deps) Spec {
	iv := &Invite{Deps: d}
	return Spec{
		Name:        "invite",
		Usage:       "people… [to spaces…]",
		Description: "Add or invite people, groups or this app to this space (or others); alone, it offers a form",
		// The form's, and the groups lookup's, asked for only when first needed.
		Scopes: append(slices.Clone(formScopes), ScopeGroupsRead, ScopeSpacesRead),
		Run:    iv.Run,
	}
}

// Run answers /invite and its form.
//
// The wiring follows "Open interactive dialogs": the command is configured
// without "Opens a dialog", so "/invite people…" arrives as a message and
// runs at once; "/invite" alone answers with a private card whose button
// opens the form (interaction OPEN_DIALOG). Should the box be ticked
// anyway, every use arrives as REQUEST_DIALOG and opens the form, filled
// in with what was typed.
func (iv *Invite) Run(ctx context.Context, ev *events.Event) events.Reply {
	switch ev.Parameters["step"] {
	case "stop":
		return iv.stop(ctx, ev)
	case "undo":
		return iv.undoFrom(ctx, ev)
	case "failed": // the final card's list of those not added, in a dialog
		return iv.failedList(ctx, ev)
	case "close": // the Done button of a result shown in the dialog
		return events.Reply{CloseDialog: true}
	case "start", "cancel":
		return iv.decide(ctx, ev)
	}
	switch ev.DialogEventType {
	case events.DialogCancel:
		return events.Reply{CloseDialog: true}
	case events.DialogSubmit:
		if ev.Parameters["step"] == "preview" {
			return iv.previewForm(ctx, ev)
		}
		return iv.submit(ctx, ev)
	case events.DialogRequest:
		return iv.openForm(ctx, ev)
	}
	args, refs := MentionArgs(ev.Text, ev.ArgumentText, spans(ev.Mentions))
	if strings.TrimSpace(args) == "" {
		return iv.offerForm(ctx, ev)
	}
	req, err := ParseInvite(args, refs)
	if err != nil {
		return events.Reply{Private: true, Cards: parseErrorCards(err)}
	}
	return iv.execute(ctx, ev, req)
}

func spans(ms []events.Mention) []MentionSpan {
	out := make([]MentionSpan, 0, len(ms))
	for _, m := range ms {
		out = append(out, MentionSpan{Start: m.StartIndex, Length: m.Length, User: m.User.Name})
	}
	return out
}

// offerForm answers a bare /invite: consent first (the configure prompt is
// the documented answer to a message), then a card with the form's button.
func (iv *Invite) offerForm(ctx context.Context, ev *events.Event) events.Reply {
	if _, err := iv.Auth.AccessToken(ctx, ev.User.Name, formScopes); consentRequired(err) {
		return consentPrompt(ctx, iv.Auth, ev, formScopes)
	} else if err != nil {
		return failure(ctx, "get access token", err)
	}
	return events.Reply{Private: true, Cards: offerFormCards(ev)}
}

// openForm answers REQUEST_DIALOG: the form, or, without consent, a dialog
// with the consent link (a dialog cannot answer with a configure prompt).
func (iv *Invite) openForm(ctx context.Context, ev *events.Event) events.Reply {
	if _, err := iv.Auth.AccessToken(ctx, ev.User.Name, formScopes); consentRequired(err) {
		link, err := consentLink(ctx, iv.Auth, ev.User.Name, ev.ConfigCompleteURL, formScopes, askedFor(ev))
		if err != nil {
			return failure(ctx, "make a consent link", err)
		}
		return events.Reply{Dialog: consentDialog(link)}
	} else if err != nil {
		return failure(ctx, "get access token", err)
	}
	people, spaces := strings.TrimSpace(ev.ArgumentText), ""
	if before, after, ok := cutWord(people, "to"); ok {
		people, spaces = before, after
	}
	return events.Reply{Dialog: iv.formDialog(ctx, ev, people, spaces, "", false)}
}

// cutWord splits s around the first whitespace-delimited word w.
func cutWord(s, w string) (before, after string, found bool) {
	fields := strings.Fields(s)
	for i, f := range fields {
		if strings.EqualFold(f, w) {
			return strings.Join(fields[:i], " "), strings.Join(fields[i+1:], " "), true
		}
	}
	return s, "", false
}

// submit handles the form's Invite button. Google answers a dialog
// submission only by closing the dialog or with another dialog ("Open
// interactive dialogs"; an answer of {} or a message leaves it open, and a
// second click would invite twice). So: a mistake shows the form again; a
// large invitation closes it, its progress message carrying on; a small
// one closes it with the counts and posts its card as the app's own
// message, or, without the app's credentials, shows the card in the dialog.
func (iv *Invite) submit(ctx context.Context, ev *events.Event) events.Reply {
	people, spaces := ev.FormValue("people"), ev.FormValue("spaces")
	args := people
	if all := formSpaces(ev); all != "" {
		args += " to " + all
	}
	admin := ev.FormValue(adminBox) == "true"
	if admin {
		args += " as admin"
	}
	req, err := ParseInvite(args, nil)
	if err != nil {
		return events.Reply{Dialog: iv.formDialog(ctx, ev, people, spaces, err.Error(), admin)}
	}
	reply := iv.execute(ctx, ev, req)
	switch {
	case reply.ConfigURL != "":
		// Consent was withdrawn since the form opened.
		return events.Reply{Dialog: consentDialog(reply.ConfigURL)}
	case reply.Dialog != nil:
		return reply
	case reply.Empty || (len(reply.Cards) > 0 && reply.Cards[0].CardId == progressCardID):
		// Gone to the background: its message (posted now, or by the work
		// when the message quota allows) shows the progress.
		return events.Reply{CloseDialog: true, CloseStatus: "Started: the app's message in this space shows the progress."}
	}
	status := reply.CloseStatus
	if status == "" {
		status = reply.Text
	}
	if iv.postResult(ctx, ev, reply) {
		return events.Reply{CloseDialog: true, CloseStatus: status}
	}
	return events.Reply{Dialog: resultDialog(ev, reply)}
}

// postResult posts a submission's answer as a message of the app's own
// (private to the user unless replies are public) if the per-space message
// quota gives a slot within SlotWait, as every wait while Chat waits is
// bounded; false when it cannot.
func (iv *Invite) postResult(ctx context.Context, ev *events.Event, reply events.Reply) bool {
	if iv.AppMessages == nil || ev.Space.Name == "" {
		return false
	}
	ctx, cancel := iv.whileChatWaits(ctx, iv.slotWait())
	defer cancel()
	if err := iv.Pacer.Message(ctx, ev.Space.Name); err != nil {
		return false
	}
	m := &chat.Message{Text: reply.Text, CardsV2: reply.Cards}
	if reply.Private {
		m.PrivateMessageViewer = &chat.User{Name: ev.User.Name}
	}
	if _, err := iv.AppMessages.CreateMessage(ctx, ev.Space.Name, "client-res-"+newID(), m); err != nil {
		logFrom(ctx).Warn("post the form's result; it is shown in the dialog instead", "error", err.Error())
		return false
	}
	return true
}

// execute runs a parsed /invite.
func (iv *Invite) execute(ctx context.Context, ev *events.Event, req InviteRequest) events.Reply {
	if req.Admin && !iv.admin {
		return iv.asAdmin(ctx, ev, req)
	}
	spaces := req.Spaces
	if len(spaces) == 0 {
		if ev.Space.Name == "" {
			return events.Reply{Private: true, Cards: parseErrorCards(&ParseError{Reason: "say which space: add “to” and a link to the space"})}
		}
		spaces = []string{ev.Space.Name}
	}
	iv.nameSpaces(ctx, ev, spaces, req.CopyFrom)
	if n := len(spaces) * len(req.Targets); n > iv.Policy.MaxTargets && len(req.CopyFrom) == 0 {
		return events.Reply{Private: true, Cards: refusalCards("Too many at once", fmt.Sprintf(
			"That is %d invitations (people × spaces); this app allows at most %d in one command. Split the list and try again.",
			n, iv.Policy.MaxTargets))}
	}
	if req.Preview || iv.needsConfirming(spaces, req) {
		return iv.preview(ctx, ev, spaces, req, !req.Preview)
	}
	if len(req.CopyFrom) > 0 {
		return iv.copyMembers(ctx, ev, spaces, req)
	}
	if n := len(spaces) * len(req.Targets); n > iv.SyncMax && iv.SyncMax > 0 {
		return iv.startBackground(ctx, ev, spaces, req.Targets)
	}
	scopes := iv.scopesFor(iv.op, req.Targets, spaces, ev.Space.Name)
	// The deadline covers everything from here, a token refresh included:
	// Chat stops waiting at 30 s.
	runCtx, cancel := iv.whileChatWaits(ctx, iv.Deadline)
	defer cancel()
	var token string
	if len(scopes) > 0 { // else nothing calls the API
		var err error
		token, err = iv.Auth.AccessToken(runCtx, ev.User.Name, scopes)
		if consentRequired(err) {
			return consentPrompt(ctx, iv.Auth, ev, scopes)
		}
		if err != nil {
			return failure(ctx, "get access token", err)
		}
	}
	results := iv.attempt(runCtx, ev, token, spaces, req.Targets)
	if plans, ok := deferredPlans(results); ok {
		// Chat's quota gave no slot in time: what is done stays done, the
		// rest is finished in the background and reported as it goes.
		return iv.startPlanned(ctx, ev, plans, false)
	}
	for _, r := range results {
		if r.APIStatus == http.StatusUnauthorized {
			if err := iv.Auth.Forget(ctx, ev.User.Name); err != nil {
				return failure(ctx, "forget rejected grant", err)
			}
			return consentPrompt(ctx, iv.Auth, ev, scopes)
		}
	}
	if iv.admin && privilegeMissing(results) {
		return events.Reply{Private: true, Cards: privilegeCards()}
	}
	// The card's title and subtitle say what happened: no text repeats it
	// above the card (a closing dialog shows the counts as its status).
	return events.Reply{Private: !iv.Policy.Public, Cards: iv.administered(iv.groupAwareCards(ctx, ev, results, spaces, iv.keepForUndo(ctx, ev, results)...)), CloseStatus: summary(results)}
}

// neededScopes are the scopes the targets need. Adding the app to the
// space the command came from needs none: it is already there; removing it
// needs chat.memberships.app wherever it is.
func neededScopes(op membership.Op, targets []membership.Target, spaces []string, here string) []string {
	var scopes []string
	for _, t := range targets {
		s := ScopeMemberships
		if t.Kind == membership.TargetApp {
			if op == membership.Add && len(spaces) == 1 && spaces[0] == here {
				continue
			}
			s = ScopeMembershipsApp
		}
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	return scopes
}

// deferredPlans turns results some of which were deferred into the plan of
// a background invitation: the rest done, the deferred ones to write.
func deferredPlans(results []Result) ([]membership.Planned, bool) {
	var plans []membership.Planned
	found := false
	for _, r := range results {
		p := membership.Planned{Space: r.Space, Target: r.Target}
		if r.Detail == deferred {
			found = true
		} else {
			p.State, p.Outcome, p.Detail, p.APIStatus = membership.Done, r.Outcome.String(), r.Detail, r.APIStatus
		}
		plans = append(plans, p)
	}
	return plans, found
}

// whileChatWaits is ctx bounded by d, and ended too when the app must give
// up what is in flight (Halted), so that every request is answered.
func (iv *Invite) whileChatWaits(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, d)
	if iv.Halted != nil {
		go func() {
			select {
			case <-iv.Halted:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	return ctx, cancel
}
