package sandbox

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chatinvite/invitebot/internal/browsertest"
)

// TestConsentFitsOneScreen: the emulated account chooser shows the person
// who asked first and chosen (the sandbox has 159 people), and Allow is in
// view without scrolling on a phone and on a laptop.
func TestConsentFitsOneScreen(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	s := startSandbox(t, Options{})
	s.chat.send("1002", "launch", "/invite dan@example.com", nil)
	var link string
	for _, m := range s.chat.visible("launch", "1002") {
		if m.ConfigURL != "" {
			link = m.ConfigURL
		}
	}
	if link == "" {
		t.Fatal("no consent asked")
	}
	ctx := browsertest.New(t, 60*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 664), // a phone, less the browser's bars
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("allow")),
	); err != nil {
		t.Fatal(err)
	}
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"phone", 390, 664}, {"laptop", 1280, 640}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h)); err != nil {
			t.Fatal(err)
		}
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			browsertest.SaveScreenshot(t, "consent-"+vp.name+".png", shot)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => {
			const allow = document.getElementById("allow").getBoundingClientRect();
			const radios = [...document.querySelectorAll('input[name=account]')];
			const seen = radios.filter(r => r.checkVisibility());
			const first = seen[0];
			return {allowBottom: allow.bottom, height: window.innerHeight, scrollY: window.scrollY,
				first: first ? first.id : "", checked: first ? first.checked : false,
				shown: seen.length};
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if got["allowBottom"].(float64) > got["height"].(float64) || got["scrollY"].(float64) != 0 {
			t.Errorf("%s: Allow ends at %v, below the %v px screen", vp.name, got["allowBottom"], got["height"])
		}
		if got["first"] != "acct-1002" || got["checked"] != true || got["shown"].(float64) != 1 {
			t.Errorf("%s: the accounts shown start with %v (checked %v), %v shown; want Max alone, chosen", vp.name, got["first"], got["checked"], got["shown"])
		}
	}
	// Another account is one click away.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#others summary`)),
		chromedp.WaitVisible(chromedp.ID("acct-1001")),
	); err != nil {
		t.Fatalf("other accounts: %v", err)
	}
}
