package commands

// Starting a large invitation: stored with its job only once announced.

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/logging"
	"github.com/chatinvite/invitebot/internal/membership"
)

// AppMessages are the app's own messages, created and updated through the
// Chat API with the app's credentials (scope chat.bot). An app may update
// only the messages it created; a client-assigned id ("client-…") names
// the message before Chat answers, so it can be updated after a restart.
type AppMessages interface {
	CreateMessage(ctx context.Context, space, messageID string, m *chat.Message) (string, error)
	UpdateMessage(ctx context.Context, name string, m *chat.Message) error
}

// Jobs run invitations in the background, surviving restarts.
type Jobs interface {
	// Start stores inv and queues its work in one transaction: both or
	// neither, so nothing runs that was not stored, and nothing stored
	// waits for a start to resume it.
	Start(ctx context.Context, inv *membership.Invitation) error
}

func newID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startBackground stores an invitation too large to finish while Chat
// waits, shows its progress message, and hands it to the job queue. The
// answer to the event itself is empty: the progress message is it.
func (iv *Invite) startBackground(ctx context.Context, ev *events.Event, spaces []string, targets []membership.Target) events.Reply {
	var plans []membership.Planned
	for _, s := range spaces {
		for _, t := range targets {
			plans = append(plans, membership.Planned{Space: s, Target: t})
		}
	}
	return iv.startPlanned(ctx, ev, plans, true)
}

