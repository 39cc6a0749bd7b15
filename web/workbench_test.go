package web_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/backchannel/backchannel/analysis"
	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/server"
)

// selectOption chooses value in the <select> sel as a person would (the
// page hears a change event).
func selectOption(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SetValue(chromedp.CSS(sel), value),
		chromedp.Evaluate[chromedp.Void](`document.querySelector(`+jsString(sel)+`).dispatchEvent(new Event("change", {bubbles: true}))`),
	)
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// nash returns the Iran–US scenario's Nash package, as an analyst reads
// it on the scenario page.
func nash(t *testing.T) map[string]string {
	t.Helper()
	sc, err := scenario.Builtin("iran-us")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := analysis.Auto(context.Background(), sc.Space, sc.Profiles(), analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sc.Space.Map(rep.Nash.Outcome)
}

// TestMediatedSingleText: the owner starts a single-text session in the
// browser with two people and a person as mediator; the mediator proposes
// the Nash package as a text, both parties read it in their rooms against
// their own profiles and accept it, and the mediator ends the talks on it.
// No room shows or receives another side's preferences; the mediator's
// room (no confidential access) receives neither party's.
func TestMediatedSingleText(t *testing.T) {
	ts := startServer(t)
	owner := newBrowser(t, 1280, 1000)
	owner.run(t, chromedp.Navigate(ts.URL+"/#/new?scenario=builtin:iran-us"), chromedp.WaitVisible(chromedp.CSS(`form select`)))
	checkLabels(t, owner, "new session")
	owner.run(t, selectOption(`select[name=protocol]`, "single-text/hill-climb"),
		chromedp.WaitVisible(chromedp.CSS(`select[name="seat-mediator"]`)),
		selectOption(`select[name="seat-usa"]`, "person"),
		selectOption(`select[name="seat-mediator"]`, "person"),
		chromedp.SetValue(chromedp.CSS(`input[name=rounds]`), "8"))
	owner.screenshot(t, "new-session")
	owner.run(t, chromedp.Click(chromedp.CSS(`button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`section.links`)))
	owner.screenshot(t, "new-session-links")
	checkLabels(t, owner, "session links")
	link := func(role string) string {
		return eval[string](t, owner, `document.querySelector('input[aria-label="`+role+`\'s invite link"]').value`)
	}
	ownerLink := eval[string](t, owner, `document.querySelector('input[aria-label="owner\'s page"]').value`)
	rooms := map[string]*browser{}
	for _, role := range []string{"mediator", "iran", "usa"} {
		rooms[role] = owner.newTab(t)
		rooms[role].run(t, chromedp.Navigate(link(role)), chromedp.WaitVisible(chromedp.CSS(`section.request`)))
	}
	med, text := rooms["mediator"], nash(t)
	waitState(t, med, "none", "turn")
	checkLabels(t, med, "mediator's room")

	// Iran writes to the mediator; the United States sees nothing of it
	// until the mediator passes it on.
	const words = "We can live with the JCPOA cap if sanctions go first."
	iran, usa := rooms["iran"], rooms["usa"]
	checkLabels(t, iran, "party room (single text)")
	iran.run(t, chromedp.SetValue(chromedp.CSS(`textarea[name=text]`), words), chromedp.Click(chromedp.CSS(`button[data-action=message]`)))
	med.run(t, chromedp.WaitVisible(chromedp.CSS(`.messages button[data-action=pass-on]`)))
	if n := eval[int](t, usa, `[...document.querySelectorAll(".messages li")].filter(li => li.textContent.includes("JCPOA cap")).length`); n != 0 {
		t.Fatal("the United States' room shows Iran's message before the mediator passed it on")
	}
	med.run(t, chromedp.Click(chromedp.CSS(`.messages button[data-action=pass-on]`)), chromedp.Click(chromedp.CSS(`button[data-action=message]`)))
	usa.run(t, chromedp.WaitVisible(`//ol[contains(@class,"messages")]/li[contains(., "mediator") and contains(., "JCPOA cap")]`))
	med.screenshot(t, "mediator-messages")
	for issue, value := range text {
		med.run(t, selectOption(`select[name="`+issue+`"]`, value))
	}
	med.screenshot(t, "mediator-compose")
	med.run(t, chromedp.Click(chromedp.CSS(`button[data-action=offer]`)))
	for _, role := range []string{"iran", "usa"} {
		r := rooms[role]
		_, step := waitState(t, r, "none", "turn")
		if !eval[bool](t, r, `!!document.querySelector(".request tfoot td.good")`) {
			r.screenshot(t, role+"-vote-refused")
			t.Fatalf("%s finds the Nash package unacceptable", role)
		}
		r.screenshot(t, role+"-vote")
		r.run(t, chromedp.Click(chromedp.CSS(`section.request button[data-action=accept]`)))
		waitState(t, r, step, "wait", "end")
	}
	_, _ = waitState(t, med, "none", "turn")
	answers := eval[string](t, med, `(document.querySelector(".request .answers") || {}).textContent || ""`)
	if !strings.Contains(answers, "iran: accept") || !strings.Contains(answers, "usa: accept") {
		t.Fatalf("the mediator's room shows the answers %q", answers)
	}
	med.screenshot(t, "mediator-answers")
	med.run(t, chromedp.Click(chromedp.CSS(`section.request button[data-action=end]`)))
	for role, r := range rooms {
		waitState(t, r, "none", "end")
		if s := eval[string](t, r, `document.querySelector(".request .big").textContent`); s != "Agreement." {
			t.Errorf("%s's room ends with %q", role, s)
		}
		r.screenshot(t, role+"-end")
	}
	rooms["iran"].sees(t, "iran", secretsOf(t, "usa"))
	rooms["usa"].sees(t, "usa", secretsOf(t, "iran"))
	med.sees(t, "mediator", append(secretsOf(t, "iran"), secretsOf(t, "usa")...))

	owner.run(t, chromedp.Navigate(ownerLink), chromedp.WaitVisible(`//h2[normalize-space()="Verdict"]`),
		chromedp.WaitVisible(chromedp.CSS(`section[aria-labelledby=path-h] .chart canvas`)))
	checkLabels(t, owner, "owner's page")
	owner.screenshot(t, "owner")
}

// TestCatalogue: the scenario list, an upload refused with the server's
// message inline, an upload accepted, and a scenario's page with its
// analysis plotted.
func TestCatalogue(t *testing.T) {
	ts := startServer(t)
	b := newBrowser(t, 1280, 1000)
	b.run(t, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`ul.list li`)))
	checkLabels(t, b, "scenarios")
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("schema_version: 1\nscenario: {id: x}\nissues:\n  - id: a\n    options: [p, q]\nparties:\n  one: {weights: {a: 1}, values: {a: {p: 1, q: nope}}}\n  two: {weights: {a: 1}, values: {a: {p: 0, q: 1}}}\n"), 0o644)
	b.run(t, chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{bad}),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.msg.error`)))
	msg := eval[string](t, b, `document.querySelector(".msg.error").textContent`)
	if !strings.Contains(msg, "bad.yaml") || !strings.Contains(msg, ":7") {
		t.Errorf("the refused upload shows %q; want the file and line", msg)
	}
	b.screenshot(t, "upload-refused")
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("schema_version: 1\nscenario: {id: pair, title: A small pair}\nissues:\n  - id: a\n    options: [p, q, r]\n  - id: b\n    options: [x, y]\nparties:\n  one: {reservation_value: 0.2, weights: {a: 0.6, b: 0.4}, values: {a: {p: 1, q: 0.5, r: 0}, b: {x: 1, y: 0}}}\n  two: {reservation_value: 0.2, weights: {a: 0.5, b: 0.5}, values: {a: {p: 0, q: 0.6, r: 1}, b: {x: 0.3, y: 1}}}\n"), 0o644)
	b.run(t, chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{good}),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(`//h1[normalize-space()="A small pair"]`),
		chromedp.WaitVisible(chromedp.CSS(`.chart canvas`)))
	b.run(t, chromedp.Navigate(ts.URL+"/#/scenario/builtin:iran-us"), chromedp.WaitVisible(chromedp.CSS(`.chart canvas`)))
	checkLabels(t, b, "scenario page")
	b.screenshot(t, "scenario")
	b.screenshot(t, "scenario-view")
	zone := eval[string](t, b, `[...document.querySelectorAll(".facts dt")].find(d => d.textContent === "Zone of agreement").nextElementSibling.textContent`)
	if !strings.HasPrefix(zone, "5,690 ") {
		t.Errorf("the zone of agreement reads %q", zone)
	}
}

