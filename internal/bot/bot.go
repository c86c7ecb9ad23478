// Package bot assembles the parts into the running app: it is the one package
// that knows every other, so main stays a few lines and end-to-end tests
// start the very same bot on a loopback port.
package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"cloud.google.com/go/compute/metadata"
	"github.com/gorilla/mux"

	"github.com/chatinvite/invitebot/internal/chatapi"
	"github.com/chatinvite/invitebot/internal/cloudidentity"
	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/config"
	"github.com/chatinvite/invitebot/internal/endpoints"
	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/httpserver"
	"github.com/chatinvite/invitebot/internal/jobs"
	"github.com/chatinvite/invitebot/internal/jwks"
	"github.com/chatinvite/invitebot/internal/oauthflow"
	"github.com/chatinvite/invitebot/internal/quota"
	"github.com/chatinvite/invitebot/internal/storage"
	"github.com/chatinvite/invitebot/internal/tokencrypt"
)

// Deps are the parts a test may substitute; zero values mean the real ones.
type Deps struct {
	Logger *slog.Logger
	// HTTPClient calls Google (key sets, OAuth, Chat API). It must carry no
	// ambient credentials.
	HTTPClient *http.Client
	Now        func() time.Time
	// InviteDeadline and BackoffBase tune /invite's time limit and retry
	// delays; zero means 25 s and 250 ms.
	InviteDeadline time.Duration
	BackoffBase    time.Duration
	// Members replaces the Chat API membership client (benchmarks measure
	// the bot's own work with a fake).
	Members commands.Members
	// HaltAfter is how long after a stop signal calls still in flight are
	// given up, so that every request is answered within the platform's
	// 10 s; zero means 6 s.
	HaltAfter time.Duration
	// QuotaWindow is the window the QUOTA_* settings count in (a minute;
	// tests shorten it with the emulator's).
	QuotaWindow time.Duration
	// ProgressEvery, SliceFor, JobPoll and JobRescueAfter tune large
	// invitations (defaults 5 s, 40 s, 1 s, INVITE_RESCUE_AFTER).
	ProgressEvery  time.Duration
	SliceFor       time.Duration
	JobPoll        time.Duration
	JobRescueAfter time.Duration
	// SlotWait bounds a wait for a write slot while Chat waits (default
	// 1.5 s); past it the answer is given and the rest done in the background.
	SlotWait time.Duration
	// SyncMax: invitations of more people × spaces run in the background
	// (zero means 20).
	SyncMax int
}

// Bot is the assembled app.
type Bot struct {
	cfg     *config.Config
	log     *slog.Logger
	google  endpoints.Google
	handler http.Handler
	checks  []func(context.Context) error
	closers []func() error

	haltAfter           time.Duration
	jobs                *jobs.Queue
	draining, halted    chan struct{}
	drainOnce, haltOnce sync.Once

	// DB and Auth are exposed for end-to-end tests.
	DB   *storage.DB
	Auth *oauthflow.Service
}

