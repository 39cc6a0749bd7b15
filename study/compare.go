// Package study compares direct and indirect talks on the same parties:
// agreement rate, each party's utility, welfare, distance to the Pareto
// frontier and to the Nash point, rounds — with 95% confidence intervals —
// and writes self-contained HTML reports with inline SVG plots. It also runs
// the Iran–US study across the coercion, trust and contradictory-signal
// settings, and the reproduction of Klein et al. 2003.
package study

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"

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
// ±1.96·s/√n; for rates the Wilson score interval).
type Stat struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	CILo float64 `json:"ci95_lo"`
	CIHi float64 `json:"ci95_hi"`
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
	DistPareto Stat        `json:"dist_pareto"` // over agreements
	DistNash   Stat        `json:"dist_nash"`   // over agreements
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
	case "offer", "relay", "package", "text", "award", "improvement":
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
	ref, err := NewReference(pr.Space, pr.Profiles)
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
				dp = append(dp, ref.DistPareto(u))
				dn = append(dn, ref.DistNash(u))
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

// Reference holds the yardsticks of a problem, computed by enumeration over
// the outcomes that are feasible and cross no party's red line: the Pareto
// frontier (two parties), the Nash point (max Π(uᵢ − rvᵢ) over outcomes
// every party could accept) and the largest welfare among those.
type Reference struct {
	Reservation []float64   `json:"reservation"`
	Frontier    [][]float64 `json:"frontier"` // two parties: ascending in u₀
	Nash        []float64   `json:"nash"`     // nil if no outcome is acceptable to all
	MaxWelfare  float64     `json:"max_welfare"`
}

// MaxReference is the largest space NewReference enumerates.
const MaxReference = 1 << 24

// NewReference enumerates sp under ps. O(N·(n·I + R) + N log N).
func NewReference(sp *outcome.Space, ps []*preference.Profile) (*Reference, error) {
	if err := sp.CheckEnumerable(MaxReference); err != nil {
		return nil, fmt.Errorf("compare needs the Pareto frontier by enumeration: %w", err)
	}
	ref := &Reference{MaxWelfare: math.Inf(-1)}
	for _, p := range ps {
		ref.Reservation = append(ref.Reservation, p.Reservation)
	}
	size, _ := sp.Size()
	o := sp.New()
	var pts [][2]float64
	bestN := -1.0
	for idx := range size {
		sp.Decode(outcome.Index(idx), o)
		if !sp.Feasible(o) {
			continue
		}
		u := make([]float64, len(ps))
		ok, acc := true, true
		for i, p := range ps {
			if p.Violates(o) {
				ok = false
				break
			}
			u[i] = p.Utility(o)
			acc = acc && u[i] >= p.Reservation
		}
		if !ok {
			continue
		}
		if len(ps) == 2 {
			pts = append(pts, [2]float64{u[0], u[1]})
		}
		if acc {
			nash, w := 1.0, 0.0
			for i, x := range u {
				nash *= x - ref.Reservation[i]
				w += x
			}
			if nash > bestN {
				bestN, ref.Nash = nash, u
			}
			ref.MaxWelfare = max(ref.MaxWelfare, w)
		}
	}
	sort.Slice(pts, func(i, j int) bool {
		if pts[i][0] != pts[j][0] {
			return pts[i][0] > pts[j][0]
		}
		return pts[i][1] > pts[j][1]
	})
	best := math.Inf(-1)
	for _, p := range pts {
		if p[1] > best {
			best = p[1]
			ref.Frontier = append(ref.Frontier, []float64{p[0], p[1]})
		}
	}
	for i, j := 0, len(ref.Frontier)-1; i < j; i, j = i+1, j-1 {
		ref.Frontier[i], ref.Frontier[j] = ref.Frontier[j], ref.Frontier[i]
	}
	return ref, nil
}

// DistPareto returns the Euclidean distance from u to the nearest frontier
// point (NaN without a two-party frontier).
func (r *Reference) DistPareto(u []float64) float64 {
	if len(r.Frontier) == 0 || len(u) != 2 {
		return math.NaN()
	}
	d := math.Inf(1)
	for _, f := range r.Frontier {
		d = min(d, math.Hypot(f[0]-u[0], f[1]-u[1]))
	}
	return d
}

// DistNash returns the Euclidean distance from u to the Nash point (NaN if
// there is none).
func (r *Reference) DistNash(u []float64) float64 {
	if r.Nash == nil {
		return math.NaN()
	}
	var s float64
	for i := range u {
		s += (u[i] - r.Nash[i]) * (u[i] - r.Nash[i])
	}
	return math.Sqrt(s)
}

func runSim(ctx context.Context, pr *Problem, m mechanism.Mechanism, med mechanism.Party, parties []mechanism.Party, rounds int, seed uint64) (mechanism.Result, error) {
	return sim.Run(ctx, &sim.Config{Mechanism: m, Space: pr.Space, Profiles: pr.Profiles, Parties: parties, Mediator: med,
		Confidential: med != nil && mediator.NeedsConfidential(med), Deadline: mechanism.Deadline{Rounds: rounds}, Seed: seed})
}
