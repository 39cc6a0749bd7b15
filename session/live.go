package session

import (
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/strategy"
)

// seat is one role of a session and who fills it.
type seat struct {
	role  string
	index int    // party index, or MediatorRole
	who   string // agent, person, builtin, or a strategy spec
	party mechanism.Party
	view  []byte // the scenario as this seat sees it (seatScenario), made once
}

func (s *seat) builtin() bool { return s.party != nil }

// live is a session in memory: the mechanism standing where the stored moves
// put it. Every field is guarded by mu. moves[:committedMoves] and
// events[:committed] are durable; the rest are being committed, and no one
// outside the goroutine holding mu sees them.
type live struct {
	mu    sync.Mutex
	id    string
	spec  Spec
	sc    *scenario.Scenario
	proto protocol.Protocol
	mech  mechanism.Mechanism
	dl    mechanism.Deadline
	// confidential: the mediator is given every party's profile.
	confidential bool
	seats        []*seat // parties in order, then the mediator if any
	created      time.Time
	asked        time.Time // when the pending request was put
	events       []Event
	committed    int
	moves        []store.Move
	committedMv  int
	ended        bool // the end is durable
	changed      chan struct{}
	timer        *time.Timer
	// isBroken: a commit failed, the session was dropped from memory and
	// is reloaded from the store by its next use; streams on this copy end.
	isBroken bool
	// messages are the stored messages not yet spliced back in while the
	// session is rebuilt (messages.go).
	messages []Event
	// tl is the session log over what is committed (tlog.go).
	tl *sessionLog
}

// Observe collects the mechanism's events (mechanism.Observer).
func (l *live) Observe(e *mechanism.Event) {
	l.splice()
	ev := Event{Seq: len(l.events) + 1, Step: e.Step, Round: e.Round, T: e.T, Party: e.Party, Kind: e.Kind, Note: e.Note, Moves: len(l.moves)}
	if e.Outcome != nil {
		ev.Outcome = e.Outcome.Clone()
	}
	if e.To != nil {
		ev.To = append([]int{}, e.To...)
	}
	l.events = append(l.events, ev)
}

// seatOf returns the seat of party p (index or MediatorRole).
func (l *live) seatOf(p int) *seat {
	if p == mechanism.MediatorRole {
		if len(l.seats) > len(l.sc.Parties) {
			return l.seats[len(l.seats)-1]
		}
		return nil
	}
	if p >= 0 && p < len(l.sc.Parties) {
		return l.seats[p]
	}
	return nil
}

// seatByRole returns the seat called role, or nil.
func (l *live) seatByRole(role string) *seat {
	for _, s := range l.seats {
		if s.role == role {
			return s
		}
	}
	return nil
}

// build makes a session's mechanism and built-in parties and starts it, as
// sim.Run does: same seeds, same order of Init calls, same deadline.
func build(id string, spec Spec, sc *scenario.Scenario, created time.Time) (*live, error) {
	proto, err := protocol.Lookup(spec.Protocol)
	if err != nil {
		return nil, err
	}
	l := &live{id: id, spec: spec, sc: sc, proto: proto, mech: proto.New(), created: created, asked: created,
		changed: make(chan struct{})}
	l.dl = mechanism.Deadline{Rounds: proto.Rounds(spec.Rounds), Time: spec.Time, MoveTime: spec.MoveTime}
	for i, p := range sc.Parties {
		s := &seat{role: p.ID, index: i, who: spec.Seats[p.ID]}
		if s.who != api.SeatAgent && s.who != api.SeatPerson {
			a, err := strategy.ParseSpec(s.who)
			if err != nil {
				return nil, fmt.Errorf("seat %s: %w", p.ID, err)
			}
			s.party = proto.Wrap(a)
		}
		l.seats = append(l.seats, s)
	}
	if proto.Mediator != nil {
		s := &seat{role: api.MediatorRole, index: mechanism.MediatorRole, who: spec.Seats[api.MediatorRole]}
		med, conf := proto.NewMediator()
		l.confidential = conf
		if s.who == api.SeatBuiltin {
			s.party = med
		}
		l.seats = append(l.seats, s)
	}
	if err := l.mech.Start(sc.Space, len(sc.Parties), l.dl, l); err != nil {
		return nil, err
	}
	l.initBuiltins()
	return l, nil
}

// initBuiltins calls Init on the built-in parties in sim's order (parties,
// then the mediator); a failing Init is that party's fault, as in sim.
func (l *live) initBuiltins() {
	for _, s := range l.seats {
		if !s.builtin() {
			continue
		}
		if err := l.initOne(s); err != nil {
			failAs(l.mech, s.index, "init: "+err.Error())
			return
		}
	}
}

func (l *live) initOne(s *seat) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return s.party.Init(l.setup(s.index))
}

// setup is what the party at index p is told at the start (sim's Setup).
func (l *live) setup(p int) *mechanism.Setup {
	st := &mechanism.Setup{Space: l.sc.Space, Self: p, NumParties: len(l.sc.Parties), Protocol: l.mech.Name(),
		Deadline: l.dl, Rand: sim.Seeded(l.spec.Seed, p)}
	if p >= 0 {
		st.Profile = l.sc.Parties[p].Profile
	} else if l.confidential {
		st.Confidential = l.sc.Profiles()
	}
	return st
}

// failAs records a fault of party who, who need not be the party asked.
func failAs(m mechanism.Mechanism, who int, reason string) {
	r := m.Next()
	saved := r.Party
	r.Party = who
	m.Fail(reason)
	r.Party = saved
}

