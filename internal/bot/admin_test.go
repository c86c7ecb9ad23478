package bot

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/logging"
)

// adam is a Workspace administrator of example.com who is in no space but
// OPS, where he types his commands.
var adam = emulator.Person{ID: "1009", Email: "adam@example.com", DisplayName: "Adam Admin", AutoAccept: true}

// adminEnv turns administrator access on for the organization example.com.
var adminEnv = map[string]string{"INVITE_ADMIN_ACCESS": "example.com"}

// seedAdmin adds adam, with the privilege when privileged, and OPS.
func seedAdmin(h *harness, privileged bool) {
	h.emu.AddPerson(adam)
	h.emu.SetAdmin(adam.ID, privileged)
	h.emu.AddSpace(emulator.Space{ID: "OPS", DisplayName: "Ops", Domain: "example.com"})
	h.emu.AddMember("OPS", adam.ID, emulator.RoleOwner)
	h.emu.AddMember("OPS", "app", emulator.RoleMember)
}

func (h *harness) asAdmin(p emulator.Person, command, args string) reply {
	h.t.Helper()
	return h.sendEvent(chatEvent{User: p, Space: "OPS", Command: command, Args: args}.JSON())
}

func title(r reply) string {
	if len(r.msg.CardsV2) == 0 || r.msg.CardsV2[0].Card.Header == nil {
		return ""
	}
	return r.msg.CardsV2[0].Card.Header.Title
}

func cardText(r reply) string {
	b, _ := json.Marshal(r.msg.CardsV2)
	return string(b)
}

// TestAdminAddsAndRemovesWhereNotAMember: an administrator adds and
// removes in a space he is not a member of (useAdminAccess,
// developers.google.com/workspace/chat/admin-overview). The admin scope is
// asked for only when "as admin" is first used, the page before Google's
// screen saying why; the card says "as administrator"; Chat shows the
// organization's administrator did it; each write is audited at NOTICE
// with admin=true.
func TestAdminAddsAndRemovesWhereNotAMember(t *testing.T) {
	var logs syncBuffer
	h := startBotWith(t, adminEnv, Deps{Logger: logging.New(&logs, slog.LevelInfo), BackoffBase: time.Millisecond})
	seedAdmin(h, true)
	h.grant(adam) // chat.memberships only, as every first consent
	if r := h.asAdmin(adam, "/invite", " carol@example.com"); r.configURL() != "" || r.subtitle(t) != "1 invited" {
		t.Fatalf("an invitation without “as admin” asked for more: %s", r.raw)
	}
	r := h.asAdmin(adam, "/invite", " dave@example.com to spaces/AAA as admin")
	link := r.configURL()
	if link == "" {
		t.Fatalf("want consent for chat.admin.memberships: %s", r.raw)
	}
	if v := get(t, browser(t), link); !strings.Contains(v.body, "act as administrator") || strings.Contains(v.body, "chat.admin.memberships") {
		t.Fatalf("the page before Google's screen does not say why: %s", v.body)
	}
	h.grant(adam, commands.ScopeMemberships, commands.ScopeAdminMemberships)
	r = h.asAdmin(adam, "/invite", " dave@example.com to spaces/AAA as admin")
	if got := r.subtitle(t); got != "1 added" {
		t.Fatalf("card %q: %v", got, r.lines())
	}
	if !strings.HasSuffix(title(r), " as administrator") {
		t.Fatalf("title %q", title(r))
	}
	m, ok := member(h, "AAA", dave.ID)
	if !ok || m.AddedBy != emulator.AdminActor {
		t.Fatalf("dave in AAA: %v, added by %q", ok, m.AddedBy)
	}
	r = h.asAdmin(adam, "/remove", " dave@example.com, bob@example.com from spaces/AAA as admin")
	if got := r.subtitle(t); got != "2 removed" || !strings.HasSuffix(title(r), " as administrator") {
		t.Fatalf("card %q %q: %v", title(r), got, r.lines())
	}
	if by := h.emu.RemovedBy("AAA", bob.ID); by != emulator.AdminActor {
		t.Fatalf("bob removed by %q", by)
	}
	if _, ok := member(h, "AAA", adam.ID); ok {
		t.Fatal("the administrator became a member")
	}

	audited := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("a log line that is not JSON: %q", line)
		}
		if entry["message"] != "invite attempt" {
			continue
		}
		if entry["space"] == "spaces/OPS" { // the invitation without "as admin"
			if entry["severity"] != "INFO" || entry["admin"] != nil {
				t.Fatalf("a member's audit line as an administrator's: %s", line)
			}
			continue
		}
		if entry["severity"] != "NOTICE" || entry["admin"] != true || entry["inviter"] != "users/"+adam.ID || entry["space"] != "spaces/AAA" {
			t.Fatalf("audit line %s", line)
		}
		audited[entry["op"].(string)+" "+entry["target"].(string)+" "+entry["outcome"].(string)] = true
	}
	for _, want := range []string{"add users/dave@example.com added", "remove users/dave@example.com removed", "remove users/bob@example.com removed"} {
		if !audited[want] {
			t.Errorf("no audit line %q in %v", want, audited)
		}
	}
}

