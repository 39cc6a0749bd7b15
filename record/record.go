// Package record writes and verifies the event log of a negotiation: JSON
// Lines, one event per line, hash-chained so that any edit, insertion,
// deletion or reordering is detected, and optionally sealed with an Ed25519
// signature over the final hash.
//
// Line format (keys in this order):
//
//	{"seq":0,"kind":"header",...,"prev":"","hash":"<hex>"}
//	{"seq":1,"step":1,"round":0,"t":0.005,"party":"iran","kind":"offer","outcome":{...},"to":["usa"],"prev":"<hex>","hash":"<hex>"}
//	{"seq":n,"kind":"seal","key":"<hex ed25519 public key>","sig":"<hex>","prev":"<hex>","hash":"<hex>"}
//
// hash = SHA-256(prev-hash-bytes ‖ line-without-prev-and-hash), where
// line-without-prev-and-hash is the JSON object up to (not including) the
// ,"prev" member. Traces contain no wall-clock times unless asked, so the same
// seed gives a byte-identical trace.
//
// Read parses a verified log back against the scenario's outcome space;
// Replayer and Replay run its negotiation again with parties that play back
// the recorded moves, and say whether the outcome and the trace come out the
// same (see replay.go for what can and cannot be replayed exactly).
package record

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
)

// Header describes the negotiation a log records.
type Header struct {
	Scenario string   `json:"scenario"`
	Protocol string   `json:"protocol"`
	Parties  []string `json:"parties"`
	Roles    []string `json:"roles,omitempty"` // strategy or participant of each party
	Mediator string   `json:"mediator,omitempty"`
	Seed     uint64   `json:"seed"`
	Rounds   int      `json:"deadline_rounds,omitempty"`
	Time     string   `json:"deadline_time,omitempty"`
}

// Writer is a mechanism.Observer that writes the hash-chained log. It is not
// safe for concurrent use. Errors are sticky: after the first write error,
// nothing more is written and Close returns it.
type Writer struct {
	w       *bufio.Writer
	space   *outcome.Space
	parties []string
	seq     int
	prev    [32]byte
	buf     bytes.Buffer
	err     error
}

// NewWriter starts a log on w with its header. parties names the parties in
// index order (the mediator is written as "mediator").
func NewWriter(w io.Writer, sp *outcome.Space, h Header) *Writer {
	rw := &Writer{w: bufio.NewWriter(w), space: sp, parties: h.Parties}
	rw.buf.WriteString(`{"seq":0,"kind":"header","header":`)
	b, err := json.Marshal(h)
	if err != nil {
		rw.err = err
		return rw
	}
	rw.buf.Write(b)
	rw.line()
	return rw
}

func (rw *Writer) name(p int) string {
	switch {
	case p == mechanism.MediatorRole:
		return "mediator"
	case p >= 0 && p < len(rw.parties):
		return rw.parties[p]
	}
	return ""
}

// line finishes the object in rw.buf with prev and hash, writes it and chains.
func (rw *Writer) line() {
	if rw.err != nil {
		rw.buf.Reset()
		return
	}
	body := rw.buf.Bytes()
	h := sha256.New()
	h.Write(rw.prev[:])
	h.Write(body)
	var sum [32]byte
	h.Sum(sum[:0])
	rw.buf.WriteString(`,"prev":"`)
	if rw.seq > 0 {
		rw.buf.WriteString(hex.EncodeToString(rw.prev[:]))
	}
	rw.buf.WriteString(`","hash":"`)
	rw.buf.WriteString(hex.EncodeToString(sum[:]))
	rw.buf.WriteString("\"}\n")
	_, rw.err = rw.w.Write(rw.buf.Bytes())
	rw.buf.Reset()
	rw.prev = sum
	rw.seq++
}

func writeJSONString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}

// Observe writes one event.
func (rw *Writer) Observe(e *mechanism.Event) {
	b := &rw.buf
	b.WriteString(`{"seq":`)
	b.WriteString(strconv.Itoa(rw.seq))
	b.WriteString(`,"step":`)
	b.WriteString(strconv.Itoa(e.Step))
	b.WriteString(`,"round":`)
	b.WriteString(strconv.Itoa(e.Round))
	b.WriteString(`,"t":`)
	b.WriteString(strconv.FormatFloat(e.T, 'g', 12, 64))
	b.WriteString(`,"party":`)
	writeJSONString(b, rw.name(e.Party))
	b.WriteString(`,"kind":`)
	writeJSONString(b, e.Kind)
	if e.Outcome != nil {
		b.WriteString(`,"outcome":{`)
		for i, v := range e.Outcome {
			if i > 0 {
				b.WriteByte(',')
			}
			is := &rw.space.Issues[i]
			writeJSONString(b, is.Name)
			b.WriteByte(':')
			writeJSONString(b, is.Values[v])
		}
		b.WriteByte('}')
	}
	if e.To != nil {
		b.WriteString(`,"to":[`)
		for i, p := range e.To {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, rw.name(p))
		}
		b.WriteByte(']')
	}
	if e.Note != "" {
		b.WriteString(`,"note":`)
		writeJSONString(b, e.Note)
	}
	rw.line()
}

