package commands

import (
	"context"
	"html"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/events"
)

// helpSpec is /help, which lists others and itself.
func helpSpec(others []Spec) Spec {
	help := Spec{Name: "help", Description: "How to use Invite"}
	all := append(append([]Spec(nil), others...), help)
	help.Run = func(context.Context, *events.Event) events.Reply {
		return events.Reply{Private: true, Cards: helpCards(all)}
	}
	return help
}

func helpCards(specs []Spec) []*chat.CardWithId {
	var lines []*chat.GoogleAppsCardV1Widget
	for _, s := range specs {
		line := "<b>/" + s.Name + "</b>"
		if s.Usage != "" {
			line += " " + html.EscapeString(s.Usage)
		}
		lines = append(lines, paragraph(line+" — "+html.EscapeString(s.Description)))
	}
	return card("help", "Invite: help", "Add or invite people to spaces", howToSection(), section("Commands", lines...), moreSection())
}

// moreSection tells what the commands' one-line descriptions cannot: copying
// a space's members, work that goes on in the background, Stop, removing,
// and the names Chat's API uses, once, for those who have them.
func moreSection() *chat.GoogleAppsCardV1Section {
	sec := section("Good to know",
		paragraph("<b>/invite members of</b> <i>a link to a space</i> invites everyone in that space (add more names, or <b>to</b> other spaces, as usual)."),
		paragraph("Many people at once: Google Chat allows an app a few hundred changes a minute, so a large invitation goes on in the background. Its message in the space shows how far it is and how long is left; its <b>Stop</b> button stops it (whoever was added stays added)."),
		paragraph("<b>/remove</b> takes people the same way (<b>from</b> and a link for other spaces); <b>/remove me</b> takes you out. Only space managers may remove others."),
		paragraph("A Google Group can be named by its address (eng@example.com); the first time, I ask for permission to look groups up."),
		paragraph("<b>/invite preview …</b> (or the form's <b>Preview</b>) says what would happen and changes nothing. Copying a space, or more than a hundred people, shows that preview first, with <b>Start</b> and <b>Cancel</b>."),
		paragraph("Every result that added or invited anyone has an <b>Undo</b> button for you (for a day, unless this app's operator chose otherwise): it removes exactly whom that invitation added or invited, nobody else."),
		paragraph("Workspace administrators, where the operator allows it: end with <b>as admin</b> and name the space (<b>to</b> or <b>from</b> and its link) to add or remove in any space of the organization, member of it or not."),
		paragraph("Advanced: user ids (users/123, people/123), groups (groups/…) and spaces (spaces/…) as Chat's API names them work too."),
	)
	sec.Collapsible, sec.UncollapsibleWidgetsCount = true, 3
	return sec
}
