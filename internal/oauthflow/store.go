package oauthflow

import (
	"context"
	"errors"
	"time"
)

// Store keeps grants and flow state. The storage package implements it for
// SQLite and PostgreSQL; another store is one more implementation.
type Store interface {
	// GetGrant returns user's grant, or ErrNotFound.
	GetGrant(ctx context.Context, user string) (*Grant, error)
	// PutGrant creates or replaces user's grant; CreatedAt survives a replace.
	PutGrant(ctx context.Context, g *Grant) error
	// DeleteGrant removes user's grant; a missing grant is not an error.
	DeleteGrant(ctx context.Context, user string) error
	// PutFlow stores a new flow (and may forget expired ones).
	PutFlow(ctx context.Context, f *Flow) error
	// GetFlow returns the flow with stateHash, used or not, or ErrNotFound.
	GetFlow(ctx context.Context, stateHash []byte) (*Flow, error)
	// UseFlow marks the flow used: exactly one caller wins, the others get ErrUsed.
	UseFlow(ctx context.Context, stateHash []byte, at time.Time) error
	// UseLink records a consent link's nonce as used; a second use gets
	// ErrUsed. expiresAt is when the record may be forgotten.
	UseLink(ctx context.Context, nonceHash []byte, expiresAt time.Time) error
}

// Store errors.
var (
	// ErrNotFound means no record matches.
	ErrNotFound = errors.New("not found")
	// ErrUsed means a single-use record was already used.
	ErrUsed = errors.New("already used")
)

// Grant is one user's stored OAuth grant. Token fields hold ciphertext.
type Grant struct {
	User         string // users/{id}
	RefreshToken []byte
	AccessToken  []byte
	AccessExpiry time.Time
	Scopes       []string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Flow is one consent attempt between /oauth2/start and /oauth2/callback,
// kept server-side so any instance can finish it. Hashes, not secrets, are
// stored; Verifier is ciphertext.
type Flow struct {
	StateHash   []byte
	User        string
	ConfigURL   string
	Scopes      []string
	Verifier    []byte
	BindingHash []byte
	ExpiresAt   time.Time
	UsedAt      time.Time
}
