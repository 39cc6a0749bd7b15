// Package study compares direct and indirect talks on the same parties:
// agreement rate, each party's utility, welfare, distance to the Pareto
// frontier and to the Nash point, rounds — with 95% confidence intervals —
// and writes self-contained HTML reports with inline SVG plots. It also runs
// the Iran–US study across the coercion, trust and contradictory-signal
// settings, and the reproduction of Klein et al. 2003.
package study

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/mediator"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/sim"
	"github.com/backchannel/backchannel/strategy"
)

// Protocols returns the protocols compare runs: every registered protocol
// (package protocol), direct talks first and the arbitration reference last.
func Protocols() []protocol.Protocol { return protocol.All() }

// Problem is what the parties negotiate about: the space and, in party
// order, the profiles they negotiate with and the profiles their outcomes
// are judged by (the same unless a theme changes what a party believes).
type Problem struct {
	Name     string
	Space    *outcome.Space
	Profiles []*preference.Profile
	// Party builds party i's negotiating party for a run (a strategy agent,
	// perhaps wrapped by a theme).
	Party func(i int) (mechanism.Party, error)
	// Wrap, when set, wraps party i's complete party (after any voter), so a
	// theme such as coercion governs its votes too.
	Wrap func(i int, p mechanism.Party) mechanism.Party
}

// AgentParties returns a Party builder from strategy names.
func AgentParties(names []string) func(i int) (mechanism.Party, error) {
	return func(i int) (mechanism.Party, error) {
		if i >= len(names) {
			return nil, fmt.Errorf("no strategy given for party %d", i)
		}
		return strategy.New(names[i], nil)
	}
}

// Stat is a mean with its 95% confidence interval (normal approximation,
// ±1.96·s/√n; for rates the Wilson score interval). With no sample the
// numbers are NaN (null in JSON).
type Stat struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	CILo float64 `json:"ci95_lo"`
	CIHi float64 `json:"ci95_hi"`
}

// MarshalJSON writes the numbers that are not finite as null (encoding/json
// refuses NaN).
func (s Stat) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		N    int      `json:"n"`
		Mean *float64 `json:"mean"`
		CILo *float64 `json:"ci95_lo"`
		CIHi *float64 `json:"ci95_hi"`
	}{s.N, finite(s.Mean), finite(s.CILo), finite(s.CIHi)})
}

// finite returns &x, or nil if x is NaN or infinite.
func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func meanCI(xs []float64) Stat {
	s := Stat{N: len(xs), Mean: math.NaN(), CILo: math.NaN(), CIHi: math.NaN()}
	if len(xs) == 0 {
		return s
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	s.Mean = sum / float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - s.Mean) * (x - s.Mean)
	}
	h := 0.0
	if len(xs) > 1 {
		h = 1.96 * math.Sqrt(ss/float64(len(xs)-1)/float64(len(xs)))
	}
	s.CILo, s.CIHi = s.Mean-h, s.Mean+h
	return s
}

func wilson(k, n int) Stat {
	s := Stat{N: n, Mean: math.NaN(), CILo: math.NaN(), CIHi: math.NaN()}
	if n == 0 {
		return s
	}
	p, z := float64(k)/float64(n), 1.96
	d := 1 + z*z/float64(n)
	c := (p + z*z/(2*float64(n))) / d
	h := z * math.Sqrt(p*(1-p)/float64(n)+z*z/(4*float64(n*n))) / d
	s.Mean, s.CILo, s.CIHi = p, c-h, c+h
	return s
}

// Row is the result of one protocol over all seeds.
type Row struct {
	Protocol   string      `json:"protocol"`
	Runs       int         `json:"runs"`
	Agreement  Stat        `json:"agreement_rate"`
	Utility    []Stat      `json:"utility"`     // per party; no agreement counts as the reservation value
	Welfare    Stat        `json:"welfare"`     // Σ utilities, same convention
	DistPareto Stat        `json:"dist_pareto"` // over agreements (analysis.Report.DistanceToPareto)
	DistNash   Stat        `json:"dist_nash"`   // over agreements, if there is a Nash point
	Rounds     Stat        `json:"rounds"`
	Faults     []string    `json:"faults,omitempty"`
	Points     [][]float64 `json:"agreements"` // utilities of each agreement
	Trace      [][]float64 `json:"trace"`      // utilities of every offer or text of the first run
}

