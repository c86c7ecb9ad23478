package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("allow"))); err != nil {
		t.Fatalf("consent tab: %v", err)
	}
	heading, err := chromedp.Run(tab, chromedp.Text("h1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab,
		chromedp.Poll[chromedp.Void](`document.getElementById("acct-`+accountID+`").checked`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Click(chromedp.ID("allow")),
		chromedp.WaitVisible(chromedp.ID("done")),
	); err != nil {
		t.Fatalf("consent tab: %v", err)
	}
	if !strings.Contains(heading, "Invite") || strings.Contains(heading, "apps.googleusercontent.com") {
		t.Fatalf("the consent screen names %q, not the app", heading)
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
		chromedp.SendKeys(chromedp.ID("text"), "/invite dan@example.com, ivan@example.com, groups/eng"),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.ID("configure-link")),
	); err != nil {
		t.Fatalf("send /invite: %v", err)
	}
	consentInNewTab(t, ctx, "1001") // login_hint pre-selects Ana
	if err := chromedp.Do(ctx,
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('[data-testid=subtitle]')].some(e => e.textContent === "1 person and 1 group added · 1 invited")`, wait),
		// Chat's system lines (one for what one person added at once), and a group by its display name.
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('[data-testid=system]')].some(e => /^Ana Owner added (.* and )?Dan Newcomer( and .*)?$/.test(e.textContent))`, wait),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('[data-testid=system]')].some(e => /^Ana Owner added (.* and )?Engineering( and .*)?$/.test(e.textContent))`, wait),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('[data-testid=system]')].some(e => e.textContent === "Ana Owner invited Ivan Invitee")`, wait),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-member="groups/eng"]')?.textContent.includes("Engineering")`, wait),
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
	// The README's picture is this page: UPDATE_DOCS=1 writes it.
	if os.Getenv("UPDATE_DOCS") != "" {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "sandbox.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
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
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('[data-testid=system]')].some(e => e.textContent === "Ivan Invitee joined")`, wait),
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

// TestSandboxAsChatShowsIt, at phone width: the members drawer opens below
// its toggle and closes by its button, Escape and a tap outside; "/" opens
// the command menu with descriptions; @ suggestions match from the start of
// a word and close when the message is sent; someone from outside the
// organization sees why there are no spaces, and no members.
func TestSandboxAsChatShowsIt(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	s := startSandbox(t, Options{})
	ctx := browsertest.New(t, 90*time.Second)
	wait := chromedp.WithPollingTimeout(20 * time.Second)
	open := chromedp.Evaluate[chromedp.Void](`document.getElementById("togglemembers").click()`)
	isOpen := `document.getElementById("members").classList.contains("open")`
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(s.URL),
		chromedp.WaitVisible(chromedp.CSS(`#spaces button.active`)),
		open,
		chromedp.Poll[chromedp.Void](isOpen, wait),
		// The drawer never covers its own toggle.
		chromedp.Poll[chromedp.Void](`(() => { const r = document.getElementById("togglemembers").getBoundingClientRect();
			return document.elementFromPoint(r.left + r.width/2, r.top + r.height/2)?.id === "togglemembers"; })()`, wait),
		chromedp.Click(chromedp.ID("closemembers")),
		chromedp.Poll[chromedp.Void](`!`+isOpen, wait),
		open, chromedp.Poll[chromedp.Void](isOpen, wait),
		chromedp.KeyEvent("\x1b"), // Escape
		chromedp.Poll[chromedp.Void](`!`+isOpen, wait),
		open, chromedp.Poll[chromedp.Void](isOpen, wait),
		chromedp.MouseClickXY(30, 500), // the stream, left of the drawer
		chromedp.Poll[chromedp.Void](`!`+isOpen, wait),
	); err != nil {
		t.Fatalf("members drawer: %v", err)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		browsertest.SaveScreenshot(t, "sandbox-phone.png", shot)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("text"), "/"),
		chromedp.Poll[chromedp.Void](`document.querySelector('#suggest [data-command="/invite"]')?.textContent.includes("Add or invite people")`, wait),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("text").value = ""`),
		chromedp.SendKeys(chromedp.ID("text"), "hello @le"),
		chromedp.Poll[chromedp.Void](`!document.getElementById("suggest").hidden`, wait),
	); err != nil {
		t.Fatalf("menus: %v", err)
	}
	names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#suggest button')].map(b => b.dataset.user)`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "1006" { // Lea, not everyone "@example.com"
		t.Fatalf("suggestions for @le: %v", names)
	}
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#suggest button').click()`),
		chromedp.SendKeys(chromedp.ID("text"), "@ma"),
		chromedp.Poll[chromedp.Void](`!document.getElementById("suggest").hidden`, wait),
		chromedp.Click(chromedp.ID("send")),
		chromedp.Poll[chromedp.Void](`document.getElementById("suggest").hidden`, wait),
		// Eve, from another organization.
		chromedp.SetValue(chromedp.ID("user"), "2001"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("user").dispatchEvent(new Event("change"))`),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid=nospaces]')?.textContent.includes("another organization")`, wait),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#memberlist li').length === 0`, wait),
	); err != nil {
		t.Fatalf("outside the organization: %v", err)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		browsertest.SaveScreenshot(t, "sandbox-outsider-phone.png", shot)
	}
}

