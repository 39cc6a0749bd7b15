// Package sqlite is the embedded default result store: one SQLite file
// (modernc.org/sqlite, pure Go), schema migrated by goose from migrations
// embedded in the binary.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/store/internal/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a store.Store in an SQLite file. Writes are durable when Put
// returns (WAL journal, synchronous=FULL).
type Store struct {
	*sqldb.DB
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it if needed) the SQLite database at path and applies
// any pending migrations. Several processes may open the same file; writers
// wait up to 10 s for each other.
func Open(ctx context.Context, path string) (*Store, error) {
	// Durability: WAL with synchronous=FULL, every commit is on disk when
	// it returns. temp_store=MEMORY keeps statement journals (what a
	// multi-row INSERT … ON CONFLICT needs to undo itself within its
	// transaction) in memory instead of temporary files, a write per page;
	// they play no part in recovery. cache_size: 32 MiB of pages per
	// connection instead of 2 MiB, so that the index pages the group commit
	// of a thousand sessions touches are not read again from the file.
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)", "temp_store(MEMORY)", "cache_size(-32768)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite %s: %w (is the directory writable?)", path, err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return &Store{sqldb.New(db, sqldb.Dialect{MaxParams: 32766, OneWriter: true})}, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}
