package tournament

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/backchannel/backchannel/protocol"
)

// Tournament is a checked, expanded plan: its jobs in a fixed order and the
// prepared scenarios they refer to.
type Tournament struct {
	ID        string // hash of the job ids: the same plan always has the same id
	Plan      Plan
	Jobs      []Job
	Scenarios map[string]*Prepared // by key
	// Notes are non-fatal remarks (e.g. a scenario without a frontier).
	Notes []string
}

// Compile checks p against env and expands it into jobs. It loads and
// prepares every scenario and builds every strategy once, so that nothing
// fails later for a reason the plan could have shown. Every problem found is
// reported at once in a *PlanError.
//
// Jobs: for each scenario (n parties), protocol and ordered choice of n
// strategies (distinct unless SelfPlay: every assignment of strategies to
// roles), Repetitions jobs with seeds derived from p.Seed. A job names its
// protocol by registry name (an alias such as "direct" becomes "sao") and
// carries the protocol's deadline for the plan's round budget
// (protocol.Protocol.Rounds: texts for single-text and feedback), so that
// the job id covers the deadline actually run.
func Compile(ctx context.Context, env *Env, p Plan) (*Tournament, error) {
	perr := &PlanError{}
	if p.Repetitions < 0 {
		perr.add("repetitions %d is negative", p.Repetitions)
	}
	if p.Repetitions == 0 {
		p.Repetitions = 1
	}
	if p.DeadlineRounds < 0 {
		perr.add("deadline_rounds %d is negative", p.DeadlineRounds)
	}
	if p.MoveTime < 0 {
		perr.add("move_time %v is negative", p.MoveTime)
	}
	if p.JobTime < 0 {
		perr.add("job_time %v is negative", p.JobTime)
	}
	if p.MoveTime == 0 {
		p.MoveTime = DefaultMoveTime
	}
	if p.JobTime == 0 {
		p.JobTime = DefaultJobTime
	}
	if len(p.Protocols) == 0 {
		p.Protocols = []string{"sao"}
	}
	if len(p.Scenarios) == 0 {
		p.Scenarios = []string{""}
	}
	if len(p.Strategies) == 0 {
		perr.add("no strategies: name at least two (see 'backchannel strategies')")
	}

	var specs []string
	for _, s := range p.Strategies {
		sp, err := ParseSpec(s)
		if err != nil {
			perr.add("%v", err)
			continue
		}
		if _, err := env.newParty(sp); err != nil {
			perr.add("strategy %q: %v", s, err)
			continue
		}
		c := sp.String()
		if slices.Contains(specs, c) {
			perr.add("strategy %q is listed twice", s)
			continue
		}
		specs = append(specs, c)
	}

	protos := make([]protocol.Protocol, 0, len(p.Protocols))
	for _, name := range p.Protocols {
		pr, err := env.protocol(name)
		if err != nil {
			perr.add("%v", err)
			continue
		}
		if pr.New == nil {
			perr.add("protocol %q has no mechanism", name)
			continue
		}
		if slices.ContainsFunc(protos, func(q protocol.Protocol) bool { return q.Name == pr.Name }) {
			perr.add("protocol %q is listed twice (it is %s)", name, pr.Name)
			continue
		}
		protos = append(protos, pr)
	}

	t := &Tournament{Scenarios: map[string]*Prepared{}}
	var scens []*Prepared
	for _, ref := range p.Scenarios {
		sc, err := env.load(ref)
		if err != nil {
			perr.add("scenario %s: %v", refName(ref), err)
			continue
		}
		pr, err := Prepare(ctx, sc)
		if err != nil {
			perr.add("scenario %s: %v", refName(ref), err)
			continue
		}
		if _, dup := t.Scenarios[pr.Key]; dup {
			perr.add("scenario %s is listed twice (same content as another)", refName(ref))
			continue
		}
		if pr.Note != "" {
			t.Notes = append(t.Notes, pr.Note)
		}
		t.Scenarios[pr.Key] = pr
		scens = append(scens, pr)
		n := sc.NumParties()
		if !p.SelfPlay && len(specs) < n && len(specs) > 0 {
			perr.add("scenario %s has %d parties but only %d distinct strategies are named (add strategies or set self_play)", refName(ref), n, len(specs))
		}
		for _, pr := range protos {
			if n < pr.MinParties || (pr.MaxParties > 0 && n > pr.MaxParties) {
				perr.add("protocol %q cannot run scenario %s: it takes %s parties, the scenario has %d", pr.Name, refName(ref), partyRange(pr), n)
			}
		}
	}
	if len(perr.Problems) > 0 {
		return nil, perr
	}

	total := 0
	for _, s := range scens {
		total += countAssignments(len(specs), s.Scenario.NumParties(), p.SelfPlay) * len(protos) * p.Repetitions
		if total > MaxJobs {
			perr.add("the plan expands to more than %d negotiations; split it", MaxJobs)
			return nil, perr
		}
	}
	t.Jobs = make([]Job, 0, total)
	for _, s := range scens {
		rounds := p.DeadlineRounds
		if rounds == 0 {
			rounds = s.Scenario.SuggestedDeadlineRounds
		}
		if rounds == 0 {
			rounds = 100
		}
		assign := make([]int, s.Scenario.NumParties())
		var rec func(i int)
		rec = func(i int) {
			if i == len(assign) {
				strats := make([]string, len(assign))
				for k, a := range assign {
					strats[k] = specs[a]
				}
				for _, pr := range protos {
					for rep := range p.Repetitions {
						j := Job{Scenario: s.Scenario.ID, ScenarioKey: s.Key, Protocol: pr.Name, Strategies: strats,
							Repetition: rep, Seed: jobSeed(p.Seed, s.Key, pr.Name, strats, rep), Rounds: pr.Rounds(rounds),
							MoveTime: p.MoveTime, JobTime: p.JobTime, Trace: p.Trace}
						j.ID = j.computeID()
						t.Jobs = append(t.Jobs, j)
					}
				}
				return
			}
			for a := range specs {
				if !p.SelfPlay && slices.Contains(assign[:i], a) {
					continue
				}
				assign[i] = a
				rec(i + 1)
			}
		}
		rec(0)
	}
	h := sha256.New()
	for i := range t.Jobs {
		h.Write([]byte(t.Jobs[i].ID))
	}
	t.ID = hex.EncodeToString(h.Sum(nil)[:8])
	for i := range t.Jobs {
		t.Jobs[i].Plan = t.ID
	}
	t.Plan = p
	return t, nil
}

// countAssignments returns the number of ordered choices of n of k
// strategies (k^n with self-play, k!/(k−n)! without).
func countAssignments(k, n int, self bool) int {
	c := 1
	for i := range n {
		f := k
		if !self {
			f = k - i
		}
		if f <= 0 {
			return 0
		}
		c *= f
		if c > MaxJobs {
			return MaxJobs + 1
		}
	}
	return c
}

func refName(ref string) string {
	if ref == "" {
		return "(embedded default)"
	}
	return fmt.Sprintf("%q", ref)
}

func partyRange(p protocol.Protocol) string {
	switch {
	case p.MaxParties == 0:
		return fmt.Sprintf("%d or more", p.MinParties)
	case p.MinParties == p.MaxParties:
		return fmt.Sprint(p.MinParties)
	default:
		return fmt.Sprintf("%d to %d", p.MinParties, p.MaxParties)
	}
}
