// Package tlog is a session's transparency log: an append-only Merkle tree
// in the RFC 6962 / RFC 9162 shape over salted commitments to the session's
// entries, with checkpoints in the C2SP tlog-checkpoint format signed as
// C2SP signed notes by the server's Ed25519 key, and the checks a party
// runs on arrival: every checkpoint is signed by the key it knows and
// consistent with the last one it saw (else the log was forked or
// rewritten), and every entry it is shown is in the tree.
//
// The tree and the notes are golang.org/x/mod/sumdb/tlog and
// golang.org/x/mod/sumdb/note: the code that runs the Go checksum database
// (sum.golang.org), kept by the Go team, whose hashing is RFC 6962's
// (leaf = SHA-256(0x00 ‖ data), node = SHA-256(0x01 ‖ left ‖ right)), whose
// proofs are RFC 6962's audit paths and consistency proofs, and whose note
// format is the one C2SP's signed-note was written from. One module gives
// both halves, with no other dependency, which is why it was preferred to
// github.com/transparency-dev/merkle (tree and proofs only; its notes would
// need a second module).
//
// A leaf's data is the 32-byte commitment SHA-256(salt ‖ entry), where salt
// is 32 random-looking bytes kept by the server and entry is the JSON text
// of one event or move (Entry). A party is given the salt and entry of
// what it may see, and only leaf hashes of the rest: the outcome spaces are
// small, so an unsalted hash of a hidden offer would give the offer away
// by trying them all. docs/commitments.md states the whole format.
package tlog

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	xtlog "golang.org/x/mod/sumdb/tlog"
)

// Hash is a SHA-256 hash: a leaf, a node or a tree's root.
type Hash = xtlog.Hash

// SaltSize is the length of a commitment's salt in bytes.
const SaltSize = 32

// Commit returns the commitment to entry under salt: SHA-256(salt ‖ entry).
// It is the leaf's data; the leaf's hash is LeafHash of it.
func Commit(salt, entry []byte) Hash {
	h := sha256.New()
	h.Write(salt)
	h.Write(entry)
	var c Hash
	h.Sum(c[:0])
	return c
}

// LeafHash is RFC 6962's leaf hash of data: SHA-256(0x00 ‖ data).
func LeafHash(data []byte) Hash { return xtlog.RecordHash(data) }

// EmptyRoot is the root of a tree with no leaves: SHA-256 of nothing.
var EmptyRoot = Hash(sha256.Sum256(nil))

// Tree is an append-only Merkle tree held in memory: the stored hashes of
// golang.org/x/mod/sumdb/tlog (every complete subtree, about two hashes a
// leaf). It proves inclusion and consistency at any size it has had. It is
// not safe for concurrent use.
type Tree struct {
	hashes []Hash
	n      int64
}

// ReadHashes gives the stored hashes at indexes (tlog.HashReader).
func (t *Tree) ReadHashes(indexes []int64) ([]Hash, error) {
	out := make([]Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(t.hashes)) {
			return nil, fmt.Errorf("tlog: hash %d is not stored (tree of %d leaves)", x, t.n)
		}
		out[i] = t.hashes[x]
	}
	return out, nil
}

// Append adds a leaf whose data is data (a commitment) and returns its index.
func (t *Tree) Append(data []byte) int64 {
	return t.AppendHash(LeafHash(data))
}

// AppendHash adds a leaf by its leaf hash and returns its index.
func (t *Tree) AppendHash(leaf Hash) int64 {
	hs, err := xtlog.StoredHashesForRecordHash(t.n, leaf, t)
	if err != nil {
		panic(err) // every hash it reads is stored: a bug
	}
	t.hashes = append(t.hashes, hs...)
	t.n++
	return t.n - 1
}

// Size is the number of leaves.
func (t *Tree) Size() int64 { return t.n }

// Root returns the root of the tree as it was with n leaves (n ≤ Size).
func (t *Tree) Root(n int64) (Hash, error) {
	if n == 0 {
		return EmptyRoot, nil
	}
	if n < 0 || n > t.n {
		return Hash{}, fmt.Errorf("tlog: no tree of %d leaves (it has %d)", n, t.n)
	}
	return xtlog.TreeHash(n, t)
}

// Inclusion returns the proof that leaf index is in the tree of size n:
// RFC 9162's inclusion path, from the leaf's sibling up.
func (t *Tree) Inclusion(index, n int64) ([]Hash, error) {
	if n > t.n {
		return nil, fmt.Errorf("tlog: no tree of %d leaves (it has %d)", n, t.n)
	}
	return xtlog.ProveRecord(n, index, t)
}

// Consistency returns the proof that the tree of size n extends the tree of
// size m (m ≤ n): RFC 9162's consistency path; empty when m is 0 or n.
func (t *Tree) Consistency(m, n int64) ([]Hash, error) {
	if n > t.n || m < 0 || m > n {
		return nil, fmt.Errorf("tlog: no consistency proof from %d to %d leaves (the tree has %d)", m, n, t.n)
	}
	if m == 0 || m == n {
		return nil, nil
	}
	return xtlog.ProveTree(n, m, t)
}

// CheckInclusion reports whether proof shows the leaf with hash leaf at
// index in the tree of size n and root root.
func CheckInclusion(proof []Hash, index, n int64, root, leaf Hash) error {
	if index < 0 || index >= n {
		return fmt.Errorf("leaf %d is outside a tree of %d leaves", index, n)
	}
	if err := xtlog.CheckRecord(proof, n, root, index, leaf); err != nil {
		return fmt.Errorf("leaf %d is not in the tree of %d leaves: %w", index, n, err)
	}
	return nil
}

// CheckConsistency reports whether proof shows that the tree (n, root)
// extends the tree (m, old).
func CheckConsistency(proof []Hash, m int64, old Hash, n int64, root Hash) error {
	switch {
	case m > n:
		return fmt.Errorf("the log shrank from %d to %d leaves", m, n)
	case m == n:
		if old != root {
			return fmt.Errorf("two different trees of %d leaves", n)
		}
		return nil
	case m == 0:
		return nil
	}
	if err := xtlog.CheckTree(proof, n, root, m, old); err != nil {
		return fmt.Errorf("the tree of %d leaves does not extend the one of %d: %w", n, m, err)
	}
	return nil
}

// EncodeHashes writes hashes as standard base64 strings (the API's form).
func EncodeHashes(hs []Hash) []string {
	if len(hs) == 0 {
		return nil
	}
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// DecodeHashes reads hashes written by EncodeHashes.
func DecodeHashes(ss []string) ([]Hash, error) {
	out := make([]Hash, len(ss))
	for i, s := range ss {
		h, err := DecodeHash(s)
		if err != nil {
			return nil, fmt.Errorf("proof hash %d: %w", i, err)
		}
		out[i] = h
	}
	return out, nil
}

// DecodeHash reads one base64 hash.
func DecodeHash(s string) (Hash, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != len(Hash{}) {
		return Hash{}, errors.New("not a base64 SHA-256 hash")
	}
	return Hash(b), nil
}
