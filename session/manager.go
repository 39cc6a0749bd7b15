// Package session is the durable driver of negotiations: the second driver
// of the mechanisms, beside the simulator. It runs the same protocol state
// machines one answer at a time for seats filled by programs outside the
// server and by people, with built-in strategies acting at once inside it.
//
// Every session lives in the store: its specification, the hashes of its
// seat tokens, and its append-only log of moves and of the events they
// caused. An action is applied to the mechanism in memory, then the moves
// and events it caused are committed (group commit, shared by every session
// that acted meanwhile), and only then acknowledged and shown on the seats'
// streams. State is derived: after a restart, a session is rebuilt by
// replaying its stored moves through a fresh mechanism and freshly seeded
// built-in strategies (all deterministic), and stands where it stood.
//
// The information barrier is the mechanism's: a seat sees its own profile,
// the public rules, the events whose Event.To includes it, and the requests
// addressed to it — nothing the server decides by itself.
package session

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/load"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/record"
	"github.com/backchannel/backchannel/record/tlog"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/store"
)

// Manager holds the live sessions of one server over one store. It is safe
// for concurrent use.
type Manager struct {
	st     store.Sessions
	log    *slog.Logger
	key    ed25519.PrivateKey
	signer *tlog.Signer // signs session log checkpoints (tlog.go)
	commit *committer

	closeMu sync.RWMutex // held for reading by every commit; Close takes it
	closed  bool

	mu        sync.Mutex
	live      map[string]*live
	tokens    map[string]store.Token // by hash
	scenarios map[string]*scenario.Scenario
	reports   map[*scenario.Scenario]*analysis.Report
}

// EvictAfter is how long an ended session stays in memory.
var EvictAfter = 5 * time.Minute

// Options configure a Manager.
type Options struct {
	Logger *slog.Logger       // nil: slog.Default()
	Key    ed25519.PrivateKey // seals downloaded records; nil: unsealed
}

// Open returns a Manager over st and restores every session that had not
// ended: each is replayed from its stored moves, and any move that fell due
// while the server was down (a time deadline that passed) is made and
// committed. A session that cannot be rebuilt is logged and left as stored.
func Open(ctx context.Context, st store.Sessions, o Options) (*Manager, error) {
	m := &Manager{st: st, log: o.Logger, key: o.Key, commit: newCommitter(st), live: map[string]*live{},
		tokens: map[string]store.Token{}, scenarios: map[string]*scenario.Scenario{}, reports: map[*scenario.Scenario]*analysis.Report{}}
	if m.log == nil {
		m.log = slog.Default()
	}
	if o.Key != nil {
		m.signer = logSigner(o.Key)
	}
	ids, err := st.Running(ctx)
	if err != nil {
		m.commit.close()
		return nil, err
	}
	for _, id := range ids {
		l, err := m.get(ctx, id)
		if err != nil {
			m.log.Error("session not restored", "session", id, "err", err)
			continue
		}
		l.mu.Lock()
		l.asked = time.Now() // a move's time does not run while the server is down
		l.runBuiltins(time.Now())
		err = m.commitLocked(l)
		l.mu.Unlock()
		if err != nil {
			m.log.Error("session not restored", "session", id, "err", err)
		}
	}
	if len(ids) > 0 {
		m.log.Info("sessions restored", "running", len(ids))
	}
	return m, nil
}

// Close waits for the commits in progress and stops the session timers.
// The Manager must not be used afterwards.
func (m *Manager) Close() {
	m.closeMu.Lock()
	m.closed = true
	m.closeMu.Unlock()
	m.mu.Lock()
	for _, l := range m.live {
		l.mu.Lock()
		if l.timer != nil {
			l.timer.Stop()
		}
		l.mu.Unlock()
	}
	m.mu.Unlock()
	m.commit.close()
}

// InMemory returns how many sessions are in memory (running ones, and
// ended ones for EvictAfter).
func (m *Manager) InMemory() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.live)
}

// Access is what a capability token opens.
type Access struct {
	Session string
	Role    string // a party id, "mediator", or OwnerRole
}

// OwnerRole is the Access.Role of an owner's token.
const OwnerRole = "owner"

