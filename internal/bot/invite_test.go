package bot

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/emulator"
)

// chatEvent is /invite (command id 1) from user in space, as the emulated
// Chat builds it.
type chatEvent struct {
	User     emulator.Person
	Space    string
	Args     string // after "/invite"
	Message  string // message name; "" = a fresh one
	Mentions []mention
	AddOn    bool
	// Command replaces /invite (e.g. "/help").
	Command string
	// AddsApp: the command adds the app (one ADDED_TO_SPACE event).
	AddsApp      bool
	UTF16Offsets bool
}

type mention struct {
	Text string // "@Bob" as it appears in Args
	User emulator.Person
}

var messageSeq int

// testCommands are the default COMMAND_IDS.
var testCommands = map[int64]string{1: "invite", 2: "help", 3: "logout", 4: "remove"}

func spaceOf(id string) emulator.Space {
	s := emulator.Space{ID: id, Type: emulator.SpaceTypeSpace}
	if id == "DM" {
		s.Type = emulator.SpaceTypeDM
	}
	return s
}

func (ev chatEvent) event() map[string]any {
	if ev.Message == "" {
		messageSeq++
		ev.Message = fmt.Sprintf("spaces/%s/messages/m%d", ev.Space, messageSeq)
	}
	if ev.Command == "" {
		ev.Command = "/invite"
	}
	var ms []emulator.Mention
	for _, m := range ev.Mentions {
		ms = append(ms, emulator.Mention{Person: m.User, Text: m.Text})
	}
	app := emulator.AppFor("", testCommands, ev.AddOn)
	evs := app.MessageEvents(emulator.Message{User: ev.User, Space: spaceOf(ev.Space), Name: ev.Message,
		Text: ev.Command + ev.Args, Mentions: ms, ConfigCompleteURL: configURL, AddsApp: ev.AddsApp, UTF16Offsets: ev.UTF16Offsets,
		Time: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)})
	return evs[len(evs)-1]
}

func (ev chatEvent) JSON() []byte {
	b, _ := json.Marshal(ev.event())
	return b
}

// reply is a decoded classic reply.
type reply struct {
	raw []byte
	msg chat.Message
}

// sendEvent posts a classic event and checks the answer by Chat's rules.
func (h *harness) sendEvent(body []byte) reply {
	h.t.Helper()
	code, out := h.send(body)
	if code != http.StatusOK {
		h.t.Fatalf("status %d: %s", code, out)
	}
	var ev map[string]any
	_ = json.Unmarshal(body, &ev)
	if err := h.app(false).CheckReply(ev, out); err != nil {
		h.t.Fatalf("real Chat would refuse this answer: %v\n%s", err, out)
	}
	var r reply
	r.raw = out
	if err := json.Unmarshal(out, &r.msg); err != nil {
		h.t.Fatalf("reply does not decode as chat.Message: %v\n%s", err, out)
	}
	return r
}

func (r reply) configURL() string {
	if r.msg.ActionResponse != nil && r.msg.ActionResponse.Type == "REQUEST_CONFIG" {
		return r.msg.ActionResponse.Url
	}
	return ""
}

// subtitle is the result card's count line.
func (r reply) subtitle(t *testing.T) string {
	t.Helper()
	if len(r.msg.CardsV2) != 1 || r.msg.CardsV2[0].Card.Header == nil {
		t.Fatalf("no result card: %s", r.raw)
	}
	return r.msg.CardsV2[0].Card.Header.Subtitle
}

// lines maps each section header to its lines' text and bottom label.
func (r reply) lines() map[string][]string {
	out := map[string][]string{}
	for _, c := range r.msg.CardsV2 {
		for _, s := range c.Card.Sections {
			for _, w := range s.Widgets {
				switch {
				case w.DecoratedText != nil:
					out[s.Header] = append(out[s.Header], w.DecoratedText.Text+" | "+w.DecoratedText.BottomLabel)
				case w.TextParagraph != nil:
					out[s.Header] = append(out[s.Header], w.TextParagraph.Text)
				}
			}
		}
	}
	return out
}

