package commands

import (
	chat "google.golang.org/api/chat/v1"
)

const usage = "<b>/invite</b> alice@example.com, @Bob [to <i>a link to another space</i>]"

// welcomeLine leads the answer to a command that added the app.
const welcomeLine = "Thanks for adding Invite to this space."

func card(id, title, subtitle string, sections ...*chat.GoogleAppsCardV1Section) []*chat.CardWithId {
	return []*chat.CardWithId{{
		CardId: id,
		Card: &chat.GoogleAppsCardV1Card{
			Header:   &chat.GoogleAppsCardV1CardHeader{Title: title, Subtitle: subtitle},
			Sections: sections,
		},
	}}
}

func paragraph(html string) *chat.GoogleAppsCardV1Widget {
	return &chat.GoogleAppsCardV1Widget{TextParagraph: &chat.GoogleAppsCardV1TextParagraph{Text: html}}
}

func section(header string, widgets ...*chat.GoogleAppsCardV1Widget) *chat.GoogleAppsCardV1Section {
	return &chat.GoogleAppsCardV1Section{Header: header, Widgets: widgets}
}

func button(text string, action *chat.GoogleAppsCardV1Action) *chat.GoogleAppsCardV1Widget {
	return &chat.GoogleAppsCardV1Widget{ButtonList: &chat.GoogleAppsCardV1ButtonList{Buttons: []*chat.GoogleAppsCardV1Button{{
		Text: text, OnClick: &chat.GoogleAppsCardV1OnClick{Action: action},
	}}}}
}

func howToSection() *chat.GoogleAppsCardV1Section {
	return section("How to use it",
		paragraph(usage),
		paragraph("Name people by email address or @mention, or type <b>app</b> to add this app itself. Separate them with spaces, commas or new lines; a list pasted from your mail works too."),
		paragraph("Add <b>to</b> and a link to a space (its menu, Copy link) to invite into other spaces. <b>/invite</b> alone offers a form."),
		paragraph("Start with <b>preview</b> (<b>/invite preview …</b>) to see what would happen without changing anything."),
		paragraph("The first time, I ask you to authorize me: I add people with your own permissions, never more. <b>/logout</b> removes that authorization."),
	)
}

func welcomeCards() []*chat.CardWithId {
	return card("welcome", "Thanks for adding Invite", "Add people to this space from the message box",
		section("", paragraph("I add people, groups and apps to Chat spaces and tell you exactly what happened to each: added, invited, already a member, not found or not allowed.")),
		howToSection())
}
