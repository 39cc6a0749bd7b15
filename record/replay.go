package record

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/sim"
)

// Replayer plays a Log back. Its parties and mediator answer every request
// with the next move the log records for them, whatever they are asked, so
// that the same mechanism on the same outcome space makes the same events:
// the same outcome and, line for line, the same trace.
//
// Each player reads only its own moves (events attributed to it), as a party
// would make them; a player asked for a move the log does not hold answers
// End (that is how a party leaves a post-settlement phase, which the
// mechanism records as an agreement by nobody). Events the mechanism makes
// by itself ("accepted by all", "improved", the deadline's end) are not
// moves.
//
// Faults made by the mechanism (an invalid or infeasible offer, a wrong kind
// of answer) are replayed by making the same faulty answer. Faults the
// original driver recorded (a panic, an overrun move, a stalled party) and
// the end at a time deadline cannot be made by a party: with plain
// parties a recorded driver fault becomes a panic of the same party (same
// status and faulty party, other wording). Mechanism wraps the protocol's
// mechanism so that these too happen exactly as recorded; Replay uses it.
//
// A Replayer serves one replay; it is not safe for concurrent use.
type Replayer struct {
	log     *Log
	players []*player // parties in index order, then the mediator
	err     error
}

// NewReplayer returns a Replayer of l.
func NewReplayer(l *Log) *Replayer {
	n := len(l.Header.Parties)
	r := &Replayer{log: l, players: make([]*player, n+1)}
	for i := range r.players {
		self := i
		if i == n {
			self = mechanism.MediatorRole
		}
		r.players[i] = &player{r: r, self: self}
	}
	for k := range l.Events {
		e := &l.Events[k]
		if !isMove(e) {
			continue
		}
		switch {
		case e.Party == mechanism.MediatorRole:
			r.players[n].moves = append(r.players[n].moves, k)
		case e.Party >= 0 && e.Party < n:
			r.players[e.Party].moves = append(r.players[e.Party].moves, k)
		}
	}
	return r
}

// isMove reports whether e records a move of the party it names, as opposed
// to an event the mechanism made by itself.
func isMove(e *mechanism.Event) bool {
	switch e.Kind {
	case "accepted by all", "improved":
		return false
	}
	return e.Party != mechanism.Nobody
}

// Parties returns the replaying parties, one per party of the header, in
// party order.
func (r *Replayer) Parties() []mechanism.Party {
	ps := make([]mechanism.Party, len(r.players)-1)
	for i := range ps {
		ps[i] = r.players[i]
	}
	return ps
}

// Mediator returns the replaying mediator.
func (r *Replayer) Mediator() mechanism.Party { return r.players[len(r.players)-1] }

// Err returns the first divergence the players or Mechanism met: a move
// asked at another step than the log records, a move the log holds but
// no party could make, or (under Mechanism) an event that differs from the
// logged one. Nil if the replay has followed the log so far.
func (r *Replayer) Err() error { return r.err }

func (r *Replayer) diverge(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("record: replay diverges: "+format, args...)
	}
}

// player replays one party's (or the mediator's) moves.
type player struct {
	r     *Replayer
	self  int
	moves []int // indices into the log's events
	next  int
}

// Init fails as the recorded party failed at its Init (a first move that is
// a fault "init: …" or "init panic: …", as sim records it), and succeeds
// otherwise.
func (p *player) Init(*mechanism.Setup) error {
	if p.next >= len(p.moves) {
		return nil
	}
	e := &p.r.log.Events[p.moves[p.next]]
	if e.Kind != "failure" {
		return nil
	}
	if msg, ok := strings.CutPrefix(e.Note, "init: "); ok {
		p.next++
		return errors.New(msg)
	}
	if msg, ok := strings.CutPrefix(e.Note, "init panic: "); ok {
		p.next++
		panic(msg)
	}
	return nil
}

