package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/emulator"
)

// TestLargeInvitationSurvivesKill9: the bot process is killed (SIGKILL)
// half way through a large invitation; started again on the same store, it
// takes the work over once the dead slice's time is up, checks the target
// whose call may have gone out, and finishes: everyone added, once.
func TestLargeInvitationSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	bin := buildBot(t)
	emu, err := emulator.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	alice := emu.AddPerson(emulator.Person{ID: "1001", Email: "alice@example.com", DisplayName: "Alice", AutoAccept: true})
	emu.AddSpace(emulator.Space{ID: "AAA", DisplayName: "Team", Domain: "example.com"})
	emu.AddMember("AAA", alice.ID, emulator.RoleOwner)
	emu.AddMember("AAA", "app", emulator.RoleMember)
	var emails []string
	for i := range 40 {
		p := emu.AddPerson(emulator.Person{ID: fmt.Sprintf("50%02d", i), Email: fmt.Sprintf("p%d@example.com", i), DisplayName: fmt.Sprintf("P %d", i), AutoAccept: true})
		emails = append(emails, p.Email)
	}
	emu.SetQuota(emulator.Quota{Window: 2 * time.Second, SpaceWrites: 10, ProjectMembershipWrites: 25})
	key, err := emu.AddServiceAccount("invite-bot@crash.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key.json"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	base := "http://127.0.0.1:" + itoa(port)
	emu.RegisterClient("crash-client", "crash-secret", base+"/oauth2/callback")
	env := append(os.Environ(), "PORT="+itoa(port), "BOT_BASE_URL="+base, "BOT_DATA_DIR="+filepath.Join(dir, "data"),
		"GOOGLE_EMULATOR_URL="+emu.URL(), "GOOGLE_OAUTH_CLIENT_ID=crash-client", "GOOGLE_OAUTH_CLIENT_SECRET=crash-secret",
		"GOOGLE_APPLICATION_CREDENTIALS="+filepath.Join(dir, "key.json"), "DATABASE_URL=", "TOKEN_KEYSET_FILE=",
		"QUOTA_WINDOW=2s", "QUOTA_SPACE_WRITES_PER_MINUTE=10", "QUOTA_MEMBERSHIP_WRITES_PER_MINUTE=25", "INVITE_RESCUE_AFTER=2s", "LOG_LEVEL=warn")
	start := func() *exec.Cmd {
		cmd := exec.Command(bin)
		cmd.Env = env
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		waitHealthy(t, base+"/healthz")
		return cmd
	}
	app := emulator.AppFor(base+"/chat/events", map[int64]string{1: "invite", 2: "help", 3: "logout"}, false)
	send := func(name, text string) []byte {
		ev := app.MessageEvents(emulator.Message{User: *alice, Space: emulator.Space{ID: "AAA", Type: emulator.SpaceTypeSpace},
			Name: name, Text: text, ConfigCompleteURL: emu.ConfigCompleteURL("crash")})[0]
		body, _ := json.Marshal(ev)
		req, _ := http.NewRequest(http.MethodPost, base+"/chat/events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+emu.ChatToken(base+"/chat/events"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, out)
		}
		return out
	}

	first := start()
	// Consent, as a browser would, up to Chat's config-complete page.
	var prompt chat.Message
	_ = json.Unmarshal(send("spaces/AAA/messages/consent", "/invite alice@example.com"), &prompt)
	if prompt.ActionResponse == nil || prompt.ActionResponse.Url == "" {
		t.Fatal("no consent prompt")
	}
	emu.SetConsent(&emulator.Consent{Account: alice.Email})
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if strings.HasSuffix(r.URL.Path, "/chat/config-complete") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	if resp, err := browser.Get(prompt.ActionResponse.Url); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent: %v %v", resp, err)
	}

	send("spaces/AAA/messages/large", "/invite "+strings.Join(emails, ", "))
	deadline := time.Now().Add(60 * time.Second)
	for emu.MemberCreates() < 15 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d membership calls", emu.MemberCreates())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	killedAt := emu.MemberCreates()

	start() // the same store, a new process
	deadline = time.Now().Add(120 * time.Second)
	for {
		var final *chat.Message
		for _, m := range emu.AppMessages("AAA") {
			if len(m.CardsV2) > 0 && m.CardsV2[0].CardId == "invite-result" {
				final = &m
			}
		}
		if final != nil {
			if got := final.CardsV2[0].Card.Header.Subtitle; got != "40 added" {
				t.Fatalf("after kill -9: %q", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not finished after kill -9 (%d calls before, %d now)", killedAt, emu.MemberCreates())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := range 40 {
		found := false
		for _, m := range emu.Members("AAA") {
			if m.Key == fmt.Sprintf("50%02d", i) && m.State == emulator.StateJoined {
				found = true
			}
		}
		if !found {
			t.Fatalf("p%d not a member", i)
		}
	}
	if made := emu.MemberCreates(); made > 40+1 {
		// At most the call in flight at the kill may be made again (it
		// then meets 409 and reads as added).
		t.Fatalf("%d membership calls for 40 people", made)
	}
}
