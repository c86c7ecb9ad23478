// Package chatapi calls the Chat API's membership methods with a user's
// access token, through google.golang.org/api/chat/v1, and sorts its
// answers into what they mean for a person.
package chatapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	chat "google.golang.org/api/chat/v1"
	"google.golang.org/api/option"
)

// Client calls the Chat API as whichever user's token rides in the context.
type Client struct {
	svc *chat.Service
}

type tokenKey struct{}

// bearer adds the context's access token to each request.
type bearer struct{ base http.RoundTripper }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	token, _ := r.Context().Value(tokenKey{}).(string)
	if token == "" {
		return nil, errors.New("chat api: no access token in context")
	}
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", "Bearer "+token)
	return b.base.RoundTrip(r2)
}

// New returns a client for the Chat API at endpoint (Google's, or an
// emulator's) over base (nil: http.DefaultTransport).
func New(ctx context.Context, endpoint string, base http.RoundTripper) (*Client, error) {
	if base == nil {
		base = http.DefaultTransport
	}
	svc, err := chat.NewService(ctx,
		option.WithHTTPClient(&http.Client{Transport: bearer{base}}),
		option.WithEndpoint(endpoint))
	if err != nil {
		return nil, fmt.Errorf("chat api client: %w", err)
	}
	return &Client{svc: svc}, nil
}

// CreateMembership calls spaces.members.create as the owner of accessToken.
func (c *Client) CreateMembership(ctx context.Context, accessToken, space string, m *chat.Membership) (*chat.Membership, error) {
	out, err := c.svc.Spaces.Members.Create(space, m).Context(context.WithValue(ctx, tokenKey{}, accessToken)).Do()
	if err != nil {
		return nil, fmt.Errorf("create membership in %s: %w", space, err)
	}
	return out, nil
}

// GetMembership calls spaces.members.get as the owner of accessToken; name
// is spaces/{space}/members/{member}.
func (c *Client) GetMembership(ctx context.Context, accessToken, name string) (*chat.Membership, error) {
	out, err := c.svc.Spaces.Members.Get(name).Context(context.WithValue(ctx, tokenKey{}, accessToken)).Do()
	if err != nil {
		return nil, fmt.Errorf("get membership %s: %w", name, err)
	}
	return out, nil
}
