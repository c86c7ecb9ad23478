package oauthflow

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/endpoints"
)

// FuzzOpenLink: whatever arrives as ?l=, the opener never panics, and it
// opens only what this service sealed (a valid seal is out of the fuzzer's
// reach, so every mutation of a real link must be refused).
func FuzzOpenLink(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	s := testService(f, endpoints.Real(), func() time.Time { return now })
	link, err := s.ConsentLink(context.Background(), "users/1", "https://chat.google.com/x", []string{testScope})
	if err != nil {
		f.Fatal(err)
	}
	u, _ := url.Parse(link)
	good := u.Query().Get("l")
	for _, seed := range []string{good, "", "AAAA", strings.Repeat("A", 5000), good[:len(good)/2], good + "A"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		l, err := s.openLink(raw)
		if err != nil {
			return
		}
		if raw != good {
			t.Fatalf("opened a link it did not seal: %q → %+v", raw, l)
		}
	})
}

// FuzzAllowedRedirect: after consent the browser goes only to Chat's own
// https origin, never anywhere an attacker names.
func FuzzAllowedRedirect(f *testing.F) {
	s := testService(f, endpoints.Real(), nil)
	for _, seed := range []string{"https://chat.google.com/api/bot_config_complete?token=x", "https://chat.google.com.evil.example/",
		"//chat.google.com/x", "https://user@chat.google.com/", "https:chat.google.com", "HTTPS://CHAT.GOOGLE.COM/", "https://chat.google.com\\@evil.example/"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !s.allowedRedirect(raw) {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" || u.Host != "chat.google.com" || u.User != nil {
			t.Fatalf("allowed %q", raw)
		}
	})
}
