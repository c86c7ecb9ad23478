// Package cloudidentity finds a Google Group by its email address, with a
// user's access token, through the Cloud Identity API: people paste a
// group's address (eng@example.com), and Chat adds a group only by its
// resource name, groups/{id} (Membership.groupMember.name in the chat/v1
// discovery document: "Resource name for a Google Group. Represents a group
// in Cloud Identity Groups API. Format: groups/{group}").
package cloudidentity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ScopeGroupsReadonly is the narrowest scope groups.lookup and groups.get
// accept (https://cloud.google.com/identity/docs/reference/rest/v1/groups/lookup).
const ScopeGroupsReadonly = "https://www.googleapis.com/auth/cloud-identity.groups.readonly"

// Client calls the Cloud Identity API as whichever user's token each call
// names.
type Client struct {
	base string
	http *http.Client
}

// New returns a client for the Cloud Identity API at base (Google's
// https://cloudidentity.googleapis.com/, or an emulator's), over client,
// which must carry no credentials of its own.
func New(base string, client *http.Client) *Client {
	return &Client{base: strings.TrimRight(base, "/") + "/", http: client}
}

// APIError is Google's answer to a call that failed.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("cloud identity: %d %s", e.Status, e.Message)
}

// FindGroup returns the group whose address is email: its resource name
// (groups/{id}) and display name. found is false when Google knows no group
// of that address visible to the user: groups.lookup answers 404 then, and
// 403 for a group the caller may not see ("or it may not exist"), which is
// read the same way.
func (c *Client) FindGroup(ctx context.Context, accessToken, email string) (name, displayName string, found bool, err error) {
	// GET v1/groups:lookup?groupKey.id=EMAIL answers {"name":"groups/ID"}
	// (https://cloud.google.com/identity/docs/reference/rest/v1/groups/lookup).
	var looked struct {
		Name string `json:"name"`
	}
	err = c.get(ctx, accessToken, "v1/groups:lookup?"+url.Values{"groupKey.id": {email}}.Encode(), &looked)
	if notFound(err) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("look up group %s: %w", email, err)
	}
	if !strings.HasPrefix(looked.Name, "groups/") || strings.Contains(strings.TrimPrefix(looked.Name, "groups/"), "/") {
		return "", "", false, fmt.Errorf("look up group %s: unexpected name %q", email, looked.Name)
	}
	// GET v1/groups/{id} answers the Group, with its displayName
	// (https://cloud.google.com/identity/docs/reference/rest/v1/groups/get).
	var g struct {
		DisplayName string `json:"displayName"`
	}
	if err := c.get(ctx, accessToken, "v1/"+looked.Name, &g); err != nil {
		// The name is what Chat needs: the display name only reads better.
		return looked.Name, "", true, nil
	}
	return looked.Name, g.DisplayName, true, nil
}

// notFound: 404, or 403 with a scope that allows the call (Google answers
// 403 for a group the caller may not see).
func notFound(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.Status == http.StatusNotFound || (ae.Status == http.StatusForbidden && !strings.Contains(strings.ToLower(ae.Message), "scope"))
}

// InsufficientScope reports whether err is Google refusing a token that
// lacks the scope.
func InsufficientScope(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusForbidden && strings.Contains(strings.ToLower(ae.Message), "scope")
}

func (c *Client) get(ctx context.Context, accessToken, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		return &APIError{Status: resp.StatusCode, Message: e.Error.Message}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}
