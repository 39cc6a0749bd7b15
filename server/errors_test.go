package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/api"
)

// call sends a raw request and returns the status and the decoded error.
func call(t *testing.T, method, url, ctype, body string) (int, api.Error, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e api.Error
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(b, &e); err != nil || e.Code == "" || e.Error == "" {
			t.Fatalf("%s %s: %d with a body that is not a JSON error: %s", method, url, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, e, b
}

// TestBadRequestsChangeNothing: every malformed, stale, out-of-turn or
// rule-breaking request gets a 4xx JSON error naming what was wrong, and
// the session stands exactly where it stood; a retry of an accepted action
// gets the same answer and is stored once.
func TestBadRequestsChangeNothing(t *testing.T) {
	e := newEnv(t)
	small := e.upload("small.yaml")
	c := e.create(&api.NewSession{Scenario: small, Protocol: "sao", Deadline: api.Deadline{Rounds: 10}, Seats: map[string]string{"buyer": "agent", "seller": "agent"}})
	buyer, seller := c.Seats["buyer"], c.Seats["seller"]
	ctx := context.Background()
	snap := func() string {
		sn, err := link(t, buyer).Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(sn)
		return string(b)
	}
	good := `{"step":0,"kind":"offer","outcome":{"price":"low","delivery":"fast","warranty":"full"}}`
	before := snap()
	for _, tc := range []struct {
		name, url, ctype, body string
		status                 int
		code, field, says      string
	}{
		{"malformed JSON", buyer + "/actions", "application/json", `{"step":0,`, 400, "invalid", "", "malformed JSON"},
		{"unknown field", buyer + "/actions", "application/json", `{"step":0,"kind":"offer","bribe":1}`, 400, "invalid", "bribe", "unknown field"},
		{"wrong type", buyer + "/actions", "application/json", `{"step":"zero","kind":"offer"}`, 400, "invalid", "step", "want int"},
		{"two values", buyer + "/actions", "application/json", good + good, 400, "invalid", "", "more than one"},
		{"not JSON", buyer + "/actions", "text/plain", good, 400, "invalid", "Content-Type", "application/json"},
		{"empty", buyer + "/actions", "application/json", ``, 400, "invalid", "", "empty"},
		{"huge", buyer + "/actions", "application/json", `{"step":0,"kind":"` + strings.Repeat("x", 1<<17) + `"}`, 413, "too_large", "", "larger than"},
		{"not your turn", seller + "/actions", "application/json", good, 409, "not_your_turn", "", "not your turn"},
		{"future step", buyer + "/actions", "application/json", strings.Replace(good, `"step":0`, `"step":5`, 1), 409, "stale_step", "", "has not been asked"},
		{"wrong kind", buyer + "/actions", "application/json", `{"step":0,"kind":"accept"}`, 422, "invalid_move", "kind", "offer, end"},
		{"no such kind", buyer + "/actions", "application/json", `{"step":0,"kind":"threaten"}`, 422, "invalid_move", "kind", "does not answer"},
		{"unknown issue", buyer + "/actions", "application/json", `{"step":0,"kind":"offer","outcome":{"price":"low","delivery":"fast","warranty":"full","colour":"red"}}`, 422, "invalid_move", "outcome", `unknown issue "colour"`},
		{"unknown value", buyer + "/actions", "application/json", `{"step":0,"kind":"offer","outcome":{"price":"free","delivery":"fast","warranty":"full"}}`, 422, "invalid_move", "outcome", `unknown value "free"`},
		{"missing issue", buyer + "/actions", "application/json", `{"step":0,"kind":"offer","outcome":{"price":"low","delivery":"fast"}}`, 422, "invalid_move", "outcome", `"warranty" has no value`},
		{"breaks a rule", buyer + "/actions", "application/json", `{"step":0,"kind":"offer","outcome":{"price":"low","delivery":"express","warranty":"full"}}`, 422, "invalid_move", "outcome", "no_express_at_low_price"},
		{"own red line", buyer + "/actions", "application/json", `{"step":0,"kind":"offer","outcome":{"price":"high","delivery":"fast","warranty":"full"}}`, 422, "invalid_move", "outcome.price", "red lines"},
		{"outcome with accept", buyer + "/actions", "application/json", `{"step":0,"kind":"end","outcome":{"price":"low"}}`, 422, "invalid_move", "outcome", "only with kind offer"},
		{"owner acts", c.Owner + "/actions", "application/json", good, 404, "not_found", "", "no such route"},
		{"unknown seat", e.http.URL + "/api/seats/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/actions", "application/json", good, 404, "not_found", "", "copied whole"},
		{"wrong method", buyer + "/actions", "", "", 405, "method_not_allowed", "", "use POST"},
		{"unknown route", e.http.URL + "/api/nothing", "", "", 404, "not_found", "", "openapi"},
		{"bad since", buyer + "/stream?since=-3", "", "", 400, "invalid", "since", "number of the last event"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := "POST"
			if tc.body == "" && tc.ctype == "" {
				method = "GET"
			}
			status, er, _ := call(t, method, tc.url, tc.ctype, tc.body)
			if status != tc.status || er.Code != tc.code || er.Field != tc.field || !strings.Contains(er.Error, tc.says) {
				t.Fatalf("got %d %+v; want %d code %s field %q saying %q", status, er, tc.status, tc.code, tc.field, tc.says)
			}
			if after := snap(); after != before {
				t.Fatalf("the session changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	// The owner's link reads the status and the record but acts for no one
	// and reads no seat's view.
	status, _, _ := call(t, "GET", c.Owner, "", "")
	if status != 200 {
		t.Fatalf("owner status: %d", status)
	}
	// An accepted action, then its retry: same answer, stored once.
	status, _, first := call(t, "POST", buyer+"/actions", "application/json", good)
	if status != 200 {
		t.Fatalf("good action: %d %s", status, first)
	}
	status, _, again := call(t, "POST", buyer+"/actions", "application/json", good)
	if status != 200 || string(again) != string(first) {
		t.Fatalf("retry: %d %s, want 200 %s", status, again, first)
	}
	// The same step with another answer is stale.
	status, er, _ := call(t, "POST", buyer+"/actions", "application/json", strings.Replace(good, "full", "none", 1))
	if status != 409 || er.Code != "stale_step" || er.Step == nil || *er.Step != 1 {
		t.Fatalf("other answer for an answered step: %d %+v", status, er)
	}
	sn, _ := link(t, seller).Snapshot(ctx)
	if sn.Turn == nil || sn.Turn.Step != 1 || sn.Turn.Request.Kind != "respond" {
		t.Fatalf("seller's turn after one offer: %+v", sn.Turn)
	}
	st, err := link(t, c.Owner).Status(ctx)
	if err != nil || st.Step != 1 || st.Events != 1 {
		t.Fatalf("owner status after one action and a retry: %+v %v", st, err)
	}
}

// TestNoAcceptingAcrossOwnRedLine: a red line is a value the party never
// accepts, so a party's seat cannot accept an offer that crosses one of its
// own (422, nothing changed); rejecting it is fine.
func TestNoAcceptingAcrossOwnRedLine(t *testing.T) {
	e := newEnv(t)
	small := e.upload("small.yaml")
	c := e.create(&api.NewSession{Scenario: small, Protocol: "sao", Deadline: api.Deadline{Rounds: 10}, Seats: map[string]string{"buyer": "agent", "seller": "agent"}})
	offer := `{"step":0,"kind":"offer","outcome":{"price":"mid","delivery":"express","warranty":"full"}}`
	if status, _, body := call(t, "POST", c.Seats["buyer"]+"/actions", "application/json", offer); status != 200 {
		t.Fatalf("offer: %d %s", status, body)
	}
	status, er, _ := call(t, "POST", c.Seats["seller"]+"/actions", "application/json", `{"step":1,"kind":"accept"}`)
	if status != 422 || er.Code != "invalid_move" || !strings.Contains(er.Error, "delivery = express, which crosses one of your red lines") {
		t.Fatalf("accepting across a red line: %d %+v", status, er)
	}
	if status, _, body := call(t, "POST", c.Seats["seller"]+"/actions", "application/json", `{"step":1,"kind":"reject"}`); status != 200 {
		t.Fatalf("rejecting it: %d %s", status, body)
	}
}
