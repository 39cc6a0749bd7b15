package tlog

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/backchannel/backchannel/api"
)

// Opened is a verified session log (an api.LogExport): its checkpoint, every
// leaf's commitment, and the entries it opens (nil where closed).
type Opened struct {
	Session     string
	Key         string
	Checkpoint  Checkpoint
	Commitments []Hash
	Entries     []*Entry // nil for a leaf not opened
	Texts       [][]byte // the entries' texts, as committed
	tree        Tree
}

// OpenedCount is the number of opened leaves.
func (o *Opened) OpenedCount() int {
	n := 0
	for _, e := range o.Entries {
		if e != nil {
			n++
		}
	}
	return n
}

// ReadExport parses an api.LogExport.
func ReadExport(b []byte) (*api.LogExport, error) {
	var x api.LogExport
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("session log: %w", err)
	}
	if x.Format != api.LogFormat {
		return nil, fmt.Errorf("session log: format %q, want %q", x.Format, api.LogFormat)
	}
	return &x, nil
}

// VerifyExport checks a session log: the checkpoint is signed by x.Key (and
// by key, when key is not empty: the key the reader trusts) for the
// session's origin; every opened leaf's salt and entry give its commitment
// and the entry names the session and its own index; the tree of all the
// commitments has the checkpoint's size and root. Events must be numbered
// 1, 2, … in leaf order among the opened ones. Every error says which leaf.
func VerifyExport(x *api.LogExport, key string) (*Opened, error) {
	if key != "" && key != x.Key {
		return nil, &Alarm{Kind: AlarmSignature, Detail: fmt.Sprintf("the log is signed by %s, not by the key given (%s)", x.Key, key)}
	}
	c, err := OpenCheckpoint(x.Checkpoint, x.Key)
	if err != nil {
		return nil, &Alarm{Kind: AlarmSignature, Detail: err.Error()}
	}
	if SessionOf(c.Origin) != x.Session {
		return nil, &Alarm{Kind: AlarmSignature, Detail: fmt.Sprintf("the checkpoint is for log %q, not session %s", c.Origin, x.Session)}
	}
	o := &Opened{Session: x.Session, Key: x.Key, Checkpoint: c}
	lastSeq := 0
	for i, lf := range x.Leaves {
		h, err := DecodeHash(lf.Commitment)
		if err != nil {
			return nil, fmt.Errorf("leaf %d: commitment: %w", i, err)
		}
		var e *Entry
		var text []byte
		if lf.Salt != "" || lf.Entry != "" {
			salt, err := base64.StdEncoding.DecodeString(lf.Salt)
			if err != nil || len(salt) != SaltSize {
				return nil, &Alarm{Kind: AlarmEntry, Detail: fmt.Sprintf("leaf %d: the salt is not %d bytes of base64", i, SaltSize)}
			}
			text = []byte(lf.Entry)
			if Commit(salt, text) != h {
				return nil, &Alarm{Kind: AlarmEntry, Detail: fmt.Sprintf("leaf %d: its salt and entry do not give its commitment (the entry was changed)", i)}
			}
			if e, err = ParseEntry(text, x.Session, int64(i)); err != nil {
				return nil, &Alarm{Kind: AlarmEntry, Detail: err.Error()}
			}
			if e.Type == TypeEvent {
				if e.Seq <= lastSeq {
					return nil, &Alarm{Kind: AlarmEntry, Detail: fmt.Sprintf("leaf %d: event %d after event %d", i, e.Seq, lastSeq)}
				}
				lastSeq = e.Seq
			}
		}
		o.Commitments = append(o.Commitments, h)
		o.Entries = append(o.Entries, e)
		o.Texts = append(o.Texts, text)
		o.tree.Append(h[:])
	}
	if err := checkSignedMoves(o.Entries); err != nil {
		return nil, err
	}
	if o.tree.Size() != c.Size {
		return nil, &Alarm{Kind: AlarmFork, Detail: fmt.Sprintf("the log holds %d leaves, its checkpoint %d", o.tree.Size(), c.Size)}
	}
	root, _ := o.tree.Root(c.Size)
	if root != c.Root {
		return nil, &Alarm{Kind: AlarmFork, Detail: fmt.Sprintf("the leaves' root is not the checkpoint's (tree of %d leaves): a leaf was changed, dropped, reordered or inserted", c.Size)}
	}
	return o, nil
}

