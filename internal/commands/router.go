// Package commands turns a verified Chat event into what the bot does and
// says: it routes slash commands, runs them, and builds their cards.
package commands

import (
	"context"
	"strings"

	"github.com/chatinvite/invitebot/internal/events"
)

// Command runs one slash command.
type Command interface {
	Run(ctx context.Context, ev *events.Event) events.Reply
}

// CommandFunc adapts a function to Command.
type CommandFunc func(ctx context.Context, ev *events.Event) events.Reply

// Run calls f.
func (f CommandFunc) Run(ctx context.Context, ev *events.Event) events.Reply { return f(ctx, ev) }

// Router dispatches events to commands; it implements events.Dispatcher.
type Router struct {
	ids      map[int64]string
	commands map[string]Command
}

// NewRouter maps command ids (from COMMAND_IDS) to names; commands maps names
// to what runs them. "help" is always present.
func NewRouter(ids map[int64]string, commands map[string]Command) *Router {
	r := &Router{ids: ids, commands: map[string]Command{"help": CommandFunc(helpCommand)}}
	for name, c := range commands {
		r.commands[name] = c
	}
	return r
}

// Dispatch implements events.Dispatcher.
func (r *Router) Dispatch(ctx context.Context, ev *events.Event) events.Reply {
	switch ev.Kind {
	case events.KindAddedToSpace:
		return events.Reply{Cards: welcomeCards()}
	case events.KindRemovedFromSpace:
		return events.Reply{Empty: true}
	}
	name := r.commandName(ev)
	if c, ok := r.commands[name]; ok {
		return c.Run(ctx, ev)
	}
	if ev.Kind == events.KindCardClicked {
		if c, ok := r.commands[ev.Parameters["command"]]; ok {
			return c.Run(ctx, ev)
		}
	}
	return events.Reply{Private: true, Text: "I add people to spaces. Type `/invite alice@example.com` or `/help` to see how."}
}

// commandName finds the command an event invokes: by id first, then by the
// name in its SLASH_COMMAND annotation, then by the invoked function of a
// card or dialog action.
func (r *Router) commandName(ev *events.Event) string {
	if name, ok := r.ids[ev.CommandID]; ok && ev.CommandID != 0 {
		return name
	}
	if ev.CommandName != "" {
		return strings.ToLower(strings.TrimPrefix(ev.CommandName, "/"))
	}
	if ev.InvokedFunction != "" {
		return ev.InvokedFunction
	}
	return ""
}

func helpCommand(_ context.Context, _ *events.Event) events.Reply {
	return events.Reply{Private: true, Cards: helpCards()}
}
