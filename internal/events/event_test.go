package events

import (
	"encoding/json"
	"errors"
	"testing"

	chat "google.golang.org/api/chat/v1"
)

// Google's documented slash-command example: commandId as a JSON number, the
// annotation's app spelled "user", argumentText with a leading space.
const docsSlashCommand = `{"type":"MESSAGE","message":{"text":"/vote yes","argumentText":" yes",
 "annotations":[{"length":5,"startIndex":0,"type":"SLASH_COMMAND",
   "slashCommand":{"type":"INVOKE","user":{"name":"users/1234567890987654321","type":"BOT","displayName":"VoteBot"}}}],
 "slashCommand":{"commandId":2}}}`

const classicInvite = `{"type":"MESSAGE","eventTime":"2026-11-27T10:00:00Z",
 "user":{"name":"users/111","displayName":"Ann","type":"HUMAN","domainId":"d1"},
 "space":{"name":"spaces/AAA","type":"ROOM","displayName":"Team"},
 "configCompleteRedirectUrl":"https://chat.google.com/api/bot_config_complete?token=abc",
 "message":{"name":"spaces/AAA/messages/m1","text":"/invite @Bob alice@example.com","argumentText":" @Bob alice@example.com",
  "sender":{"name":"users/111"},
  "annotations":[
   {"type":"SLASH_COMMAND","startIndex":0,"length":7,"slashCommand":{"bot":{"name":"users/app"},"commandId":"1","commandName":"/invite","type":"INVOKE"}},
   {"type":"USER_MENTION","startIndex":8,"length":4,"userMention":{"user":{"name":"users/222","displayName":"Bob","type":"HUMAN"},"type":"MENTION"}}],
  "slashCommand":{"commandId":"1"}},
 "common":{"userLocale":"en","formInputs":{"people":{"stringInputs":{"value":["a@example.com"]}}}}}`

const addOnAppCommand = `{"commonEventObject":{"userLocale":"en","hostApp":"CHAT",
  "formInputs":{"people":{"stringInputs":{"value":["x@example.com","y@example.com"]}}},"parameters":{"k":"v"}},
 "authorizationEventObject":{"systemIdToken":"t"},
 "chat":{"user":{"name":"users/111","displayName":"Ann","type":"HUMAN"},"eventTime":"2026-11-27T10:00:00Z",
  "appCommandPayload":{"appCommandMetadata":{"appCommandId":1,"appCommandType":"SLASH_COMMAND"},
   "space":{"name":"spaces/BBB","spaceType":"SPACE"},
   "message":{"name":"spaces/BBB/messages/m2","text":"/invite bob@example.com","argumentText":" bob@example.com"},
   "configCompleteRedirectUri":"https://chat.google.com/api/bot_config_complete?token=xyz",
   "isDialogEvent":true,"dialogEventType":"SUBMIT_DIALOG"}}}`

func TestDecodeDocumentedSlashCommand(t *testing.T) {
	ev, err := Decode([]byte(docsSlashCommand))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Shape != Classic || ev.Kind != KindMessage || ev.CommandID != 2 || ev.ArgumentText != " yes" || ev.Text != "/vote yes" {
		t.Fatalf("decoded %+v", ev)
	}
}

func TestDecodeClassic(t *testing.T) {
	ev, err := Decode([]byte(classicInvite))
	if err != nil {
		t.Fatal(err)
	}
	want := Event{
		Shape: Classic, Kind: KindMessage, MessageName: "spaces/AAA/messages/m1",
		Text: "/invite @Bob alice@example.com", ArgumentText: " @Bob alice@example.com",
		CommandID: 1, CommandName: "/invite",
		ConfigCompleteURL: "https://chat.google.com/api/bot_config_complete?token=abc",
	}
	if ev.Shape != want.Shape || ev.Kind != want.Kind || ev.MessageName != want.MessageName || ev.Text != want.Text ||
		ev.ArgumentText != want.ArgumentText || ev.CommandID != want.CommandID || ev.CommandName != want.CommandName ||
		ev.ConfigCompleteURL != want.ConfigCompleteURL {
		t.Fatalf("decoded %+v", ev)
	}
	if ev.User.Name != "users/111" || ev.User.DisplayName != "Ann" || ev.Space.Name != "spaces/AAA" || ev.Space.SpaceType != "SPACE" {
		t.Fatalf("user/space: %+v %+v", ev.User, ev.Space)
	}
	if len(ev.Mentions) != 1 || ev.Mentions[0].User.Name != "users/222" || ev.Mentions[0].StartIndex != 8 {
		t.Fatalf("mentions: %+v", ev.Mentions)
	}
	if ev.FormValue("people") != "a@example.com" {
		t.Fatalf("form inputs: %+v", ev.FormInputs)
	}
}

