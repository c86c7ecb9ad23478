package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"
	chat "google.golang.org/api/chat/v1"
	"google.golang.org/api/googleapi"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/storage"
)

// OAuth scopes /invite needs.
const (
	scopeMemberships    = "https://www.googleapis.com/auth/chat.memberships"
	scopeMembershipsApp = "https://www.googleapis.com/auth/chat.memberships.app"
)

// Members is the part of the Chat API /invite calls.
type Members interface {
	CreateMembership(ctx context.Context, accessToken, space string, m *chat.Membership) (*chat.Membership, error)
	GetMembership(ctx context.Context, accessToken, name string) (*chat.Membership, error)
}

// ResultStore remembers a message's reply so a re-delivery is answered
// without calling the API again. *storage.DB implements it.
type ResultStore interface {
	GetResult(ctx context.Context, messageName string, now time.Time) ([]byte, error)
	PutResult(ctx context.Context, messageName, user string, result []byte, expiresAt time.Time) error
}

// Policy is what an admin allows /invite to do.
type Policy struct {
	MaxTargets     int
	AllowedDomains []string // lower-case; empty: any
	RequireManager bool
	Public         bool // post results for the space instead of privately
}

// Invite runs /invite.
type Invite struct {
	Auth    Authority
	Members Members
	Results ResultStore
	Policy  Policy
	Now     func() time.Time
	// Deadline bounds the whole command (Chat waits 30 s at most).
	Deadline time.Duration
	// Concurrency bounds the API calls in flight for one command.
	Concurrency int
	// BackoffBase is the first retry delay after a 429 or 503.
	BackoffBase time.Duration

	flight singleflight.Group
}

// RememberFor is how long a message's result answers re-deliveries.
const RememberFor = 10 * time.Minute

// Run implements Command.
func (iv *Invite) Run(ctx context.Context, ev *events.Event) events.Reply {
	switch ev.DialogEventType {
	case events.DialogCancel:
		return events.Reply{CloseDialog: true}
	case events.DialogSubmit:
		return iv.submit(ctx, ev)
	}
	spans := make([]MentionSpan, 0, len(ev.Mentions))
	for _, m := range ev.Mentions {
		spans = append(spans, MentionSpan{Start: m.StartIndex, Length: m.Length, User: m.User.Name})
	}
	args, refs := MentionArgs(ev.Text, ev.ArgumentText, spans)
	if strings.TrimSpace(args) == "" || ev.DialogEventType == events.DialogRequest {
		return events.Reply{Dialog: inviteDialog("", "", "")}
	}
	req, err := ParseInvite(args, refs)
	if err != nil {
		return events.Reply{Private: true, Cards: parseErrorCards(err)}
	}
	return iv.execute(ctx, ev, req)
}

// submit handles the dialog's Invite button.
func (iv *Invite) submit(ctx context.Context, ev *events.Event) events.Reply {
	people, spaces := ev.FormValue("people"), ev.FormValue("spaces")
	args := people
	if strings.TrimSpace(spaces) != "" {
		args += " to " + spaces
	}
	req, err := ParseInvite(args, nil)
	if err != nil {
		return events.Reply{Dialog: inviteDialog(people, spaces, err.Error())}
	}
	reply := iv.execute(ctx, ev, req)
	if reply.ConfigURL != "" {
		return reply
	}
	reply.CloseDialog = true
	reply.CloseStatus = reply.Text
	return reply
}

// execute runs a parsed /invite, once per message name.
func (iv *Invite) execute(ctx context.Context, ev *events.Event, req InviteRequest) events.Reply {
	if ev.MessageName == "" {
		return iv.executeOnce(ctx, ev, req)
	}
	if reply, ok := iv.recall(ctx, ev.MessageName); ok {
		return reply
	}
	// Concurrent deliveries of one message on this instance share one run.
	v, _, _ := iv.flight.Do(ev.MessageName, func() (any, error) {
		if reply, ok := iv.recall(ctx, ev.MessageName); ok {
			return reply, nil
		}
		return iv.executeOnce(ctx, ev, req), nil
	})
	return v.(events.Reply)
}

func (iv *Invite) recall(ctx context.Context, messageName string) (events.Reply, bool) {
	raw, err := iv.Results.GetResult(ctx, messageName, iv.Now())
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			logFrom(ctx).Warn("recall invite result", "message", messageName, "error", err.Error())
		}
		return events.Reply{}, false
	}
	var reply events.Reply
	if err := json.Unmarshal(raw, &reply); err != nil {
		logFrom(ctx).Warn("decode remembered invite result", "message", messageName, "error", err.Error())
		return events.Reply{}, false
	}
	logFrom(ctx).Info("answered a re-delivered message from its remembered result", "message", messageName)
	return reply, true
}