// Act answers with the next recorded move.
func (p *player) Act(c *mechanism.Clock, req *mechanism.Request) mechanism.Answer {
	if p.next >= len(p.moves) {
		return mechanism.Answer{Kind: mechanism.End}
	}
	e := &p.r.log.Events[p.moves[p.next]]
	p.next++
	if e.Kind == "failure" {
		if a, ok := faultAnswer(p.r.log.Space, e.Note); ok {
			return a
		}
		// A fault the driver recorded: the closest a party can come to it.
		msg, _, _ := strings.Cut(strings.TrimPrefix(e.Note, "panic: "), "\n")
		panic("replayed fault: " + msg)
	}
	if e.Step != c.Step+1 {
		p.r.diverge("%s asked for a %s at step %d; its next recorded move (%q) is at step %d", p.name(), req.Kind, c.Step+1, e.Kind, e.Step)
	}
	a, ok := answerFor(e)
	if !ok {
		p.r.diverge("event %q of %s at step %d is no move a party can make", e.Kind, p.name(), e.Step)
	}
	return a
}

// initFault reports whether a fault note is one sim records for a failed Init.
func initFault(note string) bool {
	return strings.HasPrefix(note, "init: ") || strings.HasPrefix(note, "init panic: ")
}

func (p *player) name() string {
	if p.self == mechanism.MediatorRole {
		return "the mediator"
	}
	return strconv.Quote(p.r.log.Header.Parties[p.self])
}

// answerFor returns the answer that makes the mechanisms of package
// mechanism emit e as the mover's first event.
func answerFor(e *mechanism.Event) (mechanism.Answer, bool) {
	switch e.Kind {
	case "offer", "text", "package", "award", "improvement", "suggestion":
		return mechanism.Answer{Kind: mechanism.Offer, Outcome: e.Outcome}, true
	case "accept", "relay", "call vote":
		return mechanism.Answer{Kind: mechanism.Accept}, true
	case "reject", "hold":
		return mechanism.Answer{Kind: mechanism.Reject}, true
	case "better":
		return mechanism.Answer{Kind: mechanism.Better}, true
	case "worse":
		return mechanism.Answer{Kind: mechanism.Worse}, true
	case "same":
		return mechanism.Answer{Kind: mechanism.Same}, true
	case "end", "agreement":
		// A walk-away, or a mediator ending single-text talks with the
		// last text all accepted standing.
		return mechanism.Answer{Kind: mechanism.End}, true
	}
	return mechanism.Answer{Kind: mechanism.End}, false
}

// answerKinds maps AnswerKind.String back to the kind.
var answerKinds = map[string]mechanism.AnswerKind{
	"offer": mechanism.Offer, "accept": mechanism.Accept, "reject": mechanism.Reject, "end": mechanism.End,
	"better": mechanism.Better, "worse": mechanism.Worse, "same": mechanism.Same, "unknown": 0,
}

// faultAnswer returns an answer that makes a mechanism record the fault
// note, for the faults mechanisms find themselves; false for those a driver
// records (panics, overruns, stalls).
func faultAnswer(sp *outcome.Space, note string) (mechanism.Answer, bool) {
	switch note {
	case "offered an outcome that is not in the space":
		return mechanism.Answer{Kind: mechanism.Offer, Outcome: make(outcome.Outcome, sp.NumIssues()+1)}, true
	case "offered an infeasible outcome (breaks a rule of the scenario)":
		if o := infeasible(sp); o != nil {
			return mechanism.Answer{Kind: mechanism.Offer, Outcome: o}, true
		}
		return mechanism.Answer{}, false
	case "called a vote before proposing any text":
		return mechanism.Answer{Kind: mechanism.Accept}, true
	}
	if rest, ok := strings.CutPrefix(note, "answered "); ok {
		if name, _, ok := strings.Cut(rest, " to a"); ok {
			if k, ok := answerKinds[name]; ok {
				return mechanism.Answer{Kind: k}, true
			}
		}
	}
	return mechanism.Answer{}, false
}

