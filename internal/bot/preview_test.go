package bot

import (
	"context"
	"fmt"
	"github.com/chatinvite/invitebot/internal/logging"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/emulator"
)

// section is the lines of the card section whose header starts with head.
func (r reply) section(head string) []string {
	for h, lines := range r.lines() {
		if strings.HasPrefix(h, head) {
			return lines
		}
	}
	return nil
}

func (r reply) header(t *testing.T) *chat.GoogleAppsCardV1CardHeader {
	t.Helper()
	if len(r.msg.CardsV2) == 0 || r.msg.CardsV2[0].Card.Header == nil {
		t.Fatalf("no card: %s", r.raw)
	}
	return r.msg.CardsV2[0].Card.Header
}

// TestPreviewOfEveryTargetKind: "/invite preview …" answers what would
// happen, read with spaces.members.list (showInvited and showGroups) and
// the policy check, and makes no membership write, for every kind of
// target and space
// (https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces.members/list).
func TestPreviewOfEveryTargetKind(t *testing.T) {
	h := startBot(t, map[string]string{"INVITE_ALLOWED_DOMAINS": "example.com"})
	h.grant(alice)
	// carol is invited and has not accepted: a pending invitation.
	if r := h.invite(alice, "AAA", " carol@example.com"); r.subtitle(t) != "1 invited" {
		t.Fatalf("setup: %s", r.raw)
	}
	h.emu.AddMember("AAA", "groups/eng", "")
	creates := h.emu.MemberCreates()
	cases := []struct {
		name, args string
		mentions   []mention
		section    string // the group the target lands in
		line       string // a part of its line
		title      string
	}{
		{"email", " preview dave@example.com", nil, "Would be added (1)", "dave@example.com", "Preview: 1 person would be added to this space"},
		{"email of a member", " preview BOB@example.com", nil, "Already a member (1)", "BOB@example.com", "Preview: nobody would be added"},
		{"user id", " preview users/1004", nil, "Would be added (1)", "users/1004", ""},
		{"people id", " preview people/1002", nil, "Already a member (1)", "people/1002", ""},
		{"invited", " preview carol@example.com", nil, "Already invited", "carol@example.com", ""},
		{"group", " preview groups/eng", nil, "Already a member (1)", "groups/eng", ""},
		{"new group", " preview groups/design to spaces/EXT", nil, "Would be added (1)", "groups/design", ""},
		{"app", " preview app", nil, "Already a member (1)", "app", ""},
		{"mention", " preview @Dave Doer", []mention{{Text: "@Dave Doer", User: dave}}, "Would be added (1)", "@Dave Doer", ""},
		{"another space", " preview dave@example.com to spaces/EXT", nil, "Would be added (1)", "another space", "Preview: 1 person would be added to another space"},
		{"policy", " preview erin@partner.example", nil, "Refused by this app's policy (1)", "not allowed by this app", ""},
		{"no such space", " preview dave@example.com to spaces/NOPE", nil, "Not found, or cannot be read (1)", "space was not found", ""},
		{"group chat", " preview dave@example.com to spaces/GC", nil, "Would be added (1)", "dave@example.com", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.sendEvent(chatEvent{User: alice, Space: "AAA", Args: tc.args, Mentions: tc.mentions}.JSON())
			head := r.header(t)
			if !strings.HasPrefix(head.Subtitle, "Nothing was changed") {
				t.Fatalf("subtitle %q", head.Subtitle)
			}
			if tc.title != "" && head.Title != tc.title {
				t.Fatalf("title %q, want %q", head.Title, tc.title)
			}
			lines := r.section(tc.section)
			if len(lines) == 0 || !strings.Contains(strings.Join(lines, "\n"), tc.line) {
				t.Fatalf("want %q under %q: %v", tc.line, tc.section, r.lines())
			}
			if r.msg.PrivateMessageViewer == nil {
				t.Fatal("the preview is not private")
			}
			if strings.Contains(string(r.raw), `"Start"`) {
				t.Fatal("an asked-for preview offers Start")
			}
		})
	}
	if n, d := h.emu.MemberCreates(), h.emu.MemberDeletes(); n != creates || d != 0 {
		t.Fatalf("a preview wrote: %d creates, %d deletes", n-creates, d)
	}
	if _, ok := member(h, "AAA", dave.ID); ok {
		t.Fatal("dave was added by a preview")
	}
}

