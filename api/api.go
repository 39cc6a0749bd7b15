// Package api holds the JSON shapes of backchannel's HTTP API: what the
// server sends and takes, and what every client (the Go client, the Python
// client, the browser) reads and writes. It has no behaviour; docs/server.md
// and the OpenAPI document served at /api/openapi.json describe the routes.
//
// Outcomes travel as issue name → value name, as the scenario spells them;
// parties by their ids, and the mediator as "mediator".
package api

import "encoding/json"

// MediatorRole is the role name of the mediator's seat.
const MediatorRole = "mediator"

// Seat kinds, as NewSession.Seats names them.
const (
	SeatAgent   = "agent"   // a program outside the server, over this API
	SeatPerson  = "person"  // a person, in the browser or any client
	SeatBuiltin = "builtin" // the protocol's own mediator, run inside the server
)

// NoAnswer stands in Request.Answers for a party that has not answered the
// mediator's last text.
const NoAnswer = "none"

// Deadline bounds a session. Durations are Go duration strings ("90s", "5m").
type Deadline struct {
	Rounds   int    `json:"rounds,omitempty"`
	Time     string `json:"time,omitempty"`
	MoveTime string `json:"move_time,omitempty"`
}

// NewSession is the body of POST /api/sessions.
type NewSession struct {
	// Scenario is "builtin:NAME" or the id of an uploaded scenario.
	Scenario string `json:"scenario"`
	Variant  string `json:"variant,omitempty"`
	// Protocol is a registry name or short name ("sao", "single-text", …).
	Protocol string   `json:"protocol"`
	Deadline Deadline `json:"deadline"`
	// Seed makes built-in strategies and mediators deterministic; 1 if absent.
	Seed *uint64 `json:"seed,omitempty"`
	// Seats maps each role (party id, "mediator") to who fills it: "agent",
	// "person", a built-in strategy spec such as "boulware" or
	// "boulware:e=0.1" for a party, "builtin" for the mediator (the default).
	Seats map[string]string `json:"seats"`
	// OpenTo names the roles (party ids, "mediator", or "all") that may
	// open the whole session log once the session has ended; the owner
	// always may.
	OpenTo []string `json:"open_to,omitempty"`
}

// Created is the answer to POST /api/sessions: capability links, each
// holding an unguessable token. Keep them secret; the server stores only
// their hashes and cannot show them again.
type Created struct {
	Session string            `json:"session"`
	Owner   string            `json:"owner"`           // the owner's link: status, verdict, record
	Seats   map[string]string `json:"seats,omitempty"` // role → link, for seats not filled by a built-in
}

// SeatInfo says which seat a link opens.
type SeatInfo struct {
	Role  string `json:"role"`
	Index int    `json:"index"` // party index; -1 for the mediator
	Kind  string `json:"kind"`
}

// Snapshot is everything a seat may know, the first line of its stream and
// the answer to GET on its link.
type Snapshot struct {
	Type     string   `json:"type"` // "snapshot"
	Seq      int      `json:"seq"`  // the last event number the session has made
	Session  string   `json:"session"`
	Seat     SeatInfo `json:"seat"`
	Protocol string   `json:"protocol"`
	Indirect bool     `json:"indirect"`
	Seed     uint64   `json:"seed"`
	Parties  []string `json:"parties"`
	Mediator bool     `json:"mediator"` // the protocol has a mediator
	// Deadline is the deadline as the protocol counts it: a protocol that
	// puts many texts to the parties per round of budget counts each text
	// as a round, so Rounds may be a multiple of the session's.
	Deadline Deadline `json:"deadline"`
	// Scenario is the scenario as this seat may see it, in the native JSON
	// format: the issues, options and rules, and only this seat's own profile
	// (a mediator with confidential access sees every party's).
	Scenario json.RawMessage `json:"scenario"`
	// Events are the events shown to this seat with a number above the
	// stream's since (all of them for GET).
	Events []Event `json:"events"`
	Turn   *Turn   `json:"turn"` // the pending request, if it is this seat's
	Status string  `json:"status"`
	End    *End    `json:"end"` // how it ended, once it has
	// LogKey and LogOrigin name the session log's signing key (signed-note
	// verifier key) and origin line; Log is its newest checkpoint, which
	// Events' leaf proofs are for.
	LogKey    string   `json:"log_key,omitempty"`
	LogOrigin string   `json:"log_origin,omitempty"`
	Log       *LogHead `json:"log,omitempty"`
}

