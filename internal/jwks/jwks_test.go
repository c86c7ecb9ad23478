package jwks

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type testKeys struct {
	priv    *rsa.PrivateKey
	kid     string
	srv     *httptest.Server
	fetches atomic.Int32
	fail    atomic.Bool
}

func newTestKeys(t testing.TB) *testKeys {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k := &testKeys{priv: priv, kid: "k1"}
	k.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		k.fetches.Add(1)
		if k.fail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=600")
		_ = json.NewEncoder(w).Encode(Set{Keys: []JWK{PublicJWK(k.kid, &priv.PublicKey)}})
	}))
	t.Cleanup(k.srv.Close)
	return k
}

func (k *testKeys) sign(kid string, claims map[string]any) string {
	h, _ := json.Marshal(map[string]any{"alg": "RS256", "kid": kid})
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	d := sha256.Sum256([]byte(in))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, k.priv, crypto.SHA256, d[:])
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestVerifyAndCache(t *testing.T) {
	k := newTestKeys(t)
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	set := New(k.srv.URL, k.srv.Client(), clk.now)
	ctx := context.Background()
	tok := k.sign("k1", map[string]any{"aud": "a", "iss": "i", "exp": 2_000_000_000, "iat": 1})

	p, err := set.Verify(ctx, tok)
	if err != nil || p.Audience != "a" || p.Issuer != "i" {
		t.Fatalf("Verify = %+v, %v", p, err)
	}
	if _, err := set.Verify(ctx, tok); err != nil || k.fetches.Load() != 1 {
		t.Fatalf("second verify: %v, fetches %d, want cached", err, k.fetches.Load())
	}

	// An unknown kid refetches, but not more than once per interval.
	if _, err := set.Verify(ctx, k.sign("k2", map[string]any{})); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown kid: %v", err)
	}
	clk.add(minRefetchEvery)
	for range 5 {
		if _, err := set.Verify(ctx, k.sign("k2", map[string]any{})); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("unknown kid: %v", err)
		}
	}
	if got := k.fetches.Load(); got != 2 {
		t.Fatalf("fetches = %d, want 2 (one refetch per interval)", got)
	}

	// After max-age a known key keeps serving at once while the set is
	// refetched in the background; when that fails the stale key serves.
	clk.add(11 * time.Minute)
	k.fail.Store(true)
	if _, err := set.Verify(ctx, tok); err != nil {
		t.Fatalf("stale key while the endpoint is down: %v", err)
	}
	waitFor(t, func() bool { return k.fetches.Load() == 3 })
	if _, err := set.Verify(ctx, tok); err != nil {
		t.Fatalf("stale key after a failed refetch: %v", err)
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCallerThatHangsUpCannotBlockRotation: a client that sends an unknown
// kid and cancels at once must not keep the bot from learning Google's new
// key (the fetch is not the caller's to cancel).
func TestCallerThatHangsUpCannotBlockRotation(t *testing.T) {
	k := newTestKeys(t)
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	set := New(k.srv.URL, k.srv.Client(), clk.now)
	if _, err := set.Verify(context.Background(), k.sign("k1", map[string]any{})); err != nil {
		t.Fatal(err)
	}
	clk.add(minRefetchEvery)
	k.kid = "k2" // Google rotates: the set now names the key k2.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	// Whether this caller gets its answer or gives up first, the fetch it
	// started is not cancelled with it.
	_, _ = set.Verify(gone, k.sign("k2", map[string]any{}))
	// Chat's next event, signed with the new key, at the same instant.
	if _, err := set.Verify(context.Background(), k.sign("k2", map[string]any{})); err != nil {
		t.Fatalf("the new key is not known after a caller hung up: %v", err)
	}
}

// TestFailedFetchIsRetriedSoon: a failed fetch does not count as a fetch
// for the 10 s refetch interval.
func TestFailedFetchIsRetriedSoon(t *testing.T) {
	k := newTestKeys(t)
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	set := New(k.srv.URL, k.srv.Client(), clk.now)
	k.fail.Store(true)
	if _, err := set.Verify(context.Background(), k.sign("k1", map[string]any{})); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("fetch failure: %v, want ErrUnavailable", err)
	}
	k.fail.Store(false)
	clk.add(retryAfterFailure)
	if _, err := set.Verify(context.Background(), k.sign("k1", map[string]any{})); err != nil {
		t.Fatalf("not retried %v after a failure: %v", retryAfterFailure, err)
	}
}

func TestVerifyRejectsForgeries(t *testing.T) {
	k := newTestKeys(t)
	set := New(k.srv.URL, k.srv.Client(), nil)
	good := k.sign("k1", map[string]any{"aud": "a"})
	other := newTestKeys(t)
	forged := other.sign("k1", map[string]any{"aud": "a"})
	for name, tc := range map[string]struct {
		tok  string
		want error
	}{
		"other key":      {forged, ErrSignature},
		"empty":          {"", ErrMalformed},
		"one segment":    {"abc", ErrMalformed},
		"bad header b64": {"!!!." + good[len("eyJ"):], ErrMalformed},
		"no signature":   {good[:len(good)-10] + "", ErrSignature},
		"alg none":       {base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + ".e30.", ErrAlgorithm},
	} {
		if _, err := set.Verify(context.Background(), tc.tok); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
}

func TestMaxAge(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"":                            defaultMaxAge,
		"public, max-age=19800, must": 19800 * time.Second,
		"max-age=abc":                 defaultMaxAge,
		"MAX-AGE=10":                  10 * time.Second,
		"max-age=99999999":            maxMaxAge,
	} {
		if got := maxAge(in); got != want {
			t.Errorf("maxAge(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzVerify feeds arbitrary tokens to a warm key set: nothing may panic and
// nothing unsigned may pass.
func FuzzVerify(f *testing.F) {
	k := newTestKeys(f)
	set := New(k.srv.URL, k.srv.Client(), nil)
	good := k.sign("k1", map[string]any{"aud": "a"})
	if _, err := set.Verify(context.Background(), good); err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{good, "", ".", "..", "a.b.c", good + "x", "eyJhbGciOiJFUzI1NiJ9.e30.AA", "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.e30.AA"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		if _, err := set.Verify(context.Background(), tok); err == nil && tok != good {
			t.Fatalf("accepted a token that was never signed: %q", tok)
		}
	})
}

// FuzzParseSet: a key set document from the network never panics the
// parser, and every key it keeps is a usable RSA key of at least 2048 bits.
func FuzzParseSet(f *testing.F) {
	k := newTestKeys(f)
	good, _ := json.Marshal(Set{Keys: []JWK{PublicJWK("k1", &k.priv.PublicKey)}})
	for _, seed := range []string{string(good), `{}`, `{"keys":[]}`, `{"keys":[{"kty":"RSA","kid":"x","n":"AQAB","e":"AQAB"}]}`,
		`{"keys":[{"kty":"EC","kid":"x"}]}`, `{"keys":null}`, `[]`, `{"keys":[{"kty":"RSA","kid":"","n":"","e":""}]}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		keys, err := ParseSet(body)
		if err != nil {
			return
		}
		if len(keys) == 0 {
			t.Fatal("no keys and no error")
		}
		for kid, key := range keys {
			if kid == "" || key.N.BitLen() < 2041 || key.E < 3 || key.E%2 == 0 {
				t.Fatalf("kept an unusable key %q: %d bits, e=%d", kid, key.N.BitLen(), key.E)
			}
		}
	})
}
