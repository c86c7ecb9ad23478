package commands

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/chatinvite/invitebot/internal/membership"
)

func names(ts []membership.Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

func TestParseInvite(t *testing.T) {
	bob := MentionRef{Placeholder: "\x00m0\x00", User: "users/222", Display: "@Bob"}
	cases := []struct {
		name     string
		args     string
		mentions []MentionRef
		targets  []string
		spaces   []string
	}{
		{"one email", " alice@example.com", nil, []string{"users/alice@example.com"}, nil},
		{"separators", "a@x.com,b@x.com; c@x.com\nd@x.com  e@x.com", nil,
			[]string{"users/a@x.com", "users/b@x.com", "users/c@x.com", "users/d@x.com", "users/e@x.com"}, nil},
		{"wrappers", "<a@x.com> mailto:b@x.com <mailto:C@X.com>", nil, []string{"users/a@x.com", "users/b@x.com", "users/c@x.com"}, nil},
		{"dedupe case-insensitively", "A@x.com a@X.com users/a@x.com", nil, []string{"users/a@x.com"}, nil},
		{"ids", "users/123 people/456 789", nil, []string{"users/123", "users/456", "users/789"}, nil},
		{"people and users dedupe", "people/456 users/456", nil, []string{"users/456"}, nil},
		{"group and app", "groups/eng app users/app", nil, []string{"groups/eng", "users/app"}, nil},
		{"mention", " \x00m0\x00 , c@x.com", []MentionRef{bob}, []string{"users/222", "users/c@x.com"}, nil},
		{"to spaces", "a@x.com to spaces/AAA, spaces/BBB spaces/AAA", nil, []string{"users/a@x.com"}, []string{"spaces/AAA", "spaces/BBB"}},
		{"TO space links", "a@x.com TO https://chat.google.com/room/AAA?cls=7 https://mail.google.com/chat/u/0/#chat/space/BBB", nil,
			[]string{"users/a@x.com"}, []string{"spaces/AAA", "spaces/BBB"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := ParseInvite(tc.args, tc.mentions)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(names(req.Targets), tc.targets) || !reflect.DeepEqual(req.Spaces, tc.spaces) {
				t.Fatalf("got %v %v, want %v %v", names(req.Targets), req.Spaces, tc.targets, tc.spaces)
			}
		})
	}
}

func TestParseInviteKeepsWhatWasTyped(t *testing.T) {
	req, err := ParseInvite("<Alice@Example.com> people/9", nil)
	if err != nil {
		t.Fatal(err)
	}
	if req.Targets[0].Typed != "<Alice@Example.com>" || req.Targets[0].Email != "alice@example.com" || req.Targets[1].Typed != "people/9" {
		t.Fatalf("%+v", req.Targets)
	}
}

func TestParseInviteErrors(t *testing.T) {
	for args, token := range map[string]string{
		"":                         "",
		" , ; ":                    "",
		"alice":                    "alice",
		"a@x.com @Bob":             "@Bob",
		"a@x.com users/abc":        "users/abc",
		"a@x.com groups/":          "groups/",
		"a@x.com people/x":         "people/x",
		"a@x.com to":               "to",
		"a@x.com to rooms/1":       "rooms/1",
		"a@x.com to https://x.com": "https://x.com",
		"a@@x.com":                 "a@@x.com",
		"a@x":                      "a@x",
	} {
		_, err := ParseInvite(args, nil)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Token != token {
			t.Errorf("%q: err = %v, want a parse error naming %q", args, err, token)
		}
	}
}

func TestMentionArgs(t *testing.T) {
	text := "/invite @Bob Smith, alice@example.com"
	args, refs := MentionArgs(text, " @Bob Smith, alice@example.com", []MentionSpan{{Start: 8, Length: 10, User: "users/222"}})
	req, err := ParseInvite(args, refs)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(req.Targets); !reflect.DeepEqual(got, []string{"users/222", "users/alice@example.com"}) || req.Targets[0].Typed != "@Bob Smith" {
		t.Fatalf("got %v (%+v)", got, req.Targets)
	}
	// Without mentions the argument text is used as is.
	if args, _ := MentionArgs("/invite a@x.com", " a@x.com", nil); strings.TrimSpace(args) != "a@x.com" {
		t.Fatalf("args %q", args)
	}
	// A span that does not point at an @ is ignored rather than trusted.
	if _, refs := MentionArgs("/invite x", " x", []MentionSpan{{Start: 8, Length: 1, User: "users/1"}}); len(refs) != 0 {
		t.Fatal("bad span used")
	}
}

// TestMentionAfterEmoji: Chat does not say whether mention offsets count
// code points or UTF-16 units; after an emoji they differ, and either
// reading must find the mention.
func TestMentionAfterEmoji(t *testing.T) {
	text := "/invite 🎉 @Bob 👋🏽 and @Carol"
	bob, carol := strings.Index(text, "@Bob"), strings.Index(text, "@Carol")
	for name, off := range map[string]func(byteOff int) int64{
		"code points": func(i int) int64 { return int64(len([]rune(text[:i]))) },
		"UTF-16":      func(i int) int64 { return int64(len(utf16.Encode([]rune(text[:i])))) },
	} {
		t.Run(name, func(t *testing.T) {
			args, refs := MentionArgs(text, "", []MentionSpan{
				{Start: off(bob), Length: 4, User: "users/2"},
				{Start: off(carol), Length: 6, User: "users/3"},
			})
			if len(refs) != 2 || refs[0].Display != "@Bob" || refs[1].Display != "@Carol" {
				t.Fatalf("refs %+v", refs)
			}
			if strings.Contains(args, "@") {
				t.Fatalf("a mention was left in %q", args)
			}
		})
	}
}

// TestMentionSplicingIsLinear: a message of thousands of mentions is
// spliced in one pass (the old splice copied the text once per mention).
func TestMentionSplicingIsLinear(t *testing.T) {
	var b strings.Builder
	var spans []MentionSpan
	b.WriteString("/invite")
	for i := range 5000 {
		b.WriteString(" ")
		spans = append(spans, MentionSpan{Start: int64(len([]rune(b.String()))), Length: 2, User: fmt.Sprintf("users/%d", i)})
		b.WriteString("@x")
	}
	allocs := testing.AllocsPerRun(1, func() { MentionArgs(b.String(), "", spans) })
	if _, refs := MentionArgs(b.String(), "", spans); len(refs) != 5000 {
		t.Fatalf("%d refs", len(refs))
	}
	if allocs > 5000*4 {
		t.Fatalf("%.0f allocations for 5000 mentions: not linear", allocs)
	}
}

// TestAddressesAsMailClientsCopyThem: display names, quoted or not.
func TestAddressesAsMailClientsCopyThem(t *testing.T) {
	for _, in := range []string{
		"Ana Example <ana@example.com>, Bob <bob@example.com>",
		`"Example, Ana" <ana@example.com>; "Bob" <bob@example.com>`,
		"Ana Example <ana@example.com>\nBob B. <mailto:bob@example.com>",
	} {
		in = strings.ReplaceAll(in, `\n`, "\n")
		req, err := ParseInvite(in, nil)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got := names(req.Targets); !reflect.DeepEqual(got, []string{"users/ana@example.com", "users/bob@example.com"}) {
			t.Fatalf("%q: %v", in, got)
		}
	}
}

// TestParseErrorQuotesAShortPrefix: a card never repeats a whole paste.
func TestParseErrorQuotesAShortPrefix(t *testing.T) {
	_, err := ParseInvite(strings.Repeat("x", 10000), nil)
	if err == nil || len(err.Error()) > 300 {
		t.Fatalf("error of %d bytes: %.80v", len(err.Error()), err)
	}
}

func FuzzParseInvite(f *testing.F) {
	for _, s := range []string{"a@x.com", "a@x.com to spaces/A", "<mailto:a@x.com>, users/1; groups/g\napp", "to", "@x", "\x00m0\x00", "people/1 to https://chat.google.com/room/A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, args string) {
		req, err := ParseInvite(args, []MentionRef{{Placeholder: "\x00m0\x00", User: "users/1", Display: "@X"}})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
			return
		}
		if len(req.Targets) == 0 {
			t.Fatal("no targets and no error")
		}
		seen := map[string]bool{}
		for _, tg := range req.Targets {
			key := strings.ToLower(tg.Name)
			if seen[key] {
				t.Fatalf("duplicate %s", tg.Name)
			}
			seen[key] = true
			if !strings.HasPrefix(tg.Name, "users/") && !strings.HasPrefix(tg.Name, "groups/") {
				t.Fatalf("bad name %q", tg.Name)
			}
		}
		for _, s := range req.Spaces {
			if !strings.HasPrefix(s, "spaces/") {
				t.Fatalf("bad space %q", s)
			}
		}
	})
}