// TestAdminWithoutThePrivilege: Google answers 403 to an account without
// "Manage Chat and spaces conversations": the card says so and what grants it.
func TestAdminWithoutThePrivilege(t *testing.T) {
	h := startBot(t, adminEnv)
	seedAdmin(h, false)
	h.grant(adam, commands.ScopeMemberships, commands.ScopeAdminMemberships)
	for _, c := range []struct{ command, args string }{
		{"/invite", " dave@example.com to spaces/AAA as admin"},
		{"/remove", " bob@example.com from spaces/AAA as admin"},
	} {
		r := h.asAdmin(adam, c.command, c.args)
		text := cardText(r)
		if title(r) != "You are not a Chat administrator" || !strings.Contains(text, "Manage Chat and spaces conversations") || !strings.Contains(text, "Admin roles") {
			t.Fatalf("%s: %s", c.command, r.raw)
		}
	}
	if _, ok := member(h, "AAA", dave.ID); ok {
		t.Fatal("added without the privilege")
	}
	if _, ok := member(h, "AAA", bob.ID); !ok {
		t.Fatal("removed without the privilege")
	}
}

// TestAdminLimitsBeforeAnyCall: with admin access Google supports neither
// apps nor people of other organizations (spaces.members.create's
// useAdminAccess): both are refused with the reason, no call made.
func TestAdminLimitsBeforeAnyCall(t *testing.T) {
	h := startBot(t, adminEnv)
	seedAdmin(h, true)
	h.grant(adam, commands.ScopeMemberships, commands.ScopeAdminMemberships)
	r := h.asAdmin(adam, "/invite", " app, erin@partner.example to spaces/AAA as admin")
	got := strings.Join(r.lines()["Not allowed (2)"], "\n")
	if !strings.Contains(got, "apps") || !strings.Contains(got, "only people of your organization") {
		t.Fatalf("lines %v", r.lines())
	}
	if n := h.emu.MemberCreates(); n != 0 {
		t.Fatalf("%d calls made for refused targets", n)
	}
	if calls := h.emu.MembershipCalls(adam.ID); len(calls) != 0 {
		t.Fatalf("%d membership calls", len(calls))
	}
}

