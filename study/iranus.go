package study

import (
	"context"
	"fmt"
	"io"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/themes"
	"github.com/backchannel/backchannel/voting"
)

// Setting is one condition of the Iran–US study: a variant of the scenario
// (empty: the baseline) and which themes apply.
type Setting struct {
	Name     string
	Variant  string
	Coercion bool // coercion escalates from 0 to 1 over the talks
	Trust    bool // both sides discount by the other's reneging probability
	Signals  bool // the believer is unsure of the opponent's type
	// FaceBound names a party (by id) that must not be seen to bend: it
	// never concedes in public and answers only a mediator's packages on
	// its own terms (themes.FaceBound).
	FaceBound string
	// FacePublicOnly charges the coercion theme's face premium only on
	// moves the other side sees (themes.Coerced.PublicFace).
	FacePublicOnly bool
	// FacePremium, when positive, replaces the face premium slope b of
	// every coerced party that has one (a counterfactual: SCENARIO.md §5
	// asks what happens when it exceeds the material slope a).
	FacePremium float64
}

// Settings returns the study's settings: the baseline and each variant, and
// the baseline under each theme (signals also against each true US type).
func Settings() []Setting {
	return []Setting{
		{Name: "baseline"},
		{Name: "coercion escalating", Coercion: true},
		{Name: "trust deficit", Trust: true},
		{Name: "signals, US pragmatic", Variant: "usa_pragmatic", Signals: true},
		{Name: "signals, US hardline", Variant: "usa_hardline", Signals: true},
		{Name: "variant coercion_peak_jun_2025", Variant: "coercion_peak_jun_2025"},
		{Name: "variant post_strike_jul_2025", Variant: "post_strike_jul_2025"},
		{Name: "variant usa_hardline", Variant: "usa_hardline"},
		{Name: "variant usa_pragmatic", Variant: "usa_pragmatic"},
	}
}

// ProblemFor builds the problem of a setting from the scenario s, with the
// given strategies for the parties.
func ProblemFor(s *scenario.Scenario, st Setting, names []string) (*Problem, error) {
	sc := s
	if st.Variant != "" {
		v, err := s.WithVariant(st.Variant)
		if err != nil {
			return nil, err
		}
		sc = v
	}
	profiles := sc.Profiles()
	pr := &Problem{Name: st.Name, Space: sc.Space, Profiles: profiles, Party: AgentParties(names)}
	if st.Trust {
		ts, err := themes.TrustFrom(s)
		if err != nil {
			return nil, err
		}
		ps := append([]*preference.Profile(nil), profiles...)
		for _, t := range ts {
			q, err := t.Apply(sc.Space, ps[t.Party])
			if err != nil {
				return nil, err
			}
			ps[t.Party] = q
		}
		pr.Profiles = ps
	}
	if st.FaceBound != "" {
		fb := s.PartyIndex(st.FaceBound)
		if fb < 0 {
			return nil, fmt.Errorf("face-bound party %q is not a party of scenario %q", st.FaceBound, s.ID)
		}
		inner := pr.Party
		pr.Party = func(i int) (mechanism.Party, error) {
			p, err := inner(i)
			if err != nil || i != fb {
				return p, err
			}
			return &themes.FaceBound{Inner: p}, nil
		}
	}
	base := pr.Party
	if st.Coercion {
		cs, err := themes.CoercionFrom(s, 0, 1)
		if err != nil {
			return nil, err
		}
		if st.FacePremium > 0 {
			for k := range cs {
				if cs[k].Face > 0 {
					cs[k].Slope += st.FacePremium - cs[k].Face
					cs[k].Face = st.FacePremium
				}
			}
		}
		pr.Wrap = func(i int, p mechanism.Party) mechanism.Party {
			for _, c := range cs {
				if c.Party == i {
					return &themes.Coerced{Inner: p, C: c, PublicFace: st.FacePublicOnly}
				}
			}
			return p
		}
	}
	if st.Signals {
		sg, err := themes.SignalsFrom(s)
		if err != nil {
			return nil, err
		}
		pr.Party = func(i int) (mechanism.Party, error) {
			if i == sg.Believer {
				return sg.Agent(), nil
			}
			return base(i)
		}
	}
	return pr, nil
}

// StudyProtocols are the protocols of the Iran–US study: direct talks,
// shuttle talks with bridging, the annealed single text, feedback
// mediation, direct talks with post-settlement improvement, the two
// face-saving protocols (blind bidding and the double-blind proposal), and
// the arbitration reference.
func StudyProtocols() []protocol.Protocol {
	var out []protocol.Protocol
	for _, p := range protocol.All() {
		switch p.Name {
		case "sao", "shuttle/bridge", "single-text/annealer", "feedback/learner", "sao+post-settlement",
			"blind-bidding/suggester", "blind-bidding/interpolator", "double-blind/proposer", "arbitration":
			out = append(out, p)
		}
	}
	return out
}

// PublicSchedule is the concession exponent of the control columns of the
// face-saving study: the Boulware exponent of the study's default parties
// (strategy "boulware", e = 0.2), so that a party accepts in secret only
// what it would concede in public.
const PublicSchedule = 0.2

