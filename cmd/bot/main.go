// Command bot is the Invite Google Chat app: it serves Chat's events and the
// OAuth consent pages. Run "bot -h" for its settings; "go run ./cmd/sandbox"
// tries it locally against an emulated Google.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/chatinvite/invitebot/internal/bot"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := bot.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, bot.ErrUsage) {
			fmt.Fprintln(os.Stderr, "bot:", err)
		}
		os.Exit(1)
	}
}