func TestDecodeAddOn(t *testing.T) {
	ev, err := Decode([]byte(addOnAppCommand))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Shape != AddOn || ev.Kind != KindAppCommand || ev.CommandID != 1 {
		t.Fatalf("decoded %+v", ev)
	}
	if ev.Space.Name != "spaces/BBB" || ev.User.Name != "users/111" || ev.MessageName != "spaces/BBB/messages/m2" {
		t.Fatalf("decoded %+v", ev)
	}
	if ev.ConfigCompleteURL != "https://chat.google.com/api/bot_config_complete?token=xyz" || !ev.IsDialog || ev.DialogEventType != DialogSubmit {
		t.Fatalf("decoded %+v", ev)
	}
	if got := ev.FormInputs["people"]; len(got) != 2 || ev.Parameters["k"] != "v" {
		t.Fatalf("common: %+v %+v", ev.FormInputs, ev.Parameters)
	}
}

func TestDecodeCommandIDForms(t *testing.T) {
	for _, raw := range []string{`"7"`, `7`, `"\u0037"`} {
		ev, err := Decode([]byte(`{"type":"MESSAGE","message":{"slashCommand":{"commandId":` + raw + `}}}`))
		if err != nil || ev.CommandID != 7 {
			t.Errorf("commandId %s: %v %+v", raw, err, ev)
		}
	}
	for _, raw := range []string{`"seven"`, `7.5`, `true`} {
		_, err := Decode([]byte(`{"type":"MESSAGE","message":{"slashCommand":{"commandId":` + raw + `}}}`))
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("commandId %s: err = %v, want ErrMalformed", raw, err)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, body := range []string{``, `{`, `[]`, `null`, `{}`, `{"chat":{}}`, `{"type":1}`,
		`{"type":"MESSAGE","type":"ADDED_TO_SPACE"}`,             // a name twice: which one counts is ambiguous
		"{\"type\":\"MESSAGE\",\"message\":{\"text\":\"\xff\"}}", // not UTF-8
		`{"type":"MESSAGE"} {}`,                                  // trailing data
	} {
		if _, err := Decode([]byte(body)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", body, err)
		}
	}
}

// TestDecodeExactNames: Chat writes its field names in one case; a body
// that spells them otherwise is not read as if it did.
func TestDecodeExactNames(t *testing.T) {
	ev, err := Decode([]byte(`{"type":"MESSAGE","message":{"ArgumentText":" bob","argumentText":" carol"}}`))
	if err != nil || ev.ArgumentText != " carol" {
		t.Fatalf("got %+v, %v", ev, err)
	}
}

func TestEncodeShapes(t *testing.T) {
	classic := &Event{Shape: Classic, User: User{Name: "users/1"}}
	addOn := &Event{Shape: AddOn, User: User{Name: "users/1"}}
	cards := []*chat.CardWithId{{CardId: "c", Card: &chat.GoogleAppsCardV1Card{Header: &chat.GoogleAppsCardV1CardHeader{Title: "T"}}}}
	dialog := &chat.GoogleAppsCardV1Card{Header: &chat.GoogleAppsCardV1CardHeader{Title: "D"}}
	cases := []struct {
		name string
		ev   *Event
		r    Reply
		want string
	}{
		{"classic private message", classic, Reply{Text: "hi", Cards: cards, Private: true},
			`{"actionResponse":{"type":"NEW_MESSAGE"},"cardsV2":[{"card":{"header":{"title":"T"}},"cardId":"c"}],"privateMessageViewer":{"name":"users/1"},"text":"hi"}`},
		{"classic config", classic, Reply{ConfigURL: "https://x/y", Text: "ignored"},
			`{"actionResponse":{"type":"REQUEST_CONFIG","url":"https://x/y"}}`},
		{"classic dialog", classic, Reply{Dialog: dialog},
			`{"actionResponse":{"dialogAction":{"dialog":{"body":{"header":{"title":"D"}}}},"type":"DIALOG"}}`},
		{"classic close dialog", classic, Reply{CloseDialog: true, CloseStatus: "Done"},
			`{"actionResponse":{"dialogAction":{"actionStatus":{"statusCode":"OK","userFacingMessage":"Done"}},"type":"DIALOG"}}`},
		{"classic empty", classic, Reply{Empty: true}, `{}`},
		// A dialog is closed, never answered {} or with a message (Google:
		// "closing the dialog or returning another dialog").
		{"classic close wins over empty", classic, Reply{Empty: true, CloseDialog: true, CloseStatus: "Started"},
			`{"actionResponse":{"dialogAction":{"actionStatus":{"statusCode":"OK","userFacingMessage":"Started"}},"type":"DIALOG"}}`},
		{"classic close with a message closes", classic, Reply{CloseDialog: true, CloseStatus: "1 added", Cards: cards},
			`{"actionResponse":{"dialogAction":{"actionStatus":{"statusCode":"OK","userFacingMessage":"1 added"}},"type":"DIALOG"}}`},
		{"add-on close wins over empty", addOn, Reply{Empty: true, CloseDialog: true, CloseStatus: "Started"},
			`{"action":{"navigations":[{"endNavigation":{"action":"CLOSE_DIALOG"}}],"notification":{"text":"Started"}}}`},
		{"add-on message", addOn, Reply{Text: "hi", Private: true},
			`{"hostAppDataAction":{"chatDataAction":{"createMessageAction":{"message":{"privateMessageViewer":{"name":"users/1"},"text":"hi"}}}}}`},
		{"add-on config", addOn, Reply{ConfigURL: "https://x/y"},
			`{"basicAuthorizationPrompt":{"authorizationUrl":"https://x/y","resource":"Invite"}}`},
		{"add-on dialog", addOn, Reply{Dialog: dialog},
			`{"action":{"navigations":[{"pushCard":{"header":{"title":"D"}}}]}}`},
		{"add-on close dialog", addOn, Reply{CloseDialog: true, CloseStatus: "Done"},
			`{"action":{"navigations":[{"endNavigation":{"action":"CLOSE_DIALOG"}}],"notification":{"text":"Done"}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Encode(tc.ev, tc.r)
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, out, []byte(tc.want)) {
				t.Fatalf("got  %s\nwant %s", out, tc.want)
			}
		})
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

func FuzzDecode(f *testing.F) {
	for _, seed := range []string{docsSlashCommand, classicInvite, addOnAppCommand, `{}`, `{"type":"X"}`, `{"chat":{"messagePayload":{}}}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Decode(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		if _, err := Encode(ev, Reply{Text: "x", Private: true}); err != nil {
			t.Fatalf("encode: %v", err)
		}
	})
}

// TestDecodeIsDialogEventAsString: Google's add-on conversion guide shows
// "isDialogEvent": "true"; a boolean is the schema's form.
func TestDecodeIsDialogEventAsString(t *testing.T) {
	for _, v := range []string{`true`, `"true"`} {
		for _, body := range []string{
			`{"type":"CARD_CLICKED","isDialogEvent":` + v + `,"dialogEventType":"SUBMIT_DIALOG"}`,
			`{"commonEventObject":{},"chat":{"buttonClickedPayload":{"isDialogEvent":` + v + `,"dialogEventType":"SUBMIT_DIALOG"}}}`,
		} {
			ev, err := Decode([]byte(body))
			if err != nil || !ev.IsDialog || ev.DialogEventType != DialogSubmit {
				t.Errorf("%s: %+v %v", body, ev, err)
			}
		}
	}
	if _, err := Decode([]byte(`{"type":"CARD_CLICKED","isDialogEvent":"maybe"}`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("isDialogEvent \"maybe\": %v", err)
	}
}

// TestButtonActionsByShape: an add-on button names the endpoint URL and
// carries its command as a parameter; a classic one names the command.
// Classic clicks carry their parameters in action.parameters too.
func TestButtonActionsByShape(t *testing.T) {
	const endpoint = "https://invite.example.com/chat/events"
	params := map[string]string{"command": "invite", "step": "open"}
	addOn := (&Event{Shape: AddOn, endpoint: endpoint}).Action(params, true)
	if addOn.Function != endpoint || addOn.Interaction != "OPEN_DIALOG" || len(addOn.Parameters) != 2 || addOn.Parameters[0].Key != "command" {
		t.Fatalf("add-on action %+v", addOn)
	}
	classic := (&Event{Shape: Classic, endpoint: endpoint}).Action(params, false)
	if classic.Function != "invite" || classic.Interaction != "" {
		t.Fatalf("classic action %+v", classic)
	}
	ev, err := Decode([]byte(`{"type":"CARD_CLICKED","action":{"actionMethodName":"invite","parameters":[{"key":"command","value":"invite"}]}}`))
	if err != nil || ev.Parameters["command"] != "invite" || ev.InvokedFunction != "invite" {
		t.Fatalf("classic click: %+v %v", ev, err)
	}
}