// HashToken returns the stored form of a token: hex SHA-256.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// newToken returns 256 random bits, base64url.
func newToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newID returns a session id: 80 random bits, base32.
func newID() string {
	var b [10]byte
	rand.Read(b[:])
	return "s" + strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
}

// Open returns what token opens, or a not_found *Error.
func (m *Manager) Access(ctx context.Context, token string) (Access, error) {
	h := HashToken(token)
	m.mu.Lock()
	t, ok := m.tokens[h]
	m.mu.Unlock()
	if !ok {
		var err error
		t, err = m.st.Token(ctx, h)
		if errors.Is(err, store.ErrNotFound) {
			return Access{}, &Error{Code: CodeNotFound, Message: "no session seat or owner has this link: check that it was copied whole"}
		}
		if err != nil {
			return Access{}, unavailable(err)
		}
		m.mu.Lock()
		m.tokens[h] = t
		m.mu.Unlock()
	}
	return Access{Session: t.Session, Role: t.Role}, nil
}

func unavailable(err error) *Error {
	return &Error{Code: CodeUnavailable, Message: "the store failed (" + err.Error() + "); nothing was changed: retry"}
}

// Scenario returns the scenario id names: "builtin:NAME" or an upload id.
func (m *Manager) Scenario(ctx context.Context, id string) (*scenario.Scenario, error) {
	m.mu.Lock()
	sc, ok := m.scenarios[id]
	m.mu.Unlock()
	if ok {
		return sc, nil
	}
	var err error
	if name, ok := strings.CutPrefix(id, "builtin:"); ok {
		sc, err = scenario.Builtin(name)
		if err != nil {
			return nil, &Error{Code: CodeNotFound, Field: "scenario", Message: err.Error()}
		}
	} else {
		u, err := m.st.Upload(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, &Error{Code: CodeNotFound, Field: "scenario", Message: fmt.Sprintf("no scenario %q: name a built-in (builtin:%s) or upload one first", id, strings.Join(scenario.BuiltinNames(), ", builtin:"))}
		}
		if err != nil {
			return nil, unavailable(err)
		}
		if sc, err = scenario.Parse(u.Doc, u.Source); err != nil {
			return nil, fmt.Errorf("stored scenario %s: %w", id, err)
		}
	}
	m.mu.Lock()
	m.scenarios[id] = sc
	m.mu.Unlock()
	return sc, nil
}

// Scenarios lists the built-in and the uploaded scenarios.
func (m *Manager) Scenarios(ctx context.Context) ([]api.ScenarioInfo, error) {
	var out []api.ScenarioInfo
	for _, n := range scenario.BuiltinNames() {
		id := "builtin:" + n
		sc, err := m.Scenario(ctx, id)
		if err != nil {
			return nil, err
		}
		in := Info(id, sc)
		in.Issues, in.Parties = nil, nil
		out = append(out, in)
	}
	us, err := m.st.Uploads(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	for _, u := range us {
		out = append(out, api.ScenarioInfo{ID: u.ID, Title: u.Title, Source: u.Source})
	}
	return out, nil
}

// MaxUploadFiles bounds the files of one upload.
const MaxUploadFiles = 64

// Upload reads a scenario from files (name → content) in any format
// 'backchannel' reads — one native YAML/JSON file, one GeniusWeb profile,
// or a GENIUS or GeniusWeb domain with its profiles — stores it in the
// native format and returns its public face. Errors name the file, line and
// field as the command line does.
func (m *Manager) Upload(ctx context.Context, files map[string][]byte) (api.ScenarioInfo, error) {
	if len(files) == 0 || len(files) > MaxUploadFiles {
		return api.ScenarioInfo{}, invalid("files", "an upload holds 1 to %d files, not %d", MaxUploadFiles, len(files))
	}
	dir, err := os.MkdirTemp("", "backchannel-upload-")
	if err != nil {
		return api.ScenarioInfo{}, err
	}
	defer os.RemoveAll(dir)
	names := make([]string, 0, len(files))
	for name, data := range files {
		base := filepath.Base(name)
		if base != name || name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
			return api.ScenarioInfo{}, invalid("files", "file name %q: give a plain file name, without folders", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return api.ScenarioInfo{}, err
		}
		names = append(names, name)
	}
	sort.Strings(names)
	arg := dir
	if len(names) == 1 {
		arg = filepath.Join(dir, names[0])
	}
	sc, err := load.Scenario(arg)
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
		msg = strings.ReplaceAll(msg, dir, "the upload")
		return api.ScenarioInfo{}, invalid("files", "%s", msg)
	}
	doc, err := scenario.Marshal(sc, "json")
	if err != nil {
		return api.ScenarioInfo{}, invalid("files", "%s cannot be stored in the native format: %v", strings.Join(names, ", "), err)
	}
	source := strings.Join(names, ", ")
	if _, err := scenario.Parse(doc, source); err != nil {
		return api.ScenarioInfo{}, fmt.Errorf("scenario %q does not read back from the native format: %w", sc.ID, err)
	}
	sum := sha256.Sum256(doc)
	u := store.Upload{ID: "u-" + hex.EncodeToString(sum[:8]), Title: sc.Title, Source: source, Doc: doc}
	if u.Title == "" {
		u.Title = sc.ID
	}
	if err := m.st.PutUpload(ctx, u); err != nil {
		return api.ScenarioInfo{}, unavailable(err)
	}
	return Info(u.ID, sc), nil
}

