// Package jwks verifies RS256-signed JWTs against a remote JSON Web Key set,
// caching the keys as the server's Cache-Control allows and refetching, at a
// bounded rate, when a token names a key it does not know yet: Google rotates
// its keys and a rotation must never fail a request.
package jwks

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

const (
	defaultMaxAge   = 5 * time.Minute
	maxMaxAge       = 24 * time.Hour
	minRefetchEvery = 10 * time.Second
	// retryAfterFailure: a failed fetch is tried again this soon.
	retryAfterFailure = time.Second
	// fetchTimeout bounds one fetch, whoever waits for it.
	fetchTimeout = 5 * time.Second
	maxBodyBytes = 1 << 20
)

// ErrUnavailable means the key set could not be fetched: no token naming
// a key not yet known can be checked until it can.
var ErrUnavailable = errors.New("key set unavailable")

// KeySet is a cached remote JWK set. It is safe for concurrent use.
type KeySet struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu          sync.RWMutex
	keys        map[string]*rsa.PublicKey
	expires     time.Time
	lastSuccess time.Time
	lastFailure time.Time
	fetchFlight singleflight.Group
}

// New returns a key set fetched from url with client. The client must carry
// no ambient credentials: these are public endpoints. now is the clock.
func New(url string, client *http.Client, now func() time.Time) *KeySet {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	return &KeySet{url: url, client: client, now: now}
}

// Key returns the public key named kid. A known key is served at once, even
// past the set's max-age (a refetch then runs in the background). An
// unknown kid waits for a fetch when the set is empty or stale, or when the
// last fetch is old enough: 10 s after a success, 1 s after a failure, so
// neither a flood of made-up kids nor an outage turns into a flood of
// fetches. The fetch runs on its own context and timeout: a caller that
// gives up does not fail it for the others.
func (s *KeySet) Key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	now := s.now()
	s.mu.RLock()
	key, known := s.keys[kid]
	fresh := s.keys != nil && now.Before(s.expires)
	mayFetch := now.Sub(s.lastSuccess) >= minRefetchEvery && now.Sub(s.lastFailure) >= retryAfterFailure
	failedRecently := now.Sub(s.lastFailure) < retryAfterFailure
	s.mu.RUnlock()
	if known {
		if !fresh && !failedRecently {
			s.fetchFlight.DoChan("fetch", s.refresh)
		}
		return key, nil
	}
	if (fresh || failedRecently) && !mayFetch {
		return nil, ErrUnknownKey
	}
	select {
	case res := <-s.fetchFlight.DoChan("fetch", s.refresh):
		if res.Err != nil {
			return nil, res.Err
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for key set: %w", ctx.Err())
	}
	s.mu.RLock()
	key, known = s.keys[kid]
	s.mu.RUnlock()
	if !known {
		return nil, ErrUnknownKey
	}
	return key, nil
}

// refresh fetches the set; callers share it through fetchFlight. It may run
// in a goroutine of its own, so a panic becomes an error, not a crash.
func (s *KeySet) refresh() (_ any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: fetch panicked: %v", ErrUnavailable, p)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	keys, maxAge, err := s.fetch(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.lastFailure = s.now()
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	s.lastSuccess = s.now()
	s.keys = keys
	s.expires = s.lastSuccess.Add(maxAge)
	return nil, nil
}

func (s *KeySet) fetch(ctx context.Context) (map[string]*rsa.PublicKey, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("fetch keys: %w", err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("fetch keys from %s: %w", s.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("fetch keys from %s: status %d", s.url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return nil, 0, fmt.Errorf("read keys from %s: %w", s.url, err)
	}
	keys, err := ParseSet(body)
	if err != nil {
		return nil, 0, fmt.Errorf("keys from %s: %w", s.url, err)
	}
	return keys, maxAge(resp.Header.Get("Cache-Control")), nil
}

// maxAge reads max-age from a Cache-Control header, bounded to a sane range.
func maxAge(cacheControl string) time.Duration {
	for _, directive := range strings.Split(cacheControl, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(directive), "=")
		if !ok || !strings.EqualFold(name, "max-age") {
			continue
		}
		secs, err := strconv.Atoi(strings.Trim(value, `"`))
		if err != nil || secs < 0 {
			return defaultMaxAge
		}
		return min(time.Duration(secs)*time.Second, maxMaxAge)
	}
	return defaultMaxAge
}

// JWK is the subset of RFC 7517 used for RSA signing keys.
type JWK struct {
	Kty string `json:"kty"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// Set is a JWK set document.
type Set struct {
	Keys []JWK `json:"keys"`
}

// PublicJWK encodes an RSA public key as a signing JWK.
func PublicJWK(kid string, key *rsa.PublicKey) JWK {
	return JWK{
		Kty: "RSA", Alg: "RS256", Use: "sig", Kid: kid,
		N: base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
	}
}

// ParseSet decodes a JWK set document, keeping its RSA keys.
func ParseSet(body []byte) (map[string]*rsa.PublicKey, error) {
	var set Set
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("decode JWK set: %w", err)
	}
	keys := make(map[string]*rsa.PublicKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" {
			continue
		}
		n, errN := base64.RawURLEncoding.DecodeString(k.N)
		e, errE := base64.RawURLEncoding.DecodeString(k.E)
		if errN != nil || errE != nil || len(e) == 0 || len(e) > 4 || len(n) < 256 {
			continue
		}
		exp := new(big.Int).SetBytes(e)
		// An RSA public exponent is odd and at least 3 (FuzzParseSet found
		// 0 kept as a key).
		if exp.Cmp(big.NewInt(3)) < 0 || exp.Bit(0) == 0 {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}
	}
	if len(keys) == 0 {
		return nil, errors.New("JWK set holds no usable RSA key")
	}
	return keys, nil
}