// Result is a comparison of protocols on one problem.
type Result struct {
	Problem string     `json:"problem"`
	Parties []string   `json:"parties"`
	Seeds   int        `json:"seeds"`
	Ref     *Reference `json:"reference"`
	Rows    []Row      `json:"rows"`
}

type tracer struct {
	ps  []*preference.Profile
	sp  *outcome.Space
	pts [][]float64
}

func (tr *tracer) Observe(e *mechanism.Event) {
	if e.Outcome == nil || !tr.sp.Valid(e.Outcome) {
		return
	}
	switch e.Kind {
	case "offer", "relay", "package", "text", "award", "improvement", "suggestion":
		u := make([]float64, len(tr.ps))
		for i, p := range tr.ps {
			u[i] = p.Utility(e.Outcome)
		}
		tr.pts = append(tr.pts, u)
	}
}

// Compare runs every protocol on pr for seeds 1..seeds and summarises the
// results. Party faults and mediator faults are counted and listed, never
// fatal. Progress lines go to progress (may be nil).
func Compare(ctx context.Context, pr *Problem, protocols []protocol.Protocol, rounds, seeds int, progress io.Writer) (*Result, error) {
	rep, ref, err := analyse(ctx, pr.Space, pr.Profiles)
	if err != nil {
		return nil, err
	}
	res := &Result{Problem: pr.Name, Seeds: seeds, Ref: ref}
	for _, p := range pr.Profiles {
		res.Parties = append(res.Parties, p.Name)
	}
	n := len(pr.Profiles)
	for _, proto := range protocols {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		row := Row{Protocol: proto.Name, Runs: seeds}
		utils := make([][]float64, n)
		var welfare, dp, dn, used []float64
		agreed := 0
		for seed := 1; seed <= seeds; seed++ {
			parties := make([]mechanism.Party, n)
			for i := range parties {
				p, err := pr.Party(i)
				if err != nil {
					return nil, err
				}
				p = proto.Wrap(p)
				if pr.Wrap != nil {
					p = pr.Wrap(i, p)
				}
				parties[i] = p
			}
			med, confidential := proto.NewMediator()
			cfg := &sim.Config{Mechanism: proto.New(), Space: pr.Space, Profiles: pr.Profiles, Parties: parties,
				Mediator: med, Confidential: confidential,
				Deadline: mechanism.Deadline{Rounds: proto.Rounds(rounds)}, Seed: uint64(seed)}
			var tr *tracer
			if seed == 1 {
				tr = &tracer{ps: pr.Profiles, sp: pr.Space}
				cfg.Observer = tr
			}
			r, err := sim.Run(ctx, cfg)
			if err != nil {
				return nil, fmt.Errorf("%s, seed %d: %w", proto.Name, seed, err)
			}
			if tr != nil {
				row.Trace = tr.pts
			}
			used = append(used, float64(r.Rounds))
			if r.Status == mechanism.Failed {
				who := fmt.Sprintf("party %d", r.Fault.Party)
				if r.Fault.Party == mechanism.MediatorRole {
					who = "mediator"
				}
				row.Faults = append(row.Faults, fmt.Sprintf("seed %d: %s: %s", seed, who, firstLine(r.Fault.Reason)))
			}
			w := 0.0
			u := make([]float64, n)
			for i, p := range pr.Profiles {
				u[i] = p.Reservation
				if r.Status == mechanism.Agreement {
					u[i] = p.Utility(r.Agreement)
				}
				utils[i] = append(utils[i], u[i])
				w += u[i]
			}
			welfare = append(welfare, w)
			if r.Status == mechanism.Agreement {
				agreed++
				row.Points = append(row.Points, u)
				if d, _ := rep.DistanceToPareto(u); !math.IsInf(d, 0) {
					dp = append(dp, d)
				}
				if d := rep.DistanceToNash(u); !math.IsInf(d, 0) {
					dn = append(dn, d)
				}
			}
		}
		row.Agreement = wilson(agreed, seeds)
		for i := range utils {
			row.Utility = append(row.Utility, meanCI(utils[i]))
		}
		row.Welfare, row.DistPareto, row.DistNash, row.Rounds = meanCI(welfare), meanCI(dp), meanCI(dn), meanCI(used)
		res.Rows = append(res.Rows, row)
		if progress != nil {
			fmt.Fprintf(progress, "%s: %-40s agreement %3.0f%%  welfare %.3f\n", pr.Name, proto.Name, 100*row.Agreement.Mean, row.Welfare.Mean)
		}
	}
	return res, nil
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}