// TestPhoneWidth: a party's room at 375 px has no horizontal scroll.
func TestPhoneWidth(t *testing.T) {
	ts := startServer(t)
	b := newBrowser(t, 800, 900)
	c := twoPeople(t, ts, "sao")
	b.run(t, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile), chromedp.Navigate(ts.URL+"/#/seat/"+tokenOf(c.Seats["iran"])), chromedp.WaitVisible(chromedp.CSS(`section.request`)))
	waitState(t, b, "none", "turn")
	b.screenshot(t, "room-phone-view")
	if w := eval[int](t, b, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("the room is %d px wide at a 375 px screen", w)
	}
	// walking away takes a second press: one slip of the finger ends nothing
	b.run(t, chromedp.Click(chromedp.CSS(`section.request button[data-action=end]`)),
		chromedp.WaitVisible(`//button[normalize-space()="Press again to walk away for good"]`))
	var sn api.Snapshot
	do(t, "GET", c.Seats["iran"], nil, http.StatusOK, &sn)
	if sn.Status != "running" {
		t.Fatalf("one press ended the talks: %s", sn.Status)
	}
	b.run(t, chromedp.Click(chromedp.CSS(`section.request button[data-action=end]`)))
	waitState(t, b, "none", "end")
}

// TestPersonFacesPythonAgent: a person plays Iran in the browser against
// the Python example agent (clients/python, a real python3 process) in the
// United States' seat, to the end.
func TestPersonFacesPythonAgent(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is not on PATH: the workbench's test against the Python example agent needs it")
		}
		t.Skip("python3 is not on PATH")
	}
	ts := startServer(t)
	b := newBrowser(t, 1280, 1000)
	c := newSession(t, ts, api.NewSession{Scenario: "builtin:iran-us", Protocol: "sao",
		Deadline: api.Deadline{Rounds: 20}, Seats: map[string]string{"iran": "person", "usa": "agent"}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	agent := exec.CommandContext(ctx, py, filepath.Join("..", "clients", "python", "example_agent.py"), c.Seats["usa"], "--quiet")
	var out strings.Builder
	agent.Stdout, agent.Stderr = &out, &out
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	b.run(t, chromedp.Navigate(ts.URL+"/#/seat/"+tokenOf(c.Seats["iran"])), chromedp.WaitVisible(chromedp.CSS(`section.request`)))
	moves := playIran(t, b, false)
	status := eval[string](t, b, `document.querySelector(".request .big").textContent`)
	t.Logf("after %d moves by the person against the Python agent: %s", moves, status)
	if err := agent.Wait(); err != nil {
		t.Fatalf("the Python agent: %v\n%s", err, out.String())
	}
	b.screenshot(t, "room-vs-python")
	b.sees(t, "iran", secretsOf(t, "usa"))
}

// TestOperatorToken: on a server with an operator token the catalogue asks
// for it, keeps it for the tab, and then works; rooms need none.
func TestOperatorToken(t *testing.T) {
	ts, stop := serveStore(t, filepath.Join(t.TempDir(), "op.db"), server.Options{OperatorToken: "s3cret-operator"})
	defer stop()
	b := newBrowser(t, 1024, 800)
	b.run(t, chromedp.Navigate(ts.URL+"/#/"), chromedp.WaitVisible(chromedp.CSS(`input[name=operator-token]`)))
	checkLabels(t, b, "operator token form")
	b.screenshot(t, "operator-token")
	b.run(t, chromedp.SetValue(chromedp.CSS(`input[name=operator-token]`), "s3cret-operator"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`ul.list li`)),
		chromedp.Navigate(ts.URL+"/#/new"), chromedp.WaitVisible(chromedp.CSS(`select[name="seat-iran"]`)),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`section.links`)))
	room := eval[string](t, b, `document.querySelector('input[aria-label="iran\'s invite link"]').value`)
	person := newBrowser(t, 1024, 800) // a participant: no operator token, only the room link
	person.run(t, chromedp.Navigate(room), chromedp.WaitVisible(chromedp.CSS(`section.request`)))
	waitState(t, person, "none", "turn")
}

