package chatjson

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	chat "google.golang.org/api/chat/v1"
)

// same fails unless Marshal(v) is byte for byte json.Marshal(v).
func same(t *testing.T, v any) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, err := Marshal(v)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("error %v, encoding/json's %v", err, wantErr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding differs\n got: %s\nwant: %s", got, want)
	}
}

// fill sets the fields of v at random (each with probability p), down to
// depth levels of nesting, with values that exercise escaping and omitempty.
func fill(r *rand.Rand, v reflect.Value, depth int, p float64) {
	strs := []string{"", "plain", `<b>x</b> & "q" \ /`, "tab\tnl\ncr\r\b\f\x01\x1f", "é ✓ 🙂", "\u2028\u2029", "bad\xffutf8\xc3"}
	switch v.Kind() {
	case reflect.String:
		v.SetString(strs[r.IntN(len(strs))])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(r.Int64N(2000) - 1000)
	case reflect.Float32, reflect.Float64:
		v.SetFloat([]float64{0, 0.5, 1e-7, 3, 1e21}[r.IntN(5)])
	case reflect.Pointer:
		if depth > 0 {
			v.Set(reflect.New(v.Type().Elem()))
			fill(r, v.Elem(), depth-1, p)
		}
	case reflect.Slice:
		if depth > 0 {
			n := r.IntN(3)
			v.Set(reflect.MakeSlice(v.Type(), n, n))
			for i := range n {
				fill(r, v.Index(i), depth-1, p)
			}
		}
	case reflect.Map:
		if depth > 0 && v.Type().Key().Kind() == reflect.String {
			m := reflect.MakeMap(v.Type())
			val := reflect.New(v.Type().Elem()).Elem()
			fill(r, val, depth-1, p)
			m.SetMapIndex(reflect.ValueOf("k<"), val)
			v.Set(m)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && f.Name != "ForceSendFields" && f.Name != "NullFields" && r.Float64() < p {
				fill(r, v.Field(i), depth, p)
			}
		}
	}
}

// TestSameAsEncodingJSON fills every type reachable from a message, a dialog
// answer and a card at random and compares with encoding/json.
func TestSameAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range []float64{1, 0.7, 0.3} {
		for range 200 {
			for _, v := range []any{&chat.Message{}, &chat.ActionResponse{}, &chat.CardWithId{}, &chat.Membership{}} {
				fill(r, reflect.ValueOf(v).Elem(), 7, p)
				same(t, v)
			}
		}
	}
}

func TestCards(t *testing.T) {
	card := []*chat.CardWithId{{
		CardId: "invite-result",
		Card: &chat.GoogleAppsCardV1Card{
			Header: &chat.GoogleAppsCardV1CardHeader{Title: "Invite", Subtitle: "1 added · 1 not found"},
			Sections: []*chat.GoogleAppsCardV1Section{{
				Header: "Added (1)", Collapsible: true, UncollapsibleWidgetsCount: 3,
				Widgets: []*chat.GoogleAppsCardV1Widget{
					{DecoratedText: &chat.GoogleAppsCardV1DecoratedText{
						StartIcon: &chat.GoogleAppsCardV1Icon{KnownIcon: "PERSON"}, Text: "a&lt;b@example.com", WrapText: true,
					}},
					{TextParagraph: &chat.GoogleAppsCardV1TextParagraph{Text: "<i>and 3 more</i>"}},
					nil,
				},
			}},
		},
	}}
	same(t, card)
	same(t, []*chat.CardWithId{})
	same(t, []*chat.CardWithId(nil))
	same(t, (*chat.CardWithId)(nil))
	same(t, chat.CardWithId{CardId: "by value"})
	same(t, nil)
}

// TestGensupportRules: ForceSendFields and NullFields change what a value
// encodes to; those values keep encoding/json's (gensupport's) answer.
func TestGensupportRules(t *testing.T) {
	same(t, &chat.GoogleAppsCardV1Section{Header: "h", ForceSendFields: []string{"Collapsible", "UncollapsibleWidgetsCount"}})
	same(t, &chat.GoogleAppsCardV1Card{
		Header:   &chat.GoogleAppsCardV1CardHeader{Title: "t"},
		Sections: []*chat.GoogleAppsCardV1Section{{NullFields: []string{"Header"}}, {Header: "kept"}},
	})
	got, err := Marshal(&chat.GoogleAppsCardV1Section{ForceSendFields: []string{"Collapsible"}})
	if err != nil || string(got) != `{"collapsible":false}` {
		t.Fatalf("got %s, %v", got, err)
	}
}

