package events

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// The event decoder walks the body over jsontext's tokenizer and fills the
// wire types by hand: the tokenizer checks the syntax, that text is UTF-8
// and that no object names a member twice; the walk reads the members it
// knows and skips the rest. It reads what encoding/json/v2 would read into
// the same types (event_test.go compares them on every fuzzed body) in
// about three quarters of its time (BenchmarkDecodeClassic against
// BenchmarkDecodeClassicReflection): every /invite pays it.

// wireDecoder is a pooled tokenizer with its input and scratch space.
type wireDecoder struct {
	d    *jsontext.Decoder
	in   bytes.Buffer // the tokenizer reads a bytes.Buffer in place
	name []byte       // an unescaped member name
}

var wireDecoders = sync.Pool{New: func() any {
	x := &wireDecoder{}
	x.d = jsontext.NewDecoder(&x.in)
	return x
}}

// decodeWire reads one event object from body into w.
func decodeWire(body []byte, w *wireEvent) error {
	x := wireDecoders.Get().(*wireDecoder)
	defer wireDecoders.Put(x)
	x.in = *bytes.NewBuffer(body)
	x.d.Reset(&x.in)
	err := x.event(w)
	if err == nil {
		if _, end := x.d.ReadToken(); end != io.EOF {
			err = errors.New("data after the event")
		}
	}
	x.in = bytes.Buffer{} // keep no reference to the body in the pool
	x.d.Reset(&x.in)
	return err
}

// object reads an object, or null, calling member with each name; member
// must read the value that follows.
func (x *wireDecoder) object(member func(name []byte) error) error {
	tok, err := x.d.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case 'n':
		return nil
	case '{':
	default:
		return fmt.Errorf("%v where an object belongs", tok.Kind())
	}
	for x.d.PeekKind() != '}' {
		v, err := x.d.ReadValue() // the name, still quoted
		if err != nil {
			return err
		}
		name := v[1 : len(v)-1]
		if bytes.IndexByte(name, '\\') >= 0 {
			if x.name, err = jsontext.AppendUnquote(x.name[:0], v); err != nil {
				return err
			}
			name = x.name
		}
		if err := member(name); err != nil {
			return err
		}
	}
	_, err = x.d.ReadToken()
	return err
}

// array reads an array, or null, calling elem for each element; elem must
// read it. It reports whether there was an array.
func (x *wireDecoder) array(elem func() error) (bool, error) {
	tok, err := x.d.ReadToken()
	if err != nil {
		return false, err
	}
	switch tok.Kind() {
	case 'n':
		return false, nil
	case '[':
	default:
		return false, fmt.Errorf("%v where an array belongs", tok.Kind())
	}
	for x.d.PeekKind() != ']' {
		if err := elem(); err != nil {
			return false, err
		}
	}
	_, err = x.d.ReadToken()
	return true, err
}

// optional reads an object into a new *dst with read, or null into nil.
func optional[T any](x *wireDecoder, dst **T, read func(*T) error) error {
	if null, err := x.null(); null || err != nil {
		*dst = nil
		return err
	}
	*dst = new(T)
	return read(*dst)
}

// null reads a null if one comes next.
func (x *wireDecoder) null() (bool, error) {
	if x.d.PeekKind() != 'n' {
		return false, nil
	}
	_, err := x.d.ReadToken()
	return true, err
}

func (x *wireDecoder) skip() error { return x.d.SkipValue() }

func (x *wireDecoder) str(dst *string) error {
	tok, err := x.d.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case 'n':
		*dst = ""
	case '"':
		*dst = tok.String()
	default:
		return fmt.Errorf("%v where a string belongs", tok.Kind())
	}
	return nil
}

// enumValues are the words Chat repeats in every event; enum reads them
// without allocating a string each time.
var enumValues = func() map[string]string {
	m := map[string]string{}
	for _, v := range []string{KindMessage, KindAddedToSpace, KindRemovedFromSpace, KindCardClicked, KindAppCommand,
		DialogRequest, DialogSubmit, DialogCancel, "HUMAN", "BOT", "SPACE", "GROUP_CHAT", "DIRECT_MESSAGE", "ROOM", "DM",
		"USER_MENTION", "SLASH_COMMAND"} {
		m[v] = v
	}
	return m
}()