// Create starts a session. It returns the tokens of the owner and of every
// seat not filled by a built-in (role → token); they are shown once.
func (m *Manager) Create(ctx context.Context, req *api.NewSession) (id, owner string, seats map[string]string, err error) {
	if req.Scenario == "" {
		return "", "", nil, invalid("scenario", "scenario: name a scenario (builtin:%s, or the id of an upload)", scenario.DefaultName)
	}
	sc, err := m.Scenario(ctx, req.Scenario)
	if err != nil {
		return "", "", nil, err
	}
	if req.Variant != "" {
		if sc, err = sc.WithVariant(req.Variant); err != nil {
			return "", "", nil, invalid("variant", "variant: %v", err)
		}
	}
	spec, err := specFrom(req, sc)
	if err != nil {
		return "", "", nil, err
	}
	now := time.Now()
	created := time.UnixMilli(now.UnixMilli())
	id = newID()
	spec.LogSalt, spec.LogKey = newLogSecrets(m.signer == nil)
	l, err := build(id, spec, sc, created)
	if err != nil {
		return "", "", nil, invalid("protocol", "%v", err)
	}
	l.tl = newSessionLog(m.key, m.signer, id, spec)
	owner = newToken()
	tokens := []store.Token{{Hash: HashToken(owner), Session: id, Role: OwnerRole}}
	seats = map[string]string{}
	for _, s := range l.seats {
		if !s.builtin() {
			t := newToken()
			seats[s.role] = t
			tokens = append(tokens, store.Token{Hash: HashToken(t), Session: id, Role: s.role})
		}
	}
	specJSON, _ := json.Marshal(spec)
	if err := m.st.CreateSession(ctx, store.Session{ID: id, Spec: specJSON, CreatedMS: created.UnixMilli(), Status: "running"}, tokens); err != nil {
		return "", "", nil, unavailable(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.runBuiltins(time.Now())
	m.mu.Lock()
	m.live[id] = l
	m.mu.Unlock()
	if err := m.commitLocked(l); err != nil {
		return "", "", nil, err
	}
	m.log.Info("session created", "session", id, "scenario", req.Scenario, "protocol", spec.Protocol)
	return id, owner, seats, nil
}

// get returns the live session id, loading and replaying it from the store
// if it is not in memory.
func (m *Manager) get(ctx context.Context, id string) (*live, error) {
	m.mu.Lock()
	l, ok := m.live[id]
	m.mu.Unlock()
	if ok {
		return l, nil
	}
	ss, moves, err := m.st.Session(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Code: CodeNotFound, Message: "no session " + id}
	}
	if err != nil {
		return nil, unavailable(err)
	}
	var spec Spec
	if err := json.Unmarshal(ss.Spec, &spec); err != nil {
		return nil, fmt.Errorf("session %s: stored spec: %w", id, err)
	}
	sc, err := m.Scenario(ctx, spec.Scenario)
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", id, err)
	}
	if spec.Variant != "" {
		if sc, err = sc.WithVariant(spec.Variant); err != nil {
			return nil, fmt.Errorf("session %s: %w", id, err)
		}
	}
	l, err = build(id, spec, sc, time.UnixMilli(ss.CreatedMS))
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", id, err)
	}
	l.tl = newSessionLog(m.key, m.signer, id, spec)
	stored, err := m.st.Events(ctx, id, 0)
	if err != nil {
		return nil, unavailable(err)
	}
	if l.messages, err = storedMessages(stored); err != nil {
		return nil, fmt.Errorf("session %s: %w", id, err)
	}
	if err := l.replay(moves); err != nil {
		return nil, fmt.Errorf("session %s: replay: %w", id, err)
	}
	l.splice()
	if len(stored) > len(l.events) {
		return nil, fmt.Errorf("session %s: replay made %d events, %d are stored", id, len(l.events), len(stored))
	}
	for i, e := range stored {
		if string(l.events[i].marshal()) != string(e.Body) {
			return nil, fmt.Errorf("session %s: replayed event %d differs from the stored one", id, e.Seq)
		}
	}
	// Events past the stored ones come from moves stored before them in an
	// older version's log, or from the mechanism's start: commit them now.
	l.committed = len(stored)
	l.ended = ss.Status != "running"
	m.mu.Lock()
	if old, ok := m.live[id]; ok {
		l = old // loaded meanwhile by another request
	} else {
		m.live[id] = l
		if l.ended {
			m.evictLater(l)
		}
	}
	m.mu.Unlock()
	if l.committed < len(l.events) || (l.mech.Done() && !l.ended) {
		l.mu.Lock()
		err = m.commitLocked(l)
		l.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	return l, nil
}

