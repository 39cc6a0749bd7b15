package store

import (
	"context"
	"errors"
)

// Live sessions (package session) keep everything they are in the same store
// as tournament results: the scenarios people upload, each session's
// specification, the hashes of its seat tokens, and its append-only log of
// moves and of the events they caused. A session's state is derived from its
// moves; nothing lives only in memory.

// Upload is a scenario uploaded to the server, stored in the native format.
type Upload struct {
	ID     string // content address: "u-" + hex of the SHA-256 of Doc, truncated
	Title  string
	Source string // the file name(s) it was uploaded as
	Doc    []byte // the scenario in the native JSON format
}

// Session is one live negotiation as the store keeps it.
type Session struct {
	ID        string
	Spec      []byte // the session's specification (JSON, package session)
	CreatedMS int64  // Unix milliseconds when it was created (its time deadline runs from here)
	Status    string // "running" until it ends, then "agreement", "no agreement" or "failed"
	Result    []byte // how it ended (JSON); nil while running
}

// Token is the hash of one capability token and what it opens: a seat of a
// session (its role: a party id or "mediator") or the session's owner.
type Token struct {
	Hash    string // hex SHA-256 of the token; the token itself is never stored
	Session string
	Role    string
}

// Move is one entry of a session's log: an answer to the request pending at
// Step, or a move the server made for the party asked (a timeout) or for
// the clock (the time deadline).
type Move struct {
	Step  int     // requests answered before this one (0 for the first request)
	Party int     // the party asked (index, or -1 for the mediator)
	Kind  string  // "offer", "accept", …, or "timeout" or "expire"
	Offer []int32 // value indices, for kinds that carry an outcome
	T     float64 // the clock's relative time when the party was asked
	AtMS  int64   // Unix milliseconds when the move was committed
	Note  string  // reason, for "timeout"
	// Sig is the party's own signature of the move, "KEY SIG" (both
	// base64: its Ed25519 public key and signature), or empty.
	Sig string
}

// Event is one event of a session's log: Seq counts from 1 within the
// session; Body is its JSON form (package session).
type Event struct {
	Seq  int
	Body []byte
}

// Batch is what one acknowledged action appends to one session: its moves,
// the events they caused, and, when the session ended, its final status and
// result. Batches commit whole or not at all.
type Batch struct {
	Session string
	Moves   []Move
	Events  []Event
	Status  string // non-empty when the session ended with this batch
	Result  []byte
}

// Sessions is the durable home of live sessions. Implementations are safe for
// concurrent use.
type Sessions interface {
	// PutUpload stores an uploaded scenario; storing the same ID again is a
	// no-op.
	PutUpload(ctx context.Context, u Upload) error
	// Upload returns the uploaded scenario id, or ErrNotFound.
	Upload(ctx context.Context, id string) (Upload, error)
	// Uploads lists the uploaded scenarios, without their documents.
	Uploads(ctx context.Context) ([]Upload, error)
	// CreateSession stores a new session and its tokens in one transaction.
	CreateSession(ctx context.Context, s Session, tokens []Token) error
	// Append commits batches in one transaction (group commit): every batch
	// is durable when it returns nil, none is when it returns an error. A
	// move at a step already stored fails the whole call with ErrConflict.
	Append(ctx context.Context, batches []Batch) error
	// Token returns what the token hash opens, or ErrNotFound.
	Token(ctx context.Context, hash string) (Token, error)
	// Session returns a session and its moves in step order, or ErrNotFound.
	Session(ctx context.Context, id string) (Session, []Move, error)
	// Events returns the stored events of a session with Seq > since, in order.
	Events(ctx context.Context, id string, since int) ([]Event, error)
	// Running returns the ids of the sessions that have not ended.
	Running(ctx context.Context) ([]string, error)
}

// ErrConflict is returned by Append when a move's step is already stored.
var ErrConflict = errors.New("store: conflicting move (the step is already answered)")
