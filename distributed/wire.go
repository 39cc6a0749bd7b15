package distributed

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/tournament"
)

// Jobs and results travel in a compact binary form rather than JSON: JSON
// cost about 30 µs per job (both directions), a third of the queue's
// per-job cost; this form costs about 4 µs (BenchmarkWire). A message is one kind byte
// ('J' job, 'R' result), one version byte, then the fields in declaration
// order: strings and byte slices as a uvarint length and the bytes, ints
// and durations as zig-zag varints, uint64 as uvarints, floats as 8 bytes
// little-endian (NaN included), bools as one byte, lists as a uvarint count
// and the items, and the agreement as a count and key/value pairs sorted by
// key. TestWireCoversEveryField fails when Job or Result gains a field the
// codec does not carry.
//
// A results message is a group: kind 'G', the version, then each result as
// a uvarint length and its 'R' message.
const (
	kindJob    = 'J'
	kindResult = 'R'
	kindGroup  = 'G'
	wireV1     = 1
)

// errWireVersion marks a message of a version this build cannot read: a
// worker gives such a job back for a worker of the right version, instead
// of discarding it.
var errWireVersion = errors.New("unknown wire version")

type enc struct{ b []byte }

func (e *enc) str(s string) { e.b = binary.AppendUvarint(e.b, uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) bytes(s []byte) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}
func (e *enc) int(v int64)         { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) uint(v uint64)       { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) float(v float64)     { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *enc) dur(d time.Duration) { e.int(int64(d)) }
func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *enc) strs(ss []string) {
	e.uint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

// dec reads what enc wrote; the first error sticks and names the field.
type dec struct {
	b     []byte
	field string
	err   error
}

func (d *dec) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("field %s: %s", d.field, what)
	}
}

// at names the field being read and reports whether reading goes on.
func (d *dec) at(field string) bool {
	d.field = field
	return d.err == nil
}