// TestPreviewSaysTheQuotaTime: the count, and the time Google's quota of
// membership writes needs (https://developers.google.com/workspace/chat/limits).
func TestPreviewSaysTheQuotaTime(t *testing.T) {
	h := startBot(t, map[string]string{"INVITE_CONFIRM_OVER": "0"})
	h.grant(alice)
	r := h.invite(alice, "AAA", " preview dave@example.com")
	if got := r.header(t).Subtitle; got != "Nothing was changed · under a minute at 300 additions a minute" {
		t.Fatalf("small: %q", got)
	}
	r = h.invite(alice, "AAA", " preview "+strings.Join(addPeople(h, "q", 700), ", "))
	head := r.header(t)
	if head.Title != "Preview: 700 people would be added to this space" || head.Subtitle != "Nothing was changed · about 2 minutes at 300 additions a minute" {
		t.Fatalf("700: %q · %q", head.Title, head.Subtitle)
	}
	if h.emu.MemberCreates() != 0 {
		t.Fatal("a preview wrote")
	}
}

// TestRemovePreview: "/remove preview …" says who would be removed and who
// is not a member, removing nobody.
func TestRemovePreview(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	r := h.remove(alice, "AAA", " preview bob@example.com, dave@example.com")
	if head := r.header(t); head.Title != "Preview: 1 person would be removed from this space" || !strings.Contains(head.Subtitle, "removals a minute") {
		t.Fatalf("header %+v", head)
	}
	if len(r.section("Would be removed (1)")) != 1 || len(r.section("Not a member (1)")) != 1 {
		t.Fatalf("lines %v", r.lines())
	}
	if h.emu.MemberDeletes() != 0 {
		t.Fatal("a preview removed someone")
	}
	if _, ok := member(h, "AAA", bob.ID); !ok {
		t.Fatal("bob was removed")
	}
}

// alumni seeds spaces/ALUMNI with alice and n people, and spaces/NEW
// (alice owner, the app) already holding the first two of them.
func alumni(h *harness, n int) []string {
	h.emu.AddSpace(emulator.Space{ID: "ALUMNI", DisplayName: "Alumni", Domain: "example.com"})
	h.emu.AddMember("ALUMNI", alice.ID, emulator.RoleMember)
	emails := addPeople(h, "alum", n)
	for _, e := range emails {
		p, _ := h.emu.PersonByEmail(e)
		h.emu.AddMember("ALUMNI", p.ID, emulator.RoleMember)
	}
	h.emu.AddSpace(emulator.Space{ID: "NEW", DisplayName: "New", Domain: "example.com"})
	h.emu.AddMember("NEW", alice.ID, emulator.RoleOwner)
	h.emu.AddMember("NEW", "app", emulator.RoleMember)
	for _, e := range emails[:2] {
		p, _ := h.emu.PersonByEmail(e)
		h.emu.AddMember("NEW", p.ID, emulator.RoleMember)
	}
	return emails
}

// click sends who's click on the button named text of m, in space.
func (h *harness) click(who emulator.Person, space string, m chat.Message, text string) reply {
	h.t.Helper()
	ev, err := h.app(false).ClickEvent(emulator.Click{User: who, Space: spaceOf(space), Action: findButtonIn(h.t.(*testing.T), m, text)})
	if err != nil {
		h.t.Fatal(err)
	}
	return h.sendEvent([]byte(mustJSON(ev)))
}