// TestRoomReconnects: the server goes away mid-session and comes back on
// the same address and store; the room says it lost the connection, then
// resumes from its last event, showing the other side's move that came in
// meanwhile once and nothing twice.
func TestRoomReconnects(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ln.Close()
	path := filepath.Join(t.TempDir(), "re.db")
	ts, stop := serveStore(t, path, server.Options{BaseURL: base})
	c := twoPeople(t, ts, "sao")
	b := newBrowser(t, 1280, 1000)
	b.run(t, chromedp.Navigate(base+"/#/seat/"+tokenOf(c.Seats["iran"])), chromedp.WaitVisible(chromedp.CSS(`section.request`)))
	_, step := waitState(t, b, "none", "turn")
	b.run(t, chromedp.Click(chromedp.CSS(`button[data-action=find]`)), chromedp.WaitVisible(chromedp.CSS(`table.packages tbody tr`)),
		chromedp.Click(chromedp.CSS(`table.packages tbody tr:last-child button`)), chromedp.WaitVisible(chromedp.CSS(`.breaches li.good`)),
		chromedp.Click(chromedp.CSS(`button[data-action=offer]`)))
	waitState(t, b, step, "wait")

	stop()
	b.run(t, chromedp.WaitVisible(chromedp.CSS(`.status[data-conn=reconnecting]`)))
	b.screenshot(t, "room-reconnecting-view")
	ts, stop = serveStore(t, path, server.Options{BaseURL: base})
	defer stop()
	var sn api.Snapshot
	do(t, "GET", c.Seats["usa"], nil, http.StatusOK, &sn)
	do(t, "POST", c.Seats["usa"]+"/actions", api.Action{Step: sn.Turn.Step, Kind: "offer", Outcome: nash(t)}, http.StatusOK, nil)
	waitState(t, b, step, "turn")
	b.run(t, chromedp.WaitVisible(chromedp.CSS(`.status[data-conn=live]`)))
	rows := eval[[]string](t, b, `[...document.querySelectorAll(".transcript tbody tr")].map(r => r.textContent)`)
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r] {
			t.Errorf("the transcript shows %q twice", r)
		}
		seen[r] = true
	}
	var iran api.Snapshot
	do(t, "GET", c.Seats["iran"], nil, http.StatusOK, &iran)
	if len(rows) != len(iran.Events) {
		t.Errorf("the room shows %d events, the seat has %d", len(rows), len(iran.Events))
	}
	_ = ts
}

