package sandbox

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chatinvite/invitebot/internal/browsertest"
	"github.com/chatinvite/invitebot/internal/emulator"
)

// TestActingUserListAndDisabledComposer: the acting-user list groups people
// by space (the one shown first) and a search finds one of 159 people; an
// invited person's composer looks disabled (greyed, no blue Send) and says
// why.
func TestActingUserListAndDisabledComposer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	s := startSandbox(t, Options{})
	s.chat.send("1001", "launch", "/invite ivan@example.com", nil)
	consentAndRun(t, s, "launch", "1001", "ana@example.com")
	if memberState(s, "launch", "1004") != emulator.StateInvited {
		t.Fatal("ivan not invited")
	}
	ctx := browsertest.New(t, 90*time.Second)
	wait := chromedp.WithPollingTimeout(20 * time.Second)
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(s.URL),
		chromedp.WaitVisible(chromedp.CSS(`#spaces button.active`)),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#user optgroup').length > 0`, wait),
	); err != nil {
		t.Fatal(err)
	}
	labels, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#user optgroup')].map(g => g.label)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) < 3 || labels[0] != "Launch (4)" || !contains(labels, "Alumni (153)") || labels[len(labels)-1] != "In no space yet (3)" {
		t.Fatalf("groups %q: want Launch (shown) first, Alumni, and those in no space last", labels)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("usersearch"), "alum 149"),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#user option')].filter(o => !o.hidden).length === 1`, wait),
		chromedp.KeyEvent("\r"),
		chromedp.Poll[chromedp.Void](`document.getElementById("user").value === "3149" && document.getElementById("roomname").textContent === "Alumni"`, wait),
	); err != nil {
		t.Fatalf("search: %v", err)
	}

	// Ivan, invited to Launch: he cannot write there, and it shows.
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`(() => { const q = document.getElementById("usersearch"); q.value = ""; q.dispatchEvent(new Event("input")); })()`),
		chromedp.SetValue(chromedp.ID("user"), "1004"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("user").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(chromedp.ID("accept")),
		chromedp.Poll[chromedp.Void](`document.getElementById("text").disabled`, wait),
	); err != nil {
		t.Fatalf("as Ivan: %v", err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		browsertest.SaveScreenshot(t, "sandbox-invited.png", shot)
	}
	look, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`(() => {
		const ta = getComputedStyle(document.getElementById("text")), send = getComputedStyle(document.getElementById("send"));
		return {taBg: ta.backgroundColor, taCursor: ta.cursor, sendBg: send.backgroundColor, placeholder: document.getElementById("text").placeholder};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if look["taBg"] == "rgb(255, 255, 255)" || look["taCursor"] != "not-allowed" || look["sendBg"] == "rgb(11, 87, 208)" ||
		!strings.Contains(look["placeholder"], "Accept the invitation") {
		t.Errorf("a disabled composer looks enabled: %v", look)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
