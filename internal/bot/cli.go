package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/config"
	"github.com/chatinvite/invitebot/internal/logging"
	"github.com/chatinvite/invitebot/internal/secrets"
)

// ErrUsage means the command line was wrong; usage has been printed.
var ErrUsage = errors.New("usage")

// CommandNames are the slash commands COMMAND_IDS may name.
func CommandNames() []string { return commands.Names(commands.All(commands.Deps{})) }

// LoadConfig resolves the settings given by reference (Secret Manager, or
// NAME_FILE) and then reads and checks them all.
func LoadConfig(ctx context.Context, getenv func(string) string) (*config.Config, error) {
	emulator, err := config.Emulator(getenv)
	if err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	resolved, err := secrets.Resolve(ctx, getenv, secrets.SecretManager(emulator))
	if err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return config.Load(resolved, CommandNames())
}

// Main runs the bot's command line: "serve" (the default), "keyset new|rotate" or "-h".
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "-h", "-help", "--help", "help":
		config.Usage(stdout)
		return nil
	case "serve":
		if len(args) > 1 {
			config.Usage(stderr)
			return fmt.Errorf("%w: serve takes no arguments (got %q); settings come from the environment", ErrUsage, strings.Join(args[1:], " "))
		}
		return serve(ctx, getenv, stderr)
	case "keyset":
		return keysetCommand(ctx, args[1:], getenv, stdout, stderr)
	case "doctor":
		if len(args) > 1 {
			config.Usage(stderr)
			return fmt.Errorf("%w: doctor takes no arguments", ErrUsage)
		}
		return doctor(ctx, getenv, stdout)
	default:
		config.Usage(stderr)
		return fmt.Errorf("%w: unknown command %q", ErrUsage, cmd)
	}
}

func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := LoadConfig(ctx, getenv)
	if err != nil {
		return err
	}
	logger := logging.New(stderr, cfg.LogLevel)
	b, err := New(ctx, cfg, Deps{Logger: logger})
	if err != nil {
		return err
	}
	defer b.Close()
	return b.ListenAndServe(ctx)
}
