package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/membership"
)

// formFlow opens the invite form as alice in AAA and returns a function
// that submits it with people, checking each answer by Chat's rules.
func formFlow(t *testing.T, h *harness, addOn bool) func(people string) map[string]any {
	t.Helper()
	app := h.app(addOn)
	ask := func(body map[string]any) map[string]any { return h.sendEventMap(app, body) }
	click := func(action *chat.GoogleAppsCardV1Action, dialogType string, inputs map[string]string) map[string]any {
		return h.clickEventMap(app, emulator.Click{User: alice, Space: spaceOf("AAA"), Action: action, DialogEventType: dialogType, Inputs: inputs, StringBools: addOn})
	}
	offer := ask(chatEvent{User: alice, Space: "AAA", AddOn: addOn}.event())
	form := click(findButton(t, offer, "Open the form"), "", nil)
	submit := findButton(t, form, "Invite")
	return func(people string) map[string]any {
		return click(submit, "SUBMIT_DIALOG", map[string]string{"people": people})
	}
}

// closes reports whether an answer closes the dialog, in either shape, and
// the status it shows.
func closes(r map[string]any) (bool, string) {
	if ar, ok := r["actionResponse"].(map[string]any); ok && ar["type"] == "DIALOG" {
		if da, ok := ar["dialogAction"].(map[string]any); ok {
			if st, ok := da["actionStatus"].(map[string]any); ok {
				msg, _ := st["userFacingMessage"].(string)
				return true, msg
			}
		}
	}
	if a, ok := r["action"].(map[string]any); ok {
		navs, _ := a["navigations"].([]any)
		for _, n := range navs {
			if n.(map[string]any)["endNavigation"] != nil {
				text := ""
				if note, ok := a["notification"].(map[string]any); ok {
					text, _ = note["text"].(string)
				}
				return true, text
			}
		}
	}
	return false, ""
}

// TestLargeFormSubmissionClosesTheDialog: Google answers a dialog
// submission only by closing it or with another dialog
// (developers.google.com/workspace/chat/dialogs; …/add-ons/chat/dialogs).
// A form of 25 people, past what finishes while Chat waits, closes the
// dialog (classic: actionResponse DIALOG with actionStatus; add-on:
// endNavigation CLOSE_DIALOG with a notification) and its progress message
// carries on to the final card; a small one closes it too, its card posted
// as the app's own message.
func TestLargeFormSubmissionClosesTheDialog(t *testing.T) {
	for _, addOn := range []bool{false, true} {
		t.Run(map[bool]string{false: "classic", true: "add-on"}[addOn], func(t *testing.T) {
			h := startLarge(t, nil)
			h.grant(alice, commands.ScopeMemberships, commands.ScopeMembershipsApp)
			submit := formFlow(t, h, addOn)
			large := submit(strings.Join(addPeople(h, "form", 25), "\n"))
			if ok, status := closes(large); !ok || !strings.Contains(status, "progress") {
				t.Fatalf("a large submission must close the dialog: %v", large)
			}
			final := h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-result" })
			if got := final.CardsV2[0].Card.Header.Subtitle; got != "25 added" {
				t.Fatalf("final card: %q", got)
			}
			// The large one may have taken the window's quota: the small
			// one then closes as started in the background.
			small := submit("dave@example.com")
			if ok, status := closes(small); !ok || (status != "1 added" && !strings.Contains(status, "progress")) {
				t.Fatalf("a small submission must close the dialog with its counts: %v", small)
			}
			h.progress("AAA", func(m chat.Message) bool {
				return cardID(m) == "invite-result" && m.CardsV2[0].Card.Header.Subtitle == "1 added" && m.PrivateMessageViewer != nil
			})
		})
	}
}