func (iv *Invite) executeOnce(ctx context.Context, ev *events.Event, req InviteRequest) events.Reply {
	spaces := req.Spaces
	if len(spaces) == 0 {
		if ev.Space.Name == "" {
			return events.Reply{Private: true, Cards: parseErrorCards(&ParseError{Reason: "say which space: add “to spaces/…” or a space link"})}
		}
		spaces = []string{ev.Space.Name}
	}
	if n := len(spaces) * len(req.Targets); n > iv.Policy.MaxTargets {
		return events.Reply{Private: true, Text: fmt.Sprintf(
			"That is %d invitations (people × spaces); this app allows at most %d in one command. Nothing was done: split the list and try again.",
			n, iv.Policy.MaxTargets)}
	}
	scopes := neededScopes(req.Targets)
	token, err := iv.Auth.AccessToken(ctx, ev.User.Name, scopes)
	if consentRequired(err) {
		return consentPrompt(ctx, iv.Auth, ev, scopes)
	}
	if err != nil {
		return failure(ctx, "get access token", err)
	}
	runCtx, cancel := context.WithTimeout(ctx, iv.Deadline)
	defer cancel()
	results := iv.attempt(runCtx, ev, token, spaces, req.Targets)
	for _, r := range results {
		if r.APIStatus == http.StatusUnauthorized {
			if err := iv.Auth.Forget(ctx, ev.User.Name); err != nil {
				return failure(ctx, "forget rejected grant", err)
			}
			return consentPrompt(ctx, iv.Auth, ev, scopes)
		}
	}
	cards, err := json.Marshal(resultCards(results, len(spaces) > 1))
	if err != nil {
		return failure(ctx, "encode result card", err)
	}
	reply := events.Reply{Private: !iv.Policy.Public, Text: summary(results), CardsJSON: cards}
	if ev.MessageName != "" {
		if raw, err := json.Marshal(reply); err == nil {
			if err := iv.Results.PutResult(ctx, ev.MessageName, ev.User.Name, raw, iv.Now().Add(RememberFor)); err != nil {
				logFrom(ctx).Warn("remember invite result", "message", ev.MessageName, "error", err.Error())
			}
		}
	}
	return reply
}