// grant runs consent for p with every scope /invite may need.
func (h *harness) grant(p emulator.Person, scopes ...string) {
	h.t.Helper()
	if len(scopes) == 0 {
		scopes = inviteScopes
	}
	h.consentAs("users/"+p.ID, p, scopes)
}

func (h *harness) invite(p emulator.Person, space, args string) reply {
	h.t.Helper()
	return h.sendEvent(chatEvent{User: p, Space: space, Args: args}.JSON())
}

func member(h *harness, space, key string) (emulator.Membership, bool) {
	for _, m := range h.emu.Members(space) {
		if m.Key == key {
			return m, true
		}
	}
	return emulator.Membership{}, false
}

// TestFirstInviteThroughConsent is the whole first-time path: the prompt,
// consent in a browser, then Chat's re-sent message served with the token.
func TestFirstInviteThroughConsent(t *testing.T) {
	h := startBot(t, nil)
	ev := chatEvent{User: alice, Space: "AAA", Args: " dave@example.com", Message: "spaces/AAA/messages/first"}.JSON()
	first := h.sendEvent(ev)
	link := first.configURL()
	if link == "" || len(first.msg.CardsV2) != 0 {
		t.Fatalf("first /invite: want REQUEST_CONFIG only, got %s", first.raw)
	}
	if _, ok := member(h, "AAA", dave.ID); ok {
		t.Fatal("something was attempted before consent")
	}
	v := h.consent(browser(t), link, emulator.Consent{Account: alice.Email})
	if v.status != http.StatusSeeOther || v.location != configURL {
		t.Fatalf("consent: %d %s", v.status, v.body)
	}
	again := h.sendEvent(ev)
	if got := again.subtitle(t); got != "1 added" {
		t.Fatalf("after consent: %q\n%s", got, again.raw)
	}
	if again.msg.PrivateMessageViewer == nil || again.msg.PrivateMessageViewer.Name != "users/"+alice.ID {
		t.Fatal("result not private to the invoker")
	}
	if m, ok := member(h, "AAA", dave.ID); !ok || m.State != emulator.StateJoined {
		t.Fatalf("dave not joined: %+v", m)
	}
}

func TestInviteOutcomes(t *testing.T) {
	cases := []struct {
		name, space, args string
		section, line     string
	}{
		{"added", "AAA", " dave@example.com", "Added (1)", "dave@example.com | Dave Doer"},
		{"invited", "AAA", " carol@example.com", "Invited: they must accept (1)", "carol@example.com | Carol Careful"},
		{"already a member", "AAA", " bob@example.com", "Already a member (1)", "bob@example.com | "},
		{"not found", "AAA", " nobody@example.com", "Not found (1)", "nobody@example.com | no Google account with this email"},
		// Alice owns AAA: she is not told to ask a space manager.
		{"external not allowed", "AAA", " erin@partner.example", "Not allowed (1)", "erin@partner.example | this space doesn&#39;t allow people outside your organization"},
		{"external allowed", "EXT", " erin@partner.example", "Added (1)", "erin@partner.example | Erin External"},
		{"external by id", "EXT", " users/2001", "Not found (1)", "users/2001 | no such user; people outside your organization must be named by email"},
		{"direct message", "DM", " dave@example.com", "Not allowed (1)", "dave@example.com | people can&#39;t be added to a direct message"},
		{"group in a group chat", "GC", " groups/eng", "Invalid (1)", "groups/eng | groups can only be added to named spaces"},
		{"unknown space", "NOPE", " dave@example.com", "Not found (1)", "dave@example.com | the space was not found, or you are not a member of it"},
		{"people id", "AAA", " people/1004", "Added (1)", "people/1004 | Dave Doer"},
		{"numeric id", "AAA", " 1004", "Added (1)", "1004 | Dave Doer"},
		{"group", "AAA", " groups/eng", "Added (1)", "groups/eng | "},
		{"unknown group", "AAA", " groups/nope", "Not found (1)", "groups/nope | no such group"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := startBot(t, nil)
			h.grant(alice)
			r := h.invite(alice, tc.space, tc.args)
			got := r.lines()[tc.section]
			if len(got) != 1 || !strings.HasPrefix(got[0], tc.line) {
				t.Fatalf("section %q = %q, want a line starting %q\n%s", tc.section, got, tc.line, r.raw)
			}
		})
	}
}