// enum reads a string, or null, that is usually one of enumValues.
func (x *wireDecoder) enum(dst *string) error {
	if x.d.PeekKind() != '"' {
		return x.str(dst)
	}
	v, err := x.d.ReadValue()
	if err != nil {
		return err
	}
	if s, ok := enumValues[string(v[1:len(v)-1])]; ok {
		*dst = s
		return nil
	}
	if x.name, err = jsontext.AppendUnquote(x.name[:0], v); err != nil {
		return err
	}
	*dst = string(x.name)
	return nil
}

func (x *wireDecoder) boolean(dst *bool) error {
	tok, err := x.d.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case 'n':
		*dst = false
	case 't', 'f':
		*dst = tok.Bool()
	default:
		return fmt.Errorf("%v where true or false belongs", tok.Kind())
	}
	return nil
}

// integer reads an int64 written as a JSON number (whole, in range), or null.
func (x *wireDecoder) integer(dst *int64) error {
	v, err := x.d.ReadValue()
	if err != nil {
		return err
	}
	switch v.Kind() {
	case 'n':
		*dst = 0
	case '0':
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return fmt.Errorf("number %s: not a whole number in range", v)
		}
		*dst = n
	default:
		return fmt.Errorf("%v where a number belongs", v.Kind())
	}
	return nil
}

// flexInt reads an int64 written as a JSON number or a JSON string, or null.
func (x *wireDecoder) flexInt(dst *flexInt) error {
	tok, err := x.d.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case 'n':
		*dst = 0
	case '"', '0': // String is a string's text, and a number as written
		n, err := strconv.ParseInt(tok.String(), 10, 64)
		if err != nil {
			return fmt.Errorf("command id %q: %w", tok.String(), err)
		}
		*dst = flexInt(n)
	default:
		return fmt.Errorf("command id: a %v, not a number or a string", tok.Kind())
	}
	return nil
}

func (x *wireDecoder) event(w *wireEvent) error {
	return x.object(func(name []byte) error {
		switch string(name) {
		case "type":
			return x.enum(&w.Type)
		case "eventTime":
			return x.str(&w.EventTime)
		case "user":
			return x.user(&w.User)
		case "space":
			return x.space(&w.Space)
		case "message":
			return optional(x, &w.Message, x.message)
		case "appCommandMetadata":
			return optional(x, &w.AppCommandMetadata, x.appCommand)
		case "common":
			return optional(x, &w.Common, x.common)
		case "configCompleteRedirectUrl":
			return x.str(&w.ConfigCompleteRedirectURL)
		case "isDialogEvent":
			return x.boolean(&w.IsDialogEvent)
		case "dialogEventType":
			return x.enum(&w.DialogEventType)
		case "action":
			return optional(x, &w.Action, func(a *wireAction) error {
				return x.object(func(name []byte) error {
					if string(name) == "actionMethodName" {
						return x.str(&a.ActionMethodName)
					}
					return x.skip()
				})
			})
		case "commonEventObject":
			return optional(x, &w.CommonEventObject, x.common)
		case "chat":
			return optional(x, &w.Chat, x.chat)
		}
		return x.skip()
	})
}

func (x *wireDecoder) user(u *wireUser) error {
	*u = wireUser{}
	return x.object(func(name []byte) error {
		switch string(name) {
		case "name":
			return x.str(&u.Name)
		case "displayName":
			return x.str(&u.DisplayName)
		case "type":
			return x.enum(&u.Type)
		case "domainId":
			return x.str(&u.DomainID)
		}
		return x.skip()
	})
}

func (x *wireDecoder) space(s *wireSpace) error {
	*s = wireSpace{}
	return x.object(func(name []byte) error {
		switch string(name) {
		case "name":
			return x.str(&s.Name)
		case "type":
			return x.enum(&s.Type)
		case "spaceType":
			return x.enum(&s.SpaceType)
		case "displayName":
			return x.str(&s.DisplayName)
		case "singleUserBotDm":
			return x.boolean(&s.SingleUserBotDm)
		}
		return x.skip()
	})
}

func (x *wireDecoder) message(m *wireMessage) error {
	return x.object(func(name []byte) error {
		switch string(name) {
		case "name":
			return x.str(&m.Name)
		case "text":
			return x.str(&m.Text)
		case "argumentText":
			return x.str(&m.ArgumentText)
		case "sender":
			return x.user(&m.Sender)
		case "space":
			return x.space(&m.Space)
		case "annotations":
			m.Annotations = m.Annotations[:0]
			isArray, err := x.array(func() error {
				m.Annotations = append(m.Annotations, wireAnnotation{})
				return x.annotation(&m.Annotations[len(m.Annotations)-1])
			})
			if !isArray {
				m.Annotations = nil
			}
			return err
		case "slashCommand":
			return optional(x, &m.SlashCommand, func(c *wireMessageCommand) error {
				return x.object(func(name []byte) error {
					if string(name) == "commandId" {
						return x.flexInt(&c.CommandID)
					}
					return x.skip()
				})
			})
		}
		return x.skip()
	})
}

