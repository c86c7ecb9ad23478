package bot

import (
	"net/http"
	"strings"
	"testing"
)

// TestEventShapes sends signed events of both shapes through the real router
// and checks each reply comes back in its event's shape.
func TestEventShapes(t *testing.T) {
	h := startBot(t, nil)
	cases := []struct {
		name, body string
		check      func(t *testing.T, reply map[string]any)
	}{
		{"classic help, commandId as string", `{"type":"MESSAGE","user":{"name":"users/1"},"space":{"name":"spaces/A"},
			"message":{"text":"/help","argumentText":"","slashCommand":{"commandId":"2"}}}`,
			func(t *testing.T, r map[string]any) { wantClassicCard(t, r, "help", true) }},
		{"classic help, commandId as number (Google's docs)", `{"type":"MESSAGE","user":{"name":"users/1"},
			"message":{"text":"/help me","argumentText":" me","annotations":[{"length":5,"startIndex":0,"type":"SLASH_COMMAND",
			"slashCommand":{"type":"INVOKE","user":{"name":"users/9","type":"BOT"}}}],"slashCommand":{"commandId":2}}}`,
			func(t *testing.T, r map[string]any) { wantClassicCard(t, r, "help", true) }},
		{"classic help by command name", `{"type":"APP_COMMAND","user":{"name":"users/1"},
			"message":{"text":"/help","annotations":[{"type":"SLASH_COMMAND","slashCommand":{"commandId":"77","commandName":"/help"}}]}}`,
			func(t *testing.T, r map[string]any) { wantClassicCard(t, r, "help", true) }},
		{"classic added to space", `{"type":"ADDED_TO_SPACE","user":{"name":"users/1"},"space":{"name":"spaces/A","type":"ROOM"}}`,
			func(t *testing.T, r map[string]any) { wantClassicCard(t, r, "welcome", false) }},
		{"classic removed from space", `{"type":"REMOVED_FROM_SPACE","space":{"name":"spaces/A"}}`,
			func(t *testing.T, r map[string]any) {
				if len(r) != 0 {
					t.Fatalf("want an empty reply, got %v", r)
				}
			}},
		{"classic plain message", `{"type":"MESSAGE","user":{"name":"users/1"},"message":{"text":"hello","argumentText":"hello"}}`,
			func(t *testing.T, r map[string]any) {
				if text, _ := r["text"].(string); !strings.Contains(text, "/help") {
					t.Fatalf("want a hint at /help, got %v", r)
				}
			}},
		{"add-on help", `{"commonEventObject":{"hostApp":"CHAT"},"chat":{"user":{"name":"users/1"},
			"appCommandPayload":{"appCommandMetadata":{"appCommandId":2,"appCommandType":"SLASH_COMMAND"},
			"space":{"name":"spaces/A"},"message":{"text":"/help"}}}}`,
			func(t *testing.T, r map[string]any) {
				msg := dig(t, r, "hostAppDataAction", "chatDataAction", "createMessageAction", "message")
				wantClassicCard(t, msg, "help", true)
			}},
		{"add-on added to space", `{"commonEventObject":{},"chat":{"user":{"name":"users/1"},"addedToSpacePayload":{"space":{"name":"spaces/A"}}}}`,
			func(t *testing.T, r map[string]any) {
				msg := dig(t, r, "hostAppDataAction", "chatDataAction", "createMessageAction", "message")
				wantClassicCard(t, msg, "welcome", false)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := h.send([]byte(tc.body))
			if code != http.StatusOK {
				t.Fatalf("status = %d (%s)", code, body)
			}
			tc.check(t, decodeJSON(t, body))
		})
	}
}

func dig(t *testing.T, m map[string]any, path ...string) map[string]any {
	t.Helper()
	for _, p := range path {
		next, ok := m[p].(map[string]any)
		if !ok {
			t.Fatalf("no %q in %v", p, m)
		}
		m = next
	}
	return m
}

func wantClassicCard(t *testing.T, msg map[string]any, cardID string, private bool) {
	t.Helper()
	cards, _ := msg["cardsV2"].([]any)
	if len(cards) != 1 {
		t.Fatalf("want one card, got %v", msg)
	}
	if id := cards[0].(map[string]any)["cardId"]; id != cardID {
		t.Fatalf("cardId = %v, want %s", id, cardID)
	}
	_, isPrivate := msg["privateMessageViewer"]
	if isPrivate != private {
		t.Fatalf("private = %v, want %v: %v", isPrivate, private, msg)
	}
}
