package events

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
)

// Shape is the JSON shape an event arrived in; its reply goes back in the same.
type Shape int

const (
	// Classic is the Chat app event (chat.DeprecatedEvent).
	Classic Shape = iota
	// AddOn is the Google Workspace add-on event.
	AddOn
)

// Event kinds, as the classic shape names them.
const (
	KindMessage          = "MESSAGE"
	KindAddedToSpace     = "ADDED_TO_SPACE"
	KindRemovedFromSpace = "REMOVED_FROM_SPACE"
	KindCardClicked      = "CARD_CLICKED"
	KindAppCommand       = "APP_COMMAND"
)

// Dialog event types.
const (
	DialogRequest = "REQUEST_DIALOG"
	DialogSubmit  = "SUBMIT_DIALOG"
	DialogCancel  = "CANCEL_DIALOG"
)

// Event is one interaction event, whichever shape it came in.
type Event struct {
	Shape Shape
	Kind  string
	User  User
	Space Space
	// MessageName is the message's resource name (spaces/…/messages/…); Chat
	// sends the same name again when it re-delivers a message.
	MessageName  string
	Text         string
	ArgumentText string
	Mentions     []Mention
	// CommandID is the slash command's id, 0 when the event carries none.
	CommandID int64
	// CommandName is the slash command's name as typed ("/invite"), when an
	// annotation names it.
	CommandName string
	FormInputs  map[string][]string
	// Parameters are the clicked button's action parameters: how card
	// clicks and dialog submits are routed in both shapes.
	Parameters map[string]string
	// InvokedFunction is the classic shape's action method name, read only
	// when a click carries no parameters.
	InvokedFunction   string
	ConfigCompleteURL string
	IsDialog          bool
	DialogEventType   string

	// endpoint is the app's endpoint URL, which add-on buttons must name.
	endpoint string
}

// User is a user as an event names it.
type User struct {
	Name        string // users/{id}
	DisplayName string
	Type        string // HUMAN or BOT
}

// Space is the space an event happened in, as the event names it.
type Space struct {
	Name        string // spaces/{id}
	SpaceType   string // SPACE, GROUP_CHAT or DIRECT_MESSAGE
	DisplayName string
	// Others are the display names of other spaces the request names, by
	// name, when they could be read (never on the wire: commands reads
	// them with the user's token for the request's cards).
	Others map[string]string
}

// Mention is a user mentioned in the message. Chat does not document
// whether StartIndex and Length count code points or UTF-16 units.
type Mention struct {
	User       User
	StartIndex int64
	Length     int64
}

// ErrMalformed means the body is not an event of either shape.
var ErrMalformed = errors.New("malformed event")

// flexInt accepts an int64 written as a JSON number or a JSON string: the
// discovery document says string, Google's own examples show a number.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if bytes.HasPrefix(b, []byte(`"`)) {
		if err := jsonv2.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	if s == "null" || s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("command id %s: %w", b, err)
	}
	*f = flexInt(n)
	return nil
}

// flexBool accepts a JSON boolean or the strings "true" and "false":
// "Convert a Chat app to a Google Workspace add-on" shows
// "isDialogEvent": "true".
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true", `"true"`:
		*f = true
	case "false", `"false"`, "null", `""`:
		*f = false
	default:
		return fmt.Errorf("want a boolean, got %s", b)
	}
	return nil
}

type wireUser struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Type        string `json:"type"`
}

func (u *wireUser) user() User {
	if u == nil {
		return User{}
	}
	return User{Name: u.Name, DisplayName: u.DisplayName, Type: u.Type}
}

type wireSpace struct {
	Name        string `json:"name"`
	Type        string `json:"type"` // deprecated ROOM or DM
	SpaceType   string `json:"spaceType"`
	DisplayName string `json:"displayName"`
}

func (s *wireSpace) space() Space {
	if s == nil {
		return Space{}
	}
	spaceType := s.SpaceType
	if spaceType == "" {
		switch s.Type {
		case "ROOM":
			spaceType = "SPACE"
		case "DM":
			spaceType = "DIRECT_MESSAGE"
		}
	}
	return Space{Name: s.Name, SpaceType: spaceType, DisplayName: s.DisplayName}
}

