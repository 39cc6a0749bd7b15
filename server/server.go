// Package server is backchannel's HTTP API: scenarios, sessions, and the
// seat protocol by which remote agents and people take part (docs/server.md;
// the OpenAPI document is served at /api/openapi.json). It only decodes,
// checks and routes: every rule of a negotiation, and every decision about
// who may see what, belongs to package session and the mechanisms.
//
// Capability links carry the tokens: /api/seats/{token} opens one seat of
// one session, /api/owner/{token} the owner's view. Request paths are never
// logged, so tokens do not reach the logs; responses carry Referrer-Policy:
// no-referrer so that they do not leak through links either.
package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/session"
)

// Limits on requests.
const (
	MaxBody       = 64 << 10 // an action or a new session
	MaxUpload     = 16 << 20 // a scenario upload, all files together
	writeTimeout  = 30 * time.Second
	DefaultPing   = 15 * time.Second
	badBurst      = 40 // bad requests a client may make at once …
	badRefillRate = 2  // … and then per second
)

// Options configure a Server.
type Options struct {
	Logger *slog.Logger
	// BaseURL prefixes the links the server hands out; empty: http:// and
	// the request's Host.
	BaseURL string
	// CORSOrigin, when set, is the one origin allowed to call the API from
	// a browser page served elsewhere. Empty: no CORS headers.
	CORSOrigin string
	// Ping is how often an idle stream gets a keep-alive line (DefaultPing).
	Ping time.Duration
	// OperatorToken, when set, must come as "Authorization: Bearer TOKEN"
	// with every operator request: listing, uploading and analysing
	// scenarios and creating sessions, which read or reveal every party's
	// preferences. When empty, operator requests are taken only from
	// loopback addresses (the server binds loopback unless told otherwise).
	// Seats and owners never need it: their links carry their tokens.
	OperatorToken string
	// BadRequestBurst is how many bad requests (4xx other than 409) one
	// address may make at once before it is answered 429; they are then
	// allowed at 2 a second. 0: 40; negative: no limit.
	BadRequestBurst int
}

// Server serves the API over a session.Manager.
type Server struct {
	m      *session.Manager
	o      Options
	log    *slog.Logger
	mux    *http.ServeMux
	bad    *limiter
	Routes []Route // the routes, for the OpenAPI test and the docs

	draining  chan struct{}
	drainOnce sync.Once
}

// Route is one path of the API and the methods it takes.
type Route struct {
	Pattern string
	Methods []string
}

// New returns a Server over m.
func New(m *session.Manager, o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Ping <= 0 {
		o.Ping = DefaultPing
	}
	burst := float64(o.BadRequestBurst)
	switch {
	case burst == 0:
		burst = badBurst
	case burst < 0:
		burst = math.Inf(1)
	}
	s := &Server{m: m, o: o, log: o.Logger, mux: http.NewServeMux(), bad: newLimiter(burst, badRefillRate), draining: make(chan struct{})}
	s.route("/healthz", map[string]http.HandlerFunc{"GET": s.health})
	s.route("/api/openapi.json", map[string]http.HandlerFunc{"GET": s.openapi})
	s.route("/api/scenarios", map[string]http.HandlerFunc{"GET": s.operator(s.listScenarios), "POST": s.operator(s.upload)})
	s.route("/api/scenarios/{id}", map[string]http.HandlerFunc{"GET": s.getScenario})
	s.route("/api/sessions", map[string]http.HandlerFunc{"POST": s.operator(s.createSession)})
	s.route("/api/owner/{token}", map[string]http.HandlerFunc{"GET": s.status})
	s.route("/api/owner/{token}/record", map[string]http.HandlerFunc{"GET": s.record})
	s.route("/api/seats/{token}", map[string]http.HandlerFunc{"GET": s.snapshot})
	s.route("/api/seats/{token}/stream", map[string]http.HandlerFunc{"GET": s.stream})
	s.route("/api/seats/{token}/actions", map[string]http.HandlerFunc{"POST": s.act})
	s.web() // the workbench: server/web.go
	s.logRoutes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, api.Error{Error: "no such route: see /api/openapi.json", Code: session.CodeNotFound})
	})
	return s
}

// route registers handlers by method for one path; other methods get 405
// with a JSON error and an Allow header.
func (s *Server) route(pattern string, byMethod map[string]http.HandlerFunc) {
	var methods []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		if byMethod[m] != nil {
			methods = append(methods, m)
		}
	}
	s.Routes = append(s.Routes, Route{Pattern: pattern, Methods: methods})
	allow := strings.Join(methods, ", ")
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		h := byMethod[r.Method]
		if r.Method == "HEAD" {
			h = byMethod["GET"]
		}
		if h == nil {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, api.Error{Error: r.Method + " is not allowed here; use " + allow, Code: "method_not_allowed"})
			return
		}
		h(w, r)
	})
}

