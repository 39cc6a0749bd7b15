package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// svg draws the series on log-log axes with decade ticks, axis labels and a
// legend, as a standalone SVG document.
func svg(title, xlabel, ylabel string, ss []series) string {
	const (
		w, h                   = 760.0, 460.0
		left, right, top, bott = 80.0, 200.0, 40.0, 60.0
	)
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for k := range s.x {
			if s.x[k] > 0 && s.y[k] > 0 {
				x0, x1 = min(x0, math.Log10(s.x[k])), max(x1, math.Log10(s.x[k]))
				y0, y1 = min(y0, math.Log10(s.y[k])), max(y1, math.Log10(s.y[k]))
			}
		}
	}
	if math.IsInf(x0, 0) {
		x0, x1, y0, y1 = 0, 1, 0, 1
	}
	x0, x1, y0, y1 = math.Floor(x0), math.Ceil(x1), math.Floor(y0), math.Ceil(y1)
	if x1 == x0 {
		x1++
	}
	if y1 == y0 {
		y1++
	}
	pw, ph := w-left-right, h-top-bott
	px := func(v float64) float64 { return left + (math.Log10(v)-x0)/(x1-x0)*pw }
	py := func(v float64) float64 { return top + ph - (math.Log10(v)-y0)/(y1-y0)*ph }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%g" y="22" font-size="14" text-anchor="middle">%s</text>`+"\n", left+pw/2, html.EscapeString(title))
	xstep := math.Max(1, math.Ceil((x1-x0)/12))
	for e := x0; e <= x1; e += xstep {
		x := left + (e-x0)/(x1-x0)*pw
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#ddd"/><text x="%.1f" y="%g" text-anchor="middle">10<tspan dy="-6" font-size="9">%g</tspan></text>`+"\n", x, top, x, top+ph, x, top+ph+18, e)
	}
	for e := y0; e <= y1; e++ {
		y := top + ph - (e-y0)/(y1-y0)*ph
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#ddd"/><text x="%g" y="%.1f" text-anchor="end">10<tspan dy="-6" font-size="9">%g</tspan></text>`+"\n", left, y, left+pw, y, left-6, y+4, e)
	}
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="black"/>`+"\n", left, top, pw, ph)
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">%s (log scale)</text>`+"\n", left+pw/2, h-14, html.EscapeString(xlabel))
	fmt.Fprintf(&b, `<text transform="translate(20 %g) rotate(-90)" text-anchor="middle">%s (log scale)</text>`+"\n", top+ph/2, html.EscapeString(ylabel))
	colors := []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"}
	for i, s := range ss {
		c := colors[i%len(colors)]
		var pts []string
		for k := range s.x {
			if s.x[k] > 0 && s.y[k] > 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.x[k]), py(s.y[k])))
			}
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", c, strings.Join(pts, " "))
		for _, p := range pts {
			xy := strings.Split(p, ",")
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`+"\n", xy[0], xy[1], c)
		}
		ly := top + 10 + float64(i)*18
		fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"/><text x="%g" y="%g">%s</text>`+"\n", left+pw+12, ly, left+pw+32, ly, c, left+pw+38, ly+4, html.EscapeString(s.name))
	}
	b.WriteString("</svg>\n")
	return b.String()
}
