package tlog

import (
	"encoding/json"
	"os"
	"testing"
)

// FuzzVerifyExport: any bytes read as a session log are verified or
// refused, never a panic; a log that verifies has as many leaves as its
// checkpoint says.
func FuzzVerifyExport(f *testing.F) {
	if b, err := os.ReadFile("testdata/vectors.json"); err == nil {
		var v struct {
			Export json.RawMessage `json:"export"`
		}
		if json.Unmarshal(b, &v) == nil {
			f.Add([]byte(v.Export))
		}
	}
	f.Add([]byte(`{"format":"backchannel-log/1","session":"s","key":"k","checkpoint":"","leaves":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadExport(b)
		if err != nil {
			return
		}
		o, err := VerifyExport(x, "")
		if err == nil && int64(len(o.Commitments)) != o.Checkpoint.Size {
			t.Fatalf("verified a log of %d leaves with a checkpoint of %d", len(o.Commitments), o.Checkpoint.Size)
		}
	})
}

// FuzzFollower: a follower fed any checkpoint text and proof refuses it or
// moves on, never panics, and never goes back.
func FuzzFollower(f *testing.F) {
	f.Add("backchannel/sessions/s\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— backchannel AAAA\n", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", int64(1))
	f.Fuzz(func(t *testing.T, signed, proof string, index int64) {
		s, _ := testSigner(t)
		fl := NewFollower(s.VerifierKey(), "backchannel/sessions/s")
		before := fl.Size()
		fl.Advance(signed, []string{proof})
		if fl.Size() < before {
			t.Fatal("the follower went back")
		}
		fl.Include(index, proof, signed, []string{proof})
		if _, err := ParseCheckpoint(signed); err == nil {
			OpenCheckpoint(signed, s.VerifierKey())
		}
	})
}
