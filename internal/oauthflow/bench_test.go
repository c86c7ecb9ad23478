package oauthflow

import (
	"context"
	"net/url"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/chatinvite/invitebot/internal/jwks"
	"github.com/chatinvite/invitebot/internal/storage"
	"github.com/chatinvite/invitebot/internal/tokencrypt"
)

func benchService(b *testing.B) *Service {
	db, err := storage.Open(context.Background(), "", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	h, _ := tokencrypt.NewKeyset()
	c, _ := tokencrypt.New(h)
	base, _ := url.Parse("http://127.0.0.1:1")
	s, err := New(Config{BaseURL: base, ClientID: "id", ClientSecret: "s", Store: db, Cipher: c, GoogleKeys: jwks.New("http://127.0.0.1:1", nil, nil)})
	if err != nil {
		b.Fatal(err)
	}
	tok := &oauth2.Token{AccessToken: "ya29.access", RefreshToken: "1//refresh", Expiry: time.Now().Add(time.Hour)}
	if err := s.storeGrant(context.Background(), "users/1", tok, []string{ScopeOpenID, ScopeMemberships}); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkAccessTokenWarm: a consented user's token from the in-memory cache.
func BenchmarkAccessTokenWarm(b *testing.B) {
	s := benchService(b)
	ctx := context.Background()
	need := []string{ScopeMemberships}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.AccessToken(ctx, "users/1", need); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAccessTokenFromDB: the same from SQLite, decrypted (a cold cache,
// as on a new instance).
func BenchmarkAccessTokenFromDB(b *testing.B) {
	s := benchService(b)
	ctx := context.Background()
	need := []string{ScopeMemberships}
	b.ReportAllocs()
	for b.Loop() {
		s.forget("users/1")
		if _, err := s.AccessToken(ctx, "users/1", need); err != nil {
			b.Fatal(err)
		}
	}
}
