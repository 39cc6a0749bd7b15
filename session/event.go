package session

import (
	"encoding/json"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
)

// Event is one event of a session, numbered: Seq counts from 1 within the
// session, in the order the mechanism made the events. To is the
// mechanism's own list of who may see it (nil: everyone), the only thing the
// server filters by.
type Event struct {
	Seq     int
	Step    int
	Round   int
	T       float64
	Party   int
	Kind    string
	Outcome outcome.Outcome
	To      []int
	Note    string
	json    []byte // as the API shows it, once encoded (live.eventJSON)
	// Moves is how many moves had been made when the event was: its place
	// in the session log, after those moves.
	Moves int
}

// VisibleTo reports whether the party (index or MediatorRole) may see e.
func (e *Event) VisibleTo(party int) bool {
	if e.To == nil {
		return true
	}
	for _, p := range e.To {
		if p == party {
			return true
		}
	}
	return false
}

// mechanismEvent is e as the mechanism made it (for the record writer).
func (e *Event) mechanismEvent() *mechanism.Event {
	return &mechanism.Event{Step: e.Step, Round: e.Round, T: e.T, Party: e.Party, Kind: e.Kind, Outcome: e.Outcome, To: e.To, Note: e.Note}
}

// storedEvent is an event's stored form: indices, not names, so that it
// reads back exactly whatever the scenario's spelling.
type storedEvent struct {
	Step    int     `json:"step"`
	Round   int     `json:"round"`
	T       float64 `json:"t"`
	Party   int     `json:"party"`
	Kind    string  `json:"kind"`
	Outcome []int32 `json:"outcome,omitempty"`
	To      []int   `json:"to,omitempty"`
	Hidden  bool    `json:"hidden,omitempty"` // To is set and empty
	Note    string  `json:"note,omitempty"`
}

func (e *Event) marshal() []byte {
	s := storedEvent{Step: e.Step, Round: e.Round, T: e.T, Party: e.Party, Kind: e.Kind, Outcome: e.Outcome, To: e.To, Note: e.Note}
	s.Hidden = e.To != nil && len(e.To) == 0
	b, _ := json.Marshal(s) // ints, a float from the clock and strings only
	return b
}
