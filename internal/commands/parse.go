package commands

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// TargetKind says what a target names.
type TargetKind int

// Target kinds.
const (
	TargetUser  TargetKind = iota // a person, by email or id
	TargetGroup                   // a Google Group
	TargetApp                     // this Chat app itself
)

// Target is one thing to add, as typed and as the Chat API names it.
type Target struct {
	Kind TargetKind
	// Typed is what the user wrote (a mention's display text for @mentions).
	Typed string
	// Name is the API name: users/{id}, users/{email}, groups/{id}, users/app.
	Name string
	// Email is set (lower-cased) when the target was named by email.
	Email string
}

// InviteRequest is a parsed /invite.
type InviteRequest struct {
	Targets []Target
	// Spaces are spaces/{id} names; empty means the current space.
	Spaces []string
}

// ParseError names the token that could not be read.
type ParseError struct {
	Token  string
	Reason string
}

func (e *ParseError) Error() string {
	if e.Token == "" {
		return e.Reason
	}
	return fmt.Sprintf("%q: %s", e.Token, e.Reason)
}

// MentionRef is a USER_MENTION the parser may meet in the text, as the
// placeholder the caller substituted for it.
type MentionRef struct {
	Placeholder string
	User        string // users/{id}
	Display     string // @Name as shown
}

var separator = func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == ';' }

// isEmail reports whether s is an address: a local part without spaces or
// any of @<>(),;:"[] and a domain of at least two dot-separated labels of
// letters, digits and inner hyphens. (The regexp
// ^[^\s@<>(),;:"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$
// says the same; this takes a tenth of its time, on every target.)
func isEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 {
		return false
	}
	for i := range at {
		switch s[i] {
		case '\t', '\n', '\f', '\r', ' ', '<', '>', '(', ')', ',', ';', ':', '"', '[', ']':
			return false
		}
	}
	labels := 0
	for label := range strings.SplitSeq(s[at+1:], ".") {
		if !isLabel(label) {
			return false
		}
		labels++
	}
	return labels >= 2
}

// isLabel reports whether s is a domain label: letters, digits and
// hyphens, starting and ending with a letter or digit.
func isLabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := range len(s) {
		if c := s[i]; c != '-' && !isAlnum(c) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isNumericID reports whether s is 1 to 40 digits.
func isNumericID(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isResourceID reports whether s is 1 to 128 letters, digits, '_' or '-'.
func isResourceID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; c != '_' && c != '-' && !isAlnum(c) {
			return false
		}
	}
	return true
}

// ParseInvite reads the arguments of /invite: targets, then optionally "to"
// and spaces. It is pure: no I/O, no clock.
func ParseInvite(args string, mentions []MentionRef) (InviteRequest, error) {
	var req InviteRequest
	byPlaceholder := map[string]MentionRef{}
	for _, m := range mentions {
		byPlaceholder[m.Placeholder] = m
	}
	seenTarget, seenSpace := map[string]bool{}, map[string]bool{}
	inSpaces := false
	for _, tok := range strings.FieldsFunc(args, separator) {
		if !inSpaces && strings.EqualFold(tok, "to") {
			inSpaces = true
			continue
		}
		if inSpaces {
			space, err := parseSpace(tok)
			if err != nil {
				return InviteRequest{}, err
			}
			if !seenSpace[space] {
				seenSpace[space] = true
				req.Spaces = append(req.Spaces, space)
			}
			continue
		}
		t, err := parseTarget(tok, byPlaceholder)
		if err != nil {
			return InviteRequest{}, err
		}
		key := strings.ToLower(t.Name)
		if !seenTarget[key] {
			seenTarget[key] = true
			req.Targets = append(req.Targets, t)
		}
	}
	if len(req.Targets) == 0 {
		return InviteRequest{}, &ParseError{Reason: "name at least one person, group or app to add"}
	}
	if inSpaces && len(req.Spaces) == 0 {
		return InviteRequest{}, &ParseError{Token: "to", Reason: "name at least one space after “to”"}
	}
	return req, nil
}

func unwrap(tok string) string {
	tok = strings.TrimSpace(tok)
	if strings.HasPrefix(tok, "<") && strings.HasSuffix(tok, ">") {
		tok = tok[1 : len(tok)-1]
	}
	if len(tok) > 7 && strings.EqualFold(tok[:7], "mailto:") {
		tok = tok[7:]
	}
	return tok
}

