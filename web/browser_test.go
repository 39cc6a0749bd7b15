package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/client"
	"github.com/backchannel/backchannel/scenario"
	"github.com/backchannel/backchannel/server"
	"github.com/backchannel/backchannel/session"
	"github.com/backchannel/backchannel/store/sqlite"
)

// The workbench tested as a person uses it: Debian's Chromium drives the
// pages the binary embeds, against the real server over loopback.

// startServer serves a fresh session store (SQLite in a temporary folder).
func startServer(t *testing.T) *httptest.Server {
	t.Helper()
	ts, stop := serveStore(t, filepath.Join(t.TempDir(), "web.db"))
	t.Cleanup(stop)
	return ts
}

// serveStore serves the session store in the SQLite file path until stop.
func serveStore(t *testing.T, path string, opts ...server.Options) (ts *httptest.Server, stop func()) {
	t.Helper()
	var o server.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.Open(ctx, st, session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(m, o)
	ts = httptest.NewUnstartedServer(srv.Handler())
	if o.BaseURL != "" { // serve at the address the base URL names (a restart keeps its address)
		ln, err := net.Listen("tcp", strings.TrimPrefix(o.BaseURL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		ts.Listener.Close()
		ts.Listener = ln
	}
	ts.Start()
	return ts, sync.OnceFunc(func() {
		srv.Drain()
		ts.Close()
		m.Close()
		st.Close()
	})
}

// chromium finds Debian's Chromium; without it the test is skipped, except
// under CI=true, where it fails (.ci/run installs it).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("BACKCHANNEL_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed: .ci/run installs Debian's chromium (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium); the browser tests need it")
	return ""
}

// browser is one headless Chromium with a fresh profile and a recorder of
// every URL it requested and every response body it received (the
// messages of its event streams included).
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	urls   []string
	bodies []string
	done   chan struct{}
}

func newBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	profile := t.TempDir()
	// Cleanups run last first: the contexts are cancelled, then a browser
	// still alive is killed (and waited for), then the profile is removed.
	var proc *os.Process
	t.Cleanup(func() {
		if proc == nil {
			return
		}
		proc.Kill()
		for range 100 {
			if proc.Signal(syscall.Signal(0)) != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	b := tab(t, ctx)
	if c := chromedp.FromContext(ctx); c != nil && c.Browser != nil {
		proc = c.Browser.Process()
	}
	return b
}

// newTab opens another tab of b's browser, with its own recorder.
func (b *browser) newTab(t *testing.T) *browser {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	return tab(t, ctx)
}

func tab(t *testing.T, ctx context.Context) *browser {
	t.Helper()
	b := &browser{ctx: ctx, done: make(chan struct{})}
	ids := make(chan network.RequestID, 4096)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		chromedp.Cancel(ctx)
		<-b.done
	})
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.mu.Lock()
			b.urls = append(b.urls, e.Request.URL)
			b.mu.Unlock()
		case *network.EventEventSourceMessageReceived:
			b.mu.Lock()
			b.bodies = append(b.bodies, e.Data)
			b.mu.Unlock()
		case *network.EventLoadingFinished:
			select {
			case ids <- e.RequestID:
			default:
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() { // fetch each finished response's body (commands may not run in the listener)
		defer close(b.done)
		for {
			select {
			case <-ctx.Done():
				return
			case id := <-ids:
				res, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
				if err == nil {
					b.mu.Lock()
					b.bodies = append(b.bodies, string(res.Body))
					b.mu.Unlock()
				}
			}
		}
	}()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	return b
}

// sees fails the test if the page's text or any response the tab received
// holds one of the secrets.
func (b *browser) sees(t *testing.T, who string, secrets []string) {
	t.Helper()
	text := eval[string](t, b, `document.body.innerText`)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.bodies) == 0 {
		t.Fatalf("%s: no network response was recorded", who)
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s's page shows another side's preferences: %q", who, s)
		}
		for _, body := range b.bodies {
			if strings.Contains(body, s) {
				t.Errorf("%s's browser received another side's preferences: %q in %.200s", who, s, body)
			}
		}
	}
	for _, u := range b.urls {
		if strings.Contains(u, "/api/scenarios") || strings.Contains(u, "/api/owner/") {
			t.Errorf("%s's room requested %s, which it must not", who, u)
		}
	}
}