type reply struct {
	Action *chat.ActionResponse `json:"actionResponse,omitempty"`
	Cards  json.RawMessage      `json:"cardsV2,omitempty"`
	Nav    []nav                `json:"navigations"`
	Count  int                  `json:"count,string"`
	hidden string
}

type nav struct {
	Push *chat.GoogleAppsCardV1Card `json:"pushCard,omitempty"`
	End  *struct {
		Action string `json:"action"`
	} `json:"endNavigation,omitempty"`
}

type untagged struct{ Text string }

type embeds struct {
	nav
	Text string `json:"text"`
}

// TestPlainStructs: structs around chat/v1 values, such as reply shapes,
// encode as encoding/json encodes them, or go through it.
func TestPlainStructs(t *testing.T) {
	same(t, struct{}{})
	same(t, &reply{})
	same(t, reply{
		Action: &chat.ActionResponse{Type: "NEW_MESSAGE"},
		Cards:  json.RawMessage(` [ {"cardId" : "x<"} ] `),
		Nav: []nav{{Push: &chat.GoogleAppsCardV1Card{Name: "n"}}, {End: &struct {
			Action string `json:"action"`
		}{"CLOSE_DIALOG"}}},
		Count:  42,
		hidden: "never",
	})
	same(t, untagged{"x"})
	same(t, embeds{Text: "y"})
	same(t, map[string]*chat.User{"a": {Name: "users/1"}})
	same(t, []any{&chat.User{Name: "users/1"}, 3.5, nil})
}

func TestEncoded(t *testing.T) {
	cards, err := Marshal([]*chat.CardWithId{{CardId: "c<"}})
	if err != nil {
		t.Fatal(err)
	}
	type msg struct {
		Cards Encoded `json:"cardsV2,omitempty"`
		Text  string  `json:"text"`
	}
	same(t, msg{Cards: cards, Text: "t"})
	same(t, msg{})
	same(t, struct {
		E Encoded `json:"e"`
	}{})
	got, _ := Marshal(msg{Cards: cards})
	if want := `{"cardsV2":[{"cardId":"c\u003c"}],"text":""}`; string(got) != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestConcurrentFirstUse(t *testing.T) {
	done := make(chan []byte)
	for range 8 {
		go func() {
			b, _ := Marshal(&chat.Message{Text: "x", CardsV2: []*chat.CardWithId{{CardId: "c"}}})
			done <- b
		}()
	}
	for range 8 {
		if b := <-done; string(b) != `{"cardsV2":[{"cardId":"c"}],"text":"x"}` {
			t.Fatalf("got %s", b)
		}
	}
}

func FuzzStrings(f *testing.F) {
	for _, s := range []string{"", "<>&", "\u2028", "\xff", "a\"b\\c", "\x00\x7f", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		same(t, &chat.GoogleAppsCardV1TextParagraph{Text: s})
	})
}

func BenchmarkResultCard(b *testing.B) {
	cards := []*chat.CardWithId{{CardId: "invite-result", Card: &chat.GoogleAppsCardV1Card{
		Header: &chat.GoogleAppsCardV1CardHeader{Title: "Invite", Subtitle: "1 added"},
		Sections: []*chat.GoogleAppsCardV1Section{{Header: "Added (1)", Widgets: []*chat.GoogleAppsCardV1Widget{{
			DecoratedText: &chat.GoogleAppsCardV1DecoratedText{
				StartIcon: &chat.GoogleAppsCardV1Icon{KnownIcon: "PERSON"}, Text: "bob@example.com", WrapText: true,
			},
		}}}},
	}}}
	b.Run("chatjson", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Marshal(cards); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(cards); err != nil {
				b.Fatal(err)
			}
		}
	})
}
