package commands

import (
	"fmt"
	stdhtml "html"
	"strings"
	"testing"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
	"github.com/chatinvite/invitebot/internal/storage"
)

// cardText is every text a card shows, escaped as sent.
func cardText(cards []*chat.CardWithId) string {
	var b strings.Builder
	for _, c := range cards {
		for _, s := range c.Card.Sections {
			for _, w := range s.Widgets {
				switch {
				case w.TextParagraph != nil:
					b.WriteString(w.TextParagraph.Text + "\n")
				case w.DecoratedText != nil:
					b.WriteString(w.DecoratedText.Text + " | " + w.DecoratedText.BottomLabel + "\n")
				}
			}
		}
	}
	return b.String()
}

// TestEveryWrongAddressIsShown: an invitation of 25 addresses nobody has
// and 15 that work lists every one of them, those not found compactly in
// one collapsible section, a few showing while it is collapsed.
func TestEveryWrongAddressIsShown(t *testing.T) {
	var results []Result
	for i := range 25 {
		results = append(results, Result{Target: membership.Target{Typed: fmt.Sprintf("wrong%d@example.com", i)}, Space: "spaces/AAA",
			Outcome: membership.NotFound, Detail: "no Google account with this email"})
	}
	for i := range 15 {
		results = append(results, Result{Target: membership.Target{Typed: fmt.Sprintf("right%d@example.com", i)}, Space: "spaces/AAA",
			Outcome: membership.Added, Detail: fmt.Sprintf("Right %d", i)})
	}
	cards := resultCards(membership.Add, results, events.Space{Name: "spaces/AAA", DisplayName: "Launch"}, []string{"spaces/AAA"})
	text := cardText(cards)
	for i := range 25 {
		if !strings.Contains(text, fmt.Sprintf("wrong%d@example.com · no Google account", i)) {
			t.Fatalf("wrong%d is not listed:\n%s", i, text)
		}
	}
	for i := range 15 {
		if !strings.Contains(text, fmt.Sprintf("right%d@example.com · Right %d", i, i)) {
			t.Fatalf("right%d is not listed with their name:\n%s", i, text)
		}
	}
	if strings.Contains(text, "more") {
		t.Fatalf("something is left out:\n%s", text)
	}
	for _, s := range cards[0].Card.Sections {
		if !s.Collapsible || s.UncollapsibleWidgetsCount != 1 || len(s.Widgets) < 2 {
			t.Fatalf("%s: want a collapsible block showing its first lines", s.Header)
		}
	}
}

// TestDialogPagesThroughEveryFailure: the final card of an invitation too
// large to list has a button whose dialog pages through everyone not
// added, each page within Chat's limits; only the inviter may open it.
func TestDialogPagesThroughEveryFailure(t *testing.T) {
	db, err := storage.Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	inv := largeInvitation(1000, longAddress)
	inv.Finished = false
	if err := db.CreateInvitation(t.Context(), inv); err != nil {
		t.Fatal(err)
	}
	iv := &Invite{Deps: Deps{Invitations: db}}
	results, _, _ := outcomesOf(inv)
	var want []string
	for _, r := range results {
		if isFailure(r.Outcome) {
			want = append(want, stdhtml.EscapeString(shorten(r.Target.Typed)))
		}
	}
	final := iv.progressMessage(inv, true).CardsV2[0].Card.Sections
	click := final[len(final)-1].Widgets[0].ButtonList.Buttons[0].OnClick.Action
	params := map[string]string{}
	for _, p := range click.Parameters {
		params[p.Key] = p.Value
	}
	seen := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("the dialog never ends")
		}
		ev := &events.Event{Kind: events.KindCardClicked, User: events.User{Name: "users/1"}, Parameters: params, IsDialog: true}
		r := iv.Run(t.Context(), ev)
		if r.Dialog == nil {
			t.Fatalf("page %d: no dialog: %+v", pages, r)
		}
		m := &chat.Message{CardsV2: []*chat.CardWithId{{CardId: "d", Card: r.Dialog}}}
		if size, widgets := measure(m); size > cardBudget || widgets > maxMessageWidgets {
			t.Fatalf("page %d: %d bytes, %d widgets", pages, size, widgets)
		}
		seen += cardText(m.CardsV2)
		var next *chat.GoogleAppsCardV1Action
		for _, s := range r.Dialog.Sections {
			for _, w := range s.Widgets {
				if w.ButtonList != nil {
					for _, b := range w.ButtonList.Buttons {
						if b.Text == "Next" {
							next = b.OnClick.Action
						}
					}
				}
			}
		}
		if next == nil {
			break
		}
		params = map[string]string{}
		for _, p := range next.Parameters {
			params[p.Key] = p.Value
		}
	}
	for _, w := range want {
		if strings.Count(seen, w+" · ") != 1 {
			t.Fatalf("%s shown %d times across the pages", w, strings.Count(seen, w+" · "))
		}
	}
	other := iv.Run(t.Context(), &events.Event{Kind: events.KindCardClicked, User: events.User{Name: "users/2"}, Parameters: params, IsDialog: true})
	if other.Dialog != nil || !strings.Contains(other.Text, "Only the person") {
		t.Fatalf("someone else opened the list: %+v", other)
	}
}

// TestCopiedMembersShowTheirAddress: a member copied from another space is
// typed as their display name; the line names their address too.
func TestCopiedMembersShowTheirAddress(t *testing.T) {
	var results []Result
	for i := range 12 {
		results = append(results, Result{Target: membership.Target{Typed: fmt.Sprintf("Alum %d", i), Email: fmt.Sprintf("alum%d@example.com", i)},
			Space: "spaces/AAA", Outcome: membership.Added})
	}
	text := cardText(resultCards(membership.Add, results, events.Space{Name: "spaces/AAA"}, []string{"spaces/AAA"}))
	for i := range 12 {
		if !strings.Contains(text, fmt.Sprintf("Alum %d · alum%d@example.com", i, i)) {
			t.Fatalf("Alum %d without their address:\n%s", i, text)
		}
	}
}
