// Package client is the Go client of backchannel's HTTP API (package api,
// docs/server.md): it creates sessions, uploads scenarios, follows a seat's
// stream across reconnects, acts for a seat, and plays a seat with any
// in-process mechanism.Party (Play). The command line ('backchannel
// session', 'backchannel agent'), the tests and the load tool use it.
package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/backchannel/backchannel/api"
)

// Client talks to one server.
type Client struct {
	Base string       // the server's URL, e.g. http://127.0.0.1:8080
	HTTP *http.Client // nil: a client without overall timeout (streams are long)
	// Token is the operator token, for servers started with one (sent as
	// Authorization: Bearer with every request).
	Token string
}

// New returns a client of the server at base.
func New(base string) *Client { return &Client{Base: strings.TrimRight(base, "/")} }

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// Error is an error answer of the server.
type Error struct {
	Status int
	API    api.Error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("server: %d %s: %s", e.Status, e.API.Code, e.API.Error)
	if e.API.Field != "" {
		s += " (field " + e.API.Field + ")"
	}
	return s
}

// IsCode reports whether err is a server error with code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.API.Code == code
}

// do sends a request and decodes a JSON answer into out (if non-nil).
func (c *Client) do(ctx context.Context, method, u, ctype string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return decodeError(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, redact(u), err)
	}
	return nil
}

