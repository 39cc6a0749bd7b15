// Package sqldb implements store.Store over database/sql for the SQL
// dialects backchannel ships (SQLite and PostgreSQL); the dialect only
// decides placeholders and the batch size.
package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/backchannel/backchannel/store"
)

// Dialect is what differs between the SQL databases.
type Dialect struct {
	// Numbered placeholders ($1, $2, …) instead of ?.
	Numbered bool
	// MaxParams bounds the bound parameters of one statement.
	MaxParams int
	// OneWriter: the database takes one writing transaction at a time
	// (SQLite). Writers of this process then queue on a mutex instead of
	// meeting the database's busy handler, which sleeps (1, 2, 5, … up to
	// 100 ms) and so stalls the group commit behind a session's creation.
	OneWriter bool
}

// DB is a store.Store over a migrated database.
type DB struct {
	db  *sql.DB
	d   Dialect
	wmu sync.Mutex // held by writing transactions when d.OneWriter
}

// begin starts a writing transaction; done must be called after its
// Commit or Rollback.
func (s *DB) begin(ctx context.Context) (tx *sql.Tx, done func(), err error) {
	done = func() {}
	if s.d.OneWriter {
		s.wmu.Lock()
		done = s.wmu.Unlock
	}
	tx, err = s.db.BeginTx(ctx, nil)
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("store: begin: %w", err)
	}
	return tx, done, nil
}

// New wraps db, whose schema is already migrated. DB takes ownership of db.
func New(db *sql.DB, d Dialect) *DB { return &DB{db: db, d: d} }

var columns = []string{"job_id", "plan", "scenario", "scenario_key", "protocol", "roles", "strategies",
	"repetition", "seed", "status", "agreement", "utilities", "welfare", "pareto_distance", "nash_distance",
	"rounds", "steps", "elapsed_ns", "fault", "fault_role", "fault_strategy", "trace", "worker"}

func (s *DB) ph(i int) string {
	if s.d.Numbered {
		return "$" + strconv.Itoa(i)
	}
	return "?"
}

func nullFloat(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return f
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only maps and slices of strings and finite floats reach here.
		panic(fmt.Sprintf("sqldb: encoding %T: %v", v, err))
	}
	return string(b)
}

func finite(fs []float64) []float64 {
	for _, f := range fs {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			out := make([]float64, len(fs))
			for i, g := range fs {
				if math.IsNaN(g) || math.IsInf(g, 0) {
					g = 0
				}
				out[i] = g
			}
			return out
		}
	}
	return fs
}

func args(r *store.Result) []any {
	var agreement any
	if r.Agreement != nil {
		agreement = mustJSON(r.Agreement)
	}
	var trace any
	if r.Trace != nil {
		trace = r.Trace
	}
	return []any{r.JobID, r.Plan, r.Scenario, r.ScenarioKey, r.Protocol, mustJSON(r.Roles), mustJSON(r.Strategies),
		r.Repetition, int64(r.Seed), r.Status, agreement, mustJSON(finite(r.Utilities)), nullFloat(r.Welfare),
		nullFloat(r.ParetoDistance), nullFloat(r.NashDistance), r.Rounds, r.Steps, int64(r.Elapsed),
		r.Fault, r.FaultRole, r.FaultStrategy, trace, r.Worker}
}

// Put stores rs in one transaction with multi-row INSERT … ON CONFLICT DO
// NOTHING statements; it returns how many rows were new.
func (s *DB) Put(ctx context.Context, rs []store.Result) (int, error) {
	if len(rs) == 0 {
		return 0, nil
	}
	for i := range rs {
		if rs[i].JobID == "" {
			return 0, fmt.Errorf("store: result %d has no job id", i)
		}
	}
	tx, done, err := s.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	defer tx.Rollback()
	rows := make([][]any, len(rs))
	for i := range rs {
		rows[i] = args(&rs[i])
	}
	n, err := s.insertRows(ctx, tx, "results", columns, rows)
	if err != nil {
		return 0, fmt.Errorf("store: insert results: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: commit: %w", err)
	}
	return n, nil
}