// infeasible returns a valid outcome of sp that breaks one of its rules, or
// nil if it finds none. For each rule and each value a Then condition
// forbids, it tries the outcome that takes the first value every If
// condition (and no Then condition on another issue) allows: O(R·V·I) for R
// rules, V values per issue and I issues.
func infeasible(sp *outcome.Space) outcome.Outcome {
	o := sp.New()
	for ri := range sp.Rules {
		rule := &sp.Rules[ri]
		for _, c := range rule.Then {
			for v, ok := range c.Allowed {
				if ok {
					continue
				}
				for i := range o {
					o[i] = 0
					if i == c.Issue {
						o[i] = int32(v)
						continue
					}
					for x := range sp.Issues[i].Values {
						if allows(rule.If, i, x) {
							o[i] = int32(x)
							break
						}
					}
				}
				if !sp.Feasible(o) {
					return o
				}
			}
		}
	}
	return nil
}

func allows(cs []outcome.Condition, issue, v int) bool {
	for _, c := range cs {
		if c.Issue == issue && !c.Allowed[v] {
			return false
		}
	}
	return true
}

// Mechanism returns m wrapped for replay: it starts m with the log's
// deadline (whatever the driver passes), ends it at the time deadline where
// the log says the time ran out, makes the faults the original driver
// recorded (panics, overruns) at the same step with the same wording, and,
// for a log with a time deadline, sets the clock's relative time to the
// logged one before each move. Every event m makes is compared with the
// logged one (a difference is reported by Err) and passed on to the
// Observer the driver gives Start. Drive it with an untimed deadline (see
// Replay): the wrapper, not the wall clock, decides when time is up.
func (r *Replayer) Mechanism(m mechanism.Mechanism) mechanism.Mechanism {
	return &replayed{Mechanism: m, r: r}
}

type replayed struct {
	mechanism.Mechanism
	r     *Replayer
	obs   mechanism.Observer
	cur   int // events made so far
	timed bool
}

func (m *replayed) Start(sp *outcome.Space, n int, _ mechanism.Deadline, obs mechanism.Observer) error {
	dl, err := m.r.log.Header.Deadline()
	if err != nil {
		return err
	}
	m.obs, m.cur, m.timed = obs, 0, dl.Time > 0
	return m.Mechanism.Start(sp, n, dl, m)
}

// Observe compares e with the logged event and passes it on.
func (m *replayed) Observe(e *mechanism.Event) {
	evs := m.r.log.Events
	switch {
	case m.cur >= len(evs):
		m.r.diverge("event %d (%q at step %d) is past the end of the log", m.cur+1, e.Kind, e.Step)
	default:
		if why := differs(e, &evs[m.cur]); why != "" {
			m.r.diverge("event %d (line %d): %s", m.cur+1, m.cur+2, why)
		}
	}
	m.cur++
	if m.obs != nil {
		m.obs.Observe(e)
	}
}

// Done ends the negotiation where the original driver did, before the next
// party is asked.
func (m *replayed) Done() bool {
	if m.Mechanism.Done() {
		return true
	}
	evs := m.r.log.Events
	if m.cur >= len(evs) {
		return false
	}
	e := &evs[m.cur]
	switch {
	case e.Party == mechanism.Nobody && e.Note == "deadline (time)":
		m.Mechanism.Expire()
		return true
	case e.Kind == "failure" && !initFault(e.Note) && e.Party == m.Mechanism.Next().Party:
		if _, ok := faultAnswer(m.r.log.Space, e.Note); !ok {
			m.Mechanism.Fail(e.Note)
			return true
		}
	}
	if m.timed {
		c := m.Mechanism.Clock()
		c.T = max(c.T, e.T)
	}
	return false
}

