package commands

import (
	"strings"
	"testing"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// TestAskedForInTheirWords: the page before Google's screen says what the
// person asked for as they would, never an API name.
func TestAskedForInTheirWords(t *testing.T) {
	launch := events.Space{Name: "spaces/L", DisplayName: "Launch"}
	cases := []struct {
		name string
		ev   events.Event
		want string
	}{
		{"one", events.Event{Space: launch, ArgumentText: "alice@example.com"}, "add alice@example.com to Launch"},
		{"two", events.Event{Space: launch, ArgumentText: "alice@example.com bob@example.com"}, "add alice@example.com and 1 other to Launch"},
		{"many", events.Event{Space: launch, ArgumentText: "a@example.com, b@example.com; c@example.com"}, "add a@example.com and 2 others to Launch"},
		{"another space", events.Event{Space: launch, ArgumentText: "a@example.com to spaces/OTHER"}, "add a@example.com to another space"},
		{"spaces", events.Event{Space: launch, ArgumentText: "a@example.com to spaces/X spaces/Y"}, "add a@example.com to 2 spaces"},
		{"copy", events.Event{Space: launch, ArgumentText: "members of spaces/ALUMNI"}, "add the members of another space to Launch"},
		{"remove", events.Event{Space: launch, CommandName: "/remove", ArgumentText: "bob@example.com"}, "remove bob@example.com from Launch"},
		{"form", events.Event{Space: launch}, "open the form that adds people to Launch"},
		{"unnamed space", events.Event{Space: events.Space{Name: "spaces/Q"}, ArgumentText: "app"}, "add app to this space"},
		{"unreadable", events.Event{Space: launch, ArgumentText: "<<<"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := askedFor(&c.ev)
			if got != c.want {
				t.Fatalf("%q, want %q", got, c.want)
			}
			if strings.Contains(got, "spaces/") || strings.Contains(got, "users/") {
				t.Fatalf("an API name: %q", got)
			}
		})
	}
}

// TestWhoCountCountsGroups: a group is counted as a group, not a person.
func TestWhoCountCountsGroups(t *testing.T) {
	person := Result{Target: membership.Target{Kind: membership.TargetUser}, Outcome: membership.Added}
	group := Result{Target: membership.Target{Kind: membership.TargetGroup}, Outcome: membership.Added}
	for _, c := range []struct {
		results []Result
		want    string
	}{
		{[]Result{person}, "1 person"},
		{[]Result{group}, "1 group"},
		{[]Result{person, person, group}, "2 people and 1 group"},
		{[]Result{group, group}, "2 groups"},
	} {
		if got := whoCount(c.results, membership.Added); got != c.want {
			t.Errorf("%q, want %q", got, c.want)
		}
	}
}
