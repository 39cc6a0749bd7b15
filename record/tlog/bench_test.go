package tlog

import (
	"bytes"
	"crypto/ed25519"
	"syscall"
	"testing"
)

// BenchmarkPerAction is the log's work for one acknowledged action of a
// two-seat session whose log holds about 1,000 leaves: two leaves (the move
// and its event) committed and appended, one checkpoint signed, the
// receipt's inclusion proof, and for each of the two seats' streams a
// consistency proof and the event's inclusion proof.
func BenchmarkPerAction(b *testing.B) {
	s, err := NewSigner("backchannel", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)))
	if err != nil {
		b.Fatal(err)
	}
	salt := bytes.Repeat([]byte{2}, SaltSize)
	entry := []byte(`{"session":"sbench","leaf":0,"type":"event","seq":1,"step":1,"round":0,"t":0.01,"party":"a","kind":"offer","outcome":{"x":"1","y":"2"}}`)
	var t Tree
	for range 1000 {
		c := Commit(salt, entry)
		t.Append(c[:])
	}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		before := t.Size()
		for range 2 {
			c := Commit(salt, entry)
			t.Append(c[:])
		}
		n := t.Size()
		root, _ := t.Root(n)
		if _, err := s.Sign(Checkpoint{Origin: "backchannel/sessions/sbench", Size: n, Root: root}); err != nil {
			b.Fatal(err)
		}
		if _, err := t.Inclusion(n-2, n); err != nil {
			b.Fatal(err)
		}
		for range 2 {
			if _, err := t.Consistency(before, n); err != nil {
				b.Fatal(err)
			}
			if _, err := t.Inclusion(n-1, n); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkSign is the checkpoint signature alone (Ed25519 over a short
// note), the bulk of BenchmarkPerAction.
func BenchmarkSign(b *testing.B) {
	s, err := NewSigner("backchannel", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)))
	if err != nil {
		b.Fatal(err)
	}
	c := Checkpoint{Origin: "backchannel/sessions/sbench", Size: 1000, Root: EmptyRoot}
	cpu := cpuTime()
	for b.Loop() {
		if _, err := s.Sign(c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user and system CPU time in nanoseconds: on a
// shared, loaded machine the CPU an operation costs is steadier than its
// wall time.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
