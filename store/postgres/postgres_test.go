package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/store/internal/storetest"
)

// serverURL returns the test server's URL from BACKCHANNEL_TEST_POSTGRES
// (scripts/postgres.sh starts one). Without it the test is skipped, except
// in CI, where it fails.
func serverURL(t testing.TB) string {
	u := os.Getenv("BACKCHANNEL_TEST_POSTGRES")
	if u == "" {
		msg := "BACKCHANNEL_TEST_POSTGRES is not set: start a server with 'export BACKCHANNEL_TEST_POSTGRES=$(scripts/postgres.sh)'"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return u
}

// open creates a fresh database on the test server and opens a store on it.
func open(t testing.TB) *Store {
	t.Helper()
	base := serverURL(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var b [6]byte
	rand.Read(b[:])
	name := "bc_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	s, err := Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if a, err := sql.Open("pgx", base); err == nil {
			a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			a.Close()
		}
	})
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestOpenBadURL(t *testing.T) {
	_, err := Open(context.Background(), "postgres://nobody:secret@127.0.0.1:1/none?connect_timeout=2")
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if want := "xxxxx"; !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("error should redact the password: %v", err)
	}
}

func BenchmarkPut(b *testing.B) {
	for _, size := range []int{1, 256} {
		b.Run(map[int]string{1: "batch1", 256: "batch256"}[size], func(b *testing.B) {
			storetest.Bench(b, open(b), size)
		})
	}
}

// BenchmarkAppend measures the group commit of live sessions' actions
// (docs/benchmarks.md, "Live sessions").
func BenchmarkAppend(b *testing.B) {
	for _, c := range []struct{ sessions, group int }{{1, 1}, {1000, 10}, {1000, 100}, {1000, 1000}} {
		b.Run(fmt.Sprintf("sessions=%d/group=%d", c.sessions, c.group), func(b *testing.B) {
			storetest.BenchAppend(b, open(b), c.sessions, c.group)
		})
	}
}
