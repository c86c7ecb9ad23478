package emulator

import (
	"encoding/json"
	"errors"
	"testing"

	chat "google.golang.org/api/chat/v1"
)

// TestSelectionInputLimits: Chat shows a selection input of at most 100
// static items, and a multiselect allowing one pick at least
// (https://developers.google.com/workspace/chat/api/reference/rest/v1/cards#selectioninput);
// a form's picks arrive as one input's several stringInputs values.
func TestSelectionInputLimits(t *testing.T) {
	app := ChatApp{Endpoint: "https://invite.example/chat/events", Commands: []SlashCommand{{ID: 1, Name: "/invite"}}}
	submit, err := app.ClickEvent(Click{User: Person{ID: "1"}, Space: Space{ID: "S", Type: SpaceTypeSpace}, DialogEventType: "SUBMIT_DIALOG",
		Action: &chat.GoogleAppsCardV1Action{Function: "invite"}, Picks: map[string][]string{"pick": {"spaces/A", "spaces/B"}}})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(submit["common"].(map[string]any)["formInputs"])
	if want := `{"pick":{"stringInputs":{"value":["spaces/A","spaces/B"]}}}`; string(raw) != want {
		t.Fatalf("formInputs %s, want %s", raw, want)
	}
	dialog := func(n int, max int64) []byte {
		si := &chat.GoogleAppsCardV1SelectionInput{Name: "pick", Type: "MULTI_SELECT", MultiSelectMaxSelectedItems: max}
		for range n {
			si.Items = append(si.Items, &chat.GoogleAppsCardV1SelectionItem{Text: "x", Value: "x"})
		}
		b, _ := json.Marshal(map[string]any{"actionResponse": map[string]any{"type": "DIALOG", "dialogAction": map[string]any{"dialog": map[string]any{"body": &chat.GoogleAppsCardV1Card{
			Sections: []*chat.GoogleAppsCardV1Section{{Widgets: []*chat.GoogleAppsCardV1Widget{{SelectionInput: si}}}}}}}}})
		return b
	}
	if err := app.CheckReply(submit, dialog(100, 100)); err != nil {
		t.Fatalf("100 items refused: %v", err)
	}
	if err := app.CheckReply(submit, dialog(101, 101)); !errors.Is(err, ErrRefused) {
		t.Fatalf("101 items accepted: %v", err)
	}
	raw = dialog(2, 0)
	var r map[string]any
	_ = json.Unmarshal(raw, &r)
	r["actionResponse"].(map[string]any)["dialogAction"].(map[string]any)["dialog"].(map[string]any)["body"].(map[string]any)["sections"].([]any)[0].(map[string]any)["widgets"].([]any)[0].(map[string]any)["selectionInput"].(map[string]any)["multiSelectMaxSelectedItems"] = 0
	raw, _ = json.Marshal(r)
	if err := app.CheckReply(submit, raw); !errors.Is(err, ErrRefused) {
		t.Fatalf("a multiselect allowing no pick accepted: %v", err)
	}
}