// Handler returns the server's handler with its middleware: security
// headers, CORS if configured, the bad-request limiter, and logging.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		h.Set("Cache-Control", "no-store")
		if s.o.CORSOrigin != "" && r.Header.Get("Origin") == s.o.CORSOrigin {
			h.Set("Access-Control-Allow-Origin", s.o.CORSOrigin)
			h.Set("Vary", "Origin")
			if r.Method == "OPTIONS" {
				h.Set("Access-Control-Allow-Methods", "GET, POST")
				h.Set("Access-Control-Allow-Headers", "Content-Type, Last-Event-ID")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		// Bad requests are counted per address, except a seat's moves
		// that break the rules (422), which count against that link only:
		// a person's slips or one faulty agent must not lock out the other
		// seats on the same machine or behind the same NAT, while guessing
		// tokens (404s) still counts against the address.
		client := clientOf(r)
		linkKey := ""
		if t := tokenOf(r.URL.Path); t != "" {
			linkKey = client + "|" + t
		}
		if !s.bad.allowed(client) || (linkKey != "" && !s.bad.allowed(linkKey)) {
			h.Set("Retry-After", "5")
			writeError(w, http.StatusTooManyRequests, api.Error{Error: "too many bad requests from this address: wait a few seconds, then fix the request", Code: "rate_limited"})
			return
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		if !strings.HasSuffix(r.URL.Path, "/stream") {
			http.NewResponseController(w).SetWriteDeadline(time.Now().Add(writeTimeout))
		}
		s.mux.ServeHTTP(rec, r)
		switch {
		case rec.status == http.StatusUnprocessableEntity && linkKey != "":
			s.bad.spend(linkKey)
		case rec.status >= 400 && rec.status < 500 && rec.status != http.StatusConflict:
			s.bad.spend(client)
		}
		s.log.Debug("request", "method", r.Method, "route", r.Pattern, "status", rec.status, "ms", time.Since(start).Milliseconds())
	})
}

