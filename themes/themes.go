// Package themes turns the article's themes into parameters of any
// scenario: coercion (a schedule that moves a party's reservation value
// during the talks), trust deficit (an agreement's value discounted by the
// probability that the other side reneges, raised by guarantees) and
// contradictory signals (a party unsure which of several profiles its
// opponent has, with a prior). Parameters are read from Scenario.Themes
// (the Iran–US scenario's `themes` block) and its variants.
package themes

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/strategy"
)

func num(m map[string]any, key string) (float64, bool) {
	switch v := m[key].(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	}
	return 0, false
}

func block(s *scenario.Scenario, name string) (map[string]any, error) {
	b, ok := s.Themes[name].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("scenario %q: themes.%s is missing (see the Iran–US scenario's themes block for its keys)", s.ID, name)
	}
	return b, nil
}

// Coercion moves one party's reservation value during the talks:
// RV(t) = RV0 + Slope·c(t), with the coercion level c(t) = From + (To −
// From)·t at relative time t. Threats lower a target's material BATNA
// (−a·c) while yielding under threat costs face (+b·c), so for Iran
// Slope = b − a; a coercer more confident in its military option has a
// positive slope.
type Coercion struct {
	Party    int
	RV0      float64
	Slope    float64
	From, To float64 // coercion level at the start and at the deadline, in [0,1]
	// Face is the part of Slope that is the face premium b (0 when the
	// scenario gives the slope as one number): what yielding costs only
	// when it is seen.
	Face float64
}

// At returns the reservation value at relative time t.
func (c Coercion) At(t float64) float64 {
	t = min(max(t, 0), 1)
	return c.RV0 + c.Slope*(c.From+(c.To-c.From)*t)
}

// Private returns the reservation value at relative time t for a move
// nobody but the mediator sees: At(t) without the face premium,
// RV0 + (Slope − Face)·c(t).
func (c Coercion) Private(t float64) float64 {
	t = min(max(t, 0), 1)
	return c.RV0 + (c.Slope-c.Face)*(c.From+(c.To-c.From)*t)
}

