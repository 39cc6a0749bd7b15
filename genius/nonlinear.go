package genius

import (
	"fmt"
	"strings"

	"github.com/backchannel/backchannel/outcome"
)

// Nonlinear is the utility function of a GENIUS NonlinearUtilitySpace (the
// ANAC 2014 profiles): a tree of weighted sums of hyperrectangles over
// integer issues. Its Utility is Root's value divided by MaxUtility; the
// profile caps it at 1 (GENIUS does not floor it). It is immutable and safe
// for concurrent use.
type Nonlinear struct {
	MaxUtility float64
	Root       *Ufun
}

// Ufun is one <ufun> element: Weight · (Σ rectangles + Σ nested ufuns). GENIUS
// 10.4's files use only aggregation="sum"; other aggregations are rejected.
type Ufun struct {
	Weight     float64
	Rectangles []Rectangle
	Ufuns      []*Ufun
}

// Rectangle is one <hyperRectangle>: it contributes Utility·Weight when the
// outcome lies inside every bound (inclusive, <INCLUDES>) or outside at least
// one bound (exclusive, <EXCLUDES>), and 0 otherwise. A rectangle without
// bounds contributes to every outcome.
type Rectangle struct {
	Utility   float64
	Weight    float64
	Exclusive bool
	Bounds    []Bound
}

// Bound restricts issue Issue (a position in the space) to the value indices
// Lo…Hi inclusive. The indices come from the file's integer bounds minus the
// issue's lower bound; a bound may reach outside the issue's range.
type Bound struct {
	Issue  int
	Lo, Hi int64
}

// Utility returns the raw sum divided by MaxUtility. Its cost is linear in
// the number of bounds in the file (about 2,500 for the largest ANAC 2014
// profile).
func (f *Nonlinear) Utility(o outcome.Outcome) float64 {
	return f.Root.value(o) / f.MaxUtility
}

func (u *Ufun) value(o outcome.Outcome) float64 {
	var s float64
	for i := range u.Rectangles {
		s += u.Rectangles[i].value(o)
	}
	for _, k := range u.Ufuns {
		s += k.value(o)
	}
	return s * u.Weight
}

func (r *Rectangle) value(o outcome.Outcome) float64 {
	inside := true
	for _, b := range r.Bounds {
		v := int64(o[b.Issue])
		if v < b.Lo || v > b.Hi {
			inside = false
			break
		}
	}
	if inside != r.Exclusive {
		return r.Utility * r.Weight
	}
	return 0
}

// parseNonlinear reads the <utility maxutility=…><ufun …> part of a
// nonlinear profile the way GENIUS's NonlinearUtilitySpace does: the
// <utility> child of the root's first child element.
func parseNonlinear(file string, root *node, d *Domain) (*Nonlinear, []string, error) {
	if len(root.kids) == 0 {
		return nil, nil, errAt(file, root, "nonlinear profile has no <objective><utility maxutility=…> part")
	}
	first := root.kids[0]
	ut := first.child("utility")
	if ut == nil {
		return nil, nil, errAt(file, first, "nonlinear profile has no <utility maxutility=…> element inside its first element")
	}
	mx, err := floatAttr(file, ut, "maxutility")
	if err != nil {
		return nil, nil, err
	}
	if !(mx > 0) {
		return nil, nil, errAt(file, ut, fmt.Sprintf("maxutility %g is not positive; utilities are divided by it", mx))
	}
	uf := ut.child("ufun")
	if uf == nil {
		return nil, nil, errAt(file, ut, "no <ufun> element")
	}
	r, err := parseUfun(file, uf, d, 0)
	if err != nil {
		return nil, nil, err
	}
	return &Nonlinear{MaxUtility: mx, Root: r}, nil, nil
}

func parseUfun(file string, n *node, d *Domain, depth int) (*Ufun, error) {
	u := &Ufun{Weight: 1}
	if agg, ok := n.attr("aggregation"); ok && !strings.EqualFold(agg, "sum") {
		return nil, errAt(file, n, fmt.Sprintf("aggregation %q is not supported (only sum, the only one the ANAC 2014 files use)", agg))
	}
	if _, ok := n.attr("weight"); ok {
		w, err := floatAttr(file, n, "weight")
		if err != nil {
			return nil, err
		}
		u.Weight = w
	}
	for _, hr := range n.children("hyperRectangle") {
		r := Rectangle{Weight: 1}
		var err error
		if r.Utility, err = floatAttr(file, hr, "utility"); err != nil {
			return nil, err
		}
		if _, ok := hr.attr("weight"); ok {
			if r.Weight, err = floatAttr(file, hr, "weight"); err != nil {
				return nil, err
			}
		}
		bounds := hr.children("INCLUDES")
		if ex := hr.children("EXCLUDES"); len(ex) > 0 {
			// GENIUS lets EXCLUDES win when a rectangle has both.
			bounds, r.Exclusive = ex, true
		}
		for _, b := range bounds {
			idx, err := intAttr(file, b, "index")
			if err != nil {
				return nil, err
			}
			i := d.issue(idx)
			if i < 0 {
				return nil, errAt(file, b, fmt.Sprintf("the domain has no issue with index %d", idx))
			}
			is := &d.Space.Issues[i]
			if is.Kind != outcome.Integer {
				return nil, errAt(file, b, fmt.Sprintf("issue %q is %s; hyperrectangle bounds apply only to integer issues", is.Name, is.Kind))
			}
			lo, err := intAttr(file, b, "min")
			if err != nil {
				return nil, err
			}
			hi, err := intAttr(file, b, "max")
			if err != nil {
				return nil, err
			}
			base := int64(is.Min)
			r.Bounds = append(r.Bounds, Bound{Issue: i, Lo: int64(lo) - base, Hi: int64(hi) - base})
		}
		u.Rectangles = append(u.Rectangles, r)
	}
	for _, k := range n.children("ufun") {
		if depth+1 >= MaxDepth {
			return nil, errAt(file, k, "ufun elements nested too deeply")
		}
		c, err := parseUfun(file, k, d, depth+1)
		if err != nil {
			return nil, err
		}
		u.Ufuns = append(u.Ufuns, c)
	}
	return u, nil
}