// commitLocked makes what l made since its last commit durable, then wakes
// its streams and arms its timer. l.mu must be held. If the store fails,
// the session is dropped from memory (its next use reloads it from the
// store, where it stands as before the failed action) and its streams end.
func (m *Manager) commitLocked(l *live) error {
	b := store.Batch{Session: l.id, Moves: l.moves[l.committedMv:]}
	for i := l.committed; i < len(l.events); i++ {
		b.Events = append(b.Events, store.Event{Seq: l.events[i].Seq, Body: l.events[i].marshal()})
	}
	ending := l.mech.Done() && !l.ended
	if ending {
		r := l.mech.Result()
		b.Status = r.Status.String()
		b.Result, _ = json.Marshal(l.end(-2, 0))
	}
	if len(b.Moves) == 0 && len(b.Events) == 0 && !ending {
		m.arm(l)
		return nil
	}
	m.closeMu.RLock()
	var err error
	if m.closed {
		err = errors.New("the server is shutting down")
	} else {
		err = m.commit.commit(b)
	}
	m.closeMu.RUnlock()
	if err != nil {
		m.log.Error("commit failed; session reloads from the store", "session", l.id, "err", err)
		m.mu.Lock()
		if m.live[l.id] == l {
			delete(m.live, l.id)
		}
		m.mu.Unlock()
		l.broken()
		return unavailable(err)
	}
	l.committedMv, l.committed = len(l.moves), len(l.events)
	if ending {
		l.ended = true
		m.log.Info("session ended", "session", l.id, "status", b.Status, "steps", l.mech.Result().Steps)
		m.evictLater(l)
	}
	l.notify()
	m.arm(l)
	return nil
}

// evictLater drops the ended session l from memory after EvictAfter; a
// later request rebuilds it from the store (and drops it again later).
func (m *Manager) evictLater(l *live) {
	time.AfterFunc(EvictAfter, func() {
		m.mu.Lock()
		if m.live[l.id] == l {
			delete(m.live, l.id)
		}
		m.mu.Unlock()
	})
}

