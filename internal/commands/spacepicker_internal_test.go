package commands

import (
	"reflect"
	"testing"

	"github.com/chatinvite/invitebot/internal/events"
)

// TestFormSpacesAddsPicks: the picks of the form's multiselect (several
// stringInputs values) are added to the spaces typed, each space once.
func TestFormSpacesAddsPicks(t *testing.T) {
	ev := &events.Event{FormInputs: map[string][]string{
		"spaces":  {"https://chat.google.com/room/AAA"},
		pickInput: {"spaces/BBB", "spaces/AAA"},
	}}
	req, err := ParseInvite("dave@example.com to "+formSpaces(ev), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"spaces/AAA", "spaces/BBB"}; !reflect.DeepEqual(req.Spaces, want) {
		t.Fatalf("spaces %v, want %v", req.Spaces, want)
	}
	if got := formSpaces(&events.Event{}); got != "" {
		t.Fatalf("nothing typed or picked: %q", got)
	}
}