// TestOnlyOthersAreSentToAManager: a member who is not a manager is told
// a space manager can let people outside the organization in; the owner
// (TestInviteOutcomes) is not.
func TestOnlyOthersAreSentToAManager(t *testing.T) {
	h := startBot(t, nil)
	h.grant(bob)
	got := h.invite(bob, "AAA", " erin@partner.example").lines()["Not allowed (1)"]
	if len(got) != 1 || !strings.HasSuffix(got[0], ": a space manager can allow them in its settings") {
		t.Fatalf("bob: %q", got)
	}
	h.grant(alice)
	got = h.invite(alice, "AAA", " erin@partner.example").lines()["Not allowed (1)"]
	if len(got) != 1 || strings.Contains(got[0], "manager") {
		t.Fatalf("alice, the owner: %q", got)
	}
}

// TestInviteFailedWithReason: a server error that lasts fails the target
// with its status, after the same retries as background work.
func TestInviteFailedWithReason(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	h.emu.InjectFault("users/dave@example.com", emulator.Fault{Status: http.StatusInternalServerError, Times: 100})
	r := h.invite(alice, "AAA", " dave@example.com")
	if got := r.lines()["Failed (1)"]; len(got) != 1 || !strings.Contains(got[0], "(500)") {
		t.Fatalf("got %v", r.lines())
	}
}

// TestInviteRetriesAPassingServerError: one 500, 502 or 504 is retried
// like a 503, on the small path as on the background's.
func TestInviteRetriesAPassingServerError(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout} {
		h := startBot(t, nil)
		h.grant(alice)
		h.emu.InjectFault("users/dave@example.com", emulator.Fault{Status: status, Times: 1})
		r := h.invite(alice, "AAA", " dave@example.com")
		if got := r.subtitle(t); got != "1 added" {
			t.Fatalf("after one %d: %q", status, got)
		}
	}
}

func TestInviteMixedBatchWithMentionAndApp(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice, commands.ScopeMemberships, commands.ScopeMembershipsApp)
	ev := chatEvent{User: alice, Space: "AAA",
		Args:     " @Dave Doer, carol@example.com; bob@example.com\nnobody@example.com <mailto:Carol@Example.com> app groups/eng",
		Mentions: []mention{{Text: "@Dave Doer", User: dave}}}
	r := h.sendEvent(ev.JSON())
	if got, want := r.subtitle(t), "1 person and 1 group added · 1 invited · 2 already a member · 1 not found"; got != want {
		t.Fatalf("subtitle %q, want %q\n%s", got, want, r.raw)
	}
	lines := r.lines()
	if got := lines["Added (2)"]; len(got) != 2 || !strings.HasPrefix(got[0], "@Dave Doer | Dave Doer") {
		t.Fatalf("added: %q", got)
	}
	if got := lines["Already a member (2)"]; len(got) != 2 || !strings.Contains(strings.Join(got, "\n"), "app | Invite is already in this space") {
		t.Fatalf("already: %q", got)
	}
}