// varint reads one varint or uvarint with read.
func varint[T int64 | uint64](d *dec, field string, read func([]byte) (T, int)) T {
	if !d.at(field) {
		return 0
	}
	v, n := read(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) uint(field string) uint64 { return varint(d, field, binary.Uvarint) }
func (d *dec) int(field string) int64   { return varint(d, field, binary.Varint) }

// count reads a length or count; each item takes at least one byte, so a
// count beyond the bytes left is malformed (and never allocated).
func (d *dec) count(field string) int {
	v := d.uint(field)
	if v > uint64(len(d.b)) {
		d.fail(fmt.Sprintf("length %d beyond the %d bytes left", v, len(d.b)))
		return 0
	}
	return int(v)
}

func (d *dec) raw(field string) []byte {
	n := d.count(field)
	if d.err != nil {
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

func (d *dec) str(field string) string { return string(d.raw(field)) }

func (d *dec) bytes(field string) []byte {
	s := d.raw(field)
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

func (d *dec) float(field string) float64 {
	if !d.at(field) {
		return 0
	}
	if len(d.b) < 8 {
		d.fail("truncated float")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *dec) bool(field string) bool {
	if !d.at(field) {
		return false
	}
	if len(d.b) < 1 || d.b[0] > 1 {
		d.fail("bad bool")
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}

func (d *dec) strs(field string) []string {
	n := d.count(field)
	if n == 0 || d.err != nil {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.str(field)
	}
	return ss
}

func (d *dec) dur(field string) time.Duration { return time.Duration(d.int(field)) }

// intField narrows a varint to int, failing on overflow (32-bit builds).
func (d *dec) intField(field string) int {
	v := d.int(field)
	if int64(int(v)) != v {
		d.fail("out of range")
	}
	return int(v)
}

// header checks the kind and version bytes.
func (d *dec) header(kind byte) {
	switch {
	case len(d.b) < 2 || d.b[0] != kind:
		d.err = fmt.Errorf("not a backchannel %s message", map[byte]string{kindJob: "job", kindResult: "result", kindGroup: "results"}[kind])
	case d.b[1] != wireV1:
		d.err = fmt.Errorf("%w %d (this build reads %d)", errWireVersion, d.b[1], wireV1)
	default:
		d.b = d.b[2:]
	}
}

func (d *dec) end() error {
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("%d bytes after the last field", len(d.b))
	}
	return d.err
}

func encodeJob(j *tournament.Job) []byte {
	e := enc{b: make([]byte, 0, 160)}
	e.b = append(e.b, kindJob, wireV1)
	e.str(j.ID)
	e.str(j.Plan)
	e.str(j.Scenario)
	e.str(j.ScenarioKey)
	e.str(j.Protocol)
	e.strs(j.Strategies)
	e.int(int64(j.Repetition))
	e.uint(j.Seed)
	e.int(int64(j.Rounds))
	e.dur(j.MoveTime)
	e.dur(j.JobTime)
	e.bool(j.Trace)
	return e.b
}

func decodeJob(data []byte) (tournament.Job, error) {
	d := dec{b: data}
	d.header(kindJob)
	j := tournament.Job{
		ID: d.str("id"), Plan: d.str("plan"), Scenario: d.str("scenario"), ScenarioKey: d.str("scenario_key"),
		Protocol: d.str("protocol"), Strategies: d.strs("strategies"), Repetition: d.intField("repetition"),
		Seed: d.uint("seed"), Rounds: d.intField("rounds"), MoveTime: d.dur("move_time"), JobTime: d.dur("job_time"),
		Trace: d.bool("trace"),
	}
	if err := d.end(); err != nil {
		return tournament.Job{}, fmt.Errorf("job: %w", err)
	}
	return j, nil
}

func encodeResult(r *store.Result) []byte {
	e := enc{b: make([]byte, 0, 256+len(r.Trace))}
	e.b = append(e.b, kindResult, wireV1)
	e.str(r.JobID)
	e.str(r.Plan)
	e.str(r.Scenario)
	e.str(r.ScenarioKey)
	e.str(r.Protocol)
	e.strs(r.Roles)
	e.strs(r.Strategies)
	e.int(int64(r.Repetition))
	e.uint(r.Seed)
	e.str(r.Status)
	if r.Agreement == nil {
		e.uint(0)
	} else {
		keys := make([]string, 0, len(r.Agreement))
		for k := range r.Agreement {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.uint(uint64(len(keys)) + 1) // 0 is nil, 1 an empty map
		for _, k := range keys {
			e.str(k)
			e.str(r.Agreement[k])
		}
	}
	e.uint(uint64(len(r.Utilities)))
	for _, u := range r.Utilities {
		e.float(u)
	}
	e.float(r.Welfare)
	e.float(r.ParetoDistance)
	e.float(r.NashDistance)
	e.int(int64(r.Rounds))
	e.int(int64(r.Steps))
	e.dur(r.Elapsed)
	e.str(r.Fault)
	e.str(r.FaultRole)
	e.str(r.FaultStrategy)
	e.bytes(r.Trace)
	e.str(r.Worker)
	return e.b
}

// appendGroupHeader starts a results message; appendGroupResult adds a
// result to it.
func appendGroupHeader(b []byte) []byte { return append(b, kindGroup, wireV1) }

func appendGroupResult(b []byte, r *store.Result) []byte {
	m := encodeResult(r)
	return append(binary.AppendUvarint(b, uint64(len(m))), m...)
}

// decodeResults reads a results message: a group of at least one result.
func decodeResults(data []byte) ([]store.Result, error) {
	d := dec{b: data}
	d.header(kindGroup)
	var rs []store.Result
	for d.err == nil && len(d.b) > 0 {
		m := d.raw("result")
		if d.err != nil {
			break
		}
		r, err := decodeResult(m)
		if err != nil {
			return nil, fmt.Errorf("result %d of the group: %w", len(rs)+1, err)
		}
		rs = append(rs, r)
	}
	if d.err == nil && len(rs) == 0 {
		d.err = errors.New("empty group")
	}
	if d.err != nil {
		return nil, fmt.Errorf("results: %w", d.err)
	}
	return rs, nil
}

func decodeResult(data []byte) (store.Result, error) {
	d := dec{b: data}
	d.header(kindResult)
	r := store.Result{
		JobID: d.str("job_id"), Plan: d.str("plan"), Scenario: d.str("scenario"), ScenarioKey: d.str("scenario_key"),
		Protocol: d.str("protocol"), Roles: d.strs("roles"), Strategies: d.strs("strategies"),
		Repetition: d.intField("repetition"), Seed: d.uint("seed"), Status: d.str("status"),
	}
	if n := d.count("agreement"); n > 0 {
		r.Agreement = make(map[string]string, n-1)
		for range n - 1 {
			k := d.str("agreement")
			r.Agreement[k] = d.str("agreement")
		}
	}
	if n := d.count("utilities"); n > 0 && d.err == nil {
		r.Utilities = make([]float64, n)
		for i := range r.Utilities {
			r.Utilities[i] = d.float("utilities")
		}
	}
	r.Welfare, r.ParetoDistance, r.NashDistance = d.float("welfare"), d.float("pareto_distance"), d.float("nash_distance")
	r.Rounds, r.Steps, r.Elapsed = d.intField("rounds"), d.intField("steps"), d.dur("elapsed")
	r.Fault, r.FaultRole, r.FaultStrategy = d.str("fault"), d.str("fault_role"), d.str("fault_strategy")
	r.Trace, r.Worker = d.bytes("trace"), d.str("worker")
	if err := d.end(); err != nil {
		return store.Result{}, fmt.Errorf("result: %w", err)
	}
	return r, nil
}