// secretsOf returns strings that only party id's profile holds: its name,
// the start of each rationale, and its key in a profile map.
func secretsOf(t *testing.T, id string) []string {
	t.Helper()
	sc, err := scenario.Builtin("iran-us")
	if err != nil {
		t.Fatal(err)
	}
	p := sc.Parties[sc.PartyIndex(id)]
	out := []string{p.Name, `"` + id + `":{`}
	for _, r := range p.Rationale {
		out = append(out, r[:min(len(r), 60)])
	}
	return out
}

func (b *browser) run(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// screenshot writes a full-page PNG (only the viewport for a name ending
// in "-view") to $BACKCHANNEL_SCREENSHOTS (or the
// test's temporary folder) as a test artefact.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("BACKCHANNEL_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	shot := chromedp.FullScreenshot(100)
	if strings.HasSuffix(name, "-view") {
		shot = chromedp.CaptureScreenshot()
	}
	png, err := chromedp.Run(b.ctx, shot)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// eval returns the value of a JavaScript expression on the page.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// unlabelled lists the page's controls that have no accessible name or
// cannot be reached by keyboard.
const unlabelled = `[...document.querySelectorAll("input,select,textarea,button,a[href]")].filter(el => {
  if (el.closest("[hidden]") || el.type === "hidden") return false;
  const named = (el.labels && el.labels.length) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") || el.textContent.trim();
  return !named || el.tabIndex < 0;
}).map(el => el.outerHTML.slice(0, 120))`

func checkLabels(t *testing.T, b *browser, page string) {
	t.Helper()
	if bad := eval[[]string](t, b, unlabelled); len(bad) > 0 {
		t.Errorf("%s: controls without a label or out of keyboard reach:\n%s", page, strings.Join(bad, "\n"))
	}
}

// waitState waits until the room's request card is in one of the wanted
// states ("turn", "wait", "end") at a step other than notStep, and returns
// the state and the step.
func waitState(t *testing.T, b *browser, notStep string, want ...string) (string, string) {
	t.Helper()
	var s [2]string
	for {
		s = eval[[2]string](t, b, `(() => { const r = document.querySelector("section.request");
  return r ? [r.dataset.state || "", r.dataset.step || ""] : ["", ""]; })()`)
		if s[0] == "end" || s[1] != notStep {
			for _, w := range want {
				if s[0] == w {
					return s[0], s[1]
				}
			}
		}
		select {
		case <-b.ctx.Done():
			t.Fatalf("the room never reached %v (last %q)", want, s)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func newSession(t *testing.T, ts *httptest.Server, req api.NewSession) *api.Created {
	t.Helper()
	c := client.New(ts.URL)
	created, err := c.CreateSession(context.Background(), &req)
	if err != nil {
		t.Fatal(err)
	}
	return created
}

func tokenOf(link string) string { return link[strings.LastIndex(link, "/")+1:] }

// TestPersonPlaysAgainstStrategy: a person takes Iran's seat in the browser
// and plays a whole session under SAO against a built-in strategy: offers
// composed from the package browser, the strategy's offers scored against
// Iran's profile, accepted once one reaches Iran's walk-away value. A reload
// mid-session loses nothing. The room never shows, and the browser never
// receives, anything of the United States' preferences.
func TestPersonPlaysAgainstStrategy(t *testing.T) {
	ts := startServer(t)
	b := newBrowser(t, 1280, 1000)
	created := newSession(t, ts, api.NewSession{Scenario: "builtin:iran-us", Protocol: "sao",
		Deadline: api.Deadline{Rounds: 20}, Seats: map[string]string{"iran": "person", "usa": "conceder"}})
	room := ts.URL + "/#/seat/" + tokenOf(created.Seats["iran"])

	b.run(t, chromedp.Navigate(room), chromedp.WaitVisible(chromedp.CSS(`section.request`)))
	waitState(t, b, "none", "turn")
	checkLabels(t, b, "party room")
	b.screenshot(t, "room-start")

	moves := playIran(t, b, true)
	b.screenshot(t, "room-end")
	status := eval[string](t, b, `document.querySelector(".request .big").textContent`)
	t.Logf("after %d moves by the person: %s", moves, status)
	if !strings.HasPrefix(status, "Agreement") && !strings.HasPrefix(status, "No agreement") {
		t.Errorf("the end shows %q", status)
	}
	if n := eval[int](t, b, `document.querySelectorAll(".chart canvas").length`); n == 0 {
		t.Error("the history chart was not drawn")
	}

	// the room never showed or received the other side's preferences
	b.sees(t, "iran", secretsOf(t, "usa"))
	b.mu.Lock()
	defer b.mu.Unlock()
	var sawSnapshot bool
	for _, body := range b.bodies {
		var sn api.Snapshot
		if json.Unmarshal([]byte(body), &sn) == nil && sn.Type == "snapshot" {
			sawSnapshot = true
		}
	}
	if !sawSnapshot {
		t.Error("no snapshot among the recorded responses: the recorder missed the API")
	}
}

// TestEditedTokenOpensNothing: a person who edits the token in the URL
// gets no room and no events.
func TestEditedTokenOpensNothing(t *testing.T) {
	ts := startServer(t)
	b := newBrowser(t, 800, 600)
	created := newSession(t, ts, api.NewSession{Scenario: "builtin:iran-us", Protocol: "sao",
		Deadline: api.Deadline{Rounds: 12}, Seats: map[string]string{"iran": "person", "usa": "person"}})
	tok := tokenOf(created.Seats["iran"])
	edited := tok[:len(tok)-1] + map[bool]string{true: "A", false: "B"}[!strings.HasSuffix(tok, "A")]
	b.run(t, chromedp.Navigate(ts.URL+"/#/seat/"+edited), chromedp.WaitVisible(`//h1[normalize-space()="This link opens no room"]`))
	if n := eval[int](t, b, `document.querySelectorAll(".transcript, .compose").length`); n != 0 {
		t.Errorf("an edited token shows %d room parts", n)
	}
}

// playIran plays Iran's room to the end as a person would: it accepts an
// offer or text that reaches Iran's walk-away value without crossing a red
// line, and otherwise sends a package from the package browser a little
// above what it now asks for (conceding from 0.80 towards 0.55). With
// shots, it takes screenshots and reloads the page once mid-session,
// checking that nothing is lost. It returns the number of moves made.
func playIran(t *testing.T, b *browser, shots bool) int {
	t.Helper()
	moves, last := 0, "none"
	for {
		s, step := waitState(t, b, last, "turn", "end")
		if s == "end" {
			break
		}
		if shots && moves == 3 { // a reload mid-session loses nothing
			before := eval[int](t, b, `document.querySelectorAll(".transcript tbody tr").length`)
			b.run(t, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`section.request`)))
			waitState(t, b, "none", "turn")
			if after := eval[int](t, b, `document.querySelectorAll(".transcript tbody tr").length`); after != before {
				t.Fatalf("after a reload the transcript has %d events, before it had %d", after, before)
			}
		}
		moves++
		last = step
		if eval[bool](t, b, `!!document.querySelector(".request tfoot td.good")`) {
			if shots {
				b.screenshot(t, "room-acceptable-offer")
			}
			b.run(t, chromedp.Click(chromedp.CSS(`section.request button[data-action=accept]`)))
			continue
		}
		// ask the package browser for packages a little above what Iran
		// now asks for (conceding from 0.80 towards 0.55), and send one
		floor := max(0.55, 0.80-0.03*float64(moves))
		b.run(t,
			chromedp.SetValue(chromedp.CSS(`input[name=min]`), fmt.Sprintf("%.2f", floor)),
			chromedp.SetValue(chromedp.CSS(`input[name=max]`), fmt.Sprintf("%.2f", floor+0.05)),
			chromedp.Click(chromedp.CSS(`button[data-action=find]`)),
			chromedp.WaitVisible(chromedp.CSS(`table.packages tbody tr`)),
		)
		if shots && moves == 1 {
			b.screenshot(t, "room-packages")
		}
		b.run(t, chromedp.Click(chromedp.CSS(fmt.Sprintf(`table.packages tbody tr:nth-child(%d) button`, 1+moves%3))),
			chromedp.WaitVisible(chromedp.CSS(`.breaches li.good`)))
		if shots && moves == 1 {
			b.screenshot(t, "room-compose")
			b.screenshot(t, "room-compose-view")
		}
		b.run(t, chromedp.Click(chromedp.CSS(`button[data-action=offer]`)))
	}
	return moves
}