// TestAdminNeedsTheSettingAndASpace: off by default, "as admin" is refused
// with what turns it on; on, it never applies to the current space by
// default, nor to "members of".
func TestAdminNeedsTheSettingAndASpace(t *testing.T) {
	off := startBot(t, nil)
	seedAdmin(off, true)
	off.grant(adam, commands.ScopeMemberships, commands.ScopeAdminMemberships)
	r := off.asAdmin(adam, "/invite", " dave@example.com to spaces/AAA as admin")
	if title(r) != "Administrator access is off" || !strings.Contains(cardText(r), "INVITE_ADMIN_ACCESS") || !strings.Contains(cardText(r), "operator") {
		t.Fatalf("feature off: %s", r.raw)
	}
	if off.emu.MemberCreates() != 0 {
		t.Fatal("a call was made with the feature off")
	}
	on := startBot(t, adminEnv)
	seedAdmin(on, true)
	on.grant(adam, commands.ScopeMemberships, commands.ScopeAdminMemberships)
	for args, want := range map[string]string{
		" dave@example.com as admin":                    "needs the space named",
		" members of spaces/AAA to spaces/EXT as admin": "be used “as admin”",
	} {
		if r := on.asAdmin(adam, "/invite", args); !strings.Contains(cardText(r), want) {
			t.Fatalf("%q: %s", args, r.raw)
		}
	}
	if on.emu.MemberCreates() != 0 {
		t.Fatal("a call was made")
	}
}

// stoppedAdminRun starts adam's 40-person invitation "as admin" into AAA,
// stops the bot (SIGTERM) once 10 or more are added, and returns the
// addresses; it skips the test when all 40 were added before the stop
// (nothing left to resume).
func stoppedAdminRun(t *testing.T, h *harness, prefix string) []string {
	t.Helper()
	seedAdmin(h, true)
	h.grant(adam, commands.ScopeMemberships, commands.ScopeAdminMemberships)
	emails := addPeople(h, prefix, 40)
	h.asAdmin(adam, "/invite", " "+strings.Join(emails, ", ")+" to spaces/AAA as admin")
	h.progress("OPS", func(m chat.Message) bool { return cardID(m) == "invite-progress" })
	deadline := time.Now().Add(30 * time.Second)
	for h.emu.MemberCreates() < 10 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	h.bot.drain()
	h.bot.Close()
	if h.emu.MemberCreates() >= 40 {
		t.Skip("all 40 were added before the stop: nothing left to resume")
	}
	return emails
}

// TestAdminLargeInvitationResumesAsAdmin: a background invitation made
// "as admin" keeps administrator access across a restart.
func TestAdminLargeInvitationResumesAsAdmin(t *testing.T) {
	h := startLarge(t, adminEnv)
	emails := stoppedAdminRun(t, h, "admres")
	next := h.restart()
	h.srv.Config.Handler = next.Handler()
	final := h.progress("OPS", func(m chat.Message) bool { return cardID(m) == "invite-result" })
	c := final.CardsV2[0].Card.Header
	if c.Subtitle != "40 added" || !strings.HasSuffix(c.Title, " as administrator") {
		t.Fatalf("final %q %q", c.Title, c.Subtitle)
	}
	for _, e := range emails {
		p, _ := h.emu.PersonByEmail(e)
		if m, ok := member(h, "AAA", p.ID); !ok || m.AddedBy != emulator.AdminActor {
			t.Fatalf("%s: %v %q", e, ok, m.AddedBy)
		}
	}
}

// TestAdminTurnedOffStopsItsWork: an operator who turns administrator
// access off stops what was started "as admin": after the restart nothing
// more is added, the rest is "not tried" and says why.
func TestAdminTurnedOffStopsItsWork(t *testing.T) {
	h := startLarge(t, adminEnv)
	stoppedAdminRun(t, h, "admoff")
	before := h.emu.MemberCreates()
	h.cfg.InviteAdminDomains = nil // INVITE_ADMIN_ACCESS emptied, redeployed
	next := h.restart()
	h.srv.Config.Handler = next.Handler()
	final := h.progress("OPS", func(m chat.Message) bool { return cardID(m) == "invite-result" })
	if n := h.emu.MemberCreates(); n != before {
		t.Fatalf("%d more added after administrator access was turned off", n-before)
	}
	if !strings.Contains(mustJSON(final), "administrator access was turned off") {
		t.Fatalf("the final card does not say why the rest was not tried: %s", mustJSON(final))
	}
}