// Close seals the log (signing the final hash when key is non-nil), flushes
// it, and returns the first error met.
func (rw *Writer) Close(key ed25519.PrivateKey) error {
	if key != nil {
		pub := key.Public().(ed25519.PublicKey)
		sig := ed25519.Sign(key, rw.prev[:])
		rw.buf.WriteString(`{"seq":`)
		rw.buf.WriteString(strconv.Itoa(rw.seq))
		rw.buf.WriteString(`,"kind":"seal","key":"`)
		rw.buf.WriteString(hex.EncodeToString(pub))
		rw.buf.WriteString(`","sig":"`)
		rw.buf.WriteString(hex.EncodeToString(sig))
		rw.buf.WriteString(`"`)
		rw.line()
	}
	if rw.err != nil {
		return rw.err
	}
	return rw.w.Flush()
}

// Summary is what Verify found.
type Summary struct {
	Lines  int
	Signed bool
	Key    ed25519.PublicKey // the sealing key, if signed
	Header Header
	// Complete reports whether the log's last event ends the negotiation
	// ("agreement", "end" or "failure"): a log cut short while it was being
	// written verifies line by line but is not Complete. LastKind is the
	// kind of that last event (the seal aside).
	Complete bool
	LastKind string
}

// ErrTampered is wrapped by every verification failure.
var ErrTampered = errors.New("record: log does not verify")

// Verify checks the chain of a log read from r and, if the log is sealed, its
// signature (against want, when want is non-nil; against the key in the seal
// otherwise). The error names the first line that fails.
func Verify(r io.Reader, want ed25519.PublicKey) (*Summary, error) {
	return scan(r, want, nil)
}

// scan checks a log as Verify does and calls fn, when non-nil, with the
// 1-based number, kind and body of every line that verifies: body is the
// line's JSON object without its prev and hash members (closed with '}'),
// valid until fn returns. An error from fn stops the scan and is returned.
func scan(r io.Reader, want ed25519.PublicKey, fn func(n int, kind string, body []byte) error) (*Summary, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var prev [32]byte
	s := &Summary{}
	n := 0
	sealed := false
	var body []byte
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if sealed {
			return s, fmt.Errorf("%w: line %d: content after the seal", ErrTampered, n)
		}
		i := bytes.LastIndex(line, []byte(`,"prev":"`))
		if i < 0 {
			return s, fmt.Errorf("%w: line %d: no hash chain fields", ErrTampered, n)
		}
		var tail struct {
			Prev string `json:"prev"`
			Hash string `json:"hash"`
		}
		if err := json.Unmarshal(append([]byte{'{'}, line[i+1:]...), &tail); err != nil {
			return s, fmt.Errorf("%w: line %d: %v", ErrTampered, n, err)
		}
		wantPrev := ""
		if n > 1 {
			wantPrev = hex.EncodeToString(prev[:])
		}
		if tail.Prev != wantPrev {
			return s, fmt.Errorf("%w: line %d: previous hash does not match line %d", ErrTampered, n, n-1)
		}
		h := sha256.New()
		h.Write(prev[:])
		h.Write(line[:i])
		var sum [32]byte
		h.Sum(sum[:0])
		if hex.EncodeToString(sum[:]) != tail.Hash {
			return s, fmt.Errorf("%w: line %d: content does not match its hash (edited)", ErrTampered, n)
		}
		var head struct {
			Seq    int             `json:"seq"`
			Kind   string          `json:"kind"`
			Header json.RawMessage `json:"header"`
			Key    string          `json:"key"`
			Sig    string          `json:"sig"`
		}
		body = append(append(body[:0], line[:i]...), '}')
		if err := json.Unmarshal(body, &head); err != nil {
			return s, fmt.Errorf("%w: line %d: %v", ErrTampered, n, err)
		}
		if head.Seq != n-1 {
			return s, fmt.Errorf("%w: line %d: sequence number %d, want %d", ErrTampered, n, head.Seq, n-1)
		}
		if n == 1 {
			if head.Kind != "header" {
				return s, fmt.Errorf("%w: line 1: not a header", ErrTampered)
			}
			if err := json.Unmarshal(head.Header, &s.Header); err != nil {
				return s, fmt.Errorf("%w: line 1: header: %v", ErrTampered, err)
			}
		}
		if head.Kind == "seal" {
			key, err1 := hex.DecodeString(head.Key)
			sig, err2 := hex.DecodeString(head.Sig)
			if err1 != nil || err2 != nil || len(key) != ed25519.PublicKeySize {
				return s, fmt.Errorf("%w: line %d: malformed seal", ErrTampered, n)
			}
			if want != nil && !bytes.Equal(want, key) {
				return s, fmt.Errorf("%w: line %d: sealed by a different key", ErrTampered, n)
			}
			if !ed25519.Verify(key, prev[:], sig) {
				return s, fmt.Errorf("%w: line %d: signature does not verify", ErrTampered, n)
			}
			s.Signed, s.Key, sealed = true, key, true
		} else {
			s.LastKind = head.Kind
		}
		if fn != nil {
			if err := fn(n, head.Kind, body); err != nil {
				return s, err
			}
		}
		prev = sum
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	if n == 0 {
		return s, fmt.Errorf("%w: empty log", ErrTampered)
	}
	if want != nil && !sealed {
		return s, fmt.Errorf("%w: the log is not sealed", ErrTampered)
	}
	s.Lines = n
	s.Complete = s.LastKind == "agreement" || s.LastKind == "end" || s.LastKind == "failure"
	return s, nil
}
