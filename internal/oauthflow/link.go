package oauthflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// linkBinding is the associated data of consent-link ciphertexts.
const linkBinding = "consent-link"

// link is what a consent link carries, sealed (encrypted and authenticated)
// with the token keyset: nobody can forge or alter one.
type link struct {
	User      string   `json:"u"`
	ConfigURL string   `json:"c,omitempty"`
	Scopes    []string `json:"s"`
	// Purpose is what the person asked for, in their words ("add
	// alice@example.com and 2 others to Launch"), for the page before
	// Google's screen.
	Purpose string `json:"p,omitempty"`
	Expires int64  `json:"e"`
	Nonce   string `json:"n"`
}

// Link errors, each shown to the person as its own page.
var (
	errLinkInvalid = errors.New("consent link invalid")
	errLinkExpired = errors.New("consent link expired")
)

// ConsentLink returns $BOT_BASE_URL/oauth2/start?l=… for user: signed,
// expiring within LinkLifetime, single-use, bound to the user, the event's
// config-complete URL and the scopes (openid is always added).
func (s *Service) ConsentLink(ctx context.Context, user, configURL string, scopes []string) (string, error) {
	return s.ConsentLinkFor(ctx, user, configURL, scopes, "")
}

// maxPurpose bounds a link's purpose, in bytes: the link stays short.
const maxPurpose = 300

// ConsentLinkFor is ConsentLink carrying purpose, what the person asked for
// in their own words, which the page before Google's screen says.
func (s *Service) ConsentLinkFor(_ context.Context, user, configURL string, scopes []string, purpose string) (string, error) {
	if len(purpose) > maxPurpose {
		purpose = strings.ToValidUTF8(purpose[:maxPurpose], "") + "…"
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("consent link nonce: %w", err)
	}
	l := link{
		User: user, ConfigURL: configURL, Scopes: withOpenID(scopes), Purpose: purpose,
		Expires: s.cfg.Now().Add(LinkLifetime).Unix(),
		Nonce:   base64.RawURLEncoding.EncodeToString(nonce),
	}
	plain, err := json.Marshal(l)
	if err != nil {
		return "", fmt.Errorf("consent link: %w", err)
	}
	sealed, err := s.cfg.Cipher.Encrypt(plain, linkBinding)
	if err != nil {
		return "", fmt.Errorf("consent link: %w", err)
	}
	return s.cfg.BaseURL.String() + "/oauth2/start?l=" + url.QueryEscape(base64.RawURLEncoding.EncodeToString(sealed)), nil
}

// openLink checks a link's seal and expiry (not yet its single use).
func (s *Service) openLink(raw string) (*link, error) {
	sealed, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(raw) > 4096 {
		return nil, errLinkInvalid
	}
	plain, err := s.cfg.Cipher.Decrypt(sealed, linkBinding)
	if err != nil {
		return nil, errLinkInvalid
	}
	var l link
	if err := json.Unmarshal(plain, &l); err != nil || !strings.HasPrefix(l.User, "users/") || l.Nonce == "" {
		return nil, errLinkInvalid
	}
	if !s.cfg.Now().Before(time.Unix(l.Expires, 0)) {
		return nil, errLinkExpired
	}
	return &l, nil
}

func withOpenID(scopes []string) []string {
	out := []string{ScopeOpenID}
	for _, sc := range scopes {
		if sc != ScopeOpenID && !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

func hash(b []byte) []byte {
	sum := sha256.Sum256(b)
	return sum[:]
}