func decodeError(resp *http.Response) error {
	e := &Error{Status: resp.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if json.Unmarshal(b, &e.API) != nil || e.API.Code == "" {
		e.API.Code, e.API.Error = "http", strings.TrimSpace(string(b))
	}
	return e
}

// redact hides the token of a capability link in messages.
func redact(link string) string {
	for _, p := range []string{"/api/seats/", "/api/owner/"} {
		if i := strings.Index(link, p); i >= 0 {
			rest := link[i+len(p):]
			j := strings.IndexByte(rest, '/')
			if j < 0 {
				j = len(rest)
			}
			return link[:i+len(p)] + "…" + rest[j:]
		}
	}
	return link
}

func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

// CreateSession starts a session.
func (c *Client) CreateSession(ctx context.Context, req *api.NewSession) (*api.Created, error) {
	var out api.Created
	return &out, c.do(ctx, "POST", c.Base+"/api/sessions", "application/json", jsonBody(req), &out)
}

// Upload uploads a scenario's files (name → content).
func (c *Client) Upload(ctx context.Context, files map[string][]byte) (*api.ScenarioInfo, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for name, data := range files {
		w, err := mw.CreateFormFile("file", name)
		if err != nil {
			return nil, err
		}
		w.Write(data)
	}
	mw.Close()
	var out api.ScenarioInfo
	return &out, c.do(ctx, "POST", c.Base+"/api/scenarios", mw.FormDataContentType(), &b, &out)
}

// Scenarios lists the server's scenarios.
func (c *Client) Scenarios(ctx context.Context) ([]api.ScenarioInfo, error) {
	var out struct {
		Scenarios []api.ScenarioInfo `json:"scenarios"`
	}
	return out.Scenarios, c.do(ctx, "GET", c.Base+"/api/scenarios", "", nil, &out)
}

// Link is a capability link: a seat's or an owner's.
type Link struct {
	URL   string // as handed out
	Owner bool   // an owner's link
	// LogKey, if set, is the session log key (signed-note verifier key)
	// the server must sign with; empty: the key of the first snapshot.
	LogKey string
	// SignKey, if set, is the party's own Ed25519 key: Play signs every
	// move with it (docs/commitments.md), so that the log holds the
	// party's signature, which the server cannot make.
	SignKey ed25519.PrivateKey
	c       *Client
	chk     *logCheck // Follow's check of the session log (verify.go)
}

// ParseLink reads a link handed out by the server.
func ParseLink(link string) (*Link, error) {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not a link from 'session new' (want http://HOST/api/seats/TOKEN or …/api/owner/TOKEN)", redact(link))
	}
	l := &Link{URL: strings.TrimRight(link, "/"), c: New(u.Scheme + "://" + u.Host)}
	switch {
	case strings.HasPrefix(u.Path, "/api/seats/") && !strings.Contains(u.Path[len("/api/seats/"):], "/"):
	case strings.HasPrefix(u.Path, "/api/owner/") && !strings.Contains(u.Path[len("/api/owner/"):], "/"):
		l.Owner = true
	default:
		return nil, fmt.Errorf("%s is not a seat or owner link (want http://HOST/api/seats/TOKEN or …/api/owner/TOKEN)", redact(link))
	}
	return l, nil
}

// WithClient makes the link use c's HTTP client.
func (l *Link) WithClient(c *Client) *Link { l.c = c; return l }

// String hides the token.
func (l *Link) String() string { return redact(l.URL) }

// Snapshot returns what the seat may know (seat links).
func (l *Link) Snapshot(ctx context.Context) (*api.Snapshot, error) {
	var out api.Snapshot
	return &out, l.c.do(ctx, "GET", l.URL, "", nil, &out)
}

// Status returns the owner's view of the session (owner links).
func (l *Link) Status(ctx context.Context) (*api.Status, error) {
	var out api.Status
	return &out, l.c.do(ctx, "GET", l.URL, "", nil, &out)
}

// Record writes the session's record (owner links).
func (l *Link) Record(ctx context.Context, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, "GET", l.URL+"/record", nil)
	if err != nil {
		return err
	}
	resp, err := l.c.http().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return decodeError(resp)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// Act posts an action for the seat. A retry after a network error is safe:
// the server answers a repeated action for the same step with the same Ack.
func (l *Link) Act(ctx context.Context, a *api.Action) (*api.Ack, error) {
	var out api.Ack
	return &out, l.c.do(ctx, "POST", l.URL+"/actions", "application/json", jsonBody(a), &out)
}

// Message is one line of a seat's stream: exactly one field is set.
type Message struct {
	Snapshot *api.Snapshot
	Event    *api.Event
	Turn     *api.Turn
	End      *api.End
}

// Seq is the message's event number.
func (m *Message) Seq() int {
	switch {
	case m.Snapshot != nil:
		return m.Snapshot.Seq
	case m.Event != nil:
		return m.Event.Seq
	case m.Turn != nil:
		return m.Turn.Seq
	case m.End != nil:
		return m.End.Seq
	}
	return 0
}

// DecodeMessage reads one stream line.
func DecodeMessage(line []byte) (Message, error) {
	var head struct {
		Type string `json:"type"`
	}
	// The server writes the type first: read it without decoding the line
	// twice, else fall back to decoding the head.
	if rest, ok := bytes.CutPrefix(line, []byte(`{"type":"`)); ok {
		if i := bytes.IndexByte(rest, '"'); i >= 0 && bytes.IndexByte(rest[:i], '\\') < 0 {
			head.Type = string(rest[:i])
		}
	}
	if head.Type == "" {
		if err := json.Unmarshal(line, &head); err != nil {
			return Message{}, fmt.Errorf("stream line: %w", err)
		}
	}
	var m Message
	var err error
	switch head.Type {
	case "snapshot":
		m.Snapshot = new(api.Snapshot)
		err = json.Unmarshal(line, m.Snapshot)
	case "event":
		m.Event = new(api.Event)
		err = json.Unmarshal(line, m.Event)
	case "turn":
		m.Turn = new(api.Turn)
		err = json.Unmarshal(line, m.Turn)
	case "end":
		m.End = new(api.End)
		err = json.Unmarshal(line, m.End)
	default:
		err = fmt.Errorf("unknown type %q", head.Type)
	}
	if err != nil {
		return Message{}, fmt.Errorf("stream line: %w", err)
	}
	return m, nil
}

// Stream opens the seat's NDJSON stream once, from event since, and calls
// fn for every message until the stream ends (nil after the session's end:
// an end message, or a snapshot of a session that had ended, after which
// the server closes the stream), the connection breaks, ctx ends or fn
// fails.
func (l *Link) Stream(ctx context.Context, since int, fn func(Message) error) error {
	return l.stream(ctx, since, -1, fn)
}

// stream is Stream asking the server to prove its first checkpoint
// consistent with the one of tree leaves (tree ≥ 0).
func (l *Link) stream(ctx context.Context, since int, tree int64, fn func(Message) error) error {
	u := l.URL + "/stream?since=" + strconv.Itoa(since)
	if tree >= 0 {
		u += "&tree=" + strconv.FormatInt(tree, 10)
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/x-ndjson")
	resp, err := l.c.http().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return decodeError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue // keep-alive
		}
		m, err := DecodeMessage(line)
		if err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
		if m.End != nil || (m.Snapshot != nil && m.Snapshot.End != nil) {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}

// Follow follows the seat's stream to the session's end, reconnecting
// after a broken connection or an unreachable server (every retry waits
// longer, up to 2 s) from the last event seen, so that fn sees every event
// once and in order. fn sees a snapshot at each (re)connection, with the
// events it has not seen yet. It returns nil after the end message, an
// error the server gives (a wrong link), fn's error, or ctx's.
//
// If the server keeps a session log, Follow checks every message against it
// before fn sees it (verify.go) and returns a *tlog.Alarm, without retrying,
// if the log was forked or rewritten or a message is not in it.
func (l *Link) Follow(ctx context.Context, fn func(Message) error) error {
	since := 0
	wait := 50 * time.Millisecond
	if l.chk == nil {
		l.chk = &logCheck{pin: l.LogKey}
	}
	for {
		got := false
		err := l.stream(ctx, since, l.chk.tree(), func(m Message) error {
			got = true
			if err := l.chk.check(m); err != nil {
				return fnError{err}
			}
			if s := m.Seq(); s > since && m.Turn == nil {
				since = s
			}
			if err := fn(m); err != nil {
				return fnError{err}
			}
			return nil
		})
		if err == nil {
			return nil
		}
		var se *Error
		if errors.As(err, &se) && se.Status < 500 {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var fe fnError
		if errors.As(err, &fe) {
			return fe.err
		}
		if got {
			wait = 50 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// fnError carries the error of Follow's fn through Stream.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }
