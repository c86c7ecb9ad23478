package jwks

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/api/idtoken"
)

// Sentinel errors name the check that failed, for logs; callers answer all
// of them the same way.
var (
	ErrMalformed  = errors.New("malformed token")
	ErrAlgorithm  = errors.New("algorithm not RS256")
	ErrUnknownKey = errors.New("unknown signing key")
	ErrSignature  = errors.New("bad signature")
)

// maxTokenBytes bounds the work spent on a token before its signature is known good.
const maxTokenBytes = 16 << 10

type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// Verify checks token's RS256 signature against the set and returns its
// claims. It checks nothing else: issuer, audience and times are the caller's.
func (s *KeySet) Verify(ctx context.Context, token string) (*idtoken.Payload, error) {
	if len(token) > maxTokenBytes {
		return nil, fmt.Errorf("%w: too long", ErrMalformed)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: %d segments", ErrMalformed, len(parts))
	}
	rawHeader, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: header encoding", ErrMalformed)
	}
	var h header
	if err := json.Unmarshal(rawHeader, &h); err != nil {
		return nil, fmt.Errorf("%w: header json", ErrMalformed)
	}
	if h.Alg != "RS256" {
		return nil, fmt.Errorf("%w: %q", ErrAlgorithm, truncate(h.Alg))
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil || len(sig) == 0 {
		return nil, fmt.Errorf("%w: signature encoding", ErrMalformed)
	}
	payload, err := idtoken.ParsePayload(token)
	if err != nil {
		return nil, fmt.Errorf("%w: payload", ErrMalformed)
	}
	key, err := s.Key(ctx, h.Kid)
	if err != nil {
		if errors.Is(err, ErrUnknownKey) {
			return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, truncate(h.Kid))
		}
		return nil, err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return nil, ErrSignature
	}
	return payload, nil
}

// truncate keeps attacker-chosen strings short in error messages.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