// Event is one event shown to a seat.
type Event struct {
	Type    string            `json:"type"` // "event"
	Seq     int               `json:"seq"`
	Step    int               `json:"step"`
	Round   int               `json:"round"`
	T       float64           `json:"t"`
	Party   string            `json:"party"`
	Kind    string            `json:"kind"`
	Outcome map[string]string `json:"outcome,omitempty"`
	To      []string          `json:"to,omitempty"`
	Note    string            `json:"note,omitempty"`
	// Log is the newest checkpoint, when it changed since the stream's
	// last one; Leaf opens this event's leaf in it.
	Log  *LogHead   `json:"log,omitempty"`
	Leaf *LeafProof `json:"leaf,omitempty"`
}

// Request is what a seat is asked.
type Request struct {
	Kind  string            `json:"kind"` // propose, respond, vote, compare, relay, improve
	Offer map[string]string `json:"offer,omitempty"`
	Other map[string]string `json:"other,omitempty"`
	From  string            `json:"from,omitempty"` // who the offer is said to come from
	// Answers, for the mediator only: each party's answer to its last text,
	// in party order (accept, reject, better, worse, same, or none).
	Answers []string `json:"answers,omitempty"`
	// Proposals, in protocols with visible positions (blind bidding): every
	// party's latest visible proposal in party order, null for a party that
	// has made none yet. Public by the rules: every seat's requests carry
	// them.
	Proposals []map[string]string `json:"proposals,omitempty"`
	// Allowed lists the answer kinds this request takes.
	Allowed []string `json:"allowed"`
}

// Turn tells a seat it must act: answer Request with an Action for Step.
type Turn struct {
	Type    string  `json:"type"` // "turn"
	Seq     int     `json:"seq"`
	Step    int     `json:"step"`
	Round   int     `json:"round"`
	T       float64 `json:"t"`
	Request Request `json:"request"`
	// MoveTimeLeftMS and TimeLeftMS are the milliseconds left for this move
	// and for the session, when they are bounded.
	MoveTimeLeftMS *int64 `json:"move_time_left_ms,omitempty"`
	TimeLeftMS     *int64 `json:"time_left_ms,omitempty"`
	// Log is the newest checkpoint, when it changed since the stream's last.
	Log *LogHead `json:"log,omitempty"`
}

// End says how a session ended, as a seat may see it.
type End struct {
	Type      string            `json:"type"` // "end"
	Seq       int               `json:"seq"`
	Status    string            `json:"status"` // agreement, no agreement, failed
	Reason    string            `json:"reason"`
	Agreement map[string]string `json:"agreement,omitempty"`
	// Utility is the seat's own utility of the agreement (parties only).
	Utility *float64 `json:"utility,omitempty"`
	Rounds  int      `json:"rounds"`
	Steps   int      `json:"steps"`
	Fault   *Fault   `json:"fault,omitempty"`
	// Log is the final checkpoint, when it changed since the stream's last.
	Log *LogHead `json:"log,omitempty"`
}

// Fault names the party a failure is attributed to.
type Fault struct {
	Party  string `json:"party"`
	Reason string `json:"reason"`
}

// Action is the body of POST {seat link}/actions.
type Action struct {
	Step    int               `json:"step"` // the Turn's step it answers
	Kind    string            `json:"kind"` // offer, accept, reject, end, better, worse, same
	Outcome map[string]string `json:"outcome,omitempty"`
	// Signature, if given, is the party's own signature of this move
	// (docs/commitments.md); once a seat has signed a move, it must sign
	// every move.
	Signature *MoveSignature `json:"signature,omitempty"`
}

