package sandbox

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"

	"github.com/chatinvite/invitebot/internal/emulator"
)

// TestSandboxGroupByAddress: the sandbox's Engineering group has an
// address; "/invite eng@example.com" first offers the permission to look
// groups up, and once it is given adds Engineering as a group.
func TestSandboxGroupByAddress(t *testing.T) {
	s := startSandbox(t, Options{})
	s.chat.send("1001", "launch", "/invite eng@example.com", nil)
	consentAndRun(t, s, "launch", "1001", "ana@example.com")
	var link string
	re := regexp.MustCompile(`"url":"(http[^"]*/oauth2/start\?l=[^"]+)"`)
	for _, m := range s.chat.visible("launch", "1001") {
		if sub := re.FindStringSubmatch(string(m.Cards)); sub != nil && strings.Contains(string(m.Cards), "Allow group lookups") {
			link = sub[1]
		}
	}
	if link == "" {
		t.Fatal("no offer to look groups up")
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	s.Emulator.SetConsent(&emulator.Consent{Account: "ana@example.com"})
	for _, u := range []string{link, link + "&go=1"} {
		resp, err := browser.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", u, resp.StatusCode, body)
		}
	}
	r := s.chat.send("1001", "launch", "/invite eng@example.com", nil)
	if r.Error != "" {
		t.Fatal(r.Error)
	}
	if got := memberState(s, "launch", "groups/eng"); got != emulator.StateJoined {
		t.Fatalf("Engineering is %q in Launch", got)
	}
	found := false
	for _, m := range s.chat.visible("launch", "1001") {
		found = found || strings.Contains(string(m.Cards), "Added to Launch") && strings.Contains(string(m.Cards), "1 group added") && strings.Contains(string(m.Cards), "Engineering (group)")
	}
	if !found {
		t.Fatal("no card says Added to Launch, 1 group added, Engineering (group)")
	}
}
