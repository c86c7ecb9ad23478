package commands

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// previewCardID names the preview card (tests and the form find it so).
const previewCardID = "invite-preview"

// previewWould is the group of targets a change would write.
func previewWould(op membership.Op) (title string, look membership.Outcome) {
	if op == membership.Remove {
		return "Would be removed", membership.Removed
	}
	return "Would be added", membership.Added
}

// previewTitles head the groups of targets that need no write, where a
// preview says it differently from a result.
var previewTitles = map[membership.Outcome]string{
	membership.NotTried: "Refused by this app's policy",
	membership.NotFound: "Not found, or cannot be read",
}

// previewCards is the preview of pv: who would be changed, who needs no
// change and why, the count and the time Google's quota needs; with Start
// and Cancel when pv is stored awaiting its start. Up to maxLinesPerGroup
// lines a group; fewer when the card would pass Chat's limits.
func previewCards(ev *events.Event, op membership.Op, pv *membership.Preview, unread []string, perMinute int) []*chat.CardWithId {
	var cards []*chat.CardWithId
	for lines := maxLinesPerGroup; lines >= 0; lines-- {
		cards = previewCardsOf(ev, op, pv, unread, perMinute, lines)
		if within(&chat.Message{CardsV2: cards}, cardBudget) {
			break
		}
	}
	return cards
}

func previewCardsOf(ev *events.Event, op membership.Op, pv *membership.Preview, unread []string, perMinute, lines int) []*chat.CardWithId {
	_, spaces := targetsOf(pv.Targets)
	many := len(spaces) > 1
	would, look := previewWould(op)
	var writes []Result
	known := map[membership.Outcome][]Result{}
	for _, p := range pv.Targets {
		r := Result{Target: p.Target, Space: p.Space, Detail: p.Detail, APIStatus: p.APIStatus}
		if p.State != membership.Done {
			r.Outcome = look
			writes = append(writes, r)
			continue
		}
		if o, ok := membership.OutcomeNamed(p.Outcome); ok {
			r.Outcome = o
			known[o] = append(known[o], r)
		}
	}
	group := func(title string, rs []Result) *chat.GoogleAppsCardV1Section {
		sec := &chat.GoogleAppsCardV1Section{Header: title + " (" + strconv.Itoa(len(rs)) + ")"}
		for i, r := range rs {
			if i == lines {
				more := "and %d more"
				if lines == 0 {
					more = "%d, not listed"
				}
				sec.Widgets = append(sec.Widgets, paragraph("<i>"+fmt.Sprintf(more, len(rs)-lines)+"</i>"))
				break
			}
			sec.Widgets = append(sec.Widgets, resultLine(r, ev.Space, many))
		}
		if len(sec.Widgets) > 3 {
			sec.Collapsible, sec.UncollapsibleWidgetsCount = true, 3
		}
		return sec
	}
	var sections []*chat.GoogleAppsCardV1Section
	if len(writes) > 0 {
		sections = append(sections, group(would, writes))
	}
	for o := membership.Outcome(0); o < membership.OutcomeCount; o++ {
		if rs := known[o]; len(rs) > 0 {
			title, ok := previewTitles[o]
			if !ok {
				title = sectionTitle(o)
			}
			sections = append(sections, group(title, rs))
		}
	}
	if len(unread) > 0 {
		var labels []string
		for _, s := range unread {
			labels = append(labels, spaceLabel(s, ev.Space))
		}
		sections = append(sections, section("Cannot be read",
			paragraph(html.EscapeString("The members of "+strings.Join(labels, ", ")+" could not be read: who is there already is not known, so everyone named would be tried there."))))
	}
	if pv.ID != "" {
		verb := map[membership.Op]string{membership.Add: "invite", membership.Remove: "remove"}[op]
		params := func(step string) map[string]string {
			return map[string]string{"command": verb, "step": step, "preview": pv.ID}
		}
		sections = append(sections, &chat.GoogleAppsCardV1Section{Widgets: []*chat.GoogleAppsCardV1Widget{
			paragraph(html.EscapeString("Nothing happens until you click Start, within 15 minutes; it then does exactly what is shown here. Only you can start or cancel it.")),
			{ButtonList: &chat.GoogleAppsCardV1ButtonList{Buttons: []*chat.GoogleAppsCardV1Button{
				{Text: "Start", OnClick: &chat.GoogleAppsCardV1OnClick{Action: ev.Action(params("start"), false)}},
				{Text: "Cancel", OnClick: &chat.GoogleAppsCardV1OnClick{Action: ev.Action(params("cancel"), false)}},
			}}},
		}})
	}
	subtitle := "Nothing was changed"
	if len(writes) > 0 {
		subtitle += " · " + quotaTime(op, len(writes), perMinute)
	}
	return card(previewCardID, previewHeadline(op, len(writes), ev.Space, spaces), subtitle, sections...)
}

// previewHeadline: "Preview: 148 people would be added to Launch".
func previewHeadline(op membership.Op, writes int, here events.Space, spaces []string) string {
	verb, prep := "added", " to "
	if op == membership.Remove {
		verb, prep = "removed", " from "
	}
	if writes == 0 {
		return "Preview: nobody would be " + verb
	}
	what := "Preview: " + people(writes) + " would be " + verb
	switch {
	case len(spaces) > 1:
		return what + prep + strconv.Itoa(len(spaces)) + " spaces"
	case len(spaces) == 1:
		return what + prep + spaceLabel(spaces[0], here)
	}
	return what
}

// previewStatus is the preview in a line (a closing dialog shows it).
func previewStatus(op membership.Op, pv *membership.Preview) string {
	n := writesOf(pv.Targets)
	verb := "added"
	if op == membership.Remove {
		verb = "removed"
	}
	s := people(n) + " would be " + verb + "; nothing was changed"
	if pv.ID != "" {
		s += ": click Start on the preview to go ahead"
	}
	return s
}

// quotaTime is how long Google's quota makes writes take: the project may
// make perMinute membership writes a minute
// (https://developers.google.com/workspace/chat/limits), so "under a
// minute" up to one minute's worth, else "about N minutes".
func quotaTime(op membership.Op, writes, perMinute int) string {
	what := "additions"
	if op == membership.Remove {
		what = "removals"
	}
	rate := fmt.Sprintf(" at %d %s a minute", perMinute, what)
	if writes <= perMinute {
		return "under a minute" + rate
	}
	n := int(math.Round(float64(writes) / float64(perMinute)))
	if n <= 1 {
		return "about 1 minute" + rate
	}
	return "about " + strconv.Itoa(n) + " minutes" + rate
}
