// Package sandbox runs the whole bot on one machine with no Google account:
// a seeded Google emulator, the real bot wired to it with a fresh SQLite
// store, and a page that looks and behaves like a Chat space, sending
// signed events to the bot's real /chat/events exactly as Chat would.
package sandbox

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/chatinvite/invitebot/internal/bot"
	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/config"
	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/httpserver"
	"github.com/chatinvite/invitebot/internal/logging"
)

const (
	clientID     = "sandbox.apps.googleusercontent.com"
	clientSecret = "sandbox-secret"
)

// Sandbox is a running sandbox.
type Sandbox struct {
	Emulator *emulator.Emulator
	Bot      *bot.Bot
	URL      string

	chat    *chatSim
	dataDir string
	srv     *http.Server
	ln      net.Listener
}

// Options choose how the sandbox's Chat sees the app, and where it listens.
type Options struct {
	// AddOn: the app is configured as a Google Workspace add-on, so Chat
	// sends and expects the add-on shapes.
	AddOn bool
	// QuotaWindow is the window of Google's quotas, shortened so a large
	// invitation finishes while you watch: 10 s unless set; in it, 60
	// message writes per space and MembershipWrites membership writes per
	// project (unless set, Google's rate of 300 a minute: 50 in 10 s).
	QuotaWindow      time.Duration
	MembershipWrites int
	// Public accepts an address other than loopback (a dev container, a
	// machine reached over SSH): the sandbox has no sign-in, so whoever
	// reaches it acts as anyone in it.
	Public bool
	// GoogleAddr is where the emulated Google listens; the browser goes
	// there for consent. Unless set: the sandbox's host, the next port.
	GoogleAddr string
}

// ErrNotLoopback means an address other than loopback without Public.
var ErrNotLoopback = errors.New("not a loopback address")

// Start starts a sandbox whose page and bot listen on addr (loopback
// unless opts.Public), and the emulated Google beside it.
func Start(ctx context.Context, addr string, logger *slog.Logger, opts Options) (*Sandbox, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox address %q: want host:port, such as 127.0.0.1:8088", addr)
	}
	if !config.IsLoopback(host) && !opts.Public {
		return nil, fmt.Errorf("sandbox address %q: %w; the sandbox has no sign-in, so whoever reaches it acts as anyone in it: add -public to serve it there anyway", addr, ErrNotLoopback)
	}
	googleAddr := opts.GoogleAddr
	if googleAddr == "" {
		googleAddr = net.JoinHostPort(host, "0")
		if n, err := strconv.Atoi(port); err == nil && n > 0 {
			if n == 65535 {
				return nil, fmt.Errorf("sandbox address %q: the emulated Google takes the next port; choose a lower one, or set -google-addr", addr)
			}
			googleAddr = net.JoinHostPort(host, strconv.Itoa(n+1))
		}
	}
	s := &Sandbox{}
	if s.ln, err = net.Listen("tcp", addr); err != nil {
		return nil, listenError("the sandbox", addr, "-addr 127.0.0.1:PORT", err)
	}
	s.URL = "http://" + browserAddr(s.ln.Addr())
	gln, err := net.Listen("tcp", googleAddr)
	if err != nil {
		s.ln.Close()
		return nil, listenError("the emulated Google", googleAddr, "-google-addr HOST:PORT (or another -addr)", err)
	}
	emu, err := emulator.Start("", emulator.WithListener(gln), emulator.WithURL("http://"+browserAddr(gln.Addr())))
	if err != nil {
		s.ln.Close()
		gln.Close()
		return nil, err
	}
	s.Emulator = emu
	if s.dataDir, err = os.MkdirTemp("", "invite-sandbox-"); err != nil {
		s.Close()
		return nil, fmt.Errorf("sandbox data folder: %w", err)
	}
	seed(emu)
	emu.RegisterClient(clientID, clientSecret, s.URL+"/oauth2/callback")
	emu.SetAppName(clientID, "Invite")
	window := cmp.Or(opts.QuotaWindow, 10*time.Second)
	memberships := cmp.Or(opts.MembershipWrites, max(1, int(300*window/time.Minute)))
	emu.SetQuota(emulator.Quota{Window: window, SpaceWrites: 60, ProjectMembershipWrites: memberships})
	// The app's own credentials, for the progress of large invitations.
	key, err := emu.AddServiceAccount("invite-bot@sandbox.iam.gserviceaccount.com")
	if err == nil {
		err = os.WriteFile(filepath.Join(s.dataDir, "app-key.json"), key, 0o600)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sandbox app credentials: %w", err)
	}
	// The bot accepts plain http only on loopback; a public sandbox's
	// origin is given to it once its settings are read.
	_, botPort, _ := net.SplitHostPort(s.ln.Addr().String())
	env := map[string]string{
		"BOT_BASE_URL":                   "http://127.0.0.1:" + botPort,
		"GOOGLE_EMULATOR_URL":            emu.URL(),
		"GOOGLE_OAUTH_CLIENT_ID":         clientID,
		"GOOGLE_OAUTH_CLIENT_SECRET":     clientSecret,
		"BOT_DATA_DIR":                   s.dataDir,
		"GOOGLE_APPLICATION_CREDENTIALS": filepath.Join(s.dataDir, "app-key.json"),
		// The counts are per QuotaWindow below.
		"QUOTA_SPACE_WRITES_PER_MINUTE":      "60",
		"QUOTA_MEMBERSHIP_WRITES_PER_MINUTE": fmt.Sprint(memberships),
		// Ada Admin may use "as admin" in example.com's spaces.
		"INVITE_ADMIN_ACCESS": "example.com",
	}
	if u, err := url.Parse(emu.URL()); err == nil && !config.IsLoopback(u.Hostname()) {
		env["GOOGLE_EMULATOR_ALLOW_REMOTE"] = "true" // the emulator the sandbox started itself
	}
	cfg, err := config.Load(func(k string) string { return env[k] }, bot.CommandNames())
	if err != nil {
		s.Close()
		return nil, err
	}
	if cfg.BaseURL, err = url.Parse(s.URL); err != nil {
		s.Close()
		return nil, fmt.Errorf("sandbox URL: %w", err)
	}
	cfg.ChatAudience = s.URL + "/chat/events"
	if s.Bot, err = bot.New(ctx, cfg, bot.Deps{Logger: logger, QuotaWindow: window, ProgressEvery: time.Second, JobPoll: 200 * time.Millisecond}); err != nil {
		s.Close()
		return nil, err
	}
	s.chat = newChatSim(emu, cfg, App(cfg, opts.AddOn))
	emu.OnConfigComplete(s.chat.configured)
	mux := http.NewServeMux()
	s.chat.routes(mux)
	mux.Handle("/", s.Bot.Handler()) // /chat/events, /oauth2/…, /healthz
	s.srv = httpserver.New(httpserver.Middleware(mux, logger, ""))
	return s, nil
}

