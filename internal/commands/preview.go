package commands

// Previews: what a change would do, read without writing; and the
// confirmation of large changes and copies, which start only when their
// starter clicks Start on the preview.

import (
	"cmp"
	"context"
	"errors"
	"html"
	"net/http"
	"slices"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/chatapi"
	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// previewFor is how long a preview waits for its Start.
const previewFor = 15 * time.Minute

// previewing marks a context whose policy checks only preview: nothing is
// attempted, so nothing is audited as an attempt.
type previewingKey struct{}

func isPreviewing(ctx context.Context) bool { return ctx.Value(previewingKey{}) != nil }

// needsConfirming: a change of more than ConfirmOver (people × spaces), or
// any copy of a space's members, is previewed and started by its starter,
// when it can run in the background (else it is answered as before).
func (iv *Invite) needsConfirming(spaces []string, req InviteRequest) bool {
	if iv.ConfirmOver <= 0 || iv.Previews == nil || iv.AppMessages == nil || iv.Jobs == nil || iv.Invitations == nil {
		return false
	}
	return len(req.CopyFrom) > 0 || len(spaces)*len(req.Targets) > iv.ConfirmOver
}

// preview answers what req would do in spaces, writing nothing: each
// destination is read with spaces.members.list (with its groups and
// invited people), the targets sorted by what they would meet, and the
// same policy check as a real change (settle) applied. With confirm, the
// preview is stored and carries Start and Cancel.
func (iv *Invite) preview(ctx context.Context, ev *events.Event, spaces []string, req InviteRequest, confirm bool) events.Reply {
	ctx = context.WithValue(ctx, previewingKey{}, true)
	// Reading every list is bounded by Chat's wait, as a change is.
	ctx, cancel := iv.whileChatWaits(ctx, cmp.Or(iv.Deadline, 25*time.Second))
	defer cancel()
	var token string
	var refusal *events.Reply
	if len(req.CopyFrom) > 0 {
		token, refusal = iv.copyToken(ctx, ev, spaces, req)
	} else {
		token, refusal = iv.previewToken(ctx, ev, spaces, req)
	}
	if refusal != nil {
		return *refusal
	}
	var plans []membership.Planned
	var unread []string
	if len(req.CopyFrom) > 0 {
		plans, unread, refusal = iv.copyPlans(ctx, ev, token, spaces, req)
		if refusal != nil {
			return *refusal
		}
	} else {
		plans, unread = iv.directPlans(ctx, token, spaces, req.Targets)
	}
	if rejected := iv.settlePlans(ctx, ev, token, plans); rejected {
		if err := iv.Auth.Forget(ctx, ev.User.Name); err != nil {
			return failure(ctx, "forget rejected grant", err)
		}
		return consentPrompt(ctx, iv.Auth, ev, []string{ScopeMemberships})
	}
	pv := &membership.Preview{Op: iv.op, User: ev.User.Name, Space: ev.Space.Name, Targets: plans, Admin: iv.admin}
	if confirm && writesOf(plans) == 0 {
		// Nothing to confirm: the answer is the result, as for any change
		// left with nothing to write.
		results, spaces, _ := outcomesOf(&membership.Invitation{Targets: plans})
		return events.Reply{Private: !iv.Policy.Public, Cards: iv.administered(resultCards(iv.op, results, ev.Space, spaces)), CloseStatus: summary(results)}
	}
	if confirm && writesOf(plans) > 0 {
		pv.ID, pv.ExpiresAt = newID(), iv.Now().Add(previewFor)
		if err := iv.Previews.PutPreview(ctx, pv); err != nil {
			return failure(ctx, "store the preview", err)
		}
		logFrom(ctx).Info("preview awaits its start", "preview", pv.ID, "inviter", pv.User, "targets", len(plans), "to_write", writesOf(plans))
	}
	return events.Reply{Private: true, Cards: iv.administered(previewCards(ev, iv.op, pv, unread, iv.quotaPerMinute())), CloseStatus: previewStatus(iv.op, pv)}
}

// previewToken is the user's token for a preview: reading the
// destinations takes chat.memberships, and the policy check the scopes
// the change itself would need (as consent asks before anything runs).
func (iv *Invite) previewToken(ctx context.Context, ev *events.Event, spaces []string, req InviteRequest) (string, *events.Reply) {
	scopes := iv.scopesFor(iv.op, req.Targets, spaces, ev.Space.Name)
	if !iv.admin { // listing the destinations
		scopes = append(scopes, ScopeMemberships)
	}
	scopes = slices.Compact(slices.Sorted(slices.Values(scopes)))
	token, err := iv.Auth.AccessToken(ctx, ev.User.Name, scopes)
	if consentRequired(err) {
		r := consentPrompt(ctx, iv.Auth, ev, scopes)
		return "", &r
	}
	if err != nil {
		r := failure(ctx, "get access token", err)
		return "", &r
	}
	return token, nil
}

// directPlans plans named targets in spaces from each space's member list
// (spaces.members.list with showGroups and showInvited: it omits groups
// and invited people otherwise). Adding someone already there, or removing
// someone who is not, needs no write. unread are the spaces whose list
// could not be read: their targets would each be tried.
func (iv *Invite) directPlans(ctx context.Context, token string, spaces []string, targets []membership.Target) (plans []membership.Planned, unread []string) {
	for _, s := range spaces {
		there := presence{}
		err := iv.Members.ListMembers(ctx, token, s, chatapi.ListOptions{ShowGroups: true, ShowInvited: true}, func(m *chat.Membership) error {
			there.add(m)
			return nil
		})
		read := err == nil
		if !read {
			logFrom(ctx).Warn("preview: list the space's members", "space", s, "error", err.Error())
			if st := apiStatus(err); st != http.StatusNotFound && st != http.StatusForbidden {
				unread = append(unread, s)
			} // else the policy check says the space was not found
		}
		for _, t := range targets {
			p := membership.Planned{Space: s, Target: t}
			state := there.state(t.Name, t.Email)
			switch {
			case !read:
			case iv.op == membership.Add && state == "JOINED":
				p.State, p.Outcome = membership.Done, membership.AlreadyMember.String()
			case iv.op == membership.Add && state == "INVITED":
				p.State, p.Outcome, p.Detail = membership.Done, membership.AlreadyInvited.String(), "waiting for them to accept"
			case iv.op == membership.Remove && state == "" && t.Kind != membership.TargetApp:
				// Apps are not always listed: removing one is tried.
				p.State, p.Outcome = membership.Done, membership.NotAMember.String()
			}
			plans = append(plans, p)
		}
	}
	return plans, unread
}

// settlePlans applies the one policy check (settle) to the plans still to
// write, marking those it settles done; it reports a grant Google refused.
func (iv *Invite) settlePlans(ctx context.Context, ev *events.Event, token string, plans []membership.Planned) (rejected bool) {
	var open []int
	var rs []Result
	for i, p := range plans {
		if p.State != membership.Done {
			open = append(open, i)
			rs = append(rs, Result{Target: p.Target, Space: p.Space})
		}
	}
	settled := iv.settle(ctx, ev, token, rs)
	for i, at := range open {
		if settled[i] {
			p := &plans[at]
			p.State, p.Outcome, p.Detail, p.APIStatus = membership.Done, rs[i].Outcome.String(), rs[i].Detail, rs[i].APIStatus
			rejected = rejected || rs[i].APIStatus == http.StatusUnauthorized
		}
	}
	return rejected
}

// writesOf counts the plans left to write.
func writesOf(plans []membership.Planned) int {
	n := 0
	for _, p := range plans {
		if p.State != membership.Done {
			n++
		}
	}
	return n
}

// startPreview handles Start: only the preview's starter may start it,
// once, within previewFor; it then runs exactly the targets previewed.
func (iv *Invite) startPreview(ctx context.Context, ev *events.Event) events.Reply {
	if iv.Previews == nil {
		return events.Reply{Private: true, Text: previewGoneText}
	}
	pv, err := iv.Previews.ClaimPreview(ctx, ev.Parameters["preview"], ev.User.Name, iv.Now())
	switch {
	case errors.Is(err, membership.ErrPreviewNotYours):
		return events.Reply{Private: true, Text: "Only the person who asked for this preview can start it."}
	case errors.Is(err, membership.ErrPreviewExpired):
		return events.Reply{Private: true, Text: "This preview expired (a preview waits 15 minutes). Nothing was changed: run the command again to see a new one."}
	case errors.Is(err, membership.ErrPreviewStarted):
		return events.Reply{Private: true, Text: "It was started already: its progress shows in the app's message."}
	case errors.Is(err, membership.ErrPreviewGone):
		return events.Reply{Private: true, Text: previewGoneText}
	case err != nil:
		return failure(ctx, "claim the preview", err)
	case pv.Op != iv.op:
		return events.Reply{Private: true, Text: previewGoneText}
	}
	logFrom(ctx).Info("preview started", "preview", pv.ID, "by", ev.User.Name)
	run, runCtx := iv, ctx
	if pv.Admin {
		// Previewed "as admin", started so.
		if len(iv.Policy.AdminDomains) == 0 {
			return events.Reply{Private: true, Text: "Administrator access has been turned off since this preview: nothing was changed."}
		}
		admin := *iv
		admin.admin = true
		run, runCtx = &admin, chatapi.WithAdminAccess(ctx)
	}
	reply := run.startPlanned(runCtx, ev, pv.Targets, true)
	if iv.released(ctx, pv, reply) {
		return reply
	}
	run.auditDecided(runCtx, ev, pv.Targets)
	return reply
}

// auditDecided writes, at Start, the audit line of each target the
// preview's policy check already decided (refused, not tried): a preview
// logs no attempt, and these get no call, so without it a confirmed run
// would have no line for them. Those found already there get none, as in
// any copy.
func (iv *Invite) auditDecided(ctx context.Context, ev *events.Event, plans []membership.Planned) {
	for _, p := range plans {
		if p.State != membership.Done {
			continue
		}
		o, _ := membership.OutcomeNamed(p.Outcome)
		if o == membership.AlreadyMember || o == membership.AlreadyInvited {
			continue
		}
		iv.audit(ctx, ev, &Result{Target: p.Target, Space: p.Space, Outcome: o, Detail: p.Detail, APIStatus: p.APIStatus})
	}
}

// released gives the preview's claim back when Start started nothing (a
// restart refused it, the authorization went, a store failed: such answers
// are transient or ask for consent), so that Start works again; it reports
// whether it did.
func (iv *Invite) released(ctx context.Context, pv *membership.Preview, reply events.Reply) bool {
	if !reply.Transient && reply.ConfigURL == "" {
		return false
	}
	if err := iv.Previews.ReleasePreview(context.WithoutCancel(ctx), pv.ID, pv.User); err != nil {
		logFrom(ctx).Warn("give back a preview's claim; its Start will say it started", "preview", pv.ID, "error", err.Error())
	}
	return true
}

const previewGoneText = "That preview is no longer known here (cancelled, or kept no longer): run the command again."

// cancelPreview handles Cancel: the preview is deleted; nothing was done.
func (iv *Invite) cancelPreview(ctx context.Context, ev *events.Event) events.Reply {
	if iv.Previews == nil {
		return events.Reply{Private: true, Text: previewGoneText}
	}
	err := iv.Previews.CancelPreview(ctx, ev.Parameters["preview"], ev.User.Name)
	switch {
	case errors.Is(err, membership.ErrPreviewNotYours):
		return events.Reply{Private: true, Text: "Only the person who asked for this preview can cancel it."}
	case errors.Is(err, membership.ErrPreviewStarted):
		return events.Reply{Private: true, Text: "It was started already: its progress message has a Stop button."}
	case errors.Is(err, membership.ErrPreviewGone):
		return events.Reply{Private: true, Text: "Cancelled, nothing was changed."}
	case err != nil:
		return failure(ctx, "cancel the preview", err)
	}
	return events.Reply{Private: true, Text: "Cancelled, nothing was changed."}
}

// decide handles a preview's Start or Cancel, from a message or from a
// dialog that shows the preview (a dialog's button is answered by closing
// it, "Open interactive dialogs"; the answer's text is its status).
func (iv *Invite) decide(ctx context.Context, ev *events.Event) events.Reply {
	var reply events.Reply
	if ev.Parameters["step"] == "start" {
		reply = iv.startPreview(ctx, ev)
	} else {
		reply = iv.cancelPreview(ctx, ev)
	}
	if reply.ConfigURL != "" {
		// The grant went since the preview: Chat documents the configure
		// prompt only as the answer to a message, so a click gets the link.
		if ev.DialogEventType == events.DialogSubmit {
			return events.Reply{Dialog: consentDialog(reply.ConfigURL)}
		}
		return events.Reply{Private: true, Text: "Nothing was changed: Invite needs your authorization again. Give it at " + reply.ConfigURL + " and then run the command again."}
	}
	if ev.DialogEventType != events.DialogSubmit {
		return reply
	}
	status := cmp.Or(reply.Text, reply.CloseStatus)
	if status == "" {
		status = "Started: the app's message in this space shows the progress."
	}
	return events.Reply{CloseDialog: true, CloseStatus: status}
}

// previewForm answers the form's Preview button: the form again, with what
// it would do above it (Google answers a dialog's button only with a
// dialog or by closing it); its Invite button then goes ahead.
func (iv *Invite) previewForm(ctx context.Context, ev *events.Event) events.Reply {
	people, spaces := ev.FormValue("people"), ev.FormValue("spaces")
	args := people
	if all := formSpaces(ev); all != "" {
		args += " to " + all
	}
	admin := ev.FormValue(adminBox) == "true" // previewed as it would run
	if admin {
		args += " as admin"
	}
	req, err := ParseInvite(args, nil)
	if err != nil {
		return events.Reply{Dialog: iv.formDialog(ctx, ev, people, spaces, err.Error(), admin)}
	}
	req.Preview = true
	reply := iv.execute(ctx, ev, req)
	if reply.ConfigURL != "" {
		return events.Reply{Dialog: consentDialog(reply.ConfigURL)}
	}
	form := iv.formDialog(ctx, ev, people, spaces, "", admin)
	if len(reply.Cards) > 0 && reply.Cards[0].Card != nil {
		shown := reply.Cards[0].Card
		head := section(shown.Header.Title + " · " + shown.Header.Subtitle)
		form.Sections = append(append([]*chat.GoogleAppsCardV1Section{head}, shown.Sections...), form.Sections...)
	} else if reply.Text != "" {
		form.Sections = append([]*chat.GoogleAppsCardV1Section{section("", paragraph(html.EscapeString(reply.Text)))}, form.Sections...)
	}
	return events.Reply{Dialog: form}
}
