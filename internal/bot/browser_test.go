package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chatinvite/invitebot/internal/browsertest"
	"github.com/chatinvite/invitebot/internal/emulator"
)

// TestConsentInBrowser: a real browser opens the consent link, picks the
// account on the emulator's consent page, allows, and lands on the
// config-complete URL; then the re-sent /invite runs.
func TestConsentInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	h := startBot(t, nil)
	h.emu.SetConsent(nil) // the real consent page
	body := strings.ReplaceAll(string(chatEvent{User: alice, Space: "AAA", Args: " dave@example.com", Message: "spaces/AAA/messages/browser"}.JSON()),
		configURL, h.emu.ConfigCompleteURL("browser-token"))
	link := h.sendEvent([]byte(body)).configURL()
	if link == "" {
		t.Fatal("no consent link")
	}

	ctx := browsertest.New(t, 60*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("allow")),
		chromedp.Click(chromedp.CSS(`input[value="`+alice.Email+`"]`)),
	); err != nil {
		t.Fatalf("consent page: %v", err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		browsertest.SaveScreenshot(t, "consent-page.png", shot)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("allow")),
		chromedp.WaitVisible(chromedp.ID("done")),
	); err != nil {
		t.Fatalf("allow: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if loc != h.emu.ConfigCompleteURL("browser-token") {
		t.Fatalf("browser ended at %s", loc)
	}
	if got := h.emu.ConfigCompleted(); len(got) != 1 || got[0] != "browser-token" {
		t.Fatalf("config-complete visits %v", got)
	}
	if got := h.sendEvent([]byte(body)).subtitle(t); got != "1 added" {
		t.Fatalf("re-sent /invite: %q", got)
	}
	if m, ok := member(h, "AAA", dave.ID); !ok || m.State != emulator.StateJoined {
		t.Fatal("dave not added")
	}
}
