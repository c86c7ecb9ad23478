package membership

import (
	"context"
	"errors"
)

// ErrAlreadyUndone means the invitation already has its undo: storing a
// second one is refused, and the first one's state is the answer.
var ErrAlreadyUndone = errors.New("the invitation already has an undo")

// UndoStore keeps what Undo needs beyond InvitationStore: invitations that
// finished while Chat waited (they are otherwise not stored), and the link
// from an invitation to its undo. The storage package implements it.
type UndoStore interface {
	// SaveFinished stores inv, finished now, with its outcomes.
	SaveFinished(ctx context.Context, inv *Invitation) error
	// CreateUndo stores undo (an unfinished removal whose UndoOf names the
	// invitation it undoes) without a job; ErrAlreadyUndone when that
	// invitation already has one.
	CreateUndo(ctx context.Context, undo *Invitation) error
	// UndoOf is the id of the undo of invitation id, "" when it has none.
	UndoOf(ctx context.Context, id string) (string, error)
}
