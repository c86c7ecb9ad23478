package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/emulator"
)

// TestOtherSpaceByDisplayName: with the read-only spaces scope
// (spaces.get: https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces/get)
// another space is called by its display name in the title and on its
// lines; without it, "another space" with its link, and nothing is read or
// asked for; a read that fails keeps "another space".
func TestOtherSpaceByDisplayName(t *testing.T) {
	t.Run("with the scope", func(t *testing.T) {
		h := startBot(t, nil)
		h.grant(alice, commands.ScopeMemberships, commands.ScopeSpacesRead)
		r := h.invite(alice, "AAA", " dave@example.com to spaces/EXT")
		if got := r.msg.CardsV2[0].Card.Header.Title; got != "Added to Partners" {
			t.Fatalf("title %q", got)
		}
		if got := r.lines()["Added (1)"]; len(got) != 1 || got[0] != `dave@example.com · Dave Doer · in <a href="https://chat.google.com/room/EXT">Partners</a>` {
			t.Fatalf("line %q", got)
		}
		// A space alice is not in: spaces.get says 404, the card keeps
		// "another space" and the command its answer.
		h.emu.AddSpace(emulator.Space{ID: "OUT", DisplayName: "Hidden", Domain: "example.com"})
		out := h.invite(alice, "AAA", " dave@example.com to spaces/OUT")
		if strings.Contains(string(out.raw), "Hidden") || !strings.Contains(string(out.raw), "another space") {
			t.Fatalf("a space alice cannot read: %s", out.raw)
		}
	})
	t.Run("without it", func(t *testing.T) {
		h := startBot(t, nil)
		h.grant(alice)
		r := h.invite(alice, "AAA", " dave@example.com to spaces/EXT")
		if r.configURL() != "" {
			t.Fatalf("asked for consent to name a space: %s", r.raw)
		}
		if got := r.msg.CardsV2[0].Card.Header.Title; got != "Added to another space" {
			t.Fatalf("title %q", got)
		}
		if h.emu.SpaceReads() != 0 {
			t.Fatalf("%d spaces read without the scope", h.emu.SpaceReads())
		}
	})
}

// TestFormPicksSpaces: the form lists the user's named spaces
// (spaces.list with space_type = "SPACE") in a multiselect when the
// read-only spaces scope is granted, and a picked space is invited to, in
// both event shapes; without the scope the form offers that permission.
func TestFormPicksSpaces(t *testing.T) {
	for _, addOn := range []bool{false, true} {
		t.Run(map[bool]string{false: "classic", true: "add-on"}[addOn], func(t *testing.T) {
			h := startBot(t, nil)
			app := h.app(addOn)
			ask := func(body map[string]any) map[string]any { return h.sendEventMap(app, body) }
			click := func(action *chat.GoogleAppsCardV1Action, dialogType string, inputs map[string]string, picks map[string][]string) map[string]any {
				return h.clickEventMap(app, emulator.Click{User: alice, Space: spaceOf("AAA"), Action: action, DialogEventType: dialogType, Inputs: inputs, Picks: picks, StringBools: addOn})
			}
			bare := chatEvent{User: alice, Space: "AAA", AddOn: addOn}.event()
			// The first consent asks for the picker's read-only scope with
			// the form's.
			if start := get(t, noRedirects(browser(t)), consentLink(ask(bare))); !strings.Contains(start.location, "chat.spaces.readonly") {
				t.Fatalf("the first consent does not ask for the spaces scope: %s", start.location)
			}

			// A grant from before the picker still opens the form.
			h.grant(alice, commands.ScopeMemberships, commands.ScopeMembershipsApp)
			form := click(findButton(t, ask(bare), "Open the form"), "", nil, nil)
			if picker(form) != nil {
				t.Fatalf("a picker without the scope: %v", form)
			}
			allow := findLink(form, "Allow listing my spaces")
			if allow == "" {
				t.Fatalf("the form does not offer the permission: %v", form)
			}
			// A person who authorized Invite already sees why, before Google's screen.
			if page := get(t, noRedirects(browser(t)), allow); !strings.Contains(page.body, "Invite needs to see your spaces") {
				t.Fatalf("the offer does not ask for the spaces scope: %s", page.body)
			}

			h.grant(alice, commands.ScopeMemberships, commands.ScopeMembershipsApp, commands.ScopeSpacesRead)
			form = click(findButton(t, ask(bare), "Open the form"), "", nil, nil)
			p := picker(form)
			if p == nil || p.Type != "MULTI_SELECT" {
				t.Fatalf("no multiselect of spaces: %v", form)
			}
			var items []string
			for _, it := range p.Items {
				items = append(items, it.Text+"="+it.Value)
			}
			if fmt.Sprint(items) != "[Team (this space)=spaces/AAA Partners=spaces/EXT]" {
				t.Fatalf("picker items %v, want alice's named spaces only", items)
			}
			if p.MultiSelectMaxSelectedItems != 2 {
				t.Fatalf("at most %d may be picked", p.MultiSelectMaxSelectedItems)
			}
			good := click(findButton(t, form, "Invite"), "SUBMIT_DIALOG", map[string]string{"people": "dave@example.com"}, map[string][]string{"pick": {"spaces/EXT"}})
			if _, ok := member(h, "EXT", dave.ID); !ok {
				t.Fatalf("dave was not added to the picked space: %v", good)
			}
			if _, ok := member(h, "AAA", dave.ID); ok {
				t.Fatal("dave was added to this space, which was not picked")
			}
		})
	}
}

// picker finds the form's space picker in a dialog answer.
func picker(r map[string]any) *chat.GoogleAppsCardV1SelectionInput {
	raw, _ := json.Marshal(dialogCard(r))
	var c chat.GoogleAppsCardV1Card
	_ = json.Unmarshal(raw, &c)
	for _, s := range c.Sections {
		for _, w := range s.Widgets {
			if w.SelectionInput != nil && w.SelectionInput.Name == "pick" {
				return w.SelectionInput
			}
		}
	}
	return nil
}

// findLink finds the address a button with text opens, in a dialog answer.
func findLink(r map[string]any, text string) string {
	raw, _ := json.Marshal(dialogCard(r))
	var c chat.GoogleAppsCardV1Card
	_ = json.Unmarshal(raw, &c)
	for _, s := range c.Sections {
		for _, w := range s.Widgets {
			if w.ButtonList == nil {
				continue
			}
			for _, b := range w.ButtonList.Buttons {
				if b.Text == text && b.OnClick != nil && b.OnClick.OpenLink != nil {
					return b.OnClick.OpenLink.Url
				}
			}
		}
	}
	return ""
}
