package tlog

import (
	"encoding/base64"
	"fmt"
)

// Alarm is the error of a check that failed: the server showed something
// its log does not back — a checkpoint not signed by the session's key, a
// tree that does not extend the one shown before (the log was forked or
// rewritten), or an entry that is not in the tree. A party that gets one
// must stop and keep what it was shown as evidence.
type Alarm struct {
	Kind   string // AlarmSignature, AlarmFork, AlarmInclusion, AlarmEntry
	Detail string
}

// Alarm kinds.
const (
	AlarmSignature = "signature" // a checkpoint not signed by the session's log key, or for another log
	AlarmFork      = "fork"      // the tree does not extend the one seen before: forked or rewritten
	AlarmInclusion = "inclusion" // an entry shown is not in the tree
	AlarmEntry     = "entry"     // an entry does not say what was shown or done
	AlarmMove      = "move"      // a signed move that does not verify, or a signature dropped
)

func (a *Alarm) Error() string {
	what := map[string]string{
		AlarmSignature: "a checkpoint is not signed by the session's log key",
		AlarmFork:      "the session log was forked or rewritten",
		AlarmInclusion: "an entry shown is not in the session log",
		AlarmEntry:     "a log entry does not match what was shown",
		AlarmMove:      "a party's signed move is forged or its signature dropped",
	}[a.Kind]
	return "ALARM: " + what + ": " + a.Detail
}

// Follower is one party's running check of a session's log: it keeps the
// newest checkpoint it verified and accepts a new one only if it is signed
// by Key for Origin and proven consistent with it. It is not safe for
// concurrent use.
type Follower struct {
	Key    string // the log's verifier key (signed-note form)
	Origin string // the log's origin line
	cp     Checkpoint
	signed string
	seen   bool
}

// NewFollower returns a Follower of the log origin signed by vkey.
func NewFollower(vkey, origin string) *Follower {
	return &Follower{Key: vkey, Origin: origin, cp: Checkpoint{Origin: origin, Root: EmptyRoot}}
}

// Checkpoint returns the newest verified checkpoint and its signed text.
func (f *Follower) Checkpoint() (Checkpoint, string) { return f.cp, f.signed }

// Advance verifies signed, a checkpoint, and proof, a consistency proof
// from the size of the newest checkpoint verified so far, and makes it the
// newest. A checkpoint of the same size must have the same root. It returns
// an *Alarm if any check fails.
func (f *Follower) Advance(signed string, proof []string) error {
	c, err := OpenCheckpoint(signed, f.Key)
	if err != nil {
		return &Alarm{Kind: AlarmSignature, Detail: err.Error()}
	}
	if c.Origin != f.Origin {
		return &Alarm{Kind: AlarmSignature, Detail: fmt.Sprintf("checkpoint of log %q, want %q", c.Origin, f.Origin)}
	}
	p, err := DecodeHashes(proof)
	if err != nil {
		return &Alarm{Kind: AlarmFork, Detail: err.Error()}
	}
	if err := CheckConsistency(p, f.cp.Size, f.cp.Root, c.Size, c.Root); err != nil {
		return &Alarm{Kind: AlarmFork, Detail: err.Error()}
	}
	if c.Size > f.cp.Size || !f.seen {
		f.cp, f.signed = c, signed
	}
	f.seen = true
	return nil
}

// Size is the size of the newest verified checkpoint.
func (f *Follower) Size() int64 { return f.cp.Size }

// Include verifies that the entry text under salt (base64) is leaf index of
// the newest verified checkpoint by proof (an inclusion path), and returns
// the entry read. It returns an *Alarm if not.
func (f *Follower) Include(index int64, salt, entry string, proof []string) (*Entry, error) {
	s, err := base64.StdEncoding.DecodeString(salt)
	if err != nil || len(s) != SaltSize {
		return nil, &Alarm{Kind: AlarmEntry, Detail: fmt.Sprintf("leaf %d: the salt is not %d bytes of base64", index, SaltSize)}
	}
	e, err := ParseEntry([]byte(entry), f.sessionOf(), index)
	if err != nil {
		return nil, &Alarm{Kind: AlarmEntry, Detail: err.Error()}
	}
	p, err := DecodeHashes(proof)
	if err != nil {
		return nil, &Alarm{Kind: AlarmInclusion, Detail: err.Error()}
	}
	c := Commit(s, []byte(entry))
	if err := CheckInclusion(p, index, f.cp.Size, f.cp.Root, LeafHash(c[:])); err != nil {
		return nil, &Alarm{Kind: AlarmInclusion, Detail: err.Error()}
	}
	return e, nil
}

// sessionOf is the session id of the log's origin ("…/sessions/ID").
func (f *Follower) sessionOf() string { return SessionOf(f.Origin) }

// Origin returns the origin line of session id's log on the server whose
// key is named name.
func Origin(name, id string) string { return name + "/sessions/" + id }

// SessionOf returns the session id an origin names ("" if none).
func SessionOf(origin string) string {
	for i := len(origin) - 1; i >= 0; i-- {
		if origin[i] == '/' {
			if i >= len("/sessions") && origin[i-len("/sessions"):i] == "/sessions" {
				return origin[i+1:]
			}
			return ""
		}
	}
	return ""
}
