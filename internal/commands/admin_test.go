package commands

import (
	"slices"
	"strings"
	"testing"

	"github.com/chatinvite/invitebot/internal/membership"
)

// TestParseAsAdmin: "as admin" ends /invite and /remove, any case, and
// needs the spaces named; "members of" is refused with it.
func TestParseAsAdmin(t *testing.T) {
	for _, tc := range []struct {
		args  string
		op    membership.Op
		admin bool
		want  []string // spaces
		err   string
	}{
		{args: "bob@example.com to spaces/AAA as admin", admin: true, want: []string{"spaces/AAA"}},
		{args: "bob@example.com, ana@example.com to spaces/AAA spaces/BBB AS Admin", admin: true, want: []string{"spaces/AAA", "spaces/BBB"}},
		{args: "bob@example.com from spaces/AAA as admin", op: membership.Remove, admin: true, want: []string{"spaces/AAA"}},
		{args: "bob@example.com to spaces/AAA", want: []string{"spaces/AAA"}},
		{args: "bob@example.com as admin", err: "needs the space named"},
		{args: "me as admin", op: membership.Remove, err: "needs the space named"},
		{args: "members of spaces/AAA to spaces/BBB as admin", err: "“as admin”"},
		{args: "as admin", err: "name at least one"},
	} {
		req, err := parseRequest(tc.args, nil, tc.op)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || req.Admin != tc.admin || !slices.Equal(req.Spaces, tc.want) || len(req.Targets) == 0 {
			t.Errorf("%q: %+v %v", tc.args, req, err)
		}
	}
}

// TestAdminRefuses: Google's admin limits, settled before any call:
// apps never; people of other organizations not added (removing them is
// supported); people named by id are of the organization.
func TestAdminRefuses(t *testing.T) {
	add := &Invite{Deps: Deps{Policy: Policy{AdminDomains: []string{"example.com", "example.co.uk"}}}, admin: true}
	remove := &Invite{Deps: add.Deps, op: membership.Remove, admin: true}
	for _, tc := range []struct {
		iv     *Invite
		target membership.Target
		refuse bool
	}{
		{add, membership.Target{Kind: membership.TargetApp, Name: "users/app"}, true},
		{remove, membership.Target{Kind: membership.TargetApp, Name: "users/app"}, true},
		{add, emailTarget("erin@partner.example", "erin@partner.example"), true},
		{remove, emailTarget("erin@partner.example", "erin@partner.example"), false},
		{add, emailTarget("ana@example.co.uk", "ana@example.co.uk"), false},
		{add, membership.Target{Kind: membership.TargetUser, Name: "users/123"}, false},
		{add, membership.Target{Kind: membership.TargetGroup, Name: "groups/eng"}, false},
	} {
		if got := tc.iv.adminRefuses(tc.target) != ""; got != tc.refuse {
			t.Errorf("op %d %s: refused %v", tc.iv.op, tc.target.Name, got)
		}
	}
}
