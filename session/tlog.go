package session

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"slices"
	"strings"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/record/tlog"
)

// The session log (docs/commitments.md) is an append-only Merkle tree over
// salted commitments to the session's moves and events, in the order they
// were made: each move, then the events it caused. It is derived, like
// everything else, from what the store holds — the moves, the events
// (replayed and checked against the stored ones) and the session's salt key
// in its Spec — so a restart rebuilds the same tree, and a store edited
// behind the server's back gives a different one, which every seat that saw
// a checkpoint before detects.

// LogKeyName is the key name in the log's signed checkpoints.
const LogKeyName = "backchannel"

// sessionLog is a live session's log. It covers moves[:nm] and events[:ne];
// sync extends it to what is committed. Guarded by the live session's mu.
type sessionLog struct {
	key       ed25519.PrivateKey
	signer    *tlog.Signer
	origin    string
	saltKey   []byte
	tree      tlog.Tree
	leaves    []logLeaf
	eventLeaf []int64 // by event index (Seq-1)
	moveLeaf  []int64 // by move index (= step)
	nm, ne    int
	signed    string // the checkpoint of the tree at signedAt leaves
	signedAt  int64
	proofs    map[int64][]byte // encoded leaf proofs in the tree of proofsAt leaves
	proofsAt  int64
	keys      map[int]string // each signing seat's key (by party index), from moves[:keysAt]
	keysAt    int
}

// logLeaf is one leaf: the event or move it commits to. Its entry text is
// made again when needed (entry), not kept: a long session's entries would
// hold as much memory as its events again.
type logLeaf struct {
	event int32 // index in live.events, or -1 for a move
	move  int32 // index in live.moves, or -1 for an event
}

// entry returns leaf i's entry text. l.mu held.
func (l *live) entry(i int64) []byte {
	lf := l.tl.leaves[i]
	if lf.event >= 0 {
		return l.eventEntry(int(lf.event), i).Marshal()
	}
	return l.moveEntry(int(lf.move), i).Marshal()
}

// newLogSecrets returns a new session's secrets: the key its salts are
// derived from and, if withKey (the server has no key), the seed of an
// Ed25519 key of its own to sign its checkpoints with, kept in the store
// with the session so that a restart signs with the same key.
func newLogSecrets(withKey bool) (salt, key []byte) {
	salt = make([]byte, 32)
	rand.Read(salt)
	if withKey {
		key = make([]byte, ed25519.SeedSize)
		rand.Read(key)
	}
	return salt, key
}

// newSessionLog returns the empty log of session id: signed by the
// session's own key if it has one, else by the server's (key, signer).
func newSessionLog(key ed25519.PrivateKey, signer *tlog.Signer, id string, spec Spec) *sessionLog {
	saltKey := spec.LogSalt
	if saltKey == nil {
		// A session stored before logs had salt keys: its salts are not
		// secret.
		saltKey = []byte(id)
	}
	if len(spec.LogKey) == ed25519.SeedSize || signer == nil {
		seed := spec.LogKey
		if len(seed) != ed25519.SeedSize {
			h := sha256.Sum256([]byte("backchannel log key " + id)) // stored before logs: not secret
			seed = h[:]
		}
		key = ed25519.NewKeyFromSeed(seed)
		signer = logSigner(key)
	}
	return &sessionLog{key: key, signer: signer, origin: tlog.Origin(LogKeyName, id), saltKey: saltKey, signedAt: -1}
}

// salt is leaf i's salt: HMAC-SHA256(salt key, "backchannel leaf salt" ‖
// i as 8 bytes big-endian). Only the server, which holds the key, can make
// it; giving out one salt gives away no other.
func (g *sessionLog) salt(i int64) []byte {
	h := hmac.New(sha256.New, g.saltKey)
	h.Write([]byte("backchannel leaf salt"))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	h.Write(b[:])
	return h.Sum(nil)
}

// syncLog extends l's log over everything committed: each event goes after
// the moves made before it (Event.Moves), each move before the events it
// caused. l.mu must be held.
func (l *live) syncLog() {
	g := l.tl
	for g.nm < l.committedMv || g.ne < l.committed {
		if g.ne < l.committed && (l.events[g.ne].movesBefore() <= g.nm || g.nm >= l.committedMv) {
			l.appendLeaf(l.eventEntry(g.ne, g.tree.Size()), g.ne, -1)
			g.eventLeaf = append(g.eventLeaf, g.tree.Size()-1)
			g.ne++
		} else {
			l.appendLeaf(l.moveEntry(g.nm, g.tree.Size()), -1, g.nm)
			g.moveLeaf = append(g.moveLeaf, g.tree.Size()-1)
			g.nm++
		}
	}
}

