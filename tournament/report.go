package tournament

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"text/tabwriter"

	"github.com/backchannel/backchannel/store"
)

// Interval is a sample mean with its bootstrap 95% confidence interval.
type Interval struct {
	Mean float64 `json:"mean"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
	N    int     `json:"n"` // sample size; 0 when nothing was measured (Mean is NaN)
}

// MarshalJSON writes NaN bounds as null.
func (iv Interval) MarshalJSON() ([]byte, error) {
	f := func(x float64) any {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	}
	return json.Marshal(map[string]any{"mean": f(iv.Mean), "lo": f(iv.Lo), "hi": f(iv.Hi), "n": iv.N})
}

// Row is one strategy's standing. Each negotiation counts once per role the
// strategy played in it.
type Row struct {
	Strategy     string   `json:"strategy"`
	Negotiations int      `json:"negotiations"`
	Faults       int      `json:"faults"` // negotiations it lost by its own fault
	Utility      Interval `json:"utility"`
	Advantage    Interval `json:"advantage"` // utility − own reservation value
	Welfare      Interval `json:"welfare"`   // sum of all parties' utilities
	Agreement    Interval `json:"agreement_rate"`
	NashDistance Interval `json:"nash_distance"` // of agreements and disagreements alike
}

// Ranking ranks strategies by mean utility, best first, over all results
// or those of one scenario or one protocol.
type Ranking struct {
	Scenario string `json:"scenario,omitempty"` // set in the per-scenario rankings
	Protocol string `json:"protocol,omitempty"` // set in the per-protocol rankings
	Rows     []Row  `json:"rows"`
}

// Report is what 'tournament report' shows.
type Report struct {
	Negotiations int       `json:"negotiations"`
	Agreements   int       `json:"agreements"`
	Faults       int       `json:"faults"`
	Resamples    int       `json:"bootstrap_resamples"`
	Overall      Ranking   `json:"overall"`
	PerScenario  []Ranking `json:"per_scenario"`
	// PerProtocol ranks the strategies under each protocol, when the
	// results span more than one (nil otherwise).
	PerProtocol []Ranking `json:"per_protocol,omitempty"`
	// Strategies and Versus form the strategy-vs-strategy matrix:
	// Versus[i][j] is the mean utility of Strategies[i] against
	// Strategies[j] (NaN if they never met).
	Strategies []string    `json:"strategies"`
	Versus     [][]float64 `json:"-"`

	scenarios map[string]store.Scenario
	samples   map[string][]float64 // strategy → utilities, overall
	points    map[string][]point   // scenario id → agreement points
	keyOf     map[string]string    // scenario id → key
}

type point struct {
	u      []float64
	strats []string
}

type acc struct {
	n, faults                       int
	util, adv, welfare, agree, nash []float64
}

func (a *acc) add(r *store.Result, i int, rv float64) {
	a.n++
	if r.FaultStrategy == r.Strategies[i] && r.FaultRole == r.Roles[i] {
		a.faults++
	}
	a.util = append(a.util, r.Utilities[i])
	a.adv = append(a.adv, r.Utilities[i]-rv)
	if !math.IsNaN(r.Welfare) {
		a.welfare = append(a.welfare, r.Welfare)
	}
	ag := 0.0
	if r.Status == "agreement" {
		ag = 1
	}
	a.agree = append(a.agree, ag)
	if !math.IsNaN(r.NashDistance) {
		a.nash = append(a.nash, r.NashDistance)
	}
}

// BuildReport reads every result of plan ("" for all) from st and ranks the
// strategies overall and per scenario. Confidence intervals are percentile
// bootstrap intervals (Efron & Tibshirani 1993, "An Introduction to the
// Bootstrap", ch. 13) over resamples resamples of the per-negotiation
// values, drawn from a fixed seed so the same data gives the same report;
// cost O(resamples · n) per interval.
func BuildReport(ctx context.Context, st store.Store, plan string, resamples int) (*Report, error) {
	if resamples <= 0 {
		resamples = 1000
	}
	scs, err := st.Scenarios(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{Resamples: resamples, scenarios: scs, samples: map[string][]float64{}, points: map[string][]point{}, keyOf: map[string]string{}}
	overall := map[string]*acc{}
	per := map[string]map[string]*acc{}
	perProto := map[string]map[string]*acc{}
	type pair struct{ a, b string }
	vs := map[pair][]float64{}
	err = st.Scan(ctx, plan, func(r *store.Result) error {
		if len(r.Utilities) != len(r.Strategies) || len(r.Roles) != len(r.Strategies) {
			return fmt.Errorf("job %s: %d utilities, %d roles for %d strategies", r.JobID, len(r.Utilities), len(r.Roles), len(r.Strategies))
		}
		rep.Negotiations++
		if r.Status == "agreement" {
			rep.Agreements++
			rep.points[r.Scenario] = append(rep.points[r.Scenario], point{slices.Clone(r.Utilities), slices.Clone(r.Strategies)})
		}
		if r.Fault != "" {
			rep.Faults++
		}
		rep.keyOf[r.Scenario] = r.ScenarioKey
		sc := scs[r.ScenarioKey]
		if per[r.Scenario] == nil {
			per[r.Scenario] = map[string]*acc{}
		}
		if perProto[r.Protocol] == nil {
			perProto[r.Protocol] = map[string]*acc{}
		}
		for i, s := range r.Strategies {
			rv := math.NaN()
			if i < len(sc.Reservations) {
				rv = sc.Reservations[i]
			}
			for _, m := range []map[string]*acc{overall, per[r.Scenario], perProto[r.Protocol]} {
				if m[s] == nil {
					m[s] = &acc{}
				}
				m[s].add(r, i, rv)
			}
			rep.samples[s] = append(rep.samples[s], r.Utilities[i])
			for k, o := range r.Strategies {
				if k != i {
					vs[pair{s, o}] = append(vs[pair{s, o}], r.Utilities[i])
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rank := func(scenario, protocol string, m map[string]*acc) Ranking {
		rk := Ranking{Scenario: scenario, Protocol: protocol}
		// In name order: the resamples draw from one stream, so map order
		// would make the intervals differ from run to run.
		for _, s := range sortedNames(m) {
			a := m[s]
			rk.Rows = append(rk.Rows, Row{Strategy: s, Negotiations: a.n, Faults: a.faults,
				Utility: bootstrap(a.util, resamples, rng), Advantage: bootstrap(a.adv, resamples, rng),
				Welfare: bootstrap(a.welfare, resamples, rng), Agreement: wilson(a.agree),
				NashDistance: bootstrap(a.nash, resamples, rng)})
		}
		sort.Slice(rk.Rows, func(i, j int) bool {
			a, b := rk.Rows[i], rk.Rows[j]
			if a.Utility.Mean != b.Utility.Mean {
				return a.Utility.Mean > b.Utility.Mean
			}
			return a.Strategy < b.Strategy
		})
		return rk
	}
	rep.Overall = rank("", "", overall)
	for _, s := range sortedNames(per) {
		rep.PerScenario = append(rep.PerScenario, rank(s, "", per[s]))
	}
	if len(perProto) > 1 {
		for _, p := range sortedNames(perProto) {
			rep.PerProtocol = append(rep.PerProtocol, rank("", p, perProto[p]))
		}
	}
	for _, row := range rep.Overall.Rows {
		rep.Strategies = append(rep.Strategies, row.Strategy)
	}
	rep.Versus = make([][]float64, len(rep.Strategies))
	for i, a := range rep.Strategies {
		rep.Versus[i] = make([]float64, len(rep.Strategies))
		for j, b := range rep.Strategies {
			rep.Versus[i][j] = mean(vs[pair{a, b}])
		}
	}
	return rep, nil
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for s := range m {
		names = append(names, s)
	}
	sort.Strings(names)
	return names
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// bootstrap returns the mean of xs and its percentile bootstrap 95% interval.
func bootstrap(xs []float64, resamples int, rng *rand.Rand) Interval {
	iv := Interval{Mean: mean(xs), N: len(xs), Lo: math.NaN(), Hi: math.NaN()}
	if len(xs) == 0 {
		return iv
	}
	if len(xs) == 1 {
		iv.Lo, iv.Hi = xs[0], xs[0]
		return iv
	}
	means := make([]float64, resamples)
	n := len(xs)
	for b := range means {
		var s float64
		for range n {
			s += xs[rng.IntN(n)]
		}
		means[b] = s / float64(n)
	}
	sort.Float64s(means)
	iv.Lo = quantile(means, 0.025)
	iv.Hi = quantile(means, 0.975)
	return iv
}

// wilson returns the share of ones among xs (each 0 or 1) with its 95%
// Wilson score interval (Wilson 1927), which stays inside [0, 1] and is
// not empty at 0 or n successes, unlike a bootstrap of a proportion.
func wilson(xs []float64) Interval {
	n := float64(len(xs))
	iv := Interval{Mean: mean(xs), N: len(xs), Lo: math.NaN(), Hi: math.NaN()}
	if len(xs) == 0 {
		return iv
	}
	const z = 1.959963984540054
	p := iv.Mean
	d := 1 + z*z/n
	c := (p + z*z/(2*n)) / d
	h := z / d * math.Sqrt(p*(1-p)/n+z*z/(4*n*n))
	iv.Lo, iv.Hi = max(0, c-h), min(1, c+h)
	return iv
}

// quantile returns the q-quantile of sorted xs by linear interpolation
// (Hyndman & Fan 1996, definition 7).
func quantile(xs []float64, q float64) float64 {
	h := q * float64(len(xs)-1)
	lo := int(math.Floor(h))
	hi := min(lo+1, len(xs)-1)
	return xs[lo] + (h-float64(lo))*(xs[hi]-xs[lo])
}

func fmtIv(iv Interval) string {
	if iv.N == 0 {
		return "—"
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", iv.Mean, iv.Lo, iv.Hi)
}

// WriteText writes the rankings as aligned tables.
func (r *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "%d negotiations, %d agreements (%.1f%%), %d with a fault; 95%% bootstrap CIs (%d resamples), Wilson intervals for the agreement rate\n",
		r.Negotiations, r.Agreements, 100*float64(r.Agreements)/float64(max(1, r.Negotiations)), r.Faults, r.Resamples)
	for _, rk := range r.rankings() {
		title := "Overall"
		switch {
		case rk.Scenario != "":
			title = "Scenario " + rk.Scenario
		case rk.Protocol != "":
			title = "Protocol " + rk.Protocol
		}
		fmt.Fprintf(w, "\n%s\n", title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tstrategy\tn\tutility\tadvantage\twelfare\tagreement\tNash distance\tfaults")
		for i, row := range rk.Rows {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\n", i+1, row.Strategy, row.Negotiations, fmtIv(row.Utility),
				fmtIv(row.Advantage), fmtIv(row.Welfare), fmtIv(row.Agreement), fmtIv(row.NashDistance), row.Faults)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// rankings returns the overall, per-scenario and per-protocol rankings.
func (r *Report) rankings() []Ranking {
	return slices.Concat([]Ranking{r.Overall}, r.PerScenario, r.PerProtocol)
}

// WriteCSV writes one line per strategy and ranking (scenario and protocol
// both "" for the overall ranking) with every interval's mean, lower and
// upper bound.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"scenario", "protocol", "rank", "strategy", "negotiations", "faults"}
	for _, m := range []string{"utility", "advantage", "welfare", "agreement_rate", "nash_distance"} {
		head = append(head, m, m+"_lo", m+"_hi")
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	num := func(x float64) string {
		if math.IsNaN(x) {
			return ""
		}
		return strconv.FormatFloat(x, 'g', 6, 64)
	}
	for _, rk := range r.rankings() {
		for i, row := range rk.Rows {
			rec := []string{rk.Scenario, rk.Protocol, strconv.Itoa(i + 1), row.Strategy, strconv.Itoa(row.Negotiations), strconv.Itoa(row.Faults)}
			for _, iv := range []Interval{row.Utility, row.Advantage, row.Welfare, row.Agreement, row.NashDistance} {
				rec = append(rec, num(iv.Mean), num(iv.Lo), num(iv.Hi))
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
