// Package events is the bot's border with Google Chat: it verifies that a
// request really comes from Chat, decodes both event shapes (classic and
// Workspace add-on) into one Event, and encodes a Reply in the shape its event
// came in. It knows nothing of commands or OAuth.
package events

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/chatinvite/invitebot/internal/endpoints"
	"github.com/chatinvite/invitebot/internal/jwks"
)

// clockSkew is the leeway granted on exp and iat.
const clockSkew = 60 * time.Second

// googleIssuers are the issuers of Google-signed ID tokens.
var googleIssuers = map[string]bool{"accounts.google.com": true, "https://accounts.google.com": true}

// Verification failures, for logs. Every one of them answers 401.
var (
	ErrNoToken       = errors.New("no bearer token")
	ErrAudience      = errors.New("wrong audience")
	ErrIssuer        = errors.New("wrong issuer")
	ErrSigner        = errors.New("wrong signer email")
	ErrUnverified    = errors.New("signer email not verified")
	ErrExpired       = errors.New("token expired")
	ErrIssuedFuture  = errors.New("token issued in the future")
	ErrMissingClaims = errors.New("token lacks exp or iat")
	ErrLifetime      = errors.New("token lives longer than an hour")
)

// maxLifetime bounds exp - iat: Google's ID tokens, and Chat's own, live
// an hour.
const maxLifetime = time.Hour

// Verifier checks the bearer token Chat sends with every request. Chat
// reuses a token until it expires, so a token that passed every check is
// remembered (by its SHA-256) until its exp: the RSA check runs once per
// token, not once per event.
type Verifier struct {
	audience    string
	projectMode bool
	addonSigner string
	googleKeys  *jwks.KeySet
	chatKeys    *jwks.KeySet
	now         func() time.Time

	mu       sync.RWMutex
	verified map[[sha256.Size]byte]time.Time // token hash → exp
}

// maxVerified bounds the verified-token cache; past it the cache restarts.
const maxVerified = 4096

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// Audience is the endpoint URL, or a project number (digits only), which
	// selects project-number mode. It must not be empty.
	Audience string
	// AddonSigner is an optional Workspace add-on service account email whose
	// ID tokens are accepted too (URL mode only).
	AddonSigner string
	// GoogleKeys verify Google-signed ID tokens (URL mode).
	GoogleKeys *jwks.KeySet
	// ChatKeys verify tokens self-signed by Chat (project-number mode).
	ChatKeys *jwks.KeySet
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewVerifier builds a Verifier. An empty audience is refused: it would
// silently skip the audience check.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.Audience == "" {
		return nil, errors.New("chat verifier: empty audience")
	}
	v := &Verifier{
		audience:    cfg.Audience,
		projectMode: endpoints.IsProjectNumber(cfg.Audience),
		addonSigner: cfg.AddonSigner,
		googleKeys:  cfg.GoogleKeys,
		chatKeys:    cfg.ChatKeys,
		now:         cfg.Now,
	}
	if v.now == nil {
		v.now = time.Now
	}
	v.verified = map[[sha256.Size]byte]time.Time{}
	if v.projectMode && v.chatKeys == nil || !v.projectMode && v.googleKeys == nil {
		return nil, errors.New("chat verifier: no key set for the audience mode")
	}
	return v, nil
}

// BearerToken extracts the token of an "Authorization: Bearer" header.
func BearerToken(r *http.Request) (string, error) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", ErrNoToken
	}
	return strings.TrimSpace(token), nil
}

// tokenHash names a token in the verified cache.
func tokenHash(token string) [sha256.Size]byte { return sha256.Sum256([]byte(token)) }

// Verify checks a bearer token as Chat signs it.
func (v *Verifier) Verify(ctx context.Context, token string) error {
	sum := tokenHash(token)
	v.mu.RLock()
	exp, ok := v.verified[sum]
	v.mu.RUnlock()
	if ok {
		if v.now().Before(exp.Add(clockSkew)) {
			return nil
		}
		return ErrExpired
	}
	exp, err := v.verify(ctx, token)
	if err != nil {
		return err
	}
	v.mu.Lock()
	if len(v.verified) >= maxVerified {
		clear(v.verified)
	}
	v.verified[sum] = exp
	v.mu.Unlock()
	return nil
}

// verify runs every check and returns the token's expiry.
func (v *Verifier) verify(ctx context.Context, token string) (time.Time, error) {
	keys := v.googleKeys
	if v.projectMode {
		keys = v.chatKeys
	}
	p, err := keys.Verify(ctx, token)
	if err != nil {
		return time.Time{}, fmt.Errorf("verify chat token: %w", err)
	}
	if p.Audience != v.audience {
		return time.Time{}, ErrAudience
	}
	if p.Expires == 0 || p.IssuedAt == 0 {
		return time.Time{}, ErrMissingClaims
	}
	now := v.now()
	if !now.Before(time.Unix(p.Expires, 0).Add(clockSkew)) {
		return time.Time{}, ErrExpired
	}
	if time.Unix(p.IssuedAt, 0).After(now.Add(clockSkew)) {
		return time.Time{}, ErrIssuedFuture
	}
	if time.Unix(p.Expires, 0).Sub(time.Unix(p.IssuedAt, 0)) > maxLifetime+clockSkew {
		return time.Time{}, ErrLifetime
	}
	if v.projectMode {
		if p.Issuer != endpoints.ChatSigner {
			return time.Time{}, ErrIssuer
		}
		return time.Unix(p.Expires, 0), nil
	}
	if !googleIssuers[p.Issuer] {
		return time.Time{}, ErrIssuer
	}
	email, _ := p.Claims["email"].(string)
	if email != endpoints.ChatSigner && (v.addonSigner == "" || email != v.addonSigner) {
		return time.Time{}, ErrSigner
	}
	if verified := p.Claims["email_verified"]; verified != true && verified != "true" {
		return time.Time{}, ErrUnverified
	}
	return time.Unix(p.Expires, 0), nil
}