// movesBefore is how many moves were made before e: for a message (which
// no mechanism makes, and which a rebuilt session splices back in), the
// step it was written at, since move k answers step k; for the others,
// Moves, counted as the mechanism made them.
func (e *Event) movesBefore() int {
	if e.Kind == MessageKind {
		return e.Step
	}
	return e.Moves
}

func (l *live) appendLeaf(e *tlog.Entry, event, move int) {
	g := l.tl
	text := e.Marshal()
	c := tlog.Commit(g.salt(g.tree.Size()), text)
	g.tree.Append(c[:])
	g.leaves = append(g.leaves, logLeaf{event: int32(event), move: int32(move)})
}

func (l *live) eventEntry(i int, leaf int64) *tlog.Entry {
	e := &l.events[i]
	a := l.apiEvent(e)
	return &tlog.Entry{Session: l.id, Leaf: leaf, Type: tlog.TypeEvent, Seq: e.Seq, Step: e.Step, Round: e.Round, T: e.T,
		Party: a.Party, Kind: e.Kind, Outcome: a.Outcome, To: a.To, Hidden: e.To != nil && len(e.To) == 0, Note: a.Note}
}

func (l *live) moveEntry(i int, leaf int64) *tlog.Entry {
	m := &l.moves[i]
	e := &tlog.Entry{Session: l.id, Leaf: leaf, Type: tlog.TypeMove, Step: m.Step, T: m.T, Party: roleName(l.sc, m.Party),
		Kind: m.Kind, Note: firstLine(m.Note), AtMS: m.AtMS}
	if m.Offer != nil {
		e.Outcome = l.sc.Space.Map(m.Offer)
	}
	e.Key, e.Sig, _ = strings.Cut(m.Sig, " ")
	return e
}

// checkSignature checks the party's signature of action a (answer ans) by
// seat s, if it signs, and returns it in the stored form "KEY SIG". A seat
// that has signed a move must sign every move, with the same key.
func (l *live) checkSignature(s *seat, a *api.Action, ans mechanism.Answer) (string, error) {
	g := l.tl
	for ; g.keysAt < len(l.moves); g.keysAt++ {
		if m := &l.moves[g.keysAt]; m.Sig != "" {
			if g.keys == nil {
				g.keys = map[int]string{}
			}
			if _, ok := g.keys[m.Party]; !ok {
				g.keys[m.Party], _, _ = strings.Cut(m.Sig, " ")
			}
		}
	}
	key := g.keys[s.index]
	if a.Signature == nil {
		if key != "" {
			return "", rejected("signature", "this seat signs its moves (key %s): sign this one too", key)
		}
		return "", nil
	}
	if key != "" && a.Signature.Key != key {
		return "", rejected("signature.key", "this seat signs with key %s, not %s", key, a.Signature.Key)
	}
	var o map[string]string
	if ans.Kind == mechanism.Offer {
		o = l.sc.Space.Map(ans.Outcome)
	}
	if err := tlog.VerifyMove(a.Signature.Key, a.Signature.Sig, l.id, s.role, a.Step, ans.Kind.String(), o); err != nil {
		return "", rejected("signature", "%v (sign the text docs/commitments.md gives)", err)
	}
	return a.Signature.Key + " " + a.Signature.Sig, nil
}

// checkpoint returns the signed checkpoint of the whole log; l.mu held.
func (l *live) checkpoint() string {
	g := l.tl
	n := g.tree.Size()
	if g.signedAt != n {
		root, err := g.tree.Root(n)
		if err != nil {
			panic(err) // the tree's own size
		}
		s, err := g.signer.Sign(tlog.Checkpoint{Origin: g.origin, Size: n, Root: root})
		if err != nil {
			panic(err) // an Ed25519 key signs anything
		}
		g.signed, g.signedAt = s, n
	}
	return g.signed
}