// New builds the bot from a validated configuration.
func New(ctx context.Context, cfg *config.Config, deps Deps) (*Bot, error) {
	if deps.Logger == nil {
		// slog's default would write plain text, whatever LOG_LEVEL says.
		return nil, errors.New("bot: no logger")
	}
	if deps.HTTPClient == nil {
		deps.HTTPClient = endpoints.Client(20 * time.Second)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.InviteDeadline == 0 {
		deps.InviteDeadline = 25 * time.Second
	}
	if deps.BackoffBase == 0 {
		deps.BackoffBase = 250 * time.Millisecond
	}
	if deps.HaltAfter == 0 {
		deps.HaltAfter = 6 * time.Second
	}
	b := &Bot{cfg: cfg, log: deps.Logger, google: endpoints.For(cfg.EmulatorURL),
		haltAfter: deps.HaltAfter, draining: make(chan struct{}), halted: make(chan struct{})}
	b.closers = append(b.closers, func() error { deps.HTTPClient.CloseIdleConnections(); return nil })
	if b.google.Emulated {
		b.log.Warn("GOOGLE_EMULATOR_URL is set: every Google endpoint points at an emulator and no real Chat request can be verified. Never use this in production.",
			"emulator", cfg.EmulatorURL)
	}

	googleKeys := jwks.New(b.google.Certs, deps.HTTPClient, deps.Now)
	verifier, err := events.NewVerifier(events.VerifierConfig{
		Audience:    cfg.ChatAudience,
		AddonSigner: cfg.AddonSigner,
		GoogleKeys:  googleKeys,
		ChatKeys:    jwks.New(b.google.ChatJWK, deps.HTTPClient, deps.Now),
		Now:         deps.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("build verifier: %w", err)
	}
	db, err := storage.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	b.closers = append(b.closers, db.Close)
	b.checks = append(b.checks, db.Ping)
	b.DB = db
	db.SetClock(deps.Now)
	b.startSweeping(deps.Now)

	handle, err := loadKeyset(ctx, cfg, b.google, deps.HTTPClient, b.log)
	if err != nil {
		b.Close()
		return nil, err
	}
	cipher, err := tokencrypt.New(handle)
	if err != nil {
		b.Close()
		return nil, err
	}
	auth, err := oauthflow.New(oauthflow.Config{
		BaseURL: cfg.BaseURL, ClientID: cfg.OAuthClientID, ClientSecret: cfg.OAuthClientSecret,
		Google: b.google, GoogleKeys: googleKeys, Store: db, Cipher: cipher, ScopeReasons: commands.ScopeReasons,
		OptionalScopes: []string{commands.ScopeSpacesRead},
		HTTPClient:     deps.HTTPClient, Now: deps.Now, Logger: b.log,
	})
	if err != nil {
		b.Close()
		return nil, err
	}
	b.Auth = auth

	members := deps.Members
	if members == nil {
		// Chat API calls run under the invitation's own deadline (inside
		// Chat's 30 s), not a client-wide timeout.
		if members, err = chatapi.New(ctx, b.google.ChatAPI, endpoints.Client(0)); err != nil {
			b.Close()
			return nil, err
		}
	}
	if deps.QuotaWindow == 0 {
		deps.QuotaWindow = cmp.Or(cfg.QuotaWindow, time.Minute)
	}
	if deps.SliceFor == 0 {
		deps.SliceFor = min(40*time.Second, 5*deps.QuotaWindow)
	}
	if deps.JobRescueAfter == 0 {
		deps.JobRescueAfter = cfg.RescueAfter
	}
	cd := commands.Deps{
		Auth: auth, Members: members, Now: deps.Now,
		Policy: commands.Policy{
			MaxTargets: cfg.InviteMaxTargets, AllowedDomains: cfg.InviteAllowedDomains,
			RequireManager: cfg.InviteRequireManager, Public: cfg.InvitePublic, AdminDomains: cfg.InviteAdminDomains,
		},
		Deadline: deps.InviteDeadline, Concurrency: 8, BackoffBase: deps.BackoffBase,
		Draining: b.draining, Halted: b.halted,
		Invitations: db, Pacer: quota.NewPacer(cfg.QuotaSpaceWrites, cfg.QuotaMembershipWrites, deps.QuotaWindow, db.Slots()),
		SyncMax: cmp.Or(deps.SyncMax, 20), Endpoint: EndpointURL(cfg), ProgressEvery: deps.ProgressEvery, SliceFor: deps.SliceFor,
		SlotWait:       deps.SlotWait,
		Groups:         cloudidentity.New(b.google.CloudIdentity, endpoints.Client(0)),
		QuotaPerMinute: int(int64(cfg.QuotaMembershipWrites) * int64(time.Minute) / int64(deps.QuotaWindow)),
		Undos:          db, UndoFor: time.Duration(cfg.UndoHours) * time.Hour,
		Previews: db, ConfirmOver: cfg.InviteConfirmOver,
	}
	if err := b.startJobs(ctx, cfg, deps, &cd); err != nil {
		b.Close()
		return nil, err
	}
	router, err := commands.NewRouter(commands.All(cd), cfg.CommandIDs)
	if err != nil {
		b.Close()
		return nil, err
	}
	dispatcher := commands.Remember(router, db, deps.Now)

	r := mux.NewRouter()
	r.Handle("/chat/events", events.Handler(verifier, dispatcher, EndpointURL(cfg))).Methods(http.MethodPost)
	r.Handle("/oauth2/start", auth.HandleStart()).Methods(http.MethodGet)
	r.Handle("/oauth2/callback", auth.HandleCallback()).Methods(http.MethodGet)
	r.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	}).Methods(http.MethodGet)
	r.HandleFunc("/readyz", b.handleReady).Methods(http.MethodGet)
	b.handler = httpserver.Middleware(r, b.log, traceProject(ctx, cfg, b.log))
	return b, nil
}

