package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/record"
	"github.com/backchannel/backchannel/scenario"
)

// The workbench's routes: a seat's own profile, the scoring of packages and
// the package search answer only about the seat's own preferences; the
// owner's and the mediator's links have none to ask about.

func do(t *testing.T, method, url string, body any, want int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, url[strings.Index(url, "/api"):], res.StatusCode, data, want)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
	}
}

func twoPeople(t *testing.T, ts *httptest.Server, protocol string) *api.Created {
	seats := map[string]string{"iran": "person", "usa": "person"}
	if protocol != "sao" {
		seats["mediator"] = "person"
	}
	return newSession(t, ts, api.NewSession{Scenario: "builtin:iran-us", Protocol: protocol, Deadline: api.Deadline{Rounds: 10}, Seats: seats})
}

func TestProfileIsTheSeatsOwn(t *testing.T) {
	ts := startServer(t)
	c := twoPeople(t, ts, "single-text")
	for _, role := range []string{"iran", "usa"} {
		var p api.Profile
		do(t, "GET", c.Seats[role]+"/profile", nil, http.StatusOK, &p)
		if p.Party != role || len(p.Issues) != 10 || !p.Linear {
			t.Fatalf("%s's profile: party %q, %d issues, linear %v", role, p.Party, len(p.Issues), p.Linear)
		}
		sum := 0.0
		for _, is := range p.Issues {
			best := 0.0
			for _, o := range is.Options {
				best = max(best, o.Contribution)
			}
			sum += best
		}
		if diff := sum - p.Max; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("%s: best contributions add to %v, max is %v", role, sum, p.Max)
		}
	}
	for _, link := range []string{ts.URL + "/api/seats/" + tokenOf(c.Owner), c.Seats["mediator"]} {
		for _, route := range []string{"/profile", "/packages"} {
			do(t, "GET", link+route, nil, http.StatusForbidden, nil)
		}
		do(t, "POST", link+"/evaluate", api.Evaluate{Outcome: map[string]string{}}, http.StatusForbidden, nil)
	}
	do(t, "GET", ts.URL+"/api/seats/not-a-token/profile", nil, http.StatusNotFound, nil)
}

func TestEvaluateNamesBreaches(t *testing.T) {
	ts := startServer(t)
	c := twoPeople(t, ts, "sao")
	iran := c.Seats["iran"]
	var ev api.Evaluation
	do(t, "POST", iran+"/evaluate", api.Evaluate{Outcome: map[string]string{"enrichment": "zero_enrichment"}}, http.StatusOK, &ev)
	if ev.Utility != nil || len(ev.Missing) != 9 || len(ev.RedLines) != 1 || ev.RedLines[0].Value != "zero_enrichment" || ev.Acceptable {
		t.Fatalf("partial package: %+v", ev)
	}
	// a package from the search is acceptable; changing one issue to a red line is not
	var ps api.Packages
	do(t, "GET", iran+"/packages?min=0.6&max=0.7&limit=3", nil, http.StatusOK, &ps)
	if len(ps.Packages) != 3 || !ps.More {
		t.Fatalf("packages: %+v", ps)
	}
	pkg := ps.Packages[0].Outcome
	do(t, "POST", iran+"/evaluate", api.Evaluate{Outcome: pkg}, http.StatusOK, &ev)
	if !ev.Acceptable || *ev.Utility != ps.Packages[0].Utility {
		t.Fatalf("a searched package: %+v", ev)
	}
	pkg["centrifuges"] = "dismantle_all"
	do(t, "POST", iran+"/evaluate", api.Evaluate{Outcome: pkg}, http.StatusOK, &ev)
	if ev.Acceptable || len(ev.RedLines) != 1 || len(ev.Rules) == 0 {
		t.Fatalf("dismantled centrifuges with enrichment: want a red line and a broken rule, got %+v", ev)
	}
	do(t, "POST", iran+"/evaluate", api.Evaluate{Outcome: map[string]string{"nope": "x"}}, http.StatusBadRequest, nil)
	do(t, "POST", iran+"/evaluate", api.Evaluate{Outcome: map[string]string{"enrichment": "x"}}, http.StatusBadRequest, nil)
}

