package tlog

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// A party may sign its own moves with its own Ed25519 key: the move's leaf
// then holds the key and the signature, so that the move cannot later be
// denied and the server, which does not hold the key, cannot make one up.
// Every move of a seat that has signed one must be signed by the same key;
// a verifier names a move whose signature is missing or does not verify.

// MoveMessage is the text a party signs for a move:
//
//	backchannel signed move v1\n
//	session <session id>\n
//	seat <role>\n
//	step <step, decimal>\n
//	kind <kind>\n
//	outcome <issue>=<value>\n   (one line per issue, sorted by issue name bytewise; none without an outcome)
//
// It returns an error if a name holds a line break or an issue name an '='.
func MoveMessage(session, seat string, step int, kind string, outcome map[string]string) ([]byte, error) {
	var b strings.Builder
	b.WriteString("backchannel signed move v1\n")
	for _, f := range [][2]string{{"session", session}, {"seat", seat}, {"step", strconv.Itoa(step)}, {"kind", kind}} {
		if strings.ContainsAny(f[1], "\n\r") {
			return nil, fmt.Errorf("signed move: %s %q holds a line break", f[0], f[1])
		}
		b.WriteString(f[0] + " " + f[1] + "\n")
	}
	issues := make([]string, 0, len(outcome))
	for k := range outcome {
		issues = append(issues, k)
	}
	sort.Strings(issues)
	for _, k := range issues {
		if strings.ContainsAny(k, "=\n\r") || strings.ContainsAny(outcome[k], "\n\r") {
			return nil, fmt.Errorf("signed move: issue %q or its value holds '=' or a line break", k)
		}
		b.WriteString("outcome " + k + "=" + outcome[k] + "\n")
	}
	return []byte(b.String()), nil
}

// SignMove signs a move with key and returns the public key and the
// signature, base64.
func SignMove(key ed25519.PrivateKey, session, seat string, step int, kind string, outcome map[string]string) (pub, sig string, err error) {
	msg, err := MoveMessage(session, seat, step, kind, outcome)
	if err != nil {
		return "", "", err
	}
	return base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)), base64.StdEncoding.EncodeToString(ed25519.Sign(key, msg)), nil
}

// VerifyMove checks a move's signature (pub and sig base64) by seat.
func VerifyMove(pub, sig, session, seat string, step int, kind string, outcome map[string]string) error {
	k, err := base64.StdEncoding.DecodeString(pub)
	if err != nil || len(k) != ed25519.PublicKeySize {
		return fmt.Errorf("step %d: the signing key is not a base64 Ed25519 public key", step)
	}
	s, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(s) != ed25519.SignatureSize {
		return fmt.Errorf("step %d: the signature is not a base64 Ed25519 signature", step)
	}
	msg, err := MoveMessage(session, seat, step, kind, outcome)
	if err != nil {
		return err
	}
	if !ed25519.Verify(k, msg, s) {
		return fmt.Errorf("step %d: %s's signature of %s does not verify", step, seat, kind)
	}
	return nil
}

// checkSignedMoves checks the signed moves among the opened entries: each
// signature verifies, each seat signs with one key, and a seat that signed
// one move signed every opened move of its own (a move made for the clock
// or a fault, kinds "expire" and "fault", is the server's and unsigned).
func checkSignedMoves(entries []*Entry) error {
	keys := map[string]string{}
	for _, e := range entries {
		if e == nil || e.Type != TypeMove || e.Key == "" {
			continue
		}
		if err := VerifyMove(e.Key, e.Sig, e.Session, e.Party, e.Step, e.Kind, e.Outcome); err != nil {
			return &Alarm{Kind: AlarmMove, Detail: fmt.Sprintf("leaf %d: %v: a forged signed move", e.Leaf, err)}
		}
		if k, ok := keys[e.Party]; ok && k != e.Key {
			return &Alarm{Kind: AlarmMove, Detail: fmt.Sprintf("leaf %d: %s signs with another key than before", e.Leaf, e.Party)}
		}
		keys[e.Party] = e.Key
	}
	for _, e := range entries {
		if e == nil || e.Type != TypeMove || e.Key != "" || keys[e.Party] == "" || e.Kind == "expire" || e.Kind == "fault" {
			continue
		}
		return &Alarm{Kind: AlarmMove, Detail: fmt.Sprintf("leaf %d: %s's move at step %d carries no signature, though %s signs its moves: a signature was dropped or the move made up", e.Leaf, e.Party, e.Step, e.Party)}
	}
	return nil
}
