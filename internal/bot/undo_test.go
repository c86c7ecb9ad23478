package bot

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/storage"
)

// clickAction sends who's click on action in space AAA, as the emulated Chat
// builds it, and checks the answer by Chat's rules.
func (h *harness) clickAction(who emulator.Person, action *chat.GoogleAppsCardV1Action) reply {
	h.t.Helper()
	ev, err := h.app(false).ClickEvent(emulator.Click{User: who, Space: spaceOf("AAA"), Action: action})
	if err != nil {
		h.t.Fatal(err)
	}
	return h.sendEvent([]byte(mustJSON(ev)))
}

// hasButton reports whether m's cards have a button labelled text.
func hasButton(m chat.Message, text string) bool {
	for _, c := range m.CardsV2 {
		for _, s := range c.Card.Sections {
			for _, w := range s.Widgets {
				if w.ButtonList == nil {
					continue
				}
				for _, b := range w.ButtonList.Buttons {
					if b.Text == text {
						return true
					}
				}
			}
		}
	}
	return false
}

// TestUndoSmallInvitation: the answer of an /invite that added or invited
// anyone carries Undo; only its starter may use it (others are told who
// can); it removes exactly whom the invitation added or invited (a group
// too, someone invited who never accepted too), never who was already a
// member; someone gone since is "already gone"; a second click removes
// nobody again and answers with the first undo.
func TestUndoSmallInvitation(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	h.grant(bob)
	r := h.invite(alice, "AAA", " bob@example.com, dave@example.com, carol@example.com, erin@partner.example, groups/eng")
	if got := r.subtitle(t); got != "1 person and 1 group added · 1 invited · 1 already a member · 1 not allowed" {
		t.Fatalf("invite: %q %v", got, r.lines())
	}
	undo := findButtonIn(t, r.msg, "Undo")
	// Someone else's click: refused, naming who may.
	if got := h.clickAction(bob, undo); got.msg.Text != "Only Alice Owner, who started it, can undo it." {
		t.Fatalf("bob's click: %s", got.raw)
	}
	if h.emu.MemberDeletes() != 0 {
		t.Fatal("bob's click removed someone")
	}
	h.emu.RemoveMember("AAA", dave.ID) // dave left since
	first := h.clickAction(alice, undo)
	if got := first.subtitle(t); got != "1 person and 1 group removed · 1 not a member" {
		t.Fatalf("undo: %q %v", got, first.lines())
	}
	if got := first.lines()["Not a member (1)"]; len(got) != 1 || !strings.Contains(got[0], "already gone") {
		t.Fatalf("dave's line: %v", first.lines())
	}
	if hasButton(first.msg, "Undo") {
		t.Fatal("the undo's card offers Undo")
	}
	if _, ok := member(h, "AAA", bob.ID); !ok {
		t.Fatal("bob, a member before, was removed")
	}
	for _, key := range []string{carol.ID, "groups/eng", dave.ID} {
		if _, ok := member(h, "AAA", key); ok {
			t.Fatalf("%s is still in the space", key)
		}
	}
	if n := h.emu.MemberDeletes(); n != 2 {
		t.Fatalf("%d deletes for 2 to remove", n)
	}
	second := h.clickAction(alice, undo)
	if !strings.Contains(second.msg.Text, "already undone") || second.subtitle(t) != "1 person and 1 group removed · 1 not a member" {
		t.Fatalf("second click: %s", second.raw)
	}
	if n := h.emu.MemberDeletes(); n != 2 {
		t.Fatalf("the second click removed again: %d deletes", n)
	}
	// A removal has nothing to undo, and an invitation that added nobody
	// offers nothing.
	if got := h.remove(alice, "AAA", " bob@example.com"); hasButton(got.msg, "Undo") {
		t.Fatal("a removal offers Undo")
	}
	if got := h.invite(alice, "AAA", " alice@example.com"); hasButton(got.msg, "Undo") {
		t.Fatalf("an invitation that added nobody offers Undo: %s", got.raw)
	}
}

// TestUndoNotAllowed: undo is a removal like /remove: a plain member who
// added someone may not remove them (Chat lets only space managers remove
// others), and the card says so.
func TestUndoNotAllowed(t *testing.T) {
	h := startBot(t, nil)
	h.grant(bob)
	r := h.invite(bob, "AAA", " dave@example.com")
	if got := r.subtitle(t); got != "1 added" {
		t.Fatalf("invite: %q", got)
	}
	got := h.clickAction(bob, findButtonIn(t, r.msg, "Undo"))
	if lines := got.lines()["Not allowed (1)"]; len(lines) != 1 || !strings.Contains(lines[0], "only space managers") {
		t.Fatalf("undo by a member: %v", got.lines())
	}
	if _, ok := member(h, "AAA", dave.ID); !ok {
		t.Fatal("dave was removed by a plain member")
	}
}