// Root returns the root of the verified log's first n leaves.
func (o *Opened) Root(n int64) (Hash, error) { return o.tree.Root(n) }

// Consistency returns the consistency proof from n leaves to the whole log.
func (o *Opened) Consistency(n int64) ([]Hash, error) { return o.tree.Consistency(n, o.tree.Size()) }

// CheckCheckpoint checks a signed checkpoint of the log (one a party kept,
// say) against the verified log: signed by its key for its origin, and a
// prefix of it. Another root at its size is a split view: the server
// signed two different histories.
func (o *Opened) CheckCheckpoint(signed string) error {
	c, err := OpenCheckpoint(signed, o.Key)
	if err != nil {
		return &Alarm{Kind: AlarmSignature, Detail: err.Error()}
	}
	if SessionOf(c.Origin) != o.Session {
		return &Alarm{Kind: AlarmSignature, Detail: fmt.Sprintf("a checkpoint of log %q, not session %s", c.Origin, o.Session)}
	}
	if c.Size > o.Checkpoint.Size {
		return &Alarm{Kind: AlarmFork, Detail: fmt.Sprintf("split view: a checkpoint of %d leaves, the log has only %d", c.Size, o.Checkpoint.Size)}
	}
	if root, _ := o.tree.Root(c.Size); root != c.Root {
		return &Alarm{Kind: AlarmFork, Detail: fmt.Sprintf("split view: the checkpoint of %d leaves has another root than the log's first %d leaves", c.Size, c.Size)}
	}
	return nil
}

// CheckReceipt checks a receipt against the verified log: it is signed by
// the log's key for its origin, its inclusion proof holds, and its
// checkpoint is a prefix of the log (the same root at its size). A receipt
// whose checkpoint has the size of a prefix but another root shows a split
// view: the server signed two different histories.
func (o *Opened) CheckReceipt(r *api.Receipt) (*Entry, error) {
	c, err := OpenCheckpoint(r.Checkpoint, o.Key)
	if err != nil {
		return nil, &Alarm{Kind: AlarmSignature, Detail: "receipt: " + err.Error()}
	}
	if SessionOf(c.Origin) != o.Session {
		return nil, &Alarm{Kind: AlarmSignature, Detail: fmt.Sprintf("receipt for log %q, not session %s", c.Origin, o.Session)}
	}
	f := &Follower{Key: o.Key, Origin: c.Origin, cp: c, seen: true}
	e, err := f.Include(r.Index, r.Salt, r.Entry, r.Inclusion)
	if err != nil {
		return nil, err
	}
	if c.Size > o.Checkpoint.Size {
		return nil, &Alarm{Kind: AlarmFork, Detail: fmt.Sprintf("split view: the receipt's checkpoint has %d leaves, the log only %d", c.Size, o.Checkpoint.Size)}
	}
	root, _ := o.tree.Root(c.Size)
	if root != c.Root {
		return nil, &Alarm{Kind: AlarmFork, Detail: fmt.Sprintf("split view: the receipt's checkpoint of %d leaves has another root than the log's first %d leaves", c.Size, c.Size)}
	}
	return e, nil
}

// CompareCheckpoints checks two signed checkpoints of one log (two
// parties' receipts, say) against each other: of the same size they must
// have the same root, else the server showed a split view. Of different
// sizes they cannot be compared without a consistency proof (nil error).
func CompareCheckpoints(a, b, key string) error {
	ca, err := OpenCheckpoint(a, key)
	if err != nil {
		return &Alarm{Kind: AlarmSignature, Detail: err.Error()}
	}
	cb, err := OpenCheckpoint(b, key)
	if err != nil {
		return &Alarm{Kind: AlarmSignature, Detail: err.Error()}
	}
	if ca.Origin != cb.Origin {
		return fmt.Errorf("checkpoints of two logs (%q, %q)", ca.Origin, cb.Origin)
	}
	if ca.Size == cb.Size && ca.Root != cb.Root {
		return &Alarm{Kind: AlarmFork, Detail: fmt.Sprintf("split view: two checkpoints of %d leaves with different roots", ca.Size)}
	}
	return nil
}
