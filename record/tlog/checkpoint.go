package tlog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a tree head: the log's origin (its name: one per session),
// its size in leaves and its root hash. Its text is the C2SP
// tlog-checkpoint body:
//
//	<origin>\n<size in decimal>\n<root in standard base64>\n
//
// and a signed checkpoint is that text as a C2SP signed note (a blank line,
// then "— <key name> <base64(key hash ‖ Ed25519 signature)>\n").
type Checkpoint struct {
	Origin string
	Size   int64
	Root   Hash
}

// Text is the checkpoint's note text (unsigned).
func (c Checkpoint) Text() string {
	return c.Origin + "\n" + strconv.FormatInt(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Root[:]) + "\n"
}

// ParseCheckpoint reads a checkpoint's note text (extension lines after the
// root are allowed and ignored).
func ParseCheckpoint(text string) (Checkpoint, error) {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) < 3 || !strings.HasSuffix(text, "\n") {
		return Checkpoint{}, errors.New("checkpoint: want origin, size and root hash lines")
	}
	origin := strings.TrimSuffix(lines[0], "\n")
	size, err := strconv.ParseInt(strings.TrimSuffix(lines[1], "\n"), 10, 64)
	if err != nil || size < 0 || origin == "" || strconv.FormatInt(size, 10) != strings.TrimSuffix(lines[1], "\n") {
		return Checkpoint{}, errors.New("checkpoint: malformed origin or size line")
	}
	root, err := DecodeHash(strings.TrimSuffix(lines[2], "\n"))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: root: %w", err)
	}
	return Checkpoint{Origin: origin, Size: size, Root: root}, nil
}

// Signer signs checkpoints with an Ed25519 key under a key name.
type Signer struct {
	s    note.Signer
	vkey string
}

// NewSigner returns a signer for key under name (no spaces or '+').
func NewSigner(name string, key ed25519.PrivateKey) (*Signer, error) {
	pub := key.Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return nil, err
	}
	enc := append([]byte{1}, key.Seed()...) // algorithm 1: Ed25519
	skey := fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, keyHash(name, pub), base64.StdEncoding.EncodeToString(enc))
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("tlog: key name %q: %w", name, err)
	}
	return &Signer{s: s, vkey: vkey}, nil
}

// keyHash is the signed-note key hash: the first four bytes, big-endian, of
// SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key).
func keyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n\x01"))
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// VerifierKey is the public verifier key in signed-note form:
// "<name>+<key hash, 8 hex digits>+<base64(0x01 ‖ public key)>".
func (s *Signer) VerifierKey() string { return s.vkey }

// Sign returns c as a signed note.
func (s *Signer) Sign(c Checkpoint) (string, error) {
	b, err := note.Sign(&note.Note{Text: c.Text()}, s.s)
	return string(b), err
}

// OpenCheckpoint verifies a signed checkpoint against the verifier key vkey
// and reads it.
func OpenCheckpoint(signed, vkey string) (Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: verifier key: %w", err)
	}
	n, err := note.Open([]byte(signed), note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: not signed by %s: %w", v.Name(), err)
	}
	return ParseCheckpoint(n.Text)
}

// PublicKey reads the Ed25519 public key out of a verifier key.
func PublicKey(vkey string) (ed25519.PublicKey, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, errors.New("verifier key: want name+hash+key")
	}
	b, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(b) != 1+ed25519.PublicKeySize || b[0] != 1 {
		return nil, errors.New("verifier key: not an Ed25519 key")
	}
	return ed25519.PublicKey(bytes.Clone(b[1:])), nil
}