// TestUndoExpires: Undo works INVITE_UNDO_HOURS after the invitation
// finished (on the bot's clock), and then says it expired.
func TestUndoExpires(t *testing.T) {
	h := startBot(t, map[string]string{"INVITE_UNDO_HOURS": "2"})
	h.grant(alice)
	early := findButtonIn(t, h.invite(alice, "AAA", " dave@example.com").msg, "Undo")
	late := findButtonIn(t, h.invite(alice, "AAA", " carol@example.com").msg, "Undo")
	h.clock.Advance(2*time.Hour - time.Minute)
	if got := h.clickAction(alice, early); got.subtitle(t) != "1 removed" {
		t.Fatalf("within the window: %s", got.raw)
	}
	h.clock.Advance(2 * time.Minute)
	got := h.clickAction(alice, late)
	if !strings.Contains(got.msg.Text, "Undo has expired") || !strings.Contains(got.msg.Text, "2 hours") {
		t.Fatalf("after the window: %s", got.raw)
	}
	if _, ok := member(h, "AAA", carol.ID); !ok {
		t.Fatal("carol was removed after the window")
	}
	if n := h.emu.MemberDeletes(); n != 1 {
		t.Fatalf("%d deletes", n)
	}
}

// largeUndo invites n new people (and bob, already a member) to AAA in the
// background and returns their addresses and the final card's Undo.
func largeUndo(t *testing.T, h *harness, prefix string, n int) ([]string, *chat.GoogleAppsCardV1Action) {
	t.Helper()
	emails := addPeople(h, prefix, n)
	h.invite(alice, "AAA", " bob@example.com, "+strings.Join(emails, ", "))
	final := h.progress("AAA", func(m chat.Message) bool {
		return cardID(m) == "invite-result" && hasButton(m, "Undo")
	})
	if got := final.CardsV2[0].Card.Header.Subtitle; got != strconv.Itoa(n)+" added · 1 already a member" {
		t.Fatalf("final card: %q", got)
	}
	return emails, findButtonIn(t, final, "Undo")
}

// removedAll waits for the undo's final card and checks that every one of
// emails left AAA, bob stayed, and each was removed once.
func removedAll(t *testing.T, h *harness, emails []string) {
	t.Helper()
	final := h.progress("AAA", func(m chat.Message) bool {
		return cardID(m) == "invite-result" && strings.HasPrefix(m.CardsV2[0].Card.Header.Title, "Removed")
	})
	if got := final.CardsV2[0].Card.Header.Subtitle; got != strconv.Itoa(len(emails))+" removed" {
		t.Fatalf("undo's final card: %q", got)
	}
	if hasButton(final, "Undo") {
		t.Fatal("the undo's final card offers Undo")
	}
	for _, e := range emails {
		p, _ := h.emu.PersonByEmail(e)
		if _, ok := member(h, "AAA", p.ID); ok {
			t.Fatalf("%s is still a member", e)
		}
	}
	if _, ok := member(h, "AAA", bob.ID); !ok {
		t.Fatal("bob, a member before, was removed")
	}
	if n := h.emu.MemberDeletes(); n != len(emails) {
		t.Fatalf("%d deletes for %d people", n, len(emails))
	}
}

// TestUndoLargeInvitation: the Undo of a background invitation removes its
// 30 people in the background too (progress and Stop, as a large
// /remove); clicked twice, it removes each once, and the second click
// answers with the undo under way or done.
func TestUndoLargeInvitation(t *testing.T) {
	h := startLarge(t, nil)
	h.grant(alice)
	emails, undo := largeUndo(t, h, "undo", 30)
	h.clickAction(alice, undo)
	running := h.progress("AAA", func(m chat.Message) bool {
		return cardID(m) == "invite-progress" && strings.HasPrefix(m.CardsV2[0].Card.Header.Title, "Removing 30 people")
	})
	findButtonIn(t, running, "Stop")
	again := h.clickAction(alice, undo)
	if !strings.Contains(again.msg.Text, "being undone") && !strings.Contains(again.msg.Text, "already undone") {
		t.Fatalf("second click: %s", again.raw)
	}
	removedAll(t, h, emails)
}

// TestUndoAcrossARestart: an undo under way when the app stops is finished
// by the next start, each person removed once.
func TestUndoAcrossARestart(t *testing.T) {
	h := startLarge(t, nil)
	h.grant(alice)
	emails, undo := largeUndo(t, h, "undorestart", 60)
	h.clickAction(alice, undo)
	for deadline := time.Now().Add(2 * time.Minute); h.emu.MemberDeletes() < 10; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d deletes", h.emu.MemberDeletes())
		}
	}
	h.bot.drain() // SIGTERM
	h.bot.Close()
	db, err := storage.Open(context.Background(), "", h.cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	resumes, err := db.ResumeInvitations(context.Background())
	db.Close()
	if err != nil || len(resumes) != 1 {
		t.Fatalf("unfinished after the stop: %v %v", resumes, err)
	}
	if h.emu.MemberDeletes() >= 60 {
		t.Skip("the undo finished before the stop: nothing to resume on this machine")
	}
	next := h.restart()
	h.srv.Config.Handler = next.Handler()
	removedAll(t, h, emails)
}