type wireAnnotation struct {
	Type        string `json:"type"`
	StartIndex  int64  `json:"startIndex"`
	Length      int64  `json:"length"`
	UserMention *struct {
		User *wireUser `json:"user"`
	} `json:"userMention"`
	SlashCommand *struct {
		CommandID   flexInt `json:"commandId"`
		CommandName string  `json:"commandName"`
	} `json:"slashCommand"`
}

type wireMessage struct {
	Name         string           `json:"name"`
	Text         string           `json:"text"`
	ArgumentText string           `json:"argumentText"`
	Sender       wireUser         `json:"sender"`
	Space        wireSpace        `json:"space"`
	Annotations  []wireAnnotation `json:"annotations"`
	SlashCommand *struct {
		CommandID flexInt `json:"commandId"`
	} `json:"slashCommand"`
}

type wireAppCommand struct {
	AppCommandID flexInt `json:"appCommandId"`
}

type wireCommon struct {
	FormInputs map[string]struct {
		StringInputs *struct {
			Value []string `json:"value"`
		} `json:"stringInputs"`
	} `json:"formInputs"`
	InvokedFunction string            `json:"invokedFunction"`
	Parameters      map[string]string `json:"parameters"`
}

type wireClassic struct {
	Type                      string          `json:"type"`
	User                      wireUser        `json:"user"`
	Space                     wireSpace       `json:"space"`
	Message                   *wireMessage    `json:"message"`
	AppCommandMetadata        *wireAppCommand `json:"appCommandMetadata"`
	Common                    *wireCommon     `json:"common"`
	ConfigCompleteRedirectURL string          `json:"configCompleteRedirectUrl"`
	IsDialogEvent             flexBool        `json:"isDialogEvent"`
	DialogEventType           string          `json:"dialogEventType"`
	Action                    *struct {
		ActionMethodName string `json:"actionMethodName"`
		Parameters       []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"parameters"`
	} `json:"action"`
}

type wirePayload struct {
	Message                   *wireMessage    `json:"message"`
	Space                     wireSpace       `json:"space"`
	AppCommandMetadata        *wireAppCommand `json:"appCommandMetadata"`
	ConfigCompleteRedirectURI string          `json:"configCompleteRedirectUri"`
	IsDialogEvent             flexBool        `json:"isDialogEvent"`
	DialogEventType           string          `json:"dialogEventType"`
}

// wireEvent holds either shape, so one pass of the decoder reads both.
type wireEvent struct {
	wireClassic
	CommonEventObject *wireCommon `json:"commonEventObject"`
	Chat              *struct {
		User                    wireUser     `json:"user"`
		Space                   wireSpace    `json:"space"`
		MessagePayload          *wirePayload `json:"messagePayload"`
		AppCommandPayload       *wirePayload `json:"appCommandPayload"`
		AddedToSpacePayload     *wirePayload `json:"addedToSpacePayload"`
		RemovedFromSpacePayload *wirePayload `json:"removedFromSpacePayload"`
		ButtonClickedPayload    *wirePayload `json:"buttonClickedPayload"`
	} `json:"chat"`
}

// Decode reads an event of either shape. Classic events have a top-level
// "type"; add-on events have "chat" and "commonEventObject".
//
// The decoder is encoding/json/v2's prototype (go-json-experiment/json),
// for its strictness: names match exactly as Chat writes them, and a name
// given twice or text that is not UTF-8 makes the event malformed instead
// of being read one way here and another elsewhere.
func Decode(body []byte) (*Event, error) {
	var w wireEvent
	if err := jsonv2.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	switch {
	case w.Type != "":
		return decodeClassic(&w.wireClassic), nil
	case w.Chat != nil:
		return decodeAddOn(&w)
	default:
		return nil, fmt.Errorf("%w: neither a classic nor an add-on event", ErrMalformed)
	}
}

func decodeClassic(w *wireClassic) *Event {
	ev := &Event{
		Shape:             Classic,
		Kind:              w.Type,
		User:              w.User.user(),
		Space:             w.Space.space(),
		ConfigCompleteURL: w.ConfigCompleteRedirectURL,
		IsDialog:          bool(w.IsDialogEvent),
		DialogEventType:   w.DialogEventType,
	}
	ev.applyMessage(w.Message)
	ev.applyAppCommand(w.AppCommandMetadata)
	ev.applyCommon(w.Common)
	if w.Action != nil {
		if ev.InvokedFunction == "" {
			ev.InvokedFunction = w.Action.ActionMethodName
		}
		for _, p := range w.Action.Parameters {
			if ev.Parameters == nil {
				ev.Parameters = map[string]string{}
			}
			if _, ok := ev.Parameters[p.Key]; !ok {
				ev.Parameters[p.Key] = p.Value
			}
		}
	}
	return ev
}

func decodeAddOn(w *wireEvent) (*Event, error) {
	ev := &Event{Shape: AddOn, User: w.Chat.User.user(), Space: w.Chat.Space.space()}
	var p *wirePayload
	switch {
	case w.Chat.AppCommandPayload != nil:
		ev.Kind, p = KindAppCommand, w.Chat.AppCommandPayload
	case w.Chat.MessagePayload != nil:
		ev.Kind, p = KindMessage, w.Chat.MessagePayload
	case w.Chat.ButtonClickedPayload != nil:
		ev.Kind, p = KindCardClicked, w.Chat.ButtonClickedPayload
	case w.Chat.AddedToSpacePayload != nil:
		ev.Kind, p = KindAddedToSpace, w.Chat.AddedToSpacePayload
	case w.Chat.RemovedFromSpacePayload != nil:
		ev.Kind, p = KindRemovedFromSpace, w.Chat.RemovedFromSpacePayload
	default:
		return nil, fmt.Errorf("%w: add-on event without a known payload", ErrMalformed)
	}
	if ev.Space.Name == "" {
		ev.Space = p.Space.space()
	}
	ev.ConfigCompleteURL = p.ConfigCompleteRedirectURI
	ev.IsDialog, ev.DialogEventType = bool(p.IsDialogEvent), p.DialogEventType
	ev.applyMessage(p.Message)
	ev.applyAppCommand(p.AppCommandMetadata)
	ev.applyCommon(w.CommonEventObject)
	return ev, nil
}

func (ev *Event) applyMessage(m *wireMessage) {
	if m == nil {
		return
	}
	ev.MessageName, ev.Text, ev.ArgumentText = m.Name, m.Text, m.ArgumentText
	if ev.Space.Name == "" {
		ev.Space = m.Space.space()
	}
	if ev.User.Name == "" {
		ev.User = m.Sender.user()
	}
	if m.SlashCommand != nil {
		ev.CommandID = int64(m.SlashCommand.CommandID)
	}
	for _, a := range m.Annotations {
		switch {
		case a.Type == "USER_MENTION" && a.UserMention != nil && a.UserMention.User != nil:
			ev.Mentions = append(ev.Mentions, Mention{User: a.UserMention.User.user(), StartIndex: a.StartIndex, Length: a.Length})
		case a.Type == "SLASH_COMMAND" && a.SlashCommand != nil:
			if ev.CommandID == 0 {
				ev.CommandID = int64(a.SlashCommand.CommandID)
			}
			if a.SlashCommand.CommandName != "" {
				ev.CommandName = a.SlashCommand.CommandName
			}
		}
	}
}

func (ev *Event) applyAppCommand(m *wireAppCommand) {
	if m != nil && ev.CommandID == 0 {
		ev.CommandID = int64(m.AppCommandID)
	}
}

func (ev *Event) applyCommon(c *wireCommon) {
	if c == nil {
		return
	}
	if ev.InvokedFunction == "" {
		ev.InvokedFunction = c.InvokedFunction
	}
	if len(c.Parameters) > 0 {
		ev.Parameters = c.Parameters
	}
	for name, in := range c.FormInputs {
		if in.StringInputs == nil {
			continue
		}
		if ev.FormInputs == nil {
			ev.FormInputs = map[string][]string{}
		}
		ev.FormInputs[name] = in.StringInputs.Value
	}
}

// FormValue returns the first value of a form input, or "".
func (ev *Event) FormValue(name string) string {
	if v := ev.FormInputs[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}
