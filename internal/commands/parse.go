package commands

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/chatinvite/invitebot/internal/membership"
)

// InviteRequest is a parsed /invite.
type InviteRequest struct {
	Targets []membership.Target
	// Spaces are spaces/{id} names; empty means the current space.
	Spaces []string
	// CopyFrom are spaces whose members are invited too ("members of
	// spaces/AAAA").
	CopyFrom []string
	// Admin: the command ended "as admin": its calls run with the caller's
	// Google Workspace administrator privileges (useAdminAccess).
	Admin bool
	// Preview: only say what would happen ("/invite preview …"), writing
	// nothing.
	Preview bool
}

// previewWord leads a command that only previews. No target can be named
// so (it is no email, id, group or app), so the word is never ambiguous.
const previewWord = "preview"

// ParseError names what could not be read: every item, each with why
// (the first in Token and Reason, the rest in Others, in order), so a
// person fixes a pasted list in one go.
type ParseError struct {
	Token  string
	Reason string
	Others []ParseError
}

// maxProblemsListed bounds how many items an error quotes: a paste of
// thousands of wrong items is answered within Chat's limits.
const maxProblemsListed = 100

func (e *ParseError) Error() string { return strings.Join(e.Lines(), "; ") }

// Lines says what could not be read, a line a reason: the items with
// that reason, quoted and cut short, then why. Past maxProblemsListed
// items, the last line counts the rest.
func (e *ParseError) Lines() []string {
	all := append([]ParseError{{Token: e.Token, Reason: e.Reason}}, e.Others...)
	var reasons []string
	tokens := map[string][]string{}
	for i, p := range all {
		if i == maxProblemsListed {
			break
		}
		if _, ok := tokens[p.Reason]; !ok {
			reasons = append(reasons, p.Reason)
			tokens[p.Reason] = nil
		}
		if p.Token != "" {
			tok := p.Token
			if r := []rune(tok); len(r) > maxQuoted {
				tok = string(r[:maxQuoted]) + "…"
			}
			tokens[p.Reason] = append(tokens[p.Reason], fmt.Sprintf("%q", tok))
		}
	}
	var lines []string
	for _, r := range reasons {
		if len(tokens[r]) == 0 {
			lines = append(lines, r)
			continue
		}
		lines = append(lines, strings.Join(tokens[r], ", ")+": "+r)
	}
	if n := len(all) - maxProblemsListed; n > 0 {
		lines = append(lines, fmt.Sprintf("and %d more that could not be read", n))
	}
	return lines
}

// problems gathers what could not be read into one ParseError.
type problems struct {
	list []ParseError
	seen map[string]bool
}

func (ps *problems) add(err error) {
	if ps.seen == nil {
		ps.seen = map[string]bool{}
	}
	var pe *ParseError
	if errors.As(err, &pe) && pe.Token != "" {
		if ps.seen[pe.Token] { // named once, however often pasted
			return
		}
		ps.seen[pe.Token] = true
	}
	if errors.As(err, &pe) {
		ps.list = append(ps.list, ParseError{Token: pe.Token, Reason: pe.Reason})
		ps.list = append(ps.list, pe.Others...)
		return
	}
	ps.list = append(ps.list, ParseError{Reason: err.Error()})
}

func (ps problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	e := ps.list[0]
	e.Others = ps.list[1:]
	return &e
}

// MentionRef is a USER_MENTION the parser may meet in the text, as the
// placeholder the caller substituted for it.
type MentionRef struct {
	Placeholder string
	User        string // users/{id}
	Display     string // @Name as shown
}

var separator = func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == ';' }

// The forms a target or space may take.
var (
	// emailPattern: a local part without spaces or @<>(),;:"[], and a
	// domain of two or more labels of letters, digits and inner hyphens.
	emailPattern      = regexp.MustCompile(`^[^\s@<>(),;:"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$`)
	numericIDPattern  = regexp.MustCompile(`^[0-9]{1,40}$`)
	resourceIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	// namedAddress is an address as a mail client copies it, with a display
	// name, quoted or not: Ana Example <ana@example.com>. The name must
	// start the text or follow a comma, semicolon or new line, and holds no
	// @, so an address before it is never taken for a name.
	namedAddress = regexp.MustCompile(`(^|[,;\n])[ \t]*(?:"[^"\n]*"|[^,;<>"@\s][^,;<>"@\n]*?)[ \t]*<([^<>\s@]+@[^<>\s]+)>`)
)

func isEmail(s string) bool      { return emailPattern.MatchString(s) }
func isNumericID(s string) bool  { return numericIDPattern.MatchString(s) }
func isResourceID(s string) bool { return resourceIDPattern.MatchString(s) }

// maxQuoted bounds how much of what could not be read an error quotes.
const maxQuoted = 60

