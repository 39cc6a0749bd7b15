package tournament

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/store"
)

// Prepared is a scenario ready to run many negotiations on: its content key,
// its native encoding (what remote workers receive), and its analysis
// (Pareto frontier and Nash point), computed once. It is immutable and safe
// for concurrent use.
type Prepared struct {
	Key      string // hex SHA-256 (128 bits) of Data
	Data     []byte // the scenario in native YAML (scenario.Marshal)
	Scenario *scenario.Scenario
	Info     store.Scenario // reference figures, as stored for the report
	// Note says why Info has no frontier, if it has none.
	Note string

	analysis *analysis.Report
}

// Prepare encodes sc, computes its key and analyses it once with
// analysis.Auto (default options: red lines and feasibility rules honoured;
// enumeration up to outcome.MaxEnumerable outcomes, the exact issue-by-issue
// frontier beyond, ε = analysis.LargeEpsilon approximate when that is too
// large to hold). A scenario that cannot be analysed (non-linear profiles
// beyond the enumeration limit) is still prepared; its distances are NaN and
// Note says why.
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
	for _, pt := range sc.Parties {
		p.Info.Roles = append(p.Info.Roles, pt.ID)
		p.Info.Reservations = append(p.Info.Reservations, pt.Profile.Reservation)
	}
	r, err := analysis.Auto(ctx, sc.Space, sc.Profiles(), analysis.Options{})
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		p.Note = fmt.Sprintf("no Pareto frontier for scenario %q: %v", sc.ID, err)
		return p, nil
	}
	p.analysis = r
	// The report keeps every outcome of a utility vector on the frontier;
	// the store needs each vector once (equal vectors are adjacent).
	p.Info.Frontier = make([][]float64, 0, len(r.Pareto))
	for k := range r.Pareto {
		u := r.Pareto[k].Utility
		if n := len(p.Info.Frontier); n > 0 && slices.Equal(p.Info.Frontier[n-1], u) {
			continue
		}
		p.Info.Frontier = append(p.Info.Frontier, append([]float64(nil), u...))
	}
	if r.Nash != nil {
		p.Info.Nash = append([]float64(nil), r.Nash.Utility...)
	}
	return p, nil
}

// distances returns the Euclidean distances from utility vector u to the
// nearest frontier point and to the Nash point (analysis.Report's
// DistanceToPareto and DistanceToNash); NaN when unknown: no analysis, an
// empty frontier or no Nash point. O(log F + k) for two parties, O(F·n)
// for more.
func (p *Prepared) distances(u []float64) (pareto, nash float64) {
	pareto, nash = math.NaN(), math.NaN()
	if p.analysis == nil {
		return
	}
	if len(p.analysis.Pareto) > 0 {
		pareto, _ = p.analysis.DistanceToPareto(u)
	}
	if p.analysis.Nash != nil {
		nash = p.analysis.DistanceToNash(u)
	}
	return
}