func neededScopes(targets []Target) []string {
	var scopes []string
	for _, t := range targets {
		s := scopeMemberships
		if t.Kind == TargetApp {
			s = scopeMembershipsApp
		}
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	return scopes
}

// attempt tries every (space, target) pair with bounded concurrency.
func (iv *Invite) attempt(ctx context.Context, ev *events.Event, token string, spaces []string, targets []Target) []Result {
	results := make([]Result, 0, len(spaces)*len(targets))
	for _, s := range spaces {
		for _, t := range targets {
			results = append(results, Result{Target: t, Space: s})
		}
	}
	blocked := map[string]Result{}
	if iv.Policy.RequireManager {
		for _, s := range spaces {
			if r, ok := iv.checkManager(ctx, ev, token, s); !ok {
				blocked[s] = r
			}
		}
	}
	var todo []*Result
	for i := range results {
		r := &results[i]
		switch b, ok := blocked[r.Space]; {
		case ok:
			r.Outcome, r.Detail, r.APIStatus = b.Outcome, b.Detail, b.APIStatus
			iv.audit(ctx, ev, r)
		case !iv.domainAllowed(r.Target):
			r.Outcome, r.Detail = NotTried, "not allowed by this app's policy"
			iv.audit(ctx, ev, r)
		default:
			todo = append(todo, r)
		}
	}
	if len(todo) == 1 { // the common case: no goroutine, no extra stack
		iv.tryOne(ctx, ev, token, todo[0])
		iv.audit(ctx, ev, todo[0])
		return results
	}
	var g errgroup.Group
	g.SetLimit(max(iv.Concurrency, 1))
	for _, r := range todo {
		g.Go(func() error {
			iv.tryOne(ctx, ev, token, r)
			iv.audit(ctx, ev, r)
			return nil
		})
	}
	_ = g.Wait()
	return results
}

func (iv *Invite) domainAllowed(t Target) bool {
	if len(iv.Policy.AllowedDomains) == 0 || t.Email == "" {
		return true
	}
	_, domain, _ := strings.Cut(t.Email, "@")
	return slices.Contains(iv.Policy.AllowedDomains, domain)
}

// checkManager enforces INVITE_REQUIRE_MANAGER for one space.
func (iv *Invite) checkManager(ctx context.Context, ev *events.Event, token, space string) (Result, bool) {
	id := strings.TrimPrefix(ev.User.Name, "users/")
	m, err := iv.Members.GetMembership(ctx, token, space+"/members/"+id)
	if err != nil {
		status := apiStatus(err)
		switch status {
		case http.StatusNotFound, http.StatusForbidden:
			return Result{Outcome: NotAllowed, Detail: "you are not a member of that space", APIStatus: status}, false
		case http.StatusUnauthorized:
			return Result{Outcome: Failed, APIStatus: status}, false
		}
		return Result{Outcome: Failed, Detail: "could not check your role in that space", APIStatus: status}, false
	}
	if m.Role != "ROLE_MANAGER" && m.Role != "ROLE_ASSISTANT_MANAGER" {
		return Result{Outcome: NotTried, Detail: "only owners and managers of that space may invite (this app's policy)"}, false
	}
	return Result{}, true
}

// tryOne creates one membership, retrying 429 and 503 with exponential
// backoff and full jitter while the deadline allows.
func (iv *Invite) tryOne(ctx context.Context, ev *events.Event, token string, r *Result) {
	if ctx.Err() != nil {
		r.Outcome, r.Detail = NotTried, "the time limit was reached first"
		return
	}
	body := &chat.Membership{Member: &chat.User{Name: r.Target.Name, Type: "HUMAN"}}
	switch r.Target.Kind {
	case TargetApp:
		body.Member.Type = "BOT"
	case TargetGroup:
		body = &chat.Membership{GroupMember: &chat.Group{Name: r.Target.Name}}
	}
	for {
		r.Attempts++
		m, err := iv.Members.CreateMembership(ctx, token, r.Space, body)
		if err == nil {
			r.APIStatus = http.StatusOK
			classifyMembership(r, m)
			return
		}
		r.APIStatus = apiStatus(err)
		if r.APIStatus == http.StatusTooManyRequests || r.APIStatus == http.StatusServiceUnavailable {
			delay := backoff(iv.BackoffBase, r.Attempts)
			if deadline, ok := ctx.Deadline(); !ok || time.Until(deadline) > delay {
				if sleep(ctx, delay) {
					continue
				}
			}
			r.Outcome, r.Detail = Failed, "Chat is busy right now; try again in a minute"
			return
		}
		classifyError(r, err, ev, ctx.Err() != nil)
		return
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

func classifyMembership(r *Result, m *chat.Membership) {
	switch m.State {
	case "JOINED":
		r.Outcome = Added
	case "INVITED":
		r.Outcome = Invited
	default:
		r.Outcome, r.Detail = Failed, "Chat answered with an unexpected state"
		return
	}
	switch {
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
	case http.StatusConflict:
		r.Outcome = AlreadyMember
	case http.StatusNotFound:
		r.Outcome, r.Detail = NotFound, notFoundReason(r.Target)
	case http.StatusForbidden:
		r.Outcome, r.Detail = NotAllowed, notAllowedReason(r, ev)
	case http.StatusBadRequest:
		r.Outcome, r.Detail = Invalid, invalidReason(r.Target)
	case http.StatusUnauthorized:
		r.Outcome, r.Detail = Failed, "your authorization was rejected"
	case 0:
		if timedOut {
			r.Outcome, r.Detail = Failed, "no answer before the time limit (it may still happen)"
		} else {
			r.Outcome, r.Detail = Failed, "Chat could not be reached"
		}
	default:
		r.Outcome, r.Detail = Failed, fmt.Sprintf("Chat answered with an error (%d)", r.APIStatus)
	}
}

func notFoundReason(t Target) string {
	switch t.Kind {
	case TargetGroup:
		return "no such group, or it is not visible to you"
	case TargetApp:
		return "the space was not found"
	}
	if t.Email == "" {
		return "no such user or space; people outside your organization must be named by email"
	}
	return "no Google account with this email, or the space was not found"
}

func notAllowedReason(r *Result, ev *events.Event) string {
	switch {
	case r.Space == ev.Space.Name && ev.Space.SpaceType == "DIRECT_MESSAGE":
		return "people can't be added to a direct message"
	case r.Target.Kind == TargetApp:
		return "apps can't be added to that space, or you may not add them"
	case r.Target.Email != "":
		return "the space may not allow people outside your organization, or its settings don't let you add people"
	}
	return "the space's settings don't let you add people, or you aren't a member of it"
}

func invalidReason(t Target) string {
	if t.Kind == TargetGroup {
		return "groups can only be added to named spaces"
	}
	return "Chat did not accept this name"
}

func (iv *Invite) audit(ctx context.Context, ev *events.Event, r *Result) {
	logFrom(ctx).LogAttrs(ctx, slog.LevelInfo, "invite attempt",
		slog.String("inviter", ev.User.Name), slog.String("space", r.Space), slog.String("target", r.Target.Name),
		slog.String("outcome", r.Outcome.String()), slog.Int("api_status", r.APIStatus), slog.Int("attempts", r.Attempts))
}