func TestInviteSeveralSpaces(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	r := h.invite(alice, "AAA", " dave@example.com to spaces/EXT https://chat.google.com/room/AAA?cls=7")
	if got := r.subtitle(t); got != "2 added" {
		t.Fatalf("%q\n%s", got, r.raw)
	}
	lines := r.lines()["Added (2)"]
	if !strings.Contains(lines[0], `in <a href="https://chat.google.com/room/EXT">another space</a>`) || !strings.Contains(lines[0], "in this space") {
		t.Fatalf("lines %q", lines)
	}
}

func TestInviteAppNeedsIncrementalConsent(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice) // memberships only
	first := h.invite(alice, "AAA", " app to spaces/EXT")
	link := first.configURL()
	if link == "" {
		t.Fatalf("want a consent prompt for the app scope: %s", first.raw)
	}
	h.emu.SetConsent(&emulator.Consent{Account: alice.Email})
	// Before Google's screen, a page says which permissions are new and why:
	// the app's, and the read-only spaces scope every prompt asks for with
	// the form's (consentScopes).
	c := noRedirects(browser(t))
	more := get(t, c, link)
	if more.status != http.StatusOK || !strings.Contains(more.body, "2 more permissions") || !strings.Contains(more.body, "add Invite itself to a space") || !strings.Contains(more.body, "see your spaces") {
		t.Fatalf("no explanation of the new permission: %d %s", more.status, more.body)
	}
	start := get(t, c, link+"&go=1")
	if !strings.Contains(start.location, "chat.memberships.app") {
		t.Fatalf("app scope not requested: %s", start.location)
	}
	if v := h.consent(browser(t), h.link("users/"+alice.ID, []string{commands.ScopeMembershipsApp}), emulator.Consent{Account: alice.Email}); v.status != http.StatusSeeOther {
		t.Fatalf("consent: %d", v.status)
	}
	if got := h.invite(alice, "AAA", " app dave@example.com to spaces/EXT").subtitle(t); got != "2 added" {
		t.Fatalf("after incremental consent: %q", got)
	}
}

func TestInviteRetriesAfter429(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	h.emu.InjectFault("users/dave@example.com", emulator.Fault{Status: http.StatusTooManyRequests, Times: 2})
	h.emu.InjectFault("users/carol@example.com", emulator.Fault{Status: http.StatusServiceUnavailable, Times: 1})
	r := h.invite(alice, "AAA", " dave@example.com carol@example.com")
	if got := r.subtitle(t); got != "1 added · 1 invited" {
		t.Fatalf("%q\n%s", got, r.raw)
	}
}

func TestInviteDeadline(t *testing.T) {
	h := startBotWith(t, nil, Deps{InviteDeadline: 1500 * time.Millisecond, BackoffBase: time.Millisecond})
	h.grant(alice)
	var args []string
	for i := range 10 {
		email := fmt.Sprintf("slow%d@example.com", i)
		h.emu.InjectFault("users/"+email, emulator.Fault{Latency: time.Minute, Times: 1})
		args = append(args, email)
	}
	args = append(args, "dave@example.com")
	r := h.invite(alice, "AAA", " dave@example.com "+strings.Join(args[:10], " "))
	lines := r.lines()
	if len(lines["Added (1)"]) != 1 {
		t.Fatalf("dave (first, fast) not added: %v", lines)
	}
	failed, notTried := lines["Failed (8)"], lines["Not tried (2)"]
	if len(failed) == 0 && len(notTried) == 0 {
		t.Fatalf("want time-limit outcomes, got %v", lines)
	}
	for _, l := range append(failed, notTried...) {
		if !strings.Contains(l, "time limit") {
			t.Fatalf("line %q does not say time limit", l)
		}
	}
	if r.subtitle(t) != "1 added · 8 failed · 2 not tried" {
		t.Fatalf("subtitle %q", r.subtitle(t))
	}
}