// TestResentMessageKeepsItsPlace: after consent, Chat makes the message
// public where it was, with its time, and answers after it.
func TestResentMessageKeepsItsPlace(t *testing.T) {
	s := startSandbox(t, Options{})
	c := s.chat
	c.send("1001", "launch", "/invite dan@example.com", nil)
	c.send("1002", "launch", "meanwhile", nil)
	before := c.visible("launch", "1001")[0]
	// Consent in a browser, up to Chat's config-complete page; then Chat
	// re-sends the message.
	consentAndRun(t, s, "launch", "1001", "ana@example.com")
	stream := c.visible("launch", "1002")
	if len(stream) < 3 || stream[0].Text != "/invite dan@example.com" || stream[0].Time != before.Time || stream[1].Text != "meanwhile" {
		var got []string
		for _, m := range stream {
			got = append(got, m.Sender+": "+m.Text)
		}
		t.Fatalf("stream %q", got)
	}
}

// TestSandboxLargeInvitationInBrowser: Ana copies Alumni (150 people of
// the organization, two of others, a group) into Launch; its preview
// shows first and changes nothing until she clicks Start; the progress card
// moves in the page, on Google's quotas (a short window), and ends as the
// outcome card (Launch does not let people of other organizations in).
func TestSandboxLargeInvitationInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	// 150 people at 50 a window: three windows, so the progress card shows.
	s := startSandbox(t, Options{QuotaWindow: 2 * time.Second, MembershipWrites: 50})
	launchBefore := len(s.Emulator.Members("launch"))
	ctx := browsertest.New(t, 120*time.Second)
	wait := chromedp.WithPollingTimeout(60 * time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL),
		chromedp.WaitVisible(chromedp.CSS(`#spaces button.active`)),
		chromedp.SendKeys(chromedp.ID("text"), "/invite members of spaces/alumni"),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.ID("configure-link")),
	); err != nil {
		t.Fatalf("send: %v", err)
	}
	consentInNewTab(t, ctx, "1001")
	// A copy first shows its preview: nothing is added until Start.
	if err := chromedp.Do(ctx,
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('.card .title')].some(e => e.textContent.startsWith("Preview: 153 people would be added to Launch"))`, wait),
	); err != nil {
		t.Fatalf("preview card: %v", err)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		browsertest.SaveScreenshot(t, "sandbox-copy-preview.png", shot)
	}
	if n := len(s.Emulator.Members("launch")); n != launchBefore {
		t.Fatalf("the preview changed Launch's members: %d, were %d", n, launchBefore)
	}
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("button.cardbutton")].filter(b => b.textContent === "Start").pop().click()`),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('.card .title')].some(e => e.textContent.startsWith("Inviting 153 people"))`, wait),
		// Every count the progress card shows, as it shows them.
		chromedp.Evaluate[chromedp.Void](`window.counts = new Set(); setInterval(() => {
			for (const e of document.querySelectorAll('.card .title')) {
				const m = /^Inviting 153 people · (\d+) done/.exec(e.textContent); if (m) window.counts.add(m[1]);
			}
		}, 50)`),
		// While the quota holds every addition back, the card says so.
		chromedp.Poll[chromedp.Void](`document.body.innerText.includes("Waiting for Chat's limit: next additions in ")`, wait),
	); err != nil {
		t.Fatalf("progress card: %v", err)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		browsertest.SaveScreenshot(t, "sandbox-large-progress.png", shot)
	}
	if err := chromedp.Do(ctx,
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('[data-testid=subtitle]')].some(e => e.textContent === "150 people and 1 group added · 2 not allowed")`, wait),
	); err != nil {
		t.Fatalf("final card: %v", err)
	}
	// 150 additions over three windows: the count moved on the way, not
	// only at the end.
	if counts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...window.counts]`)); err != nil || len(counts) < 3 {
		t.Fatalf("the progress card showed counts %q (%v): want it to move on the way", counts, err)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		browsertest.SaveScreenshot(t, "sandbox-large-final.png", shot)
	}
}

// TestSandboxLargeFormInBrowser: Max submits the form with 25 people, more
// than finish while Chat waits: the dialog closes (Google answers a
// submission by closing the dialog or with another one) and the progress
// message moves to the final card.
func TestSandboxLargeFormInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	for _, addOn := range []bool{false, true} {
		name := map[bool]string{false: "classic", true: "addon"}[addOn]
		t.Run(name, func(t *testing.T) {
			// 25 people at 5 a second: the progress message shows counts on the way.
			s := startSandbox(t, Options{AddOn: addOn, QuotaWindow: time.Second, MembershipWrites: 5})
			ctx := browsertest.New(t, 120*time.Second)
			wait := chromedp.WithPollingTimeout(60 * time.Second)
			var people []string
			for i := range 25 {
				people = append(people, fmt.Sprintf("alum%d@example.com", i))
			}
			if err := chromedp.Do(ctx,
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
				chromedp.SetValue(chromedp.ID("in-people"), strings.Join(people, "\n")),
				chromedp.Click(chromedp.ID("dialog-submit")),
				chromedp.Poll[chromedp.Void](`!document.getElementById("dialog").open`, wait),
				chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('.card .title')].some(e => /^Inviting 25 people · ([1-9]|1[0-9]|2[0-4]) done/.test(e.textContent))`, wait),
			); err != nil {
				t.Fatalf("submit: %v", err)
			}
			if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
				browsertest.SaveScreenshot(t, "sandbox-large-form-"+name+".png", shot)
			}
			if err := chromedp.Do(ctx,
				chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('[data-testid=subtitle]')].some(e => e.textContent === "25 added")`, wait),
			); err != nil {
				t.Fatalf("final card: %v", err)
			}
		})
	}
}

// TestSandboxFormPreviewInBrowser: the form's Preview button, beside
// Invite, shows in the dialog what the form would do (Mia is already in
// Launch, Dan is not) and adds nobody; Invite then adds Dan.
func TestSandboxFormPreviewInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	s := startSandbox(t, Options{})
	ctx := browsertest.New(t, 120*time.Second)
	wait := chromedp.WithPollingTimeout(60 * time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL),
		chromedp.WaitVisible(chromedp.CSS(`#spaces button.active`)),
		chromedp.SendKeys(chromedp.ID("text"), "/invite"),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.ID("configure-link")),
	); err != nil {
		t.Fatalf("first /invite: %v", err)
	}
	consentInNewTab(t, ctx, "1001")
	before := len(s.Emulator.Members("launch"))
	if err := chromedp.Do(ctx,
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('button.cardbutton')].some(b => b.textContent === "Open the form")`, wait),
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('button.cardbutton')].find(b => b.textContent === "Open the form").click()`),
		chromedp.WaitVisible(chromedp.ID("in-people")),
		chromedp.SetValue(chromedp.ID("in-people"), "dan@example.com, mia@example.com"),
		chromedp.Click(chromedp.ID("dialog-preview")),
		chromedp.Poll[chromedp.Void](`document.getElementById("dialog").open && document.getElementById("dialogbody").textContent.includes("Would be added (1)")`, wait),
	); err != nil {
		t.Fatalf("preview: %v", err)
	}
	body, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.ID("dialogbody")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "Already a member (1)") || !strings.Contains(body, "Nothing was changed") {
		t.Fatalf("the dialog shows %q", body)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		browsertest.SaveScreenshot(t, "sandbox-form-preview.png", shot)
	}
	if n := len(s.Emulator.Members("launch")); n != before {
		t.Fatalf("the preview changed Launch: %d members, were %d", n, before)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("dialog-submit")),
		chromedp.Poll[chromedp.Void](`!document.getElementById("dialog").open`, wait),
	); err != nil {
		t.Fatalf("invite: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for memberState(s, "launch", "1005") != emulator.StateJoined {
		if time.Now().After(deadline) {
			t.Fatal("Invite after the preview did not add Dan")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