// TestPreviewOfACopyWritesNothing: "/invite preview members of …" lists
// who would be copied and who is there already, and writes nothing.
func TestPreviewOfACopyWritesNothing(t *testing.T) {
	h := startLarge(t, nil)
	h.grant(alice)
	alumni(h, 150)
	r := h.invite(alice, "NEW", " preview members of spaces/ALUMNI")
	head := r.header(t)
	if head.Title != "Preview: 148 people would be added to this space" || !strings.HasPrefix(head.Subtitle, "Nothing was changed · under a minute at 750 additions a minute") {
		t.Fatalf("header %+v", head)
	}
	if strings.Contains(string(r.raw), `"Start"`) {
		t.Fatal("an asked-for preview offers Start")
	}
	if h.emu.MemberCreates() != 0 || len(h.emu.AppMessages("NEW")) != 0 {
		t.Fatal("a preview wrote")
	}
}

// TestConfirmACopyOf150: a copy first answers its preview with Start and
// Cancel; nothing is written until its starter clicks Start; someone
// else's Start is refused; Start runs exactly what was previewed (someone
// who joined the source since is not copied), once however often it is
// clicked; the members already there stay.
func TestConfirmACopyOf150(t *testing.T) {
	h := startLarge(t, nil)
	h.grant(alice)
	emails := alumni(h, 150)
	r := h.invite(alice, "NEW", " members of spaces/ALUMNI")
	if r.header(t).Title != "Preview: 148 people would be added to this space" || len(r.section("Already a member")) != 0 {
		t.Fatalf("preview %s", r.raw)
	}
	if h.emu.MemberCreates() != 0 {
		t.Fatal("written before Start")
	}
	late := addPeople(h, "late", 1)
	p, _ := h.emu.PersonByEmail(late[0])
	h.emu.AddMember("ALUMNI", p.ID, emulator.RoleMember)

	if got := h.click(bob, "NEW", r.msg, "Start"); !strings.Contains(got.msg.Text, "Only the person who asked") {
		t.Fatalf("bob started it: %s", got.raw)
	}
	if got := h.click(bob, "NEW", r.msg, "Cancel"); !strings.Contains(got.msg.Text, "Only the person who asked") {
		t.Fatalf("bob cancelled it: %s", got.raw)
	}
	h.click(alice, "NEW", r.msg, "Start")
	if again := h.click(alice, "NEW", r.msg, "Start"); !strings.Contains(again.msg.Text, "started already") {
		t.Fatalf("a second Start: %s", again.raw)
	}
	final := h.progress("NEW", func(m chat.Message) bool { return cardID(m) == "invite-result" })
	if got := final.CardsV2[0].Card.Header.Subtitle; got != "148 added" {
		t.Fatalf("final %q", got)
	}
	if n := h.emu.MemberCreates(); n != 148 {
		t.Fatalf("%d membership writes for 148", n)
	}
	if _, ok := member(h, "NEW", p.ID); ok {
		t.Fatal("someone not in the preview was copied")
	}
	for _, e := range emails[:2] {
		p, _ := h.emu.PersonByEmail(e)
		if _, ok := member(h, "NEW", p.ID); !ok {
			t.Fatal("a member who was there already is gone")
		}
	}
	if progress := len(h.emu.AppMessages("NEW")); progress != 1 {
		t.Fatalf("%d progress messages: two Starts started two invitations", progress)
	}
}

// TestCancelACopy: Cancel deletes the preview; nothing was changed, and
// its Start no longer works.
func TestCancelACopy(t *testing.T) {
	h := startLarge(t, nil)
	h.grant(alice)
	alumni(h, 150)
	r := h.invite(alice, "NEW", " members of spaces/ALUMNI")
	if got := h.click(alice, "NEW", r.msg, "Cancel"); got.msg.Text != "Cancelled, nothing was changed." {
		t.Fatalf("cancel: %s", got.raw)
	}
	if got := h.click(alice, "NEW", r.msg, "Start"); !strings.Contains(got.msg.Text, "no longer known") {
		t.Fatalf("start after cancel: %s", got.raw)
	}
	if h.emu.MemberCreates() != 0 || len(h.emu.AppMessages("NEW")) != 0 {
		t.Fatal("something was written")
	}
}

