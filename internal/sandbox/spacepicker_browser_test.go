package sandbox

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chatinvite/invitebot/internal/browsertest"
	"github.com/chatinvite/invitebot/internal/emulator"
)

// TestSandboxFormPickerInBrowser: on a phone-sized screen the form shows
// Ana's spaces as a multiselect within the screen's width; picking Design
// invites there.
func TestSandboxFormPickerInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	s := startSandbox(t, Options{})
	ctx := browsertest.New(t, 90*time.Second)
	wait := chromedp.WithPollingTimeout(20 * time.Second)
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(s.URL),
		chromedp.WaitVisible(chromedp.CSS(`#spaces button.active`)),
		chromedp.SendKeys(chromedp.ID("text"), "/invite"),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.ID("configure-link")),
	); err != nil {
		t.Fatalf("first /invite: %v", err)
	}
	consentInNewTab(t, ctx, "1001")
	if err := chromedp.Do(ctx,
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('button.cardbutton')].some(b => b.textContent === "Open the form")`, wait),
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('button.cardbutton')].find(b => b.textContent === "Open the form").click()`),
		chromedp.WaitVisible(chromedp.ID("in-pick")),
		chromedp.Poll[chromedp.Void](`document.getElementById("in-pick").options.length === 4 && document.getElementById("in-pick").multiple`, wait),
		chromedp.Poll[chromedp.Void](`document.getElementById("in-pick").getBoundingClientRect().right <= window.innerWidth`, wait),
		chromedp.Evaluate[chromedp.Void](`[...document.getElementById("in-pick").options].find(o => o.value === "spaces/design").selected = true`),
		chromedp.SendKeys(chromedp.ID("in-people"), "lea@example.com"),
	); err != nil {
		t.Fatalf("the form's picker: %v", err)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		browsertest.SaveScreenshot(t, "sandbox-form-picker-phone.png", shot)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("dialog-submit")),
		chromedp.Poll[chromedp.Void](`!document.getElementById("dialog").open`, wait),
	); err != nil {
		t.Fatalf("submit: %v", err)
	}
	if st := memberState(s, "design", "1006"); st != emulator.StateInvited {
		t.Fatalf("Lea in Design: %q, want invited", st)
	}
	if st := memberState(s, "launch", "1006"); st != "" {
		t.Fatalf("Lea in Launch, which was not picked: %q", st)
	}
}
