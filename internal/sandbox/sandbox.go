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
	"os"
	"path/filepath"
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

// Options choose how the sandbox's Chat sees the app.
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
}

// Start starts a sandbox whose page and bot listen on addr (loopback only).
func Start(ctx context.Context, addr string, logger *slog.Logger, opts Options) (*Sandbox, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !config.IsLoopback(host) {
		return nil, fmt.Errorf("sandbox address %q: want a loopback address such as 127.0.0.1:8088", addr)
	}
	emu, err := emulator.Start("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Sandbox{Emulator: emu}
	if s.ln, err = net.Listen("tcp", addr); err != nil {
		emu.Close()
		return nil, fmt.Errorf("sandbox listen on %s: %w", addr, err)
	}
	s.URL = "http://" + s.ln.Addr().String()
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
	env := map[string]string{
		"BOT_BASE_URL":                   s.URL,
		"GOOGLE_EMULATOR_URL":            emu.URL(),
		"GOOGLE_OAUTH_CLIENT_ID":         clientID,
		"GOOGLE_OAUTH_CLIENT_SECRET":     clientSecret,
		"BOT_DATA_DIR":                   s.dataDir,
		"GOOGLE_APPLICATION_CREDENTIALS": filepath.Join(s.dataDir, "app-key.json"),
		// The counts are per QuotaWindow below.
		"QUOTA_SPACE_WRITES_PER_MINUTE":      "60",
		"QUOTA_MEMBERSHIP_WRITES_PER_MINUTE": fmt.Sprint(memberships),
	}
	cfg, err := config.Load(func(k string) string { return env[k] }, bot.CommandNames())
	if err != nil {
		s.Close()
		return nil, err
	}
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
	if s.ln != nil && s.srv == nil {
		errs = append(errs, s.ln.Close())
	}
	errs = append(errs, s.Emulator.Close())
	if s.dataDir != "" {
		errs = append(errs, os.RemoveAll(s.dataDir))
	}
	return errors.Join(errs...)
}

// Main runs "sandbox [-addr 127.0.0.1:8088] [-addon] [-v]".
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8088", "loopback address of the sandbox page")
	verbose := fs.Bool("v", false, "log every request")
	addOn := fs.Bool("addon", false, "configure the app as a Google Workspace add-on (add-on event and answer shapes)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: sandbox [-addr 127.0.0.1:8088] [-addon] [-v]\n\nRuns Invite on this machine with an emulated Google and a Chat look-alike page; nothing reaches Google.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelInfo
	}
	logger := logging.New(stderr, level)
	s, err := Start(ctx, *addr, logger, Options{AddOn: *addOn})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(stdout, "Invite sandbox: open %s\n(everything runs on this machine; nothing reaches Google. Ctrl-C stops it.)\n", s.URL)
	return s.Serve(ctx)
}
