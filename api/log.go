package api

// The session log (docs/commitments.md): an append-only Merkle tree (RFC
// 9162) over salted commitments to the session's events and moves, whose
// checkpoints are C2SP signed notes by the server's key. These shapes carry
// its proofs; every field is additive, so a client that ignores them keeps
// working.

// LogHead is the newest checkpoint of the session log and the proof that it
// extends the one this stream (or request) showed before.
type LogHead struct {
	// Checkpoint is a C2SP tlog-checkpoint as a signed note:
	// "<origin>\n<size>\n<base64 root>\n\n— <key name> <base64 signature>\n".
	Checkpoint string `json:"checkpoint"`
	// From is the tree size the consistency proof starts at: the size of
	// the checkpoint shown before (0: none).
	From int64 `json:"from"`
	// Consistency is RFC 9162's consistency proof from From to the
	// checkpoint's size, base64 hashes; empty when From is 0 or the size.
	Consistency []string `json:"consistency,omitempty"`
}

// LeafProof opens one leaf of the log to a seat that may read it: the entry
// committed to, its salt, and the inclusion proof in the newest checkpoint
// the seat was shown.
type LeafProof struct {
	Index int64 `json:"index"`
	// Salt is the commitment's 32-byte salt, base64.
	Salt string `json:"salt"`
	// Entry is the committed JSON text, exactly as hashed.
	Entry string `json:"entry"`
	// Inclusion is RFC 9162's inclusion proof, base64 hashes from the
	// leaf's sibling up.
	Inclusion []string `json:"inclusion"`
}

// Receipt proves that an action was logged: its move's leaf, opened, and
// the signed checkpoint the inclusion proof is for.
type Receipt struct {
	Index      int64    `json:"index"`
	Salt       string   `json:"salt"`
	Entry      string   `json:"entry"`
	Inclusion  []string `json:"inclusion"`
	Checkpoint string   `json:"checkpoint"`
}

// LogExport is a session log as one reader may see it: every leaf's
// commitment, with the salt and entry of the leaves it may open (all of
// them for the owner, and for a seat the session grants it to once it has
// ended). 'backchannel record verify' checks it.
type LogExport struct {
	Format     string    `json:"format"` // LogFormat
	Session    string    `json:"session"`
	Key        string    `json:"key"` // the server's verifier key (signed-note form)
	Checkpoint string    `json:"checkpoint"`
	Leaves     []LogLeaf `json:"leaves"`
}

// LogFormat names the LogExport format.
const LogFormat = "backchannel-log/1"

// LogLeaf is one leaf of a LogExport.
type LogLeaf struct {
	Commitment string `json:"commitment"` // base64 SHA-256(salt ‖ entry): the leaf's data
	Salt       string `json:"salt,omitempty"`
	Entry      string `json:"entry,omitempty"`
}

// Agreement is the document an agreement ends as: a statement naming the
// session, its final log checkpoint and the outcome in words (each issue
// and value), and the signatures of whoever signs it — the server's log key
// first, then each party that adds its own. A party can show it to a third
// person, who checks it with 'backchannel record verify'.
type Agreement struct {
	Format     string               `json:"format"` // AgreementFormat
	Session    string               `json:"session"`
	Statement  string               `json:"statement"` // the text every signature covers, exactly
	Signatures []AgreementSignature `json:"signatures"`
}

// AgreementFormat names the Agreement format.
const AgreementFormat = "backchannel-agreement/1"

// AgreementSignature is one signature of an agreement's statement.
type AgreementSignature struct {
	Role string `json:"role"` // "server", a party id, or "mediator"
	Key  string `json:"key"`  // Ed25519 public key, base64
	Sig  string `json:"sig"`  // Ed25519 signature of the statement, base64
}
