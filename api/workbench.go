package api

// The workbench's shapes: what the browser's rooms and scenario pages read
// beyond the seat protocol. A seat's Profile, Evaluation and Packages are
// about that seat's own preferences only; an Analysis is about every
// party's, and is never served through a seat link (docs/workbench.md).

// Profile is a party's own preferences, as its room shows them: each
// option's value to it. Utility = Σ over issues of the chosen option's
// Contribution when Linear; otherwise only the evaluate route computes it.
type Profile struct {
	Party       string            `json:"party"`
	Name        string            `json:"name,omitempty"`
	Reservation float64           `json:"reservation"`
	Discount    float64           `json:"discount,omitempty"` // per unit of normalised time; absent: none
	Linear      bool              `json:"linear"`
	CapAtOne    bool              `json:"cap_at_one,omitempty"`
	Min         float64           `json:"min"` // smallest and largest utility over the space, ignoring red lines and rules
	Max         float64           `json:"max"`
	Issues      []ProfileIssue    `json:"issues"`
	Rationale   map[string]string `json:"rationale,omitempty"` // issue → why the numbers are what they are
}

// ProfileIssue is one issue of a Profile.
type ProfileIssue struct {
	Name    string          `json:"name"`
	Title   string          `json:"title,omitempty"`
	Weight  float64         `json:"weight"`
	Options []ProfileOption `json:"options"`
}

// ProfileOption is one option of an issue and its worth to the party.
type ProfileOption struct {
	Name  string `json:"name"`
	Label string `json:"label,omitempty"`
	// Value is the option's evaluation (0 worst … 1 best, as the scenario
	// gives it); Contribution is Weight·Value, its share of the utility.
	Value        float64 `json:"value"`
	Contribution float64 `json:"contribution"`
	RedLine      bool    `json:"red_line,omitempty"` // the party never accepts it
}

// Evaluate is the body of POST {seat link}/evaluate: a package, complete
// or not, to score against the seat's own profile.
type Evaluate struct {
	Outcome map[string]string `json:"outcome"`
}

// Evaluation scores a package against a party's own profile. Utility is
// set only for a complete package (every issue given).
type Evaluation struct {
	Utility     *float64 `json:"utility,omitempty"`
	Reservation float64  `json:"reservation"`
	// Acceptable: complete, feasible, no red line crossed, utility at least
	// the reservation value — what the party could agree to.
	Acceptable bool     `json:"acceptable"`
	Missing    []string `json:"missing,omitempty"`   // issues not given
	RedLines   []Option `json:"red_lines,omitempty"` // options that cross a red line
	Rules      []string `json:"rules,omitempty"`     // feasibility rules the package breaks, by id or note
}

// Option names one option of one issue.
type Option struct {
	Issue string `json:"issue"`
	Value string `json:"value"`
}

// Packages answers GET {seat link}/packages?min=&max=&limit=: packages
// whose utility to the seat lies in [Min, Max], feasible and crossing none
// of its red lines, in order of increasing utility. More is true when the
// range holds more than were listed.
type Packages struct {
	Min      float64   `json:"min"`
	Max      float64   `json:"max"`
	Packages []Package `json:"packages"`
	More     bool      `json:"more"`
}

// Package is one outcome and the seat's utility of it.
type Package struct {
	Outcome map[string]string `json:"outcome"`
	Utility float64           `json:"utility"`
}

// Analysis is a scenario's analysis with every party's preferences: the
// zone of agreement, the Pareto frontier in utility space, the Nash and
// Kalai–Smorodinsky points, and each party's profile and rationale. It
// reveals every side's preferences, so no seat link ever reads it.
type Analysis struct {
	Scenario    string `json:"scenario"`
	Variant     string `json:"variant,omitempty"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Outcomes    string `json:"outcomes"`
	// Counts are −1 when the space was analysed issue by issue, not enumerated.
	Feasible        int64     `json:"feasible"`
	ZoneOfAgreement int64     `json:"zone_of_agreement"`
	Exact           bool      `json:"exact"` // the frontier is exact (else within Epsilon)
	Epsilon         float64   `json:"epsilon,omitempty"`
	Parties         []string  `json:"parties"`
	Reservation     []float64 `json:"reservation"`
	// Frontier holds the Pareto frontier's utility vectors (party order),
	// at most MaxFrontier of them, evenly thinned; FrontierSize is the
	// frontier's full size.
	Frontier     [][]float64 `json:"frontier"`
	FrontierSize int         `json:"frontier_size"`
	Nash         *Point      `json:"nash"`
	Kalai        *Point      `json:"kalai"`
	Profiles     []Profile   `json:"profiles"`
	Rules        []Rule      `json:"rules,omitempty"`
	Sources      []Source    `json:"sources,omitempty"`
}

// MaxFrontier bounds Analysis.Frontier.
const MaxFrontier = 2000

// Rule is a feasibility rule of the space.
type Rule struct {
	ID   string `json:"id"`
	Note string `json:"note,omitempty"`
}

// Source is a reference a scenario cites.
type Source struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
	Date  string `json:"date,omitempty"`
	URL   string `json:"url,omitempty"`
}

// Message is the body of POST {seat link}/messages: words from one seat to
// others. In an indirect protocol a party writes only to the mediator, and
// the mediator decides what to pass on, verbatim or reworded; in direct
// talks any seat writes to any other. Text is one paragraph (line breaks
// become spaces) of at most MaxMessage characters.
type Message struct {
	To   []string `json:"to"`
	Text string   `json:"text"`
}

// MaxMessage bounds a Message's text, in characters.
const MaxMessage = 1000

// MessageAck answers an accepted message: the number of the event that
// carries it (kind "message", note the text, to the sender and the
// recipients), committed to the session's log before the answer.
type MessageAck struct {
	Seq int `json:"seq"`
}

// ProtocolInfo is one protocol of the registry (GET /api/protocols).
type ProtocolInfo struct {
	Name       string `json:"name"`
	Summary    string `json:"summary"`
	Indirect   bool   `json:"indirect"` // the parties never address each other
	Mediator   bool   `json:"mediator"` // the protocol has a mediator's seat
	MinParties int    `json:"min_parties,omitempty"`
	MaxParties int    `json:"max_parties,omitempty"`
}

// StrategyInfo is one built-in strategy (GET /api/strategies): a seat's
// "NAME" or "NAME:KEY=VALUE,…" in NewSession.Seats.
type StrategyInfo struct {
	Name    string   `json:"name"`
	Summary string   `json:"summary"`
	Params  []string `json:"params,omitempty"` // "KEY=DEFAULT: what it does"
}

// Suggestion answers GET {seat link}/suggestion for a mediator with
// confidential access: what the protocol's built-in mediator would answer
// the pending request, from a fresh start (it does not remember texts the
// parties refused before). Kind is "offer" (Outcome is the text) or "end".
type Suggestion struct {
	Kind    string            `json:"kind"`
	Outcome map[string]string `json:"outcome,omitempty"`
	By      string            `json:"by"` // the built-in mediator asked
}
