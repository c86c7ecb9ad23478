// Package chatapi calls the Chat API's membership methods with a user's
// access token, through google.golang.org/api/chat/v1.
package chatapi

import (
	"context"
	"errors"
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
	if AdminAccess(ctx) {
		call.UseAdminAccess(true)
	}
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
	if AdminAccess(ctx) {
		call.UseAdminAccess(true)
	}
	bearer(call.Header(), accessToken)
	out, err := call.Do()
	if err != nil {
		return nil, fmt.Errorf("get membership %s: %w", name, err)
	}
	return out, nil
}

// DeleteMembership calls spaces.members.delete as the owner of
// accessToken; name is spaces/{space}/members/{member} (a person's id or
// email, a membership's id, or app).
func (c *Client) DeleteMembership(ctx context.Context, accessToken, name string) (*chat.Membership, error) {
	call := c.svc.Spaces.Members.Delete(name).Context(ctx)
	if AdminAccess(ctx) {
		call.UseAdminAccess(true)
	}
	bearer(call.Header(), accessToken)
	out, err := call.Do()
	if err != nil {
		return nil, fmt.Errorf("delete membership %s: %w", name, err)
	}
	return out, nil
}

// ListOptions choose what spaces.members.list returns beyond joined
// people and apps: groups only with showGroups, invited people only with
// showInvited (the method's documented parameters).
type ListOptions struct {
	ShowGroups  bool
	ShowInvited bool
}

// ErrStopListing, returned by ListMembers' callback, ends the listing
// without reading further pages; ListMembers then returns nil.
var ErrStopListing = errors.New("stop listing")

// ListMembers calls spaces.members.list as the owner of accessToken, a page
// of up to 1,000 at a time (Google's most), handing each membership to each
// as it comes: a large space is never held in memory whole.
func (c *Client) ListMembers(ctx context.Context, accessToken, space string, opt ListOptions, each func(*chat.Membership) error) error {
	call := c.svc.Spaces.Members.List(space).PageSize(1000).ShowGroups(opt.ShowGroups).ShowInvited(opt.ShowInvited).Context(ctx)
	if AdminAccess(ctx) {
		call.UseAdminAccess(true).Filter(adminListFilter)
	}
	bearer(call.Header(), accessToken)
	err := call.Pages(ctx, func(page *chat.ListMembershipsResponse) error {
		for _, m := range page.Memberships {
			if err := each(m); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, ErrStopListing) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list members of %s: %w", space, err)
	}
	return nil
}

// App calls the Chat API as the app itself (scope chat.bot), for the
// messages the app creates and updates.
type App struct {
	svc *chat.Service
}

// NewApp returns the app's client at endpoint; client carries the app's
// credentials (an oauth2 client over its token source).
func NewApp(ctx context.Context, endpoint string, client *http.Client) (*App, error) {
	svc, err := chat.NewService(ctx, option.WithHTTPClient(client), option.WithEndpoint(endpoint))
	if err != nil {
		return nil, fmt.Errorf("chat api app client: %w", err)
	}
	return &App{svc: svc}, nil
}

// CreateMessage calls spaces.messages.create with a client-assigned id.
func (a *App) CreateMessage(ctx context.Context, space, messageID string, m *chat.Message) (string, error) {
	out, err := a.svc.Spaces.Messages.Create(space, m).MessageId(messageID).Context(ctx).Do()
	if err != nil {
		return "", fmt.Errorf("create message in %s: %w", space, err)
	}
	return out.Name, nil
}

// UpdateMessage calls spaces.messages.patch, replacing text and cards.
func (a *App) UpdateMessage(ctx context.Context, name string, m *chat.Message) error {
	if _, err := a.svc.Spaces.Messages.Patch(name, m).UpdateMask("text,cardsV2").Context(ctx).Do(); err != nil {
		return fmt.Errorf("update message %s: %w", name, err)
	}
	return nil
}