// TestPreviewExpires: Start 15 minutes after the preview is refused with
// what to do; nothing is written.
func TestPreviewExpires(t *testing.T) {
	h := startBot(t, map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "emulator"})
	h.grant(alice)
	alumni(h, 30)
	r := h.invite(alice, "NEW", " members of spaces/ALUMNI")
	h.clock.Advance(15*time.Minute + time.Second)
	if got := h.click(alice, "NEW", r.msg, "Start"); !strings.Contains(got.msg.Text, "expired") || !strings.Contains(got.msg.Text, "run the command again") {
		t.Fatalf("start after 15 minutes: %s", got.raw)
	}
	if h.emu.MemberCreates() != 0 {
		t.Fatal("an expired preview started")
	}
}

// TestConfirmLargeInvitation: more than INVITE_CONFIRM_OVER people are
// confirmed first, at most are not; 0 confirms nothing.
func TestConfirmLargeInvitation(t *testing.T) {
	for _, tc := range []struct {
		over    string
		n       int
		confirm bool
	}{{"", 101, true}, {"", 100, false}, {"0", 150, false}, {"5", 6, true}} {
		t.Run(fmt.Sprintf("over %q, %d people", tc.over, tc.n), func(t *testing.T) {
			env := map[string]string{}
			if tc.over != "" {
				env["INVITE_CONFIRM_OVER"] = tc.over
			}
			h := startLarge(t, env)
			h.grant(alice)
			r := h.invite(alice, "AAA", " "+strings.Join(addPeople(h, "c", tc.n), ", "))
			previewed := len(r.msg.CardsV2) > 0 && r.msg.CardsV2[0].CardId == "invite-preview"
			if previewed != tc.confirm {
				t.Fatalf("previewed %v: %s", previewed, r.raw)
			}
			if !tc.confirm {
				return
			}
			if h.emu.MemberCreates() != 0 {
				t.Fatal("written before Start")
			}
			h.click(alice, "AAA", r.msg, "Start")
			final := h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-result" })
			if got := final.CardsV2[0].Card.Header.Subtitle; got != fmt.Sprintf("%d added", tc.n) {
				t.Fatalf("final %q", got)
			}
		})
	}
}

// TestFormPreview: the form's Preview button, beside Invite, answers the
// form again with what it would do above it (Google answers a dialog's
// button with another dialog or by closing it:
// https://developers.google.com/workspace/chat/dialogs), writing nothing;
// its Invite then goes ahead. Both shapes.
func TestFormPreview(t *testing.T) {
	for _, addOn := range []bool{false, true} {
		t.Run(map[bool]string{false: "classic", true: "add-on"}[addOn], func(t *testing.T) {
			h := startBot(t, nil)
			h.grant(alice, commands.ScopeMemberships, commands.ScopeMembershipsApp)
			app := h.app(addOn)
			ask := func(body map[string]any) map[string]any { return h.sendEventMap(app, body) }
			click := func(action *chat.GoogleAppsCardV1Action, dialogType string, inputs map[string]string) map[string]any {
				return h.clickEventMap(app, emulator.Click{User: alice, Space: spaceOf("AAA"), Action: action, DialogEventType: dialogType, Inputs: inputs, StringBools: addOn})
			}
			offer := ask(chatEvent{User: alice, Space: "AAA", AddOn: addOn}.event())
			form := click(findButton(t, offer, "Open the form"), "", nil)
			inputs := map[string]string{"people": "dave@example.com, bob@example.com"}
			previewed := click(findButton(t, form, "Preview"), "SUBMIT_DIALOG", inputs)
			shown := dialogCard(previewed)
			text := fmt.Sprint(shown)
			if shown == nil || !strings.Contains(text, "Would be added (1)") || !strings.Contains(text, "Already a member (1)") || !strings.Contains(text, "dave@example.com") {
				t.Fatalf("the preview is not in the form: %v", previewed)
			}
			if h.emu.MemberCreates() != 0 {
				t.Fatal("the form's preview wrote")
			}
			done := click(findButton(t, previewed, "Invite"), "SUBMIT_DIALOG", inputs)
			if !strings.Contains(fmt.Sprint(done), "1 added") {
				t.Fatalf("Invite after the preview: %v", done)
			}
			if _, ok := member(h, "AAA", dave.ID); !ok {
				t.Fatal("dave was not added")
			}
		})
	}
}