// arm sets l's timer for its next deadline: the time deadline, or the move
// time of a seat outside the server. l.mu must be held.
func (m *Manager) arm(l *live) {
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	if l.mech.Done() || (l.dl.Time <= 0 && l.dl.MoveTime <= 0) {
		return
	}
	var at time.Time
	if l.dl.Time > 0 {
		at = l.created.Add(l.dl.Time)
	}
	if l.dl.MoveTime > 0 {
		if mt := l.asked.Add(l.dl.MoveTime); at.IsZero() || mt.Before(at) {
			at = mt
		}
	}
	step := l.mech.Clock().Step
	l.timer = time.AfterFunc(time.Until(at), func() { m.due(l, step) })
}

// due makes the move the clock demands of a session still at step: the end
// at the time deadline, or the fault of a seat that let its move time pass.
func (m *Manager) due(l *live, step int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isBroken || l.mech.Done() || l.mech.Clock().Step != step {
		return
	}
	now := time.Now()
	if !l.expire(now) {
		if l.dl.MoveTime > 0 && now.Sub(l.asked) >= l.dl.MoveTime {
			l.fail(fmt.Sprintf("no move within %v, the limit", l.dl.MoveTime), now)
		} else {
			m.arm(l) // woke early
			return
		}
	}
	if err := m.commitLocked(l); err != nil {
		m.log.Error("deadline move not committed", "session", l.id, "err", err)
	}
}

// Act applies a seat's action. It returns the Ack once the action and
// everything it caused are durable. A retry of an action already taken at
// its step returns the same Ack. Errors are *Error: stale_step or
// not_your_turn or ended (nothing changed), invalid_move (the move breaks
// the rules; nothing changed), or unavailable (the store failed; nothing
// changed).
func (m *Manager) Act(ctx context.Context, acc Access, a *api.Action) (*api.Ack, error) {
	l, err := m.get(ctx, acc.Session)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isBroken {
		return nil, &Error{Code: CodeUnavailable, Message: "the session is reloading: retry"}
	}
	s := l.seatByRole(acc.Role)
	if s == nil || s.builtin() {
		return nil, &Error{Code: CodeForbidden, Message: "the owner's link cannot act for a seat: use the seat's own link"}
	}
	cur := l.mech.Clock().Step
	if a.Step < 0 {
		return nil, invalid("step", "step %d is negative", a.Step)
	}
	if a.Step < len(l.moves) && l.moves[a.Step].Step == a.Step {
		// The step was answered (or ended by the clock): a retry gets the
		// same Ack; anything else is stale.
		mv := l.moves[a.Step]
		switch {
		case mv.Party == s.index && sameMove(l, mv, a):
			return ack(l, mv), nil
		case mv.Kind == "fault" || mv.Kind == "expire":
			return nil, conflict(CodeEnded, cur, "the session has ended (%s)", firstLine(l.mech.Result().Reason))
		}
		return nil, conflict(CodeStale, cur, "step %d was answered already; the session is at step %d: read your stream (or GET your link) for the current request", a.Step, cur)
	}
	if l.mech.Done() {
		return nil, conflict(CodeEnded, cur, "the session has ended (%s)", l.mech.Result().Reason)
	}
	if a.Step > cur {
		return nil, conflict(CodeStale, cur, "step %d has not been asked; the session is at step %d", a.Step, cur)
	}
	req := l.mech.Next()
	if req.Party != s.index {
		return nil, conflict(CodeNotYourTurn, cur, "it is not your turn: wait for a turn on your stream")
	}
	now := time.Now()
	if l.expire(now) {
		if err := m.commitLocked(l); err != nil {
			return nil, err
		}
		return nil, conflict(CodeEnded, cur, "the session's time ran out before this move")
	}
	if l.dl.MoveTime > 0 && now.Sub(l.asked) > l.dl.MoveTime {
		l.fail(fmt.Sprintf("move took %v, limit %v", now.Sub(l.asked).Round(time.Millisecond), l.dl.MoveTime), now)
		if err := m.commitLocked(l); err != nil {
			return nil, err
		}
		return nil, conflict(CodeEnded, cur, "the move came after the move time (%v): the session ended with your fault", l.dl.MoveTime)
	}
	ans, verr := l.check(s, req, a)
	if verr != nil {
		return nil, verr
	}
	sig, verr := l.checkSignature(s, a, ans)
	if verr != nil {
		return nil, verr
	}
	l.apply(ans, now)
	l.moves[len(l.moves)-1].Sig = sig
	mv := l.moves[len(l.moves)-1]
	l.runBuiltins(time.Now())
	if err := m.commitLocked(l); err != nil {
		return nil, err
	}
	return ack(l, mv), nil
}

