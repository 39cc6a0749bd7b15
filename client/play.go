package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/sim"
)

// Seat is what a seat's snapshot tells a program that plays it, read into
// the engine's types: the space and rules, the seat's own profile, and the
// Setup an in-process party of the same seat gets from the simulator —
// seeded from the session's seed and the seat's index exactly as there, so
// that a built-in strategy played remotely makes the same moves as in
// 'backchannel run'.
type Seat struct {
	Snapshot *api.Snapshot
	Scenario *scenario.Scenario // only what the seat may see
	Protocol protocol.Protocol
	Setup    *mechanism.Setup
}

// ReadSeat reads a snapshot into a Seat.
func ReadSeat(sn *api.Snapshot) (*Seat, error) {
	sc, err := scenario.ParseView(sn.Scenario, "snapshot of seat "+sn.Seat.Role)
	if err != nil {
		return nil, fmt.Errorf("the seat's scenario: %w", err)
	}
	proto, err := protocol.Lookup(sn.Protocol)
	if err != nil {
		return nil, err
	}
	dl := mechanism.Deadline{Rounds: sn.Deadline.Rounds}
	if dl.Time, err = parseDur(sn.Deadline.Time); err != nil {
		return nil, err
	}
	if dl.MoveTime, err = parseDur(sn.Deadline.MoveTime); err != nil {
		return nil, err
	}
	st := &mechanism.Setup{Space: sc.Space, Self: sn.Seat.Index, NumParties: len(sn.Parties), Protocol: proto.New().Name(),
		Deadline: dl, Rand: sim.Seeded(sn.Seed, sn.Seat.Index)}
	if sn.Seat.Index >= 0 {
		if len(sc.Parties) != 1 {
			return nil, fmt.Errorf("the seat's scenario holds %d profiles, want its own", len(sc.Parties))
		}
		st.Profile = sc.Parties[0].Profile
	} else if len(sc.Parties) > 0 {
		st.Confidential = sc.Profiles()
	}
	return &Seat{Snapshot: sn, Scenario: sc, Protocol: proto, Setup: st}, nil
}

