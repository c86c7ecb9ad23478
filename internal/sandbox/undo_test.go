package sandbox

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chatinvite/invitebot/internal/browsertest"
	"github.com/chatinvite/invitebot/internal/emulator"
)

// TestSandboxUndoCopyInBrowser: Ana copies Alumni into Partners, where she
// is a manager; the final card's Undo removes everyone the copy added (in
// the background: more than 20), and the members panel empties of them,
// while the space's own members stay.
func TestSandboxUndoCopyInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	s := startSandbox(t, Options{QuotaWindow: time.Second, MembershipWrites: 200})
	ctx := browsertest.New(t, 120*time.Second)
	wait := chromedp.WithPollingTimeout(60 * time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL),
		chromedp.WaitVisible(chromedp.CSS(`#spaces button.active`)),
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#spaces button')].find(b => b.textContent.includes("Partners")).click()`),
		chromedp.SendKeys(chromedp.ID("text"), "/invite members of spaces/alumni"),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.ID("configure-link")),
	); err != nil {
		t.Fatalf("send: %v", err)
	}
	consentInNewTab(t, ctx, "1001")
	if err := chromedp.Do(ctx,
		// A copy is previewed first: Start runs it.
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('.card .title')].some(e => e.textContent.startsWith("Preview: 153 people would be added"))`, wait),
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("button.cardbutton")].filter(b => b.textContent === "Start").pop().click()`),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('[data-testid=subtitle]')].some(e => e.textContent === "152 people and 1 group added")`, wait),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-member="3149"]')?.dataset.state === "JOINED"`, wait),
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('button.cardbutton')].find(b => b.textContent === "Undo").click()`),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('[data-testid=subtitle]')].some(e => e.textContent === "152 people and 1 group removed")`, wait),
		chromedp.Poll[chromedp.Void](`!document.querySelector('[data-member="3149"]') && !document.querySelector('[data-member="groups/eng"]')`, wait),
	); err != nil {
		t.Fatalf("undo: %v", err)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		browsertest.SaveScreenshot(t, "sandbox-undo.png", shot)
	}
	for _, key := range []string{"2002", "2003", "3149", "groups/eng"} {
		if st := memberState(s, "partners", key); st != "" {
			t.Fatalf("%s is still in Partners (%s)", key, st)
		}
	}
	for _, key := range []string{"1001", "1002"} {
		if memberState(s, "partners", key) != emulator.StateJoined {
			t.Fatalf("%s, a member before the copy, was removed", key)
		}
	}
}
