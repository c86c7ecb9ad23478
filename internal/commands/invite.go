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
	var stored storedReply
	if err := json.Unmarshal(raw, &stored); err != nil {
		logFrom(ctx).Warn("decode remembered invite result", "message", messageName, "error", err.Error())
		return events.Reply{}, false
	}
	reply := events.Reply{Text: stored.Text, Private: stored.Private, CardsJSON: stored.Cards}
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
	cards, err := chatjson.Marshal(resultCards(results, len(spaces) > 1))
	if err != nil {
		return failure(ctx, "encode result card", err)
	}
	reply := events.Reply{Private: !iv.Policy.Public, Text: summary(results), CardsJSON: cards}
	if ev.MessageName != "" {
		if err := iv.Results.PutResult(ctx, ev.MessageName, ev.User.Name, encodeStored(reply), iv.Now().Add(RememberFor)); err != nil {
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

// storedReply is a remembered result: the reply's text, privacy and cards.
type storedReply struct {
	Text    string           `json:"text"`
	Private bool             `json:"private"`
	Cards   chatjson.Encoded `json:"cards"`
}

// encodeStored writes a storedReply around the already encoded cards.
func encodeStored(r events.Reply) []byte {
	b, _ := chatjson.Marshal(storedReply{Text: r.Text, Private: r.Private, Cards: r.CardsJSON}) // these fields always encode
	return b
}
