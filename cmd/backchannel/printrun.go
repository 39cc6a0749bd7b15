package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/scenario"
)

// printRun writes the human-readable account of a run.
func printRun(w io.Writer, sc *scenario.Scenario, r *runReport) {
	printSummary(w, summarise(sc))
	if r.ZoneOfAgreement >= 0 {
		fmt.Fprintf(w, "Zone      %s outcomes acceptable to every party\n", thousands(r.ZoneOfAgreement))
	}
	var roles []string
	for _, p := range r.Parties {
		roles = append(roles, p.ID+"="+p.Strategy)
	}
	fmt.Fprintf(w, "\nNegotiation  %s, %s, deadline %d rounds, seed %d\n", r.Protocol, strings.Join(roles, " "), r.DeadlineRounds, r.Seed)
	fmt.Fprintf(w, "Result       %s after %d rounds (%s)\n", r.Status, r.Rounds, r.Reason)
	if r.Fault != nil {
		fmt.Fprintf(w, "Fault        %s: %s\n", r.Fault.Party, firstLine(r.Fault.Reason))
	}
	if r.Agreement != nil {
		fmt.Fprintln(w, "\nAgreement")
		for i, is := range sc.Space.Issues {
			v := r.Agreement[is.Name]
			label := v
			if vi := is.ValueIndex(v); vi >= 0 && int(vi) < len(is.Labels) && is.Labels[vi] != "" {
				label = is.Labels[vi] + "  [" + v + "]"
			}
			fmt.Fprintf(w, "  %-22s %s\n", sc.IssueTitle(i)+":", label)
		}
	}
	fmt.Fprintln(w, "\nUtility      party       utility  reservation")
	for _, p := range r.Parties {
		u := "—"
		mark := ""
		if p.Utility != nil {
			u = fmt.Sprintf("%.4f", *p.Utility)
			if *p.Utility < p.Reservation-preference.Tolerance {
				mark = "  below reservation"
			}
		}
		fmt.Fprintf(w, "             %-10s  %7s  %11.4f%s\n", p.ID, u, p.Reservation, mark)
	}
	if r.Agreement == nil {
		fmt.Fprintln(w, "             no agreement: each party keeps its reservation value")
	}
	fmt.Fprintln(w, "\nCompared     point                     utilities          distance from the agreement")
	bench := func(name string, p *pointJSON, d *float64) {
		if p == nil {
			fmt.Fprintf(w, "             %-25s none (no outcome is acceptable to all)\n", name)
			return
		}
		us := make([]string, len(p.Utility))
		for i, u := range p.Utility {
			us[i] = fmt.Sprintf("%.4f", u)
		}
		dist := "—"
		if d != nil {
			dist = fmt.Sprintf("%.4f", *d)
		}
		fmt.Fprintf(w, "             %-25s (%s)  %s\n", name, strings.Join(us, ", "), dist)
	}
	if r.DistancePareto != nil {
		fmt.Fprintf(w, "             %-25s %-18s %.4f\n", "nearest Pareto point", "", *r.DistancePareto)
	}
	bench("Nash", r.Nash, r.DistanceNash)
	bench("Kalai–Smorodinsky", r.Kalai, r.DistanceKalai)
	bench("max welfare (acceptable)", r.MaxWelfare, nil)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