// tick raises the clock to wall time (time deadlines only) and ends the
// session if its time is up. It returns false if the session has ended.
func (l *live) tick(now time.Time) bool {
	if l.mech.Done() {
		return false
	}
	if l.dl.Time <= 0 {
		return true
	}
	if l.expire(now) {
		return false
	}
	el := now.Sub(l.created)
	c := l.mech.Clock()
	c.T = max(c.T, float64(el)/float64(l.dl.Time))
	return true
}

// expire ends the session, recorded, if its time deadline has passed by
// now, and reports whether it did.
func (l *live) expire(now time.Time) bool {
	if l.mech.Done() || l.dl.Time <= 0 || now.Sub(l.created) < l.dl.Time {
		return false
	}
	l.record(store.Move{Kind: "expire", Note: "deadline (time)"}, now)
	l.mech.Expire()
	return true
}

// record notes move m for the pending request (filling step, party and
// clock) before it is applied.
func (l *live) record(m store.Move, now time.Time) {
	m.Step = l.mech.Clock().Step
	m.Party = l.mech.Next().Party
	m.T = l.mech.Clock().T
	m.AtMS = now.UnixMilli()
	l.moves = append(l.moves, m)
}

// apply applies an answer to the pending request and records it.
func (l *live) apply(a mechanism.Answer, now time.Time) {
	m := store.Move{Kind: a.Kind.String()}
	if a.Kind == mechanism.Offer {
		m.Offer = append([]int32(nil), a.Outcome...)
	}
	l.record(m, now)
	if err := l.mech.Apply(a); err != nil {
		l.mech.Fail("driver: " + err.Error())
	}
}

// fail ends the session with a fault of the party asked, recorded.
func (l *live) fail(reason string, now time.Time) {
	l.record(store.Move{Kind: "fault", Note: reason}, now)
	l.mech.Fail(reason)
}

// runBuiltins lets built-in parties answer while the pending request is
// theirs, and checks the time deadline before every move. It returns when
// the session has ended or waits for a seat outside the server.
func (l *live) runBuiltins(now time.Time) {
	for l.tick(now) {
		req := l.mech.Next()
		s := l.seatOf(req.Party)
		if s == nil {
			l.fail("no party in this role", now)
			return
		}
		if !s.builtin() {
			l.asked = now
			return
		}
		a, perr := act(s.party, l.mech.Clock(), req)
		if perr != "" {
			l.fail(perr, now)
			return
		}
		l.apply(a, now)
		now = time.Now()
	}
}

// act asks a built-in party, turning a panic into its fault.
func act(p mechanism.Party, c *mechanism.Clock, r *mechanism.Request) (a mechanism.Answer, fault string) {
	defer func() {
		if x := recover(); x != nil {
			fault = fmt.Sprintf("panic: %v\n%s", x, debug.Stack())
		}
	}()
	return p.Act(c, r), ""
}

// replay applies stored moves to a freshly built session: built-in parties
// are asked again (so that their state is what it was) but the stored answer
// is what counts. It fails if the moves do not fit the mechanism.
func (l *live) replay(moves []store.Move) error {
	for _, m := range moves {
		if l.mech.Done() {
			return fmt.Errorf("move %d: after the end", m.Step)
		}
		c := l.mech.Clock()
		if m.Step != c.Step {
			return fmt.Errorf("move %d: the mechanism is at step %d", m.Step, c.Step)
		}
		req := l.mech.Next()
		if m.Party != req.Party {
			return fmt.Errorf("move %d: by party %d, the mechanism asks %d", m.Step, m.Party, req.Party)
		}
		l.moves = append(l.moves, m)
		switch m.Kind {
		case "expire":
			l.mech.Expire()
			continue
		case "fault":
			l.mech.Fail(m.Note)
			continue
		}
		c.T = max(c.T, m.T)
		a, err := storedAnswer(l.sc.Space, m)
		if err != nil {
			return err
		}
		if s := l.seatOf(req.Party); s != nil && s.builtin() {
			if b, perr := act(s.party, c, req); perr != "" || b.Kind != a.Kind || (a.Kind == mechanism.Offer && !sameOutcome(a.Outcome, b.Outcome)) {
				return fmt.Errorf("move %d: built-in %s answers %s now, %s then", m.Step, s.who, b.Kind, a.Kind)
			}
		}
		if err := l.mech.Apply(a); err != nil {
			return fmt.Errorf("move %d: %w", m.Step, err)
		}
	}
	l.committedMv = len(l.moves)
	return nil
}

func sameOutcome(a, b outcome.Outcome) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func storedAnswer(sp *outcome.Space, m store.Move) (mechanism.Answer, error) {
	k, ok := answerKinds[m.Kind]
	if !ok {
		return mechanism.Answer{}, fmt.Errorf("move %d: unknown kind %q", m.Step, m.Kind)
	}
	a := mechanism.Answer{Kind: k}
	if k == mechanism.Offer {
		a.Outcome = outcome.Outcome(m.Offer)
		if !sp.Valid(a.Outcome) {
			return a, fmt.Errorf("move %d: offer out of the space", m.Step)
		}
	}
	return a, nil
}

// answerKinds reads the names of mechanism.AnswerKind.
var answerKinds = func() map[string]mechanism.AnswerKind {
	m := map[string]mechanism.AnswerKind{}
	for k := mechanism.Offer; k <= mechanism.Same; k++ {
		m[k.String()] = k
	}
	return m
}()

// broken marks l as dropped and ends its streams.
func (l *live) broken() {
	l.isBroken = true
	l.notify()
}

// notify wakes every stream of the session.
func (l *live) notify() {
	close(l.changed)
	l.changed = make(chan struct{})
}
