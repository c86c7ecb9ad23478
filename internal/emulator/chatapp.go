package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	chat "google.golang.org/api/chat/v1"
)

// ChatApp is a Chat app as its Chat API configuration page describes it.
// The emulated Chat builds the events Chat would send it (tests, the
// sandbox and the load harness all build them here) and checks its
// answers by Chat's rules, refusing what real Chat refuses.
type ChatApp struct {
	// Endpoint is the app's HTTP endpoint URL.
	Endpoint string
	// AddOn: the app is a Google Workspace add-on that extends Chat, so its
	// events and answers take the add-on shape.
	AddOn bool
	// Commands are its slash commands.
	Commands []SlashCommand
}

// SlashCommand is one slash command as configured.
type SlashCommand struct {
	ID          int64
	Name        string // "/invite"
	Description string // shown in Chat's command menu
	// OpensDialog is the "Opens a dialog" box: every use of the command
	// then arrives as REQUEST_DIALOG ("Open interactive dialogs").
	OpensDialog bool
}

// Message is something a person typed in a space.
type Message struct {
	User  Person
	Space Space
	// Name is the message's resource name; Chat sends it again on a re-delivery.
	Name     string
	Text     string
	Mentions []Mention
	// ConfigCompleteURL is where the app sends the browser after consent.
	ConfigCompleteURL string
	// AddsApp: the command adds the app to the space, so (classic shape)
	// it arrives as one ADDED_TO_SPACE event carrying the command.
	AddsApp bool
	// UTF16Offsets writes mention offsets in UTF-16 units instead of code
	// points (Chat does not document which; they differ after an emoji).
	UTF16Offsets bool
	// StringBools writes isDialogEvent as the string "true", as Google's
	// add-on conversion guide shows it.
	StringBools bool
	Time        time.Time
}

// Mention is an @mention picked from Chat's list.
type Mention struct {
	Person Person
	Text   string // as it appears in the message: "@Bob"
}

// Command finds the slash command a text starts with.
func (a ChatApp) Command(text string) (SlashCommand, string, bool) {
	word, rest, _ := strings.Cut(strings.TrimSpace(text), " ")
	for _, c := range a.Commands {
		if strings.EqualFold(c.Name, word) {
			if rest != "" {
				rest = " " + rest
			}
			return c, rest, true
		}
	}
	return SlashCommand{}, "", false
}

func userJSON(p Person) map[string]any {
	return map[string]any{"name": "users/" + p.ID, "displayName": p.DisplayName, "type": "HUMAN", "domainId": "d-" + p.Domain()}
}

func spaceJSON(s Space) map[string]any {
	t := s.Type
	if t == "" {
		t = SpaceTypeSpace
	}
	old := map[string]string{SpaceTypeSpace: "ROOM", SpaceTypeGroup: "ROOM", SpaceTypeDM: "DM"}[t]
	out := map[string]any{"name": "spaces/" + s.ID, "spaceType": t, "type": old}
	if s.DisplayName != "" {
		out["displayName"] = s.DisplayName
	}
	return out
}

func (m Message) offset(i int) int {
	if m.UTF16Offsets {
		return len(utf16.Encode([]rune(m.Text[:i])))
	}
	return len([]rune(m.Text[:i]))
}

func (m Message) length(s string) int {
	if m.UTF16Offsets {
		return len(utf16.Encode([]rune(s)))
	}
	return len([]rune(s))
}

func (m Message) boolean(b bool) any {
	if m.StringBools {
		return fmt.Sprint(b)
	}
	return b
}