// operator admits only the operator to h: with OperatorToken set, a
// request bearing it; otherwise a request from a loopback address. Whoever
// may create sessions on a scenario may seat themselves anywhere in it and
// read every profile, so this is the line between the operator and the
// people and agents at the table.
func (s *Server) operator(h http.HandlerFunc) http.HandlerFunc {
	want := sha256.Sum256([]byte(s.o.OperatorToken))
	return func(w http.ResponseWriter, r *http.Request) {
		if s.o.OperatorToken == "" {
			if ip := net.ParseIP(clientOf(r)); ip == nil || !ip.IsLoopback() {
				writeError(w, http.StatusForbidden, api.Error{Error: "this server takes operator requests (scenarios, new sessions) from its own machine only: start it with --operator-token to allow them from elsewhere", Code: "operator_only"})
				return
			}
			h(w, r)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		g := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(g[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="backchannel operator"`)
			writeError(w, http.StatusUnauthorized, api.Error{Error: "operator requests need the operator token: send it as 'Authorization: Bearer TOKEN' (serve printed it at start)", Code: "unauthorized"})
			return
		}
		h(w, r)
	}
}

// tokenOf returns the capability token in a seat's or owner's path, or "".
func tokenOf(path string) string {
	for _, p := range []string{"/api/seats/", "/api/owner/"} {
		if rest, ok := strings.CutPrefix(path, p); ok {
			t, _, _ := strings.Cut(rest, "/")
			return t
		}
	}
	return ""
}

func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// recorder notes the status a handler wrote.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes and
// deadlines of streams).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// limiter is a token bucket per client address, spent by bad requests.
type limiter struct {
	mu      sync.Mutex
	burst   float64
	rate    float64
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(burst, rate float64) *limiter {
	return &limiter{burst: burst, rate: rate, buckets: map[string]*bucket{}}
}

func (l *limiter) refill(client string, now time.Time) *bucket {
	b, ok := l.buckets[client]
	if !ok {
		if len(l.buckets) > 10000 { // forget the full buckets of the past
			for k, x := range l.buckets {
				if x.tokens+now.Sub(x.at).Seconds()*l.rate >= l.burst {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[client] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	return b
}

func (l *limiter) allowed(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refill(client, time.Now()).tokens >= 1
}

func (l *limiter) spend(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(client, time.Now())
	b.tokens = max(0, b.tokens-1)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, e api.Error) {
	writeJSON(w, status, e)
}

// fail writes err as the API's error.
func (s *Server) fail(w http.ResponseWriter, err error) {
	var se *session.Error
	if !errors.As(err, &se) {
		s.log.Error("internal error", "err", err)
		writeError(w, http.StatusInternalServerError, api.Error{Error: "internal error: " + err.Error(), Code: "internal"})
		return
	}
	status := map[string]int{
		session.CodeInvalid: http.StatusBadRequest, session.CodeNotFound: http.StatusNotFound,
		session.CodeForbidden: http.StatusForbidden, session.CodeStale: http.StatusConflict,
		session.CodeNotYourTurn: http.StatusConflict, session.CodeEnded: http.StatusConflict,
		session.CodeRejected: http.StatusUnprocessableEntity, session.CodeUnavailable: http.StatusServiceUnavailable,
		session.CodeNoAgreement: http.StatusConflict,
	}[se.Code]
	if status == 0 {
		status = http.StatusBadRequest
	}
	writeError(w, status, api.Error{Error: se.Message, Code: se.Code, Field: se.Field, Step: se.Step})
}

// decode reads one JSON value of at most limit bytes into v, refusing
// unknown fields and trailing data. Errors name the field.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
			return &session.Error{Code: session.CodeInvalid, Field: "Content-Type", Message: "send the body as application/json, not " + ct}
		}
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, limit)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &session.Error{Code: session.CodeInvalid, Message: "the body holds more than one JSON value: send exactly one object"}
	}
	return nil
}

// errTooLarge marks a body over its limit (413).
type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("the body is larger than %d bytes", e.limit)
}

func jsonError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &mbe):
		return errTooLarge{limit}
	case errors.As(err, &te):
		return &session.Error{Code: session.CodeInvalid, Field: te.Field, Message: fmt.Sprintf("field %q: got a JSON %s, want %s", te.Field, te.Value, te.Type)}
	case errors.As(err, &se):
		return &session.Error{Code: session.CodeInvalid, Message: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, err)}
	case errors.Is(err, io.EOF):
		return &session.Error{Code: session.CodeInvalid, Message: "the body is empty: send a JSON object"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &session.Error{Code: session.CodeInvalid, Field: f, Message: fmt.Sprintf("unknown field %q: see /api/openapi.json for the fields this route takes", f)}
	}
	return &session.Error{Code: session.CodeInvalid, Message: "malformed JSON: " + err.Error()}
}

func (s *Server) failDecode(w http.ResponseWriter, err error) {
	var tl errTooLarge
	if errors.As(err, &tl) {
		writeError(w, http.StatusRequestEntityTooLarge, api.Error{Error: tl.Error() + ": send less", Code: "too_large"})
		return
	}
	s.fail(w, err)
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

var newline = []byte{'\n'}

//go:embed openapi.json
var openapiDoc []byte

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openapiDoc)
}

func (s *Server) listScenarios(w http.ResponseWriter, r *http.Request) {
	list, err := s.m.Scenarios(r.Context())
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"scenarios": list})
}

func (s *Server) getScenario(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	sc, err := s.m.Scenario(r.Context(), id)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, session.Info(id, sc))
}

// upload takes one scenario file as the body (its name in ?name=, else
// guessed from the content), or several as multipart/form-data.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	body := http.MaxBytesReader(w, r.Body, MaxUpload)
	files := map[string][]byte{}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				s.failDecode(w, uploadError(err))
				return
			}
			name := p.FileName()
			if name == "" {
				continue
			}
			if len(files) == session.MaxUploadFiles {
				s.fail(w, &session.Error{Code: session.CodeInvalid, Field: "files", Message: fmt.Sprintf("more than %d files", session.MaxUploadFiles)})
				return
			}
			data, err := io.ReadAll(p)
			if err != nil {
				s.failDecode(w, uploadError(err))
				return
			}
			if _, dup := files[name]; dup {
				s.fail(w, &session.Error{Code: session.CodeInvalid, Field: "files", Message: "file " + name + " is given twice"})
				return
			}
			files[name] = data
		}
	} else {
		data, err := io.ReadAll(body)
		if err != nil {
			s.failDecode(w, uploadError(err))
			return
		}
		name := r.URL.Query().Get("name")
		if name == "" {
			name = "scenario.yaml"
			if t := strings.TrimLeft(string(data[:min(len(data), 64)]), " \t\r\n\ufeff"); strings.HasPrefix(t, "{") {
				name = "scenario.json"
			} else if strings.HasPrefix(t, "<") {
				name = "scenario.xml"
			}
		}
		files[name] = data
	}
	info, err := s.m.Upload(r.Context(), files)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, info)
}

func uploadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge{MaxUpload}
	}
	return &session.Error{Code: session.CodeInvalid, Field: "files", Message: "reading the upload: " + err.Error()}
}

func (s *Server) base(r *http.Request) string {
	if s.o.BaseURL != "" {
		return strings.TrimRight(s.o.BaseURL, "/")
	}
	return "http://" + r.Host
}

func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	var req api.NewSession
	if err := decode(w, r, MaxBody, &req); err != nil {
		s.failDecode(w, err)
		return
	}
	id, owner, seats, err := s.m.Create(r.Context(), &req)
	if err != nil {
		s.fail(w, err)
		return
	}
	base := s.base(r)
	c := api.Created{Session: id, Owner: base + "/api/owner/" + owner, Seats: map[string]string{}}
	for role, t := range seats {
		c.Seats[role] = base + "/api/seats/" + t
	}
	writeJSON(w, http.StatusCreated, c)
}

// access resolves the {token} of the path.
func (s *Server) access(w http.ResponseWriter, r *http.Request) (session.Access, bool) {
	acc, err := s.m.Access(r.Context(), r.PathValue("token"))
	if err != nil {
		s.fail(w, err)
		return acc, false
	}
	return acc, true
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	st, err := s.m.Status(r.Context(), acc)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) record(w http.ResponseWriter, r *http.Request) {
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	if acc.Role != session.OwnerRole {
		s.fail(w, &session.Error{Code: session.CodeForbidden, Message: "only the owner's link reads the whole record"})
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", `attachment; filename="`+acc.Session+`.jsonl"`)
	if err := s.m.Record(r.Context(), acc, w); err != nil {
		s.log.Error("record", "session", acc.Session, "err", err)
	}
}

// since reads where a stream resumes: ?since=N, else the Last-Event-ID
// header, else 0 (from the start).
func since(r *http.Request) (int, error) {
	v := r.URL.Query().Get("since")
	field := "since"
	if v == "" {
		v, field = r.Header.Get("Last-Event-ID"), "Last-Event-ID"
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, &session.Error{Code: session.CodeInvalid, Field: field, Message: field + " must be the number of the last event received (0 or more), not " + strconv.Quote(v)}
	}
	return n, nil
}

func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) {
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	n, err := since(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	ctx, err := withTree(r.Context(), r)
	if err != nil {
		s.fail(w, err)
		return
	}
	sn, err := s.m.Snapshot(ctx, acc, n)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, sn)
}

func (s *Server) act(w http.ResponseWriter, r *http.Request) {
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	var a api.Action
	if err := decode(w, r, MaxBody, &a); err != nil {
		s.failDecode(w, err)
		return
	}
	ack, err := s.m.Act(r.Context(), acc, &a)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ack)
}

// stream serves a seat's stream: NDJSON, or Server-Sent Events when the
// client accepts text/event-stream.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	n, err := since(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	sse := strings.Contains(r.Header.Get("Accept"), "text/event-stream")
	rc := http.NewResponseController(w)
	started := false
	start := func() {
		if started {
			return
		}
		started = true
		if sse {
			w.Header().Set("Content-Type", "text/event-stream")
		} else {
			w.Header().Set("Content-Type", "application/x-ndjson")
		}
		w.Header().Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
	}
	flush := func() error {
		if err := rc.Flush(); err != nil {
			return err
		}
		return rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	}
	// send writes what one commit made visible to the seat and flushes
	// once: one write on the connection, however many messages.
	send := func(ms []session.Message) error {
		rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		start()
		for _, m := range ms {
			var err error
			if sse {
				_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", m.Seq, m.Type, m.JSON)
			} else if _, err = w.Write(m.JSON); err == nil {
				_, err = w.Write(newline)
			}
			if err != nil {
				return err
			}
		}
		return flush()
	}
	ping := func() error {
		rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		start()
		var err error
		if sse {
			_, err = io.WriteString(w, ": ping\n\n")
		} else {
			_, err = io.WriteString(w, "\n")
		}
		if err != nil {
			return err
		}
		return flush()
	}
	tctx, err := withTree(r.Context(), r)
	if err != nil {
		s.fail(w, err)
		return
	}
	ctx, cancel := context.WithCancel(tctx)
	defer cancel()
	go func() {
		select {
		case <-s.draining:
			cancel()
		case <-ctx.Done():
		}
	}()
	err = s.m.Stream(ctx, acc, n, s.o.Ping, send, ping)
	if err != nil && !started {
		s.fail(w, err)
		return
	}
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, session.ErrReload) {
		s.log.Debug("stream ended", "session", acc.Session, "err", err)
	}
}

// HTTPServer returns an http.Server for the handler with the timeouts a
// public server needs: slow or idle clients are cut off (headers within
// 10 s, a request body within a minute, idle keep-alive connections after
// two minutes); answers have 30 s to be written, streams 30 s per write.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
}

// Drain ends every open stream (their clients reconnect elsewhere or
// later); call it when shutting down, before http.Server.Shutdown, which
// otherwise waits for streams that never go idle.
func (s *Server) Drain() {
	s.drainOnce.Do(func() { close(s.draining) })
}