func TestInviteDedupe(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	ev := chatEvent{User: alice, Space: "AAA", Args: " dave@example.com", Message: "spaces/AAA/messages/dup"}.JSON()
	first := h.sendEvent(ev)
	creates := h.emu.MemberCreates()
	// Another instance on the same store answers from the remembered reply,
	// written before the first answer was sent.
	other := h.restart()
	h.srv.Config.Handler = other.Handler()
	second := h.sendEvent(ev)
	if h.emu.MemberCreates() != creates {
		t.Fatal("the API was called again for a re-delivered message")
	}
	if string(first.raw) != string(second.raw) || first.subtitle(t) != "1 added" {
		t.Fatalf("second answer differs:\n%s\n%s", first.raw, second.raw)
	}
	h.clock.Advance(11 * time.Minute)
	if got := h.sendEvent(ev).subtitle(t); got != "1 already a member" {
		t.Fatalf("after 10 minutes the message runs again: %q", got)
	}
}

func TestInvitePolicies(t *testing.T) {
	t.Run("max targets", func(t *testing.T) {
		h := startBot(t, map[string]string{"INVITE_MAX_TARGETS": "2"})
		h.grant(alice)
		r := h.invite(alice, "AAA", " dave@example.com carol@example.com to spaces/AAA spaces/EXT")
		if !strings.Contains(string(r.raw), "at most 2") || len(r.msg.CardsV2) != 1 || h.emu.MemberCreates() != 0 {
			t.Fatalf("got %s (creates %d)", r.raw, h.emu.MemberCreates())
		}
	})
	t.Run("allowed domains", func(t *testing.T) {
		h := startBot(t, map[string]string{"INVITE_ALLOWED_DOMAINS": "example.com"})
		h.grant(alice)
		r := h.invite(alice, "EXT", " erin@partner.example dave@example.com")
		if got := r.lines()["Not tried (1)"]; len(got) != 1 || !strings.Contains(got[0], "not allowed by this app&#39;s policy") {
			t.Fatalf("got %v", r.lines())
		}
		if _, ok := member(h, "EXT", erin.ID); ok {
			t.Fatal("erin was added despite the policy")
		}
	})
	t.Run("require manager", func(t *testing.T) {
		h := startBot(t, map[string]string{"INVITE_REQUIRE_MANAGER": "true"})
		h.grant(alice)
		h.grant(bob)
		if got := h.invite(bob, "AAA", " dave@example.com").lines()["Not tried (1)"]; len(got) != 1 || !strings.Contains(got[0], "only owners and managers") {
			t.Fatalf("member bob: %v", got)
		}
		if got := h.invite(alice, "AAA", " dave@example.com").subtitle(t); got != "1 added" {
			t.Fatalf("owner alice: %q", got)
		}
	})
	t.Run("public reply", func(t *testing.T) {
		h := startBot(t, map[string]string{"INVITE_REPLY": "public"})
		h.grant(alice)
		if r := h.invite(alice, "AAA", " dave@example.com"); r.msg.PrivateMessageViewer != nil {
			t.Fatalf("public reply is private: %s", r.raw)
		}
	})
}

func TestInviteParseErrorChangesNothing(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	r := h.invite(alice, "AAA", " dave@example.com <b>bogus</b>")
	if h.emu.MemberCreates() != 0 || !strings.Contains(string(r.raw), "&amp;lt;b&amp;gt;bogus") && !strings.Contains(string(r.raw), `\u0026lt;b\u0026gt;bogus`) {
		t.Fatalf("got %s", r.raw)
	}
	if len(r.msg.CardsV2) != 1 || r.msg.CardsV2[0].CardId != "invite-usage" {
		t.Fatalf("want the usage card: %s", r.raw)
	}
}

// TestInviteRejectedTokenAsksAgain: a 401 from the Chat API drops the grant
// and answers with the consent prompt, not an error.
func TestInviteRejectedTokenAsksAgain(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	h.emu.RevokeUser(alice.Email) // the bot's cached access token is now dead
	r := h.invite(alice, "AAA", " dave@example.com")
	if r.configURL() == "" {
		t.Fatalf("want the consent prompt: %s", r.raw)
	}
	if h.hasGrant("users/" + alice.ID) {
		t.Fatal("the rejected grant was kept")
	}
}

