package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/backchannel/backchannel/store"
)

var _ store.Sessions = (*DB)(nil)

// PutUpload stores an uploaded scenario once.
func (s *DB) PutUpload(ctx context.Context, u store.Upload) error {
	q := fmt.Sprintf("INSERT INTO uploads (id, title, source, doc) VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
		s.ph(1), s.ph(2), s.ph(3), s.ph(4))
	if s.d.OneWriter {
		s.wmu.Lock()
		defer s.wmu.Unlock()
	}
	if _, err := s.db.ExecContext(ctx, q, u.ID, u.Title, u.Source, u.Doc); err != nil {
		return fmt.Errorf("store: upload %s: %w", u.ID, err)
	}
	return nil
}

// Upload returns one uploaded scenario.
func (s *DB) Upload(ctx context.Context, id string) (store.Upload, error) {
	u := store.Upload{ID: id}
	err := s.db.QueryRowContext(ctx, "SELECT title, source, doc FROM uploads WHERE id = "+s.ph(1), id).Scan(&u.Title, &u.Source, &u.Doc)
	if errors.Is(err, sql.ErrNoRows) {
		return u, store.ErrNotFound
	}
	if err != nil {
		return u, fmt.Errorf("store: upload %s: %w", id, err)
	}
	return u, nil
}

