package sandbox

import "testing"

// TestSandboxAdminActsWhereNotAMember: Ada Admin, in IT Desk only, adds
// and removes in Launch "as admin"; Launch shows the organization's
// administrator did it, never her name, as Chat does
// (https://developers.google.com/workspace/chat/admin-overview).
func TestSandboxAdminActsWhereNotAMember(t *testing.T) {
	s := startSandbox(t, Options{})
	s.chat.send(sandboxAdmin, "itdesk", "/invite dan@example.com to spaces/launch as admin", nil)
	consentAndRun(t, s, "itdesk", sandboxAdmin, "ada@example.com")
	if st := memberState(s, "launch", "1005"); st == "" {
		t.Fatal("Dan was not added to Launch")
	}
	s.chat.send(sandboxAdmin, "itdesk", "/remove dan@example.com from spaces/launch as admin", nil)
	if st := memberState(s, "launch", "1005"); st != "" {
		t.Fatalf("Dan is still in Launch (%s)", st)
	}
	if st := memberState(s, "launch", sandboxAdmin); st != "" {
		t.Fatal("Ada became a member of Launch")
	}
	s.chat.observe()
	want := map[string]bool{"The organization's administrator added Dan Newcomer": false, "The organization's administrator removed Dan Newcomer": false}
	var got []string
	for _, m := range s.chat.visible("launch", "1001") {
		if m.Sender == "system" {
			got = append(got, m.Text)
			if _, ok := want[m.Text]; ok {
				want[m.Text] = true
			}
		}
	}
	for line, seen := range want {
		if !seen {
			t.Fatalf("no line %q in %q", line, got)
		}
	}
}
