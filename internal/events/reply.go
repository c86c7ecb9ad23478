package events

import (
	"encoding/json"
	"maps"
	"slices"

	chat "google.golang.org/api/chat/v1"
)

// Reply is what the bot answers to one event, independent of the shape.
// At most one of ConfigURL, Dialog, CloseDialog and Empty applies, in that
// order; otherwise Text and Cards form a message.
type Reply struct {
	Text  string             `json:"text,omitempty"`
	Cards []*chat.CardWithId `json:"cards,omitempty"`
	// Private makes the message visible to the invoking user only.
	Private bool `json:"private,omitempty"`
	// ConfigURL asks the user to authorize the app at this link.
	ConfigURL string `json:"configUrl,omitempty"`
	// Dialog opens a dialog with this card.
	Dialog *chat.GoogleAppsCardV1Card `json:"dialog,omitempty"`
	// CloseDialog closes the open dialog and shows CloseStatus to the user
	// (Text and Cards are not sent: Google answers a dialog submission only
	// by closing it or with another dialog; "Open interactive dialogs").
	CloseDialog bool   `json:"closeDialog,omitempty"`
	CloseStatus string `json:"closeStatus,omitempty"`
	// Empty answers with no message at all (`{}`): an app "can optionally
	// respond with a message" to an interaction event
	// (https://developers.google.com/workspace/chat/receive-respond-interactions).
	Empty bool `json:"empty,omitempty"`
	// Transient marks a reply that must not be remembered for re-deliveries
	// (a failure on the bot's side: running the command again may succeed).
	Transient bool `json:"-"`
}

// AppName is the resource name add-on authorization prompts refer to.
const AppName = "Invite"

// Action is a card button's action, in ev's shape, carrying params (which
// must include "command": the router reads it in both shapes). In the
// add-on shape the function is the app's endpoint URL ("Convert a Chat app
// to a Google Workspace add-on": Chat does not fill invokedFunction for
// add-ons); classic apps get the command's name. openDialog makes the click
// a REQUEST_DIALOG ("Open interactive dialogs": interaction OPEN_DIALOG).
func (ev *Event) Action(params map[string]string, openDialog bool) *chat.GoogleAppsCardV1Action {
	return ButtonAction(ev.Shape, ev.endpoint, params, openDialog)
}

// ButtonAction is Action for a card the app sends outside a reply (a
// message it creates through the API), given the shape and endpoint.
func ButtonAction(shape Shape, endpoint string, params map[string]string, openDialog bool) *chat.GoogleAppsCardV1Action {
	a := &chat.GoogleAppsCardV1Action{Function: params["command"]}
	if shape == AddOn {
		a.Function = endpoint
	}
	if openDialog {
		a.Interaction = "OPEN_DIALOG"
	}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		a.Parameters = append(a.Parameters, &chat.GoogleAppsCardV1ActionParameter{Key: k, Value: params[k]})
	}
	return a
}

// Encode renders r in the shape of ev.
func Encode(ev *Event, r Reply) ([]byte, error) {
	if ev.Shape == AddOn {
		return json.Marshal(addOnReply(ev, r))
	}
	return json.Marshal(classicReply(ev, r))
}

func (r Reply) message(ev *Event) *chat.Message {
	m := &chat.Message{Text: r.Text, CardsV2: r.Cards}
	if r.Private && ev.User.Name != "" {
		m.PrivateMessageViewer = &chat.User{Name: ev.User.Name}
	}
	return m
}

func classicReply(ev *Event, r Reply) any {
	switch {
	case r.ConfigURL != "":
		return &chat.Message{ActionResponse: &chat.ActionResponse{Type: "REQUEST_CONFIG", Url: r.ConfigURL}}
	case r.Dialog != nil:
		return &chat.Message{ActionResponse: &chat.ActionResponse{
			Type:         "DIALOG",
			DialogAction: &chat.DialogAction{Dialog: &chat.Dialog{Body: r.Dialog}},
		}}
	case r.CloseDialog:
		// developers.google.com/workspace/chat/dialogs, "Close the dialog":
		// actionResponse DIALOG with an actionStatus.
		return &chat.Message{ActionResponse: &chat.ActionResponse{
			Type: "DIALOG",
			DialogAction: &chat.DialogAction{ActionStatus: &chat.ActionStatus{
				StatusCode: "OK", UserFacingMessage: r.CloseStatus,
			}},
		}}
	case r.Empty:
		return struct{}{}
	}
	m := r.message(ev)
	m.ActionResponse = &chat.ActionResponse{Type: "NEW_MESSAGE"}
	return m
}

type addOnNavigation struct {
	PushCard      *chat.GoogleAppsCardV1Card `json:"pushCard,omitempty"`
	EndNavigation *addOnEndNavigation        `json:"endNavigation,omitempty"`
}

type addOnEndNavigation struct {
	Action string `json:"action"`
}

type addOnNotification struct {
	Text string `json:"text"`
}

type addOnAction struct {
	Navigations  []addOnNavigation  `json:"navigations"`
	Notification *addOnNotification `json:"notification,omitempty"`
}

type addOnCreateMessage struct {
	Message *chat.Message `json:"message"`
}

type addOnChatDataAction struct {
	CreateMessageAction addOnCreateMessage `json:"createMessageAction"`
}

type addOnHostAppDataAction struct {
	ChatDataAction addOnChatDataAction `json:"chatDataAction"`
}

type addOnAuthorizationPrompt struct {
	AuthorizationURL string `json:"authorizationUrl"`
	Resource         string `json:"resource"`
}

type addOnResponse struct {
	HostAppDataAction        *addOnHostAppDataAction   `json:"hostAppDataAction,omitempty"`
	Action                   *addOnAction              `json:"action,omitempty"`
	BasicAuthorizationPrompt *addOnAuthorizationPrompt `json:"basicAuthorizationPrompt,omitempty"`
}

func addOnReply(ev *Event, r Reply) any {
	switch {
	case r.ConfigURL != "":
		return addOnResponse{BasicAuthorizationPrompt: &addOnAuthorizationPrompt{r.ConfigURL, AppName}}
	case r.Dialog != nil:
		return addOnResponse{Action: &addOnAction{Navigations: []addOnNavigation{{PushCard: r.Dialog}}}}
	case r.CloseDialog:
		// developers.google.com/workspace/add-ons/chat/dialogs: endNavigation
		// CLOSE_DIALOG, with a notification.
		action := &addOnAction{Navigations: []addOnNavigation{{EndNavigation: &addOnEndNavigation{"CLOSE_DIALOG"}}}}
		if r.CloseStatus != "" {
			action.Notification = &addOnNotification{r.CloseStatus}
		}
		return addOnResponse{Action: action}
	case r.Empty:
		return struct{}{}
	}
	return addOnResponse{HostAppDataAction: &addOnHostAppDataAction{
		ChatDataAction: addOnChatDataAction{CreateMessageAction: addOnCreateMessage{Message: r.message(ev)}},
	}}
}
