package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/api"
)

// fuzzRequest sends body to the route and checks that the server answers
// with a status it documents and, for errors, a JSON error naming a code.
func fuzzRequest(t *testing.T, h http.Handler, method, url, body string, ok ...int) {
	req := httptest.NewRequest(method, url, strings.NewReader(body))
	req.RemoteAddr = "127.0.0.1:40000" // the operator's machine
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	allowed := false
	for _, s := range ok {
		allowed = allowed || rec.Code == s
	}
	if !allowed {
		t.Fatalf("%s %q: status %d: %s", url, body, rec.Code, rec.Body)
	}
	if rec.Code >= 400 {
		var e api.Error
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" || e.Error == "" {
			t.Fatalf("%q: %d with body %q", body, rec.Code, rec.Body)
		}
	}
}

// FuzzAction posts arbitrary bodies as a seat's action: the server never
// panics, and answers 200 or a documented 4xx with a JSON error.
func FuzzAction(f *testing.F) {
	e := start(f, f.TempDir()+"/fuzz.db")
	c, err := e.c.CreateSession(f.Context(), &api.NewSession{Scenario: "builtin:iran-us", Protocol: "single-text/annealer",
		Seats: map[string]string{"iran": "agent", "usa": "agent", "mediator": "agent"}})
	if err != nil {
		f.Fatal(err)
	}
	h := e.srv.Handler()
	path := strings.TrimPrefix(c.Seats["mediator"], e.http.URL) + "/actions"
	for _, s := range []string{`{"step":0,"kind":"offer","outcome":{"enrichment":"zero_enrichment"}}`, `{"step":0,"kind":"end"}`,
		`{"step":-1}`, `{"kind":null}`, `[]`, `{"step":1e99}`, `{"outcome":{"a":1}}`, "\x00", `{"step":0,"kind":"offer","outcome":{}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fuzzRequest(t, h, "POST", path, body, 200, 400, 409, 413, 422)
	})
}

// FuzzNewSession posts arbitrary bodies to create a session.
func FuzzNewSession(f *testing.F) {
	e := start(f, f.TempDir()+"/fuzz.db")
	h := e.srv.Handler()
	for _, s := range []string{`{"scenario":"builtin:iran-us","protocol":"sao","seats":{"iran":"agent","usa":"boulware"}}`,
		`{"scenario":"builtin:iran-us","seats":{"iran":"x:e=2","usa":"person"},"deadline":{"time":"-1s"}}`,
		`{"scenario":"builtin:nope"}`, `{"seats":{"mediator":"agent"}}`, `{"deadline":{"rounds":-5}}`, `{"seed":-1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fuzzRequest(t, h, "POST", "/api/sessions", body, 201, 400, 404, 413)
	})
}
