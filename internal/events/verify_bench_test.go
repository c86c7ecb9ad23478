package events

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/jwks"
)

func benchVerifier(b *testing.B) (*Verifier, func() string) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jwks.Set{Keys: []jwks.JWK{jwks.PublicJWK("k", &priv.PublicKey)}})
	}))
	b.Cleanup(srv.Close)
	aud := "https://bot.example.com/chat/events"
	v, err := NewVerifier(VerifierConfig{Audience: aud, GoogleKeys: jwks.New(srv.URL, srv.Client(), nil)})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	mint := func() string {
		n++
		h, _ := json.Marshal(map[string]any{"alg": "RS256", "kid": "k"})
		c, _ := json.Marshal(map[string]any{"aud": aud, "iss": "https://accounts.google.com", "email": "chat@system.gserviceaccount.com",
			"email_verified": true, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(), "sub": fmt.Sprint(n)})
		in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
		d := sha256.Sum256([]byte(in))
		sig, _ := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, d[:])
		return in + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
	return v, mint
}

// BenchmarkVerifyChatToken: Chat reuses its token, so after the first
// event the check is a hash and a map look-up.
func BenchmarkVerifyChatToken(b *testing.B) {
	v, mint := benchVerifier(b)
	tok := mint()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyChatTokenFirstSight: every token new (warm keys, full RSA).
func BenchmarkVerifyChatTokenFirstSight(b *testing.B) {
	v, mint := benchVerifier(b)
	toks := make([]string, 1000)
	for i := range toks {
		toks[i] = mint()
	}
	ctx := context.Background()
	_ = v.Verify(ctx, mint())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		v.mu.Lock()
		clear(v.verified)
		v.mu.Unlock()
		if err := v.Verify(ctx, toks[i%len(toks)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