// MessageEvents are what Chat sends the app for m: one event, or for an
// add-on added by a command, the ADDED_TO_SPACE event then the command.
// A message that is no command of the app yields nothing: Chat sends
// plain messages to an app only when it is mentioned.
func (a ChatApp) MessageEvents(m Message) []map[string]any {
	cmd, args, ok := a.Command(m.Text)
	if !ok {
		return nil
	}
	when := m.Time
	if when.IsZero() {
		when = time.Now()
	}
	annotations := []map[string]any{{"type": "SLASH_COMMAND", "startIndex": 0, "length": m.length(cmd.Name),
		"slashCommand": map[string]any{"bot": map[string]any{"name": "users/app", "displayName": appDisplayName, "type": "BOT"},
			"commandId": fmt.Sprint(cmd.ID), "commandName": cmd.Name, "triggersDialog": cmd.OpensDialog, "type": "INVOKE"}}}
	for _, mn := range m.Mentions {
		i := strings.Index(m.Text, mn.Text)
		if i < 0 || !strings.HasPrefix(mn.Text, "@") {
			continue
		}
		annotations = append(annotations, map[string]any{"type": "USER_MENTION", "startIndex": m.offset(i), "length": m.length(mn.Text),
			"userMention": map[string]any{"type": "MENTION", "user": userJSON(mn.Person)}})
	}
	space, user := spaceJSON(m.Space), userJSON(m.User)
	message := map[string]any{
		"name": m.Name, "sender": user, "space": space, "text": m.Text, "argumentText": args,
		"annotations": annotations, "slashCommand": map[string]any{"commandId": fmt.Sprint(cmd.ID)},
		"createTime": when.UTC().Format(time.RFC3339Nano),
	}
	eventTime := when.UTC().Format(time.RFC3339Nano)
	if !a.AddOn {
		ev := map[string]any{
			"type": "MESSAGE", "eventTime": eventTime, "user": user, "space": space, "message": message,
			"configCompleteRedirectUrl": m.ConfigCompleteURL,
			"common":                    map[string]any{"hostApp": "CHAT", "userLocale": "en"},
		}
		if m.AddsApp {
			ev["type"] = "ADDED_TO_SPACE"
		}
		if cmd.OpensDialog {
			ev["isDialogEvent"], ev["dialogEventType"] = m.boolean(true), "REQUEST_DIALOG"
		}
		return []map[string]any{ev}
	}
	payload := map[string]any{
		"space": space, "message": message, "configCompleteRedirectUri": m.ConfigCompleteURL,
		"appCommandMetadata": map[string]any{"appCommandId": cmd.ID, "appCommandType": "SLASH_COMMAND"},
	}
	if cmd.OpensDialog {
		payload["isDialogEvent"], payload["dialogEventType"] = m.boolean(true), "REQUEST_DIALOG"
	}
	var out []map[string]any
	if m.AddsApp {
		out = append(out, addOnEvent(user, space, eventTime, nil, "addedToSpacePayload", map[string]any{"space": space}))
	}
	return append(out, addOnEvent(user, space, eventTime, nil, "appCommandPayload", payload))
}

func addOnEvent(user, space map[string]any, eventTime string, common map[string]any, payloadName string, payload map[string]any) map[string]any {
	ce := map[string]any{"hostApp": "CHAT", "userLocale": "en"}
	maps.Copy(ce, common)
	return map[string]any{
		"commonEventObject": ce,
		"chat":              map[string]any{"user": user, "space": space, "eventTime": eventTime, payloadName: payload},
	}
}

// Click is a person clicking a button of one of the app's cards or dialogs.
type Click struct {
	User  Person
	Space Space
	// Action is the button's action as the app's card declared it.
	Action *chat.GoogleAppsCardV1Action
	// DialogEventType: "" for a plain click; REQUEST_DIALOG is set for a
	// button with interaction OPEN_DIALOG; SUBMIT_DIALOG for a dialog's
	// button; CANCEL_DIALOG when the person closes the dialog.
	DialogEventType string
	// Inputs are the dialog's form inputs.
	Inputs map[string]string
	// Picks are inputs of several values (a multiselect's picks).
	Picks       map[string][]string
	StringBools bool
}

// ErrRefused means real Chat would refuse what the app asked for.
var ErrRefused = errors.New("Chat refuses this")