// TestFormCopyIsConfirmed: "members of" typed in the form closes it with a
// status that says to click Start, and the preview, with Start, is the
// app's own message; Start copies.
func TestFormCopyIsConfirmed(t *testing.T) {
	h := startLarge(t, nil)
	h.grant(alice, commands.ScopeMemberships, commands.ScopeMembershipsApp)
	alumni(h, 30)
	submit := formFlow(t, h, false)
	// formFlow submits in AAA: copy into it.
	closed := submit("members of spaces/ALUMNI")
	if ok, status := closes(closed); !ok || !strings.Contains(status, "click Start") {
		t.Fatalf("the form did not close with the preview's status: %v", closed)
	}
	preview := h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-preview" })
	if h.emu.MemberCreates() != 0 {
		t.Fatal("written before Start")
	}
	h.click(alice, "AAA", preview, "Start")
	final := h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-result" })
	if got := final.CardsV2[0].Card.Header.Subtitle; got != "30 added" {
		t.Fatalf("final %q", got)
	}
}

// TestStartAfterSignOut: Start on a preview whose asker has since signed
// out changes nothing and gives the consent link in a message (a click is
// not answered with a configure prompt, which Chat documents only as the
// answer to a message); authorized again, the same Start runs it.
func TestStartAfterSignOut(t *testing.T) {
	h := startLarge(t, nil)
	h.grant(alice)
	alumni(h, 30)
	r := h.invite(alice, "NEW", " members of spaces/ALUMNI")
	h.sendEvent(chatEvent{User: alice, Space: "NEW", Command: "/logout"}.JSON())
	got := h.click(alice, "NEW", r.msg, "Start")
	if !strings.Contains(got.msg.Text, "authorization again") || !strings.Contains(got.msg.Text, "/oauth2/start") {
		t.Fatalf("start after sign-out: %s", got.raw)
	}
	if h.emu.MemberCreates() != 0 {
		t.Fatal("written without a grant")
	}
	// Authorized again, the same Start runs it: the failed Start used
	// nothing up.
	h.grant(alice)
	again := h.click(alice, "NEW", r.msg, "Start")
	if strings.Contains(again.msg.Text, "started already") {
		t.Fatalf("the preview was used up by a Start that started nothing: %s", again.raw)
	}
	h.progress("NEW", func(m chat.Message) bool { return cardID(m) == "invite-result" })
	if n := h.emu.MemberCreates(); n == 0 {
		t.Fatal("nothing added after the second Start")
	}
}

// TestPreviewNamesASpaceItCannotRead: a destination whose member list
// cannot be read (a 500) is named, and its targets are counted as tried.
func TestPreviewNamesASpaceItCannotRead(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	h.emu.InjectFault("spaces/EXT/members", emulator.Fault{Status: http.StatusInternalServerError, Times: 1})
	r := h.invite(alice, "AAA", " preview dave@example.com to spaces/EXT")
	lines := strings.Join(r.section("Cannot be read"), "\n")
	if !strings.Contains(lines, "another space") || len(r.section("Would be added (1)")) != 1 {
		t.Fatalf("lines %v", r.lines())
	}
	if h.emu.MemberCreates() != 0 {
		t.Fatal("a preview wrote")
	}
}