// startPlanned is startBackground for planned (space, target) pairs.
//
// Whatever the size, the policy is checked first (settle) and nothing is
// stored that the user is not told about: the progress message is created
// first (a bounded wait for its message slot; past it, the answer itself
// carries the progress card and the work posts its message later), then
// the invitation and its job are committed in one transaction. A failure
// before that leaves nothing stored; the answer comes within Chat's
// deadline either way.
//
// announce false skips the wait for the message slot (the person already
// waited for a membership slot): the answer carries the progress card.
func (iv *Invite) startPlanned(ctx context.Context, ev *events.Event, plans []membership.Planned, announce bool) events.Reply {
	targets, spaces := targetsOf(plans)
	if iv.AppMessages == nil || iv.Jobs == nil || iv.Invitations == nil {
		return events.Reply{Private: true, Cards: refusalCards("Too many to finish while Chat waits",
			fmt.Sprintf("Invitations of more than %d people (or copies of a space's members) run in the background and report in a message of the app's own, "+
				"which needs the app's credentials. Ask whoever runs Invite to set them up (bot doctor checks them), or invite at most %d at a time.", iv.SyncMax, iv.SyncMax))}
	}
	if closed(iv.Draining) {
		return events.Reply{Private: true, Transient: true, Cards: refusalCards("Nothing was done", restartingNotTried+".")}
	}
	scopes := iv.scopesFor(iv.op, targets, spaces, ev.Space.Name)
	token, err := iv.Auth.AccessToken(ctx, ev.User.Name, scopes)
	if consentRequired(err) {
		return consentPrompt(ctx, iv.Auth, ev, scopes)
	} else if err != nil {
		return failure(ctx, "get access token", err)
	}
	inv := &membership.Invitation{ID: newID(), Op: iv.op, MessageName: ev.MessageName, User: ev.User.Name, Space: ev.Space.Name, SpaceName: ev.Space.DisplayName,
		Private: !iv.Policy.Public, AddOn: ev.Shape == events.AddOn, CreatedAt: iv.Now(), Trace: logging.Trace(ctx),
		UserDisplay: ev.User.DisplayName, UndoOf: iv.undoOf, Admin: iv.admin}
	var open []int // targets policy left to write
	var rs []Result
	for _, p := range plans {
		p.Seq = len(inv.Targets)
		if p.State != membership.Done {
			open = append(open, p.Seq)
			rs = append(rs, Result{Target: p.Target, Space: p.Space})
		}
		inv.Targets = append(inv.Targets, p)
	}
	settled := iv.settle(ctx, ev, token, rs)
	left := 0
	for i, seq := range open {
		if settled[i] {
			p := &inv.Targets[seq]
			p.State, p.Outcome, p.Detail, p.APIStatus = membership.Done, rs[i].Outcome.String(), rs[i].Detail, rs[i].APIStatus
		} else {
			left++
		}
	}
	for _, r := range rs {
		if r.APIStatus == http.StatusUnauthorized {
			if err := iv.Auth.Forget(ctx, ev.User.Name); err != nil {
				return failure(ctx, "forget rejected grant", err)
			}
			return consentPrompt(ctx, iv.Auth, ev, scopes)
		}
	}
	if left == 0 {
		// Nothing to write: the answer is the result, as for a small one.
		results, spaces, _ := outcomesOf(inv)
		iv.nameSpaces(ctx, ev, spaces)
		return events.Reply{Private: !iv.Policy.Public, Cards: iv.administered(resultCards(iv.op, results, ev.Space, spaces)), CloseStatus: summary(results)}
	}
	reply := events.Reply{Empty: true}
	if announce && iv.announce(ctx, inv) {
		inv.ProgressMessage = ev.Space.Name + "/messages/" + progressID(inv)
	} else if ctx.Err() != nil || closed(iv.Draining) {
		return events.Reply{Private: true, Transient: true, Cards: refusalCards("Nothing was done", restartingNotTried+".")}
	} else {
		// No message slot in time: the answer carries the progress card,
		// and the work posts its own message when it reports.
		m := iv.progressMessage(inv, false)
		reply = events.Reply{Private: inv.Private, Cards: m.CardsV2}
	}
	// Announced: stored whatever happens to the request from here.
	storeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := iv.Jobs.Start(storeCtx, inv); err != nil {
		if errors.Is(err, membership.ErrAlreadyUndone) {
			// Another click undid it first: that undo is the answer.
			return iv.undoTaken(storeCtx, ev, inv)
		}
		if inv.ProgressMessage != "" {
			m := &chat.Message{CardsV2: refusalCards("Nothing was done", "The invitation could not be saved: run /invite again.")}
			if inv.Private {
				m.PrivateMessageViewer = &chat.User{Name: inv.User}
			}
			if err := iv.AppMessages.UpdateMessage(storeCtx, inv.ProgressMessage, m); err != nil {
				logFrom(ctx).Warn("say on the progress message that nothing started", "error", err.Error())
			}
		}
		return failure(ctx, "store the invitation", err)
	}
	logFrom(ctx).Info("large invitation started", "invitation", inv.ID, "inviter", inv.User, "targets", len(inv.Targets), "to_write", left, "admin", inv.Admin)
	return reply
}

// announce creates the invitation's progress message if its space's message
// quota gives a slot within SlotWait (or before the app stops).
func (iv *Invite) announce(ctx context.Context, inv *membership.Invitation) bool {
	wctx, cancel := iv.whileChatWaits(ctx, iv.slotWait())
	defer cancel()
	if err := iv.Pacer.Message(wctx, inv.Space); err != nil {
		return false
	}
	if _, err := iv.AppMessages.CreateMessage(ctx, inv.Space, progressID(inv), iv.progressMessage(inv, false)); err != nil {
		logFrom(ctx).Warn("create the progress message; the answer carries it", "invitation", inv.ID, "error", err.Error())
		return false
	}
	return true
}

// slotWait bounds a wait for a write slot while Chat waits (a progress
// message's, or a small invitation's membership writes) before the answer
// is given and the rest done in the background.
func (iv *Invite) slotWait() time.Duration { return cmp.Or(iv.SlotWait, 1500*time.Millisecond) }

// targetsOf are the targets of plans, and their spaces in order, each once.
func targetsOf(plans []membership.Planned) ([]membership.Target, []string) {
	var targets []membership.Target
	var spaces []string
	for _, p := range plans {
		targets = append(targets, p.Target)
		if !slices.Contains(spaces, p.Space) {
			spaces = append(spaces, p.Space)
		}
	}
	return targets, spaces
}