// TestInviteForm is the documented wiring: /invite alone asks for consent
// (every scope the form may need), then offers a private card whose button
// opens the form (interaction OPEN_DIALOG); the form's submit and cancel
// reach the command by the button's parameters. Every answer passes the
// emulated Chat's rules, in both shapes.
func TestInviteForm(t *testing.T) {
	for _, addOn := range []bool{false, true} {
		t.Run(map[bool]string{false: "classic", true: "add-on"}[addOn], func(t *testing.T) {
			h := startBot(t, nil)
			app := h.app(addOn)
			ask := func(body map[string]any) map[string]any { return h.sendEventMap(app, body) }
			bare := chatEvent{User: alice, Space: "AAA", AddOn: addOn}.event()
			first := ask(bare)
			link := consentLink(first)
			if link == "" {
				t.Fatalf("want consent before the form: %v", first)
			}
			if start := get(t, noRedirects(browser(t)), link); !strings.Contains(start.location, "chat.memberships.app") {
				t.Fatalf("consent does not ask for every scope the form may need: %s", start.location)
			}
			h.grant(alice, commands.ScopeMemberships, commands.ScopeMembershipsApp)
			offer := ask(bare)
			open := findButton(t, offer, "Open the form")
			if open.Interaction != "OPEN_DIALOG" {
				t.Fatalf("the form's button does not open a dialog: %+v", open)
			}
			click := func(action *chat.GoogleAppsCardV1Action, dialogType string, inputs map[string]string) map[string]any {
				return h.clickEventMap(app, emulator.Click{User: alice, Space: spaceOf("AAA"), Action: action, DialogEventType: dialogType, Inputs: inputs, StringBools: addOn})
			}
			form := click(open, "", nil)
			submitButton := findButton(t, form, "Invite")
			bad := click(submitButton, "SUBMIT_DIALOG", map[string]string{"people": "dave@example.com, ???"})
			if !strings.Contains(fmt.Sprint(bad), "???") || dialogCard(bad) == nil {
				t.Fatalf("parse error not shown in the form: %v", bad)
			}
			if h.emu.MemberCreates() != 0 {
				t.Fatal("a bad submission attempted something")
			}
			good := click(submitButton, "SUBMIT_DIALOG", map[string]string{"people": "dave@example.com\ncarol@example.com app", "spaces": "spaces/EXT"})
			if !strings.Contains(fmt.Sprint(good), "2 added · 1 invited") {
				t.Fatalf("submission: %v", good)
			}
			if _, ok := member(h, "EXT", "app"); !ok {
				t.Fatal("the app was not added from the form (its scope was asked for up front)")
			}
			cancel := click(nil, "CANCEL_DIALOG", nil)
			if !strings.Contains(fmt.Sprint(cancel), "CLOSE_DIALOG") && !strings.Contains(fmt.Sprint(cancel), "actionStatus") {
				t.Fatalf("cancel did not close the dialog: %v", cancel)
			}
		})
	}
}

// consentLink finds the consent link in an answer of either shape.
func consentLink(r map[string]any) string {
	if ar, ok := r["actionResponse"].(map[string]any); ok && ar["type"] == "REQUEST_CONFIG" {
		s, _ := ar["url"].(string)
		return s
	}
	if p, ok := r["basicAuthorizationPrompt"].(map[string]any); ok {
		s, _ := p["authorizationUrl"].(string)
		return s
	}
	return ""
}