// FaceSavingProtocols are the protocols of the face-saving study: direct
// talks, the annealed single text, blind bidding (with the confidential
// suggester and with the interpolator, which reads no profile) and the
// double-blind proposal as registered (secret acceptances on the linear
// schedule), and blind bidding with the suggester and the double-blind
// proposal again with the secret acceptances
// on the parties' public schedule (voting.Secret with E = PublicSchedule):
// the control that tells how much of what they reach comes from parties
// conceding in secret faster than in public, and how much from the
// mediator's packages and the final session.
func FaceSavingProtocols() []protocol.Protocol {
	var out []protocol.Protocol
	for _, name := range []string{"sao", "single-text/annealer", "blind-bidding/suggester", "blind-bidding/interpolator", "double-blind/proposer"} {
		p, err := protocol.Lookup(name)
		if err != nil {
			panic("study: " + err.Error()) // programmer error: the registry lost a protocol
		}
		out = append(out, p)
	}
	for _, p := range []protocol.Protocol{out[2], out[4]} {
		q := p
		q.Name = p.Name + " (public schedule)"
		q.Voter = func() voting.Voter { return &voting.Secret{E: PublicSchedule} }
		out = append(out, q)
	}
	return out
}

// KharaziPremium is the face premium slope of the face-saving study's
// counterfactual settings: above the material slope a = 0.15 of the
// Iran–US scenario, so that coercion raises Iran's reservation value for
// a concession that is seen (SCENARIO.md §5: "exactly Kharazi's
// argument") from 0.48 to 0.58, while lowering it to 0.33 for one that is
// not.
const KharaziPremium = 0.25

// FaceSavingSettings are the settings of the face-saving study: the
// baseline, coercion escalating and the trust deficit (as in Settings);
// the baseline and escalating coercion with Iran face-bound (it never
// concedes in public: themes.FaceBound); escalating coercion with the face
// premium charged only on moves that are seen; and escalating coercion
// with the face premium raised to KharaziPremium, charged on every move
// and only on moves that are seen.
func FaceSavingSettings() []Setting {
	return append(Settings()[:3:3],
		Setting{Name: "Iran face-bound", FaceBound: "iran"},
		Setting{Name: "Iran face-bound, coercion escalating", FaceBound: "iran", Coercion: true},
		Setting{Name: "coercion escalating, face cost in public only", Coercion: true, FacePublicOnly: true},
		Setting{Name: "coercion escalating, face premium 0.25", Coercion: true, FacePremium: KharaziPremium},
		Setting{Name: "coercion escalating, face premium 0.25 in public only", Coercion: true, FacePremium: KharaziPremium, FacePublicOnly: true})
}

// FaceSaving runs FaceSavingProtocols on s (the Iran–US scenario) in every
// FaceSavingSettings setting and returns one comparison per setting.
func FaceSaving(ctx context.Context, s *scenario.Scenario, names []string, seeds int, progress io.Writer) ([]*Result, error) {
	rounds := s.SuggestedDeadlineRounds
	if rounds == 0 {
		rounds = 60
	}
	var out []*Result
	for _, st := range FaceSavingSettings() {
		pr, err := ProblemFor(s, st, names)
		if err != nil {
			return nil, fmt.Errorf("setting %q: %w", st.Name, err)
		}
		r, err := Compare(ctx, pr, FaceSavingProtocols(), rounds, seeds, progress)
		if err != nil {
			return nil, fmt.Errorf("setting %q: %w", st.Name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// IranUS runs the study on s (the Iran–US scenario) for every setting and
// returns one comparison per setting.
func IranUS(ctx context.Context, s *scenario.Scenario, names []string, seeds int, progress io.Writer) ([]*Result, error) {
	rounds := s.SuggestedDeadlineRounds
	if rounds == 0 {
		rounds = 60
	}
	var out []*Result
	for _, st := range Settings() {
		pr, err := ProblemFor(s, st, names)
		if err != nil {
			return nil, fmt.Errorf("setting %q: %w", st.Name, err)
		}
		r, err := Compare(ctx, pr, StudyProtocols(), rounds, seeds, progress)
		if err != nil {
			return nil, fmt.Errorf("setting %q: %w", st.Name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Summary answers the study's questions in words from its numbers: where
// talks agree, how good the result is for each side and jointly, and what
// the mediator adds over direct talks.
func Summary(rs []*Result) string {
	var b []byte
	for _, r := range rs {
		var direct *Row
		for i := range r.Rows {
			if r.Rows[i].Protocol == "sao" {
				direct = &r.Rows[i]
			}
		}
		b = fmt.Appendf(b, "%s: ", r.Problem)
		if r.Ref.Nash == nil {
			b = fmt.Appendf(b, "no outcome is acceptable to both sides, so no protocol can agree. ")
		}
		for _, row := range r.Rows {
			b = fmt.Appendf(b, "%s agrees in %.0f%% (welfare %.3f", row.Protocol, 100*row.Agreement.Mean, row.Welfare.Mean)
			if direct != nil && &row != direct && row.Protocol != direct.Protocol {
				b = fmt.Appendf(b, ", %+.3f vs direct", row.Welfare.Mean-direct.Welfare.Mean)
			}
			b = fmt.Appendf(b, "; U = ")
			for i, u := range row.Utility {
				if i > 0 {
					b = fmt.Appendf(b, "/")
				}
				b = fmt.Appendf(b, "%.3f", u.Mean)
			}
			b = fmt.Appendf(b, "). ")
		}
		b = fmt.Appendf(b, "\n\n")
	}
	return string(b)
}
