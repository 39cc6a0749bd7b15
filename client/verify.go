package client

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/record/tlog"
)

// The session log, checked on arrival (docs/commitments.md). A server that
// keeps a log names its key and origin in every snapshot; from then on,
// every checkpoint it shows must be signed by that key and proven to extend
// the one shown before, every event must come with the proof that it is in
// the log, and every receipt must prove its move. Anything else is a
// *tlog.Alarm: Follow and Play stop with it, since the server has forked or
// rewritten the log, or shows this seat something the log does not back.

// logCheck is one seat's running check of the session log.
type logCheck struct {
	pin string // the key the caller requires, if any
	f   *tlog.Follower
}

// tree is the size to ask a (re)connected stream to prove consistency
// from: 0 before the first checkpoint (which asks for the log's proofs).
func (c *logCheck) tree() int64 {
	if c.f == nil {
		return 0
	}
	return c.f.Size()
}

// check verifies one stream message.
func (c *logCheck) check(m Message) error {
	switch {
	case m.Snapshot != nil:
		sn := m.Snapshot
		if sn.LogKey == "" {
			if c.f != nil || c.pin != "" {
				return &tlog.Alarm{Kind: tlog.AlarmSignature, Detail: "the server stopped showing the session log"}
			}
			return nil // a server without a log
		}
		if c.pin != "" && sn.LogKey != c.pin {
			return &tlog.Alarm{Kind: tlog.AlarmSignature, Detail: fmt.Sprintf("the log key is %s, want %s", sn.LogKey, c.pin)}
		}
		if c.f == nil {
			if tlog.SessionOf(sn.LogOrigin) != sn.Session {
				return &tlog.Alarm{Kind: tlog.AlarmSignature, Detail: fmt.Sprintf("log origin %q is not session %s's", sn.LogOrigin, sn.Session)}
			}
			c.f = tlog.NewFollower(sn.LogKey, sn.LogOrigin)
		} else if sn.LogKey != c.f.Key || sn.LogOrigin != c.f.Origin {
			return &tlog.Alarm{Kind: tlog.AlarmSignature, Detail: fmt.Sprintf("the log key changed from %s to %s", c.f.Key, sn.LogKey)}
		}
		if sn.Log == nil {
			return &tlog.Alarm{Kind: tlog.AlarmFork, Detail: "a snapshot without the log's checkpoint"}
		}
		if err := c.head(sn.Log); err != nil {
			return err
		}
		for i := range sn.Events {
			if err := c.event(&sn.Events[i]); err != nil {
				return err
			}
		}
	case c.f == nil:
	case m.Event != nil:
		if err := c.head(m.Event.Log); err != nil {
			return err
		}
		return c.event(m.Event)
	case m.Turn != nil:
		return c.head(m.Turn.Log)
	case m.End != nil:
		return c.head(m.End.Log)
	}
	return nil
}

func (c *logCheck) head(h *api.LogHead) error {
	if h == nil {
		return nil
	}
	if h.From != c.f.Size() && h.From != 0 {
		return &tlog.Alarm{Kind: tlog.AlarmFork, Detail: fmt.Sprintf("a checkpoint proven from %d leaves, this seat has seen %d", h.From, c.f.Size())}
	}
	return c.f.Advance(h.Checkpoint, h.Consistency)
}

// event checks that e is in the log and that its entry says what e says.
func (c *logCheck) event(e *api.Event) error {
	if e.Leaf == nil {
		return &tlog.Alarm{Kind: tlog.AlarmInclusion, Detail: fmt.Sprintf("event %d came without its place in the log", e.Seq)}
	}
	en, err := c.f.Include(e.Leaf.Index, e.Leaf.Salt, e.Leaf.Entry, e.Leaf.Inclusion)
	if err != nil {
		return err
	}
	if en.Type != tlog.TypeEvent || en.Seq != e.Seq || en.Step != e.Step || en.Round != e.Round || en.Party != e.Party ||
		en.Kind != e.Kind || !maps.Equal(en.Outcome, e.Outcome) || !slices.Equal(en.To, e.To) {
		return &tlog.Alarm{Kind: tlog.AlarmEntry, Detail: fmt.Sprintf("event %d (%s %s) is logged at leaf %d as %s", e.Seq, e.Party, e.Kind, e.Leaf.Index, e.Leaf.Entry)}
	}
	return nil
}

