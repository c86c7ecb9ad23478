package jwks

import (
	"context"
	"testing"
)

// BenchmarkVerifyWarm is one RS256 token check with the keys already cached.
func BenchmarkVerifyWarm(b *testing.B) {
	k := newTestKeys(b)
	set := New(k.srv.URL, k.srv.Client(), nil)
	tok := k.sign("k1", map[string]any{"aud": "https://x/chat/events", "iss": "https://accounts.google.com", "exp": 2_000_000_000, "iat": 1,
		"email": "chat@system.gserviceaccount.com", "email_verified": true})
	ctx := context.Background()
	if _, err := set.Verify(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := set.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