// TestConfidentialMediator: a person arbitrates (the protocol gives the
// mediator every party's profile): the room plots the frontier and where
// the texts lie; no party's seat, no mediator without confidential access
// and no owner reads the analysis through a seat route.
func TestConfidentialMediator(t *testing.T) {
	ts := startServer(t)
	c := newSession(t, ts, api.NewSession{Scenario: "builtin:iran-us", Protocol: "sao+post-settlement", Deadline: api.Deadline{Rounds: 20},
		Seats: map[string]string{"iran": "person", "usa": "conceder", "mediator": "person"}})
	do(t, "GET", c.Seats["iran"]+"/analysis", nil, http.StatusForbidden, nil)
	do(t, "GET", ts.URL+"/api/seats/"+tokenOf(c.Owner)+"/analysis", nil, http.StatusForbidden, nil)
	var a api.Analysis
	do(t, "GET", c.Seats["mediator"]+"/analysis", nil, http.StatusOK, &a)
	if a.ZoneOfAgreement <= 0 {
		t.Fatalf("the confidential mediator's analysis: %+v", a)
	}
	st := twoPeople(t, ts, "single-text")
	do(t, "GET", st.Seats["mediator"]+"/analysis", nil, http.StatusForbidden, nil)
	do(t, "GET", st.Seats["mediator"]+"/suggestion", nil, http.StatusForbidden, nil)
	do(t, "GET", c.Seats["iran"]+"/suggestion", nil, http.StatusForbidden, nil)
	do(t, "GET", c.Seats["mediator"]+"/suggestion", nil, http.StatusConflict, nil) // the parties talk first

	b := newBrowser(t, 1280, 1000)
	b.run(t, chromedp.Navigate(ts.URL+"/#/seat/"+tokenOf(c.Seats["mediator"])),
		chromedp.WaitVisible(`//h3[starts-with(normalize-space(), "Where the texts lie")]/following-sibling::div[contains(@class,"chart")]//canvas`))
	checkLabels(t, b, "confidential mediator's room")
	b.screenshot(t, "mediator-confidential")
}

