package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/chatinvite/invitebot/internal/events"
)

// Router dispatches events to commands; it implements events.Dispatcher.
type Router struct {
	ids   map[int64]string
	specs map[string]Spec
}

// NewRouter routes to specs; ids maps slash-command ids (COMMAND_IDS, as
// configured in the Chat API console) to their names, every one of which
// must be a command.
func NewRouter(specs []Spec, ids map[int64]string) (*Router, error) {
	r := &Router{ids: ids, specs: map[string]Spec{}}
	var names []string
	for _, s := range specs {
		r.specs[s.Name] = s
		names = append(names, s.Name)
	}
	for id, name := range ids {
		if _, ok := r.specs[name]; !ok {
			return nil, fmt.Errorf("COMMAND_IDS: %d=%s: no command %q (the commands are %s)", id, name, name, strings.Join(names, ", "))
		}
	}
	return r, nil
}

// Names lists the commands' names, sorted.
func Names(specs []Spec) []string {
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	return names
}

// Dispatch implements events.Dispatcher.
func (r *Router) Dispatch(ctx context.Context, ev *events.Event) events.Reply {
	spec, ok := r.route(ev)
	switch {
	case ev.Kind == events.KindRemovedFromSpace:
		return events.Reply{Empty: true}
	case ev.Kind == events.KindAddedToSpace && !ok:
		return events.Reply{Cards: welcomeCards()}
	case ev.DialogEventType == events.DialogCancel && !ok:
		// Closing a dialog carries no button: whatever opened it, close it.
		return events.Reply{CloseDialog: true}
	case !ok:
		return events.Reply{Private: true, Text: "I add people to spaces. Type `/invite alice@example.com` or `/help` to see how."}
	}
	reply := spec.Run(ctx, ev)
	if ev.Kind == events.KindAddedToSpace && reply.ConfigURL == "" && reply.Dialog == nil {
		// A slash command that adds the app arrives as one ADDED_TO_SPACE
		// event carrying the command ("Receive and respond to interaction
		// events"): it runs, and a welcome line leads its answer.
		// An empty answer (a large invitation reports in its own message)
		// becomes the welcome line alone.
		reply.Text = strings.TrimSpace(welcomeLine + "\n" + reply.Text)
		reply.Empty = false
	}
	return fitReply(reply)
}

// route finds the command an event invokes. A click names its command in
// the button's parameters, in both shapes (add-on buttons all name the
// endpoint URL as their function). A slash command is found by its id,
// then by the name in its SLASH_COMMAND annotation.
func (r *Router) route(ev *events.Event) (Spec, bool) {
	if name := ev.Parameters["command"]; name != "" {
		s, ok := r.specs[name]
		return s, ok
	}
	if name, ok := r.ids[ev.CommandID]; ok && ev.CommandID != 0 {
		return r.specs[name], true
	}
	if ev.CommandName != "" {
		s, ok := r.specs[strings.ToLower(strings.TrimPrefix(ev.CommandName, "/"))]
		return s, ok
	}
	if ev.Kind == events.KindCardClicked && ev.Shape == events.Classic && ev.InvokedFunction != "" {
		s, ok := r.specs[ev.InvokedFunction]
		return s, ok
	}
	return Spec{}, false
}