// TestUndoInADialog: a form's result shown in the dialog (no app
// credentials to post it) carries Undo too; its click, a dialog's button,
// is answered with a dialog (Chat refuses a message there), in both shapes.
func TestUndoInADialog(t *testing.T) {
	for _, addOn := range []bool{false, true} {
		t.Run(map[bool]string{false: "classic", true: "add-on"}[addOn], func(t *testing.T) {
			h := startBot(t, nil)
			h.grant(alice, commands.ScopeMemberships, commands.ScopeMembershipsApp) // the form asks for both
			app := h.app(addOn)
			click := func(action *chat.GoogleAppsCardV1Action, dialogType string, inputs map[string]string) map[string]any {
				return h.clickEventMap(app, emulator.Click{User: alice, Space: spaceOf("AAA"), Action: action, DialogEventType: dialogType, Inputs: inputs, StringBools: addOn})
			}
			offer := h.sendEventMap(app, chatEvent{User: alice, Space: "AAA", AddOn: addOn}.event())
			form := click(findButton(t, offer, "Open the form"), "", nil)
			result := click(findButton(t, form, "Invite"), "SUBMIT_DIALOG", map[string]string{"people": "dave@example.com"})
			if dialogCard(result) == nil || !strings.Contains(mustJSON(result), "1 added") {
				t.Fatalf("the result is not in the dialog: %v", result)
			}
			undone := click(findButton(t, result, "Undo"), "SUBMIT_DIALOG", nil)
			if dialogCard(undone) == nil || !strings.Contains(mustJSON(undone), "1 removed") {
				t.Fatalf("undo in the dialog: %v", undone)
			}
			findButton(t, undone, "Done")
			if _, ok := member(h, "AAA", dave.ID); ok {
				t.Fatal("dave is still a member")
			}
		})
	}
}

// TestUndoClickedOnTwoInstancesAtOnce: two instances sharing PostgreSQL
// each get a click on the same Undo at the same moment: one undo is made,
// each person removed once; the other click answers with it.
func TestUndoClickedOnTwoInstancesAtOnce(t *testing.T) {
	h := startBot(t, postgresEnv(t))
	h.grant(alice)
	emails := addPeople(h, "twice", 5)
	r := h.invite(alice, "AAA", " "+strings.Join(emails, ", "))
	if got := r.subtitle(t); got != "5 added" {
		t.Fatalf("invite: %q", got)
	}
	ev, err := h.app(false).ClickEvent(emulator.Click{User: alice, Space: spaceOf("AAA"), Action: findButtonIn(t, r.msg, "Undo")})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(mustJSON(ev))
	second := httptest.NewServer(h.restart().Handler())
	t.Cleanup(second.Close)
	answers := make(chan string, 2)
	for _, url := range []string{h.srv.URL, second.URL} {
		go func() {
			req, _ := http.NewRequest(http.MethodPost, url+"/chat/events", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+h.emu.ChatToken(h.cfg.ChatAudience))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				answers <- err.Error()
				return
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(resp.Body)
			answers <- string(out)
		}()
	}
	a, b := <-answers, <-answers
	for _, out := range []string{a, b} {
		if !strings.Contains(out, "5 removed") && !strings.Contains(out, "being undone") {
			t.Fatalf("a click's answer: %s", out)
		}
	}
	if strings.Contains(a, "already undone") == strings.Contains(b, "already undone") &&
		strings.Contains(a, "being undone") == strings.Contains(b, "being undone") {
		t.Fatalf("both clicks undid it:\n%s\n%s", a, b)
	}
	if n := h.emu.MemberDeletes(); n != 5 {
		t.Fatalf("%d deletes for 5 people", n)
	}
}

// TestUndoAfterSignOut: Undo clicked after /logout answers with the link
// to authorize again, in a shape Chat accepts for a click (a configure
// prompt answers only a message), and removes nobody.
func TestUndoAfterSignOut(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	r := h.invite(alice, "AAA", " dave@example.com")
	undo := findButtonIn(t, r.msg, "Undo")
	if err := h.bot.Auth.Forget(context.Background(), "users/"+alice.ID); err != nil {
		t.Fatal(err)
	}
	out := h.clickEventMap(h.app(false), emulator.Click{User: alice, Space: spaceOf("AAA"), Action: undo})
	if text, _ := out["text"].(string); !strings.Contains(text, "/oauth2/start") || !strings.Contains(text, "Nothing was undone") {
		t.Fatalf("answer %v", out)
	}
	if n := h.emu.MemberDeletes(); n != 0 {
		t.Fatalf("%d deletes without authorization", n)
	}
}