// PutScenarios records scenarios' reference figures once, in one
// transaction.
func (s *DB) PutScenarios(ctx context.Context, ss []store.Scenario) error {
	if len(ss) == 0 {
		return nil
	}
	tx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	defer tx.Rollback()
	q := fmt.Sprintf("INSERT INTO scenarios (key, id, roles, reservations, frontier, nash) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (key) DO NOTHING",
		s.ph(1), s.ph(2), s.ph(3), s.ph(4), s.ph(5), s.ph(6))
	for _, sc := range ss {
		var nash, fr any
		if sc.Nash != nil {
			nash = mustJSON(sc.Nash)
		}
		if sc.Frontier != nil {
			fr = mustJSON(sc.Frontier)
		}
		if _, err := tx.ExecContext(ctx, q, sc.Key, sc.ID, mustJSON(sc.Roles), mustJSON(finite(sc.Reservations)), fr, nash); err != nil {
			return fmt.Errorf("store: insert scenario %q: %w", sc.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit scenarios: %w", err)
	}
	return nil
}

// Done returns the ids of every stored job.
func (s *DB) Done(ctx context.Context) (map[string]struct{}, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT job_id FROM results")
	if err != nil {
		return nil, fmt.Errorf("store: list jobs: %w", err)
	}
	defer rows.Close()
	out := map[string]struct{}{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: list jobs: %w", err)
		}
		out[id] = struct{}{}
	}
	return out, rows.Err()
}

// Count returns the number of stored results.
func (s *DB) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM results").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count: %w", err)
	}
	return n, nil
}

func unjson(src sql.NullString, dst any, what string) error {
	if !src.Valid {
		return nil
	}
	if err := json.Unmarshal([]byte(src.String), dst); err != nil {
		return fmt.Errorf("store: column %s: %w", what, err)
	}
	return nil
}

func orNaN(f sql.NullFloat64) float64 {
	if !f.Valid {
		return math.NaN()
	}
	return f.Float64
}

// Scan calls fn for every stored result of plan ("" for all), by job id.
func (s *DB) Scan(ctx context.Context, plan string, fn func(*store.Result) error) error {
	cols := strings.Join(columns[:len(columns)-2], ", ") + ", worker"
	q := "SELECT " + cols + " FROM results"
	var qa []any
	if plan != "" {
		q += " WHERE plan = " + s.ph(1)
		qa = append(qa, plan)
	}
	q += " ORDER BY job_id"
	rows, err := s.db.QueryContext(ctx, q, qa...)
	if err != nil {
		return fmt.Errorf("store: read results: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r                         store.Result
			roles, strats, agr, utils sql.NullString
			welfare, pd, nd           sql.NullFloat64
			seed, elapsed             int64
		)
		if err := rows.Scan(&r.JobID, &r.Plan, &r.Scenario, &r.ScenarioKey, &r.Protocol, &roles, &strats,
			&r.Repetition, &seed, &r.Status, &agr, &utils, &welfare, &pd, &nd, &r.Rounds, &r.Steps, &elapsed,
			&r.Fault, &r.FaultRole, &r.FaultStrategy, &r.Worker); err != nil {
			return fmt.Errorf("store: read results: %w", err)
		}
		r.Seed, r.Elapsed = uint64(seed), time.Duration(elapsed)
		r.Welfare, r.ParetoDistance, r.NashDistance = orNaN(welfare), orNaN(pd), orNaN(nd)
		if err := errors.Join(unjson(roles, &r.Roles, "roles"), unjson(strats, &r.Strategies, "strategies"),
			unjson(agr, &r.Agreement, "agreement"), unjson(utils, &r.Utilities, "utilities")); err != nil {
			return fmt.Errorf("job %s: %w", r.JobID, err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Scenarios returns every recorded scenario by key.
func (s *DB) Scenarios(ctx context.Context) (map[string]store.Scenario, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT key, id, roles, reservations, frontier, nash FROM scenarios")
	if err != nil {
		return nil, fmt.Errorf("store: read scenarios: %w", err)
	}
	defer rows.Close()
	out := map[string]store.Scenario{}
	for rows.Next() {
		var (
			sc                   store.Scenario
			roles, res, fr, nash sql.NullString
		)
		if err := rows.Scan(&sc.Key, &sc.ID, &roles, &res, &fr, &nash); err != nil {
			return nil, fmt.Errorf("store: read scenarios: %w", err)
		}
		if err := errors.Join(unjson(roles, &sc.Roles, "roles"), unjson(res, &sc.Reservations, "reservations"),
			unjson(fr, &sc.Frontier, "frontier"), unjson(nash, &sc.Nash, "nash")); err != nil {
			return nil, fmt.Errorf("scenario %s: %w", sc.Key, err)
		}
		out[sc.Key] = sc
	}
	return out, rows.Err()
}

// Trace returns the stored trace of a job, or store.ErrNotFound.
func (s *DB) Trace(ctx context.Context, jobID string) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, "SELECT trace FROM results WHERE job_id = "+s.ph(1), jobID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && b == nil) {
		return nil, fmt.Errorf("job %s: %w", jobID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: read trace: %w", err)
	}
	return b, nil
}

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }
