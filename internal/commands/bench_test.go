package commands

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chatinvite/invitebot/internal/chatjson"
)

func BenchmarkParseInvite(b *testing.B) {
	args := " alice@example.com, @Bob; users/123 people/456 groups/eng app to spaces/AAA https://chat.google.com/room/BBB"
	refs := []MentionRef{{Placeholder: "@Bob", User: "users/222", Display: "@Bob"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseInvite(args, refs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResultCard50 builds and encodes the card for 50 results, as a
// reply does.
func BenchmarkResultCard50(b *testing.B) {
	results := make([]Result, 50)
	for i := range results {
		email := fmt.Sprintf("person%02d@example.com", i)
		results[i] = Result{Target: Target{Typed: email, Name: "users/" + email, Email: email}, Space: "spaces/AAA",
			Outcome: Outcome(i % int(outcomeCount)), Detail: "Some Person " + strings.Repeat("x", i%7)}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := chatjson.Marshal(resultCards(results, false)); err != nil {
			b.Fatal(err)
		}
	}
}
