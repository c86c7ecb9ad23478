package commands

import (
	"strings"
	"testing"

	"github.com/chatinvite/invitebot/internal/events"
)

// TestHelpTellsEverything: /help tells about copying a space's members,
// background work and its Stop button, and /remove; the names Chat's API
// uses (users/…, people/…, groups/…, spaces/…) appear once, as advanced,
// and nowhere else in /help or the form's hints.
func TestHelpTellsEverything(t *testing.T) {
	specs := All(Deps{})
	help := specs[len(specs)-1]
	text := cardText(help.Run(t.Context(), &events.Event{}).Cards)
	for _, want := range []string{"members of", "background", "<b>Stop</b>", "/remove me", "<b>/remove</b>", "Copy link", "<b>/invite preview …</b>", "<b>Undo</b>", "<b>as admin</b>", "by its address"} {
		if !strings.Contains(text, want) {
			t.Errorf("/help does not mention %q:\n%s", want, text)
		}
	}
	var apiLines []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "users/") || strings.Contains(l, "people/") || strings.Contains(l, "groups/") || strings.Contains(l, "spaces/") {
			apiLines = append(apiLines, l)
		}
	}
	if len(apiLines) != 1 || !strings.HasPrefix(apiLines[0], "Advanced:") {
		t.Errorf("API names outside the one advanced line: %q", apiLines)
	}
	form := inviteDialog(&events.Event{}, "", "", "")
	for _, w := range form.Sections[0].Widgets {
		if in := w.TextInput; in != nil && (strings.Contains(in.HintText, "/") || strings.Contains(in.HintText, "…")) {
			t.Errorf("hint %q speaks the API's words", in.HintText)
		}
	}
}
