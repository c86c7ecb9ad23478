package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"
)

// TestMessagesWithinChatsLimits: spaces.messages.create and patch refuse,
// as Chat does, a message over 32,000 bytes or 100 widgets, and a
// client-assigned id outside Google's rule, with 400 INVALID_ARGUMENT.
func TestMessagesWithinChatsLimits(t *testing.T) {
	e := start(t)
	e.AddSpace(Space{ID: "S"})
	e.AddMember("S", appMemberID, RoleMember)
	e.mu.Lock()
	e.state.access["ya29.app-test"] = &accessGrant{app: "bot@test.iam.gserviceaccount.com", scopes: []string{ScopeChatBot}, expires: e.now().Add(time.Hour)}
	e.mu.Unlock()
	send := func(method, path string, m *chat.Message) (int, string) {
		t.Helper()
		body, _ := json.Marshal(m)
		req, _ := http.NewRequest(method, e.URL()+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer ya29.app-test")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Error struct{ Status string } `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out.Error.Status
	}
	widgets := func(n int) *chat.Message {
		var ws []*chat.GoogleAppsCardV1Widget
		for range n {
			ws = append(ws, &chat.GoogleAppsCardV1Widget{TextParagraph: &chat.GoogleAppsCardV1TextParagraph{Text: "x"}})
		}
		return &chat.Message{CardsV2: []*chat.CardWithId{{CardId: "c", Card: &chat.GoogleAppsCardV1Card{
			Sections: []*chat.GoogleAppsCardV1Section{{Widgets: ws[:n/2]}, {Widgets: ws[n/2:]}}}}}}
	}
	big := &chat.Message{Text: strings.Repeat("x", 32_000)}
	small := &chat.Message{Text: "hello"}
	for _, c := range []struct {
		name, method, path string
		m                  *chat.Message
		want               int
	}{
		{"a small message", "POST", "/v1/spaces/S/messages?messageId=client-ok-1", small, 200},
		{"100 widgets", "POST", "/v1/spaces/S/messages?messageId=client-ok-2", widgets(100), 200},
		{"over 32,000 bytes", "POST", "/v1/spaces/S/messages", big, 400},
		{"101 widgets", "POST", "/v1/spaces/S/messages", widgets(101), 400},
		{"patched over 32,000 bytes", "PATCH", "/v1/spaces/S/messages/client-ok-1?updateMask=text", big, 400},
		{"patched to 101 widgets", "PATCH", "/v1/spaces/S/messages/client-ok-1?updateMask=cardsV2", widgets(101), 400},
		{"an id of 63 characters", "POST", "/v1/spaces/S/messages?messageId=client-" + strings.Repeat("a", 56), small, 200},
		{"an id of 64 characters", "POST", "/v1/spaces/S/messages?messageId=client-" + strings.Repeat("a", 57), small, 400},
		{"an id with capitals", "POST", "/v1/spaces/S/messages?messageId=client-Abc", small, 400},
		{"an id with an underscore", "POST", "/v1/spaces/S/messages?messageId=client-a_b", small, 400},
		{"an id without client-", "POST", "/v1/spaces/S/messages?messageId=custom-name", small, 400},
	} {
		code, status := send(c.method, c.path, c.m)
		if code != c.want || (c.want == 400 && status != "INVALID_ARGUMENT") {
			t.Errorf("%s: %d %s, want %d", c.name, code, status, c.want)
		}
	}
	if got := e.AppMessages("S"); len(got) != 3 || got[0].Text != "hello" {
		t.Fatalf("messages kept: %+v", got)
	}
}
