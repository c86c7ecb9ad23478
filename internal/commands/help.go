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
	return card("help", "Invite: help", "Add or invite people to spaces", howToSection(), section("Commands", lines...))
}
