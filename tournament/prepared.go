package tournament

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"

	"github.com/backchannel/backchannel/frontier"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/store"
)

// Prepared is a scenario ready to run many negotiations on: its content key,
// its native encoding (what remote workers receive), and its Pareto frontier
// and Nash point, computed once. It is immutable and safe for concurrent use.
type Prepared struct {
	Key      string // hex SHA-256 (128 bits) of Data
	Data     []byte // the scenario in native YAML (scenario.Marshal)
	Scenario *scenario.Scenario
	Info     store.Scenario // reference figures, as stored for the report
	// Note says why Info has no frontier, if it has none.
	Note string

	front *frontier.Frontier
}

// frontierLimit bounds the enumeration used for non-linear profiles.
const frontierLimit = 20_000_000

// Prepare encodes sc, computes its key and its Pareto frontier and Nash point
// (package frontier: exact for linear profiles, ε = 0.001 approximate if the
// exact frontier is too large, enumerated for non-linear profiles up to
// 2·10⁷ outcomes). A scenario whose frontier cannot be computed is still
// prepared; its distances are NaN and Note says why.
func Prepare(ctx context.Context, sc *scenario.Scenario) (*Prepared, error) {
	data, err := scenario.Marshal(sc, "yaml")
	if err != nil {
		return nil, fmt.Errorf("scenario %q: %w", sc.ID, err)
	}
	return prepare(ctx, sc, data)
}

// PrepareData parses a scenario sent by a coordinator (Prepared.Data) and
// prepares it; the key is recomputed from data.
func PrepareData(ctx context.Context, data []byte, name string) (*Prepared, error) {
	sc, err := scenario.Parse(data, name)
	if err != nil {
		return nil, err
	}
	return prepare(ctx, sc, data)
}

func prepare(ctx context.Context, sc *scenario.Scenario, data []byte) (*Prepared, error) {
	h := sha256.Sum256(data)
	p := &Prepared{Key: hex.EncodeToString(h[:16]), Data: data, Scenario: sc}
	p.Info = store.Scenario{Key: p.Key, ID: sc.ID}
	profiles := sc.Profiles()
	for _, pt := range sc.Parties {
		p.Info.Roles = append(p.Info.Roles, pt.ID)
		p.Info.Reservations = append(p.Info.Reservations, pt.Profile.Reservation)
	}
	f, err := frontier.Linear(sc.Space, profiles, frontier.Options{})
	if errors.Is(err, frontier.ErrFrontierTooLarge) {
		f, err = frontier.Linear(sc.Space, profiles, frontier.Options{Epsilon: 1e-3})
	}
	if errors.Is(err, frontier.ErrNotLinear) {
		if err = sc.Space.CheckEnumerable(frontierLimit); err == nil {
			f, _, err = frontier.Skyline(ctx, sc.Space, profiles)
		}
	}
	if err != nil {
		p.Note = fmt.Sprintf("no Pareto frontier for scenario %q: %v", sc.ID, err)
		return p, nil
	}
	p.front = f
	p.Info.Frontier = make([][]float64, f.Len())
	for k := range f.Len() {
		p.Info.Frontier[k] = append([]float64(nil), f.Utilities(k)...)
	}
	if k, ok := f.Nash(p.Info.Reservations); ok {
		p.Info.Nash = p.Info.Frontier[k]
	}
	return p, nil
}

// distances returns the Euclidean distances from utility vector u to the
// nearest frontier point and to the Nash point (NaN when unknown). O(F·d).
func (p *Prepared) distances(u []float64) (pareto, nash float64) {
	pareto, nash = math.NaN(), math.NaN()
	if p.front == nil {
		return
	}
	best := math.Inf(1)
	for k := range p.front.Len() {
		best = min(best, dist(u, p.front.Utilities(k)))
	}
	if p.front.Len() > 0 {
		pareto = best
	}
	if p.Info.Nash != nil {
		nash = dist(u, p.Info.Nash)
	}
	return
}

func dist(a, b []float64) float64 {
	var s float64
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return math.Sqrt(s)
}
