package commands

import (
	"context"
	"encoding/json"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/chatinvite/invitebot/internal/events"
)

// RememberFor is how long a message's reply answers its re-deliveries.
const RememberFor = 10 * time.Minute

// ReplyStore remembers replies by Chat message name, across restarts and
// instances. The storage package implements it.
type ReplyStore interface {
	// GetReply returns the reply remembered for messageName, unless it
	// expired by now.
	GetReply(ctx context.Context, messageName string, now time.Time) (reply []byte, found bool, err error)
	// PutReply remembers a reply until expiresAt, keeping the first one
	// stored for a message, and forgets replies expired by now.
	PutReply(ctx context.Context, messageName, user string, reply []byte, now, expiresAt time.Time) error
}

// Remembering wraps a dispatcher so that a message Chat delivers again (it
// does when an answer is slow or lost) gets the first delivery's reply
// instead of running its command twice. The reply is stored before it is
// sent.
type Remembering struct {
	next   events.Dispatcher
	store  ReplyStore
	now    func() time.Time
	flight singleflight.Group // deliveries of one message on this instance share one run
}

// Remember wraps next.
func Remember(next events.Dispatcher, store ReplyStore, now func() time.Time) *Remembering {
	return &Remembering{next: next, store: store, now: now}
}

// Dispatch implements events.Dispatcher.
func (m *Remembering) Dispatch(ctx context.Context, ev *events.Event) events.Reply {
	name := rememberedAs(ev)
	if name == "" {
		return m.next.Dispatch(ctx, ev)
	}
	v, _, _ := m.flight.Do(name, func() (any, error) {
		if r, ok := m.recall(ctx, name); ok {
			return r, nil
		}
		r := m.next.Dispatch(ctx, ev)
		if worthRemembering(r) {
			m.remember(ctx, ev, name, r)
		}
		return r, nil
	})
	return v.(events.Reply)
}

// rememberedAs is the name a reply is remembered by: the message of a
// command. Clicks and dialogs are not remembered (a button's message is the
// app's own card, clicked again on purpose).
func rememberedAs(ev *events.Event) string {
	if ev.IsDialog || ev.Kind == events.KindCardClicked {
		return ""
	}
	return ev.MessageName
}

// worthRemembering: a consent prompt is not (after consent Chat sends the
// same message again, which must then run), nor a failure on the bot's side.
func worthRemembering(r events.Reply) bool {
	return r.ConfigURL == "" && r.Dialog == nil && !r.Transient
}

func (m *Remembering) recall(ctx context.Context, name string) (events.Reply, bool) {
	raw, found, err := m.store.GetReply(ctx, name, m.now())
	if err != nil {
		logFrom(ctx).Error("could not read the remembered reply; running the command", "message", name, "error", err.Error())
		return events.Reply{}, false
	}
	if !found {
		return events.Reply{}, false
	}
	var r events.Reply
	if err := json.Unmarshal(raw, &r); err != nil {
		logFrom(ctx).Error("unreadable remembered reply; running the command", "message", name, "error", err.Error())
		return events.Reply{}, false
	}
	logFrom(ctx).Info("answered a re-delivered message with its remembered reply", "message", name)
	return r, true
}

func (m *Remembering) remember(ctx context.Context, ev *events.Event, name string, r events.Reply) {
	raw, err := json.Marshal(r)
	if err == nil {
		now := m.now()
		err = m.store.PutReply(ctx, name, ev.User.Name, raw, now, now.Add(RememberFor))
	}
	if err != nil {
		logFrom(ctx).Error("could not remember the reply: a re-delivery of this message would run it again", "message", name, "error", err.Error())
	}
}
