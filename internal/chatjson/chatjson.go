// Package chatjson encodes google.golang.org/api/chat/v1 values (cards,
// messages, action responses) exactly as encoding/json does, in one pass.
//
// Every chat/v1 type has a MarshalJSON method, so encoding/json re-enters
// itself at each level of a card (card, section, widget, decorated text,
// icon…), then validates and copies each level's output into its parent's:
// a card costs its depth times its size, and deep stacks. Here each type's
// fields are looked up once and values are written straight into one buffer.
// Plain structs (no MarshalJSON, every exported field tagged), such as the
// reply shapes around those values, are written the same way. A value whose
// ForceSendFields or NullFields are set, and any type this package does not
// know (maps, interfaces, floats, types with their own MarshalJSON), goes
// through encoding/json itself, so the output is always the same.
package chatjson

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// chatPkg is the package whose generated schema types are encoded here.
const chatPkg = "google.golang.org/api/chat/v1"

// Marshal returns the JSON encoding of v, byte for byte what json.Marshal
// returns.
func Marshal(v any) ([]byte, error) {
	scratch := buffers.Get().(*[]byte)
	b, err := Append((*scratch)[:0], v)
	var out []byte
	if err == nil {
		out = append(make([]byte, 0, len(b)), b...) // one allocation, of the right size
	}
	if cap(b) <= maxPooled {
		*scratch = b
		buffers.Put(scratch)
	}
	return out, err
}

// buffers are Marshal's scratch space: its result is then allocated once,
// at its final size, instead of growing.
var buffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooled = 64 << 10

// Append appends the JSON encoding of v to dst.
func Append(dst []byte, v any) ([]byte, error) {
	if v == nil {
		return append(dst, "null"...), nil
	}
	rv := reflect.ValueOf(v)
	return encoderOf(rv.Type())(dst, rv)
}

// Encoded is JSON this package produced earlier, embedded in a later value
// as it is: unlike json.RawMessage, it is not validated and compacted again.
// encoding/json sees it as a json.RawMessage.
type Encoded []byte

// MarshalJSON returns e, or null when e is empty.
func (e Encoded) MarshalJSON() ([]byte, error) {
	if len(e) == 0 {
		return []byte("null"), nil
	}
	return e, nil
}

// UnmarshalJSON keeps a copy of b; null leaves e empty.
func (e *Encoded) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*e = nil
		return nil
	}
	*e = append((*e)[:0], b...)
	return nil
}

// encoder appends v's encoding to dst.
type encoder func(dst []byte, v reflect.Value) ([]byte, error)

var encoders sync.Map // reflect.Type → encoder

func encoderOf(t reflect.Type) encoder {
	if e, ok := encoders.Load(t); ok {
		return e.(encoder)
	}
	// A recursive type refers to itself while its encoder is being built:
	// hand out an indirection that waits for the real one.
	var (
		wg sync.WaitGroup
		f  encoder
	)
	wg.Add(1)
	e, loaded := encoders.LoadOrStore(t, encoder(func(dst []byte, v reflect.Value) ([]byte, error) {
		wg.Wait()
		return f(dst, v)
	}))
	if loaded {
		return e.(encoder)
	}
	f = newEncoder(t)
	wg.Done()
	encoders.Store(t, f)
	return f
}

var (
	marshalerType = reflect.TypeFor[json.Marshaler]()
	encodedType   = reflect.TypeFor[Encoded]()
)