// dialogCard finds the dialog an answer opens, in either shape.
func dialogCard(r map[string]any) map[string]any {
	if ar, ok := r["actionResponse"].(map[string]any); ok {
		if da, ok := ar["dialogAction"].(map[string]any); ok {
			if d, ok := da["dialog"].(map[string]any); ok {
				b, _ := d["body"].(map[string]any)
				return b
			}
		}
	}
	if a, ok := r["action"].(map[string]any); ok {
		navs, _ := a["navigations"].([]any)
		for _, n := range navs {
			if pc, ok := n.(map[string]any)["pushCard"].(map[string]any); ok {
				return pc
			}
		}
	}
	return nil
}

// findButton finds a button by its text anywhere in an answer.
func findButton(t *testing.T, r map[string]any, text string) *chat.GoogleAppsCardV1Action {
	t.Helper()
	var found *chat.GoogleAppsCardV1Action
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["text"] == text && x["onClick"] != nil {
				raw, _ := json.Marshal(x["onClick"].(map[string]any)["action"])
				found = new(chat.GoogleAppsCardV1Action)
				_ = json.Unmarshal(raw, found)
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(r)
	if found == nil {
		t.Fatalf("no %q button in %v", text, r)
	}
	return found
}

func TestInviteAddOnShape(t *testing.T) {
	h := startBot(t, nil)
	ev := chatEvent{User: alice, Space: "AAA", Args: " dave@example.com", AddOn: true, Message: "spaces/AAA/messages/addon"}.JSON()
	_, out := h.send(ev)
	prompt := decodeJSON(t, out)
	auth, _ := prompt["basicAuthorizationPrompt"].(map[string]any)
	link, _ := auth["authorizationUrl"].(string)
	if link == "" {
		t.Fatalf("want basicAuthorizationPrompt: %s", out)
	}
	h.consent(browser(t), link, emulator.Consent{Account: alice.Email})
	_, out = h.send(ev)
	msg := dig(t, decodeJSON(t, out), "hostAppDataAction", "chatDataAction", "createMessageAction", "message")
	raw, _ := json.Marshal(msg)
	var m chat.Message
	if err := json.Unmarshal(raw, &m); err != nil || len(m.CardsV2) != 1 || m.CardsV2[0].Card.Header.Subtitle != "1 added" {
		t.Fatalf("add-on result: %s", out)
	}
}

// TestResultCardLimits: 50 targets, every one listed, stays within Chat's
// 32 KB and 100 widgets, and round-trips through chat/v1 types.
func TestResultCardLimits(t *testing.T) {
	h := startBotWith(t, nil, Deps{SyncMax: 100, BackoffBase: time.Millisecond})
	h.grant(alice)
	var args []string
	for i := range 50 {
		args = append(args, fmt.Sprintf("person%02d.with.a.very.long.name.indeed@example.com", i))
	}
	r := h.invite(alice, "AAA", " "+strings.Join(args, ", "))
	if len(r.raw) > 32<<10 {
		t.Fatalf("reply is %d bytes, over 32 KB", len(r.raw))
	}
	widgets := 0
	for _, c := range r.msg.CardsV2 {
		for _, s := range c.Card.Sections {
			widgets += len(s.Widgets)
		}
	}
	if widgets > 100 {
		t.Fatalf("%d widgets, over 100", widgets)
	}
	// Everyone is listed, several a paragraph, the first few showing while
	// the section is collapsed.
	got := strings.Join(r.lines()["Not found (50)"], "<br>")
	for _, a := range args {
		if !strings.Contains(got, a+" · no Google account") {
			t.Fatalf("%s is not listed: %q", a, got)
		}
	}
	if s := r.msg.CardsV2[0].Card.Sections[0]; !s.Collapsible || s.UncollapsibleWidgetsCount != 1 || len(s.Widgets) != 3 {
		t.Fatalf("want one collapsible block of 50 in 3 paragraphs: %+v", s)
	}
	again, err := json.Marshal(&r.msg)
	if err != nil {
		t.Fatal(err)
	}
	var m chat.Message
	if err := json.Unmarshal(again, &m); err != nil || len(m.CardsV2) != 1 {
		t.Fatalf("round trip: %v", err)
	}
}