// Reference is what a report shows of a problem's yardsticks, taken from
// analysis.Analyze with feasibility rules and red lines honoured: each
// party's reservation value, the Pareto frontier's distinct utility vectors
// (two parties; ascending in u₀), the Nash point (analysis.Report.Nash: max
// Π(uᵢ − rvᵢ) over the outcomes every party could accept; nil if there is
// none) and the largest welfare among those outcomes (NaN if there is none;
// null in JSON). It holds utilities only, never a profile.
type Reference struct {
	Reservation []float64   `json:"reservation"`
	Frontier    [][]float64 `json:"frontier"`
	Nash        []float64   `json:"nash"`
	MaxWelfare  float64     `json:"max_welfare"`
}

// MarshalJSON writes MaxWelfare as null when there is none.
func (r Reference) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Reservation []float64   `json:"reservation"`
		Frontier    [][]float64 `json:"frontier"`
		Nash        []float64   `json:"nash"`
		MaxWelfare  *float64    `json:"max_welfare"`
	}{r.Reservation, r.Frontier, r.Nash, finite(r.MaxWelfare)})
}

// analyse runs analysis.Auto on the problem (once per problem, whatever the
// protocols and seeds) and returns the report and its Reference. Where the
// frontier of many parties is too large to build, Auto leaves it out (the
// distances to it are then missing from the rows) and keeps Nash and the
// welfare maximum exact.
func analyse(ctx context.Context, sp *outcome.Space, ps []*preference.Profile) (*analysis.Report, *Reference, error) {
	rep, err := analysis.Auto(ctx, sp, ps, analysis.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("compare needs the Pareto frontier: %w", err)
	}
	ref := &Reference{Reservation: rep.Reservation, MaxWelfare: math.NaN()}
	if rep.Nash != nil {
		ref.Nash = rep.Nash.Utility
	}
	if rep.MaxWelfare != nil {
		ref.MaxWelfare = 0
		for _, u := range rep.MaxWelfare.Utility {
			ref.MaxWelfare += u
		}
	}
	if rep.Parties == 2 {
		for _, pt := range rep.Pareto {
			if k := len(ref.Frontier); k == 0 || ref.Frontier[k-1][0] != pt.Utility[0] || ref.Frontier[k-1][1] != pt.Utility[1] {
				ref.Frontier = append(ref.Frontier, pt.Utility)
			}
		}
	}
	return rep, ref, nil
}

func runSim(ctx context.Context, pr *Problem, m mechanism.Mechanism, med mechanism.Party, parties []mechanism.Party, rounds int, seed uint64) (mechanism.Result, error) {
	return sim.Run(ctx, &sim.Config{Mechanism: m, Space: pr.Space, Profiles: pr.Profiles, Parties: parties, Mediator: med,
		Confidential: med != nil && mediator.NeedsConfidential(med), Deadline: mechanism.Deadline{Rounds: rounds}, Seed: seed})
}
