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
)

// ErrUsage means the command line was wrong; usage has been printed.
var ErrUsage = errors.New("usage")

// CommandNames are the slash commands COMMAND_IDS may name.
func CommandNames() []string { return commands.Names(commands.All(commands.Deps{})) }

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
	default:
		config.Usage(stderr)
		return fmt.Errorf("%w: unknown command %q", ErrUsage, cmd)
	}
}

func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.Load(getenv, CommandNames())
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
