package commands

// How the result card lists everyone within Chat's limits.

import (
	"fmt"
	"html"
	"strconv"
	"strings"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// listing is how much room the result card gives each line, from the
// roomiest to the tightest; resultCardsWith takes the first that fits.
type listing int

const (
	// listRich: a group of up to maxLinesPerGroup lines shows one widget a
	// line (icon, what was typed, the name or reason below); a larger
	// group is compact.
	listRich listing = iota
	// listCompact: every group is compact: several lines a paragraph.
	listCompact
	// listFailures: those not added (or not removed) come first, compact,
	// as many as fit; the rest are counted only.
	listFailures
)

const (
	// firstChunk lines of a compact group show while its section is
	// collapsed; the rest follow chunk lines a paragraph, shown on "Show
	// more" (a section's collapsible and uncollapsibleWidgetsCount,
	// https://developers.google.com/workspace/chat/api/reference/rest/v1/cards#section).
	firstChunk = 5
	chunk      = 25
)

// isFailure: the outcomes of people not added (or not removed), listed
// first when not everyone fits.
func isFailure(o membership.Outcome) bool {
	switch o {
	case membership.NotFound, membership.NotAllowed, membership.Invalid, membership.Failed, membership.NotTried:
		return true
	}
	return false
}

// resultCardsWith lists everyone if the card can hold them (Chat's 32,000
// bytes and 100 widgets); otherwise those not added first, as many as fit,
// then "and N more" and, when more is not nil, a button (more) that opens
// the full list of them in a dialog.
func resultCardsWith(op membership.Op, results []Result, here events.Space, spaces []string, more *chat.GoogleAppsCardV1Action, extra ...*chat.GoogleAppsCardV1Section) []*chat.CardWithId {
	fits := func(c []*chat.CardWithId) bool { return within(&chat.Message{CardsV2: c}, cardBudget) }
	first := listRich
	if elsewhere(results, here) {
		first = listCompact
	}
	for _, l := range []listing{first, listCompact} {
		if c := resultCardsOf(op, results, here, spaces, l, len(results), nil, extra...); fits(c) {
			return c
		}
	}
	// The most lines a failure group may show: the card fits with fewer
	// lines, so the largest that fits is found by halving.
	lo, hi := 0, len(results)
	best := resultCardsOf(op, results, here, spaces, listFailures, 0, more, extra...)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if c := resultCardsOf(op, results, here, spaces, listFailures, mid, more, extra...); fits(c) {
			lo, best = mid, c
		} else {
			hi = mid - 1
		}
	}
	return best
}

// resultCardsOf is the result card in listing l, a failure group showing
// at most limit lines (listFailures only), with the button more when some
// failures are left out.
func resultCardsOf(op membership.Op, results []Result, here events.Space, spaces []string, l listing, limit int, more *chat.GoogleAppsCardV1Action, extra ...*chat.GoogleAppsCardV1Section) []*chat.CardWithId {
	var order []membership.Outcome
	for o := membership.Outcome(0); o < membership.OutcomeCount; o++ {
		if l == listFailures && isFailure(o) {
			order = append(order, o)
		}
	}
	for o := membership.Outcome(0); o < membership.OutcomeCount; o++ {
		if l != listFailures || !isFailure(o) {
			order = append(order, o)
		}
	}
	var sections []*chat.GoogleAppsCardV1Section
	left := 0 // failures not listed
	for _, o := range order {
		var group []Result
		for _, r := range results {
			if r.Outcome == o {
				group = append(group, r)
			}
		}
		if len(group) == 0 {
			continue
		}
		sec := &chat.GoogleAppsCardV1Section{Header: sectionTitle(o) + " (" + strconv.Itoa(len(group)) + ")"}
		switch {
		case l == listRich && len(group) <= maxLinesPerGroup:
			for _, r := range group {
				sec.Widgets = append(sec.Widgets, resultLine(r, here, len(spaces) > 1))
			}
			if len(sec.Widgets) > 3 {
				sec.Collapsible, sec.UncollapsibleWidgetsCount = true, 3
			}
		case l == listFailures && !isFailure(o):
			sec.Widgets = append(sec.Widgets, paragraph("<i>Not listed: Chat limits the size of a message.</i>"))
		default:
			shown := group
			if l == listFailures && len(shown) > limit {
				shown = shown[:limit]
				left += len(group) - limit
			}
			sec.Widgets = compactLines(shown, here, len(spaces) > 1)
			if n := len(group) - len(shown); n > 0 {
				sec.Widgets = append(sec.Widgets, paragraph("<i>"+fmt.Sprintf("and %d more", n)+"</i>"))
			}
			if len(sec.Widgets) > 1 {
				sec.Collapsible, sec.UncollapsibleWidgetsCount = true, 1
			}
		}
		sections = append(sections, sec)
	}
	if left > 0 && more != nil {
		sections = append(sections, section("", button(fmt.Sprintf("Show all %d not %s", failures(results), doneWord(op)), more)))
	}
	sections = append(sections, extra...)
	return card("invite-result", headline(op, results, here, spaces), summary(results), sections...)
}

// failures counts the results of people not added (or not removed).
func failures(results []Result) int {
	n := 0
	for _, r := range results {
		if isFailure(r.Outcome) {
			n++
		}
	}
	return n
}

func doneWord(op membership.Op) string {
	if op == membership.Remove {
		return "removed"
	}
	return "added"
}

// compactLines lists rs a line each, several lines a paragraph: the first
// firstChunk, then chunk at a time.
func compactLines(rs []Result, here events.Space, manySpaces bool) []*chat.GoogleAppsCardV1Widget {
	var out []*chat.GoogleAppsCardV1Widget
	for i := 0; i < len(rs); {
		n := chunk
		if i == 0 {
			n = firstChunk
		}
		end := min(i+n, len(rs))
		lines := make([]string, 0, end-i)
		for _, r := range rs[i:end] {
			lines = append(lines, compactLine(r, here, manySpaces))
		}
		out = append(out, paragraph(strings.Join(lines, "<br>")))
		i = end
	}
	return out
}

// compactLine is one result as a line of text: what was typed, then the
// name Chat gave or the reason, then the space when it is not this one.
func compactLine(r Result, here events.Space, manySpaces bool) string {
	s := html.EscapeString(shorten(r.Target.Typed))
	if e := r.Target.Email; e != "" && !strings.Contains(strings.ToLower(r.Target.Typed), e) {
		// Named by their display name (a copied member): with the address.
		s += " · " + html.EscapeString(shorten(e))
	}
	if r.Detail != "" {
		s += " · " + html.EscapeString(shortenTo(r.Detail, maxDetailRunes))
	}
	if manySpaces || r.Space != here.Name {
		s += " · in " + spaceLink(r.Space, here)
	}
	return s
}

// spaceLink is spaceLabel as HTML, another space's name a link that opens
// it (the link a space's "Copy link" gives).
func spaceLink(space string, here events.Space) string {
	label := html.EscapeString(spaceLabel(space, here))
	if space == here.Name {
		return label
	}
	return `<a href="https://chat.google.com/room/` + html.EscapeString(strings.TrimPrefix(space, "spaces/")) + `">` + label + `</a>`
}

// elsewhere reports whether a result is in a space other than here: its
// line then links to it, which a compact line can and a rich one cannot.
func elsewhere(results []Result, here events.Space) bool {
	for _, r := range results {
		if r.Space != here.Name {
			return true
		}
	}
	return false
}
