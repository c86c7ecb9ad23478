package commands

// Other spaces by their display names.
//
// A card names the space a command was typed in by the event's display
// name; another space is named by its own, read with spaces.get
// (https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces/get),
// which with user authentication needs chat.spaces.readonly or chat.spaces
// (chat/v1 discovery document). Reading names never asks for consent: a
// command that needs no new permission gets none asked for. When the user
// has granted ScopeSpacesRead (with the form's space picker), names are
// read; otherwise, or when a read fails, the card says "another space"
// with its link. Nothing is kept beyond the request.

import (
	"context"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/events"
)

// ScopeSpacesRead lets Invite read the names of the user's spaces: the
// narrowest scope spaces.get and spaces.list accept from a user.
const ScopeSpacesRead = "https://www.googleapis.com/auth/chat.spaces.readonly"

// SpaceReader reads spaces with a user's token; the chatapi package's
// Client implements it. Members implementing it is what lets Invite name
// other spaces and offer the form's picker.
type SpaceReader interface {
	GetSpace(ctx context.Context, accessToken, name string) (*chat.Space, error)
	ListSpaces(ctx context.Context, accessToken, filter string, limit int, each func(*chat.Space) error) error
}

const (
	// spaceNamesWait bounds reading names while Chat waits: a card with
	// "another space" beats a late card.
	spaceNamesWait = 3 * time.Second
	// maxNamedSpaces bounds the spaces.get calls of one command; a card
	// about more spaces names the rest "another space".
	maxNamedSpaces = 20
	// spaceReadsAtOnce bounds the spaces.get calls in flight.
	spaceReadsAtOnce = 4
)

func (iv *Invite) spaceReader() SpaceReader {
	sr, _ := iv.Members.(SpaceReader)
	return sr
}

// nameSpaces reads the display names of the spaces other than this one
// into ev.Space.Others, when the user has granted ScopeSpacesRead. It
// never fails the command and never asks for consent.
func (iv *Invite) nameSpaces(ctx context.Context, ev *events.Event, spaces ...[]string) {
	sr := iv.spaceReader()
	if sr == nil {
		return
	}
	var others []string
	for _, list := range spaces {
		for _, s := range list {
			if s != ev.Space.Name && ev.Space.Others[s] == "" && !slices.Contains(others, s) && len(others) < maxNamedSpaces {
				others = append(others, s)
			}
		}
	}
	if len(others) == 0 {
		return
	}
	ctx, cancel := iv.whileChatWaits(ctx, spaceNamesWait)
	defer cancel()
	token, err := iv.Auth.AccessToken(ctx, ev.User.Name, []string{ScopeSpacesRead})
	if err != nil {
		if !consentRequired(err) {
			logFrom(ctx).Warn("token to read space names", "error", err.Error())
		}
		return
	}
	names := map[string]string{}
	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(spaceReadsAtOnce)
	for _, name := range others {
		g.Go(func() error {
			s, err := sr.GetSpace(ctx, token, name)
			if err != nil {
				logFrom(ctx).Info("read a space's name; it is called another space", "space", name, "error", err.Error())
				return nil
			}
			if s != nil && s.DisplayName != "" {
				mu.Lock()
				names[name] = s.DisplayName
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	if len(names) == 0 {
		return
	}
	for k, v := range ev.Space.Others {
		names[k] = v
	}
	ev.Space.Others = names
}
