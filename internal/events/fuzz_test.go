package events

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/jwks"
)

// FuzzVerifyClaims signs whatever claims the fuzzer writes with a trusted
// key: a token passes only if every claim check holds (audience, issuer,
// signer, verified email, times, lifetime).
func FuzzVerifyClaims(f *testing.F) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jwks.Set{Keys: []jwks.JWK{jwks.PublicJWK("k", &priv.PublicKey)}})
	}))
	f.Cleanup(srv.Close)
	const aud = "https://bot.example.com/chat/events"
	now := time.Unix(1_800_000_000, 0)
	v, err := NewVerifier(VerifierConfig{Audience: aud, GoogleKeys: jwks.New(srv.URL, srv.Client(), nil), Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	good, _ := json.Marshal(map[string]any{"aud": aud, "iss": "https://accounts.google.com", "email": "chat@system.gserviceaccount.com",
		"email_verified": true, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	for _, seed := range []string{string(good), `{}`, `{"aud":["` + aud + `"]}`, `{"exp":1e300}`, `{"iat":"1"}`, `null`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, claims []byte) {
		h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"k"}`))
		in := h + "." + base64.RawURLEncoding.EncodeToString(claims)
		d := sha256.Sum256([]byte(in))
		sig, _ := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, d[:])
		tok := in + "." + base64.RawURLEncoding.EncodeToString(sig)
		if err := v.Verify(context.Background(), tok); err != nil {
			return
		}
		var c struct {
			Aud           any     `json:"aud"`
			Iss           string  `json:"iss"`
			Email         string  `json:"email"`
			EmailVerified any     `json:"email_verified"`
			Iat           float64 `json:"iat"`
			Exp           float64 `json:"exp"`
		}
		if err := json.Unmarshal(claims, &c); err != nil {
			t.Fatalf("accepted claims that are not an object: %s", claims)
		}
		exp, iat := time.Unix(int64(c.Exp), 0), time.Unix(int64(c.Iat), 0)
		switch {
		case c.Aud != aud && !(isList(c.Aud) && len(c.Aud.([]any)) == 1 && c.Aud.([]any)[0] == aud):
			t.Fatalf("wrong audience accepted: %s", claims)
		case !googleIssuers[c.Iss]:
			t.Fatalf("wrong issuer accepted: %s", claims)
		case c.Email != "chat@system.gserviceaccount.com":
			t.Fatalf("wrong signer accepted: %s", claims)
		case c.EmailVerified != true && c.EmailVerified != "true":
			t.Fatalf("unverified email accepted: %s", claims)
		case !now.Before(exp.Add(clockSkew)) || iat.After(now.Add(clockSkew)) || exp.Sub(iat) > maxLifetime+clockSkew:
			t.Fatalf("bad times accepted: %s", claims)
		}
	})
}

func isList(v any) bool { _, ok := v.([]any); return ok }

// FuzzEncodeReply: whatever text a reply carries, the answer is valid JSON
// and says exactly that text, in both shapes.
func FuzzEncodeReply(f *testing.F) {
	for _, seed := range []string{"", "hi", "<b>x</b>", "\x00\xff", `"}`, "é\u2028"} {
		f.Add(seed, true, false)
	}
	f.Fuzz(func(t *testing.T, text string, private, addOn bool) {
		ev := &Event{Shape: Classic, User: User{Name: "users/1"}}
		if addOn {
			ev.Shape = AddOn
		}
		out, err := Encode(ev, Reply{Text: text, Private: private, CloseDialog: text == "", CloseStatus: text})
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(out) {
			t.Fatalf("not JSON: %q", out)
		}
	})
}
