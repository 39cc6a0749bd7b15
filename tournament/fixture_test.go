package tournament

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/strategy"
)

// Fixture strategies that misbehave, for fault isolation. They are built by
// testEnv's NewParty next to the registry's strategies.

// panicker panics on its third move.
type panicker struct{ n int }

func (p *panicker) Init(*mechanism.Setup) error { p.n = 0; return nil }
func (p *panicker) Act(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	p.n++
	if p.n == 3 {
		var m map[string]int
		//lint:ignore SA5000 a nil map write is the real runtime panic this fixture needs
		m["boom"]++
	}
	return polite(r)
}

// polite answers within the protocol: offers the first outcome, rejects.
func polite(r *mechanism.Request) mechanism.Answer {
	if r.Kind == mechanism.Propose {
		return mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{0, 0, 0}}
	}
	return mechanism.Answer{Kind: mechanism.Reject}
}

// hanger never returns from its second move.
type hanger struct {
	n    int
	stop chan struct{}
}

func (h *hanger) Init(*mechanism.Setup) error { return nil }
func (h *hanger) Act(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	h.n++
	if h.n == 2 {
		<-h.stop
	}
	return polite(r)
}

// breaker offers an outcome outside the space.
type breaker struct{}

func (breaker) Init(*mechanism.Setup) error { return nil }
func (breaker) Act(_ *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	if r.Kind == mechanism.Propose {
		return mechanism.Answer{Kind: mechanism.Offer, Outcome: outcome.Outcome{99, 99, 99}}
	}
	return mechanism.Answer{Kind: mechanism.Reject}
}

// panickyMediator relays like the registry's relay mediator but panics on
// its fifth move: a mediator fault in an indirect protocol.
type panickyMediator struct {
	inner mechanism.Party
	n     int
}

func (m *panickyMediator) Init(s *mechanism.Setup) error { m.n = 0; return m.inner.Init(s) }
func (m *panickyMediator) Act(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	if m.n++; m.n == 5 {
		var xs []int
		_ = xs[m.n] // index out of range: a real runtime panic
	}
	return m.inner.Act(c, r)
}

// testProtocol is the registry plus "shuttle/panicky": proximity talks
// whose mediator panics.
func testProtocol(name string) (protocol.Protocol, error) {
	if name != "shuttle/panicky" {
		return protocol.Lookup(name)
	}
	p, err := protocol.Lookup("shuttle/relay")
	if err != nil {
		return p, err
	}
	relay := p.Mediator
	p.Name = name
	p.Mediator = func() mechanism.Party { return &panickyMediator{inner: relay()} }
	return p, nil
}

func testEnv(t testing.TB) *Env {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	return &Env{
		Load: func(ref string) (*scenario.Scenario, error) {
			if ref == "" || filepath.Ext(ref) == ".yaml" {
				return DefaultLoader(ref)
			}
			return DefaultLoader(filepath.Join("testdata", ref+".yaml"))
		},
		NewParty: func(s Spec) (mechanism.Party, error) {
			switch s.Name {
			case "panicker":
				return &panicker{}, nil
			case "hanger":
				return &hanger{stop: stop}, nil
			case "breaker":
				return breaker{}, nil
			}
			return strategy.New(s.Name, s.Params)
		},
		Protocol: testProtocol,
	}
}

func compile(t testing.TB, env *Env, p Plan) *Tournament {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tr, err := Compile(ctx, env, p)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return tr
}