// ClickEvent is what Chat sends the app for c. It refuses an add-on
// button whose function is not the app's endpoint URL: Chat calls that
// URL, and does not fill invokedFunction for add-ons ("Convert a Chat app
// to a Google Workspace add-on").
func (a ChatApp) ClickEvent(c Click) (map[string]any, error) {
	dialogType := c.DialogEventType
	if dialogType == "" && c.Action != nil && c.Action.Interaction == "OPEN_DIALOG" {
		dialogType = "REQUEST_DIALOG"
	}
	params := map[string]string{}
	fn := ""
	if c.Action != nil {
		fn = c.Action.Function
		for _, p := range c.Action.Parameters {
			params[p.Key] = p.Value
		}
	} else if dialogType != "CANCEL_DIALOG" {
		return nil, fmt.Errorf("%w: a click without an action", ErrRefused)
	}
	if a.AddOn && c.Action != nil && fn != a.Endpoint {
		return nil, fmt.Errorf("%w: an add-on button's function must be the endpoint URL %s, not %q", ErrRefused, a.Endpoint, fn)
	}
	inputs := map[string]any{}
	for k, v := range c.Inputs {
		inputs[k] = map[string]any{"stringInputs": map[string]any{"value": []string{v}}}
	}
	for k, vs := range c.Picks {
		inputs[k] = map[string]any{"stringInputs": map[string]any{"value": vs}}
	}
	space, user := spaceJSON(c.Space), userJSON(c.User)
	eventTime := time.Now().UTC().Format(time.RFC3339Nano)
	m := Message{StringBools: c.StringBools}
	common := map[string]any{"parameters": params, "formInputs": inputs}
	if !a.AddOn {
		var list []map[string]any
		for _, k := range slices.Sorted(maps.Keys(params)) {
			list = append(list, map[string]any{"key": k, "value": params[k]})
		}
		common["invokedFunction"] = fn
		common["hostApp"] = "CHAT"
		ev := map[string]any{"type": "CARD_CLICKED", "eventTime": eventTime, "user": user, "space": space,
			"action": map[string]any{"actionMethodName": fn, "parameters": list}, "common": common}
		if dialogType != "" {
			ev["isDialogEvent"], ev["dialogEventType"] = m.boolean(true), dialogType
		}
		return ev, nil
	}
	payload := map[string]any{"space": space}
	if dialogType != "" {
		payload["isDialogEvent"], payload["dialogEventType"] = m.boolean(true), dialogType
	}
	return addOnEvent(user, space, eventTime, common, "buttonClickedPayload", payload), nil
}

// CheckReply checks an app's answer to event as Chat would, returning
// ErrRefused (wrapped, with the rule) for what real Chat refuses.
func (a ChatApp) CheckReply(event map[string]any, reply []byte) error {
	var r map[string]any
	if err := json.Unmarshal(reply, &r); err != nil {
		return fmt.Errorf("%w: the answer is not JSON: %v", ErrRefused, err)
	}
	isDialog, dialogType := dialogOf(event)
	isMessage := eventIsMessage(event)
	opensDialog, asksConsent, closesDialog := false, false, false
	if a.AddOn {
		if _, ok := r["actionResponse"]; ok {
			return fmt.Errorf("%w: an add-on answers with hostAppDataAction, action or basicAuthorizationPrompt, not actionResponse", ErrRefused)
		}
		_, asksConsent = r["basicAuthorizationPrompt"]
		if act, ok := r["action"].(map[string]any); ok {
			navs, _ := act["navigations"].([]any)
			for _, n := range navs {
				if nm, _ := n.(map[string]any); nm != nil && nm["pushCard"] != nil {
					opensDialog = true
				} else if nm != nil && nm["endNavigation"] != nil {
					closesDialog = true
				}
			}
		}
	} else {
		if ar, ok := r["actionResponse"].(map[string]any); ok {
			switch ar["type"] {
			case "REQUEST_CONFIG":
				asksConsent = true
			case "DIALOG":
				if da, _ := ar["dialogAction"].(map[string]any); da != nil && da["dialog"] != nil {
					opensDialog = true
				} else if da != nil && da["actionStatus"] != nil {
					closesDialog = true
				}
			}
		}
	}
	switch {
	case opensDialog && !(isDialog && (dialogType == "REQUEST_DIALOG" || dialogType == "SUBMIT_DIALOG")):
		return fmt.Errorf("%w: a dialog opens only in answer to a dialog request (a command configured to open one, or a button with interaction OPEN_DIALOG)", ErrRefused)
	case isDialog && dialogType == "SUBMIT_DIALOG" && !opensDialog && !closesDialog:
		// developers.google.com/workspace/chat/dialogs (and …/add-ons/chat/
		// dialogs): a submission is processed "by either closing the dialog
		// or returning another dialog"; {} or a message leaves it open.
		return fmt.Errorf("%w: a dialog submission is answered by closing the dialog (classic: actionResponse DIALOG with actionStatus; add-on: endNavigation CLOSE_DIALOG) or with another dialog, not with %.200s", ErrRefused, strings.TrimSpace(string(reply)))
	case asksConsent && !isMessage:
		return fmt.Errorf("%w: the configure prompt is documented only as the answer to a message", ErrRefused)
	}
	if len(reply) > 32000 {
		return fmt.Errorf("%w: the answer is %d bytes; a message holds at most 32,000", ErrRefused, len(reply))
	}
	if err := checkSelectionInputs(r); err != nil {
		return err
	}
	var bad error
	walkActions(r, func(action map[string]any) {
		fn, _ := action["function"].(string)
		switch {
		case bad != nil:
		case a.AddOn && fn != a.Endpoint:
			bad = fmt.Errorf("%w: an add-on button's function must be the endpoint URL %s, not %q", ErrRefused, a.Endpoint, fn)
		case !a.AddOn && fn == "":
			bad = fmt.Errorf("%w: a button's action names no function", ErrRefused)
		}
	})
	return bad
}

func dialogOf(event map[string]any) (bool, string) {
	holder := event
	if c, ok := event["chat"].(map[string]any); ok {
		for _, p := range c {
			if pm, ok := p.(map[string]any); ok && pm["dialogEventType"] != nil {
				holder = pm
			}
		}
	}
	t, _ := holder["dialogEventType"].(string)
	return holder["isDialogEvent"] == true || holder["isDialogEvent"] == "true", t
}

func eventIsMessage(event map[string]any) bool {
	if isDialog, _ := dialogOf(event); isDialog {
		return false
	}
	switch event["type"] {
	case "MESSAGE", "ADDED_TO_SPACE", "APP_COMMAND":
		return true
	}
	if c, ok := event["chat"].(map[string]any); ok {
		return c["messagePayload"] != nil || c["appCommandPayload"] != nil || c["addedToSpacePayload"] != nil
	}
	return false
}

// walkActions calls fn for every card action (onClick.action) in v.
func walkActions(v any, fn func(map[string]any)) {
	switch t := v.(type) {
	case map[string]any:
		if oc, ok := t["onClick"].(map[string]any); ok {
			if act, ok := oc["action"].(map[string]any); ok {
				fn(act)
			}
		}
		for _, c := range t {
			walkActions(c, fn)
		}
	case []any:
		for _, c := range t {
			walkActions(c, fn)
		}
	}
}

// AppFor describes an app at endpoint whose slash commands are ids (id →
// name, without the slash), in the classic shape or as an add-on.
func AppFor(endpoint string, ids map[int64]string, addOn bool) ChatApp {
	app := ChatApp{Endpoint: endpoint, AddOn: addOn}
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		app.Commands = append(app.Commands, SlashCommand{ID: id, Name: "/" + ids[id]})
	}
	return app
}
