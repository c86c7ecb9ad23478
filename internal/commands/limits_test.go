package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// longAddress is an address of 254 characters, the longest the parser
// accepts.
func longAddress(i int) string {
	local := fmt.Sprintf("p%d-", i)
	local += strings.Repeat("a", 64-len(local))
	d := strings.Repeat("d", 60)
	return local + "@" + d + "." + d + "." + d[:59] + ".example"
}

// TestFinalCardOfLongAddressesFits: the final card of 1,000 targets named
// by 254-character addresses, with every outcome, long reasons and two
// spaces, stays within Chat's 32,000 bytes and 100 widgets: addresses are
// cut with an ellipsis; those not added come first, as many as fit, each
// group then saying how many more; those added are counted, not listed;
// and a button opens the full list of those not added. Text that grows
// when escaped (<, & and > become entities, then JSON escapes) fits too.
func TestFinalCardOfLongAddressesFits(t *testing.T) {
	if a := longAddress(1); len(a) != 254 {
		t.Fatalf("address of %d characters", len(a))
	}
	for _, c := range []struct {
		name  string
		typed func(i int) string
	}{
		{"254-character addresses", longAddress},
		{"text that grows when escaped", func(i int) string { return strings.Repeat("<&>", 90) + fmt.Sprint(i) }},
	} {
		inv := largeInvitation(1000, c.typed)
		results, here, spaces := finalResults(inv)
		if within(&chat.Message{CardsV2: resultCardsOf(membership.Add, results, here, spaces, listCompact, len(results), nil)}, cardBudget) {
			t.Fatalf("%s: everyone fits anyway: the case shows nothing", c.name)
		}
		m := (&Invite{}).progressMessage(inv, true)
		size, widgets := measure(m)
		if size > maxMessageBytes || widgets > maxMessageWidgets {
			t.Fatalf("%s: final card of %d bytes, %d widgets", c.name, size, widgets)
		}
		if m.CardsV2[0].CardId != "invite-result" {
			t.Fatalf("%s: the result card was replaced: %s", c.name, m.CardsV2[0].CardId)
		}
		b, _ := json.Marshal(m)
		if !strings.Contains(string(b), "…") || strings.Contains(string(b), longAddress(0)) {
			t.Fatalf("%s: long text is not cut", c.name)
		}
		more := regexp.MustCompile(`and (\d+) more`)
		sections := m.CardsV2[0].Card.Sections
		seenSuccess := false
		for _, s := range sections[:len(sections)-1] {
			count, _ := strconv.Atoi(regexp.MustCompile(`\((\d+)\)$`).FindStringSubmatch(s.Header)[1])
			failure := strings.HasPrefix(s.Header, "Not found") || strings.HasPrefix(s.Header, "Not allowed") ||
				strings.HasPrefix(s.Header, "Invalid") || strings.HasPrefix(s.Header, "Failed") || strings.HasPrefix(s.Header, "Not tried")
			if !failure {
				seenSuccess = true
				if len(s.Widgets) != 1 || !strings.Contains(s.Widgets[0].TextParagraph.Text, "Not listed") {
					t.Fatalf("%s: %s: want it counted, not listed", c.name, s.Header)
				}
				continue
			}
			if seenSuccess {
				t.Fatalf("%s: %s comes after those added", c.name, s.Header)
			}
			listed := 0
			for _, w := range s.Widgets[:len(s.Widgets)-1] {
				listed += strings.Count(w.TextParagraph.Text, "<br>") + 1
			}
			last := s.Widgets[len(s.Widgets)-1].TextParagraph.Text
			n, _ := strconv.Atoi(more.FindStringSubmatch(last)[1])
			if n+listed != count || listed == 0 {
				t.Fatalf("%s: %s: %d listed and %d more", c.name, s.Header, listed, n)
			}
		}
		bl := sections[len(sections)-1].Widgets[0].ButtonList
		if bl == nil || bl.Buttons[0].Text != fmt.Sprintf("Show all %d not added", failures(results)) ||
			bl.Buttons[0].OnClick.Action.Interaction != "OPEN_DIALOG" {
			t.Fatalf("%s: no button opening the list of those not added: %+v", c.name, sections[len(sections)-1])
		}
	}
}

// largeInvitation is a finished invitation of n targets typed as typed(i),
// with every outcome in turn, long reasons and two spaces.
func largeInvitation(n int, typed func(i int) string) *membership.Invitation {
	inv := &membership.Invitation{ID: "x", User: "users/1", Space: "spaces/AAA", SpaceName: "Launch", Private: true, Finished: true}
	for i := range n {
		o := membership.Outcome(i % int(membership.OutcomeCount))
		inv.Targets = append(inv.Targets, membership.Planned{Seq: i, Space: []string{"spaces/AAA", "spaces/BBBBBBBBBBBB"}[i%2],
			Target: membership.Target{Kind: membership.TargetUser, Typed: typed(i), Name: "users/" + typed(i)},
			State:  membership.Done, Outcome: o.String(), Detail: strings.Repeat("a long reason ", 20)})
	}
	return inv
}

func finalResults(inv *membership.Invitation) ([]Result, events.Space, []string) {
	results, spaces, _ := outcomesOf(inv)
	return results, events.Space{Name: inv.Space, DisplayName: inv.SpaceName}, spaces
}

// TestShorten: short text is left alone; long text is cut to
// maxShownRunes characters, the last an ellipsis, never inside a character.
func TestShorten(t *testing.T) {
	if got := shorten("ana@example.com"); got != "ana@example.com" {
		t.Fatalf("short text changed: %q", got)
	}
	for _, s := range []string{longAddress(7), strings.Repeat("é", 200)} {
		got := shorten(s)
		if utf8.RuneCountInString(got) != maxShownRunes || !strings.HasSuffix(got, "…") || !utf8.ValidString(got) || !strings.HasPrefix(s, strings.TrimSuffix(got, "…")) {
			t.Fatalf("shorten(%q) = %q", s, got)
		}
	}
}

// TestEveryReplyWithinLimits: an answer Chat would refuse (over 32,000
// bytes, or over 100 widgets) is replaced, through the router, by a card
// that says it was too long.
func TestEveryReplyWithinLimits(t *testing.T) {
	var many []*chat.GoogleAppsCardV1Widget
	for range 101 {
		many = append(many, paragraph("x"))
	}
	for name, reply := range map[string]events.Reply{
		"too long":         {Private: true, Text: strings.Repeat("x", 40_000)},
		"too many widgets": {Cards: card("c", "t", "s", section("", many...))},
	} {
		r, err := NewRouter([]Spec{{Name: "big", Run: func(context.Context, *events.Event) events.Reply { return reply }}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := r.Dispatch(t.Context(), &events.Event{Kind: events.KindMessage, CommandName: "/big"})
		m := &chat.Message{Text: got.Text, CardsV2: got.Cards}
		if !within(m, maxMessageBytes) || len(got.Cards) != 1 || got.Cards[0].CardId != "too-long" || got.Private != reply.Private {
			t.Fatalf("%s: %+v", name, got)
		}
	}
	small := events.Reply{Text: "fine"}
	if got := fitReply(small); got.Text != "fine" || got.Cards != nil {
		t.Fatalf("a small reply changed: %+v", got)
	}
}
