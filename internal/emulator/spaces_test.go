package emulator

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/chatapi"
)

// Rules from https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces/get
// and .../spaces/list (chat/v1 discovery document): a spaces scope, the
// caller's spaces only, pages, a space-type filter.
func TestSpacesGetAndListFollowGoogle(t *testing.T) {
	e := start(t)
	for i := range 5 {
		id := "S" + strconv.Itoa(i)
		e.AddSpace(Space{ID: id, DisplayName: "Space " + strconv.Itoa(i), Domain: "example.com"})
		e.AddMember(id, "1", RoleMember)
	}
	e.AddSpace(Space{ID: "G", Type: SpaceTypeGroup, Domain: "example.com"})
	e.AddMember("G", "1", RoleMember)
	e.AddSpace(Space{ID: "T", DisplayName: "Theirs", Domain: "example.com"})
	e.AddMember("T", "2", RoleOwner)
	grant := func(scope string) string {
		c := code(t, e, "verifier-verifier-verifier-verifier-verifier-1", scope)
		_, out := token(t, e, url.Values{"grant_type": {"authorization_code"}, "code": {c}, "code_verifier": {"verifier-verifier-verifier-verifier-verifier-1"},
			"redirect_uri": {"http://127.0.0.1:1/cb"}, "client_id": {"c"}, "client_secret": {"s"}})
		return out["access_token"].(string)
	}
	get := func(bearer, path string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, e.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		return do(t, req)
	}
	members := grant(ScopeMemberships)
	if status, _ := get(members, "/v1/spaces/S0"); status != http.StatusForbidden {
		t.Fatalf("spaces.get with chat.memberships only: %d, want 403", status)
	}
	if status, _ := get(members, "/v1/spaces"); status != http.StatusForbidden {
		t.Fatalf("spaces.list with chat.memberships only: %d, want 403", status)
	}
	tok := grant(ScopeSpacesReadonly)
	if status, out := get(tok, "/v1/spaces/S1"); status != 200 || out["displayName"] != "Space 1" || out["name"] != "spaces/S1" || out["spaceType"] != "SPACE" {
		t.Fatalf("spaces.get: %d %v", status, out)
	}
	if status, _ := get(tok, "/v1/spaces/T"); status != http.StatusNotFound {
		t.Fatalf("spaces.get of a space the caller is not in: %d, want 404", status)
	}
	if status, _ := get(grant(ScopeSpaces), "/v1/spaces/S1"); status != 200 {
		t.Fatalf("spaces.get with chat.spaces: %d", status)
	}
	for _, bad := range []string{"pageSize=-1", "filter=" + url.QueryEscape(`display_name = "x"`), "filter=" + url.QueryEscape(`space_type = "SPACE_TYPE_UNSPECIFIED"`)} {
		if status, _ := get(tok, "/v1/spaces?"+bad); status != http.StatusBadRequest {
			t.Fatalf("spaces.list?%s: %d, want 400", bad, status)
		}
	}
	if status, out := get(tok, "/v1/spaces?filter="+url.QueryEscape(`spaceType = "GROUP_CHAT" OR spaceType = "DIRECT_MESSAGE"`)); status != 200 || len(out["spaces"].([]any)) != 1 {
		t.Fatalf("spaces.list of group chats: %d %v", status, out)
	}

	// Through Google's own client, two at a time: every page read, the
	// caller's named spaces only, the limit kept.
	c, err := chatapi.New(context.Background(), e.URL(), http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := c.ListSpaces(context.Background(), tok, chatapi.NamedSpacesFilter, 0, func(s *chat.Space) error {
		names = append(names, s.Name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(names) != 5 || names[0] != "spaces/S0" || names[4] != "spaces/S4" {
		t.Fatalf("listed %v, want the caller's 5 named spaces", names)
	}
	if status, out := get(tok, "/v1/spaces?pageSize=2&filter="+url.QueryEscape(chatapi.NamedSpacesFilter)); status != 200 || len(out["spaces"].([]any)) != 2 || out["nextPageToken"] == nil {
		t.Fatalf("first page of 2: %d %v", status, out)
	}
	names = nil
	if err := c.ListSpaces(context.Background(), tok, chatapi.NamedSpacesFilter, 3, func(s *chat.Space) error {
		names = append(names, s.Name)
		return nil
	}); err != nil || len(names) != 3 {
		t.Fatalf("limited to 3: %v %v", names, err)
	}
	s, err := c.GetSpace(context.Background(), tok, "spaces/S2")
	if err != nil || s.DisplayName != "Space 2" {
		t.Fatalf("GetSpace: %v %v", s, err)
	}
}
