package tlog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/backchannel/backchannel/api"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

// Vectors are test vectors for independent verifiers (docs/commitments.md):
// a small log whose every value is fixed, with the intermediate results a
// verifier computes.
type Vectors struct {
	Note        string            `json:"note"`
	KeySeed     string            `json:"key_seed_hex"`
	VerifierKey string            `json:"verifier_key"`
	Origin      string            `json:"origin"`
	Leaves      []VectorLeaf      `json:"leaves"`
	Roots       []string          `json:"roots"` // root of the first n leaves, n = 0 … len(leaves)
	Inclusion   []VectorInclusion `json:"inclusion"`
	Consistency []VectorConsist   `json:"consistency"`
	Checkpoint  string            `json:"checkpoint"` // signed, of the whole log
	Move        VectorMove        `json:"signed_move"`
	Export      api.LogExport     `json:"export"`
}

type VectorLeaf struct {
	Salt       string `json:"salt"`
	Entry      string `json:"entry"`
	Commitment string `json:"commitment"` // SHA-256(salt ‖ entry)
	LeafHash   string `json:"leaf_hash"`  // SHA-256(0x00 ‖ commitment)
}

type VectorInclusion struct {
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Path  []string `json:"path"`
}

type VectorConsist struct {
	From int64    `json:"from"`
	To   int64    `json:"to"`
	Path []string `json:"path"`
}

type VectorMove struct {
	PartySeed string `json:"party_seed_hex"`
	Message   string `json:"message"`
	Key       string `json:"key"`
	Sig       string `json:"sig"`
}

func makeVectors(t *testing.T) *Vectors {
	seed := bytes.Repeat([]byte{0x42}, 32)
	s, err := NewSigner("backchannel", ed25519.NewKeyFromSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	party := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x17}, 32))
	const session = "svectors"
	v := &Vectors{Note: "test vectors of docs/commitments.md; all base64 is standard with padding",
		KeySeed: hex.EncodeToString(seed), VerifierKey: s.VerifierKey(), Origin: Origin("backchannel", session)}
	var tr Tree
	offer := map[string]string{"fordow": "closed", "enrichment": "3.67%"}
	pub, sig, err := SignMove(party, session, "iran", 0, "offer", offer)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := MoveMessage(session, "iran", 0, "offer", offer)
	v.Move = VectorMove{PartySeed: hex.EncodeToString(bytes.Repeat([]byte{0x17}, 32)), Message: string(msg), Key: pub, Sig: sig}
	entries := []Entry{
		{Type: TypeMove, Step: 0, Party: "iran", Kind: "offer", Outcome: offer, AtMS: 1796000000000, Key: pub, Sig: sig},
		{Type: TypeEvent, Seq: 1, Step: 1, Party: "iran", Kind: "offer", Outcome: offer},
		{Type: TypeMove, Step: 1, Party: "usa", Kind: "reject", T: 0.1, AtMS: 1796000000500},
		{Type: TypeEvent, Seq: 2, Step: 2, Party: "usa", Kind: "reject", T: 0.1, To: []string{"mediator"}},
		{Type: TypeEvent, Seq: 3, Step: 2, Party: "mediator", Kind: "hold", T: 0.1, Hidden: true},
		{Type: TypeMove, Step: 2, Party: "usa", Kind: "accept", T: 0.2, AtMS: 1796000001000},
		{Type: TypeEvent, Seq: 4, Step: 3, Round: 1, T: 0.2, Party: "usa", Kind: "agreement", Outcome: offer},
	}
	v.Roots = append(v.Roots, base64.StdEncoding.EncodeToString(EmptyRoot[:]))
	v.Export = api.LogExport{Format: api.LogFormat, Session: session, Key: s.VerifierKey()}
	for i, e := range entries {
		e.Session, e.Leaf = session, int64(i)
		salt := bytes.Repeat([]byte{byte(i + 1)}, SaltSize)
		text := e.Marshal()
		c := Commit(salt, text)
		lh := LeafHash(c[:])
		tr.Append(c[:])
		v.Leaves = append(v.Leaves, VectorLeaf{Salt: base64.StdEncoding.EncodeToString(salt), Entry: string(text),
			Commitment: base64.StdEncoding.EncodeToString(c[:]), LeafHash: base64.StdEncoding.EncodeToString(lh[:])})
		r, _ := tr.Root(tr.Size())
		v.Roots = append(v.Roots, base64.StdEncoding.EncodeToString(r[:]))
		lf := api.LogLeaf{Commitment: base64.StdEncoding.EncodeToString(c[:])}
		if i != 4 {
			lf.Salt, lf.Entry = base64.StdEncoding.EncodeToString(salt), string(text)
		}
		v.Export.Leaves = append(v.Export.Leaves, lf)
	}
	n := tr.Size()
	for size := int64(1); size <= n; size++ {
		for i := int64(0); i < size; i++ {
			p, _ := tr.Inclusion(i, size)
			v.Inclusion = append(v.Inclusion, VectorInclusion{Index: i, Size: size, Path: EncodeHashes(p)})
		}
		for m := int64(1); m < size; m++ {
			p, _ := tr.Consistency(m, size)
			v.Consistency = append(v.Consistency, VectorConsist{From: m, To: size, Path: EncodeHashes(p)})
		}
	}
	root, _ := tr.Root(n)
	v.Checkpoint, err = s.Sign(Checkpoint{Origin: v.Origin, Size: n, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	v.Export.Checkpoint = v.Checkpoint
	return v
}

// TestVectors keeps testdata/vectors.json (go test -update rewrites it)
// and checks it with this package's verifier.
func TestVectors(t *testing.T) {
	v := makeVectors(t)
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	const path = "testdata/vectors.json"
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(old, b) {
		t.Fatalf("%s is not what this code makes (%v): run go test ./record/tlog -run Vectors -update", path, err)
	}
	if pub, err := PublicKey(v.VerifierKey); err != nil || !pub.Equal(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x42}, 32)).Public()) {
		t.Fatalf("PublicKey(%s) = %x, %v", v.VerifierKey, pub, err)
	}
	o, err := VerifyExport(&v.Export, v.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	if o.OpenedCount() != len(v.Leaves)-1 {
		t.Fatal(fmt.Sprint("opened ", o.OpenedCount()))
	}
}

// python returns the path of python3, or skips (fails under CI=true).
func python(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err == nil {
		return p
	}
	msg := "python3 is not on PATH: the Python verifier's test needs it"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// TestPythonVerifier runs clients/python/backchannel_log.py, written from
// docs/commitments.md alone, over the test vectors.
func TestPythonVerifier(t *testing.T) {
	py := python(t)
	script := filepath.Join("..", "..", "clients", "python", "backchannel_log.py")
	out, err := exec.Command(py, script, "--vectors", filepath.Join("testdata", "vectors.json")).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}
