package commands

import (
	"encoding/json"
	"testing"

	"github.com/chatinvite/invitebot/internal/events"
)

func TestStoredReplyRoundTrip(t *testing.T) {
	for _, r := range []events.Reply{
		{Text: "1 added \"quoted\" \x00 <b>", Private: true, CardsJSON: []byte(`[{"cardId":"c","card":{}}]`)},
		{Text: "", Private: false},
	} {
		var got storedReply
		if err := json.Unmarshal(encodeStored(r), &got); err != nil {
			t.Fatalf("%q: %v", encodeStored(r), err)
		}
		if got.Text != r.Text || got.Private != r.Private || (len(r.CardsJSON) > 0 && string(got.Cards) != string(r.CardsJSON)) {
			t.Fatalf("round trip: %+v → %+v", r, got)
		}
	}
}
