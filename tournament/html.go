package tournament

import (
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// WriteHTML writes index.html into dir (created if missing): the rankings,
// and inline SVG plots — each strategy's score distribution (box plot with
// mean), the strategy-vs-strategy heat map of mean utility, and the
// agreements of scenario (an id; "" for the first with a frontier) over its
// Pareto frontier, with the Nash point and reservation values.
func (r *Report) WriteHTML(dir, scenario string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	if scenario == "" {
		for _, rk := range r.PerScenario {
			if sc, ok := r.scenarios[r.keyOf[rk.Scenario]]; ok && len(sc.Frontier) > 0 && len(sc.Roles) == 2 {
				scenario = rk.Scenario
				break
			}
		}
	} else if _, ok := r.keyOf[scenario]; !ok {
		var ids []string
		for id := range r.keyOf {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		return fmt.Errorf("--scenario %q: no results for it (scenarios: %s)", scenario, strings.Join(ids, ", "))
	}
	data := struct {
		R                *Report
		Rankings         []Ranking
		Box, Heat, Front template.HTML
		Scenario         string
	}{R: r, Rankings: r.rankings(), Box: r.boxSVG(), Heat: r.heatSVG(), Scenario: scenario}
	if scenario != "" {
		data.Front = r.frontSVG(scenario)
	}
	f, err := os.Create(filepath.Join(dir, "index.html"))
	if err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	if err := page.Execute(f, data); err != nil {
		f.Close()
		return fmt.Errorf("--html: %w", err)
	}
	return f.Close()
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"iv": fmtIv, "inc": func(i int) int { return i + 1 },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>backchannel tournament report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
th:nth-child(2),td:nth-child(2){text-align:left}svg{display:block;margin:1em 0}
</style></head><body>
<h1>Tournament report</h1>
<p>{{.R.Negotiations}} negotiations, {{.R.Agreements}} agreements, {{.R.Faults}} with a fault.
Means with percentile-bootstrap 95% confidence intervals ({{.R.Resamples}} resamples).
Utility: a party's utility of the agreement, its reservation value without one, min(0, reservation) for the party at fault.</p>
{{range .Rankings}}<h2>{{if .Scenario}}Scenario {{.Scenario}}{{else if .Protocol}}Protocol {{.Protocol}}{{else}}Overall ranking{{end}}</h2>
<table><tr><th>#</th><th>strategy</th><th>n</th><th>utility</th><th>advantage</th><th>welfare</th><th>agreement rate</th><th>distance to Nash</th><th>faults</th></tr>
{{range $i, $r := .Rows}}<tr><td>{{inc $i}}</td><td>{{$r.Strategy}}</td><td>{{$r.Negotiations}}</td><td>{{iv $r.Utility}}</td><td>{{iv $r.Advantage}}</td><td>{{iv $r.Welfare}}</td><td>{{iv $r.Agreement}}</td><td>{{iv $r.NashDistance}}</td><td>{{$r.Faults}}</td></tr>
{{end}}</table>{{end}}
<h2>Score distributions</h2><p>Box: quartiles; whiskers: 5th and 95th percentiles; dot: mean.</p>{{.Box}}
<h2>Strategy against strategy</h2><p>Mean utility of the row strategy against the column strategy.</p>{{.Heat}}
{{if .Scenario}}<h2>Agreements over the Pareto frontier: {{.Scenario}}</h2>
<p>Grey line: Pareto frontier; red cross: Nash point; dashed: reservation values; blue: agreements.</p>{{.Front}}{{end}}
</body></html>
`))

func esc(s string) string { return template.HTMLEscapeString(s) }

// boxSVG draws one horizontal box plot of utilities per strategy.
func (r *Report) boxSVG() template.HTML {
	names := r.Strategies
	const left, width, rowH = 180, 560, 26
	lo, hi := 0.0, 1.0
	for _, s := range names {
		for _, x := range r.samples[s] {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	X := func(v float64) float64 { return left + (v-lo)/(hi-lo)*width }
	h := rowH*len(names) + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-size="12">`, left+width+40, h)
	for i, s := range names {
		xs := append([]float64(nil), r.samples[s]...)
		if len(xs) == 0 {
			continue
		}
		sort.Float64s(xs)
		y := float64(i*rowH + 20)
		q := func(p float64) float64 { return X(quantile(xs, p)) }
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`, left-8, y+4, esc(s))
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#555"/>`, q(0.05), q(0.95), y, y)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="14" fill="#9ecae1" stroke="#3182bd"/>`, q(0.25), y-7, math.Max(q(0.75)-q(0.25), 1))
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#08519c" stroke-width="2"/>`, q(0.5), q(0.5), y-7, y+7)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#d62728"/>`, X(mean(xs)), y)
	}
	axisY := float64(rowH*len(names) + 10)
	for k := 0; k <= 4; k++ {
		v := lo + (hi-lo)*float64(k)/4
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#999"/><text x="%.1f" y="%.1f" text-anchor="middle">%.2f</text>`,
			X(v), X(v), axisY, axisY+4, X(v), axisY+18, v)
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