// receipt checks the receipt of action a by seat role: signed by the log's
// key, its move in the tree of its checkpoint, saying what a says.
func (c *logCheck) receipt(r *api.Receipt, role string, a *api.Action) error {
	if c.f == nil {
		return nil
	}
	if r == nil {
		return &tlog.Alarm{Kind: tlog.AlarmInclusion, Detail: fmt.Sprintf("step %d: the action was acknowledged without a receipt", a.Step)}
	}
	cp, err := tlog.OpenCheckpoint(r.Checkpoint, c.f.Key)
	if err != nil {
		return &tlog.Alarm{Kind: tlog.AlarmSignature, Detail: "receipt: " + err.Error()}
	}
	if cp.Origin != c.f.Origin {
		return &tlog.Alarm{Kind: tlog.AlarmSignature, Detail: fmt.Sprintf("receipt for log %q", cp.Origin)}
	}
	f := tlog.NewFollower(c.f.Key, c.f.Origin)
	if err := f.Advance(r.Checkpoint, nil); err != nil {
		return err
	}
	en, err := f.Include(r.Index, r.Salt, r.Entry, r.Inclusion)
	if err != nil {
		return err
	}
	if en.Type != tlog.TypeMove || en.Step != a.Step || en.Party != role || en.Kind != a.Kind || !maps.Equal(en.Outcome, a.Outcome) {
		return &tlog.Alarm{Kind: tlog.AlarmEntry, Detail: fmt.Sprintf("step %d: %s %s was logged as %s", a.Step, role, a.Kind, r.Entry)}
	}
	if s := a.Signature; s != nil && (en.Key != s.Key || en.Sig != s.Sig) {
		return &tlog.Alarm{Kind: tlog.AlarmMove, Detail: fmt.Sprintf("step %d: the move was logged without this party's signature: %s", a.Step, r.Entry)}
	}
	return nil
}

// SignAction signs action a of the seat sn opens with the party's own
// key (tlog.MoveMessage) and sets a.Signature.
func SignAction(key ed25519.PrivateKey, sn *api.Snapshot, a *api.Action) error {
	pub, sig, err := tlog.SignMove(key, sn.Session, sn.Seat.Role, a.Step, a.Kind, a.Outcome)
	if err != nil {
		return err
	}
	a.Signature = &api.MoveSignature{Key: pub, Sig: sig}
	return nil
}

// audit checks the seat's view of the whole log once the session has
// ended: it is signed by the same key, its tree extends the newest
// checkpoint the stream showed, and every receipt is a prefix of it (else
// the server showed a split view).
func (c *logCheck) audit(ctx context.Context, l *Link, receipts []*api.Receipt) error {
	if c.f == nil {
		return nil
	}
	x, err := l.Log(ctx)
	if err != nil {
		return fmt.Errorf("reading the session log for the final check: %w", err)
	}
	o, err := tlog.VerifyExport(x, c.f.Key)
	if err != nil {
		return err
	}
	cp, _ := c.f.Checkpoint()
	if cp.Size > o.Checkpoint.Size {
		return &tlog.Alarm{Kind: tlog.AlarmFork, Detail: fmt.Sprintf("the log shrank from %d to %d leaves", cp.Size, o.Checkpoint.Size)}
	}
	if root, _ := o.Root(cp.Size); root != cp.Root {
		return &tlog.Alarm{Kind: tlog.AlarmFork, Detail: fmt.Sprintf("the final log's first %d leaves are not the ones the stream showed", cp.Size)}
	}
	for _, r := range receipts {
		if _, err := o.CheckReceipt(r); err != nil {
			return err
		}
	}
	return nil
}

// LogCheckpoint returns the newest session log checkpoint Follow verified
// on this link (a signed note; "" before any): evidence to keep, and to
// compare with what others were shown (tlog.Opened.CheckCheckpoint).
func (l *Link) LogCheckpoint() string {
	if l.chk == nil || l.chk.f == nil {
		return ""
	}
	_, s := l.chk.f.Checkpoint()
	return s
}

// Log returns the session log as the link may read it (GET {link}/log):
// every leaf's commitment, opened where the link may read it.
func (l *Link) Log(ctx context.Context) (*api.LogExport, error) {
	var raw json.RawMessage
	if err := l.c.do(ctx, "GET", l.URL+"/log", "", nil, &raw); err != nil {
		return nil, err
	}
	return tlog.ReadExport(raw)
}

// Agreement returns the session's agreement document, signed by the
// server (GET {link}/agreement); add the party's own signature with
// tlog.SignAgreement.
func (l *Link) Agreement(ctx context.Context) (*api.Agreement, error) {
	var a api.Agreement
	return &a, l.c.do(ctx, "GET", l.URL+"/agreement", "", nil, &a)
}