func parseDur(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

// Request reads a turn's request into the engine's form for party self.
func (s *Seat) Request(t *api.Turn, dst *mechanism.Request) error {
	sp := s.Scenario.Space
	k, ok := requestKinds[t.Request.Kind]
	if !ok {
		return fmt.Errorf("turn %d: unknown request kind %q", t.Step, t.Request.Kind)
	}
	*dst = mechanism.Request{Party: s.Setup.Self, Kind: k, From: s.index(t.Request.From)}
	var err error
	if t.Request.Offer != nil {
		if dst.Offer, err = sp.Parse(t.Request.Offer); err != nil {
			return fmt.Errorf("turn %d: offer: %w", t.Step, err)
		}
	}
	if t.Request.Other != nil {
		if dst.Other, err = sp.Parse(t.Request.Other); err != nil {
			return fmt.Errorf("turn %d: other: %w", t.Step, err)
		}
	}
	if t.Request.Proposals != nil {
		dst.Proposals = make([]outcome.Outcome, len(t.Request.Proposals))
		for i, m := range t.Request.Proposals {
			if m == nil {
				continue
			}
			if dst.Proposals[i], err = sp.Parse(m); err != nil {
				return fmt.Errorf("turn %d: proposal %d: %w", t.Step, i, err)
			}
		}
	}
	for _, a := range t.Request.Answers {
		k, ok := answerKinds[a]
		if !ok {
			return fmt.Errorf("turn %d: unknown answer %q", t.Step, a)
		}
		dst.Answers = append(dst.Answers, k)
	}
	return nil
}

func (s *Seat) index(role string) int {
	switch role {
	case "":
		return mechanism.Nobody
	case api.MediatorRole:
		return mechanism.MediatorRole
	}
	for i, p := range s.Snapshot.Parties {
		if p == role {
			return i
		}
	}
	return mechanism.Nobody
}

// Action writes a party's answer as the action for step.
func (s *Seat) Action(step int, a mechanism.Answer) *api.Action {
	act := &api.Action{Step: step, Kind: a.Kind.String()}
	if a.Kind == mechanism.Offer {
		act.Outcome = s.Scenario.Space.Map(a.Outcome)
	}
	return act
}

var requestKinds = func() map[string]mechanism.RequestKind {
	m := map[string]mechanism.RequestKind{}
	for k := mechanism.Propose; k <= mechanism.Improve; k++ {
		m[k.String()] = k
	}
	return m
}()

var answerKinds = func() map[string]mechanism.AnswerKind {
	m := map[string]mechanism.AnswerKind{}
	for k := mechanism.Offer; k <= mechanism.Same; k++ {
		m[k.String()] = k
	}
	m[api.NoAnswer] = 0
	return m
}()

// Play plays the seat of link with party p, an in-process party built by
// newParty for the seat (wrapped with the protocol's voting rule, as the
// simulator does), to the session's end, and returns how it ended. It
// follows the stream across reconnects and server restarts; an answer whose
// acknowledgement was lost is sent again as it was (the server stores it
// once), never recomputed, so the party is asked each request exactly once.
func Play(ctx context.Context, link *Link, newParty func(*Seat) (mechanism.Party, error)) (*api.End, error) {
	var (
		seat     *Seat
		party    mechanism.Party
		clock    mechanism.Clock
		req      mechanism.Request
		end      *api.End
		answers  = map[int]*api.Action{}
		receipts []*api.Receipt
	)
	send := func(a *api.Action) error {
		wait := 50 * time.Millisecond
		for {
			ack, err := link.Act(ctx, a)
			var se *Error
			switch {
			case err == nil:
				if err := link.chk.receipt(ack.Receipt, seat.Snapshot.Seat.Role, a); err != nil {
					return err
				}
				receipts = append(receipts, ack.Receipt)
				return nil
			case errors.As(err, &se) && (se.API.Code == "stale_step" || se.API.Code == "ended" || se.API.Code == "not_your_turn"):
				return nil // answered already, or too late: the stream says what happened
			case errors.As(err, &se) && se.Status < 500 && se.Status != 429:
				return fmt.Errorf("step %d: the server refused %s: %w", a.Step, a.Kind, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			wait = min(2*wait, 2*time.Second)
		}
	}
	turn := func(t *api.Turn) error {
		if a, ok := answers[t.Step]; ok {
			return send(a) // asked again after a reconnect: same answer
		}
		clock.Round, clock.Step, clock.T = t.Round, t.Step, t.T
		if err := seat.Request(t, &req); err != nil {
			return err
		}
		a := seat.Action(t.Step, party.Act(&clock, &req))
		if link.SignKey != nil {
			if err := SignAction(link.SignKey, seat.Snapshot, a); err != nil {
				return err
			}
		}
		answers[t.Step] = a
		return send(a)
	}
	err := link.Follow(ctx, func(m Message) error {
		switch {
		case m.Snapshot != nil:
			if seat == nil {
				var err error
				if seat, err = ReadSeat(m.Snapshot); err != nil {
					return err
				}
				if party, err = newParty(seat); err != nil {
					return err
				}
				if seat.Setup.Self >= 0 {
					party = seat.Protocol.Wrap(party)
				}
				if err := party.Init(seat.Setup); err != nil {
					return fmt.Errorf("init: %w", err)
				}
			}
			if m.Snapshot.End != nil {
				end = m.Snapshot.End
			} else if m.Snapshot.Turn != nil {
				return turn(m.Snapshot.Turn)
			}
		case m.Turn != nil:
			return turn(m.Turn)
		case m.End != nil:
			end = m.End
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := link.chk.audit(ctx, link, receipts); err != nil {
		return nil, err
	}
	return end, nil
}

// Outcome parses an outcome given by names.
func (s *Seat) Outcome(m map[string]string) (outcome.Outcome, error) {
	return s.Scenario.Space.Parse(m)
}
