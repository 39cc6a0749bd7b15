package tlog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/backchannel/backchannel/api"
)

// The reference algorithms below are written from RFC 9162 (sections 2.1.1,
// 2.1.3.2 and 2.1.4.2) independently of golang.org/x/mod, in the form
// docs/commitments.md gives to other verifiers: the tests check that the
// library's trees and proofs are the RFC's.

func refLeaf(d []byte) Hash { return sha256.Sum256(append([]byte{0}, d...)) }

func refNode(l, r Hash) Hash {
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// refMTH is RFC 9162's MTH(D[n]).
func refMTH(leaves [][]byte) Hash {
	n := len(leaves)
	switch n {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return refLeaf(leaves[0])
	}
	k := 1
	for k*2 < n {
		k *= 2
	}
	return refNode(refMTH(leaves[:k]), refMTH(leaves[k:]))
}

// refVerifyInclusion is RFC 9162 2.1.3.2.
func refVerifyInclusion(index, size int64, leaf Hash, path []Hash, root Hash) bool {
	if index >= size {
		return false
	}
	fn, sn := index, size-1
	r := leaf
	for _, p := range path {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			r = refNode(p, r)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			r = refNode(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	return sn == 0 && r == root
}

// refVerifyConsistency is RFC 9162 2.1.4.2.
func refVerifyConsistency(m, n int64, old, root Hash, path []Hash) bool {
	if m == n {
		return len(path) == 0 && old == root
	}
	if m == 0 || m > n {
		return false
	}
	if len(path) == 0 {
		return false
	}
	if m&(m-1) == 0 { // a power of two: the old root is the first node
		path = append([]Hash{old}, path...)
	}
	fn, sn := m-1, n-1
	if fn&1 == 1 {
		s := bits.TrailingZeros64(uint64(^fn))
		fn >>= s
		sn >>= s
	}
	fr, sr := path[0], path[0]
	for _, c := range path[1:] {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			fr = refNode(c, fr)
			sr = refNode(c, sr)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			sr = refNode(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	return sn == 0 && fr == old && sr == root
}

func leafData(i int) []byte {
	c := Commit(bytes.Repeat([]byte{byte(i)}, SaltSize), fmt.Appendf(nil, `{"leaf":%d}`, i))
	return c[:]
}

func TestTreeIsRFC9162(t *testing.T) {
	var tr Tree
	var leaves [][]byte
	for n := 0; n <= 70; n++ {
		root, err := tr.Root(int64(n))
		if err != nil {
			t.Fatal(err)
		}
		if want := refMTH(leaves); root != want {
			t.Fatalf("root of %d leaves differs from RFC 9162's MTH", n)
		}
		for i := range n {
			p, err := tr.Inclusion(int64(i), int64(n))
			if err != nil {
				t.Fatal(err)
			}
			if !refVerifyInclusion(int64(i), int64(n), refLeaf(leaves[i]), p, root) {
				t.Fatalf("inclusion proof of leaf %d in %d fails RFC 9162's check", i, n)
			}
			if err := CheckInclusion(p, int64(i), int64(n), root, LeafHash(leaves[i])); err != nil {
				t.Fatal(err)
			}
		}
		for m := 0; m <= n; m++ {
			p, err := tr.Consistency(int64(m), int64(n))
			if err != nil {
				t.Fatal(err)
			}
			old := refMTH(leaves[:m])
			if m > 0 && !refVerifyConsistency(int64(m), int64(n), old, root, p) {
				t.Fatalf("consistency proof %d → %d fails RFC 9162's check", m, n)
			}
			if err := CheckConsistency(p, int64(m), old, int64(n), root); err != nil {
				t.Fatal(err)
			}
		}
		leaves = append(leaves, leafData(n))
		tr.Append(leafData(n))
	}
}

func testSigner(t testing.TB) (*Signer, ed25519.PrivateKey) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	s, err := NewSigner("backchannel", key)
	if err != nil {
		t.Fatal(err)
	}
	return s, key
}

func TestCheckpointSignedNote(t *testing.T) {
	s, key := testSigner(t)
	c := Checkpoint{Origin: Origin("backchannel", "sabc"), Size: 3, Root: refMTH([][]byte{leafData(0), leafData(1), leafData(2)})}
	signed, err := s.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(signed, c.Text()+"\n— backchannel ") {
		t.Fatalf("not a signed note of the checkpoint:\n%s", signed)
	}
	// The signature line is base64(key hash ‖ Ed25519 signature of the text).
	line := strings.TrimSuffix(strings.SplitN(signed, "\n\n— backchannel ", 2)[1], "\n")
	raw, _ := base64.StdEncoding.DecodeString(line)
	if len(raw) != 4+64 || !ed25519.Verify(key.Public().(ed25519.PublicKey), []byte(c.Text()), raw[4:]) {
		t.Fatal("the signature line is not key hash ‖ Ed25519(text)")
	}
	got, err := OpenCheckpoint(signed, s.VerifierKey())
	if err != nil || got != c {
		t.Fatalf("OpenCheckpoint = %+v, %v; want %+v", got, err, c)
	}
	pub, err := PublicKey(s.VerifierKey())
	if err != nil || !bytes.Equal(pub, key.Public().(ed25519.PublicKey)) {
		t.Fatalf("PublicKey = %x, %v", pub, err)
	}
	other, _ := NewSigner("backchannel", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, 32)))
	if _, err := OpenCheckpoint(signed, other.VerifierKey()); err == nil {
		t.Error("a checkpoint opened with another key")
	}
	forged := strings.Replace(signed, "\n3\n", "\n4\n", 1)
	if _, err := OpenCheckpoint(forged, s.VerifierKey()); err == nil {
		t.Error("an edited checkpoint opened")
	}
}

func TestFollowerAlarms(t *testing.T) {
	s, _ := testSigner(t)
	origin := Origin("backchannel", "sx")
	var a, b Tree
	for i := range 20 {
		a.Append(leafData(i))
		if i == 5 {
			b.Append(leafData(100))
		} else {
			b.Append(leafData(i))
		}
	}
	sign := func(tr *Tree, n int64) string {
		r, _ := tr.Root(n)
		x, err := s.Sign(Checkpoint{Origin: origin, Size: n, Root: r})
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	proof := func(tr *Tree, m, n int64) []string {
		p, err := tr.Consistency(m, n)
		if err != nil {
			t.Fatal(err)
		}
		return EncodeHashes(p)
	}
	f := NewFollower(s.VerifierKey(), origin)
	if err := f.Advance(sign(&a, 8), nil); err != nil {
		t.Fatal(err)
	}
	if err := f.Advance(sign(&a, 12), proof(&a, 8, 12)); err != nil {
		t.Fatal(err)
	}
	var alarm *Alarm
	for name, try := range map[string]func() error{
		"rewritten":  func() error { return f.Advance(sign(&b, 15), proof(&b, 12, 15)) },
		"split view": func() error { return f.Advance(sign(&b, 12), nil) },
		"shrank":     func() error { return f.Advance(sign(&a, 10), nil) },
		"unsigned":   func() error { return f.Advance(strings.Replace(sign(&a, 15), "15", "16", 1), proof(&a, 12, 15)) },
		"other log": func() error {
			r, _ := a.Root(15)
			x, _ := s.Sign(Checkpoint{Origin: Origin("backchannel", "sy"), Size: 15, Root: r})
			return f.Advance(x, proof(&a, 12, 15))
		},
	} {
		if err := try(); !errors.As(err, &alarm) {
			t.Errorf("%s: Advance = %v, want an alarm", name, err)
		}
	}
	if f.Size() != 12 {
		t.Fatalf("after refused checkpoints the follower is at %d, want 12", f.Size())
	}
	// A leaf at its place verifies; the same leaf claimed elsewhere does not.
	salt := bytes.Repeat([]byte{1}, SaltSize)
	var c Tree
	for i := range 12 {
		if i == 3 {
			e := Entry{Session: "sx", Leaf: 3, Type: TypeEvent, Seq: 1, Kind: "offer"}
			cm := Commit(salt, e.Marshal())
			c.Append(cm[:])
			continue
		}
		c.Append(leafData(i))
	}
	g := NewFollower(s.VerifierKey(), origin)
	if err := g.Advance(sign(&c, 12), nil); err != nil {
		t.Fatal(err)
	}
	e := Entry{Session: "sx", Leaf: 3, Type: TypeEvent, Seq: 1, Kind: "offer"}
	p, _ := c.Inclusion(3, 12)
	b64 := base64.StdEncoding.EncodeToString(salt)
	if _, err := g.Include(3, b64, string(e.Marshal()), EncodeHashes(p)); err != nil {
		t.Fatal(err)
	}
	e.Kind = "accept"
	if _, err := g.Include(3, b64, string(e.Marshal()), EncodeHashes(p)); !errors.As(err, &alarm) || alarm.Kind != AlarmInclusion {
		t.Errorf("a changed entry: %v, want an inclusion alarm", err)
	}
	e.Kind, e.Leaf = "offer", 4
	if _, err := g.Include(3, b64, string(e.Marshal()), EncodeHashes(p)); !errors.As(err, &alarm) || alarm.Kind != AlarmEntry {
		t.Errorf("an entry naming another leaf: %v, want an entry alarm", err)
	}
}

// export builds a log of n entries with every third one closed.
func export(t testing.TB, n int) *api.LogExport {
	s, _ := testSigner(t)
	x := &api.LogExport{Format: api.LogFormat, Session: "sx", Key: s.VerifierKey()}
	var tr Tree
	for i := range n {
		e := Entry{Session: "sx", Leaf: int64(i), Type: TypeEvent, Seq: i + 1, Step: i, Party: "a", Kind: "offer",
			Outcome: map[string]string{"price": fmt.Sprint(i % 3)}}
		if i%2 == 1 {
			e = Entry{Session: "sx", Leaf: int64(i), Type: TypeMove, Step: i, Party: "b", Kind: "reject"}
		}
		salt := bytes.Repeat([]byte{byte(i + 1)}, SaltSize)
		text := e.Marshal()
		c := Commit(salt, text)
		tr.Append(c[:])
		lf := api.LogLeaf{Commitment: base64.StdEncoding.EncodeToString(c[:])}
		if i%3 != 2 {
			lf.Salt, lf.Entry = base64.StdEncoding.EncodeToString(salt), string(text)
		}
		x.Leaves = append(x.Leaves, lf)
	}
	r, _ := tr.Root(int64(n))
	cp, err := s.Sign(Checkpoint{Origin: Origin("backchannel", "sx"), Size: int64(n), Root: r})
	if err != nil {
		t.Fatal(err)
	}
	x.Checkpoint = cp
	return x
}

func TestVerifyExportFindsEveryChange(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(2, 40).Draw(rt, "n")
		x := export(t, n)
		if _, err := VerifyExport(x, ""); err != nil {
			rt.Fatalf("an intact log: %v", err)
		}
		i := rapid.IntRange(0, n-1).Draw(rt, "i")
		j := rapid.IntRange(0, n-1).Filter(func(j int) bool { return j != i }).Draw(rt, "j")
		y := *x
		y.Leaves = append([]api.LogLeaf(nil), x.Leaves...)
		switch how := rapid.SampledFrom([]string{"change", "drop", "swap", "insert", "recommit"}).Draw(rt, "how"); how {
		case "change":
			if y.Leaves[i].Entry == "" {
				y.Leaves[i].Commitment = y.Leaves[j].Commitment
			} else {
				y.Leaves[i].Entry = strings.Replace(y.Leaves[i].Entry, `"step":`, `"step":1`, 1)
			}
		case "drop":
			y.Leaves = append(y.Leaves[:i], y.Leaves[i+1:]...)
		case "swap":
			y.Leaves[i], y.Leaves[j] = y.Leaves[j], y.Leaves[i]
		case "insert":
			y.Leaves = append(y.Leaves[:i+1], y.Leaves[i:]...)
		case "recommit": // a new commitment that matches a changed entry
			e := strings.Replace(x.Leaves[i].Entry, `"step":`, `"step":1`, 1)
			salt := bytes.Repeat([]byte{9}, SaltSize)
			c := Commit(salt, []byte(e))
			y.Leaves[i] = api.LogLeaf{Commitment: base64.StdEncoding.EncodeToString(c[:]), Salt: base64.StdEncoding.EncodeToString(salt), Entry: e}
		}
		_, err := VerifyExport(&y, "")
		var alarm *Alarm
		if !errors.As(err, &alarm) {
			rt.Fatalf("a changed log verified: %v", err)
		}
		if !strings.Contains(err.Error(), "leaf") && !strings.Contains(err.Error(), "leaves") {
			rt.Fatalf("the alarm does not say where: %v", err)
		}
	})
}

func TestCheckReceiptNamesSplitView(t *testing.T) {
	x := export(t, 10)
	o, err := VerifyExport(x, "")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := testSigner(t)
	// A receipt for leaf 4 in the first 6 leaves of the log.
	var tr Tree
	for _, lf := range x.Leaves[:6] {
		h, _ := DecodeHash(lf.Commitment)
		tr.Append(h[:])
	}
	r6, _ := tr.Root(6)
	cp, _ := s.Sign(Checkpoint{Origin: Origin("backchannel", "sx"), Size: 6, Root: r6})
	p, _ := tr.Inclusion(4, 6)
	rc := &api.Receipt{Index: 4, Salt: x.Leaves[4].Salt, Entry: x.Leaves[4].Entry, Inclusion: EncodeHashes(p), Checkpoint: cp}
	if _, err := o.CheckReceipt(rc); err != nil {
		t.Fatal(err)
	}
	// The same receipt from a tree whose leaf 5 differs: a split view.
	var other Tree
	for i, lf := range x.Leaves[:6] {
		h, _ := DecodeHash(lf.Commitment)
		if i == 5 {
			h = Hash{5}
		}
		other.Append(h[:])
	}
	ro, _ := other.Root(6)
	cpo, _ := s.Sign(Checkpoint{Origin: Origin("backchannel", "sx"), Size: 6, Root: ro})
	po, _ := other.Inclusion(4, 6)
	rc2 := &api.Receipt{Index: 4, Salt: x.Leaves[4].Salt, Entry: x.Leaves[4].Entry, Inclusion: EncodeHashes(po), Checkpoint: cpo}
	if _, err := o.CheckReceipt(rc2); err == nil || !strings.Contains(err.Error(), "split view") {
		t.Fatalf("CheckReceipt of a split view = %v", err)
	}
	if err := CompareCheckpoints(cp, cpo, s.VerifierKey()); err == nil || !strings.Contains(err.Error(), "split view") {
		t.Fatalf("CompareCheckpoints of a split view = %v", err)
	}
}
