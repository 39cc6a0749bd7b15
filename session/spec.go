package session

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/strategy"
)

// Spec is a session's specification as stored: the request that created it,
// completed with every default so that it alone rebuilds the session.
type Spec struct {
	Scenario string            `json:"scenario"` // "builtin:NAME" or an upload id
	Variant  string            `json:"variant,omitempty"`
	Protocol string            `json:"protocol"` // the registry name
	Rounds   int               `json:"deadline_rounds,omitempty"`
	Time     time.Duration     `json:"deadline_time_ns,omitempty"`
	MoveTime time.Duration     `json:"move_time_ns,omitempty"`
	Seed     uint64            `json:"seed"`
	Seats    map[string]string `json:"seats"` // role → agent, person, builtin or a strategy spec
	// OpenTo names the roles that may open the whole log once the session
	// has ended ("all": every seat); LogSalt is the secret its salts are
	// derived from; LogKey, the Ed25519 seed that signs its checkpoints
	// when the server has no key of its own (tlog.go).
	OpenTo  []string `json:"open_to,omitempty"`
	LogSalt []byte   `json:"log_salt,omitempty"`
	LogKey  []byte   `json:"log_key,omitempty"`
}

// DefaultRounds is the deadline of a session that names neither rounds nor
// time and whose scenario suggests none (as 'backchannel run').
const DefaultRounds = 100

// Limits on what a session may ask for. MaxRounds bounds the deadline as
// the protocol counts it (a protocol of many texts per round of budget
// counts each text), so that a session of built-in seats, which runs to its
// end inside the request that creates it, stays bounded.
const (
	MaxRounds   = 20_000
	MaxDuration = 7 * 24 * time.Hour
)

// specFrom checks a NewSession request against the scenario it names and
// completes it. Errors are *Error with code "invalid" naming the field.
func specFrom(req *api.NewSession, sc *scenario.Scenario) (Spec, error) {
	proto, err := protocol.Lookup(req.Protocol)
	if req.Protocol == "" {
		proto, err = protocol.Lookup("sao")
	}
	if err != nil {
		return Spec{}, invalid("protocol", "%v", err)
	}
	n := sc.NumParties()
	if (proto.MinParties > 0 && n < proto.MinParties) || (proto.MaxParties > 0 && n > proto.MaxParties) {
		return Spec{}, invalid("protocol", "protocol %s does not take %d parties", proto.Name, n)
	}
	s := Spec{Scenario: req.Scenario, Variant: req.Variant, Protocol: proto.Name, Seed: 1, Seats: map[string]string{}}
	if req.Seed != nil {
		s.Seed = *req.Seed
	}
	d := req.Deadline
	if d.Rounds < 0 || d.Rounds > MaxRounds {
		return Spec{}, invalid("deadline.rounds", "deadline.rounds %d is out of range [0, %d]", d.Rounds, MaxRounds)
	}
	if s.Time, err = duration("deadline.time", d.Time); err != nil {
		return Spec{}, err
	}
	if s.MoveTime, err = duration("deadline.move_time", d.MoveTime); err != nil {
		return Spec{}, err
	}
	s.Rounds = d.Rounds
	if s.Rounds == 0 && s.Time == 0 {
		s.Rounds = sc.SuggestedDeadlineRounds
		if s.Rounds == 0 {
			s.Rounds = DefaultRounds
		}
	}
	if r := proto.Rounds(s.Rounds); r > MaxRounds {
		return Spec{}, invalid("deadline.rounds", "deadline.rounds %d is %d rounds of %s, more than the %d a session may have", s.Rounds, r, proto.Name, MaxRounds)
	}
	roles := map[string]bool{}
	for _, p := range sc.Parties {
		roles[p.ID] = true
		who, ok := req.Seats[p.ID]
		if !ok {
			return Spec{}, invalid("seats", "seats: no seat for party %q: give %s each agent, person or a strategy (known: %s)",
				p.ID, strings.Join(partyIDs(sc), ", "), strings.Join(strategy.Names(), ", "))
		}
		switch who {
		case api.SeatAgent, api.SeatPerson:
		default:
			if _, err := strategy.ParseSpec(who); err != nil {
				return Spec{}, invalid("seats."+p.ID, "seats.%s: %v (or agent, person)", p.ID, err)
			}
		}
		s.Seats[p.ID] = who
	}
	if proto.Mediator != nil {
		roles[api.MediatorRole] = true
		switch who := req.Seats[api.MediatorRole]; who {
		case "", api.SeatBuiltin:
			s.Seats[api.MediatorRole] = api.SeatBuiltin
		case api.SeatAgent, api.SeatPerson:
			s.Seats[api.MediatorRole] = who
		default:
			return Spec{}, invalid("seats.mediator", "seats.mediator: %q is not builtin, agent or person", who)
		}
	}
	var unknown []string
	for r := range req.Seats {
		if !roles[r] {
			unknown = append(unknown, r)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		known := partyIDs(sc)
		if proto.Mediator != nil {
			known = append(known, api.MediatorRole)
		} else if roles[api.MediatorRole] || contains(unknown, api.MediatorRole) {
			return Spec{}, invalid("seats.mediator", "seats: protocol %s has no mediator", proto.Name)
		}
		return Spec{}, invalid("seats", "seats: no role %s in this session (roles: %s)", strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	for _, r := range req.OpenTo {
		if !roles[r] && r != "all" {
			return Spec{}, invalid("open_to", "open_to: no role %q in this session (name roles, or all)", r)
		}
	}
	s.OpenTo = req.OpenTo
	return s, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func duration(field, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > MaxDuration {
		return 0, invalid(field, "%s %q is not a duration between 0 and %v (write it like 90s or 5m)", field, s, MaxDuration)
	}
	return d, nil
}

func partyIDs(sc *scenario.Scenario) []string {
	ids := make([]string, len(sc.Parties))
	for i, p := range sc.Parties {
		ids[i] = p.ID
	}
	return ids
}

// deadline is the spec's deadline in the API's form.
func (s *Spec) deadline() api.Deadline {
	d := api.Deadline{Rounds: s.Rounds}
	if s.Time > 0 {
		d.Time = s.Time.String()
	}
	if s.MoveTime > 0 {
		d.MoveTime = s.MoveTime.String()
	}
	return d
}

// Error is a refused request: Code says which kind of refusal (the server
// maps it to an HTTP status), Field what was wrong, Step the session's
// current step for conflicts.
type Error struct {
	Code    string
	Field   string
	Message string
	Step    *int
}

func (e *Error) Error() string { return e.Message }

// The error codes.
const (
	CodeInvalid     = "invalid"       // 400: the request is malformed
	CodeNotFound    = "not_found"     // 404
	CodeStale       = "stale_step"    // 409: the step was answered already
	CodeNotYourTurn = "not_your_turn" // 409: the pending request is another seat's
	CodeEnded       = "ended"         // 409: the session has ended
	CodeRejected    = "invalid_move"  // 422: the move breaks the rules; nothing changed
	CodeUnavailable = "unavailable"   // 503: the store failed; retry
)

func invalid(field, format string, a ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, a...)}
}

func rejected(field, format string, a ...any) *Error {
	return &Error{Code: CodeRejected, Field: field, Message: fmt.Sprintf(format, a...)}
}

func conflict(code string, step int, format string, a ...any) *Error {
	return &Error{Code: code, Step: &step, Message: fmt.Sprintf(format, a...)}
}
