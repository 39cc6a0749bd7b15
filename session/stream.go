package session

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/mechanism"
)

// ErrReload ends a stream whose session was dropped from memory after a
// failed commit: the client reconnects with its last event number and
// misses nothing.
var ErrReload = errors.New("session: the session is reloading; reconnect")

// seatFor returns the seat acc opens, or a forbidden error for the owner.
func (l *live) seatFor(acc Access) (*seat, error) {
	s := l.seatByRole(acc.Role)
	if s == nil || s.builtin() {
		return nil, &Error{Code: CodeForbidden, Message: "this is the owner's link; a seat's view needs the seat's own link"}
	}
	return s, nil
}

// Snapshot returns everything the seat acc opens may know, with the events
// shown to it numbered above since.
func (m *Manager) Snapshot(ctx context.Context, acc Access, since int) (*api.Snapshot, error) {
	l, err := m.get(ctx, acc.Session)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.seatFor(acc)
	if err != nil {
		return nil, err
	}
	sn, err := l.snapshot(s, since, time.Now())
	if err == nil {
		l.decorateSnapshot(sn, logFrom(ctx))
	}
	return sn, err
}

// snapshot builds a seat's snapshot; l.mu must be held.
func (l *live) snapshot(s *seat, since int, now time.Time) (*api.Snapshot, error) {
	if s.view == nil {
		v, err := seatScenario(l.sc, s.index, s.index == mechanism.MediatorRole && l.confidential)
		if err != nil {
			return nil, err
		}
		s.view = v
	}
	sn := &api.Snapshot{Type: "snapshot", Seq: l.committed, Session: l.id,
		Seat:     api.SeatInfo{Role: s.role, Index: s.index, Kind: s.who},
		Protocol: l.proto.Name, Indirect: l.proto.Indirect, Seed: l.spec.Seed, Parties: partyIDs(l.sc),
		Mediator: len(l.seats) > len(l.sc.Parties), Deadline: l.mechDeadline(), Scenario: json.RawMessage(s.view),
		Events: []api.Event{}, Status: "running"}
	for i := max(0, since); i < l.committed; i++ {
		if e := &l.events[i]; e.VisibleTo(s.index) {
			sn.Events = append(sn.Events, l.apiEvent(e))
		}
	}
	sn.Turn = l.turn(s, now)
	if l.ended {
		sn.End = l.end(s.index, l.committed)
		sn.Status = sn.End.Status
	}
	return sn, nil
}

// mechDeadline is the deadline as the mechanism counts it: a protocol that
// puts several texts to the parties per round of budget counts each text
// as a round (protocol.Protocol.Rounds).
func (l *live) mechDeadline() api.Deadline {
	d := api.Deadline{Rounds: l.dl.Rounds}
	if l.dl.Time > 0 {
		d.Time = l.dl.Time.String()
	}
	if l.dl.MoveTime > 0 {
		d.MoveTime = l.dl.MoveTime.String()
	}
	return d
}

// apiEvent is e as the API shows it.
func (l *live) apiEvent(e *Event) api.Event {
	a := api.Event{Type: "event", Seq: e.Seq, Step: e.Step, Round: e.Round, T: e.T, Party: roleName(l.sc, e.Party), Kind: e.Kind, Note: firstLine(e.Note)}
	if e.Outcome != nil {
		a.Outcome = l.sc.Space.Map(e.Outcome)
	}
	if e.To != nil {
		a.To = make([]string, len(e.To))
		for i, p := range e.To {
			a.To[i] = roleName(l.sc, p)
		}
	}
	return a
}

// turn is the pending request if it is seat s's, else nil; l.mu held.
func (l *live) turn(s *seat, now time.Time) *api.Turn {
	if l.mech.Done() || l.isBroken {
		return nil
	}
	req := l.mech.Next()
	if req.Party != s.index {
		return nil
	}
	c := l.mech.Clock()
	t := &api.Turn{Type: "turn", Seq: l.committed, Step: c.Step, Round: c.Round, T: c.T,
		Request: api.Request{Kind: req.Kind.String(), From: roleName(l.sc, req.From)}}
	sp := l.sc.Space
	if req.Offer != nil {
		t.Request.Offer = sp.Map(req.Offer)
	}
	if req.Other != nil {
		t.Request.Other = sp.Map(req.Other)
	}
	if req.Proposals != nil {
		t.Request.Proposals = make([]map[string]string, len(req.Proposals))
		for i, o := range req.Proposals {
			if o != nil {
				t.Request.Proposals[i] = sp.Map(o)
			}
		}
	}
	if s.index == mechanism.MediatorRole && req.Answers != nil {
		for _, k := range req.Answers {
			name := k.String()
			if k == 0 {
				name = api.NoAnswer
			}
			t.Request.Answers = append(t.Request.Answers, name)
		}
	}
	for _, k := range mechanism.Allows(l.mech, req) {
		t.Request.Allowed = append(t.Request.Allowed, k.String())
	}
	if l.dl.MoveTime > 0 {
		left := max(0, (l.dl.MoveTime - now.Sub(l.asked)).Milliseconds())
		t.MoveTimeLeftMS = &left
	}
	if l.dl.Time > 0 {
		left := max(0, (l.dl.Time - now.Sub(l.created)).Milliseconds())
		t.TimeLeftMS = &left
	}
	return t
}

