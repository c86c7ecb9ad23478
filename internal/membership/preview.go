package membership

import (
	"context"
	"errors"
	"time"
)

// Preview is what a change would do, kept while its starter decides: a
// large invitation, or any copy of a space's members, is shown first and
// runs only when its starter clicks Start, exactly as it was shown (the
// targets stored here, not a new reading of the source space).
type Preview struct {
	ID        string
	Op        Op
	User      string // who asked: only they may start or cancel it
	Space     string // where the command came from
	Targets   []Planned
	ExpiresAt time.Time
	// Admin: previewed "as admin"; Start runs it so.
	Admin bool
}

// Why a preview cannot be started.
var (
	// ErrPreviewGone: no such preview (cancelled, deleted, or never made).
	ErrPreviewGone = errors.New("no such preview")
	// ErrPreviewStarted: it was started already (Start runs once).
	ErrPreviewStarted = errors.New("the preview was started already")
	// ErrPreviewExpired: it was not started in time.
	ErrPreviewExpired = errors.New("the preview expired")
	// ErrPreviewNotYours: someone else asked for it.
	ErrPreviewNotYours = errors.New("the preview is someone else's")
)

// PreviewStore keeps previews awaiting Start or Cancel. The storage
// package implements it.
type PreviewStore interface {
	PutPreview(ctx context.Context, p *Preview) error
	// ClaimPreview takes the preview id for user, once: of two claims at
	// once, one gets it and the other ErrPreviewStarted. It fails with
	// ErrPreviewNotYours, ErrPreviewExpired (as of now) or ErrPreviewGone,
	// claiming nothing.
	ClaimPreview(ctx context.Context, id, user string, now time.Time) (*Preview, error)
	// CancelPreview deletes the preview id of user (ErrPreviewNotYours for
	// anyone else's, ErrPreviewStarted once started, ErrPreviewGone when it is
	// gone).
	CancelPreview(ctx context.Context, id, user string) error
	// ReleasePreview gives back user's claim on the preview id when Start
	// started nothing (a restart, authorization gone): Start works again.
	ReleasePreview(ctx context.Context, id, user string) error
}
