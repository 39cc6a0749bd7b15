package tlog

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/backchannel/backchannel/api"
)

// AgreementStatement is the text of an agreement that its signers sign:
//
//	backchannel agreement v1\n
//	session <session id>\n
//	scenario <scenario>\n
//	protocol <protocol>\n
//	checkpoint <size> <root, base64>\n     (the session log's final checkpoint)
//	parties <id> <id> …\n
//	term <issue>=<value>\n                  (one per issue, sorted by issue name)
//	says <issue title>: <value>\n           (the same in words, in the scenario's order)
func AgreementStatement(session, scenario, protocol string, cp Checkpoint, parties []string, terms map[string]string, words []string) (string, error) {
	var b strings.Builder
	b.WriteString("backchannel agreement v1\n")
	for _, f := range [][2]string{{"session", session}, {"scenario", scenario}, {"protocol", protocol},
		{"checkpoint", strconv.FormatInt(cp.Size, 10) + " " + base64.StdEncoding.EncodeToString(cp.Root[:])},
		{"parties", strings.Join(parties, " ")}} {
		b.WriteString(f[0] + " " + f[1] + "\n")
	}
	issues := make([]string, 0, len(terms))
	for k := range terms {
		issues = append(issues, k)
	}
	sort.Strings(issues)
	for _, k := range issues {
		b.WriteString("term " + k + "=" + terms[k] + "\n")
	}
	for _, w := range words {
		b.WriteString("says " + w + "\n")
	}
	s := b.String()
	if strings.Count(s, "\n") != 6+len(issues)+len(words) {
		return "", fmt.Errorf("agreement of session %s: a name holds a line break", session)
	}
	return s, nil
}

// Statement is an agreement statement read back.
type Statement struct {
	Session    string
	Checkpoint Checkpoint // Origin is not set
	Parties    []string
	Terms      map[string]string
}

// ParseStatement reads an agreement statement.
func ParseStatement(s string) (*Statement, error) {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) < 6 || lines[0] != "backchannel agreement v1" {
		return nil, fmt.Errorf("agreement: not a backchannel agreement v1 statement")
	}
	st := &Statement{Terms: map[string]string{}}
	for _, ln := range lines[1:] {
		k, v, _ := strings.Cut(ln, " ")
		switch k {
		case "session":
			st.Session = v
		case "checkpoint":
			n, root, _ := strings.Cut(v, " ")
			size, err := strconv.ParseInt(n, 10, 64)
			h, herr := DecodeHash(root)
			if err != nil || herr != nil {
				return nil, fmt.Errorf("agreement: checkpoint line %q", ln)
			}
			st.Checkpoint = Checkpoint{Size: size, Root: h}
		case "parties":
			st.Parties = strings.Fields(v)
		case "term":
			i, val, ok := strings.Cut(v, "=")
			if !ok {
				return nil, fmt.Errorf("agreement: term line %q", ln)
			}
			st.Terms[i] = val
		}
	}
	return st, nil
}

// SignAgreement adds role's signature with key to the agreement.
func SignAgreement(a *api.Agreement, role string, key ed25519.PrivateKey) {
	a.Signatures = append(a.Signatures, api.AgreementSignature{Role: role,
		Key: base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)),
		Sig: base64.StdEncoding.EncodeToString(ed25519.Sign(key, []byte(a.Statement)))})
}

// AgreementReport says what an agreement check found.
type AgreementReport struct {
	Size    int64    `json:"size"`    // the final checkpoint's size
	Parties int      `json:"parties"` // parties named
	Signed  int      `json:"signed"`  // parties that signed
	Signers []string `json:"signers"`
	Summary string   `json:"summary"` // the terms, in one line
}

// CheckAgreement checks an agreement against the verified log o: the
// statement is of o's session, its checkpoint is a prefix of o (the same
// root at its size), the server's signature is by o's key, every other
// signature verifies, a party that signed moves in the log signs with the
// same key, and, if o opens the session's "agreement" event, the terms are
// its outcome.
func CheckAgreement(a *api.Agreement, o *Opened) (*AgreementReport, error) {
	if a.Format != api.AgreementFormat {
		return nil, fmt.Errorf("format %q, want %q", a.Format, api.AgreementFormat)
	}
	st, err := ParseStatement(a.Statement)
	if err != nil {
		return nil, err
	}
	if st.Session != o.Session || a.Session != o.Session {
		return nil, fmt.Errorf("the agreement is of session %s, the log of %s", st.Session, o.Session)
	}
	if st.Checkpoint.Size > o.Checkpoint.Size {
		return nil, &Alarm{Kind: AlarmFork, Detail: fmt.Sprintf("split view: the agreement's checkpoint has %d leaves, the log %d", st.Checkpoint.Size, o.Checkpoint.Size)}
	}
	if root, _ := o.Root(st.Checkpoint.Size); root != st.Checkpoint.Root {
		return nil, &Alarm{Kind: AlarmFork, Detail: fmt.Sprintf("split view: the agreement's checkpoint of %d leaves has another root than the log", st.Checkpoint.Size)}
	}
	moveKeys := map[string]string{}
	for _, e := range o.Entries {
		if e == nil {
			continue
		}
		if e.Type == TypeMove && e.Key != "" {
			moveKeys[e.Party] = e.Key
		}
		if e.Type == TypeEvent && e.Kind == "agreement" && !maps.Equal(e.Outcome, st.Terms) {
			return nil, &Alarm{Kind: AlarmEntry, Detail: fmt.Sprintf("leaf %d: the log's agreement is %v, the document's %v", e.Leaf, e.Outcome, st.Terms)}
		}
	}
	serverKey, err := PublicKey(o.Key)
	if err != nil {
		return nil, err
	}
	rep := &AgreementReport{Size: st.Checkpoint.Size, Parties: len(st.Parties)}
	byServer := false
	for i, s := range a.Signatures {
		k, kerr := base64.StdEncoding.DecodeString(s.Key)
		sig, serr := base64.StdEncoding.DecodeString(s.Sig)
		if kerr != nil || serr != nil || len(k) != ed25519.PublicKeySize || !ed25519.Verify(k, []byte(a.Statement), sig) {
			return nil, &Alarm{Kind: AlarmSignature, Detail: fmt.Sprintf("signature %d (%s) does not verify", i, s.Role)}
		}
		switch {
		case s.Role == "server":
			if !serverKey.Equal(ed25519.PublicKey(k)) {
				return nil, &Alarm{Kind: AlarmSignature, Detail: "the server's signature is not by the log's key"}
			}
			byServer = true
		case moveKeys[s.Role] != "" && moveKeys[s.Role] != s.Key:
			return nil, &Alarm{Kind: AlarmSignature, Detail: fmt.Sprintf("%s signs the agreement with another key than its moves", s.Role)}
		default:
			for _, p := range st.Parties {
				if p == s.Role {
					rep.Signed++
				}
			}
			rep.Signers = append(rep.Signers, s.Role)
		}
	}
	if !byServer {
		return nil, &Alarm{Kind: AlarmSignature, Detail: "the agreement carries no signature by the server's log key"}
	}
	var terms []string
	for _, ln := range strings.Split(a.Statement, "\n") {
		if w, ok := strings.CutPrefix(ln, "says "); ok {
			terms = append(terms, w)
		}
	}
	rep.Summary = strings.Join(terms, "; ")
	return rep, nil
}
