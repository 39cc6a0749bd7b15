package study

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Section is a titled part of an HTML report: a paragraph of findings and
// the comparison it rests on.
type Section struct {
	Title   string
	Text    string
	Result  *Result
	NoPlots bool
}

// WriteHTML writes a self-contained HTML report (no scripts, no external
// files): per section a table of every protocol with 95% intervals and, for
// two parties, one inline SVG plot per protocol of its offers or texts
// (grey), its agreements (blue) and the Nash point (red) in utility space
// over the Pareto frontier.
func WriteHTML(w io.Writer, title string, sections []Section) error {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html><head><meta charset=utf-8><title>%s</title><style>"+
		"body{font:14px system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}"+
		"td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}th{background:#eee}td:first-child{text-align:left}"+
		".plots{display:flex;flex-wrap:wrap;gap:8px}.plot{font-size:12px}.fault{color:#a00}</style></head><body><h1>%s</h1>\n",
		html.EscapeString(title), html.EscapeString(title))
	for _, s := range sections {
		fmt.Fprintf(&b, "<h2>%s</h2>\n", html.EscapeString(s.Title))
		if s.Text != "" {
			for _, para := range strings.Split(s.Text, "\n\n") {
				fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(para))
			}
		}
		if s.Result != nil {
			table(&b, s.Result)
			if !s.NoPlots && len(s.Result.Parties) == 2 {
				b.WriteString("<div class=plots>")
				for i := range s.Result.Rows {
					plot(&b, s.Result, &s.Result.Rows[i])
				}
				b.WriteString("</div>\n")
			}
		}
	}
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func ci(s Stat) string {
	if math.IsNaN(s.Mean) {
		return "–"
	}
	return fmt.Sprintf("%.3f <small>[%.3f, %.3f]</small>", s.Mean, s.CILo, s.CIHi)
}

func table(b *strings.Builder, r *Result) {
	b.WriteString("<table><tr><th>protocol</th><th>agreement rate</th>")
	for _, p := range r.Parties {
		fmt.Fprintf(b, "<th>U(%s)</th>", html.EscapeString(p))
	}
	b.WriteString("<th>welfare</th><th>dist. Pareto</th><th>dist. Nash</th><th>rounds</th><th>faults</th></tr>\n")
	for _, row := range r.Rows {
		fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td>", html.EscapeString(row.Protocol), ci(row.Agreement))
		for _, u := range row.Utility {
			fmt.Fprintf(b, "<td>%s</td>", ci(u))
		}
		fmt.Fprintf(b, "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class=fault>%d</td></tr>\n",
			ci(row.Welfare), ci(row.DistPareto), ci(row.DistNash), ci(row.Rounds), len(row.Faults))
	}
	b.WriteString("</table>\n")
	for _, row := range r.Rows {
		for _, f := range row.Faults {
			fmt.Fprintf(b, "<div class=fault>%s — %s</div>\n", html.EscapeString(row.Protocol), html.EscapeString(f))
		}
	}
	if r.Ref.Nash != nil {
		fmt.Fprintf(b, "<p>Nash point (%.3f, %.3f); largest welfare of an outcome all could accept %.3f; reservation values %v. "+
			"A run without agreement counts each party's reservation value as its utility.</p>\n",
			r.Ref.Nash[0], r.Ref.Nash[1], r.Ref.MaxWelfare, r.Ref.Reservation)
	}
}

// plot draws one protocol in utility space: u₀ right, u₁ up, both in [0,1].
func plot(b *strings.Builder, r *Result, row *Row) {
	const S, M = 240.0, 24.0
	x := func(u float64) float64 { return M + u*S }
	y := func(u float64) float64 { return M + (1-u)*S }
	fmt.Fprintf(b, "<div class=plot><svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f'>", S+2*M, S+2*M)
	fmt.Fprintf(b, "<rect x='%.0f' y='%.0f' width='%.0f' height='%.0f' fill='none' stroke='#999'/>", M, M, S, S)
	if rv := r.Ref.Reservation; len(rv) == 2 {
		fmt.Fprintf(b, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ccc' stroke-dasharray='3'/>", x(rv[0]), y(0), x(rv[0]), y(1))
		fmt.Fprintf(b, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ccc' stroke-dasharray='3'/>", x(0), y(rv[1]), x(1), y(rv[1]))
	}
	step := max(1, len(row.Trace)/1500)
	for k := 0; k < len(row.Trace); k += step {
		p := row.Trace[k]
		fmt.Fprintf(b, "<circle cx='%.1f' cy='%.1f' r='1.2' fill='#aaa'/>", x(p[0]), y(p[1]))
	}
	if len(r.Ref.Frontier) > 0 {
		b.WriteString("<polyline fill='none' stroke='#2a2' stroke-width='1.5' points='")
		for _, f := range r.Ref.Frontier {
			fmt.Fprintf(b, "%.1f,%.1f ", x(f[0]), y(f[1]))
		}
		b.WriteString("'/>")
	}
	for _, p := range row.Points {
		fmt.Fprintf(b, "<circle cx='%.1f' cy='%.1f' r='3' fill='none' stroke='#14c'/>", x(p[0]), y(p[1]))
	}
	if n := r.Ref.Nash; n != nil {
		fmt.Fprintf(b, "<path d='M%.1f %.1fl4 4m-8 0l4-4 4-4m-8 0l4 4' stroke='#d00' stroke-width='2'/>", x(n[0]), y(n[1]))
	}
	fmt.Fprintf(b, "<text x='%.0f' y='14'>%s</text>", M, html.EscapeString(row.Protocol))
	fmt.Fprintf(b, "<text x='%.0f' y='%.0f'>U(%s) →</text>", M, S+2*M-4, html.EscapeString(r.Parties[0]))
	fmt.Fprintf(b, "<text x='4' y='%.0f' transform='rotate(-90 10 %.0f)'>U(%s) →</text>", S+M, S+M, html.EscapeString(r.Parties[1]))
	b.WriteString("</svg></div>")
}
