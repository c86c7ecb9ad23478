package bot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/emulator"
)

// TestOnePolicyForEverySize: the manager requirement, the domain policy
// and the caller's membership are checked before anything is stored or
// written, for a small invitation, a large one and a copy of a space alike.
func TestOnePolicyForEverySize(t *testing.T) {
	paths := []struct {
		name string
		args func(h *harness) string
	}{
		{"small", func(h *harness) string { return " " + strings.Join(addPeople(h, "small", 2), ", ") }},
		{"large", func(h *harness) string { return " " + strings.Join(addPeople(h, "large", 21), ", ") }},
		{"members of", func(h *harness) string {
			h.emu.AddSpace(emulator.Space{ID: "SRC", DisplayName: "Source", Domain: "example.com"})
			h.emu.AddMember("SRC", bob.ID, emulator.RoleMember)
			h.emu.AddMember("SRC", erin.ID, emulator.RoleMember)
			for _, e := range addPeople(h, "copied", 25) {
				p, _ := h.emu.PersonByEmail(e)
				h.emu.AddMember("SRC", p.ID, emulator.RoleMember)
			}
			return " members of spaces/SRC"
		}},
	}
	policies := []struct {
		name    string
		env     map[string]string
		who     emulator.Person
		space   string
		section string
		reason  string
	}{
		{"a plain member, managers only", map[string]string{"INVITE_REQUIRE_MANAGER": "true"}, bob, "AAA", "Not tried", "only owners and managers"},
		{"a domain not allowed", map[string]string{"INVITE_ALLOWED_DOMAINS": "elsewhere.example"}, alice, "AAA", "Not tried", "not allowed by this app&#39;s policy"},
	}
	for _, pol := range policies {
		for _, path := range paths {
			t.Run(pol.name+"/"+path.name, func(t *testing.T) {
				h := startLarge(t, pol.env)
				h.grant(pol.who)
				args := path.args(h)
				if path.name == "members of" && pol.who.ID == alice.ID {
					h.emu.AddMember("SRC", alice.ID, emulator.RoleMember)
				}
				r := h.invite(pol.who, pol.space, args)
				found := false
				for header, lines := range r.lines() {
					if strings.HasPrefix(header, pol.section) && len(lines) > 0 && strings.Contains(lines[0], pol.reason) {
						found = true
					}
				}
				if !found {
					t.Fatalf("want every target %q (%s): %v\n%s", pol.section, pol.reason, r.lines(), r.raw)
				}
				if n := h.emu.MemberCreates(); n != 0 {
					t.Fatalf("%d membership writes", n)
				}
				if left, _ := h.bot.DB.ResumeInvitations(context.Background()); len(left) != 0 {
					t.Fatalf("an invitation was stored: %v", left)
				}
				if ms := h.emu.AppMessages(pol.space); len(ms) != 0 {
					t.Fatalf("a progress message was posted: %+v", ms)
				}
			})
		}
	}
}