// MoveSignature is a party's Ed25519 signature of its move, base64.
type MoveSignature struct {
	Key string `json:"key"` // the 32-byte public key
	Sig string `json:"sig"` // the 64-byte signature of the move's text
}

// Ack is the answer to an accepted action; a retry of the same action for
// the same step gets the same Ack.
type Ack struct {
	Step    int               `json:"step"`
	Kind    string            `json:"kind"`
	Outcome map[string]string `json:"outcome,omitempty"`
	// Receipt proves the action is in the session log.
	Receipt *Receipt `json:"receipt,omitempty"`
}

// Error is the body of every 4xx and 5xx answer.
type Error struct {
	Error string `json:"error"` // what was wrong and what to do
	Code  string `json:"code"`  // stable, for programs: see docs/server.md
	Field string `json:"field,omitempty"`
	// Step is the session's current step, on 409 answers.
	Step *int `json:"step,omitempty"`
}

// Status is the owner's view of a session (GET on the owner link).
type Status struct {
	Session  string       `json:"session"`
	Scenario string       `json:"scenario"`
	Variant  string       `json:"variant,omitempty"`
	Protocol string       `json:"protocol"`
	Seed     uint64       `json:"seed"`
	Deadline Deadline     `json:"deadline"`
	Created  string       `json:"created"` // RFC 3339
	Status   string       `json:"status"`
	Step     int          `json:"step"`
	Round    int          `json:"round"`
	Events   int          `json:"events"`
	Waiting  *Waiting     `json:"waiting,omitempty"` // whose move it is
	Seats    []SeatStatus `json:"seats"`
	End      *End         `json:"end,omitempty"`
	Verdict  *Verdict     `json:"verdict,omitempty"` // once ended
}

// Waiting says whose move a session waits for.
type Waiting struct {
	Role string `json:"role"`
	Kind string `json:"kind"`
}

// SeatStatus is one seat in the owner's view.
type SeatStatus struct {
	Role string `json:"role"`
	Kind string `json:"kind"` // agent, person, or the built-in strategy spec
}

// Verdict judges an ended session by the same analysis as 'backchannel run'.
type Verdict struct {
	Outcomes        string         `json:"outcomes"`
	ZoneOfAgreement int64          `json:"zone_of_agreement"`
	Parties         []PartyVerdict `json:"parties"`
	Welfare         *float64       `json:"welfare,omitempty"`
	DistancePareto  *float64       `json:"distance_pareto,omitempty"`
	DistanceNash    *float64       `json:"distance_nash,omitempty"`
	DistanceKalai   *float64       `json:"distance_kalai,omitempty"`
	Nash            *Point         `json:"nash"`
	Kalai           *Point         `json:"kalai"`
}

// PartyVerdict is one party's result.
type PartyVerdict struct {
	ID          string   `json:"id"`
	Seat        string   `json:"seat"`
	Reservation float64  `json:"reservation"`
	Utility     *float64 `json:"utility"` // nil without agreement
}

// Point is a reference outcome with each party's utility of it.
type Point struct {
	Outcome map[string]string `json:"outcome"`
	Utility []float64         `json:"utility"`
}

// ScenarioInfo is the public face of a scenario: no party's preferences.
type ScenarioInfo struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Description string      `json:"description,omitempty"`
	Source      string      `json:"source,omitempty"`
	Outcomes    string      `json:"outcomes,omitempty"`
	Issues      []IssueInfo `json:"issues,omitempty"`
	Parties     []PartyInfo `json:"parties,omitempty"`
	Mediator    bool        `json:"mediator,omitempty"`
	Variants    []string    `json:"variants,omitempty"`
	Warnings    []string    `json:"warnings,omitempty"`
}

// IssueInfo is one issue and its options.
type IssueInfo struct {
	Name   string   `json:"name"`
	Title  string   `json:"title,omitempty"`
	Values []string `json:"values"`
}

// PartyInfo names a party.
type PartyInfo struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}