// TestSmallFormResultWithoutAppCredentials: without the app's own
// messages, a small submission answers with another dialog showing the
// result, whose Done button closes it.
func TestSmallFormResultWithoutAppCredentials(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice, commands.ScopeMemberships, commands.ScopeMembershipsApp)
	submit := formFlow(t, h, false)
	r := submit("dave@example.com")
	if dialogCard(r) == nil || !strings.Contains(fmt.Sprint(r), "1 added") {
		t.Fatalf("want the result in a dialog: %v", r)
	}
	done := findButton(t, r, "Done")
	ev, err := h.app(false).ClickEvent(emulator.Click{User: alice, Space: spaceOf("AAA"), Action: done, DialogEventType: "SUBMIT_DIALOG"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := closes(h.sendEventMap(h.app(false), ev)); !ok {
		t.Fatal("Done did not close the dialog")
	}
}

// TestCopyAsGoogleListsMembers: "members of" reads the source with its
// groups (showGroups) and creates people by email where the list gives it
// (people of another organization can be added by email only, Google's
// create-members guide), so outside people and groups are copied; the
// destination is read with showInvited, and someone already invited there
// is reported without a write; the domain policy applies to copied people.
func TestCopyAsGoogleListsMembers(t *testing.T) {
	h := startLarge(t, map[string]string{"INVITE_ALLOWED_DOMAINS": "example.com,partner.example"})
	h.grant(alice)
	outside := []emulator.Person{
		{ID: "2101", Email: "olu@partner.example", DisplayName: "Olu Outside", AutoAccept: true},
		{ID: "2102", Email: "pia@partner.example", DisplayName: "Pia Partner", AutoAccept: true},
		{ID: "2103", Email: "sam@elsewhere.example", DisplayName: "Sam Elsewhere", AutoAccept: true},
	}
	h.emu.AddGroup("alumni-eng", "Alumni engineers")
	h.emu.AddSpace(emulator.Space{ID: "SRC", DisplayName: "Alumni", Domain: "example.com", ExternalAllowed: true})
	h.emu.AddMember("SRC", alice.ID, emulator.RoleMember)
	h.emu.AddMember("SRC", "app", emulator.RoleMember)
	h.emu.AddMember("SRC", "groups/alumni-eng", "")
	for _, p := range outside {
		h.emu.AddPerson(p)
		h.emu.AddMember("SRC", p.ID, emulator.RoleMember)
	}
	inside := addPeople(h, "src", 20)
	for _, e := range inside {
		p, _ := h.emu.PersonByEmail(e)
		h.emu.AddMember("SRC", p.ID, emulator.RoleMember)
	}
	// Carol is in the source and already invited to EXT: no write for her.
	h.emu.AddMember("SRC", carol.ID, emulator.RoleMember)
	sendAs := func(p emulator.Person, space, args string) reply {
		return h.sendEvent(chatEvent{User: p, Space: space, Args: args}.JSON())
	}
	sendAs(alice, "AAA", " carol@example.com to spaces/EXT")
	if m, ok := member(h, "EXT", carol.ID); !ok || m.State != emulator.StateInvited {
		t.Fatalf("carol should be invited to EXT: %+v", m)
	}
	before := h.emu.MemberCreates()
	preview := sendAs(alice, "AAA", " members of spaces/SRC to spaces/EXT")
	h.click(alice, "AAA", preview.msg, "Start")
	final := h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-result" })
	sub := final.CardsV2[0].Card.Header.Subtitle
	if sub != "22 people and 1 group added · 1 already invited · 1 not tried" {
		t.Fatalf("copy: %q\n%s", sub, mustJSON(final))
	}
	for _, p := range outside[:2] {
		if m, ok := member(h, "EXT", p.ID); !ok || m.State != emulator.StateJoined {
			t.Fatalf("%s (another organization) was not copied", p.Email)
		}
	}
	if _, ok := member(h, "EXT", outside[2].ID); ok {
		t.Fatal("a copied person of a domain the policy refuses was added")
	}
	if _, ok := member(h, "EXT", "groups/alumni-eng"); !ok {
		t.Fatal("the source's group was not copied")
	}
	// 20 people, 2 outside, 1 group: 23 writes; carol and sam none.
	if made := h.emu.MemberCreates() - before; made != 23 {
		t.Fatalf("%d membership writes for 23 to add", made)
	}
}

// TestFinalCardWhenTheMessageIsGone: someone deleted the progress message:
// the final card is posted anew, and the invitation ends.
func TestFinalCardWhenTheMessageIsGone(t *testing.T) {
	h := startLarge(t, nil)
	h.grant(alice)
	h.invite(alice, "AAA", " "+strings.Join(addPeople(h, "gone", 30), ", "))
	running := h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-progress" })
	h.emu.DeleteMessage(running.Name)
	final := h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-result" })
	if got := final.CardsV2[0].Card.Header.Subtitle; got != "30 added" || final.Name == running.Name {
		t.Fatalf("final card %q in %s", got, final.Name)
	}
	waitFinished(t, h)
}

// TestAppRemovedMidInvitation: the app was removed from the space while it
// worked: the invitation ends (its outcomes stored and logged), it is not
// retried at the next start.
func TestAppRemovedMidInvitation(t *testing.T) {
	h := startLarge(t, nil)
	h.grant(alice)
	emails := addPeople(h, "removed", 30)
	h.invite(alice, "AAA", " "+strings.Join(emails, ", "))
	h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-progress" })
	h.emu.RemoveMember("AAA", "app")
	waitFinished(t, h)
}

// waitFinished waits until no invitation is left unfinished.
func waitFinished(t *testing.T, h *harness) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		left, err := h.bot.DB.ResumeInvitations(context.Background())
		if err == nil && len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("invitations left unfinished: %v %v", left, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUnfinishableInvitationIsGivenUp: an invitation that starts after
// start never finishes (a crash loop) is given up after MaxResumes
// starts: its rest marked not tried, closed, never resumed again.
func TestUnfinishableInvitationIsGivenUp(t *testing.T) {
	h := startLarge(t, nil)
	h.grant(alice)
	db := h.bot.DB
	inv := &membership.Invitation{ID: "stuck", User: "users/" + alice.ID, Space: "spaces/AAA", SpaceName: "Team",
		ProgressMessage: "spaces/AAA/messages/client-inv-stuck", Private: true}
	for i, e := range addPeople(h, "stuck", 3) {
		inv.Targets = append(inv.Targets, membership.Planned{Seq: i, Space: "spaces/AAA",
			Target: membership.Target{Kind: membership.TargetUser, Typed: e, Name: "users/" + e, Email: e}})
	}
	if err := db.CreateInvitation(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	for range commands.MaxResumes {
		if _, err := db.ResumeInvitations(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	b := h.restart() // one more start: past the bound
	got, err := b.DB.GetInvitation(context.Background(), "stuck")
	if err != nil || !got.Finished {
		t.Fatalf("not given up: %+v %v", got, err)
	}
	for _, p := range got.Targets {
		if p.Outcome != membership.NotTried.String() {
			t.Fatalf("target %d: %q", p.Seq, p.Outcome)
		}
	}
	if h.emu.MemberCreates() != 0 {
		t.Fatal("a given-up invitation made calls")
	}
}

// TestAddedToSpaceWithALargeInvitation: a command that adds the app and
// starts a large invitation is answered with the welcome line; the
// progress message carries on.
func TestAddedToSpaceWithALargeInvitation(t *testing.T) {
	h := startLarge(t, nil)
	h.grant(alice)
	r := h.sendEvent(chatEvent{User: alice, Space: "AAA", Args: " " + strings.Join(addPeople(h, "welcome", 25), ", "), AddsApp: true}.JSON())
	if !strings.HasPrefix(r.msg.Text, "Thanks for adding") {
		t.Fatalf("no welcome line: %s", r.raw)
	}
	h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-result" })
}
