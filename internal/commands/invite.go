package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"
	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/chatjson"
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
		// Consent comes before the form: Chat documents the configure
		// prompt as the answer to a message, and after consent it sends
		// "/invite" again, which then opens the form.
		scopes := []string{scopeMemberships}
		if _, err := iv.Auth.AccessToken(ctx, ev.User.Name, scopes); consentRequired(err) {
			return consentPrompt(ctx, iv.Auth, ev, scopes)
		}
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
	reply, err := decodeStored(raw)
	if err != nil {
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
	// The deadline covers everything from here, a token refresh included:
	// Chat stops waiting at 30 s.
	runCtx, cancel := context.WithTimeout(ctx, iv.Deadline)
	defer cancel()
	token, err := iv.Auth.AccessToken(runCtx, ev.User.Name, scopes)
	if consentRequired(err) {
		return consentPrompt(ctx, iv.Auth, ev, scopes)
	}
	if err != nil {
		return failure(ctx, "get access token", err)
	}
	results := iv.attempt(runCtx, ev, token, spaces, req.Targets)
	for _, r := range results {
		if r.APIStatus == http.StatusUnauthorized {
			if err := iv.Auth.Forget(ctx, ev.User.Name); err != nil {
				return failure(ctx, "forget rejected grant", err)
			}
			return consentPrompt(ctx, iv.Auth, ev, scopes)
		}
	}
	manySpaces := len(spaces) > 1
	reply, err := resultReply(results, manySpaces, !iv.Policy.Public)
	if err != nil {
		return failure(ctx, "encode result card", err)
	}
	if ev.MessageName != "" {
		stored, err := encodeStored(reply, results, manySpaces)
		if err == nil {
			err = iv.Results.PutResult(ctx, ev.MessageName, ev.User.Name, stored, iv.Now().Add(RememberFor))
		}
		if err != nil {
			logFrom(ctx).Warn("remember invite result", "message", ev.MessageName, "error", err.Error())
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

// resultReply is the answer to a run: the counts, and the card.
func resultReply(results []Result, manySpaces, private bool) (events.Reply, error) {
	cards, err := chatjson.Marshal(resultCards(results, manySpaces))
	if err != nil {
		return events.Reply{}, err
	}
	return events.Reply{Private: private, Text: summary(results), CardsJSON: cards}, nil
}

// storedReply is a remembered result: what answers a re-delivery with the
// reply the first delivery got. The outcomes are kept, not the card (a
// seventh of the bytes; the card is built again on the rare re-delivery).
// Text is also what an earlier version answers with; Cards is how an
// earlier version remembered the card, still read.
type storedReply struct {
	Text       string           `json:"text"`
	Private    bool             `json:"private"`
	Cards      chatjson.Encoded `json:"cards,omitempty"`
	ManySpaces bool             `json:"manySpaces,omitempty"`
	Results    []storedResult   `json:"results,omitempty"`
}

type storedResult struct {
	Typed   string `json:"typed"`
	Space   string `json:"space"`
	Outcome string `json:"outcome"` // its label, which stays the same across versions
	Detail  string `json:"detail,omitempty"`
}

func encodeStored(r events.Reply, results []Result, manySpaces bool) ([]byte, error) {
	stored := storedReply{Text: r.Text, Private: r.Private, ManySpaces: manySpaces, Results: make([]storedResult, len(results))}
	for i, res := range results {
		stored.Results[i] = storedResult{Typed: res.Target.Typed, Space: res.Space, Outcome: res.Outcome.String(), Detail: res.Detail}
	}
	return chatjson.Marshal(stored)
}

func decodeStored(raw []byte) (events.Reply, error) {
	var stored storedReply
	if err := json.Unmarshal(raw, &stored); err != nil {
		return events.Reply{}, err
	}
	if len(stored.Results) == 0 {
		return events.Reply{Text: stored.Text, Private: stored.Private, CardsJSON: stored.Cards}, nil
	}
	results := make([]Result, len(stored.Results))
	for i, s := range stored.Results {
		o, ok := outcomeNamed(s.Outcome)
		if !ok {
			return events.Reply{}, fmt.Errorf("unknown outcome %q", s.Outcome)
		}
		results[i] = Result{Target: Target{Typed: s.Typed}, Space: s.Space, Outcome: o, Detail: s.Detail}
	}
	return resultReply(results, stored.ManySpaces, stored.Private)
}