// Uploads lists uploaded scenarios by id, without documents.
func (s *DB) Uploads(ctx context.Context) ([]store.Upload, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, title, source FROM uploads ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("store: list uploads: %w", err)
	}
	defer rows.Close()
	var out []store.Upload
	for rows.Next() {
		var u store.Upload
		if err := rows.Scan(&u.ID, &u.Title, &u.Source); err != nil {
			return nil, fmt.Errorf("store: list uploads: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CreateSession stores a session and its tokens in one transaction.
func (s *DB) CreateSession(ctx context.Context, ss store.Session, tokens []store.Token) error {
	tx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	defer tx.Rollback()
	q := fmt.Sprintf("INSERT INTO sessions (id, spec, created_ms, status, result) VALUES (%s, %s, %s, %s, %s)",
		s.ph(1), s.ph(2), s.ph(3), s.ph(4), s.ph(5))
	if _, err := tx.ExecContext(ctx, q, ss.ID, string(ss.Spec), ss.CreatedMS, ss.Status, nullBytes(ss.Result)); err != nil {
		return fmt.Errorf("store: create session %s: %w", ss.ID, err)
	}
	q = fmt.Sprintf("INSERT INTO session_tokens (hash, session_id, role) VALUES (%s, %s, %s)", s.ph(1), s.ph(2), s.ph(3))
	for _, t := range tokens {
		if _, err := tx.ExecContext(ctx, q, t.Hash, ss.ID, t.Role); err != nil {
			return fmt.Errorf("store: session %s token for %s: %w", ss.ID, t.Role, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit session %s: %w", ss.ID, err)
	}
	return nil
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

var (
	moveColumns  = []string{"session_id", "step", "party", "kind", "offer", "t", "at_ms", "note", "sig"}
	eventColumns = []string{"session_id", "seq", "body"}
)

// insertRows writes rows into table with multi-row INSERT … ON CONFLICT DO
// NOTHING statements and returns how many were new.
func (s *DB) insertRows(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any) (int, error) {
	per := max(1, min(500, s.d.MaxParams/len(cols)))
	n := 0
	for lo := 0; lo < len(rows); lo += per {
		hi := min(len(rows), lo+per)
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		vals := make([]any, 0, (hi-lo)*len(cols))
		for i := lo; i < hi; i++ {
			if i > lo {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for c := range cols {
				if c > 0 {
					b.WriteString(", ")
				}
				b.WriteString(s.ph(len(vals) + c + 1))
			}
			b.WriteByte(')')
			vals = append(vals, rows[i]...)
		}
		b.WriteString(" ON CONFLICT DO NOTHING")
		res, err := tx.ExecContext(ctx, b.String(), vals...)
		if err != nil {
			return n, err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return n, err
		}
		n += int(k)
	}
	return n, nil
}

// Append commits the batches in one transaction.
func (s *DB) Append(ctx context.Context, batches []store.Batch) error {
	var moves, events [][]any
	for _, b := range batches {
		for _, m := range b.Moves {
			var offer any
			if m.Offer != nil {
				offer = mustJSON(m.Offer)
			}
			moves = append(moves, []any{b.Session, m.Step, m.Party, m.Kind, offer, m.T, m.AtMS, m.Note, m.Sig})
		}
		for _, e := range b.Events {
			events = append(events, []any{b.Session, e.Seq, string(e.Body)})
		}
	}
	tx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	defer tx.Rollback()
	n, err := s.insertRows(ctx, tx, "session_moves", moveColumns, moves)
	if err != nil {
		return fmt.Errorf("store: append moves: %w", err)
	}
	if n != len(moves) {
		return store.ErrConflict
	}
	if n, err = s.insertRows(ctx, tx, "session_events", eventColumns, events); err != nil {
		return fmt.Errorf("store: append events: %w", err)
	}
	if n != len(events) {
		return store.ErrConflict
	}
	q := fmt.Sprintf("UPDATE sessions SET status = %s, result = %s WHERE id = %s", s.ph(1), s.ph(2), s.ph(3))
	for _, b := range batches {
		if b.Status == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, q, b.Status, nullBytes(b.Result), b.Session); err != nil {
			return fmt.Errorf("store: end session %s: %w", b.Session, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit moves: %w", err)
	}
	return nil
}

// Token returns what a token hash opens.
func (s *DB) Token(ctx context.Context, hash string) (store.Token, error) {
	t := store.Token{Hash: hash}
	err := s.db.QueryRowContext(ctx, "SELECT session_id, role FROM session_tokens WHERE hash = "+s.ph(1), hash).Scan(&t.Session, &t.Role)
	if errors.Is(err, sql.ErrNoRows) {
		return t, store.ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("store: token: %w", err)
	}
	return t, nil
}

// Session returns a session and its moves in step order.
func (s *DB) Session(ctx context.Context, id string) (store.Session, []store.Move, error) {
	ss := store.Session{ID: id}
	var spec string
	var result sql.NullString
	err := s.db.QueryRowContext(ctx, "SELECT spec, created_ms, status, result FROM sessions WHERE id = "+s.ph(1), id).
		Scan(&spec, &ss.CreatedMS, &ss.Status, &result)
	if errors.Is(err, sql.ErrNoRows) {
		return ss, nil, store.ErrNotFound
	}
	if err != nil {
		return ss, nil, fmt.Errorf("store: session %s: %w", id, err)
	}
	ss.Spec = []byte(spec)
	if result.Valid {
		ss.Result = []byte(result.String)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT step, party, kind, offer, t, at_ms, note, sig FROM session_moves WHERE session_id = "+s.ph(1)+" ORDER BY step", id)
	if err != nil {
		return ss, nil, fmt.Errorf("store: session %s moves: %w", id, err)
	}
	defer rows.Close()
	var moves []store.Move
	for rows.Next() {
		var m store.Move
		var offer sql.NullString
		if err := rows.Scan(&m.Step, &m.Party, &m.Kind, &offer, &m.T, &m.AtMS, &m.Note, &m.Sig); err != nil {
			return ss, nil, fmt.Errorf("store: session %s moves: %w", id, err)
		}
		if offer.Valid {
			if err := json.Unmarshal([]byte(offer.String), &m.Offer); err != nil {
				return ss, nil, fmt.Errorf("store: session %s move %d: offer: %w", id, m.Step, err)
			}
		}
		moves = append(moves, m)
	}
	return ss, moves, rows.Err()
}

// Events returns a session's events after since.
func (s *DB) Events(ctx context.Context, id string, since int) ([]store.Event, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT seq, body FROM session_events WHERE session_id = "+s.ph(1)+" AND seq > "+s.ph(2)+" ORDER BY seq", id, since)
	if err != nil {
		return nil, fmt.Errorf("store: session %s events: %w", id, err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var e store.Event
		var body string
		if err := rows.Scan(&e.Seq, &body); err != nil {
			return nil, fmt.Errorf("store: session %s events: %w", id, err)
		}
		e.Body = []byte(body)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Running returns the ids of sessions that have not ended.
func (s *DB) Running(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id FROM sessions WHERE status = 'running' ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("store: running sessions: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
