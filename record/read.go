package record

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
)

// Log is a negotiation log read back by Read: its header and its events in
// order, with party names turned back into indices and outcomes into value
// indices of the scenario's space.
type Log struct {
	Header Header
	// Events holds every event line after the header, without the seal.
	// Party is an index into Header.Parties, mechanism.MediatorRole for
	// "mediator", or mechanism.Nobody for "". To is nil when the line has no
	// "to" member.
	Events []mechanism.Event
	// Messages holds the lines of kind "message": words between seats of a
	// live session, which no mechanism makes, so that replays skip them.
	Messages []mechanism.Event
	Space    *outcome.Space
	Lines    int               // lines read, header and seal included
	Signed   bool              // the log ends with a seal that verifies
	Key      ed25519.PublicKey // the sealing key, if Signed

	lines [][]byte // the raw lines (with newline), seal excluded
}

// MaxLogSize is the largest log Read accepts, in bytes.
const MaxLogSize = 1 << 30

// Read verifies the log from r (the hash chain and, if present, the seal, as
// Verify does with a nil key) and parses it against the scenario's outcome
// space sp. Returns an error wrapping ErrTampered if the log does not verify,
// and an error naming the line and field if an event names a party, issue
// or value that the header or sp does not know (the log was recorded on
// another scenario).
func Read(r io.Reader, sp *outcome.Space) (*Log, error) {
	if sp == nil {
		return nil, errors.New("record: Read needs the scenario's outcome space")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxLogSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxLogSize {
		return nil, fmt.Errorf("record: log larger than %d bytes", MaxLogSize)
	}
	l := &Log{Space: sp}
	var names map[string]int
	sum, err := scan(bytes.NewReader(data), nil, func(n int, kind string, body []byte) error {
		switch {
		case n == 1:
			var h struct {
				Header Header `json:"header"`
			}
			if err := json.Unmarshal(body, &h); err != nil {
				return fmt.Errorf("line 1: header: %w", err)
			}
			names = partyIndex(h.Header.Parties)
			return nil
		case kind == "seal":
			return nil
		case kind == "header":
			return fmt.Errorf("line %d: a second header", n)
		}
		e, err := parseEvent(body, sp, names)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if e.Kind == "message" {
			l.Messages = append(l.Messages, e)
			return nil
		}
		l.Events = append(l.Events, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	l.Header = sum.Header
	l.Lines, l.Signed, l.Key = sum.Lines, sum.Signed, sum.Key
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			i = len(data) - 1
		}
		l.lines = append(l.lines, data[:i+1])
		data = data[i+1:]
	}
	if l.Signed {
		l.lines = l.lines[:len(l.lines)-1]
	}
	return l, nil
}

func partyIndex(parties []string) map[string]int {
	m := make(map[string]int, len(parties)+2)
	m["mediator"] = mechanism.MediatorRole
	m[""] = mechanism.Nobody
	for i, p := range parties {
		m[p] = i
	}
	return m
}

// eventLine is the JSON of one event line as Writer.Observe writes it.
type eventLine struct {
	Seq     int               `json:"seq"`
	Step    int               `json:"step"`
	Round   int               `json:"round"`
	T       float64           `json:"t"`
	Party   string            `json:"party"`
	Kind    string            `json:"kind"`
	Outcome map[string]string `json:"outcome"`
	To      []string          `json:"to"`
	Note    string            `json:"note"`
}

func parseEvent(body []byte, sp *outcome.Space, names map[string]int) (mechanism.Event, error) {
	var el eventLine
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&el); err != nil {
		return mechanism.Event{}, err
	}
	if el.Kind == "" {
		return mechanism.Event{}, errors.New("kind: missing")
	}
	p, ok := names[el.Party]
	if !ok {
		return mechanism.Event{}, fmt.Errorf("party: %q is not a party of the header", el.Party)
	}
	e := mechanism.Event{Step: el.Step, Round: el.Round, T: el.T, Party: p, Kind: el.Kind, Note: el.Note}
	if el.Outcome != nil {
		o, err := sp.Parse(el.Outcome)
		if err != nil {
			return mechanism.Event{}, fmt.Errorf("outcome: %w (was the log recorded on another scenario?)", err)
		}
		e.Outcome = o
	}
	if el.To != nil {
		e.To = make([]int, len(el.To))
		for i, name := range el.To {
			q, ok := names[name]
			if !ok || q == mechanism.Nobody {
				return mechanism.Event{}, fmt.Errorf("to[%d]: %q is not a party of the header", i, name)
			}
			e.To[i] = q
		}
	}
	return e, nil
}

// Deadline returns the deadline the header records: rounds (already scaled
// for the protocol, as the mechanism saw them) and wall time. Returns an
// error naming the field if deadline_time does not parse.
func (h Header) Deadline() (mechanism.Deadline, error) {
	dl := mechanism.Deadline{Rounds: h.Rounds}
	if h.Time != "" {
		d, err := time.ParseDuration(h.Time)
		if err != nil {
			return dl, fmt.Errorf("header: deadline_time %q: %w", h.Time, err)
		}
		dl.Time = d
	}
	return dl, nil
}

// Ending is how a log says the negotiation ended: its last event.
type Ending struct {
	Status    mechanism.Status
	Agreement outcome.Outcome // nil unless Status is Agreement
	// Party is who ended it: the party that walked away or is at fault, or
	// mechanism.Nobody (acceptance by all, a deadline).
	Party  int
	Reason string // the last event's note
	Step   int
	Round  int
}

// ErrUnfinished is returned by Ending for a log whose last event does not end
// the negotiation (a log cut short while it was being written).
var ErrUnfinished = errors.New("record: the log ends before the negotiation did")

// Ending returns how the logged negotiation ended: an "agreement", "end" or
// "failure" last event. Returns ErrUnfinished otherwise.
func (l *Log) Ending() (Ending, error) {
	if len(l.Events) == 0 {
		return Ending{}, ErrUnfinished
	}
	e := &l.Events[len(l.Events)-1]
	end := Ending{Party: e.Party, Reason: e.Note, Step: e.Step, Round: e.Round}
	switch e.Kind {
	case "agreement":
		end.Status, end.Agreement = mechanism.Agreement, e.Outcome
	case "end":
		end.Status = mechanism.NoAgreement
	case "failure":
		end.Status = mechanism.Failed
	default:
		return Ending{}, fmt.Errorf("%w (last event: %q at step %d)", ErrUnfinished, e.Kind, e.Step)
	}
	return end, nil
}