// TestAdminFormCheckbox: the form offers "As administrator" only to those
// who granted chat.admin.memberships (where the operator allowed it); ticked,
// the submission runs as admin, and the form says when a space is missing.
func TestAdminFormCheckbox(t *testing.T) {
	h := startBot(t, adminEnv)
	seedAdmin(h, true)
	app := h.app(false)
	ask := func(body map[string]any) map[string]any { return h.sendEventMap(app, body) }
	openForm := func() map[string]any {
		t.Helper()
		offer := ask(chatEvent{User: adam, Space: "OPS"}.event())
		ev, err := app.ClickEvent(emulator.Click{User: adam, Space: spaceOf("OPS"), Action: findButton(t, offer, "Open the form")})
		if err != nil {
			t.Fatal(err)
		}
		return ask(ev)
	}
	h.grant(adam, commands.ScopeMemberships, commands.ScopeMembershipsApp)
	if form := openForm(); strings.Contains(mustJSON(form), "As administrator") {
		t.Fatal("the checkbox is offered without the admin scope")
	}
	h.grant(adam, commands.ScopeMemberships, commands.ScopeMembershipsApp, commands.ScopeAdminMemberships)
	form := openForm()
	if !strings.Contains(mustJSON(form), "As administrator") {
		t.Fatalf("no checkbox: %v", form)
	}
	submit := func(inputs map[string]string) map[string]any {
		t.Helper()
		ev, err := app.ClickEvent(emulator.Click{User: adam, Space: spaceOf("OPS"), Action: findButton(t, form, "Invite"), DialogEventType: "SUBMIT_DIALOG", Inputs: inputs})
		if err != nil {
			t.Fatal(err)
		}
		return ask(ev)
	}
	// The form's Preview previews as administrator, and keeps the box.
	click := func(button string, inputs map[string]string) map[string]any {
		t.Helper()
		return h.clickEventMap(app, emulator.Click{User: adam, Space: spaceOf("OPS"), Action: findButton(t, form, button), DialogEventType: "SUBMIT_DIALOG", Inputs: inputs})
	}
	preview := mustJSON(click("Preview", map[string]string{"people": "dave@example.com", "spaces": "spaces/AAA", "admin": "true"}))
	if !strings.Contains(preview, "would be added") || !strings.Contains(preview, "as administrator") || !strings.Contains(preview, "As administrator") || h.emu.MemberCreates() != 0 {
		t.Fatalf("preview as admin: %s", preview)
	}
	if bad := submit(map[string]string{"people": "dave@example.com", "admin": "true"}); !strings.Contains(mustJSON(bad), "needs the space named") {
		t.Fatalf("no space: %v", bad)
	}
	if good := submit(map[string]string{"people": "dave@example.com", "spaces": "spaces/AAA", "admin": "true"}); !strings.Contains(mustJSON(good), "1 added") {
		t.Fatalf("submission: %v", good)
	}
	if m, ok := member(h, "AAA", dave.ID); !ok || m.AddedBy != emulator.AdminActor {
		t.Fatalf("dave: %v %q", ok, m.AddedBy)
	}
}

// TestDoctorListsTheAdminScope: with INVITE_ADMIN_ACCESS, the consent
// screen's scopes bot doctor prints include chat.admin.memberships.
func TestDoctorListsTheAdminScope(t *testing.T) {
	for env, want := range map[string]bool{"": false, "example.com": true} {
		out, _ := runDoctor(t, map[string]string{"INVITE_ADMIN_ACCESS": env})
		if got := strings.Contains(out, commands.ScopeAdminMemberships); got != want {
			t.Fatalf("INVITE_ADMIN_ACCESS=%q: listed %v:\n%s", env, got, out)
		}
	}
}