// ParseInvite reads the arguments of /invite: targets, then optionally "to"
// and spaces. It is pure: no I/O, no clock.
func ParseInvite(args string, mentions []MentionRef) (InviteRequest, error) {
	return parseRequest(args, mentions, membership.Add)
}

// selfWord is how /remove names its caller ("/remove me"): naming oneself
// otherwise is refused, so nobody leaves a space by accident.
const selfWord = "me"

// ParseRemove reads the arguments of /remove: the same targets as
// /invite's (not "members of"), or "me", then optionally "from" and spaces.
func ParseRemove(args string, mentions []MentionRef) (InviteRequest, error) {
	return parseRequest(args, mentions, membership.Remove)
}

func parseRequest(args string, mentions []MentionRef, op membership.Op) (InviteRequest, error) {
	spacesWord, verb := "to", "add"
	if op == membership.Remove {
		spacesWord, verb = "from", "remove"
	}
	var req InviteRequest
	byPlaceholder := map[string]MentionRef{}
	for _, m := range mentions {
		byPlaceholder[m.Placeholder] = m
	}
	seenTarget, seenSpace := map[string]bool{}, map[string]bool{}
	inSpaces := false
	var bad problems
	args = namedAddress.ReplaceAllString(args, "$1 $2 ")
	toks := strings.FieldsFunc(args, separator)
	if len(toks) > 0 && strings.EqualFold(toks[0], previewWord) {
		req.Preview, toks = true, toks[1:]
	}
	if n := len(toks); n >= 2 && strings.EqualFold(toks[n-2], "as") && strings.EqualFold(toks[n-1], adminWord) {
		req.Admin, toks = true, toks[:n-2]
	}
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		if !inSpaces && strings.EqualFold(tok, spacesWord) {
			inSpaces = true
			continue
		}
		if op == membership.Remove && !inSpaces && strings.EqualFold(tok, selfWord) {
			if !seenTarget[selfWord] {
				seenTarget[selfWord] = true
				req.Targets = append(req.Targets, membership.Target{Kind: membership.TargetUser, Typed: selfWord, Name: selfWord})
			}
			continue
		}
		if op == membership.Add && !inSpaces && strings.EqualFold(tok, "members") && i+1 < len(toks) && strings.EqualFold(toks[i+1], "of") {
			if i+2 >= len(toks) {
				return InviteRequest{}, &ParseError{Token: "members of", Reason: "after “members of” paste a link to the space whose members to invite"}
			}
			i += 2
			space, err := parseSpace(toks[i])
			if err != nil {
				bad.add(err)
				continue
			}
			if !slices.Contains(req.CopyFrom, space) {
				req.CopyFrom = append(req.CopyFrom, space)
			}
			continue
		}
		if inSpaces {
			space, err := parseSpace(tok)
			if err != nil {
				bad.add(err)
				continue
			}
			if !seenSpace[space] {
				seenSpace[space] = true
				req.Spaces = append(req.Spaces, space)
			}
			continue
		}
		t, err := parseTarget(tok, byPlaceholder)
		if err != nil {
			bad.add(err)
			continue
		}
		key := strings.ToLower(t.Name)
		if !seenTarget[key] {
			seenTarget[key] = true
			req.Targets = append(req.Targets, t)
		}
	}
	if err := bad.err(); err != nil {
		return InviteRequest{}, err
	}
	if len(req.Targets) == 0 && len(req.CopyFrom) == 0 {
		return InviteRequest{}, &ParseError{Reason: "name at least one person, group or app to " + verb}
	}
	if inSpaces && len(req.Spaces) == 0 {
		return InviteRequest{}, &ParseError{Token: spacesWord, Reason: "name at least one space after “" + spacesWord + "”: paste its link"}
	}
	if req.Admin {
		if err := adminParseRules(req, spacesWord); err != nil {
			return InviteRequest{}, err
		}
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

func parseTarget(raw string, mentions map[string]MentionRef) (membership.Target, error) {
	if m, ok := mentions[raw]; ok {
		return membership.Target{Kind: membership.TargetUser, Typed: m.Display, Name: m.User}, nil
	}
	tok := unwrap(raw)
	lower := strings.ToLower(tok)
	switch {
	case lower == "app" || lower == "users/app":
		return membership.Target{Kind: membership.TargetApp, Typed: raw, Name: "users/app"}, nil
	case strings.HasPrefix(lower, "users/"):
		ref := tok[len("users/"):]
		if isEmail(ref) {
			return emailTarget(raw, ref), nil
		}
		if isNumericID(ref) {
			return membership.Target{Kind: membership.TargetUser, Typed: raw, Name: "users/" + ref}, nil
		}
		return membership.Target{}, &ParseError{Token: raw, Reason: "after users/ put a numeric user id or an email"}
	case strings.HasPrefix(lower, "people/"):
		ref := tok[len("people/"):]
		if isNumericID(ref) {
			return membership.Target{Kind: membership.TargetUser, Typed: raw, Name: "users/" + ref}, nil
		}
		return membership.Target{}, &ParseError{Token: raw, Reason: "after people/ put a numeric id"}
	case strings.HasPrefix(lower, "groups/"):
		ref := tok[len("groups/"):]
		if isResourceID(ref) {
			return membership.Target{Kind: membership.TargetGroup, Typed: raw, Name: "groups/" + ref}, nil
		}
		return membership.Target{}, &ParseError{Token: raw, Reason: "after groups/ put the group's id"}
	case isNumericID(tok):
		return membership.Target{Kind: membership.TargetUser, Typed: raw, Name: "users/" + tok}, nil
	case strings.HasPrefix(tok, "@") && !strings.Contains(tok[1:], "@"):
		return membership.Target{}, &ParseError{Token: raw, Reason: "is not a mention Chat recognised: pick the person from the @ list, or type their email"}
	case isEmail(tok):
		return emailTarget(raw, tok), nil
	}
	return membership.Target{}, &ParseError{Token: raw, Reason: "is not an email address, an @mention or “app”"}
}

func emailTarget(typed, email string) membership.Target {
	email = strings.ToLower(email)
	return membership.Target{Kind: membership.TargetUser, Typed: typed, Name: "users/" + email, Email: email}
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
	return "", &ParseError{Token: raw, Reason: "is not a space: paste a link to the space"}
}

// MentionArgs turns a message's text into /invite arguments, replacing each
// @mention (located by its annotation) with a placeholder token the parser
// resolves to the mentioned user. The command word itself is dropped.
//
// Chat does not document whether an annotation's startIndex and length
// count code points or UTF-16 units; they differ after an emoji. Each
// mention is read both ways and the reading whose span starts with "@" is
// taken. The text is spliced in one pass.
func MentionArgs(text, argumentText string, mentions []MentionSpan) (string, []MentionRef) {
	if len(mentions) == 0 && argumentText != "" {
		return argumentText, nil
	}
	idx := newTextIndex(text)
	type span struct {
		start, end int // byte offsets
		ref        MentionRef
	}
	var found []span
	for i, m := range mentions {
		start, end, ok := idx.locate(m.Start, m.Length)
		if !ok {
			continue
		}
		ph := fmt.Sprintf("\x00m%d\x00", i)
		found = append(found, span{start, end, MentionRef{Placeholder: ph, User: m.User, Display: text[start:end]}})
	}
	if len(found) == 0 && argumentText != "" {
		return argumentText, nil
	}
	slices.SortFunc(found, func(a, b span) int { return a.start - b.start })
	var b strings.Builder
	var refs []MentionRef
	at := 0
	for _, f := range found {
		if f.start < at { // overlapping annotations: keep the first
			continue
		}
		b.WriteString(text[at:f.start])
		b.WriteString(" " + f.ref.Placeholder + " ")
		refs = append(refs, f.ref)
		at = f.end
	}
	b.WriteString(text[at:])
	args := strings.TrimSpace(b.String())
	if strings.HasPrefix(args, "/") {
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

// textIndex maps code-point and UTF-16 offsets of a text to byte offsets.
type textIndex struct {
	text   string
	runes  []int // byte offset of each code point, then len(text)
	utf16s []int // byte offset of each UTF-16 unit (-1 inside a pair), then len(text)
}

func newTextIndex(text string) *textIndex {
	idx := &textIndex{text: text}
	for i, r := range text {
		idx.runes = append(idx.runes, i)
		idx.utf16s = append(idx.utf16s, i)
		if r >= 0x10000 {
			idx.utf16s = append(idx.utf16s, -1)
		}
	}
	idx.runes = append(idx.runes, len(text))
	idx.utf16s = append(idx.utf16s, len(text))
	return idx
}

// locate returns the byte span of [start, start+length) read as code points,
// or else as UTF-16 units: the reading that starts with "@" and ends where a
// word does, else the first that starts with "@".
func (idx *textIndex) locate(start, length int64) (int, int, bool) {
	var fallback [2]int
	found := false
	for _, offsets := range [][]int{idx.runes, idx.utf16s} {
		n := int64(len(offsets))
		if start < 0 || length <= 0 || start+length > n-1 {
			continue
		}
		from, to := offsets[start], offsets[start+length]
		if from < 0 || to < 0 || from >= to || idx.text[from] != '@' {
			continue
		}
		if to == len(idx.text) || !isWordByte(idx.text[to]) {
			return from, to, true
		}
		if !found {
			fallback, found = [2]int{from, to}, true
		}
	}
	return fallback[0], fallback[1], found
}

// isWordByte: a letter or digit (any byte of a multi-byte rune counts).
func isWordByte(b byte) bool {
	return b >= 0x80 || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}