// CoercionFrom reads the coercion theme of s for every party it names:
// keys PARTY_rv_material_slope_a and PARTY_face_premium_slope_b (Slope =
// b − a), or PARTY_rv_slope (Slope as written). from and to are the
// coercion levels at the start and the deadline.
func CoercionFrom(s *scenario.Scenario, from, to float64) ([]Coercion, error) {
	b, err := block(s, "coercion")
	if err != nil {
		return nil, err
	}
	if !(from >= 0 && from <= 1 && to >= 0 && to <= 1) { // NaN fails too
		return nil, fmt.Errorf("coercion levels %v → %v must lie in [0,1]", from, to)
	}
	var out []Coercion
	for i, p := range s.Parties {
		a, okA := num(b, p.ID+"_rv_material_slope_a")
		fb, okB := num(b, p.ID+"_face_premium_slope_b")
		sl, okS := num(b, p.ID+"_rv_slope")
		c := Coercion{Party: i, RV0: p.Profile.Reservation, From: from, To: to}
		switch {
		case okA || okB:
			c.Slope, c.Face = fb-a, fb
		case okS:
			c.Slope = sl
		default:
			continue
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("scenario %q: themes.coercion names no party's slope (want PARTY_rv_material_slope_a / PARTY_face_premium_slope_b or PARTY_rv_slope)", s.ID)
	}
	return out, nil
}

// Coerced is a party whose reservation value follows a coercion schedule.
// Inner negotiates with the lowest reservation value the schedule reaches;
// Coerced enforces the current one: it rejects offers and texts worth less
// than RV(t) (within preference.Tolerance, as every reservation test) and
// replaces an offer of Inner's worth less than RV(t) by its
// least-conceding acceptable outcome at RV(t).
//
// With PublicFace the face premium is paid only for yielding that is seen:
// answers to a mediator's package (Vote requests, which every protocol of
// package mechanism shows to the party and the mediator only, or to the
// party alone) are held to C.Private(t), every other move to C.At(t), and
// Inner negotiates with the lowest reservation value either schedule
// reaches (its true floor; what it shows is clamped to the public one).
type Coerced struct {
	Inner      mechanism.Party
	C          Coercion
	PublicFace bool

	p      *preference.Profile
	sp     *outcome.Space
	offers strategy.Offers
	buf    outcome.Outcome
}

// Init starts Inner with the lowest reservation value of the schedule.
func (c *Coerced) Init(s *mechanism.Setup) error {
	if s == nil || s.Profile == nil || s.Space == nil {
		return errors.New("themes: a coerced party needs its profile and the space")
	}
	lo := min(c.C.At(0), c.C.At(1))
	if c.PublicFace {
		lo = min(lo, c.C.Private(0), c.C.Private(1))
	}
	q := s.Profile.Clone()
	q.Reservation = lo
	if err := q.Prepare(s.Space); err != nil {
		return err
	}
	offers, err := strategy.OffersFor(s.Space, q, lo)
	if err != nil {
		return err
	}
	c.p, c.sp, c.offers = q, s.Space, offers
	c.buf = s.Space.New()
	inner := *s
	inner.Profile = q
	return c.Inner.Init(&inner)
}

func (c *Coerced) ok(o outcome.Outcome, rv float64) bool {
	return c.sp.Valid(o) && c.p.Acceptable(c.sp, o) && c.p.Utility(o) >= rv-preference.Tolerance
}

// Act answers with Inner, within the current reservation value.
func (c *Coerced) Act(cl *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	a := c.Inner.Act(cl, r)
	rv := c.C.At(cl.T)
	if c.PublicFace && r.Kind == mechanism.Vote {
		rv = c.C.Private(cl.T)
	}
	switch {
	case a.Kind == mechanism.Accept && (r.Kind == mechanism.Respond || r.Kind == mechanism.Vote) && !c.ok(r.Offer, rv):
		return mechanism.Answer{Kind: mechanism.Reject}
	case a.Kind == mechanism.Offer && !c.ok(a.Outcome, rv):
		if c.offers.Empty() || c.offers.Best() < rv {
			return mechanism.Answer{Kind: mechanism.End}
		}
		c.offers.AtLeast(rv, c.buf)
		return mechanism.Answer{Kind: mechanism.Offer, Outcome: c.buf}
	}
	return a
}

// Trust is a trust deficit (a party's expected utility when the other side
// may renege): EU(x) = U(x) − p(g)·(1 − recovery(g))·Σ_{i∈Benefit} wᵢ·vᵢ(x),
// where g is x's value of the Guarantee issue, p its reneging probability
// and recovery the share of the loss a guarantee refunds. The benefits are
// what the other side delivers (for Iran, sanctions relief; for the US,
// Iran's nuclear limits, discounted by the probability of cheating given
// the verification regime).
type Trust struct {
	Party     int
	Guarantee int       // issue index
	PRenege   []float64 // per value of the guarantee issue
	Recovery  []float64 // per value of the guarantee issue (0 if absent)
	Benefit   []int     // issue indices whose value is at risk
}

// TrustFrom reads the trust theme of s: p_renege and recovery (keyed by the
// values of the issue they apply to, for the party named by key party,
// default the first party, with benefit issues benefit_issues, default
// "sanctions"), and PARTY_p_cheat_by_verification for another party (its
// benefits: benefit_issues_PARTY, default enrichment, stockpile,
// centrifuges, fordow).
func TrustFrom(s *scenario.Scenario) ([]Trust, error) {
	b, err := block(s, "trust")
	if err != nil {
		return nil, err
	}
	var out []Trust
	if pr, ok := b["p_renege"].(map[string]any); ok {
		party := 0
		if id, ok := b["party"].(string); ok {
			if party = s.PartyIndex(id); party < 0 {
				return nil, fmt.Errorf("themes.trust.party: unknown party %q", id)
			}
		}
		rec, _ := b["recovery"].(map[string]any)
		t, err := trustTable(s, party, pr, rec, names(b["benefit_issues"], "sanctions"))
		if err != nil {
			return nil, fmt.Errorf("themes.trust: %w", err)
		}
		out = append(out, t)
	}
	for i, p := range s.Parties {
		pc, ok := b[p.ID+"_p_cheat_by_verification"].(map[string]any)
		if !ok {
			continue
		}
		t, err := trustTable(s, i, pc, nil, names(b["benefit_issues_"+p.ID], "enrichment", "stockpile", "centrifuges", "fordow"))
		if err != nil {
			return nil, fmt.Errorf("themes.trust.%s_p_cheat_by_verification: %w", p.ID, err)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("scenario %q: themes.trust has neither p_renege nor PARTY_p_cheat_by_verification", s.ID)
	}
	return out, nil
}

func names(v any, def ...string) []string {
	l, ok := v.([]any)
	if !ok {
		return def
	}
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// trustTable finds the issue whose values key p and builds the table.
func trustTable(s *scenario.Scenario, party int, p, rec map[string]any, benefit []string) (Trust, error) {
	sp := s.Space
	t := Trust{Party: party, Guarantee: -1}
	for i := range sp.Issues {
		all := true
		for k := range p {
			if sp.Issues[i].ValueIndex(k) < 0 {
				all = false
				break
			}
		}
		if all && len(p) > 0 {
			t.Guarantee = i
			break
		}
	}
	if t.Guarantee < 0 {
		return t, errors.New("no issue has all the values the probabilities are keyed by")
	}
	n := sp.Issues[t.Guarantee].Len()
	t.PRenege, t.Recovery = make([]float64, n), make([]float64, n)
	for k, v := range p {
		x, ok := v.(float64)
		if !ok || x < 0 || x > 1 {
			return t, fmt.Errorf("probability of %q is %v, want a number in [0,1]", k, v)
		}
		t.PRenege[sp.Issues[t.Guarantee].ValueIndex(k)] = x
	}
	for k, v := range rec {
		x, ok := v.(float64)
		vi := sp.Issues[t.Guarantee].ValueIndex(k)
		if !ok || x < 0 || x > 1 || vi < 0 {
			return t, fmt.Errorf("recovery of %q is %v, want a value of issue %q and a number in [0,1]", k, v, sp.Issues[t.Guarantee].Name)
		}
		t.Recovery[vi] = x
	}
	for _, name := range benefit {
		i := sp.IssueIndex(name)
		if i < 0 {
			return t, fmt.Errorf("benefit issue %q is not an issue of the scenario", name)
		}
		t.Benefit = append(t.Benefit, i)
	}
	return t, nil
}

// trustFunc is EU(x) over a prepared linear profile.
type trustFunc struct {
	base *preference.Profile
	t    Trust
}

func (f *trustFunc) Utility(o outcome.Outcome) float64 {
	u := f.base.Utility(o)
	g := o[f.t.Guarantee]
	risk := f.t.PRenege[g] * (1 - f.t.Recovery[g])
	if risk == 0 {
		return u
	}
	var at float64
	for _, i := range f.t.Benefit {
		at += f.base.Contribution(i, o[i])
	}
	return u - risk*at
}

// Apply returns a copy of p whose utility is the trust-discounted EU; its
// red lines, reservation value and discount are p's. p must be linear.
func (t Trust) Apply(sp *outcome.Space, p *preference.Profile) (*preference.Profile, error) {
	if !p.IsLinear() {
		return nil, fmt.Errorf("profile %q: the trust deficit discounts linear profiles only", p.Name)
	}
	base := p.Clone()
	if err := base.Prepare(sp); err != nil {
		return nil, err
	}
	q := p.Clone()
	q.Name = p.Name + " (trust deficit)"
	q.Custom = &trustFunc{base: base, t: t}
	if err := q.Prepare(sp); err != nil {
		return nil, err
	}
	return q, nil
}

// Belief is an opponent model for a party unsure which of several profiles
// its opponent has (contradictory signals): a prior over the types, updated
// by Bayes' rule from the opponent's offers. An offer the type could never
// make (it crosses the type's red lines, breaks a rule or is below its
// reservation) has likelihood Epsilon (default 0.05) under it; another has
// likelihood max(uₖ(o), Epsilon), the type's utility of it.
//
// These likelihoods are scores with one scale for every type, not
// distributions normalised over each type's offers: a proper P(o | k) =
// uₖ(o)/Zₖ, with Zₖ summed over the outcomes type k could accept, favours
// the type that accepts fewer outcomes for every offer both could make, and
// on the Iran–US scenario takes a pragmatic Boulware US (whose early offers
// the hardline type could also make) for the hardline type with posterior
// 1 − 10⁻³³ (docs/mediation.md). With the common scale an offer moves the
// belief by how much more one type likes it than another and, sharply,
// when one type could not make it.
//
// The estimate is Σ P(k)·uₖ(o), with uₖ(o) = 0 where type k could not
// accept o. It implements strategy.OpponentModel. O(K·I) per update.
type Belief struct {
	Types   []*preference.Profile
	Prior   []float64
	Epsilon float64

	sp   *outcome.Space
	post []float64
}

// Start resets the posterior to the prior.
func (b *Belief) Start(sp *outcome.Space) error {
	if len(b.Types) == 0 || len(b.Prior) != len(b.Types) {
		return fmt.Errorf("themes: belief has %d types and %d prior weights", len(b.Types), len(b.Prior))
	}
	var sum float64
	for _, p := range b.Prior {
		if p < 0 || math.IsNaN(p) {
			return fmt.Errorf("themes: prior weight %v is negative", p)
		}
		sum += p
	}
	if sum <= 0 {
		return errors.New("themes: the prior sums to 0")
	}
	b.sp = sp
	b.post = make([]float64, len(b.Prior))
	for i, p := range b.Prior {
		b.post[i] = p / sum
	}
	return nil
}

// Posterior returns the current probability of each type (read-only).
func (b *Belief) Posterior() []float64 { return b.post }

// Update applies Bayes' rule for an offer o of the opponent.
func (b *Belief) Update(o outcome.Outcome, _ float64) {
	eps := b.Epsilon
	if eps <= 0 {
		eps = 0.05
	}
	var sum float64
	for k, p := range b.Types {
		l := eps
		if p.Acceptable(b.sp, o) {
			l = max(p.Utility(o), eps)
		}
		b.post[k] *= l
		sum += b.post[k]
	}
	if sum <= 0 {
		copy(b.post, b.Prior)
		return
	}
	for k := range b.post {
		b.post[k] /= sum
	}
}

// Utility returns the expected opponent utility of o.
func (b *Belief) Utility(o outcome.Outcome) float64 {
	var u float64
	for k, p := range b.Types {
		if p.Acceptable(b.sp, o) {
			u += b.post[k] * p.Utility(o)
		}
	}
	return u
}

// Signals is the contradictory-signals theme: party Believer is unsure
// whether party Opponent has the profile of one type or another.
type Signals struct {
	Believer, Opponent int
	Names              []string
	Types              []*preference.Profile
	Prior              []float64
}

// SignalsFrom reads the contradictory-signals theme of s: the opponent's
// types are the variants usa_hardline and usa_pragmatic (or those listed
// under key types: {variant: prior}), with prior_p_hardline on the first.
// The opponent is the party the variants patch; the believer the other.
func SignalsFrom(s *scenario.Scenario) (*Signals, error) {
	b, err := block(s, "contradictory_signals")
	if err != nil {
		return nil, err
	}
	sg := &Signals{Opponent: -1}
	if ts, ok := b["types"].(map[string]any); ok {
		for _, name := range slices.Sorted(maps.Keys(ts)) {
			x, _ := num(ts, name)
			sg.Names, sg.Prior = append(sg.Names, name), append(sg.Prior, x)
		}
	} else {
		ph, ok := num(b, "prior_p_hardline")
		if !ok || ph < 0 || ph > 1 {
			return nil, fmt.Errorf("scenario %q: themes.contradictory_signals needs types or prior_p_hardline in [0,1]", s.ID)
		}
		sg.Names, sg.Prior = []string{"usa_hardline", "usa_pragmatic"}, []float64{ph, 1 - ph}
	}
	for _, name := range sg.Names {
		v := s.Variant(name)
		if v == nil {
			return nil, fmt.Errorf("scenario %q: contradictory signals name variant %q, which it does not have", s.ID, name)
		}
		for pid := range v.Patches {
			if i := s.PartyIndex(pid); i >= 0 {
				sg.Opponent = i
			}
		}
		vs, err := s.WithVariant(name)
		if err != nil {
			return nil, err
		}
		if sg.Opponent < 0 {
			return nil, fmt.Errorf("variant %q patches no party", name)
		}
		sg.Types = append(sg.Types, vs.Parties[sg.Opponent].Profile)
	}
	if s.NumParties() != 2 {
		return nil, fmt.Errorf("scenario %q: contradictory signals are modelled for two parties, it has %d", s.ID, s.NumParties())
	}
	sg.Believer = 1 - sg.Opponent
	return sg, nil
}

// Agent returns the believer's negotiating agent: a Boulware target
// (e = 0.2) that, among its offers near the target, makes the one the
// belief rates best for the opponent (strategy.Trading), accepting by
// ACnext.
func (sg *Signals) Agent() *strategy.Agent {
	return &strategy.Agent{Name: "believer", Bidding: &strategy.Trading{E: 0.2, Window: 0.05, Candidates: 64},
		Acceptance: strategy.ACNext{}, Model: &Belief{Types: sg.Types, Prior: sg.Prior}}
}

// FaceBound is a party that must not be seen to bend: in public it never
// concedes — every visible proposal (a Propose request) is its best
// acceptable outcome, and it accepts an offer put to it for a visible
// answer (a Respond request: in direct and shuttle talks, accepting the
// other side's demand) only if that offer is worth as much — while its
// answers to a mediator's package (Vote and Compare requests, which the
// protocols show to it and the mediator only, or to it alone) are Inner's.
// It models a delegation that cannot be seen to yield under pressure but
// can say yes in private (the Iran–US scenario: "a deal struck under
// threats reads as imposition"; Khamenei's refusal of direct talks under
// threat, SCENARIO.md §5). Which requests count as public is fixed by kind,
// not read from the mechanism: every protocol of package mechanism asks
// Propose and Respond only for moves the other parties see (or, in shuttle
// talks, that the mediator may pass on).
type FaceBound struct {
	Inner mechanism.Party

	p      *preference.Profile
	sp     *outcome.Space
	offers strategy.Offers
	best   float64
	buf    outcome.Outcome
}

// Init starts Inner and finds the party's best acceptable outcome.
func (f *FaceBound) Init(s *mechanism.Setup) error {
	if s == nil || s.Profile == nil || s.Space == nil {
		return errors.New("themes: a face-bound party needs its profile and the space")
	}
	offers, err := strategy.OffersFor(s.Space, s.Profile, s.Profile.Reservation-preference.Tolerance)
	if err != nil {
		return err
	}
	f.p, f.sp, f.offers = s.Profile, s.Space, offers
	f.best = math.Inf(1)
	if !offers.Empty() {
		f.best = offers.Best()
	}
	f.buf = s.Space.New()
	return f.Inner.Init(s)
}

// Act proposes its best outcome and accepts only as much in public, and
// lets Inner answer everything else.
func (f *FaceBound) Act(c *mechanism.Clock, r *mechanism.Request) mechanism.Answer {
	switch r.Kind {
	case mechanism.Propose:
		if f.offers.Empty() {
			return mechanism.Answer{Kind: mechanism.End}
		}
		f.offers.AtLeast(f.best, f.buf)
		return mechanism.Answer{Kind: mechanism.Offer, Outcome: f.buf}
	case mechanism.Respond:
		if f.sp.Valid(r.Offer) && f.p.Acceptable(f.sp, r.Offer) && f.p.Utility(r.Offer) >= f.best-preference.Tolerance {
			return mechanism.Answer{Kind: mechanism.Accept}
		}
		return mechanism.Answer{Kind: mechanism.Reject}
	}
	return f.Inner.Act(c, r)
}
