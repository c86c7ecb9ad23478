package chatapi

// Spaces by their display names: spaces.get and spaces.list with a user's
// token. With user authentication both need chat.spaces.readonly or
// chat.spaces (chat/v1 discovery document, spaces.get and spaces.list;
// https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces/get,
// https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces/list).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	chat "google.golang.org/api/chat/v1"
	"google.golang.org/api/googleapi"
)

// NamedSpacesFilter lists only named spaces, not group chats or direct
// messages: the filter as spaces.list documents it (`space_type = "SPACE"`).
const NamedSpacesFilter = `space_type = "SPACE"`

// GetSpace calls spaces.get as the owner of accessToken; name is
// spaces/{space}.
func (c *Client) GetSpace(ctx context.Context, accessToken, name string) (*chat.Space, error) {
	call := c.svc.Spaces.Get(name).Context(ctx)
	bearer(call.Header(), accessToken)
	out, err := call.Do()
	if err != nil {
		return nil, fmt.Errorf("get space %s: %w", name, err)
	}
	return out, nil
}

// ListSpaces calls spaces.list as the owner of accessToken (the spaces the
// user is a member of), with filter, handing each space to each, page by
// page, until limit spaces have been handed (limit > 0) or the pages end.
func (c *Client) ListSpaces(ctx context.Context, accessToken, filter string, limit int, each func(*chat.Space) error) error {
	size := 1000 // Google's most
	if limit > 0 && limit < size {
		size = limit
	}
	call := c.svc.Spaces.List().PageSize(int64(size)).Context(ctx)
	if filter != "" {
		call.Filter(filter)
	}
	bearer(call.Header(), accessToken)
	n := 0
	err := call.Pages(ctx, func(page *chat.ListSpacesResponse) error {
		for _, s := range page.Spaces {
			if limit > 0 && n >= limit {
				return ErrStopListing
			}
			n++
			if err := each(s); err != nil {
				return err
			}
		}
		if limit > 0 && n >= limit {
			return ErrStopListing
		}
		return nil
	})
	if errors.Is(err, ErrStopListing) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list spaces: %w", err)
	}
	return nil
}

// InsufficientScope reports whether Google refused a call because the
// token lacks its scope (403 "Request had insufficient authentication
// scopes."), as it does when a grant is older than the scope.
func InsufficientScope(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusForbidden && strings.Contains(strings.ToLower(ge.Message), "scope")
}
