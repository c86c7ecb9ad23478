package commands

import (
	"context"
	"strconv"
	"strings"

	"github.com/chatinvite/invitebot/internal/events"
)

// purposeLinker is an Authority whose consent links also carry, in the
// person's own words, what they asked for: the page shown before Google's
// screen says it (oauthflow implements it).
type purposeLinker interface {
	ConsentLinkFor(ctx context.Context, user, configCompleteURL string, scopes []string, purpose string) (string, error)
}

// consentLink is auth's consent link, saying what was asked for when auth
// can.
func consentLink(ctx context.Context, auth Authority, user, configURL string, scopes []string, purpose string) (string, error) {
	if pl, ok := auth.(purposeLinker); ok && purpose != "" {
		return pl.ConsentLinkFor(ctx, user, configURL, scopes, purpose)
	}
	return auth.ConsentLink(ctx, user, configURL, scopes)
}

// askedFor says what ev asked for, as a person would: "add
// alice@example.com and 2 others to Launch", "remove Bob from 2 spaces",
// "open the form that adds people to Launch"; "" when it cannot be read.
// Never a token, never an API name.
func askedFor(ev *events.Event) string {
	here := ev.Space.DisplayName
	if here == "" {
		here = "this space"
	}
	op, to := "add", "to"
	if strings.EqualFold(strings.TrimPrefix(ev.CommandName, "/"), "remove") || strings.HasPrefix(strings.ToLower(strings.TrimSpace(ev.Text)), "/remove") {
		op, to = "remove", "from"
	}
	var args string
	var refs []MentionRef
	if ev.DialogEventType == events.DialogSubmit {
		args = ev.FormValue("people")
		if s := formSpaces(ev); s != "" {
			args += " to " + s
		}
	} else {
		args, refs = MentionArgs(ev.Text, ev.ArgumentText, spans(ev.Mentions))
	}
	if strings.TrimSpace(args) == "" {
		return "open the form that adds people to " + here
	}
	req, err := ParseInvite(args, refs)
	if err != nil {
		return ""
	}
	var who string
	switch n := len(req.Targets); {
	case n == 0 && len(req.CopyFrom) > 0:
		who = "the members of another space"
	case n == 0:
		return ""
	case n == 1:
		who = req.Targets[0].Typed
	case n == 2:
		who = req.Targets[0].Typed + " and 1 other"
	default:
		who = req.Targets[0].Typed + " and " + strconv.Itoa(n-1) + " others"
	}
	where := here
	switch n := len(req.Spaces); {
	case n == 1 && req.Spaces[0] == ev.Space.Name:
	case n == 1:
		where = "another space"
	case n > 1:
		where = strconv.Itoa(n) + " spaces"
	}
	return shortenTo(op+" "+who+" "+to+" "+where, 160)
}
