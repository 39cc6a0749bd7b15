package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/backchannel/backchannel/server"
	"github.com/backchannel/backchannel/session"
	"github.com/backchannel/backchannel/store"
)

func init() {
	register(&cli.Command{
		Name:  "serve",
		Usage: "run the server where remote agents and people negotiate (live sessions)",
		Description: "Serves the HTTP API of live sessions (docs/server.md): scenarios, sessions, and the\n" +
			"seat protocol by which agents in any language and people take a seat. Every\n" +
			"action is durable in --db before it is acknowledged; after a crash or restart,\n" +
			"every session stands where it stood. Binds loopback unless --addr says otherwise;\n" +
			"SIGTERM or Ctrl-C shuts it down cleanly (requests in flight finish).\n\n" +
			"Example:\n  backchannel serve --db sessions.db --addr 127.0.0.1:8080 --key server.key",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "db", Value: "backchannel.db", Usage: "the store: an SQLite `FILE` (created on first start) or a postgres:// URL"},
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "address to listen on (`HOST:PORT`; port 0 picks a free one)"},
			&cli.StringFlag{Name: "key", Usage: "the server's Ed25519 key `FILE` that seals session records; created if it does not exist (default: records are not sealed)"},
			&cli.StringFlag{Name: "base-url", Usage: "prefix of the links handed out (default: http:// and the request's Host)"},
			&cli.StringFlag{Name: "operator-token", Sources: cli.EnvVars("BACKCHANNEL_OPERATOR_TOKEN"),
				Usage: "the `TOKEN` operator requests (scenarios, new sessions) must bear; without it they are taken from this machine only, and a server bound beyond loopback makes one and prints it"},
			&cli.StringFlag{Name: "cors-origin", Usage: "one browser `ORIGIN` allowed to call the API from pages served elsewhere (default: none)"},
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error"},
		},
		Action: serveAction,
	})
}

func serveAction(ctx context.Context, cmd *cli.Command) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cmd.String("log-level"))); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", cmd.String("log-level"))
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	var key ed25519.PrivateKey
	if f := cmd.String("key"); f != "" {
		var err error
		if key, err = serverKey(f, log); err != nil {
			return err
		}
	}
	st, err := openStore(ctx, cmd.String("db"))
	if err != nil {
		return err
	}
	defer st.Close()
	ss, ok := st.(store.Sessions)
	if !ok {
		return fmt.Errorf("--db %s: this store keeps no sessions", cmd.String("db"))
	}
	m, err := session.Open(ctx, ss, session.Options{Logger: log, Key: key})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cmd.String("addr"))
	if err != nil {
		m.Close()
		return fmt.Errorf("--addr: %w", err)
	}
	token := cmd.String("operator-token")
	if ip := ln.Addr().(*net.TCPAddr).IP; token == "" && !ip.IsLoopback() {
		var b [24]byte
		rand.Read(b[:])
		token = base64.RawURLEncoding.EncodeToString(b[:])
		fmt.Printf("backchannel serve: operator token %s (pass it to 'session new --token', or open the workbench at /#operator=%s)\n", token, token)
	}
	srv := server.New(m, server.Options{Logger: log, BaseURL: cmd.String("base-url"), CORSOrigin: cmd.String("cors-origin"), OperatorToken: token})
	hs := srv.HTTPServer()
	fmt.Printf("backchannel serve: listening on http://%s (store: %s)\n", ln.Addr(), redactDB(cmd.String("db")))
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		m.Close()
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	srv.Drain()
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = hs.Shutdown(sctx)
	m.Close()
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// redactDB hides a password in a postgres URL.
func redactDB(db string) string {
	if u, err := url.Parse(db); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return db
}

// serverKey reads the server's key, or makes one if path does not exist
// (never replacing a file).
func serverKey(path string, log *slog.Logger) (ed25519.PrivateKey, error) {
	k, err := readPrivateKey(path)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("--key: %w", err)
	}
	_, k, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "BACKCHANNEL ED25519 PRIVATE KEY", Bytes: k.Seed()}); err != nil {
		f.Close()
		return nil, fmt.Errorf("--key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	log.Info("made a new server key", "file", path)
	return k, nil
}