// TestExpiredPreviewsAreSwept: the history sweep deletes a preview once it
// expired (its addresses are personal data kept 15 minutes), not before.
func TestExpiredPreviewsAreSwept(t *testing.T) {
	h := startBot(t, map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "emulator"})
	h.grant(alice)
	alumni(h, 30)
	r := h.invite(alice, "NEW", " members of spaces/ALUMNI")
	ctx := context.Background()
	if _, err := h.bot.sweepHistory(ctx, h.clock.Now().Add(14*time.Minute)); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(14 * time.Minute)
	if got := h.click(bob, "NEW", r.msg, "Start"); !strings.Contains(got.msg.Text, "Only the person") {
		t.Fatalf("swept too soon: %s", got.raw)
	}
	if _, err := h.bot.sweepHistory(ctx, h.clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := h.click(alice, "NEW", r.msg, "Start"); !strings.Contains(got.msg.Text, "no longer known") {
		t.Fatalf("not swept: %s", got.raw)
	}
	if h.emu.MemberCreates() != 0 {
		t.Fatal("something was written")
	}
}

// TestConfirmAsAnAddOn: as a Workspace add-on, the preview's Start and
// Cancel name the endpoint URL (add-on buttons must) and Start copies.
func TestConfirmAsAnAddOn(t *testing.T) {
	h := startLarge(t, nil)
	h.grant(alice)
	alumni(h, 30)
	app := h.app(true)
	ask := func(body map[string]any) map[string]any { return h.sendEventMap(app, body) }
	preview := ask(chatEvent{User: alice, Space: "NEW", Args: " members of spaces/ALUMNI", AddOn: true}.event())
	start := findButton(t, preview, "Start")
	if start.Function != EndpointURL(h.cfg) {
		t.Fatalf("Start names %q", start.Function)
	}
	ev, err := app.ClickEvent(emulator.Click{User: alice, Space: spaceOf("NEW"), Action: start, StringBools: true})
	if err != nil {
		t.Fatal(err)
	}
	ask(ev)
	final := h.progress("NEW", func(m chat.Message) bool { return cardID(m) == "invite-result" })
	if got := final.CardsV2[0].Card.Header.Subtitle; got != "28 added" {
		t.Fatalf("final %q", got)
	}
}

// TestConfirmedRunAuditsWhatThePreviewDecided: a copy's outsider refused by
// INVITE_ALLOWED_DOMAINS is decided at preview time, which logs nothing;
// Start writes that decision's audit line, as an unconfirmed run does.
func TestConfirmedRunAuditsWhatThePreviewDecided(t *testing.T) {
	var logs syncBuffer
	h := startBotWith(t, map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "emulator", "INVITE_ALLOWED_DOMAINS": "example.com",
		"QUOTA_SPACE_WRITES_PER_MINUTE": "10", "QUOTA_MEMBERSHIP_WRITES_PER_MINUTE": "25"},
		Deps{Logger: logging.New(&logs, slog.LevelInfo), BackoffBase: time.Millisecond, QuotaWindow: testQuota.Window,
			ProgressEvery: 300 * time.Millisecond, JobPoll: 100 * time.Millisecond})
	h.clock.Real()
	h.emu.SetQuota(testQuota)
	h.grant(alice)
	alumni(h, 5)
	outsider := emulator.Person{ID: "7outsider", Email: "olu@partner.example", DisplayName: "Olu Outside", AutoAccept: true}
	h.emu.AddPerson(outsider)
	h.emu.AddMember("ALUMNI", outsider.ID, emulator.RoleMember)
	r := h.invite(alice, "NEW", " members of spaces/ALUMNI")
	audited := func() bool {
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, `"message":"invite attempt"`) && strings.Contains(line, outsider.Email) {
				return true
			}
		}
		return false
	}
	if audited() {
		t.Fatal("the preview logged an attempt")
	}
	h.click(alice, "NEW", r.msg, "Start")
	h.progress("NEW", func(m chat.Message) bool { return cardID(m) == "invite-result" })
	if !audited() {
		t.Fatalf("no audit line for the refused outsider after Start:\n%s", logs.String())
	}
	if _, ok := member(h, "NEW", outsider.ID); ok {
		t.Fatal("the outsider was added")
	}
}
