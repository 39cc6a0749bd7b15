package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/backchannel/backchannel/server"
	"github.com/backchannel/backchannel/session"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/store/postgres"
	"github.com/backchannel/backchannel/store/sqlite"
)

// inProcess is a server started by the load tool in its own process, as
// 'backchannel serve' starts one.
type inProcess struct {
	URL   string
	close []func()
}

// Close stops the server and removes what start made.
func (p *inProcess) Close() {
	for i := len(p.close) - 1; i >= 0; i-- {
		p.close[i]()
	}
}

// startServer starts a server on a loopback port over db: an SQLite file
// ("" makes one in a temporary folder, removed on Close) or a postgres://
// URL, in which a fresh database is created (and dropped on Close) when
// fresh is set.
func startServer(ctx context.Context, db string, fresh bool) (p *inProcess, err error) {
	p = &inProcess{}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	var st interface {
		store.Sessions
		Close() error
	}
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		if fresh {
			if db, err = freshDatabase(db, p); err != nil {
				return nil, err
			}
		}
		s, err := postgres.Open(ctx, db)
		if err != nil {
			return nil, err
		}
		st = s
	} else {
		if db == "" {
			dir, err := os.MkdirTemp("", "sessionload-")
			if err != nil {
				return nil, err
			}
			p.close = append(p.close, func() { os.RemoveAll(dir) })
			db = filepath.Join(dir, "sessions.db")
		}
		s, err := sqlite.Open(ctx, db)
		if err != nil {
			return nil, err
		}
		st = s
	}
	p.close = append(p.close, func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := session.Open(ctx, st, session.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	p.close = append(p.close, m.Close)
	srv := server.New(m, server.Options{Logger: log})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go hs.Serve(ln)
	p.close = append(p.close, func() {
		srv.Drain()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if hs.Shutdown(sctx) != nil {
			hs.Close()
		}
	})
	p.URL = "http://" + ln.Addr().String()
	return p, nil
}

// freshDatabase creates a database with a random name on the server of
// base and returns its URL; p's Close drops it.
func freshDatabase(base string, p *inProcess) (string, error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	var b [6]byte
	rand.Read(b[:])
	name := "bc_load_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		return "", fmt.Errorf("creating a fresh database: %w", err)
	}
	p.close = append(p.close, func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}