// TestLargeStartWithoutAMessageSlot: when the space's message quota gives
// no slot while Chat waits, the answer itself carries the progress card
// (within Chat's deadline), and the work posts its message as it goes.
func TestLargeStartWithoutAMessageSlot(t *testing.T) {
	h := startBotWith(t, map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "emulator",
		"QUOTA_SPACE_WRITES_PER_MINUTE": "1", "QUOTA_MEMBERSHIP_WRITES_PER_MINUTE": "100"},
		Deps{BackoffBase: time.Millisecond, QuotaWindow: 2 * time.Second, ProgressEvery: 300 * time.Millisecond,
			JobPoll: 100 * time.Millisecond, SlotWait: 50 * time.Millisecond})
	h.clock.Real()
	h.grant(alice)
	first := h.invite(alice, "AAA", " "+strings.Join(addPeople(h, "one", 21), ", "))
	if len(first.msg.CardsV2) != 0 {
		t.Fatalf("the first one had its slot: %s", first.raw)
	}
	second := h.invite(alice, "AAA", " "+strings.Join(addPeople(h, "two", 21), ", "))
	if cardID(second.msg) != "invite-progress" || !strings.HasPrefix(second.msg.CardsV2[0].Card.Header.Title, "Inviting 21 people") {
		t.Fatalf("want the progress card in the answer: %s", second.raw)
	}
	finals := func() int {
		n := 0
		for _, m := range h.emu.AppMessages("AAA") {
			if cardID(m) == "invite-result" && m.CardsV2[0].Card.Header.Subtitle == "21 added" {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(60 * time.Second)
	for finals() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("both invitations did not finish: %+v", h.emu.AppMessages("AAA"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLargeStartWhileStopping: SIGTERM while a large invitation starts: the
// answer says nothing was done, and nothing is stored to run later.
func TestLargeStartWhileStopping(t *testing.T) {
	h := startLarge(t, nil)
	h.grant(alice)
	h.bot.drain()
	r := h.invite(alice, "AAA", " "+strings.Join(addPeople(h, "term", 21), ", "))
	if !strings.Contains(string(r.raw), "restarting") {
		t.Fatalf("want the restarting answer: %s", r.raw)
	}
	if left, _ := h.bot.DB.ResumeInvitations(context.Background()); len(left) != 0 {
		t.Fatalf("stored while stopping: %v", left)
	}
	if h.emu.MemberCreates() != 0 || len(h.emu.AppMessages("AAA")) != 0 {
		t.Fatal("something was written")
	}
}

// TestNobodyDroppedForTheQuota: with the project's membership quota taken
// by a large invitation, a small /invite that gets no slot within SlotWait
// is answered at once and finished in the background (never "not tried:
// the time limit"), taking its turn beside the large one.
func TestNobodyDroppedForTheQuota(t *testing.T) {
	h := startBotWith(t, map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "emulator",
		"QUOTA_SPACE_WRITES_PER_MINUTE": "60", "QUOTA_MEMBERSHIP_WRITES_PER_MINUTE": "10"},
		Deps{BackoffBase: time.Millisecond, QuotaWindow: 2 * time.Second, ProgressEvery: 300 * time.Millisecond,
			JobPoll: 100 * time.Millisecond, SlotWait: 50 * time.Millisecond})
	h.clock.Real()
	h.grant(alice)
	h.grant(bob)
	h.invite(alice, "AAA", " "+strings.Join(addPeople(h, "bulk", 40), ", "))
	h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-progress" })
	for h.emu.MemberCreates() < 10 { // the window's quota is taken
		time.Sleep(5 * time.Millisecond)
	}
	r := h.invite(bob, "AAA", " dave@example.com")
	if strings.Contains(string(r.raw), "time limit") {
		t.Fatalf("dropped for the quota: %s", r.raw)
	}
	if len(r.msg.CardsV2) == 1 && r.msg.CardsV2[0].CardId == "invite-result" {
		// The window turned before bob asked: added while Chat waited.
		if got := r.subtitle(t); got != "1 added" {
			t.Fatalf("card %q", got)
		}
		return
	}
	h.progress("AAA", func(m chat.Message) bool {
		return cardID(m) == "invite-result" && m.PrivateMessageViewer != nil && m.PrivateMessageViewer.Name == "users/"+bob.ID &&
			m.CardsV2[0].Card.Header.Subtitle == "1 added"
	})
	if _, ok := member(h, "AAA", dave.ID); !ok {
		t.Fatal("dave was not added")
	}
}

// TestLargeStartWithinAClientTimeout: Chat's side hangs up after 3 s (a
// client timeout shorter than Chat's 30 s); with the space's message quota
// taken, a large /invite still answers well within it, with the progress
// card, and the invitation it announced runs to its end.
func TestLargeStartWithinAClientTimeout(t *testing.T) {
	h := startBotWith(t, map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "emulator",
		"QUOTA_SPACE_WRITES_PER_MINUTE": "1", "QUOTA_MEMBERSHIP_WRITES_PER_MINUTE": "100"},
		Deps{BackoffBase: time.Millisecond, QuotaWindow: 4 * time.Second, ProgressEvery: 300 * time.Millisecond,
			JobPoll: 100 * time.Millisecond})
	h.clock.Real()
	h.grant(alice)
	h.invite(alice, "AAA", " "+strings.Join(addPeople(h, "taken", 21), ", ")) // takes the space's message slot
	client := &http.Client{Timeout: 3 * time.Second}
	body := chatEvent{User: alice, Space: "AAA", Args: " " + strings.Join(addPeople(h, "hurry", 21), ", ")}.JSON()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/chat/events", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.emu.ChatToken(h.cfg.ChatAudience))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("no answer within the client's 3 s: %v", err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(out), "invite-progress") {
		t.Fatalf("want the progress card in the answer: %s", out)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		left, err := h.bot.DB.ResumeInvitations(context.Background())
		if err == nil && len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the announced invitations did not finish: %v %v", left, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, e := range []string{"hurry0@example.com", "hurry20@example.com"} {
		p, _ := h.emu.PersonByEmail(e)
		if _, ok := member(h, "AAA", p.ID); !ok {
			t.Fatalf("%s was not added", e)
		}
	}
}

// TestOneUserDoesNotStarveAnother: one person's three large invitations
// hold every membership writer; another person's three-person /invite still
// takes its turn and is done long before them.
func TestOneUserDoesNotStarveAnother(t *testing.T) {
	h := startLarge(t, nil) // 25 membership writes per 2 s
	h.grant(alice)
	h.grant(bob)
	for i := range 3 {
		h.invite(alice, "AAA", " "+strings.Join(addPeople(h, fmt.Sprintf("hog%d", i), 60), ", "))
	}
	for h.emu.MemberCreates() < 25 { // the first window is taken
		time.Sleep(5 * time.Millisecond)
	}
	r := h.invite(bob, "AAA", " "+strings.Join(addPeople(h, "fair", 3), ", "))
	if strings.Contains(string(r.raw), "time limit") {
		t.Fatalf("bob was dropped: %s", r.raw)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		done := 0
		for _, e := range []string{"fair0@example.com", "fair1@example.com", "fair2@example.com"} {
			p, _ := h.emu.PersonByEmail(e)
			if _, ok := member(h, "AAA", p.ID); ok {
				done++
			}
		}
		if done == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("bob's invitation never finished")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// 180 writes at 25 per 2 s take over 14 s; bob's 3 came in their turn.
	if made := h.emu.MemberCreates(); made >= 150 {
		t.Fatalf("bob's 3 came after %d of alice's writes", made-3)
	}
}

// TestLargeStartsWithoutAPoll: an invitation stored with its job in one
// transaction starts at once, without waiting for River's poll, whether
// River was idle or already running another.
func TestLargeStartsWithoutAPoll(t *testing.T) {
	h := startBotWith(t, map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "emulator",
		"QUOTA_SPACE_WRITES_PER_MINUTE": "10", "QUOTA_MEMBERSHIP_WRITES_PER_MINUTE": "100"},
		Deps{BackoffBase: time.Millisecond, QuotaWindow: testQuota.Window, ProgressEvery: 300 * time.Millisecond, JobPoll: time.Hour})
	h.clock.Real()
	h.grant(alice)
	for i := range 3 {
		prefix := fmt.Sprintf("nopoll%d-", i)
		h.invite(alice, "AAA", " "+strings.Join(addPeople(h, prefix, 21), ", "))
		h.progressWithin("AAA", 30*time.Second, func(m chat.Message) bool {
			return cardID(m) == "invite-result" && strings.Contains(mustJSON(m), prefix)
		})
	}
}

// TestProgressMovesWhileWaiting: while the quota holds every writer back
// (no result comes), the progress message still shows what is done, and
// the time left at the quota's rate.
func TestProgressMovesWhileWaiting(t *testing.T) {
	h := startBotWith(t, map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "emulator",
		"QUOTA_SPACE_WRITES_PER_MINUTE": "60", "QUOTA_MEMBERSHIP_WRITES_PER_MINUTE": "10"},
		Deps{BackoffBase: time.Millisecond, QuotaWindow: 3 * time.Second, ProgressEvery: 200 * time.Millisecond, JobPoll: 100 * time.Millisecond})
	h.clock.Real()
	h.emu.SetQuota(emulator.Quota{Window: 3 * time.Second, SpaceWrites: 60, ProjectMembershipWrites: 10})
	h.grant(alice)
	h.invite(alice, "AAA", " "+strings.Join(addPeople(h, "wait", 25), ", "))
	m := h.progress("AAA", func(m chat.Message) bool {
		return cardID(m) == "invite-progress" && strings.Contains(m.CardsV2[0].Card.Header.Title, "· 10 done")
	})
	if n := h.emu.MemberCreates(); n > 10 {
		t.Logf("seen after %d writes (the window turned first)", n)
	}
	// 15 left at 200 a minute (10 per 3 s): about 5 s.
	if text := mustJSON(m); !strings.Contains(text, "about 5 s left") {
		t.Fatalf("no time left: %s", text)
	}
}
