package oauthflow

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/endpoints"
	"github.com/chatinvite/invitebot/internal/jwks"
	"github.com/chatinvite/invitebot/internal/logging"
	"github.com/chatinvite/invitebot/internal/tokencrypt"
)

func testService(t testing.TB, google endpoints.Google, now func() time.Time) *Service {
	t.Helper()
	h, _ := tokencrypt.NewKeyset()
	c, _ := tokencrypt.New(h)
	base, _ := url.Parse("https://invite.example.com")
	s, err := New(Config{BaseURL: base, ClientID: "id", ClientSecret: "s", Google: google, Store: nilStore{}, Cipher: c,
		GoogleKeys: jwks.New(google.Certs, nil, nil), Now: now, Logger: logging.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// nilStore satisfies Store for tests that never reach it.
type nilStore struct{ Store }

func TestAllowedRedirect(t *testing.T) {
	real := testService(t, endpoints.Real(), nil)
	emulated := testService(t, endpoints.Emulator("http://127.0.0.1:4000"), nil)
	for raw, want := range map[string]bool{
		"https://chat.google.com/api/bot_config_complete?token=x": true,
		"http://chat.google.com/api/bot_config_complete":          false,
		"https://chat.google.com.evil.example/x":                  false,
		"https://evil.example/?https://chat.google.com/":          false,
		"https://user@chat.google.com/x":                          false,
		"//chat.google.com/x":                                     false,
		"":                                                        false,
		"http://127.0.0.1:4000/chat/config-complete":              false,
	} {
		if got := real.allowedRedirect(raw); got != want {
			t.Errorf("real: allowedRedirect(%q) = %v, want %v", raw, got, want)
		}
	}
	if !emulated.allowedRedirect("http://127.0.0.1:4000/chat/config-complete?token=x") {
		t.Error("emulated: the emulator's config-complete URL refused")
	}
	if emulated.allowedRedirect("http://127.0.0.1:4001/x") {
		t.Error("emulated: another port accepted")
	}
}

func TestConsentLinkSealed(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := testService(t, endpoints.Real(), func() time.Time { return now })
	link, err := s.ConsentLink(context.Background(), "users/1", "https://chat.google.com/x", []string{testScope})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	if u.Host != "invite.example.com" || u.Path != "/oauth2/start" || strings.Contains(link, "users") {
		t.Fatalf("link %s shows what it carries", link)
	}
	raw := u.Query().Get("l")
	l, err := s.openLink(raw)
	if err != nil || l.User != "users/1" || l.ConfigURL != "https://chat.google.com/x" || strings.Join(l.Scopes, " ") != "openid "+testScope {
		t.Fatalf("open: %+v %v", l, err)
	}
	flipped := []byte(raw)
	flipped[len(flipped)/2] ^= 1
	if _, err := s.openLink(string(flipped)); !errors.Is(err, errLinkInvalid) {
		t.Fatalf("tampered: %v", err)
	}
	other := testService(t, endpoints.Real(), func() time.Time { return now })
	if _, err := other.openLink(raw); !errors.Is(err, errLinkInvalid) {
		t.Fatalf("another keyset opened it: %v", err)
	}
	now = now.Add(LinkLifetime)
	if _, err := s.openLink(raw); !errors.Is(err, errLinkExpired) {
		t.Fatalf("expired: %v", err)
	}
}

const testScope = "https://www.googleapis.com/auth/chat.memberships"
