package commands

import (
	"reflect"
	"testing"
)

// TestParsePreview: a leading "preview" asks only for a preview, in every
// form the commands take; "preview" is never a target (it names nobody),
// and only its leading place means it.
func TestParsePreview(t *testing.T) {
	cases := []struct {
		name, args string
		remove     bool
		targets    []string
		copyFrom   []string
	}{
		{"emails", "preview a@x.com, b@x.com", false, []string{"users/a@x.com", "users/b@x.com"}, nil},
		{"any case", "PREVIEW groups/eng app", false, []string{"groups/eng", "users/app"}, nil},
		{"members of", "preview members of spaces/SRC", false, []string{}, []string{"spaces/SRC"}},
		{"to spaces", "preview users/123 to spaces/AAA", false, []string{"users/123"}, nil},
		{"remove", "preview a@x.com from spaces/AAA", true, []string{"users/a@x.com"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parse := ParseInvite
			if tc.remove {
				parse = ParseRemove
			}
			req, err := parse(tc.args, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !req.Preview || !reflect.DeepEqual(names(req.Targets), tc.targets) || !reflect.DeepEqual(req.CopyFrom, tc.copyFrom) {
				t.Fatalf("got preview=%v %v %v", req.Preview, names(req.Targets), req.CopyFrom)
			}
		})
	}
	if req, err := ParseInvite("a@x.com", nil); err != nil || req.Preview {
		t.Fatalf("a plain /invite previews: %+v %v", req, err)
	}
	for _, args := range []string{"preview", "a@x.com preview", "preview preview a@x.com"} {
		if _, err := ParseInvite(args, nil); err == nil {
			t.Errorf("%q: want an error (preview names nobody)", args)
		}
	}
}
