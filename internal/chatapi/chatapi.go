// Package chatapi calls the Chat API's membership methods with a user's
// access token, through google.golang.org/api/chat/v1.
package chatapi

import (
	"context"
	"fmt"
	"net/http"

	chat "google.golang.org/api/chat/v1"
	"google.golang.org/api/option"
)

// Client calls the Chat API as whichever user's token each call names.
type Client struct {
	svc *chat.Service
}

// New returns a client for the Chat API at endpoint (Google's, or an
// emulator's) over client, which must carry no credentials of its own: each
// call sets its user's bearer token.
func New(ctx context.Context, endpoint string, client *http.Client) (*Client, error) {
	svc, err := chat.NewService(ctx, option.WithHTTPClient(client), option.WithEndpoint(endpoint))
	if err != nil {
		return nil, fmt.Errorf("chat api client: %w", err)
	}
	return &Client{svc: svc}, nil
}

func bearer(h http.Header, accessToken string) { h.Set("Authorization", "Bearer "+accessToken) }

// CreateMembership calls spaces.members.create as the owner of accessToken.
func (c *Client) CreateMembership(ctx context.Context, accessToken, space string, m *chat.Membership) (*chat.Membership, error) {
	call := c.svc.Spaces.Members.Create(space, m).Context(ctx)
	bearer(call.Header(), accessToken)
	out, err := call.Do()
	if err != nil {
		return nil, fmt.Errorf("create membership in %s: %w", space, err)
	}
	return out, nil
}

// GetMembership calls spaces.members.get as the owner of accessToken; name
// is spaces/{space}/members/{member}.
func (c *Client) GetMembership(ctx context.Context, accessToken, name string) (*chat.Membership, error) {
	call := c.svc.Spaces.Members.Get(name).Context(ctx)
	bearer(call.Header(), accessToken)
	out, err := call.Do()
	if err != nil {
		return nil, fmt.Errorf("get membership %s: %w", name, err)
	}
	return out, nil
}