func newEncoder(t reflect.Type) encoder {
	if t == encodedType {
		return func(dst []byte, v reflect.Value) ([]byte, error) {
			if v.Len() == 0 {
				return append(dst, "null"...), nil
			}
			return append(dst, v.Bytes()...), nil
		}
	}
	switch t.Kind() {
	case reflect.String:
		if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) {
			return fallback
		}
		return func(dst []byte, v reflect.Value) ([]byte, error) { return appendString(dst, v.String()), nil }
	case reflect.Bool:
		return func(dst []byte, v reflect.Value) ([]byte, error) { return strconv.AppendBool(dst, v.Bool()), nil }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(dst []byte, v reflect.Value) ([]byte, error) { return strconv.AppendInt(dst, v.Int(), 10), nil }
	case reflect.Pointer:
		elem := encoderOf(t.Elem())
		return func(dst []byte, v reflect.Value) ([]byte, error) {
			if v.IsNil() {
				return append(dst, "null"...), nil
			}
			return elem(dst, v.Elem())
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return fallback // base64
		}
		elem := encoderOf(t.Elem())
		return func(dst []byte, v reflect.Value) ([]byte, error) {
			if v.IsNil() {
				return append(dst, "null"...), nil
			}
			dst = append(dst, '[')
			var err error
			for i := range v.Len() {
				if i > 0 {
					dst = append(dst, ',')
				}
				if dst, err = elem(dst, v.Index(i)); err != nil {
					return dst, err
				}
			}
			return append(dst, ']'), nil
		}
	case reflect.Struct:
		if s, ok := newStruct(t); ok {
			return s.encode
		}
	}
	return fallback
}

// fallback has encoding/json encode v.
func fallback(dst []byte, v reflect.Value) ([]byte, error) {
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// structEncoder writes a struct's fields.
type structEncoder struct {
	fields []field
	// force and null index a chat/v1 type's ForceSendFields and NullFields
	// (-1 if none): when either is set, gensupport's rules apply and
	// encoding/json takes over.
	force, null int
}

type field struct {
	index     int
	key       string // `"name":`
	omitEmpty bool
	quoted    bool // the ",string" option: the number inside a string
	kind      reflect.Kind
	enc       encoder
}

// newStruct plans t's encoding, or reports that t is neither a generated
// chat/v1 type (whose MarshalJSON is gensupport's) nor a plain struct: one
// without MarshalJSON, whose exported fields all have a json name or "-".
func newStruct(t reflect.Type) (*structEncoder, bool) {
	schema := t.PkgPath() == chatPkg
	if !schema && (t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType)) {
		return nil, false
	}
	s := &structEncoder{force: -1, null: -1}
	for i := range t.NumField() {
		f := t.Field(i)
		switch {
		case schema && f.Name == "ForceSendFields":
			s.force = i
			continue
		case schema && f.Name == "NullFields":
			s.null = i
			continue
		case f.Anonymous:
			return nil, false
		case !f.IsExported():
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" || strings.Contains(opts, "omitzero") || strings.Contains(opts, "inline") {
			return nil, false
		}
		fe := field{
			index:     i,
			key:       string(appendString(nil, name)) + ":",
			omitEmpty: hasOption(opts, "omitempty"),
			quoted:    hasOption(opts, "string"),
			kind:      f.Type.Kind(),
			enc:       encoderOf(f.Type),
		}
		if fe.quoted {
			switch fe.kind {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				fe.enc = quotedInt
			default: // encoding/json's rules for the rest are not copied here
				return nil, false
			}
		}
		s.fields = append(s.fields, fe)
	}
	if schema && s.force < 0 {
		return nil, false // not generated the way this package knows
	}
	return s, true
}

func hasOption(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

func quotedInt(dst []byte, v reflect.Value) ([]byte, error) {
	dst = append(dst, '"')
	dst = strconv.AppendInt(dst, v.Int(), 10)
	return append(dst, '"'), nil
}

func (s *structEncoder) encode(dst []byte, v reflect.Value) ([]byte, error) {
	if (s.force >= 0 && v.Field(s.force).Len() > 0) || (s.null >= 0 && v.Field(s.null).Len() > 0) {
		return fallback(dst, v)
	}
	dst = append(dst, '{')
	first := true
	var err error
	for i := range s.fields {
		f := &s.fields[i]
		fv := v.Field(f.index)
		if f.omitEmpty && isEmpty(fv, f.kind) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, f.key...)
		if dst, err = f.enc(dst, fv); err != nil {
			return dst, fmt.Errorf("%s: %w", strings.TrimSuffix(f.key, ":"), err)
		}
	}
	return append(dst, '}'), nil
}

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value, k reflect.Kind) bool {
	switch k {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64,
		reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

const hex = "0123456789abcdef"

// appendString quotes s as encoding/json does, HTML escaping included.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= ' ' && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		} else if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
		} else {
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
