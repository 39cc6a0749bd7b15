// Package mechanism defines the rules of a negotiation as a deterministic
// state machine, and the interfaces of those who take part in it.
//
// A Mechanism never calls a party. It says which party must act and what it is
// asked (Next), and takes the answer (Apply). Two drivers use the same
// mechanisms: the simulator (package sim) calls in-process parties in a tight
// loop; the server waits for remote parties and people. Because the mechanism
// alone decides what each request carries, it alone decides what each party
// sees: that is the information barrier.
package mechanism

import (
	"math/rand/v2"
	"time"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// MediatorRole is the Request.Party value that addresses the mediator.
const MediatorRole = -1

// Nobody is used where an offer or event has no party (e.g. a text from no one).
const Nobody = -2

// RequestKind says what a party is asked to do.
type RequestKind uint8

// The kinds of request.
const (
	// Propose: make an offer (Answer Offer) or end the negotiation (Answer End).
	Propose RequestKind = iota + 1
	// Respond: accept or reject Request.Offer, or end the negotiation.
	Respond
	// Vote: accept or reject the text Request.Offer (single negotiating text).
	Vote
	// Compare: is Request.Offer better, worse or the same as Request.Other?
	Compare
	// Relay: (mediator) an offer Request.Offer from Request.From is waiting to
	// be passed on: relay it, hold it, or replace it with another (Offer).
	Relay
	// Improve: (mediator) propose a Pareto improvement over Request.Offer or End.
	Improve
)

// String names the request kind.
func (k RequestKind) String() string {
	switch k {
	case Propose:
		return "propose"
	case Respond:
		return "respond"
	case Vote:
		return "vote"
	case Compare:
		return "compare"
	case Relay:
		return "relay"
	case Improve:
		return "improve"
	}
	return "unknown"
}

// Request is what the mechanism waits for: one party's next move.
type Request struct {
	Party int         // index of the party asked, or MediatorRole
	Kind  RequestKind //
	// Offer is the outcome the request is about (the standing offer, the text
	// to vote on, the offer to relay); nil for Propose. Read-only, valid until
	// the next Apply.
	Offer outcome.Outcome
	// Other is the second outcome of a Compare request.
	Other outcome.Outcome
	// From is who the asked party is told Offer comes from: a party index,
	// MediatorRole, or Nobody. A mechanism with a barrier never reveals more.
	From int
	// Answers tells the mediator, in a request addressed to MediatorRole,
	// how the parties answered the last text it put to them: one entry per
	// party in party order (Accept or Reject for a vote, Better, Worse or
	// Same for a comparison). It is nil in every request to a party and
	// when no text has been put to the parties yet. Read-only, valid until
	// the next Apply.
	Answers []AnswerKind
	// Proposals holds, in the face-saving protocols that have visible
	// positions (BlindBidding), every party's latest visible proposal in
	// party order (nil for a party that has made none yet). They are public
	// by the rules, so every request of such a protocol carries them, to
	// the parties and the mediator alike; nil in every other protocol.
	// Read-only, valid until the next Apply.
	Proposals []outcome.Outcome
}

// AnswerKind is a party's move.
type AnswerKind uint8

// The kinds of answer.
const (
	Offer  AnswerKind = iota + 1 // Answer.Outcome is a (counter-)offer or text
	Accept                       // accept / vote yes / relay as is
	Reject                       // reject / vote no / hold
	End                          // walk away: the negotiation ends without agreement
	Better                       // Compare: Offer is better than Other
	Worse                        // Compare: Offer is worse than Other
	Same                         // Compare: indifferent
)

// String names the answer kind.
func (k AnswerKind) String() string {
	switch k {
	case Offer:
		return "offer"
	case Accept:
		return "accept"
	case Reject:
		return "reject"
	case End:
		return "end"
	case Better:
		return "better"
	case Worse:
		return "worse"
	case Same:
		return "same"
	}
	return "unknown"
}

// Answer is a party's reply to a Request.
type Answer struct {
	Kind    AnswerKind
	Outcome outcome.Outcome // for Offer; the mechanism copies it
}

// Status is where a negotiation stands.
type Status uint8

// The statuses.
const (
	Running     Status = iota
	Agreement          // ended with an agreement
	NoAgreement        // ended by a walk-away or the deadline
	Failed             // ended by a party's fault (see Result.Fault)
)

// String names the status.
func (s Status) String() string {
	switch s {
	case Running:
		return "running"
	case Agreement:
		return "agreement"
	case NoAgreement:
		return "no agreement"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Fault records a party's breach: a panic, an error, an invalid or infeasible
// offer, a protocol violation or a timeout.
type Fault struct {
	Party  int    // index, or MediatorRole
	Reason string // e.g. "panic: index out of range", "offer violates rule x"
}

// Result is how a negotiation ended.
type Result struct {
	Status    Status
	Agreement outcome.Outcome // nil unless Status == Agreement
	Rounds    int             // rounds begun
	Steps     int             // requests answered
	Time      float64         // relative time in [0,1] at the end
	Fault     *Fault          // non-nil iff Status == Failed
	Reason    string          // why it ended, in words
}

// Deadline bounds a negotiation. Zero fields are unbounded; at least one of
// Rounds and Time must be set.
type Deadline struct {
	Rounds int
	Time   time.Duration
	// MoveTime bounds a single answer (0: unbounded). The simulator enforces
	// it while the party thinks, to 1/32 of it: a move longer than 17/16 of
	// MoveTime always loses, and the party loses as soon as the limit is
	// seen to pass, without waiting for its answer.
	MoveTime time.Duration
}

// Setup is what a party is told when a negotiation starts: its own profile and
// the public rules. It never holds another party's profile.
type Setup struct {
	Space      *outcome.Space
	Profile    *preference.Profile // the party's own; nil for a mediator without confidential access
	Self       int                 // the party's index, or MediatorRole
	NumParties int
	Protocol   string
	Deadline   Deadline
	Rand       *rand.Rand // seeded from the run seed and the party index
	// Confidential holds every party's profile, only for a mediator that the
	// scenario grants confidential access (post-settlement, arbitration).
	Confidential []*preference.Profile
}

// Clock tells the party how far the negotiation has gone.
type Clock struct {
	Round int     // 0-based current round
	Step  int     // requests answered so far
	T     float64 // relative time in [0,1]: the larger of round and time progress
}

// Party is anything that takes part: an in-process strategy, a remote agent or
// a person behind the server. A Party is used by one negotiation at a time.
type Party interface {
	// Init is called once before the first request.
	Init(s *Setup) error
	// Act answers a request. The returned Answer's Outcome may alias a buffer
	// of the party's; the mechanism copies it before the next call.
	Act(c *Clock, r *Request) Answer
}

// Event is one entry of what happened, with who may see it.
type Event struct {
	Step    int
	Round   int
	T       float64
	Party   int // who acted (index, MediatorRole)
	Kind    string
	Outcome outcome.Outcome // copied; nil if none
	To      []int           // the parties (or MediatorRole) this event was shown to; nil = everyone
	Note    string
}

// Observer receives events as the mechanism makes them. It may keep the Event
// but must copy Outcome if it keeps it past the call.
type Observer interface {
	Observe(e *Event)
}

// Mechanism is a protocol's state machine.
type Mechanism interface {
	// Name is the protocol's short name ("sao", "single-text", …).
	Name() string
	// Start resets the mechanism for a new negotiation with n parties over
	// space sp (whose rules offers must satisfy). obs may be nil.
	Start(sp *outcome.Space, n int, dl Deadline, obs Observer) error
	// Next returns the pending request. It must not be called after Done.
	Next() *Request
	// Apply takes the answer to the pending request. An answer that breaks
	// the rules (wrong kind, invalid or infeasible offer) ends the negotiation
	// with a Fault attributed to the party; Apply returns an error only if it
	// is called out of turn (a driver bug).
	Apply(a Answer) error
	// Fail ends the negotiation with a fault of the party asked by the pending
	// request (panic, timeout, error in the driver).
	Fail(reason string)
	// Clock returns the current clock. The driver may raise T to reflect wall
	// time before asking a party.
	Clock() *Clock
	// Expire ends the negotiation without agreement because the time
	// deadline passed.
	Expire()
	// Done reports whether the negotiation has ended.
	Done() bool
	// Result returns how it ended; valid once Done.
	Result() Result
}