// head returns the newest checkpoint with the consistency proof from size
// from, or nil if the log has not grown past from. l.mu held.
func (l *live) head(from int64) *api.LogHead {
	l.syncLog()
	n := l.tl.tree.Size()
	if n <= from && from >= 0 {
		if n == from {
			return nil
		}
		from = 0 // the reader claims a bigger tree than there is: show ours, unproven
	}
	p, err := l.tl.tree.Consistency(max(from, 0), n)
	if err != nil {
		panic(err)
	}
	return &api.LogHead{Checkpoint: l.checkpoint(), From: max(from, 0), Consistency: tlog.EncodeHashes(p)}
}

// leafProof opens leaf i in the tree of the newest checkpoint. l.mu held.
func (l *live) leafProof(i int64) *api.LeafProof {
	g := l.tl
	p, err := g.tree.Inclusion(i, g.tree.Size())
	if err != nil {
		panic(err)
	}
	return &api.LeafProof{Index: i, Salt: base64.StdEncoding.EncodeToString(g.salt(i)), Entry: string(l.entry(i)),
		Inclusion: tlog.EncodeHashes(p)}
}

// receipt proves that move i (its step) is logged. l.mu held.
func (l *live) receipt(i int) *api.Receipt {
	l.syncLog()
	if i >= len(l.tl.moveLeaf) {
		return nil
	}
	p := l.leafProof(l.tl.moveLeaf[i])
	return &api.Receipt{Index: p.Index, Salt: p.Salt, Entry: p.Entry, Inclusion: p.Inclusion, Checkpoint: l.checkpoint()}
}

// decorate adds the log to what a seat's stream sends: the newest
// checkpoint (proven from *from, the size the stream showed last) on the
// first message when the log grew, and each event's leaf proof. Messages
// are encoded and their JSON shared, so the fields are spliced into copies.
// l.mu held.
//
// A stream whose reader did not ask for the log (no ?tree=, *from < 0) gets
// none of it: proofs are sent only to readers that check them.
func (l *live) decorate(out []Message, from *int64) {
	if len(out) == 0 || *from < 0 {
		return
	}
	var head []byte
	if h := l.head(*from); h != nil {
		*from = l.tl.tree.Size()
		head, _ = json.Marshal(h) // strings and ints
	}
	for k := range out {
		m := &out[k]
		var add []byte
		if k == 0 && head != nil {
			add = append(append(add, `"log":`...), head...)
		}
		if m.Type == "event" {
			if add != nil {
				add = append(add, ',')
			}
			add = append(append(add, `"leaf":`...), l.leafJSON(l.tl.eventLeaf[m.Seq-1])...)
		}
		if add != nil && len(m.JSON) > 2 && m.JSON[len(m.JSON)-1] == '}' {
			b := make([]byte, 0, len(m.JSON)+len(add)+1)
			b = append(append(append(b, m.JSON[:len(m.JSON)-1]...), ','), add...)
			m.JSON = append(b, '}')
		}
	}
}

// leafJSON is leafProof(i) encoded, cached for the tree's current size
// (every seat shown the event shares it). l.mu held.
func (l *live) leafJSON(i int64) []byte {
	g := l.tl
	if g.proofsAt != g.tree.Size() {
		clear(g.proofs)
		g.proofsAt = g.tree.Size()
	}
	if b, ok := g.proofs[i]; ok {
		return b
	}
	b, _ := json.Marshal(l.leafProof(i)) // strings and ints
	if g.proofs == nil {
		g.proofs = map[int64][]byte{}
	}
	g.proofs[i] = b
	return b
}

// decorateSnapshot adds the log to a snapshot: its key and origin, the
// newest checkpoint proven from size from, and every event's leaf proof.
// It returns the size shown. l.mu held.
func (l *live) decorateSnapshot(sn *api.Snapshot, from int64) int64 {
	sn.LogKey, sn.LogOrigin = l.tl.signer.VerifierKey(), l.tl.origin
	if from < 0 {
		return from // the reader did not ask for the log's proofs
	}
	sn.Log = l.head(from)
	if sn.Log == nil { // the reader has this size already
		sn.Log = &api.LogHead{Checkpoint: l.checkpoint(), From: from}
	}
	for k := range sn.Events {
		sn.Events[k].Leaf = l.leafProof(l.tl.eventLeaf[sn.Events[k].Seq-1])
	}
	return l.tl.tree.Size()
}

// mayRead reports whether seat s may open leaf i: its own moves, and the
// events the mechanism shows it.
func (l *live) mayRead(s *seat, i int) bool {
	lf := &l.tl.leaves[i]
	if lf.move >= 0 {
		return l.moves[lf.move].Party == s.index
	}
	return l.events[lf.event].VisibleTo(s.index)
}