// EndpointURL is the app's endpoint as configured in Chat: the audience
// when it is a URL, else $BOT_BASE_URL/chat/events.
func EndpointURL(cfg *config.Config) string {
	if endpoints.IsProjectNumber(cfg.ChatAudience) {
		return cfg.BaseURL.String() + "/chat/events"
	}
	return cfg.ChatAudience
}

// traceProject is the project Cloud Logging trace ids name: the setting, or
// on Google Cloud the metadata server's answer.
func traceProject(ctx context.Context, cfg *config.Config, log *slog.Logger) string {
	if cfg.CloudProject != "" || !cfg.OnGoogleCloud {
		return cfg.CloudProject
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	project, err := metadata.ProjectIDWithContext(ctx)
	if err != nil {
		log.Warn("could not read the project id from the metadata server; trace ids in logs will lack it (set GOOGLE_CLOUD_PROJECT)", "error", err.Error())
		return ""
	}
	return project
}

// Handler is the bot's whole HTTP surface.
func (b *Bot) Handler() http.Handler { return b.handler }

func (b *Bot) handleReady(w http.ResponseWriter, r *http.Request) {
	select {
	case <-b.draining:
		http.Error(w, "stopping", http.StatusServiceUnavailable)
		return
	default:
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	for _, check := range b.checks {
		if err := check(ctx); err != nil {
			b.log.Warn("not ready", "error", err.Error())
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
	}
	_, _ = w.Write([]byte("ready\n"))
}

// ListenAndServe serves on the configured port until ctx ends.
func (b *Bot) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(b.cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on port %d: %w", b.cfg.Port, err)
	}
	if b.cfg.DebugAddr != "" {
		dln, err := net.Listen("tcp", b.cfg.DebugAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on DEBUG_ADDR %s: %w", b.cfg.DebugAddr, err)
		}
		go func() { _ = httpserver.Serve(ctx, httpserver.New(debugHandler()), dln) }()
	}
	b.log.Info("serving", "addr", ln.Addr().String(), "base_url", b.cfg.BaseURL.String())
	return b.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends (SIGTERM). Then it stops accepting,
// starts no new Chat API call, gives up calls still in flight after
// HaltAfter, and returns once every request in flight has its answer.
func (b *Bot) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, b.drain)
	defer stop()
	return httpserver.Serve(ctx, httpserver.New(b.handler), ln)
}

func (b *Bot) drain() {
	b.drainOnce.Do(func() {
		b.log.Info("stopping: no new Chat API calls; calls in flight are given up in " + b.haltAfter.String())
		close(b.draining)
		time.AfterFunc(b.haltAfter, func() { b.haltOnce.Do(func() { close(b.halted) }) })
		if b.jobs != nil {
			// Background slices end at their next target; what they did
			// is stored, and the rest resumes on the next start.
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), b.haltAfter)
				defer cancel()
				if err := b.jobs.Stop(ctx); err != nil {
					b.log.Warn("stop background invitations", "error", err.Error())
				}
			}()
		}
	})
}

// Close releases what New opened.
func (b *Bot) Close() error {
	var errs []error
	for i := len(b.closers) - 1; i >= 0; i-- {
		errs = append(errs, b.closers[i]())
	}
	return errors.Join(errs...)
}
