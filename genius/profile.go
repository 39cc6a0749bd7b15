package genius

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/preference"
)

// discreteZero is the largest evaluation maximum below which GENIUS 10.4's
// EvaluatorDiscrete evaluates every value of the issue as 0.
const discreteZero = 0.00001

// weightTolerance is how far from 1 the weights may sum before a warning.
const weightTolerance = 1e-6

// ParseProfile reads a GENIUS profile (a <utility_space> file) for domain d
// and returns it prepared for d.Space, with Semantics preference.Genius and
// CapAtOne set, together with warnings about quirks GENIUS reproduces
// silently. It evaluates exactly as GENIUS 10.4's AdditiveUtilitySpace:
//
//   - weights bind to issues by their index attribute and are used as
//     written, not renormalised (a sum other than 1 gives a warning);
//   - a discrete evaluation is divided by the largest evaluation the profile
//     gives that issue (values the domain lacks included), or is 0 when that
//     largest evaluation is below 0.00001;
//   - an integer issue evaluates to slope·(v − lowerbound) + offset, clamped to
//     [0,1], with the lowerbound written on the profile's own <issue>;
//   - a real issue evaluates to parameter1·x + parameter0 clamped to [0,1]
//     (linear), parameter0 (constant) or GENIUS's triangle with corners
//     parameter0, parameter2 (top), parameter1 (triangular);
//   - the utility is the weighted sum capped at 1 (not floored);
//   - a discount factor ≤ 0 or > 1 means 1; a missing reservation means 0.
//
// A profile whose root has type="nonlinear" (ANAC 2014) is read as GENIUS's
// NonlinearUtilitySpace: the sum of the hyperrectangles that contain the
// outcome divided by maxutility, capped at 1 (see nonlinear.go).
//
// Errors are *Error values naming the file and element: a missing or negative
// or non-numeric weight or evaluation, an issue without weight or without an
// evaluation for one of its values, weights or issues for indexes the domain
// does not have, an evaluator type that differs from the domain's issue type,
// two weights or evaluations for the same index or value, evaluators GENIUS
// cannot evaluate (no ftype, faratin) and malformed XML.
func ParseProfile(data []byte, file string, d *Domain) (*preference.Profile, []string, error) {
	root, err := parseXML(data, file)
	if err != nil {
		return nil, nil, err
	}
	if root.name != "utility_space" {
		return nil, nil, errAt(file, root, "the root element is not <utility_space>; this is not a GENIUS profile")
	}
	name := strings.TrimSuffix(baseName(file), ".xml")
	p := &preference.Profile{Name: name, Discount: 1, CapAtOne: true, Semantics: preference.Genius}
	var warns []string
	if r := root.child("reservation"); r != nil {
		if _, ok := r.attr("value"); ok {
			v, err := floatAttr(file, r, "value")
			if err != nil {
				return nil, nil, err
			}
			p.Reservation = v
		}
	}
	if df := root.child("discount_factor"); df != nil {
		if _, ok := df.attr("value"); ok {
			v, err := floatAttr(file, df, "value")
			if err != nil {
				return nil, nil, err
			}
			if v > 0 && v <= 1 {
				p.Discount = v
			} else if v != 0 {
				warns = append(warns, fmt.Sprintf("%s: discount factor %g is outside (0,1]; GENIUS discards it and uses 1", file, v))
			}
		}
	}
	if t, _ := root.attr("type"); strings.EqualFold(t, "nonlinear") {
		f, w, err := parseNonlinear(file, root, d)
		if err != nil {
			return nil, nil, err
		}
		p.Custom = f
		warns = append(warns, w...)
	} else {
		w, err := parseAdditive(file, root, d, p)
		if err != nil {
			return nil, nil, err
		}
		warns = append(warns, w...)
	}
	if err := p.Prepare(d.Space); err != nil {
		return nil, nil, &Error{File: file, Problem: err.Error()}
	}
	return p, warns, nil
}

