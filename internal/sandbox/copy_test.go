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