// tabTo presses Tab until the element sel has the focus.
func tabTo(t *testing.T, b *browser, sel string) {
	t.Helper()
	for range 200 {
		if eval[bool](t, b, `!!document.activeElement && document.activeElement.matches(`+jsString(sel)+`)`) {
			return
		}
		b.run(t, chromedp.KeyEvent(kb.Tab))
	}
	t.Fatalf("Tab never reaches %s", sel)
}

// TestKeyboardOnly: a person makes an offer with the keyboard alone — Tab
// to the package search, Enter, Tab to a package, Enter, Tab to "Send
// offer", Enter — and the room counts down the time left for the move
// and for the talks.
func TestKeyboardOnly(t *testing.T) {
	ts := startServer(t)
	c := newSession(t, ts, api.NewSession{Scenario: "builtin:iran-us", Protocol: "sao",
		Deadline: api.Deadline{Rounds: 20, Time: "30m", MoveTime: "5m"}, Seats: map[string]string{"iran": "person", "usa": "boulware"}})
	b := newBrowser(t, 1280, 1000)
	b.run(t, chromedp.Navigate(ts.URL+"/#/seat/"+tokenOf(c.Seats["iran"])), chromedp.WaitVisible(chromedp.CSS(`section.request`)))
	_, step := waitState(t, b, "none", "turn")
	clock := eval[string](t, b, `document.querySelector(".clock").textContent`)
	if !strings.Contains(clock, "left for this move") || !strings.Contains(clock, "left in the talks") {
		t.Errorf("the clock reads %q", clock)
	}
	tabTo(t, b, `button[data-action=find]`)
	b.run(t, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(`table.packages tbody tr`)))
	tabTo(t, b, `table.packages tbody tr:first-child button`)
	b.run(t, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(`.breaches li.good`)))
	tabTo(t, b, `button[data-action=offer]`)
	b.run(t, chromedp.KeyEvent(kb.Enter))
	waitState(t, b, step, "turn", "wait", "end")
	if n := eval[int](t, b, `[...document.querySelectorAll(".transcript tbody tr")].filter(r => r.textContent.includes("iran")).length`); n == 0 {
		t.Error("the offer made by keyboard is not in the transcript")
	}
}

// TestArbitratorSuggests: a person arbitrates; "Suggest a text" fills the
// compose form with what the built-in arbitrator would award (the Nash
// package), and the award sent ends the session.
func TestArbitratorSuggests(t *testing.T) {
	ts := startServer(t)
	c := newSession(t, ts, api.NewSession{Scenario: "builtin:iran-us", Protocol: "arbitration", Deadline: api.Deadline{Rounds: 10},
		Seats: map[string]string{"iran": "boulware", "usa": "boulware", "mediator": "person"}})
	var sg api.Suggestion
	do(t, "GET", c.Seats["mediator"]+"/suggestion", nil, http.StatusOK, &sg)
	want := nash(t)
	if sg.Kind != "offer" || len(sg.Outcome) != len(want) {
		t.Fatalf("suggestion %+v", sg)
	}
	for k, v := range want {
		if sg.Outcome[k] != v {
			t.Fatalf("the arbitrator suggests %v, the Nash package is %v", sg.Outcome, want)
		}
	}
	b := newBrowser(t, 1280, 1000)
	b.run(t, chromedp.Navigate(ts.URL+"/#/seat/"+tokenOf(c.Seats["mediator"])), chromedp.WaitVisible(chromedp.CSS(`section.request`)))
	step := "none"
	_, step = waitState(t, b, step, "turn")
	b.run(t, chromedp.Click(chromedp.CSS(`button[data-action=suggest]`)),
		chromedp.WaitVisible(`//span[contains(., "suggests the text now in the compose form")]`))
	for k, v := range want {
		if got := eval[string](t, b, `document.querySelector('select[name="`+k+`"]').value`); got != v {
			t.Fatalf("the compose form holds %s=%s, the suggestion %s", k, got, v)
		}
	}
	b.screenshot(t, "arbitrator-suggests")
	b.run(t, chromedp.Click(chromedp.CSS(`button[data-action=offer]`)))
	waitState(t, b, step, "end", "turn", "wait")
}
