package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/client"
	"github.com/backchannel/backchannel/internal/corpus"
)

func readDir(t *testing.T, dir string, names ...string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		files[n] = b
	}
	return files
}

// TestUpload: scenarios upload in every format the command line reads, and
// a broken one is refused with the file, line and field named as the
// command line names them (and nothing is stored).
func TestUpload(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	good, err := os.ReadFile("testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(good), "reservation_value: 0.3", "reservation_value: 1.7", 1)
	_, err = e.c.Upload(ctx, map[string][]byte{"mine.yaml": []byte(bad)})
	if !client.IsCode(err, "invalid") || !strings.Contains(err.Error(), "mine.yaml:18: parties.buyer.reservation_value: 1.7 is outside [0,1]") {
		t.Fatalf("a broken upload: %v", err)
	}
	if strings.Contains(err.Error(), os.TempDir()) {
		t.Fatalf("the error shows the server's temporary path: %v", err)
	}
	list, err := e.c.Scenarios(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("after a refused upload the list holds %d scenarios (%v), want the built-in only", len(list), err)
	}
	// Native, uploaded twice: one id.
	a, err := e.c.Upload(ctx, map[string][]byte{"small.yaml": good})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.c.Upload(ctx, map[string][]byte{"again.yaml": good})
	if err != nil || b.ID != a.ID {
		t.Fatalf("the same scenario uploaded twice: ids %s and %v (%v)", a.ID, b, err)
	}
	if len(a.Issues) != 3 || len(a.Parties) != 2 || a.Outcomes != "24" {
		t.Fatalf("upload info: %+v", a)
	}
	for _, tc := range []struct {
		name  string
		dir   string
		files []string
		ids   []string
	}{
		{"GENIUS", "genius/anac/y2010/Travel", []string{"travel_domain.xml", "travel_chox.xml", "travel_fanny.xml"}, []string{"travel_chox", "travel_fanny"}},
		{"GeniusWeb", "anl2023/domain00", []string{"domain00.json", "profileA.json", "profileB.json"}, []string{"profileA", "profileB"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := readDir(t, corpus.Dir(t, tc.dir), tc.files...)
			info, err := e.c.Upload(ctx, files)
			if err != nil {
				t.Fatal(err)
			}
			if len(info.Parties) != 2 {
				t.Fatalf("%s: parties %+v", tc.name, info.Parties)
			}
			// A session on it runs to its end with built-in strategies.
			c := e.create(&api.NewSession{Scenario: info.ID, Protocol: "sao", Deadline: api.Deadline{Rounds: 30},
				Seats: map[string]string{info.Parties[0].ID: "conceder", info.Parties[1].ID: "agent"}})
			play(t, c, map[string]string{info.Parties[1].ID: "linear"})
			st, err := link(t, c.Owner).Status(ctx)
			if err != nil || st.Status == "running" || st.Verdict == nil {
				t.Fatalf("status %+v %v", st, err)
			}
			// GENIUS profiles without their domain are refused; GeniusWeb
			// profiles embed theirs.
			delete(files, tc.files[0])
			if _, err := e.c.Upload(ctx, files); (tc.name == "GENIUS") != client.IsCode(err, "invalid") {
				t.Fatalf("%s profiles without their domain file: %v", tc.name, err)
			}
		})
	}
}
