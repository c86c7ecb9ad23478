package sandbox

import (
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/emulator"
)

// consentAndRun completes the consent a command of user's asked for, as a
// browser would, and lets Chat send the command again.
func consentAndRun(t *testing.T, s *Sandbox, spaceID, userID, email string) {
	t.Helper()
	c := s.chat
	var link string
	for _, m := range c.visible(spaceID, userID) {
		if m.ConfigURL != "" {
			link = m.ConfigURL
		}
	}
	c.mu.Lock()
	var token string
	for k := range c.pending {
		token = k
	}
	c.mu.Unlock()
	if link == "" || token == "" {
		t.Fatal("no consent pending")
	}
	s.Emulator.SetConsent(&emulator.Consent{Account: email})
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasSuffix(req.URL.Path, "/chat/config-complete") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := browser.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent ended with %d", resp.StatusCode)
	}
	c.configured(token)
}

// TestSandboxCopiesAlumniAsGoogleListsThem: "/invite members of
// spaces/alumni" in Partners (which lets people of other organizations in)
// copies Alumni's group and its two people of other organizations, named by
// the email the member list gives.
func TestSandboxCopiesAlumniAsGoogleListsThem(t *testing.T) {
	s := startSandbox(t, Options{QuotaWindow: time.Second, MembershipWrites: 200})
	s.chat.send("1001", "partners", "/invite members of spaces/alumni", nil)
	consentAndRun(t, s, "partners", "1001", "ana@example.com")
	clickOnCard(t, s, "partners", "1001", "Start")
	deadline := time.Now().Add(60 * time.Second)
	for _, key := range []string{"groups/eng", "2002", "2003", "3149"} {
		for memberState(s, "partners", key) != emulator.StateJoined {
			if time.Now().After(deadline) {
				t.Fatalf("%s was not copied into Partners: %+v", key, s.Emulator.Members("partners"))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestBackgroundCopyShowsAddedLines: a copy that runs in the background
// shows "Ana Owner added …" lines in the space like any addition, naming
// everyone it added; another command's answer in the middle is followed by
// at most one line per kind, never buried under them.
func TestBackgroundCopyShowsAddedLines(t *testing.T) {
	// 153 additions at 50 a second: about three seconds.
	s := startSandbox(t, Options{QuotaWindow: time.Second, MembershipWrites: 50})
	c := s.chat
	c.send("1001", "partners", "/invite members of spaces/alumni", nil)
	consentAndRun(t, s, "partners", "1001", "ana@example.com")
	clickOnCard(t, s, "partners", "1001", "Start")
	joined := func() int {
		n := 0
		for _, m := range s.Emulator.Members("partners") {
			if m.AddedBy == "1001" {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(60 * time.Second)
	for joined() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the copy did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.observe() // the page looks
	c.send("1001", "partners", "/help", nil)
	for joined() < 153 {
		if time.Now().After(deadline) {
			t.Fatalf("the copy did not finish: %d added", joined())
		}
		c.observe() // the page keeps looking
		time.Sleep(10 * time.Millisecond)
	}
	c.observe()
	stream := c.visible("partners", "1001")
	named := map[string]bool{}
	help := -1
	for i, m := range stream {
		if m.Sender == "system" {
			if !strings.HasPrefix(m.Text, "Ana Owner added ") {
				t.Errorf("system line %q", m.Text)
			}
			for _, n := range m.names {
				named[n] = true
			}
		}
		if m.Sender == "app" && help < 0 && i > 0 && stream[i-1].Text == "/help" {
			help = i
		}
	}
	if len(named) != 153 {
		t.Errorf("the lines name %d people and groups, want 153", len(named))
	}
	if !named["Alum 149"] || !named["Olu Outside"] || !named["Engineering"] {
		t.Errorf("lines lack someone: %v", len(named))
	}
	if help < 0 {
		var got []string
		for _, m := range stream {
			got = append(got, m.Sender+": "+m.Text)
		}
		t.Fatalf("no answer to /help in the stream: %q", got)
	}
	after := 0
	for _, m := range stream[help+1:] {
		if m.Sender == "system" {
			after++
		}
	}
	if after > 1 {
		t.Errorf("%d system lines below the answer to /help, want at most one", after)
	}
}

// TestSystemLinesAsChatShowsThem: one line for what one person did at
// once, naming up to three, then a count; someone removed and added again
// shows again.
func TestSystemLinesAsChatShowsThem(t *testing.T) {
	for names, want := range map[string]string{
		"Dan":                 "Dan",
		"Dan,Mia":             "Dan and Mia",
		"Dan,Mia,Lea":         "Dan, Mia and Lea",
		"Dan,Mia,Lea,Eve,Olu": "Dan, Mia and 3 others",
	} {
		if got := listNames(strings.Split(names, ",")); got != want {
			t.Errorf("listNames(%s) = %q, want %q", names, got, want)
		}
	}
	s := startSandbox(t, Options{})
	c := s.chat
	c.send("1001", "launch", "/invite dan@example.com", nil)
	consentAndRun(t, s, "launch", "1001", "ana@example.com")
	s.Emulator.RemoveMember("launch", "1005")
	c.observe()
	c.send("1001", "launch", "/invite dan@example.com", nil)
	n := 0
	for _, m := range c.visible("launch", "1001") {
		if m.Sender == "system" && m.Text == "Ana Owner added Dan Newcomer" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d lines 'Ana Owner added Dan Newcomer', want one per addition (2)", n)
	}
}

// TestSandboxManagerRemoves: Ana, who owns Launch, removes Mia with
// /remove; the space shows "Ana Owner removed Mia Member" as Chat does.
func TestSandboxManagerRemoves(t *testing.T) {
	s := startSandbox(t, Options{})
	s.chat.send("1001", "launch", "/remove mia@example.com", nil)
	consentAndRun(t, s, "launch", "1001", "ana@example.com")
	if st := memberState(s, "launch", "1003"); st != "" {
		t.Fatalf("Mia is still in Launch (%s)", st)
	}
	s.chat.observe()
	found := false
	for _, m := range s.chat.visible("launch", "1001") {
		if m.Sender == "system" && m.Text == "Ana Owner removed Mia Member" {
			found = true
		}
	}
	if !found {
		var got []string
		for _, m := range s.chat.visible("launch", "1001") {
			got = append(got, m.Sender+": "+m.Text)
		}
		t.Fatalf("no removal line: %q", got)
	}
}