func TestPackagesSearchARange(t *testing.T) {
	ts := startServer(t)
	c := twoPeople(t, ts, "sao")
	usa := c.Seats["usa"]
	var prof api.Profile
	do(t, "GET", usa+"/profile", nil, http.StatusOK, &prof)
	red := map[string]bool{}
	for _, is := range prof.Issues {
		for _, o := range is.Options {
			if o.RedLine {
				red[is.Name+"="+o.Name] = true
			}
		}
	}
	for _, r := range [][2]float64{{0, 1}, {0.57, 0.6}, {0.8, 0.81}, {0.999, 1}} {
		var ps api.Packages
		do(t, "GET", fmt.Sprintf("%s/packages?min=%v&max=%v&limit=50", usa, r[0], r[1]), nil, http.StatusOK, &ps)
		last := -1.0
		for _, p := range ps.Packages {
			if p.Utility < r[0]-1e-9 || p.Utility > r[1]+1e-9 || p.Utility < last {
				t.Fatalf("range %v: utility %v out of range or order", r, p.Utility)
			}
			last = p.Utility
			for k, v := range p.Outcome {
				if red[k+"="+v] {
					t.Fatalf("range %v: package crosses the red line %s=%s", r, k, v)
				}
			}
		}
		if len(ps.Packages) > 50 {
			t.Fatalf("range %v: %d packages for limit 50", r, len(ps.Packages))
		}
	}
	for _, q := range []string{"min=0.8&max=0.2", "limit=0", "limit=201", "min=x"} {
		do(t, "GET", usa+"/packages?"+q, nil, http.StatusBadRequest, nil)
	}
}

func TestAnalysisRoute(t *testing.T) {
	ts := startServer(t)
	var a api.Analysis
	do(t, "GET", ts.URL+"/api/scenarios/builtin:iran-us/analysis", nil, http.StatusOK, &a)
	if a.ZoneOfAgreement <= 0 || a.Nash == nil || a.Kalai == nil || len(a.Frontier) == 0 || len(a.Frontier) > api.MaxFrontier || len(a.Profiles) != 2 || len(a.Sources) == 0 {
		t.Fatalf("analysis: zone %d, nash %v, kalai %v, %d frontier points, %d profiles, %d sources", a.ZoneOfAgreement, a.Nash, a.Kalai, len(a.Frontier), len(a.Profiles), len(a.Sources))
	}
	var v api.Analysis
	do(t, "GET", ts.URL+"/api/scenarios/builtin:iran-us/analysis?variant=usa_hardline", nil, http.StatusOK, &v)
	if v.Variant != "usa_hardline" || v.ZoneOfAgreement >= a.ZoneOfAgreement {
		t.Errorf("usa_hardline: zone %d, the baseline's %d", v.ZoneOfAgreement, a.ZoneOfAgreement)
	}
	do(t, "GET", ts.URL+"/api/scenarios/builtin:iran-us/analysis?variant=nope", nil, http.StatusBadRequest, nil)
	do(t, "GET", ts.URL+"/api/scenarios/builtin:nope/analysis", nil, http.StatusNotFound, nil)
}

func TestPagesAreServed(t *testing.T) {
	ts := startServer(t)
	for path, want := range map[string]string{"/": "text/html", "/assets/app.js": "javascript", "/assets/app.css": "text/css"} {
		res, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), want) || res.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: %d %q, CSP %q", path, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Security-Policy"))
		}
	}
	do(t, "GET", ts.URL+"/assets/nope.js", nil, http.StatusNotFound, nil)
	do(t, "GET", ts.URL+"/api/nope", nil, http.StatusNotFound, nil)
}