// FuzzMentionArgs: whatever offsets an annotation claims, splicing never
// panics, every mention it takes starts with "@" and its placeholder is
// in the arguments.
func FuzzMentionArgs(f *testing.F) {
	f.Add("/invite @Bob x@y.z", int64(8), int64(4), int64(0), int64(0))
	f.Add("/invite 🎉 @Bob @Al", int64(10), int64(4), int64(15), int64(3))
	f.Add("@", int64(0), int64(1), int64(-1), int64(99))
	f.Fuzz(func(t *testing.T, text string, s1, l1, s2, l2 int64) {
		args, refs := MentionArgs(text, "", []MentionSpan{{Start: s1, Length: l1, User: "users/1"}, {Start: s2, Length: l2, User: "users/2"}})
		for _, r := range refs {
			if !strings.HasPrefix(r.Display, "@") || !strings.Contains(args, r.Placeholder) {
				t.Fatalf("ref %+v, args %q", r, args)
			}
		}
	})
}

// TestParseRemove: /remove takes /invite's targets, "me" for the caller
// and "from" before spaces; "members of" and "to" are /invite's.
func TestParseRemove(t *testing.T) {
	req, err := ParseRemove("bob@example.com, groups/eng me app from spaces/AAA", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(req.Targets), " "); got != "users/bob@example.com groups/eng me users/app" || len(req.Spaces) != 1 || req.Spaces[0] != "spaces/AAA" {
		t.Fatalf("got %v %v", got, req.Spaces)
	}
	for _, bad := range []string{"", "members of spaces/AAA", "bob@example.com from", "bob@example.com to spaces/AAA"} {
		if _, err := ParseRemove(bad, nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestParseErrorNamesEveryItem: a pasted list with several items that are
// not addresses names every one of them, grouped by why, not only the
// first; nothing is done.
func TestParseErrorNamesEveryItem(t *testing.T) {
	_, err := ParseInvite("ana@example.com bob, carol; dave@example.com @Eve erin to spaces/A rooms/1 https://x.example", nil)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Token != "bob" {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		`"bob", "carol", "erin": is not an email address, an @mention or “app”`,
		`"@Eve": is not a mention Chat recognised: pick the person from the @ list, or type their email`,
		`"rooms/1", "https://x.example": is not a space: paste a link to the space`,
	}
	if got := pe.Lines(); !reflect.DeepEqual(got, want) {
		t.Fatalf("lines\n%q\nwant\n%q", got, want)
	}
	if err.Error() != strings.Join(want, "; ") {
		t.Fatalf("error %q", err)
	}
	// A paste of thousands stays short: the first ones, then a count;
	// an item pasted twice is named once.
	var many []string
	for i := range 5000 {
		many = append(many, fmt.Sprintf("nobody%d", i))
	}
	_, err = ParseInvite(strings.Join(many, " ")+" nobody0 nobody1", nil)
	if !errors.As(err, &pe) {
		t.Fatal(err)
	}
	lines := pe.Lines()
	if len(err.Error()) > 2000 || lines[len(lines)-1] != "and 4900 more that could not be read" {
		t.Fatalf("%d bytes, last line %q", len(err.Error()), lines[len(lines)-1])
	}
}
