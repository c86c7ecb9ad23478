package events

import (
	"errors"
	"fmt"
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
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
	CommandName       string
	AppCommandID      int64
	AppCommandType    string
	FormInputs        map[string][]string
	Parameters        map[string]string
	InvokedFunction   string
	ConfigCompleteURL string
	IsDialog          bool
	DialogEventType   string
	EventTime         string
}

// User is a user as an event names it.
type User struct {
	Name        string // users/{id}
	DisplayName string
	Type        string // HUMAN or BOT
	DomainID    string
}

// Space is the space an event happened in, as the event names it.
type Space struct {
	Name            string // spaces/{id}
	Type            string // the deprecated ROOM or DM
	SpaceType       string // SPACE, GROUP_CHAT or DIRECT_MESSAGE
	DisplayName     string
	SingleUserBotDm bool
}

// Mention is a user mentioned in the message.
type Mention struct {
	User       User
	StartIndex int64
	Length     int64
}

// ErrMalformed means the body is not an event of either shape.
var ErrMalformed = errors.New("malformed event")

// flexInt accepts an int64 written as a JSON number or a JSON string: the
// schema says string, Google's own examples show a number.
type flexInt int64

func (f *flexInt) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	tok, err := d.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case 'n':
		return nil
	case '"', '0': // String is a string's text, and a number as written
		n, err := strconv.ParseInt(tok.String(), 10, 64)
		if err != nil {
			return fmt.Errorf("command id %q: %w", tok.String(), err)
		}
		*f = flexInt(n)
		return nil
	default:
		return fmt.Errorf("command id: a %v, not a number or a string", tok.Kind())
	}
}

type wireUser struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Type        string `json:"type"`
	DomainID    string `json:"domainId"`
	Email       string `json:"email"`
}

func (u *wireUser) user() User {
	if u == nil {
		return User{}
	}
	return User{Name: u.Name, DisplayName: u.DisplayName, Type: u.Type, DomainID: u.DomainID}
}

type wireSpace struct {
	Name            string `json:"name"`
	Type            string `json:"type"`
	SpaceType       string `json:"spaceType"`
	DisplayName     string `json:"displayName"`
	SingleUserBotDm bool   `json:"singleUserBotDm"`
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
	return Space{Name: s.Name, Type: s.Type, SpaceType: spaceType, DisplayName: s.DisplayName, SingleUserBotDm: s.SingleUserBotDm}
}

type wireAnnotation struct {
	Type        string `json:"type"`
	StartIndex  int64  `json:"startIndex"`
	Length      int64  `json:"length"`
	UserMention *struct {
		User *wireUser `json:"user"`
		Type string    `json:"type"`
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
	AppCommandID   flexInt `json:"appCommandId"`
	AppCommandType string  `json:"appCommandType"`
}

type wireCommon struct {
	FormInputs map[string]struct {
		StringInputs *struct {
			Value []string `json:"value"`
		} `json:"stringInputs"`
	} `json:"formInputs"`
	InvokedFunction string            `json:"invokedFunction"`
	Parameters      map[string]string `json:"parameters"`
	UserLocale      string            `json:"userLocale"`
	TimeZone        *struct {
		ID string `json:"id"`
	} `json:"timeZone"`
}

type wireClassic struct {
	Type                      string          `json:"type"`
	EventTime                 string          `json:"eventTime"`
	User                      wireUser        `json:"user"`
	Space                     wireSpace       `json:"space"`
	Message                   *wireMessage    `json:"message"`
	AppCommandMetadata        *wireAppCommand `json:"appCommandMetadata"`
	Common                    *wireCommon     `json:"common"`
	ConfigCompleteRedirectURL string          `json:"configCompleteRedirectUrl"`
	IsDialogEvent             bool            `json:"isDialogEvent"`
	DialogEventType           string          `json:"dialogEventType"`
	Action                    *struct {
		ActionMethodName string `json:"actionMethodName"`
	} `json:"action"`
}

type wirePayload struct {
	Message                   *wireMessage    `json:"message"`
	Space                     wireSpace       `json:"space"`
	AppCommandMetadata        *wireAppCommand `json:"appCommandMetadata"`
	ConfigCompleteRedirectURI string          `json:"configCompleteRedirectUri"`
	IsDialogEvent             bool            `json:"isDialogEvent"`
	DialogEventType           string          `json:"dialogEventType"`
}

// wireEvent holds either shape, so one pass of the decoder reads both.
type wireEvent struct {
	wireClassic
	CommonEventObject *wireCommon `json:"commonEventObject"`
	Chat              *struct {
		User                    wireUser     `json:"user"`
		Space                   wireSpace    `json:"space"`
		EventTime               string       `json:"eventTime"`
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
// The decoder is encoding/json/v2's (go-json-experiment/json): one pass
// over the body instead of v1's validation pass and decoding pass, less than
// half the time. Names match exactly, as Chat writes them; a name given
// twice, or text that is not UTF-8, makes the event malformed.
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
		EventTime:         w.EventTime,
		ConfigCompleteURL: w.ConfigCompleteRedirectURL,
		IsDialog:          w.IsDialogEvent,
		DialogEventType:   w.DialogEventType,
	}
	ev.applyMessage(w.Message)
	ev.applyAppCommand(w.AppCommandMetadata)
	ev.applyCommon(w.Common)
	if ev.InvokedFunction == "" && w.Action != nil {
		ev.InvokedFunction = w.Action.ActionMethodName
	}
	return ev
}

func decodeAddOn(w *wireEvent) (*Event, error) {
	ev := &Event{Shape: AddOn, User: w.Chat.User.user(), Space: w.Chat.Space.space(), EventTime: w.Chat.EventTime}
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
	ev.IsDialog, ev.DialogEventType = p.IsDialogEvent, p.DialogEventType
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
	if m == nil {
		return
	}
	ev.AppCommandID, ev.AppCommandType = int64(m.AppCommandID), m.AppCommandType
	if ev.CommandID == 0 {
		ev.CommandID = ev.AppCommandID
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
