package session

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/store"
)

// Messages: words between seats, beside the moves. A message is an event of
// kind "message" in the session's log (Party the sender, To the sender and
// its recipients, Note the text), numbered with the mechanism's events and
// committed like them before it is acknowledged, so it is in the record, on
// the streams of exactly the seats in To, and resumes after a reconnect.
// No mechanism makes or reads messages: a session rebuilt from its moves
// splices the stored messages back in at their numbers.
//
// The barrier: in an indirect protocol a party writes only to the
// mediator, and only the mediator writes to the parties — nothing reaches
// the other room but what the mediator chooses to pass on. In direct talks
// any seat writes to any other.

// MessageKind is the kind of a message's event.
const MessageKind = "message"

// Send commits a message from the seat acc opens to the seats msg.To names
// and returns the number of its event. Returns an invalid error for an
// empty or too long text or an unknown recipient, a forbidden error for the
// owner's link or a recipient the barrier does not allow, and an ended
// conflict once the session has ended.
func (m *Manager) Send(ctx context.Context, acc Access, msg *api.Message) (*api.MessageAck, error) {
	text := strings.Join(strings.Fields(msg.Text), " ")
	if text == "" {
		return nil, invalid("text", "text: write something")
	}
	if n := utf8.RuneCountInString(text); n > api.MaxMessage {
		return nil, invalid("text", "text: %d characters, at most %d", n, api.MaxMessage)
	}
	if len(msg.To) == 0 {
		return nil, invalid("to", "to: name at least one recipient")
	}
	l, err := m.get(ctx, acc.Session)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	from, err := l.seatFor(acc)
	if err != nil {
		return nil, err
	}
	if l.ended || l.mech.Done() {
		return nil, conflict(CodeEnded, l.mech.Clock().Step, "the session has ended: no more messages")
	}
	to := []int{from.index}
	for _, role := range msg.To {
		s := l.seatByRole(role)
		switch {
		case s == nil:
			return nil, invalid("to", "to: no seat %q in this session (the seats are %s)", role, strings.Join(l.roles(), ", "))
		case s == from:
			return nil, invalid("to", "to: %q is the sender", role)
		case l.proto.Indirect && from.index != mechanism.MediatorRole && s.index != mechanism.MediatorRole:
			return nil, &Error{Code: CodeForbidden, Field: "to", Message: fmt.Sprintf("to: in %s talks a party writes only to the mediator, who decides what to pass on to %s", l.proto.Name, role)}
		}
		if !slices.Contains(to, s.index) {
			to = append(to, s.index)
		}
	}
	c := l.mech.Clock()
	e := Event{Seq: len(l.events) + 1, Step: c.Step, Round: c.Round, T: c.T, Party: from.index, Kind: MessageKind, To: to, Note: text}
	l.events = append(l.events, e)
	if err := m.commitLocked(l); err != nil {
		return nil, err
	}
	return &api.MessageAck{Seq: e.Seq}, nil
}

// roles lists the session's seats by role.
func (l *live) roles() []string {
	out := make([]string, len(l.seats))
	for i, s := range l.seats {
		out[i] = s.role
	}
	return out
}

// storedMessages returns the messages among a session's stored events.
func storedMessages(stored []store.Event) ([]Event, error) {
	var out []Event
	for _, se := range stored {
		var s storedEvent
		if err := json.Unmarshal(se.Body, &s); err != nil {
			return nil, fmt.Errorf("stored event %d: %w", se.Seq, err)
		}
		if s.Kind != MessageKind {
			continue
		}
		out = append(out, Event{Seq: se.Seq, Step: s.Step, Round: s.Round, T: s.T, Party: s.Party, Kind: s.Kind, To: s.To, Note: s.Note})
	}
	return out, nil
}

// splice puts back, while the session is rebuilt from its moves, the stored
// messages numbered next; l.messages holds those not yet put back.
func (l *live) splice() {
	for len(l.messages) > 0 && l.messages[0].Seq == len(l.events)+1 {
		l.events = append(l.events, l.messages[0])
		l.messages = l.messages[1:]
	}
}