func (x *wireDecoder) annotation(a *wireAnnotation) error {
	return x.object(func(name []byte) error {
		switch string(name) {
		case "type":
			return x.enum(&a.Type)
		case "startIndex":
			return x.integer(&a.StartIndex)
		case "length":
			return x.integer(&a.Length)
		case "userMention":
			return optional(x, &a.UserMention, func(m *wireUserMention) error {
				return x.object(func(name []byte) error {
					if string(name) == "user" {
						return optional(x, &m.User, x.user)
					}
					return x.skip()
				})
			})
		case "slashCommand":
			return optional(x, &a.SlashCommand, func(c *wireAnnotationCommand) error {
				return x.object(func(name []byte) error {
					switch string(name) {
					case "commandId":
						return x.flexInt(&c.CommandID)
					case "commandName":
						return x.str(&c.CommandName)
					}
					return x.skip()
				})
			})
		}
		return x.skip()
	})
}

func (x *wireDecoder) appCommand(c *wireAppCommand) error {
	return x.object(func(name []byte) error {
		switch string(name) {
		case "appCommandId":
			return x.flexInt(&c.AppCommandID)
		case "appCommandType":
			return x.enum(&c.AppCommandType)
		}
		return x.skip()
	})
}

func (x *wireDecoder) common(c *wireCommon) error {
	return x.object(func(name []byte) error {
		switch string(name) {
		case "invokedFunction":
			return x.str(&c.InvokedFunction)
		case "parameters":
			if null, err := x.null(); null || err != nil {
				c.Parameters = nil
				return err
			}
			c.Parameters = map[string]string{}
			return x.object(func(name []byte) error {
				key := string(name)
				var v string
				if err := x.str(&v); err != nil {
					return err
				}
				c.Parameters[key] = v
				return nil
			})
		case "formInputs":
			if null, err := x.null(); null || err != nil {
				c.FormInputs = nil
				return err
			}
			c.FormInputs = map[string]wireFormInput{}
			return x.object(func(name []byte) error {
				key := string(name)
				var in wireFormInput
				if err := x.formInput(&in); err != nil {
					return err
				}
				c.FormInputs[key] = in
				return nil
			})
		}
		return x.skip()
	})
}

func (x *wireDecoder) formInput(in *wireFormInput) error {
	return x.object(func(name []byte) error {
		if string(name) != "stringInputs" {
			return x.skip()
		}
		return optional(x, &in.StringInputs, func(si *wireStringInputs) error {
			return x.object(func(name []byte) error {
				if string(name) != "value" {
					return x.skip()
				}
				values := []string{}
				isArray, err := x.array(func() error {
					var v string
					err := x.str(&v)
					values = append(values, v)
					return err
				})
				if isArray {
					si.Value = values
				}
				return err
			})
		})
	})
}

func (x *wireDecoder) chat(c *wireChat) error {
	return x.object(func(name []byte) error {
		switch string(name) {
		case "user":
			return x.user(&c.User)
		case "space":
			return x.space(&c.Space)
		case "eventTime":
			return x.str(&c.EventTime)
		case "messagePayload":
			return optional(x, &c.MessagePayload, x.payload)
		case "appCommandPayload":
			return optional(x, &c.AppCommandPayload, x.payload)
		case "addedToSpacePayload":
			return optional(x, &c.AddedToSpacePayload, x.payload)
		case "removedFromSpacePayload":
			return optional(x, &c.RemovedFromSpacePayload, x.payload)
		case "buttonClickedPayload":
			return optional(x, &c.ButtonClickedPayload, x.payload)
		}
		return x.skip()
	})
}

func (x *wireDecoder) payload(p *wirePayload) error {
	return x.object(func(name []byte) error {
		switch string(name) {
		case "message":
			return optional(x, &p.Message, x.message)
		case "space":
			return x.space(&p.Space)
		case "appCommandMetadata":
			return optional(x, &p.AppCommandMetadata, x.appCommand)
		case "configCompleteRedirectUri":
			return x.str(&p.ConfigCompleteRedirectURI)
		case "isDialogEvent":
			return x.boolean(&p.IsDialogEvent)
		case "dialogEventType":
			return x.enum(&p.DialogEventType)
		}
		return x.skip()
	})
}
