package strategy

import (
	"fmt"
	"math"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
)

// FrequencyModel is the HardHeaded frequency opponent model (van Krimpen,
// Looije & Hajizadeh, "HardHeaded", ANAC 2011 winner; as GENIUS's BOA
// HardHeadedFrequencyModel, which Baarslag, Hendrikx, Hindriks & Jonker 2016,
// "Learning about the opponent in automated bilateral negotiation", found
// among the most accurate models).
//
// Issue weights start equal. After each offer, every issue whose value did
// not change since the opponent's previous offer gains Learn/I weight (I
// issues; at most up to a cap) and all weights are renormalised to sum to 1:
// an opponent keeps what matters to it. Each value's score is how often the
// opponent offered it (all start at 1; each offer adds 1), divided by the
// issue's highest count. The estimate is Σ weight·score, in [0, 1].
// Unlike GENIUS, the values of the very first offer are counted too. Update
// and Utility cost O(I) and never allocate.
type FrequencyModel struct {
	Learn float64 // learning coefficient l (GENIUS default 0.2)

	w      []float64 // issue weights
	counts []float64 // value counts, issues back to back
	off    []int     // offset of each issue in counts
	maxc   []float64 // highest count of each issue
	prev   outcome.Outcome
	n      int // offers seen
}

// Start resets the model to equal weights and equal value scores.
func (fm *FrequencyModel) Start(sp *outcome.Space) error {
	if fm.Learn < 0 || fm.Learn >= 1 || math.IsNaN(fm.Learn) {
		return fmt.Errorf("frequency model: learning coefficient %v, want 0 ≤ l < 1", fm.Learn)
	}
	ni := sp.NumIssues()
	fm.w = resize(fm.w, ni)
	fm.maxc = resize(fm.maxc, ni)
	fm.off = fm.off[:0]
	total := 0
	for i := range sp.Issues {
		fm.off = append(fm.off, total)
		total += sp.Issues[i].Len()
	}
	fm.counts = resize(fm.counts, total)
	for i := range fm.w {
		fm.w[i] = 1 / float64(ni)
		fm.maxc[i] = 1
	}
	for k := range fm.counts {
		fm.counts[k] = 1
	}
	if cap(fm.prev) < ni {
		fm.prev = make(outcome.Outcome, ni)
	}
	fm.prev = fm.prev[:ni]
	fm.n = 0
	return nil
}

func resize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// Update learns from the opponent's offer o.
func (fm *FrequencyModel) Update(o outcome.Outcome, _ float64) {
	ni := len(fm.w)
	if len(o) != ni {
		return
	}
	if fm.n > 0 {
		golden := fm.Learn / float64(ni)
		unchanged := 0
		for i, v := range o {
			if fm.prev[i] == v {
				unchanged++
			}
		}
		total := 1 + golden*float64(unchanged)
		maxW := 1 - float64(ni)*golden/total
		for i, v := range o {
			if fm.prev[i] == v && fm.w[i] < maxW {
				fm.w[i] = (fm.w[i] + golden) / total
			} else {
				fm.w[i] /= total
			}
		}
	}
	for i, v := range o {
		k := fm.off[i] + int(v)
		fm.counts[k]++
		fm.maxc[i] = max(fm.maxc[i], fm.counts[k])
	}
	copy(fm.prev, o)
	fm.n++
}

// Weight returns the estimated weight of issue i.
func (fm *FrequencyModel) Weight(i int) float64 { return fm.w[i] }

// Utility estimates the opponent's utility of o.
func (fm *FrequencyModel) Utility(o outcome.Outcome) float64 {
	var u float64
	for i, v := range o {
		u += fm.w[i] * fm.counts[fm.off[i]+int(v)] / fm.maxc[i]
	}
	return u
}

// Trading is a time-dependent bidding strategy that uses an opponent model
// to choose among offers of about the same utility (GENIUS BOA's
// TimeDependent_Offering with the "best bid" opponent-model strategy): at
// relative time t it takes the Faratin target of exponent E (see
// TimeDependent), looks at the acceptable outcomes whose utility lies in
// [target, target + Window] (at most Candidates of them, nearest the target
// first) and offers the one the model rates best for the opponent (ties: the
// one nearest the target). Before any offer has been received, or without a
// model, it offers the outcome nearest above the target. Each offer costs
// O(log M + Candidates·I).
type Trading struct {
	E          float64
	Window     float64
	Candidates int

	td   TimeDependent
	s    *Session
	buf  []int32
	seen int
}

// Start prepares the target curve and the candidate buffer.
func (tr *Trading) Start(s *Session) error {
	if tr.Window < 0 || math.IsNaN(tr.Window) {
		return fmt.Errorf("trading bidding: window %v, want ≥ 0", tr.Window)
	}
	if tr.Candidates < 1 {
		return fmt.Errorf("trading bidding: candidates %d, want ≥ 1", tr.Candidates)
	}
	tr.td.E = tr.E
	if err := tr.td.Start(s); err != nil {
		return err
	}
	tr.s = s
	ni := s.Space.NumIssues()
	if cap(tr.buf) < tr.Candidates*ni {
		tr.buf = make([]int32, 0, tr.Candidates*ni)
	}
	tr.seen = 0
	return nil
}

// Received counts the offers the model has learnt from.
func (tr *Trading) Received(*mechanism.Clock, outcome.Outcome, float64) { tr.seen++ }

// Next writes the candidate near the target that the model rates best.
func (tr *Trading) Next(c *mechanism.Clock, dst outcome.Outcome) (float64, bool) {
	target := tr.td.Target(c.T)
	u := tr.s.Offers.AtLeast(target, dst)
	if tr.s.Model == nil || tr.seen == 0 {
		return u, true
	}
	lo := u // the first candidate: the target may lie above every outcome
	tr.buf = tr.s.Offers.Within(lo, max(lo, target+tr.Window), tr.Candidates, tr.buf[:0])
	ni := len(dst)
	best, bestK := math.Inf(-1), -1
	for k := 0; k+ni <= len(tr.buf); k += ni {
		if v := tr.s.Model.Utility(outcome.Outcome(tr.buf[k : k+ni])); v > best {
			best, bestK = v, k
		}
	}
	if bestK < 0 {
		return u, true
	}
	copy(dst, tr.buf[bestK:bestK+ni])
	return tr.s.Profile.Utility(dst), true
}

// Sent does nothing.
func (tr *Trading) Sent(*mechanism.Clock, outcome.Outcome, float64) {}