// CodeForbidden: 403, the link may not do this.
const CodeForbidden = "forbidden"

func ack(l *live, mv store.Move) *api.Ack {
	a := &api.Ack{Step: mv.Step, Kind: mv.Kind}
	if mv.Offer != nil {
		a.Outcome = l.sc.Space.Map(mv.Offer)
	}
	a.Receipt = l.receipt(mv.Step)
	return a
}

// sameMove reports whether action a is the stored move mv (a retry).
func sameMove(l *live, mv store.Move, a *api.Action) bool {
	if a.Kind != mv.Kind {
		return false
	}
	if mv.Offer == nil {
		return a.Outcome == nil
	}
	o, err := l.sc.Space.Parse(a.Outcome)
	return err == nil && sameOutcome(o, mv.Offer)
}

// check turns an action into the mechanism's answer, or says why it breaks
// the rules.
func (l *live) check(s *seat, req *mechanism.Request, a *api.Action) (mechanism.Answer, error) {
	allowed := mechanism.Allows(l.mech, req)
	k, ok := answerKinds[a.Kind]
	if !ok || !hasKind(allowed, k) {
		return mechanism.Answer{}, rejected("kind", "kind %q does not answer a %s request; send one of: %s", a.Kind, req.Kind, kindNames(allowed))
	}
	if k != mechanism.Offer {
		if a.Outcome != nil {
			return mechanism.Answer{}, rejected("outcome", "an outcome goes only with kind offer, not %s", a.Kind)
		}
		// A red line is a value the party never accepts (docs/scenario-
		// format.md): a party's seat cannot accept an offer or vote for a
		// text that crosses one of its own.
		if k == mechanism.Accept && s.index >= 0 && req.Offer != nil && (req.Kind == mechanism.Respond || req.Kind == mechanism.Vote) {
			if is, v, ok := crossed(l.sc.Parties[s.index].Profile.RedLines, req.Offer); ok {
				iss := &l.sc.Space.Issues[is]
				return mechanism.Answer{}, rejected("kind", "the offer has %s = %s, which crosses one of your red lines: it cannot be accepted (reject it, or answer with an offer)", iss.Name, iss.Values[v])
			}
		}
		return mechanism.Answer{Kind: k}, nil
	}
	sp := l.sc.Space
	if a.Outcome == nil {
		return mechanism.Answer{}, rejected("outcome", "an offer needs an outcome: a value for each issue (%s)", issueNames(l.sc))
	}
	o, err := sp.Parse(a.Outcome)
	if err != nil {
		return mechanism.Answer{}, rejected("outcome", "outcome: %v", err)
	}
	for i := range sp.Rules {
		if r := &sp.Rules[i]; !r.Holds(o) {
			msg := fmt.Sprintf("outcome breaks the scenario's rule %q", r.Name)
			if r.Note != "" {
				msg += ": " + r.Note
			}
			return mechanism.Answer{}, rejected("outcome", "%s", msg)
		}
	}
	if s.index >= 0 {
		if i, v, ok := crossed(l.sc.Parties[s.index].Profile.RedLines, o); ok {
			is := &sp.Issues[i]
			return mechanism.Answer{}, rejected("outcome."+is.Name, "outcome: %s = %s crosses one of your red lines", is.Name, is.Values[v])
		}
	}
	return mechanism.Answer{Kind: k, Outcome: o}, nil
}

// crossed returns the first issue and value of o that is a red line, if any.
func crossed(redLines [][]bool, o outcome.Outcome) (issue int, value int32, ok bool) {
	for i, v := range o {
		if redLines != nil && redLines[i] != nil && redLines[i][v] {
			return i, v, true
		}
	}
	return 0, 0, false
}

