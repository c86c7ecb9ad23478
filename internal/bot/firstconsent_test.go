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

// TestOlderPromptRunsAfterConsent: Chat keeps one configure prompt per
// message a person sent before authorizing, and completing one affects only
// its message (https://developers.google.com/workspace/chat/connect-web-services-tools).
// Once one is answered, an older one goes straight back to Chat, which runs
// its message, without a second visit to Google.
func TestOlderPromptRunsAfterConsent(t *testing.T) {
	h := startBot(t, nil)
	older := h.sendEvent(chatEvent{User: alice, Space: "AAA", Args: " dave@example.com"}.JSON()).configURL()
	newer := h.sendEvent(chatEvent{User: alice, Space: "AAA", Args: " carol@example.com"}.JSON()).configURL()
	if older == "" || newer == "" {
		t.Fatal("want two configure prompts")
	}
	if v := h.consent(browser(t), newer, emulator.Consent{Account: alice.Email}); v.status != http.StatusSeeOther || v.location != configURL {
		t.Fatalf("consent: %d %s", v.status, v.body)
	}
	v := get(t, noRedirects(browser(t)), older)
	if v.status != http.StatusSeeOther || v.location != configURL {
		t.Fatalf("the older prompt: %d %q, want straight back to Chat", v.status, v.location)
	}
	// Each link still works once.
	if again := get(t, noRedirects(browser(t)), older); again.status != http.StatusBadRequest {
		t.Fatalf("the older link used twice: %d", again.status)
	}
}

// TestMorePermissionsSaysWhatWasAsked: the page before Google's screen
// says what the person asked for, in their words, and names no scope.
func TestMorePermissionsSaysWhatWasAsked(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice) // memberships only
	link := h.invite(alice, "AAA", " app dave@example.com to spaces/EXT").configURL()
	if link == "" {
		t.Fatal("want a configure prompt for the app's scope")
	}
	page := get(t, browser(t), link)
	if !strings.Contains(page.body, "You asked Invite to add app and 1 other to another space.") {
		t.Fatalf("the page does not say what was asked:\n%s", page.body)
	}
	for _, never := range []string{"chat.memberships", "googleapis", "spaces/EXT"} {
		if strings.Contains(page.body, never) {
			t.Errorf("the page says %q", never)
		}
	}
}
