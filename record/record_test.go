package record_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/mechanism"
	"github.com/backchannel/backchannel/outcome"
	"github.com/backchannel/backchannel/record"
)

func sample(t *testing.T, key ed25519.PrivateKey) []byte {
	t.Helper()
	sp, err := outcome.NewSpace([]outcome.Issue{outcome.NewDiscrete("x", "a", "b"), outcome.NewInteger("n", 1, 3)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := record.NewWriter(&buf, sp, record.Header{Scenario: "s", Protocol: "sao", Parties: []string{"p", "q"}, Seed: 7})
	w.Observe(&mechanism.Event{Step: 1, Party: 0, Kind: "offer", Outcome: outcome.Outcome{1, 2}, To: []int{1}})
	w.Observe(&mechanism.Event{Step: 2, Party: 1, Kind: "reject", Note: `say "no"`})
	w.Observe(&mechanism.Event{Step: 3, Party: mechanism.MediatorRole, Kind: "relay", Outcome: outcome.Outcome{0, 0}})
	if err := w.Close(key); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVerifyAcceptsIntactLogs(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	log := sample(t, priv)
	s, err := record.Verify(bytes.NewReader(log), pub)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if !s.Signed || s.Lines != 5 || s.Header.Seed != 7 || s.Header.Parties[1] != "q" {
		t.Errorf("summary %+v", s)
	}
	if !strings.Contains(string(log), `"outcome":{"x":"b","n":"3"}`) {
		t.Errorf("outcome not written by name:\n%s", log)
	}
	if _, err := record.Verify(bytes.NewReader(sample(t, nil)), nil); err != nil {
		t.Errorf("unsigned log: %v", err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	other, _, _ := ed25519.GenerateKey(nil)
	log := string(sample(t, priv))
	lines := strings.SplitAfter(log, "\n")
	lines = lines[:len(lines)-1] // trailing empty
	tests := []struct {
		name string
		log  string
		key  ed25519.PublicKey
		want string
	}{
		{"edited offer", strings.Replace(log, `"x":"b"`, `"x":"a"`, 1), pub, "line 2: content does not match"},
		{"deleted line", lines[0] + lines[2] + lines[3] + lines[4], pub, "line 2: previous hash"},
		{"swapped lines", lines[0] + lines[2] + lines[1] + lines[3] + lines[4], pub, "line 2: previous hash"},
		{"truncated before seal", lines[0] + lines[1] + lines[2], pub, "not sealed"},
		{"other key", log, other, "different key"},
		{"appended after seal", log + lines[1], pub, "after the seal"},
		{"empty", "", nil, "empty log"},
		{"garbage", "hello\n", nil, "line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := record.Verify(strings.NewReader(tc.log), tc.key)
			if err == nil || !errors.Is(err, record.ErrTampered) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrTampered containing %q", err, tc.want)
			}
		})
	}
}
