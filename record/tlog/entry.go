package tlog

import (
	"encoding/json"
	"fmt"
)

// Entry types.
const (
	TypeEvent = "event" // an event the mechanism made
	TypeMove  = "move"  // an answer to a request, or a move made for the clock
)

// Entry is what one leaf commits to: an event of the session (numbered by
// Seq, as its seats' streams number it) or a move (an answer to the request
// pending at Step, by Party). It names its session and its own leaf index,
// so that an opened entry cannot be shown as another session's or at
// another place. Its text is encoding/json's form of this struct; a
// verifier reads the text it is given and never re-encodes it.
type Entry struct {
	Session string            `json:"session"`
	Leaf    int64             `json:"leaf"`
	Type    string            `json:"type"`
	Seq     int               `json:"seq,omitempty"` // events
	Step    int               `json:"step"`
	Round   int               `json:"round"`
	T       float64           `json:"t"`
	Party   string            `json:"party"` // a party id, "mediator", or "" for no one
	Kind    string            `json:"kind"`
	Outcome map[string]string `json:"outcome,omitempty"`
	To      []string          `json:"to,omitempty"`     // events: who may see it (absent: everyone) …
	Hidden  bool              `json:"hidden,omitempty"` // … or no party at all
	Note    string            `json:"note,omitempty"`
	AtMS    int64             `json:"at_ms,omitempty"` // moves: Unix milliseconds when made
	// Key and Sig are the party's own Ed25519 public key and signature of
	// the move (MoveMessage), base64, when it signs its moves.
	Key string `json:"key,omitempty"`
	Sig string `json:"sig,omitempty"`
}

// Marshal returns the entry's text.
func (e *Entry) Marshal() []byte {
	b, err := json.Marshal(e)
	if err != nil {
		panic(err) // strings, ints and a finite float only
	}
	return b
}

// ParseEntry reads an entry's text and checks that it names session and
// leaf index.
func ParseEntry(text []byte, session string, leaf int64) (*Entry, error) {
	var e Entry
	if err := json.Unmarshal(text, &e); err != nil {
		return nil, fmt.Errorf("leaf %d: entry: %w", leaf, err)
	}
	if e.Session != session || e.Leaf != leaf {
		return nil, fmt.Errorf("leaf %d: the entry says session %q leaf %d", leaf, e.Session, e.Leaf)
	}
	if e.Type != TypeEvent && e.Type != TypeMove {
		return nil, fmt.Errorf("leaf %d: entry type %q", leaf, e.Type)
	}
	return &e, nil
}