// parseAdditive fills p.Issues from the <weight> and <issue> elements found at
// every level below root, as AdditiveUtilitySpace.loadTreeRecursive does.
func parseAdditive(file string, root *node, d *Domain, p *preference.Profile) ([]string, error) {
	sp := d.Space
	p.Issues = make([]preference.IssueUtility, sp.NumIssues())
	done := make([]*node, sp.NumIssues())
	var warns []string
	var walk func(n *node, depth int) error
	walk = func(n *node, depth int) error {
		weights := map[int]float64{}
		wnode := map[int]*node{}
		for _, w := range n.children("weight") {
			idx, err := intAttr(file, w, "index")
			if err != nil {
				return err
			}
			if prev, dup := wnode[idx]; dup {
				return errAt(file, w, fmt.Sprintf("a weight for index %d is already given on line %d", idx, prev.line))
			}
			v, err := floatAttr(file, w, "value")
			if err != nil {
				return err
			}
			if v < 0 {
				return errAt(file, w, fmt.Sprintf("weight %s is negative", strconv.FormatFloat(v, 'g', -1, 64)))
			}
			weights[idx], wnode[idx] = v, w
		}
		used := map[int]bool{}
		for _, o := range n.children("objective") {
			if idx, err := intAttr(file, o, "index"); err == nil {
				used[idx] = true
			}
		}
		for _, is := range n.children("issue") {
			idx, err := intAttr(file, is, "index")
			if err != nil {
				return err
			}
			kind, objective, err := issueKind(file, is)
			if err != nil {
				return err
			}
			if objective {
				used[idx] = true
				continue
			}
			if d.issue(idx) < 0 && !d.objectives[idx] {
				return errAt(file, is, fmt.Sprintf("the domain has no issue with index %d", idx))
			}
			w, has := weights[idx]
			if !has {
				// GENIUS creates no evaluator for an issue without weight and
				// then fails on every bid; report it here instead.
				continue
			}
			used[idx] = true
			i := d.issue(idx)
			if i < 0 {
				return errAt(file, is, fmt.Sprintf("the domain has no issue with index %d", idx))
			}
			if done[i] != nil {
				return errAt(file, is, fmt.Sprintf("issue index %d is already evaluated on line %d", idx, done[i].line))
			}
			done[i] = is
			di := &sp.Issues[i]
			if kind != di.Kind {
				return errAt(file, is, fmt.Sprintf("the profile evaluates issue %q as %s but the domain declares it %s", di.Name, kind, di.Kind))
			}
			iu, ws, err := evaluator(file, is, di)
			if err != nil {
				return err
			}
			iu.Weight = w
			p.Issues[i] = iu
			warns = append(warns, ws...)
		}
		for idx, w := range wnode {
			if !used[idx] && d.issue(idx) < 0 && !d.objectives[idx] {
				return errAt(file, w, fmt.Sprintf("weight for index %d, but the domain has no issue or objective with that index", idx))
			}
		}
		for _, k := range n.kids {
			if k.name == "objective" || k.name == "utility_space" {
				if err := walk(k, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return nil, err
	}
	var sum float64
	for i := range sp.Issues {
		if done[i] == nil {
			return nil, &Error{File: file, Problem: fmt.Sprintf("issue %q (index %d) has no <issue> element with a <weight index=\"%d\"> beside it; GENIUS cannot evaluate a bid without it", sp.Issues[i].Name, d.Numbers[i], d.Numbers[i])}
		}
		sum += p.Issues[i].Weight
	}
	if math.Abs(sum-1) > weightTolerance {
		warns = append(warns, fmt.Sprintf("%s: weights sum to %s, not 1; GENIUS uses them as written (not renormalised) and caps utility at 1", file, strconv.FormatFloat(sum, 'g', 10, 64)))
	}
	return warns, nil
}

// evaluator reads the evaluation of one issue (weight not set).
func evaluator(file string, is *node, di *outcome.Issue) (preference.IssueUtility, []string, error) {
	switch di.Kind {
	case outcome.Integer:
		return integerEvaluator(file, is, di)
	case outcome.Real:
		return realEvaluator(file, is, di)
	}
	return discreteEvaluator(file, is, di)
}

func discreteEvaluator(file string, is *node, di *outcome.Issue) (preference.IssueUtility, []string, error) {
	var warns []string
	// GENIUS keeps the evaluations in a map: a value evaluated twice keeps
	// its last evaluation, and values the domain lacks still count in the
	// issue's maximum.
	type entry struct {
		eval float64
		n    *node
	}
	evals := map[string]entry{}
	var order []string
	for _, it := range is.children("item") {
		v, ok := it.attr("value")
		if !ok {
			return preference.IssueUtility{}, nil, errAt(file, it, fmt.Sprintf("item of issue %q has no value attribute", di.Name))
		}
		es, ok := it.attr("evaluation")
		if !ok || es == "null" {
			continue // GENIUS skips it; a domain value left without evaluation is reported below
		}
		e, ok := javaDouble(es)
		if !ok {
			return preference.IssueUtility{}, nil, &Error{File: file, Line: it.line, Element: is.tag(), Problem: fmt.Sprintf("evaluation %q of value %q is not a finite number", es, v)}
		}
		if e < 0 {
			return preference.IssueUtility{}, nil, &Error{File: file, Line: it.line, Element: is.tag(), Problem: fmt.Sprintf("evaluation %s of value %q is negative", es, v)}
		}
		if prev, dup := evals[v]; dup {
			if prev.eval != e {
				warns = append(warns, fmt.Sprintf("%s:%d: issue %q: value %q is evaluated twice (%g on line %d, %g here); GENIUS keeps the last", file, it.line, di.Name, v, prev.eval, prev.n.line, e))
			}
		} else {
			order = append(order, v)
		}
		evals[v] = entry{e, it}
	}
	maxEval := math.Inf(-1)
	for _, v := range order {
		en := evals[v]
		maxEval = max(maxEval, en.eval)
		if di.ValueIndex(v) < 0 {
			warns = append(warns, fmt.Sprintf("%s:%d: issue %q: value %q is not in the domain; GENIUS still counts its evaluation %g in the issue's maximum", file, en.n.line, di.Name, v, en.eval))
		}
	}
	eval := make([]float64, di.Len())
	for vi, v := range di.Values {
		en, ok := evals[v]
		if !ok {
			return preference.IssueUtility{}, nil, errAt(file, is, fmt.Sprintf("value %q of issue %q has no evaluation; GENIUS fails on every bid that uses it", v, di.Name))
		}
		if maxEval >= discreteZero {
			eval[vi] = en.eval / maxEval
		}
	}
	if maxEval < discreteZero {
		warns = append(warns, fmt.Sprintf("%s:%d: issue %q: every evaluation is below 0.00001; GENIUS evaluates all its values as 0", file, is.line, di.Name))
	}
	return preference.IssueUtility{Eval: eval}, warns, nil
}

func integerEvaluator(file string, is *node, di *outcome.Issue) (preference.IssueUtility, []string, error) {
	var warns []string
	lo, err := intAttr(file, is, "lowerbound")
	if err != nil {
		return preference.IssueUtility{}, nil, err
	}
	hi, err := intAttr(file, is, "upperbound")
	if err != nil {
		return preference.IssueUtility{}, nil, err
	}
	if float64(lo) != di.Min || float64(hi) != di.Max {
		warns = append(warns, fmt.Sprintf("%s:%d: issue %q: the profile's bounds [%d, %d] differ from the domain's [%g, %g]; GENIUS enumerates the domain's values and measures the slope from the profile's lowerbound", file, is.line, di.Name, lo, hi, di.Min, di.Max))
	}
	num := &preference.Numeric{Kind: preference.Linear, Min: float64(lo), Clamp: true}
	if ev := is.child("evaluator"); ev != nil {
		if num.Slope, err = floatAttr(file, ev, "slope"); err != nil {
			return preference.IssueUtility{}, nil, err
		}
		if num.Offset, err = floatAttr(file, ev, "offset"); err != nil {
			return preference.IssueUtility{}, nil, err
		}
	} else {
		warns = append(warns, fmt.Sprintf("%s:%d: issue %q has no <evaluator>; GENIUS evaluates every value as 0", file, is.line, di.Name))
	}
	eval := make([]float64, di.Len())
	for v := range eval {
		eval[v] = num.At(di.Number(int32(v)))
	}
	return preference.IssueUtility{Eval: eval, Numeric: num}, warns, nil
}

func realEvaluator(file string, is *node, di *outcome.Issue) (preference.IssueUtility, []string, error) {
	var warns []string
	r := is.child("range")
	if r == nil {
		return preference.IssueUtility{}, nil, errAt(file, is, "real issue has no <range lowerbound=… upperbound=…> child; GENIUS cannot load it")
	}
	if _, err := floatAttr(file, r, "lowerbound"); err != nil {
		return preference.IssueUtility{}, nil, err
	}
	if _, err := floatAttr(file, r, "upperbound"); err != nil {
		return preference.IssueUtility{}, nil, err
	}
	ev := is.child("evaluator")
	if ev == nil {
		return preference.IssueUtility{}, nil, errAt(file, is, "real issue has no <evaluator>; GENIUS fails on every bid")
	}
	ft, ok := ev.attr("ftype")
	if !ok {
		return preference.IssueUtility{}, nil, errAt(file, ev, "evaluator has no ftype (linear, constant or triangular)")
	}
	param := func(k string) (float64, error) { return floatAttr(file, ev, k) }
	var num *preference.Numeric
	var f func(x float64) float64
	switch strings.ToLower(ft) {
	case "linear":
		p0, err := param("parameter0")
		if err != nil {
			return preference.IssueUtility{}, nil, err
		}
		p1, err := param("parameter1")
		if err != nil {
			return preference.IssueUtility{}, nil, err
		}
		num = &preference.Numeric{Kind: preference.Linear, Slope: p1, Offset: p0, Clamp: true}
		f = num.At
	case "constant":
		p0, err := param("parameter0")
		if err != nil {
			return preference.IssueUtility{}, nil, err
		}
		if p0 < 0 {
			return preference.IssueUtility{}, nil, errAt(file, ev, fmt.Sprintf("constant evaluation %g is negative", p0))
		}
		if p0 > 1 {
			warns = append(warns, fmt.Sprintf("%s:%d: issue %q: constant evaluation %g is above 1; GENIUS uses it unclamped", file, ev.line, di.Name, p0))
		}
		num = &preference.Numeric{Kind: preference.Constant, Offset: p0}
		f = num.At
	case "triangular":
		lo, err := param("parameter0")
		if err != nil {
			return preference.IssueUtility{}, nil, err
		}
		hi, err := param("parameter1")
		if err != nil {
			return preference.IssueUtility{}, nil, err
		}
		top, err := param("parameter2")
		if err != nil {
			return preference.IssueUtility{}, nil, err
		}
		if !(lo <= top && top <= hi && lo < hi) {
			return preference.IssueUtility{}, nil, errAt(file, ev, fmt.Sprintf("triangle needs parameter0 ≤ parameter2 ≤ parameter1 and parameter0 < parameter1, got %g, %g, %g", lo, top, hi))
		}
		f = func(x float64) float64 { return geniusTriangle(x, lo, hi, top) }
		if top < hi {
			// preference.Numeric's triangle agrees with GENIUS's everywhere
			// except at x = top = upper corner (GENIUS 0, Numeric 1), so
			// that shape keeps no off-grid evaluator.
			num = &preference.Numeric{Kind: preference.Triangular, Lo: lo, Top: top, Hi: hi}
		}
	default:
		return preference.IssueUtility{}, nil, errAt(file, ev, fmt.Sprintf("evaluator type %q is not supported (GENIUS 10.4 evaluates only linear, constant and triangular real issues)", ft))
	}
	eval := make([]float64, di.Len())
	for v := range eval {
		eval[v] = f(di.Number(int32(v)))
	}
	return preference.IssueUtility{Eval: eval, Numeric: num}, warns, nil
}

// geniusTriangle is GENIUS 10.4's EVALFUNCTYPE.evalTriangular.
func geniusTriangle(x, lo, hi, top float64) float64 {
	switch {
	case x < lo:
		return 0
	case x < top:
		return (x - lo) / (top - lo)
	case x < hi:
		return 1 - (x-top)/(hi-top)
	}
	return 0
}