func parseTarget(raw string, mentions map[string]MentionRef) (Target, error) {
	if m, ok := mentions[raw]; ok {
		return Target{Kind: TargetUser, Typed: m.Display, Name: m.User}, nil
	}
	tok := unwrap(raw)
	lower := strings.ToLower(tok)
	switch {
	case lower == "app" || lower == "users/app":
		return Target{Kind: TargetApp, Typed: raw, Name: "users/app"}, nil
	case strings.HasPrefix(lower, "users/"):
		ref := tok[len("users/"):]
		if isEmail(ref) {
			return emailTarget(raw, ref), nil
		}
		if isNumericID(ref) {
			return Target{Kind: TargetUser, Typed: raw, Name: "users/" + ref}, nil
		}
		return Target{}, &ParseError{Token: raw, Reason: "after users/ put a numeric user id or an email"}
	case strings.HasPrefix(lower, "people/"):
		ref := tok[len("people/"):]
		if isNumericID(ref) {
			return Target{Kind: TargetUser, Typed: raw, Name: "users/" + ref}, nil
		}
		return Target{}, &ParseError{Token: raw, Reason: "after people/ put a numeric id"}
	case strings.HasPrefix(lower, "groups/"):
		ref := tok[len("groups/"):]
		if isResourceID(ref) {
			return Target{Kind: TargetGroup, Typed: raw, Name: "groups/" + ref}, nil
		}
		return Target{}, &ParseError{Token: raw, Reason: "after groups/ put the group's id"}
	case isNumericID(tok):
		return Target{Kind: TargetUser, Typed: raw, Name: "users/" + tok}, nil
	case strings.HasPrefix(tok, "@") && !strings.Contains(tok[1:], "@"):
		return Target{}, &ParseError{Token: raw, Reason: "is not a mention Chat recognised: pick the person from the @ list, or type their email"}
	case isEmail(tok):
		return emailTarget(raw, tok), nil
	}
	return Target{}, &ParseError{Token: raw, Reason: "is not an email, @mention, user id (users/… or people/…), group (groups/…) or app"}
}

func emailTarget(typed, email string) Target {
	email = strings.ToLower(email)
	return Target{Kind: TargetUser, Typed: typed, Name: "users/" + email, Email: email}
}

// parseSpace reads spaces/{id} or a Chat space link.
func parseSpace(raw string) (string, error) {
	tok := unwrap(raw)
	if id, ok := strings.CutPrefix(tok, "spaces/"); ok {
		if isResourceID(id) {
			return "spaces/" + id, nil
		}
		return "", &ParseError{Token: raw, Reason: "after spaces/ put the space's id"}
	}
	u, err := url.Parse(tok)
	if err == nil && u.Scheme == "https" {
		var id string
		switch {
		case u.Host == "chat.google.com" && strings.HasPrefix(u.Path, "/room/"):
			id = strings.Split(strings.TrimPrefix(u.Path, "/room/"), "/")[0]
		case u.Host == "mail.google.com" && strings.HasPrefix(u.Path, "/chat/"):
			_, id, _ = strings.Cut(u.Fragment, "chat/space/")
			id = strings.Split(id, "/")[0]
		}
		if isResourceID(id) {
			return "spaces/" + id, nil
		}
	}
	return "", &ParseError{Token: raw, Reason: "is not a space: use spaces/ID or a link to the space"}
}

// MentionArgs turns a message's text into /invite arguments, replacing each
// @mention (located by its annotation) with a placeholder token the parser
// resolves to the mentioned user. The command word itself is dropped.
func MentionArgs(text, argumentText string, mentions []MentionSpan) (string, []MentionRef) {
	if len(mentions) == 0 && argumentText != "" {
		return argumentText, nil
	}
	runes := []rune(text)
	var refs []MentionRef
	// Replace from the end so earlier indexes stay valid.
	for i := len(mentions) - 1; i >= 0; i-- {
		m := mentions[i]
		start, end := int(m.Start), int(m.Start+m.Length)
		if start < 0 || end > len(runes) || start >= end || runes[start] != '@' {
			continue
		}
		ph := fmt.Sprintf("\x00m%d\x00", i)
		refs = append(refs, MentionRef{Placeholder: ph, User: m.User, Display: string(runes[start:end])})
		runes = append(runes[:start], append([]rune(" "+ph+" "), runes[end:]...)...)
	}
	args := string(runes)
	if len(refs) == 0 && argumentText != "" {
		args = argumentText
	} else if strings.HasPrefix(strings.TrimSpace(args), "/") {
		args = strings.TrimSpace(args)
		if i := strings.IndexFunc(args, unicode.IsSpace); i >= 0 {
			args = args[i:]
		} else {
			args = ""
		}
	}
	return args, refs
}

// MentionSpan is where a USER_MENTION sits in the message text.
type MentionSpan struct {
	Start, Length int64
	User          string
}
