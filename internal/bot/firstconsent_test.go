package bot

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chatinvite/invitebot/internal/emulator"
)

// TestFirstConsentCoversTheForm: a first consent given for "/invite dave…"
// asks for every scope the form needs, so "/invite" alone right after it
// offers the form instead of a second configure prompt.
func TestFirstConsentCoversTheForm(t *testing.T) {
	h := startBot(t, nil)
	ev := chatEvent{User: alice, Space: "AAA", Args: " dave@example.com", Message: "spaces/AAA/messages/first"}.JSON()
	link := h.sendEvent(ev).configURL()
	if link == "" {
		t.Fatal("want a configure prompt first")
	}
	c := browser(t)
	start := get(t, noRedirects(c), link)
	if !strings.Contains(start.location, "chat.memberships.app") {
		t.Fatalf("the first consent does not ask for the form's scopes: %d %s", start.status, start.location)
	}
	h.emu.SetConsent(&emulator.Consent{Account: alice.Email})
	if v := get(t, c, start.location); v.status != http.StatusSeeOther {
		t.Fatalf("consent: %d %s", v.status, v.body)
	}
	if got := h.sendEvent(ev).subtitle(t); got != "1 added" {
		t.Fatalf("after consent: %q", got)
	}
	bare := h.invite(alice, "AAA", "")
	if bare.configURL() != "" {
		t.Fatalf("/invite alone asked for consent again: %s", bare.raw)
	}
	if len(bare.msg.CardsV2) != 1 || !strings.Contains(string(bare.raw), "Open the form") {
		t.Fatalf("want the form's offer: %s", bare.raw)
	}
}