// Message is one message of a seat's stream, encoded: a snapshot, an
// event, a turn or an end (package api), as JSON without a newline.
type Message struct {
	Seq  int    // the event number it carries (the SSE id)
	Type string // "snapshot", "event", "turn" or "end"
	JSON []byte // shared: the receiver must not modify it
}

func message(seq int, typ string, v any) (Message, error) {
	b, err := json.Marshal(v)
	return Message{Seq: seq, Type: typ, JSON: b}, err
}

// eventJSON is e as the API shows it, encoded once and shared by every
// seat's stream (what a seat sees of an event does not depend on the
// seat); l.mu must be held.
func (l *live) eventJSON(e *Event) ([]byte, error) {
	if e.json == nil {
		b, err := json.Marshal(l.apiEvent(e))
		if err != nil {
			return nil, err
		}
		e.json = b
	}
	return e.json, nil
}

// Stream sends the seat's snapshot (with the events numbered above since),
// then every event shown to the seat as it is committed, a turn each time
// the seat is asked, and an end when the session ends, after which it
// returns nil. Each call of send carries what one commit made visible to
// the seat, to be written together. When nothing was sent for idle, it
// calls ping. It returns ctx's error when ctx ends, send's or ping's first
// error, or ErrReload.
func (m *Manager) Stream(ctx context.Context, acc Access, since int, idle time.Duration, send func([]Message) error, ping func() error) error {
	l, err := m.get(ctx, acc.Session)
	if err != nil {
		return err
	}
	l.mu.Lock()
	s, err := l.seatFor(acc)
	if err != nil {
		l.mu.Unlock()
		return err
	}
	sn, err := l.snapshot(s, since, time.Now())
	var from int64
	if err == nil {
		from = l.decorateSnapshot(sn, logFrom(ctx))
	}
	ch := l.changed
	l.mu.Unlock()
	if err != nil {
		return err
	}
	msg, err := message(sn.Seq, sn.Type, sn)
	if err != nil {
		return err
	}
	if err := send([]Message{msg}); err != nil {
		return err
	}
	if sn.End != nil {
		return nil
	}
	cursor := sn.Seq
	lastTurn := -1
	if sn.Turn != nil {
		lastTurn = sn.Turn.Step
	}
	t := time.NewTimer(idle)
	defer t.Stop()
	var out []Message
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if err := ping(); err != nil {
				return err
			}
			t.Reset(idle)
			continue
		case <-ch:
		}
		out = out[:0]
		l.mu.Lock()
		if l.isBroken {
			l.mu.Unlock()
			return ErrReload
		}
		for i := cursor; i < l.committed && err == nil; i++ {
			if e := &l.events[i]; e.VisibleTo(s.index) {
				var b []byte
				if b, err = l.eventJSON(e); err == nil {
					out = append(out, Message{Seq: e.Seq, Type: "event", JSON: b})
				}
			}
		}
		cursor = l.committed
		if tu := l.turn(s, time.Now()); err == nil && tu != nil && tu.Step != lastTurn {
			lastTurn = tu.Step
			msg, err = message(tu.Seq, tu.Type, tu)
			out = append(out, msg)
		}
		ended := l.ended
		if ended && err == nil {
			e := l.end(s.index, l.committed)
			msg, err = message(e.Seq, e.Type, e)
			out = append(out, msg)
		}
		l.decorate(out, &from)
		ch = l.changed
		l.mu.Unlock()
		if err != nil {
			return err
		}
		if len(out) > 0 {
			if err := send(out); err != nil {
				return err
			}
		}
		if ended {
			return nil
		}
		if len(out) > 0 {
			t.Reset(idle)
		}
	}
}
