package events

import (
	"fmt"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/chatjson"
)

// Reply is what the bot answers to one event, independent of the shape.
// At most one of ConfigURL, Dialog and CloseDialog applies, in that order;
// otherwise Text and Cards form a message.
type Reply struct {
	Text  string
	Cards []*chat.CardWithId
	// CardsJSON, when set, is Cards already encoded (a JSON array of
	// CardWithId) and is sent instead: a command that also stores its reply
	// encodes the cards once.
	CardsJSON chatjson.Encoded
	// Private makes the message visible to the invoking user only.
	Private bool
	// ConfigURL asks the user to authorize the app at this link.
	ConfigURL string
	// Dialog opens a dialog with this card.
	Dialog *chat.GoogleAppsCardV1Card
	// CloseDialog closes the open dialog; with Text or Cards it also posts
	// them, else CloseStatus is shown to the user.
	CloseDialog bool
	CloseStatus string
	// Empty answers with no message at all.
	Empty bool
}

// AppName is the resource name add-on authorization prompts refer to.
const AppName = "Invite"

// Encode renders r in the shape of ev.
func Encode(ev *Event, r Reply) ([]byte, error) {
	return appendReply(nil, ev, r)
}

// appendReply appends r, rendered in the shape of ev, to dst.
func appendReply(dst []byte, ev *Event, r Reply) ([]byte, error) {
	var v any
	var err error
	if ev.Shape == AddOn {
		v, err = addOnReply(ev, r)
	} else {
		v, err = classicReply(ev, r)
	}
	if err != nil {
		return dst, err
	}
	return chatjson.Append(dst, v)
}

// message is chat.Message's wire form with the cards possibly pre-encoded.
type message struct {
	ActionResponse       *chat.ActionResponse `json:"actionResponse,omitempty"`
	CardsV2              chatjson.Encoded     `json:"cardsV2,omitempty"`
	PrivateMessageViewer *chat.User           `json:"privateMessageViewer,omitempty"`
	Text                 string               `json:"text,omitempty"`
}

func (r Reply) message(ev *Event) (*message, error) {
	m := &message{Text: r.Text, CardsV2: r.CardsJSON}
	if len(m.CardsV2) == 0 && len(r.Cards) > 0 {
		raw, err := chatjson.Marshal(r.Cards)
		if err != nil {
			return nil, fmt.Errorf("encode cards: %w", err)
		}
		m.CardsV2 = raw
	}
	if r.Private && ev.User.Name != "" {
		m.PrivateMessageViewer = &chat.User{Name: ev.User.Name}
	}
	return m, nil
}

func (r Reply) hasMessage() bool { return r.Text != "" || len(r.Cards) > 0 || len(r.CardsJSON) > 0 }

func classicReply(ev *Event, r Reply) (any, error) {
	switch {
	case r.Empty:
		return struct{}{}, nil
	case r.ConfigURL != "":
		return &message{ActionResponse: &chat.ActionResponse{Type: "REQUEST_CONFIG", Url: r.ConfigURL}}, nil
	case r.Dialog != nil:
		return &message{ActionResponse: &chat.ActionResponse{
			Type:         "DIALOG",
			DialogAction: &chat.DialogAction{Dialog: &chat.Dialog{Body: r.Dialog}},
		}}, nil
	case r.CloseDialog && !r.hasMessage():
		return &message{ActionResponse: &chat.ActionResponse{
			Type: "DIALOG",
			DialogAction: &chat.DialogAction{ActionStatus: &chat.ActionStatus{
				StatusCode: "OK", UserFacingMessage: r.CloseStatus,
			}},
		}}, nil
	}
	m, err := r.message(ev)
	if err != nil {
		return nil, err
	}
	m.ActionResponse = &chat.ActionResponse{Type: "NEW_MESSAGE"}
	return m, nil
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
	Message *message `json:"message"`
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

func addOnReply(ev *Event, r Reply) (any, error) {
	switch {
	case r.Empty:
		return struct{}{}, nil
	case r.ConfigURL != "":
		return addOnResponse{BasicAuthorizationPrompt: &addOnAuthorizationPrompt{r.ConfigURL, AppName}}, nil
	case r.Dialog != nil:
		return addOnResponse{Action: &addOnAction{Navigations: []addOnNavigation{{PushCard: r.Dialog}}}}, nil
	case r.CloseDialog && !r.hasMessage():
		action := &addOnAction{Navigations: []addOnNavigation{{EndNavigation: &addOnEndNavigation{"CLOSE_DIALOG"}}}}
		if r.CloseStatus != "" {
			action.Notification = &addOnNotification{r.CloseStatus}
		}
		return addOnResponse{Action: action}, nil
	}
	m, err := r.message(ev)
	if err != nil {
		return nil, err
	}
	return addOnResponse{HostAppDataAction: &addOnHostAppDataAction{
		ChatDataAction: addOnChatDataAction{CreateMessageAction: addOnCreateMessage{Message: m}},
	}}, nil
}