// differs says how a replayed event differs from the logged one, or "".
func differs(got, want *mechanism.Event) string {
	switch {
	case got.Kind != want.Kind:
		return fmt.Sprintf("kind %q, logged %q", got.Kind, want.Kind)
	case got.Party != want.Party:
		return fmt.Sprintf("%q by party %d, logged by %d", got.Kind, got.Party, want.Party)
	case got.Step != want.Step || got.Round != want.Round:
		return fmt.Sprintf("%q at step %d round %d, logged at step %d round %d", got.Kind, got.Step, got.Round, want.Step, want.Round)
	case !got.Outcome.Equal(want.Outcome) || (got.Outcome == nil) != (want.Outcome == nil):
		return fmt.Sprintf("%q with outcome %v, logged %v", got.Kind, got.Outcome, want.Outcome)
	case got.Note != want.Note:
		return fmt.Sprintf("%q with note %q, logged %q", got.Kind, got.Note, want.Note)
	case formatT(got.T) != formatT(want.T):
		return fmt.Sprintf("%q at time %s, logged %s", got.Kind, formatT(got.T), formatT(want.T))
	case !sameTo(got.To, want.To):
		return fmt.Sprintf("%q shown to %v, logged %v", got.Kind, got.To, want.To)
	}
	return ""
}

func formatT(t float64) string { return strconv.FormatFloat(t, 'g', 12, 64) }

func sameTo(a, b []int) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Replayed is what Replay found.
type Replayed struct {
	Result   mechanism.Result // how the replay ended
	Recorded Ending           // how the log says the original ended
	// SameOutcome is true when the replay ended as the log says: same
	// status, agreement and (for a fault or walk-away) party.
	SameOutcome bool
	// SameTrace is true when the replay's log is byte-identical to the
	// original, up to (not including) the original's seal.
	SameTrace bool
	// Diff names the first line where the traces differ ("" if SameTrace).
	Diff  string
	Trace []byte // the replay's log, unsealed
	// Err is the replayer's first divergence (see Replayer.Err), or nil.
	Err error
}

// Replay runs the logged negotiation again: m (a fresh mechanism of the
// protocol the header names) is driven by sim.Run with l's replaying
// parties and mediator, wrapped by Replayer.Mechanism, and written as a new
// log with l's header. The mediator takes part iff the header names one.
// Returns an error only if the run cannot start (m refuses the header's
// deadline or party count) or the log has no ending (ErrUnfinished); a
// replay that does not match is reported in Replayed.
func Replay(ctx context.Context, l *Log, m mechanism.Mechanism) (*Replayed, error) {
	end, err := l.Ending()
	if err != nil {
		return nil, err
	}
	rp := NewReplayer(l)
	var buf bytes.Buffer
	w := NewWriter(&buf, l.Space, l.Header)
	cfg := &sim.Config{
		Mechanism: rp.Mechanism(m),
		Space:     l.Space,
		Profiles:  make([]*preference.Profile, len(l.Header.Parties)),
		Parties:   rp.Parties(),
		Deadline:  mechanism.Deadline{Rounds: l.Header.Rounds},
		Seed:      l.Header.Seed,
		Observer:  w,
	}
	if l.Header.Mediator != "" {
		cfg.Mediator = rp.Mediator()
	}
	res, err := sim.Run(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := w.Close(nil); err != nil {
		return nil, err
	}
	out := &Replayed{Result: res, Recorded: end, Trace: buf.Bytes(), Err: rp.Err()}
	out.SameOutcome = res.Status == end.Status && res.Agreement.Equal(end.Agreement)
	if res.Status == mechanism.Failed {
		out.SameOutcome = out.SameOutcome && res.Fault != nil && res.Fault.Party == end.Party
	}
	out.Diff = l.diff(out.Trace)
	out.SameTrace = out.Diff == ""
	return out, nil
}

// diff names the first line where trace differs from the log's lines (seal
// excluded), or returns "".
func (l *Log) diff(trace []byte) string {
	for i, want := range l.lines {
		j := bytes.IndexByte(trace, '\n')
		if j < 0 {
			return fmt.Sprintf("line %d: the replay's log ends here; the original goes on", i+1)
		}
		if got := trace[:j+1]; !bytes.Equal(got, want) {
			return fmt.Sprintf("line %d: replayed %s; logged %s", i+1, bytes.TrimSpace(got), bytes.TrimSpace(want))
		}
		trace = trace[j+1:]
	}
	if len(trace) > 0 {
		return fmt.Sprintf("line %d: the replay's log goes on past the original's end", len(l.lines)+1)
	}
	return ""
}
