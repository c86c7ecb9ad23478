package commands

import (
	"errors"
	"html"
	"strconv"
	"strings"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// maxLinesPerGroup: a group of more lines is listed compactly, several
// lines a paragraph.
const maxLinesPerGroup = 10

// summary counts outcomes: "3 added · 1 invited · 1 not found".
func summary(results []Result) string {
	var counts, groups [membership.OutcomeCount]int
	for _, r := range results {
		counts[r.Outcome]++
		if r.Target.Kind == membership.TargetGroup {
			groups[r.Outcome]++
		}
	}
	var b strings.Builder
	for o := membership.Outcome(0); o < membership.OutcomeCount; o++ {
		if counts[o] > 0 {
			if b.Len() > 0 {
				b.WriteString(" · ")
			}
			if groups[o] > 0 { // a group is counted as a group: "1 person and 1 group added"
				b.WriteString(whoCount(results, o))
			} else {
				b.WriteString(strconv.Itoa(counts[o]))
			}
			b.WriteByte(' ')
			b.WriteString(o.String())
		}
	}
	return b.String()
}

// headline says what happened and where, as the card's title: "Added
// to Launch", "Added and invited to 2 spaces", "Nobody was added". The
// counts are the subtitle (summary), not repeated here.
func headline(op membership.Op, results []Result, here events.Space, spaces []string) string {
	var added, invited, removed int
	for _, r := range results {
		switch r.Outcome {
		case membership.Added:
			added++
		case membership.Invited:
			invited++
		case membership.Removed:
			removed++
		}
	}
	where := ""
	switch {
	case len(spaces) > 1:
		where = strconv.Itoa(len(spaces)) + " spaces"
	case len(spaces) == 1:
		where = spaceLabel(spaces[0], here)
	}
	if op == membership.Remove {
		if removed == 0 {
			return "Nobody was removed"
		}
		return strings.TrimSpace("Removed from " + where)
	}
	var what string
	switch {
	case added > 0 && invited > 0:
		what = "Added and invited"
	case added > 0:
		what = "Added"
	case invited > 0:
		what = "Invited"
	default:
		return "Nobody was added"
	}
	if where == "" {
		return what
	}
	return what + " to " + where
}

func people(n int) string {
	if n == 1 {
		return "1 person"
	}
	return strconv.Itoa(n) + " people"
}

// spaceLabel names a space in words: this one by its display name,
// another by the display name read for this request (spacenames.go), or
// else as "another space" (its link, a raw address, overflows a phone's
// card).
func spaceLabel(space string, here events.Space) string {
	if space == here.Name {
		if here.DisplayName != "" {
			return here.DisplayName
		}
		return "this space"
	}
	if name := here.Others[space]; name != "" {
		return name
	}
	return "another space"
}

// resultCards is the one card that tells each target's outcome, grouped,
// everyone listed when the card can hold them (resultCardsWith). Every
// line in a space other than this one names it. Sections in extra (the
// Undo button, the offer to look groups up) end the card.
func resultCards(op membership.Op, results []Result, here events.Space, spaces []string, extra ...*chat.GoogleAppsCardV1Section) []*chat.CardWithId {
	return resultCardsWith(op, results, here, spaces, nil, extra...)
}

func resultLine(r Result, here events.Space, manySpaces bool) *chat.GoogleAppsCardV1Widget {
	d := &chat.GoogleAppsCardV1DecoratedText{
		StartIcon: &chat.GoogleAppsCardV1Icon{KnownIcon: icon(r.Outcome)},
		Text:      html.EscapeString(shorten(r.Target.Typed)),
		WrapText:  true,
	}
	var bottom []string
	if r.Detail != "" {
		bottom = append(bottom, shortenTo(r.Detail, maxDetailRunes))
	}
	if manySpaces || r.Space != here.Name {
		bottom = append(bottom, "in "+spaceLabel(r.Space, here))
	}
	d.BottomLabel = html.EscapeString(strings.Join(bottom, " · "))
	return &chat.GoogleAppsCardV1Widget{DecoratedText: d}
}

// refusalCards explain why nothing was done, as every refusal does.
func refusalCards(title, why string) []*chat.CardWithId {
	subtitle := "Nothing was done"
	if title == subtitle { // said once
		subtitle = ""
	}
	return card("invite-refused", title, subtitle, section("", paragraph(html.EscapeString(why))))
}

// parseErrorCards explains what could not be read, with the usage.
func parseErrorCards(err error) []*chat.CardWithId {
	var lines []*chat.GoogleAppsCardV1Widget
	var pe *ParseError
	if errors.As(err, &pe) {
		for _, l := range pe.Lines() {
			lines = append(lines, paragraph(html.EscapeString(l)))
		}
	} else {
		lines = append(lines, paragraph(html.EscapeString(err.Error())))
	}
	return card("invite-usage", "Nothing was done", "I could not read that /invite",
		section("", lines...),
		howToSection())
}

// inviteDialog is the /invite form; problem (if any) is shown above it.
// Its button names the command in its parameters, which is how the submit
// is routed in both event shapes.
func inviteDialog(ev *events.Event, people, spaces, problem string) *chat.GoogleAppsCardV1Card {
	var widgets []*chat.GoogleAppsCardV1Widget
	if problem != "" {
		widgets = append(widgets, paragraph(`<font color="#b3261e">`+html.EscapeString(problem)+`</font>`))
	}
	widgets = append(widgets,
		&chat.GoogleAppsCardV1Widget{TextInput: &chat.GoogleAppsCardV1TextInput{
			Name: "people", Label: "People", Type: "MULTIPLE_LINE", Value: people,
			HintText: "Email addresses, or app for this app; separate them with commas or new lines",
		}},
		&chat.GoogleAppsCardV1Widget{TextInput: &chat.GoogleAppsCardV1TextInput{
			Name: "spaces", Label: "Spaces (optional)", Type: "SINGLE_LINE", Value: spaces,
			HintText: "A link to the space (its menu, Copy link); leave empty for this space",
		}},
		// Preview beside Invite: the same form, answered with what it
		// would do above it, nothing written.
		&chat.GoogleAppsCardV1Widget{ButtonList: &chat.GoogleAppsCardV1ButtonList{Buttons: []*chat.GoogleAppsCardV1Button{
			{Text: "Invite", OnClick: &chat.GoogleAppsCardV1OnClick{Action: ev.Action(map[string]string{"command": "invite", "step": "submit"}, false)}},
			{Text: "Preview", OnClick: &chat.GoogleAppsCardV1OnClick{Action: ev.Action(map[string]string{"command": "invite", "step": "preview"}, false)}},
		}}},
	)
	return &chat.GoogleAppsCardV1Card{
		Header:   &chat.GoogleAppsCardV1CardHeader{Title: "Add people", Subtitle: "They are added with your permissions"},
		Sections: []*chat.GoogleAppsCardV1Section{{Widgets: widgets}},
	}
}

// offerFormCards answer a bare /invite: a private card whose button opens
// the form.
func offerFormCards(ev *events.Event) []*chat.CardWithId {
	return card("invite-form", "Add people", "Open the form, or type /invite followed by names",
		section("",
			paragraph("Type <b>/invite alice@example.com, @Bob</b> to add people at once, or fill in the form."),
			button("Open the form", ev.Action(map[string]string{"command": "invite", "step": "open"}, true)),
		))
}

// consentDialog asks for consent from inside a dialog, where a configure
// prompt cannot answer: a button opens the consent link.
func consentDialog(link string) *chat.GoogleAppsCardV1Card {
	return &chat.GoogleAppsCardV1Card{
		Header: &chat.GoogleAppsCardV1CardHeader{Title: "Authorize Invite first", Subtitle: "It adds people with your own permissions"},
		Sections: []*chat.GoogleAppsCardV1Section{{Widgets: []*chat.GoogleAppsCardV1Widget{
			paragraph("Allow Invite to add people to spaces on your behalf, then open the form again."),
			{ButtonList: &chat.GoogleAppsCardV1ButtonList{Buttons: []*chat.GoogleAppsCardV1Button{{
				Text: "Authorize", OnClick: &chat.GoogleAppsCardV1OnClick{OpenLink: &chat.GoogleAppsCardV1OpenLink{Url: link}},
			}}}},
		}}},
	}
}

// resultDialog shows a form's result in the dialog itself (Google answers a
// dialog submission only with a dialog or by closing it), with a button
// that closes it.
func resultDialog(ev *events.Event, reply events.Reply) *chat.GoogleAppsCardV1Card {
	body := &chat.GoogleAppsCardV1Card{}
	if len(reply.Cards) > 0 && reply.Cards[0].Card != nil {
		c := *reply.Cards[0].Card
		body = &c
	}
	if reply.Text != "" {
		body.Sections = append([]*chat.GoogleAppsCardV1Section{section("", paragraph(html.EscapeString(reply.Text)))}, body.Sections...)
	}
	body.Sections = append(body.Sections, section("", button("Done", ev.Action(map[string]string{"command": "invite", "step": "close"}, false))))
	return body
}
