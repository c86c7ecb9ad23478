package commands

import (
	chat "google.golang.org/api/chat/v1"
)

const usage = "<b>/invite</b> alice@example.com, @Bob, groups/eng [to spaces/AAAA…]"

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

func helpSection() *chat.GoogleAppsCardV1Section {
	return section("How to use it",
		paragraph(usage),
		paragraph("Name people by email, @mention, user id (users/123 or people/123), a Google Group (groups/…), or <b>app</b> to add this app itself. Separate them with spaces, commas or new lines."),
		paragraph("Add <b>to spaces/AAAA…</b> or a space link to invite into other spaces. <b>/invite</b> alone opens a form."),
		paragraph("The first time, I ask you to authorize me: I add people with your own permissions, never more. <b>/logout</b> removes that authorization."),
	)
}

func welcomeCards() []*chat.CardWithId {
	return card("welcome", "Thanks for adding Invite", "Add people to this space from the message box",
		section("", paragraph("I add people, groups and apps to Chat spaces and tell you exactly what happened to each: added, invited, already a member, not found or not allowed.")),
		helpSection())
}

func helpCards() []*chat.CardWithId {
	return card("help", "Invite: help", "Add or invite people to spaces", helpSection(),
		section("Commands",
			paragraph("<b>/invite</b> people… [to space…] — add them, or invite them where they must accept"),
			paragraph("<b>/help</b> — this card"),
			paragraph("<b>/logout</b> — revoke the authorization you gave me"),
		))
}
