package oauthflow

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/endpoints"
)

// grantStore keeps grants in memory, as a database every instance shares.
type grantStore struct {
	Store
	mu     sync.Mutex
	grants map[string]Grant
	reads  int
}

func (m *grantStore) GetGrant(_ context.Context, user string) (*Grant, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	g, ok := m.grants[user]
	if !ok {
		return nil, ErrNotFound
	}
	return &g, nil
}

func (m *grantStore) PutGrant(_ context.Context, g *Grant) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.grants[g.User] = *g
	return nil
}

func (m *grantStore) DeleteGrant(_ context.Context, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.grants, user)
	return nil
}

// TestAccessTokenSeesAGrantDeletedElsewhere: a token is served from memory
// only while its grant was found stored less than LiveFor before; a grant
// another instance deleted (/logout there) stops being served within that
// time, though the access token itself has most of its hour left.
func TestAccessTokenSeesAGrantDeletedElsewhere(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	s := testService(t, endpoints.Real(), clock)
	store := &grantStore{grants: map[string]Grant{}}
	s.cfg.Store = store
	g := &Grant{User: "users/1", Scopes: []string{testScope}, AccessExpiry: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now}
	if err := s.seal(g, "refresh", "access-1"); err != nil {
		t.Fatal(err)
	}
	if err := store.PutGrant(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	token := func() (string, error) { return s.AccessToken(ctx, "users/1", []string{testScope}) }
	if tok, err := token(); err != nil || tok != "access-1" {
		t.Fatalf("first: %q %v", tok, err)
	}
	reads := store.reads
	advance(DefaultLiveFor / 2)
	if tok, err := token(); err != nil || tok != "access-1" || store.reads != reads {
		t.Fatalf("within LiveFor: %q %v, %d reads of the store", tok, err, store.reads-reads)
	}
	// Another instance deletes the grant.
	if err := store.DeleteGrant(ctx, "users/1"); err != nil {
		t.Fatal(err)
	}
	advance(DefaultLiveFor / 2)
	tok, err := token()
	var cr *ConsentRequiredError
	if !errors.As(err, &cr) {
		t.Fatalf("a grant deleted %v ago still served: %q %v", DefaultLiveFor, tok, err)
	}
}