// opensAll reports whether the session grants role the whole log (it has
// ended and role is in its OpenTo, or OpenTo holds "all").
func (l *live) opensAll(role string) bool {
	return l.ended && (slices.Contains(l.spec.OpenTo, role) || slices.Contains(l.spec.OpenTo, "all"))
}

// Log returns the session log as acc may read it: every leaf's commitment,
// opened (salt and entry) where acc may read the leaf — every leaf for the
// owner, and for a seat the session grants it to once it has ended; its own
// moves and the events shown to it otherwise.
func (m *Manager) Log(ctx context.Context, acc Access) (*api.LogExport, error) {
	l, err := m.get(ctx, acc.Session)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var s *seat
	if acc.Role != OwnerRole {
		if s, err = l.seatFor(acc); err != nil {
			return nil, err
		}
	}
	l.syncLog()
	g := l.tl
	all := s == nil || l.opensAll(acc.Role)
	x := &api.LogExport{Format: api.LogFormat, Session: l.id, Key: g.signer.VerifierKey(), Checkpoint: l.checkpoint(),
		Leaves: make([]api.LogLeaf, len(g.leaves))}
	for i := range g.leaves {
		salt := g.salt(int64(i))
		text := l.entry(int64(i))
		c := tlog.Commit(salt, text)
		lf := api.LogLeaf{Commitment: base64.StdEncoding.EncodeToString(c[:])}
		if all || l.mayRead(s, i) {
			lf.Salt, lf.Entry = base64.StdEncoding.EncodeToString(salt), string(text)
		}
		x.Leaves[i] = lf
	}
	return x, nil
}

// logFromKey is the context key of WithLogFrom.
type logFromKey struct{}

// WithLogFrom returns ctx carrying the size of the newest checkpoint the
// reader has verified (0: none yet), so that a snapshot or stream carries
// the log's proofs, its first checkpoint proven consistent with that one
// (the ?tree= parameter). Without it a snapshot names the log's key and
// origin only, and a stream carries no proofs: they cost the server and
// the reader, so only readers that check them get them.
func WithLogFrom(ctx context.Context, size int64) context.Context {
	return context.WithValue(ctx, logFromKey{}, size)
}

func logFrom(ctx context.Context) int64 {
	n, ok := ctx.Value(logFromKey{}).(int64)
	if !ok {
		return -1
	}
	return n
}

// logSigner returns a signer of session checkpoints with key.
func logSigner(key ed25519.PrivateKey) *tlog.Signer {
	s, err := tlog.NewSigner(LogKeyName, key)
	if err != nil {
		panic(err) // LogKeyName is a valid key name
	}
	return s
}

// Agreement returns the document the session's agreement ends as, signed
// by the log's key (the server's): the statement names the session, its
// final checkpoint and each issue and value agreed. Parties add their own
// signatures (tlog.SignAgreement) and show it to whom they like. Errors:
// not_found-like invalid state (ended without agreement, or running).
func (m *Manager) Agreement(ctx context.Context, acc Access) (*api.Agreement, error) {
	l, err := m.get(ctx, acc.Session)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if acc.Role != OwnerRole {
		if _, err := l.seatFor(acc); err != nil {
			return nil, err
		}
	}
	r := l.mech.Result()
	if !l.ended || r.Agreement == nil {
		return nil, conflict(CodeNoAgreement, l.mech.Clock().Step, "the session has not ended with an agreement")
	}
	l.syncLog()
	n := l.tl.tree.Size()
	root, err := l.tl.tree.Root(n)
	if err != nil {
		return nil, err
	}
	sp := l.sc.Space
	terms := sp.Map(r.Agreement)
	var words []string
	for i := range sp.Issues {
		words = append(words, l.sc.IssueTitle(i)+": "+sp.Issues[i].Values[r.Agreement[i]])
	}
	title := l.sc.Title
	if title == "" {
		title = l.sc.ID
	}
	st, err := tlog.AgreementStatement(l.id, title, l.proto.Name, tlog.Checkpoint{Size: n, Root: root}, partyIDs(l.sc), terms, words)
	if err != nil {
		return nil, err
	}
	a := &api.Agreement{Format: api.AgreementFormat, Session: l.id, Statement: st}
	tlog.SignAgreement(a, "server", l.tl.key)
	return a, nil
}

// CodeNoAgreement: 409, the session has no agreement (yet).
const CodeNoAgreement = "no_agreement"
