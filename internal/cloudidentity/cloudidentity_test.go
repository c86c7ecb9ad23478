package cloudidentity_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/cloudidentity"
	"github.com/chatinvite/invitebot/internal/emulator"
)

// TestFindGroupOverHTTP resolves a group's address against the emulator's
// groups.lookup and groups.get, as Google documents them
// (https://cloud.google.com/identity/docs/reference/rest/v1/groups/lookup):
// a group's name and display name; no group for a person's address (404);
// a token without a Cloud Identity scope refused (403).
func TestFindGroupOverHTTP(t *testing.T) {
	e, err := emulator.Start("", emulator.WithAdmin())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	e.AddPerson(emulator.Person{ID: "1", Email: "ana@example.com", DisplayName: "Ana"})
	e.AddGroup("eng", "Engineering")
	e.SetGroupAddress("eng", "eng@example.com")
	c := cloudidentity.New(e.URL(), &http.Client{Timeout: 10 * time.Second})
	ctx := context.Background()
	withScope, withoutScope := accessToken(t, e, cloudidentity.ScopeGroupsReadonly), accessToken(t, e, emulator.ScopeMemberships)

	name, display, found, err := c.FindGroup(ctx, withScope, "ENG@example.com")
	if err != nil || !found || name != "groups/eng" || display != "Engineering" {
		t.Fatalf("group: %q %q %v %v", name, display, found, err)
	}
	if _, _, found, err := c.FindGroup(ctx, withScope, "ana@example.com"); err != nil || found {
		t.Fatalf("a person's address: found %v, %v", found, err)
	}
	_, _, _, err = c.FindGroup(ctx, withoutScope, "eng@example.com")
	if !cloudidentity.InsufficientScope(err) {
		t.Fatalf("without the scope: %v", err)
	}
	if got := e.GroupLookups(); got != 2 {
		t.Fatalf("lookups answered %d, want 2", got)
	}
}

// accessToken is ana's token with scope, from the emulator's admin route.
func accessToken(t *testing.T, e *emulator.Emulator, scope string) string {
	t.Helper()
	resp, err := http.Get(e.URL() + "/_emulator/access-token?" + url.Values{"email": {"ana@example.com"}, "scope": {scope}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("access token: %d %s", resp.StatusCode, b)
	}
	return string(b)
}
