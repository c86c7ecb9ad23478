package commands

import (
	"bytes"
	"testing"

	"github.com/chatinvite/invitebot/internal/events"
)

// TestStoredReplyRoundTrip: a re-delivery is answered with exactly the reply
// the first delivery got, built again from the remembered outcomes.
func TestStoredReplyRoundTrip(t *testing.T) {
	var every []Result
	for o := range outcomeCount {
		every = append(every, Result{Target: Target{Typed: `<b>"x"</b>&` + o.String()}, Space: "spaces/A", Outcome: o, Detail: "why \x00 é"})
	}
	for _, c := range []struct {
		results             []Result
		manySpaces, private bool
	}{
		{every, false, true},
		{every, true, false},
		{[]Result{{Target: Target{Typed: "bob@example.com"}, Space: "spaces/B", Outcome: Added}}, false, true},
	} {
		want, err := resultReply(c.results, c.manySpaces, c.private)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := encodeStored(want, c.results, c.manySpaces)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeStored(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		ev := &events.Event{User: events.User{Name: "users/1"}}
		wantJSON, _ := events.Encode(ev, want)
		gotJSON, _ := events.Encode(ev, got)
		if !bytes.Equal(gotJSON, wantJSON) {
			t.Fatalf("recalled reply differs\n got: %s\nwant: %s", gotJSON, wantJSON)
		}
	}
}

// TestStoredReplyEarlierForm: results remembered with the rendered card, as
// an earlier version stored them, are still answered with that card.
func TestStoredReplyEarlierForm(t *testing.T) {
	got, err := decodeStored([]byte(`{"text":"1 added","private":true,"cards":[{"cardId":"c","card":{}}]}`))
	if err != nil || got.Text != "1 added" || !got.Private || string(got.CardsJSON) != `[{"cardId":"c","card":{}}]` {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := decodeStored([]byte(`{"text":"1 added","results":[{"typed":"x","space":"spaces/A","outcome":"vanished"}]}`)); err == nil {
		t.Fatal("an unknown outcome was accepted")
	}
}
