// Package postgres is the result store for many machines: PostgreSQL through
// pgx (database/sql adapter), schema migrated by goose from migrations
// embedded in the binary.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"

	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/store/internal/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a store.Store in a PostgreSQL database. Writes are durable when
// Put returns (the server's commit).
type Store struct {
	*sqldb.DB
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (postgres://user:pass@host:port/db)
// and applies any pending migrations; concurrent Opens of the same database
// are serialised by goose's session lock.
func Open(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres %s: %w", redact(dsn), err)
	}
	db.SetMaxOpenConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres %s: %w (is the server running and the URL right?)", redact(dsn), err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		db.Close()
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub)
	if err == nil {
		_, err = p.Up(ctx)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres %s: migrations: %w", redact(dsn), err)
	}
	return &Store{sqldb.New(db, sqldb.Dialect{Numbered: true, MaxParams: 65535})}, nil
}

// redact hides the password of a connection URL for error messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