// TestMessagesThroughTheMediator: in an indirect protocol a party writes to
// the mediator only; the other party sees nothing until the mediator passes
// it on; messages are numbered with the events, survive a restart, and are
// in the record, which still replays.
func TestMessagesThroughTheMediator(t *testing.T) {
	path := filepath.Join(t.TempDir(), "msg.db")
	ts, stop := serveStore(t, path)
	defer func() { stop() }()
	c := twoPeople(t, ts, "single-text")
	iran, usa, med := c.Seats["iran"], c.Seats["usa"], c.Seats["mediator"]
	var ack api.MessageAck
	do(t, "POST", iran+"/messages", api.Message{To: []string{"mediator"}, Text: "We cannot\n accept zero enrichment."}, http.StatusOK, &ack)
	do(t, "POST", iran+"/messages", api.Message{To: []string{"usa"}, Text: "psst"}, http.StatusForbidden, nil)
	do(t, "POST", iran+"/messages", api.Message{To: []string{"mediator", "usa"}, Text: "psst"}, http.StatusForbidden, nil)
	do(t, "POST", iran+"/messages", api.Message{To: []string{"nobody"}, Text: "x"}, http.StatusBadRequest, nil)
	do(t, "POST", iran+"/messages", api.Message{To: []string{"mediator"}, Text: "  "}, http.StatusBadRequest, nil)
	do(t, "POST", iran+"/messages", api.Message{To: []string{"mediator"}, Text: strings.Repeat("x", api.MaxMessage+1)}, http.StatusBadRequest, nil)
	do(t, "POST", ts.URL+"/api/seats/"+tokenOf(c.Owner)+"/messages", api.Message{To: []string{"iran"}, Text: "x"}, http.StatusForbidden, nil)

	messages := func(link string) []api.Event {
		var sn api.Snapshot
		do(t, "GET", link, nil, http.StatusOK, &sn)
		var out []api.Event
		for _, e := range sn.Events {
			if e.Kind == "message" {
				out = append(out, e)
			}
		}
		return out
	}
	if got := messages(usa); len(got) != 0 {
		t.Fatalf("usa sees %v before the mediator passed anything on", got)
	}
	if got := messages(med); len(got) != 1 || got[0].Note != "We cannot accept zero enrichment." || got[0].Party != "iran" || got[0].Seq != ack.Seq {
		t.Fatalf("the mediator sees %+v", got)
	}
	do(t, "POST", med+"/messages", api.Message{To: []string{"usa"}, Text: "Iran needs some enrichment at home."}, http.StatusOK, &ack)
	if got := messages(usa); len(got) != 1 || got[0].Party != "mediator" || got[0].Note != "Iran needs some enrichment at home." {
		t.Fatalf("usa sees %+v", got)
	}
	if got := messages(iran); len(got) != 1 {
		t.Fatalf("iran sees %d messages, want its own only", len(got))
	}
	// moves after the messages, then a restart: everything where it was
	var sn api.Snapshot
	do(t, "GET", med, nil, http.StatusOK, &sn)
	do(t, "POST", med+"/actions", api.Action{Step: sn.Turn.Step, Kind: "offer", Outcome: nash(t)}, http.StatusOK, nil)
	before := map[string]api.Snapshot{}
	for role, link := range c.Seats {
		var s api.Snapshot
		do(t, "GET", link, nil, http.StatusOK, &s)
		before[role] = s
	}
	stop()
	ts2, stop2 := serveStore(t, path)
	stop = stop2
	for role, link := range c.Seats {
		link = ts2.URL + link[strings.Index(link, "/api/"):]
		c.Seats[role] = link
		var s api.Snapshot
		do(t, "GET", link, nil, http.StatusOK, &s)
		a, _ := json.Marshal(before[role].Events)
		b, _ := json.Marshal(s.Events)
		if string(a) != string(b) {
			t.Errorf("%s's events after a restart:\n%s\nbefore:\n%s", role, b, a)
		}
	}
	// the record holds the messages and still reads and verifies
	res, err := http.Get(ts2.URL + c.Owner[strings.Index(c.Owner, "/api/"):] + "/record")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc, _ := scenario.Builtin("iran-us")
	lg, err := record.Read(res.Body, sc.Space)
	if err != nil {
		t.Fatal(err)
	}
	if len(lg.Messages) != 2 || lg.Messages[0].Note != "We cannot accept zero enrichment." {
		t.Errorf("the record's messages: %+v", lg.Messages)
	}
	for _, e := range lg.Events {
		if e.Kind == "message" {
			t.Errorf("a message among the record's events: %+v", e)
		}
	}
}

// TestMessagesInDirectTalks: at one table any seat writes to any other.
func TestMessagesInDirectTalks(t *testing.T) {
	ts := startServer(t)
	c := twoPeople(t, ts, "sao")
	do(t, "POST", c.Seats["iran"]+"/messages", api.Message{To: []string{"usa"}, Text: "Shall we start with sanctions?"}, http.StatusOK, nil)
	var sn api.Snapshot
	do(t, "GET", c.Seats["usa"], nil, http.StatusOK, &sn)
	if len(sn.Events) != 1 || sn.Events[0].Kind != "message" || sn.Events[0].Party != "iran" {
		t.Fatalf("usa sees %+v", sn.Events)
	}
	do(t, "POST", c.Seats["usa"]+"/messages", api.Message{To: []string{"mediator"}, Text: "x"}, http.StatusBadRequest, nil)
}
