package commands

import (
	"encoding/json"
	"unicode/utf8"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/events"
)

// Chat's limits on a message an app writes: "The maximum message size,
// including the message contents, is 32,000 bytes"
// (https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces.messages/create),
// and a card holds at most 100 widgets. Chat refuses a message over either.
const (
	maxMessageBytes   = 32_000
	maxMessageWidgets = 100
	// cardBudget leaves room, under maxMessageBytes, for what the message
	// carries beside its cards (its name, sender, viewer, the reply's
	// envelope).
	cardBudget = maxMessageBytes - 1_000
	// maxShownRunes: what a person typed (an address, a name) longer than
	// this is shown cut, ending with an ellipsis (the parser accepts
	// addresses of 254).
	maxShownRunes = 64
	// maxDetailRunes: the same for a line's reason or resolved name (the
	// reasons written here are shorter).
	maxDetailRunes = 200
)

// measure is the message's size as JSON and its widgets, card by card.
func measure(m *chat.Message) (size, widgets int) {
	b, err := json.Marshal(m)
	if err != nil {
		return maxMessageBytes + 1, 0
	}
	for _, c := range m.CardsV2 {
		if c == nil || c.Card == nil {
			continue
		}
		for _, s := range c.Card.Sections {
			widgets += len(s.Widgets)
		}
	}
	return len(b), widgets
}

// within reports whether m is within limit bytes and Chat's widgets.
func within(m *chat.Message, limit int) bool {
	size, widgets := measure(m)
	return size <= limit && widgets <= maxMessageWidgets
}

// shorten cuts s to maxShownRunes characters, the last an ellipsis.
func shorten(s string) string { return shortenTo(s, maxShownRunes) }

// shortenTo cuts s to n characters, the last an ellipsis.
func shortenTo(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// tooLongCards replace an answer that Chat would refuse: they say so
// rather than leave the person with nothing.
func tooLongCards() []*chat.CardWithId {
	return card("too-long", "The answer is too long to show", "Chat allows 32,000 bytes a message",
		section("", paragraph("Everything was done as asked; the answer listing it would not fit in one Chat message.")))
}

// fitMessage checks a message the app writes against Chat's limits; one
// over them has its cards replaced by tooLongCards. The cards built here
// fit by themselves (resultCards drops lines to fit): this is the last
// guard, for every message.
func fitMessage(m *chat.Message) *chat.Message {
	if within(m, maxMessageBytes) {
		return m
	}
	out := *m
	out.CardsV2 = tooLongCards()
	if !within(&out, maxMessageBytes) {
		out.Text = ""
	}
	return &out
}

// fitReply is fitMessage for an answer to an event.
func fitReply(r events.Reply) events.Reply {
	if r.Text == "" && len(r.Cards) == 0 {
		return r
	}
	m := fitMessage(&chat.Message{Text: r.Text, CardsV2: r.Cards})
	r.Text, r.Cards = m.Text, m.CardsV2
	return r
}
