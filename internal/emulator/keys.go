package emulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/chatinvite/invitebot/internal/endpoints"
	"github.com/chatinvite/invitebot/internal/jwks"
)

// KeyRing is a set of RSA signing keys published as a JWK set. The newest
// key signs; older ones stay published, as Google keeps them after a rotation.
type KeyRing struct {
	name string

	mu      sync.RWMutex
	keys    []*signingKey
	fetches int
}

type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

// NewKeyRing returns a ring holding one fresh key.
func NewKeyRing(name string) (*KeyRing, error) {
	r := &KeyRing{name: name}
	if err := r.Rotate(); err != nil {
		return nil, err
	}
	return r, nil
}

// Rotate adds a new signing key; the previous ones remain published.
func (r *KeyRing) Rotate() error {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate %s key: %w", r.name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = append(r.keys, &signingKey{kid: fmt.Sprintf("%s-%d-%d", r.name, len(r.keys)+1, time.Now().UnixNano()), priv: priv})
	return nil
}

// CurrentKID names the key that signs now.
func (r *KeyRing) CurrentKID() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys[len(r.keys)-1].kid
}

// Fetches counts how often the JWK set was served.
func (r *KeyRing) Fetches() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.fetches
}

// Handler serves the ring as a JWK set with a cache lifetime, as Google does.
func (r *KeyRing) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		r.mu.Lock()
		r.fetches++
		set := jwks.Set{}
		for _, k := range r.keys {
			set.Keys = append(set.Keys, jwks.PublicJWK(k.kid, &k.priv.PublicKey))
		}
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.Header().Set("Cache-Control", "public, max-age=3600, must-revalidate, no-transform")
		_ = json.NewEncoder(w).Encode(set)
	})
}

// Sign signs claims with the current key as an RS256 JWT.
func (r *KeyRing) Sign(claims map[string]any) string {
	return r.SignWithHeader(map[string]any{"alg": "RS256", "typ": "JWT", "kid": r.CurrentKID()}, claims)
}

// SignWithHeader signs claims under header with the current key; tests use
// it to forge tokens with other algorithms or key ids.
func (r *KeyRing) SignWithHeader(header, claims map[string]any) string {
	r.mu.RLock()
	key := r.keys[len(r.keys)-1].priv
	r.mu.RUnlock()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	signingInput := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	digest := sha256.Sum256([]byte(signingInput))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		panic(fmt.Sprintf("sign with a fresh RSA key: %v", err)) // cannot happen with a valid key
	}
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// ChatClaims are the claims Chat puts in its bearer token for audience: a
// Google-signed ID token in URL mode, a self-signed JWT in project-number mode.
func (e *Emulator) ChatClaims(audience string) map[string]any {
	now := e.now()
	claims := map[string]any{
		"aud": audience,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	if endpoints.IsProjectNumber(audience) {
		claims["iss"] = endpoints.ChatSigner
		claims["sub"] = endpoints.ChatSigner
		return claims
	}
	claims["iss"] = "https://accounts.google.com"
	claims["email"] = endpoints.ChatSigner
	claims["email_verified"] = true
	claims["sub"] = "113374170390364386555"
	claims["azp"] = "113374170390364386555"
	return claims
}

// ChatToken mints the bearer token Chat would send to an app whose audience
// setting is audience.
func (e *Emulator) ChatToken(audience string) string {
	if endpoints.IsProjectNumber(audience) {
		return e.ChatKeys.Sign(e.ChatClaims(audience))
	}
	return e.GoogleKeys.Sign(e.ChatClaims(audience))
}
