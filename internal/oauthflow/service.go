// Package oauthflow owns each user's OAuth consent: the signed, single-use
// consent link, the /oauth2/start and /oauth2/callback pages (state checked
// first, PKCE, id_token bound to the Chat user, granted scopes checked), the
// encrypted grant store, and access tokens served from a per-user cache and
// refreshed once however many ask at the same time.
package oauthflow

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"github.com/chatinvite/invitebot/internal/endpoints"
	"github.com/chatinvite/invitebot/internal/jwks"
	"github.com/chatinvite/invitebot/internal/logging"
	"github.com/chatinvite/invitebot/internal/tokencrypt"
)

// ScopeOpenID is asked for with every grant: its id_token names the
// account, which must be the Chat user who asked.
const ScopeOpenID = "openid"

// LinkLifetime bounds how long a consent link, and the flow it starts, live.
const LinkLifetime = 15 * time.Minute

// refreshMargin: an access token this close to expiry is refreshed first.
const refreshMargin = time.Minute

// DefaultLiveFor is how long an access token is served from an instance's
// memory before the stored grant is read again.
const DefaultLiveFor = 3 * time.Second

// Config configures a Service.
type Config struct {
	BaseURL      *url.URL
	ClientID     string
	ClientSecret string
	Google       endpoints.Google
	// GoogleKeys verify the id_token returned with the grant.
	GoogleKeys *jwks.KeySet
	Store      Store
	Cipher     *tokencrypt.Cipher
	// ScopeReasons say, in a sentence a person reads, why a scope is asked
	// for: shown before Google's screen when a user who already authorized
	// the app is asked for one of them in addition.
	ScopeReasons map[string]string
	// OptionalScopes are asked for with others but may be unticked on
	// Google's screen: a consent without them is kept (what they serve is
	// offered again when first used). A consent asking only for optional
	// scopes needs them.
	OptionalScopes []string
	// HTTPClient calls Google's token and revoke endpoints.
	HTTPClient *http.Client
	Now        func() time.Time
	// Logger logs what happens outside a request's context (which carries
	// its own); required.
	Logger *slog.Logger
	// LiveFor bounds how long an access token is served from memory
	// without reading the stored grant again (default DefaultLiveFor): a
	// grant deleted on any instance sharing the store (/logout, a grant
	// Google refused) stops being served everywhere within that time.
	LiveFor time.Duration
}

// Service implements consent, grant storage and token use.
type Service struct {
	cfg    Config
	oauth  *oauth2.Config
	secure bool

	mu     sync.RWMutex
	cache  map[string]cachedToken
	flight singleflight.Group
}

type cachedToken struct {
	access string
	expiry time.Time
	scopes []string
	// checked is when the grant was last found in the store.
	checked time.Time
}

// New builds a Service.
func New(cfg Config) (*Service, error) {
	if cfg.BaseURL == nil || cfg.ClientID == "" || cfg.ClientSecret == "" || cfg.Store == nil || cfg.Cipher == nil || cfg.GoogleKeys == nil || cfg.Logger == nil {
		return nil, errors.New("oauthflow: incomplete configuration")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 20 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LiveFor <= 0 {
		cfg.LiveFor = DefaultLiveFor
	}
	return &Service{
		cfg: cfg,
		oauth: &oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.BaseURL.String() + "/oauth2/callback",
			Endpoint:     oauth2.Endpoint{AuthURL: cfg.Google.Authorize, TokenURL: cfg.Google.Token, AuthStyle: oauth2.AuthStyleInParams},
		},
		secure: cfg.BaseURL.Scheme == "https",
		cache:  map[string]cachedToken{},
	}, nil
}

// log is the logger of ctx (a request's, with its trace), or the
// service's own.
func (s *Service) log(ctx context.Context) *slog.Logger {
	if l, ok := logging.Carried(ctx); ok {
		return l
	}
	return s.cfg.Logger
}

// RedirectURL is the callback URL to register with the OAuth client.
func (s *Service) RedirectURL() string { return s.oauth.RedirectURL }

// withClient makes x/oauth2 use the configured HTTP client.
func (s *Service) withClient(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, s.cfg.HTTPClient)
}

// ConsentRequiredError means the user must (re)authorize the app for Scopes.
type ConsentRequiredError struct {
	User   string
	Scopes []string
	Reason string
}

func (e *ConsentRequiredError) Error() string {
	return "consent required for " + e.User + ": " + e.Reason
}

// ConsentRequired marks the error for callers that only declare an interface.
func (e *ConsentRequiredError) ConsentRequired() bool { return true }

// grantBinding is the associated data that binds a grant's ciphertexts to
// its user.
func grantBinding(user string) string { return user }

// hasScopes reports whether granted covers every needed scope.
// required are the scopes a consent must grant to be kept: those asked
// for, but the optional ones, unless it asked for nothing else.
func (s *Service) required(asked []string) []string {
	var out []string
	for _, a := range asked {
		if !slices.Contains(s.cfg.OptionalScopes, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return asked
	}
	return out
}

func hasScopes(granted, needed []string) bool {
	set := make(map[string]bool, len(granted))
	for _, g := range granted {
		set[g] = true
	}
	for _, n := range needed {
		if !set[n] {
			return false
		}
	}
	return true
}