func hasKind(ks []mechanism.AnswerKind, k mechanism.AnswerKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func kindNames(ks []mechanism.AnswerKind) string {
	ns := make([]string, len(ks))
	for i, k := range ks {
		ns[i] = k.String()
	}
	return strings.Join(ns, ", ")
}

func issueNames(sc *scenario.Scenario) string {
	ns := make([]string, len(sc.Space.Issues))
	for i := range sc.Space.Issues {
		ns[i] = sc.Space.Issues[i].Name
	}
	return strings.Join(ns, ", ")
}

// Record writes the session's log so far in the 'run --trace' format
// (hash-chained JSON Lines, sealed with the server's key if it has one).
// Only the owner may read it: it holds every party's moves.
func (m *Manager) Record(ctx context.Context, acc Access, w io.Writer) error {
	if acc.Role != OwnerRole {
		return &Error{Code: CodeForbidden, Message: "only the owner's link reads the whole record"}
	}
	l, err := m.get(ctx, acc.Session)
	if err != nil {
		return err
	}
	l.mu.Lock()
	h := record.Header{Scenario: l.sc.ID, Protocol: l.proto.Name, Parties: partyIDs(l.sc), Seed: l.spec.Seed, Rounds: l.dl.Rounds}
	for _, s := range l.seats[:len(l.sc.Parties)] {
		h.Roles = append(h.Roles, s.who)
	}
	if len(l.seats) > len(l.sc.Parties) {
		h.Mediator = l.proto.Name
	}
	if l.dl.Time > 0 {
		h.Time = l.dl.Time.String()
	}
	events := l.events[:l.committed]
	rw := record.NewWriter(w, l.sc.Space, h)
	for i := range events {
		rw.Observe(events[i].mechanismEvent())
	}
	l.mu.Unlock()
	return rw.Close(m.key)
}

// Status is the owner's view of a session: where it stands, and once it
// has ended, how, judged against the scenario's analysis.
func (m *Manager) Status(ctx context.Context, acc Access) (*api.Status, error) {
	if acc.Role != OwnerRole {
		return nil, &Error{Code: CodeForbidden, Message: "only the owner's link shows the session's status"}
	}
	l, err := m.get(ctx, acc.Session)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	st := &api.Status{Session: l.id, Scenario: l.spec.Scenario, Variant: l.spec.Variant, Protocol: l.proto.Name, Seed: l.spec.Seed,
		Deadline: l.spec.deadline(), Created: l.created.UTC().Format(time.RFC3339Nano), Status: "running",
		Step: l.mech.Clock().Step, Round: l.mech.Clock().Round, Events: l.committed}
	for _, s := range l.seats {
		st.Seats = append(st.Seats, api.SeatStatus{Role: s.role, Kind: s.who})
	}
	ended := l.ended
	if ended {
		st.End = l.end(-2, l.committed)
		st.Status = st.End.Status
	} else {
		req := l.mech.Next()
		st.Waiting = &api.Waiting{Role: roleName(l.sc, req.Party), Kind: req.Kind.String()}
	}
	sc, res := l.sc, l.mech.Result()
	l.mu.Unlock()
	if ended {
		v, err := m.judge(ctx, sc, res)
		if err != nil {
			return nil, err
		}
		for i := range v.Parties {
			v.Parties[i].Seat = st.Seats[i].Kind
		}
		st.Verdict = v
	}
	return st, nil
}

// end is how the session ended as party p (index, MediatorRole, or -2 for
// the owner) may see it: everyone sees the outcome; a party its own utility.
func (l *live) end(p, seq int) *api.End {
	r := l.mech.Result()
	e := &api.End{Type: "end", Seq: seq, Status: r.Status.String(), Reason: r.Reason, Rounds: r.Rounds, Steps: r.Steps}
	if r.Agreement != nil {
		e.Agreement = l.sc.Space.Map(r.Agreement)
		if p >= 0 {
			u := l.sc.Parties[p].Profile.Utility(r.Agreement)
			e.Utility = &u
		}
	}
	if r.Fault != nil {
		e.Fault = &api.Fault{Party: roleName(l.sc, r.Fault.Party), Reason: firstLine(r.Fault.Reason)}
	}
	return e
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