// heatSVG draws the strategy-vs-strategy matrix, white (low) to dark blue (high).
func (r *Report) heatSVG() template.HTML {
	n := len(r.Strategies)
	const left, top, cell = 180, 150, 44
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range r.Versus {
		for _, v := range row {
			if !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if hi <= lo {
		hi = lo + 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-size="11">`, left+cell*n+20, top+cell*n+20)
	for j, s := range r.Strategies {
		x := left + cell*j + cell/2
		fmt.Fprintf(&b, `<text transform="translate(%d,%d) rotate(-50)">%s</text>`, x, top-6, esc(s))
	}
	for i, s := range r.Strategies {
		y := top + cell*i
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-6, y+cell/2+4, esc(s))
		for j := range n {
			v := r.Versus[i][j]
			x := left + cell*j
			if math.IsNaN(v) {
				fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#eee" stroke="#fff"/>`, x, y, cell, cell)
				continue
			}
			t := (v - lo) / (hi - lo)
			c := func(a, z float64) int { return int(a + (z-a)*t) }
			fill := fmt.Sprintf("rgb(%d,%d,%d)", c(247, 8), c(251, 48), c(255, 107))
			txt := "#000"
			if t > 0.55 {
				txt = "#fff"
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#fff"><title>%s vs %s: %.3f</title></rect>`, x, y, cell, cell, fill, esc(s), esc(r.Strategies[j]), v)
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="%s">%.2f</text>`, x+cell/2, y+cell/2+4, txt, v)
		}
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

// frontSVG plots a bilateral scenario's agreements over its frontier.
func (r *Report) frontSVG(id string) template.HTML {
	sc, ok := r.scenarios[r.keyOf[id]]
	if !ok || len(sc.Roles) != 2 {
		return template.HTML("<p>(this scenario has no stored frontier or is not bilateral)</p>")
	}
	const size, pad = 420, 50
	X := func(u float64) float64 { return pad + u*size }
	Y := func(u float64) float64 { return pad + (1-u)*size }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-size="12">`, size+2*pad, size+2*pad)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`, pad, pad, size, size)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">utility of %s</text>`, pad+size/2, size+pad+35, esc(sc.Roles[0]))
	fmt.Fprintf(&b, `<text transform="translate(15,%d) rotate(-90)" text-anchor="middle">utility of %s</text>`, pad+size/2, esc(sc.Roles[1]))
	if len(sc.Reservations) == 2 {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#aaa" stroke-dasharray="4 3"/>`, X(sc.Reservations[0]), X(sc.Reservations[0]), pad, pad+size)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#aaa" stroke-dasharray="4 3"/>`, pad, pad+size, Y(sc.Reservations[1]), Y(sc.Reservations[1]))
	}
	if len(sc.Frontier) > 0 {
		b.WriteString(`<polyline fill="none" stroke="#777" stroke-width="1.5" points="`)
		for _, p := range sc.Frontier {
			fmt.Fprintf(&b, "%.1f,%.1f ", X(p[0]), Y(p[1]))
		}
		b.WriteString(`"/>`)
	}
	for _, p := range r.points[id] {
		if len(p.u) == 2 {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="#1f77b4" fill-opacity="0.35"><title>%s</title></circle>`, X(p.u[0]), Y(p.u[1]), esc(strings.Join(p.strats, " vs ")))
		}
	}
	if len(sc.Nash) == 2 {
		x, y := X(sc.Nash[0]), Y(sc.Nash[1])
		fmt.Fprintf(&b, `<path d="M%.1f %.1fl10 10m0 -10l-10 10" stroke="#d62728" stroke-width="2"/>`, x-5, y-5)
	}
	for k := 0; k <= 4; k++ {
		v := float64(k) / 4
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%.2f</text><text x="%d" y="%.1f" text-anchor="end">%.2f</text>`, X(v), pad+size+16, v, pad-4, Y(v)+4, v)
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}