// App is the bot as Chat's configuration page would describe it, with each
// command's description for Chat's command menu.
func App(cfg *config.Config, addOn bool) emulator.ChatApp {
	app := emulator.AppFor(bot.EndpointURL(cfg), cfg.CommandIDs, addOn)
	described := map[string]string{}
	for _, s := range commands.All(commands.Deps{}) {
		described["/"+s.Name] = s.Description
	}
	for i := range app.Commands {
		app.Commands[i].Description = described[app.Commands[i].Name]
	}
	return app
}

// Serve serves until ctx ends.
func (s *Sandbox) Serve(ctx context.Context) error {
	return httpserver.Serve(ctx, s.srv, s.ln)
}

// Close stops everything and removes the sandbox's data folder.
func (s *Sandbox) Close() error {
	var errs []error
	if s.Bot != nil {
		errs = append(errs, s.Bot.Close())
	}
	if s.ln != nil { // Serve closes it too, if it ran
		if err := s.ln.Close(); !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if s.Emulator != nil {
		errs = append(errs, s.Emulator.Close())
	}
	if s.dataDir != "" {
		errs = append(errs, os.RemoveAll(s.dataDir))
	}
	return errors.Join(errs...)
}

// listenError says what could not listen where, and, when the port is
// taken, the flag that picks another.
func listenError(what, addr, flag string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s cannot listen on %s: the port is in use (another sandbox?); choose another with %s: %w", what, addr, flag, err)
	}
	return fmt.Errorf("%s cannot listen on %s: %w", what, addr, err)
}

// browserAddr is the host:port a browser reaches a listener by: a listener
// on every interface (0.0.0.0, ::) is reached as 127.0.0.1 on this machine
// and through forwarded ports (a dev container, ssh -L).
func browserAddr(a net.Addr) string {
	host, port, _ := net.SplitHostPort(a.String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// newLogger is the sandbox's log: quiet (errors only) unless verbose.
func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelError
	if verbose {
		level = slog.LevelInfo
	}
	return logging.New(w, level)
}

// Main runs "sandbox [-addr 127.0.0.1:8088] [-public] [-google-addr HOST:PORT] [-addon] [-v]".
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8088", "address of the sandbox page (loopback unless -public)")
	public := fs.Bool("public", false, "accept an -addr other than loopback, such as 0.0.0.0:8088 in a dev container: whoever reaches it acts as anyone in the sandbox")
	googleAddr := fs.String("google-addr", "", "address of the emulated Google, where the browser goes for consent (default: -addr's host, the next port)")
	verbose := fs.Bool("v", false, "log every request")
	addOn := fs.Bool("addon", false, "configure the app as a Google Workspace add-on (add-on event and answer shapes)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: sandbox [-addr 127.0.0.1:8088] [-public] [-google-addr HOST:PORT] [-addon] [-v]\n\nRuns Invite on this machine with an emulated Google and a Chat look-alike page; nothing reaches Google.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	s, err := Start(ctx, *addr, newLogger(stderr, *verbose), Options{AddOn: *addOn, Public: *public, GoogleAddr: *googleAddr})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(stdout, "Invite sandbox: open %s\n(everything runs on this machine; nothing reaches Google. Ctrl-C stops it.)\n", s.URL)
	if *public {
		fmt.Fprintf(stderr, "warning: the sandbox listens on %s and the emulated Google on %s, beyond this machine's loopback: it has no sign-in, so whoever reaches them acts as anyone in the sandbox. Forward both ports (e.g. ssh -L) if you browse from elsewhere.\n",
			s.ln.Addr(), strings.TrimPrefix(s.Emulator.URL(), "http://"))
	}
	return s.Serve(ctx)
}
