// Command bot is the Invite Google Chat app: it serves Chat's events and the
// OAuth consent pages. Run "bot -h" for its settings, "bot sandbox" to try it
// locally against an emulated Google.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/chatinvite/invitebot/internal/bot"
	"github.com/chatinvite/invitebot/internal/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	run := func() error { return bot.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr) }
	if len(os.Args) > 1 && os.Args[1] == "sandbox" {
		run = func() error { return sandbox.Main(ctx, os.Args[2:], os.Stdout, os.Stderr) }
	}
	if err := run(); err != nil {
		if !errors.Is(err, bot.ErrUsage) {
			fmt.Fprintln(os.Stderr, "bot:", err)
		}
		os.Exit(1)
	}
}
