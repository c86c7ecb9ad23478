package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/chatinvite/invitebot/internal/browsertest"
	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/logging"
)

func startSandbox(t *testing.T, opts Options) *Sandbox {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, "127.0.0.1:0", logging.Discard(), opts)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-served
		s.Close()
	})
	return s
}

func memberState(s *Sandbox, space, id string) string {
	for _, m := range s.Emulator.Members(space) {
		if m.Key == id {
			return m.State
		}
	}
	return ""
}

// consentInNewTab clicks the Configure link and, in the tab it opens, checks
// the pre-selected account and allows.
func consentInNewTab(t *testing.T, ctx context.Context, accountID string) {
	t.Helper()
	newTab := chromedp.WaitNewTarget(ctx, func(i *target.Info) bool { return i.Type == "page" })
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("configure-link"))); err != nil {
		t.Fatal(err)
	}
	tab, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(<-newTab))
	defer cancel()
	if err := chromedp.Do(tab,
		chromedp.WaitVisible(chromedp.ID("allow")),
		chromedp.Poll[chromedp.Void](`document.getElementById("acct-`+accountID+`").checked`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Click(chromedp.ID("allow")),
		chromedp.WaitVisible(chromedp.ID("done")),
	); err != nil {
		t.Fatalf("consent tab: %v", err)
	}
}

// TestSandboxInBrowser: open the page, /invite two people, complete consent
// in the tab Chat's Configure link opens, and see the result card and the
// members panel update; then the invited person accepts.
func TestSandboxInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	s := startSandbox(t, Options{})
	ctx := browsertest.New(t, 90*time.Second)
	wait := chromedp.WithPollingTimeout(20 * time.Second)

	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL),
		chromedp.WaitVisible(chromedp.CSS(`#spaces button.active`)),
		chromedp.SendKeys(chromedp.ID("text"), "/invite dan@example.com, ivan@example.com"),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.ID("configure-link")),
	); err != nil {
		t.Fatalf("send /invite: %v", err)
	}
	consentInNewTab(t, ctx, "1001") // login_hint pre-selects Ana
	if err := chromedp.Do(ctx,
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('[data-testid=subtitle]')].some(e => e.textContent === "1 added · 1 invited")`, wait),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-member="1005"]')?.dataset.state === "JOINED" && document.querySelector('[data-member="1004"]')?.dataset.state === "INVITED"`, wait),
		chromedp.Poll[chromedp.Void](`!document.querySelector('[data-testid=configure]')`, wait),
	); err != nil {
		t.Fatalf("result: %v", err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	browsertest.SaveScreenshot(t, "sandbox.png", shot)
	if memberState(s, "launch", "1005") != emulator.StateJoined || memberState(s, "launch", "1004") != emulator.StateInvited {
		t.Fatal("the emulator does not hold the new memberships")
	}

	// Ivan accepts his invitation.
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("user"), "1004"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("user").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(chromedp.ID("accept")),
		chromedp.Click(chromedp.ID("accept")),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-member="1004"]')?.dataset.state === "JOINED"`, wait),
	); err != nil {
		t.Fatalf("accept: %v", err)
	}
	if memberState(s, "launch", "1004") != emulator.StateJoined {
		t.Fatal("ivan did not join")
	}
}

// TestSandboxFormOnPhone: /invite alone first asks for consent; after it,
// Chat re-sends /invite and the app offers the form; its button opens the
// dialog as a modal, and the submission posts the result card. On a
// phone-sized screen, with the app configured both ways (classic Chat app
// and Workspace add-on: the emulated Chat refuses a button that would not
// reach the app).
func TestSandboxFormOnPhone(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	for _, addOn := range []bool{false, true} {
		name := map[bool]string{false: "classic", true: "addon"}[addOn]
		t.Run(name, func(t *testing.T) {
			s := startSandbox(t, Options{AddOn: addOn})
			ctx := browsertest.New(t, 90*time.Second)
			wait := chromedp.WithPollingTimeout(20 * time.Second)
			if err := chromedp.Do(ctx,
				chromedp.EmulateViewport(390, 844),
				chromedp.Navigate(s.URL),
				chromedp.WaitVisible(chromedp.CSS(`#spaces button.active`)),
				chromedp.SetValue(chromedp.ID("user"), "1002"), // Max, a manager
				chromedp.Evaluate[chromedp.Void](`document.getElementById("user").dispatchEvent(new Event("change"))`),
				chromedp.SendKeys(chromedp.ID("text"), "/invite"),
				chromedp.Click(chromedp.ID("send")),
				chromedp.WaitVisible(chromedp.ID("configure-link")),
			); err != nil {
				t.Fatalf("first /invite: %v", err)
			}
			consentInNewTab(t, ctx, "1002")
			if err := chromedp.Do(ctx,
				chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('button.cardbutton')].some(b => b.textContent === "Open the form")`, wait),
				chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('button.cardbutton')].find(b => b.textContent === "Open the form").click()`),
				chromedp.WaitVisible(chromedp.ID("in-people")),
				chromedp.SendKeys(chromedp.ID("in-people"), "lea@example.com\neve@partner.example"),
			); err != nil {
				t.Fatalf("open the form: %v", err)
			}
			if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
				browsertest.SaveScreenshot(t, "sandbox-form-phone-"+name+".png", shot)
			}
			if err := chromedp.Do(ctx,
				chromedp.Click(chromedp.ID("dialog-submit")),
				chromedp.Poll[chromedp.Void](`!document.getElementById("dialog").open`, wait),
				chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('[data-testid=subtitle]')].some(e => e.textContent === "1 invited · 1 not allowed")`, wait),
			); err != nil {
				t.Fatalf("submit: %v", err)
			}
			if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
				browsertest.SaveScreenshot(t, "sandbox-result-phone-"+name+".png", shot)
			}
			if memberState(s, "launch", "1006") != emulator.StateInvited {
				t.Fatal("lea not invited")
			}
		})
	}
}
