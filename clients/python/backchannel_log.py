"""Verify backchannel session logs (docs/commitments.md), standard library only.

A session log is an RFC 9162 Merkle tree over salted commitments to a
session's moves and events, with checkpoints signed as C2SP signed notes
(Ed25519). This module checks what a seat is shown as it arrives (Follower),
an exported log (verify_export) and a receipt against it, exactly as the Go
client and 'backchannel record verify' do. Any failed check raises Alarm:
stop, and keep what you were shown.

    python3 backchannel_log.py LOG.json [--key VERIFIER_KEY]
    python3 backchannel_log.py --vectors record/tlog/testdata/vectors.json

Python 3.9 or later. Ed25519 verification is RFC 8032's reference algorithm
(pure Python: about a millisecond a signature).
"""

import base64
import hashlib
import json
import sys

__all__ = ["Alarm", "Follower", "verify_checkpoint", "verify_inclusion", "verify_consistency",
           "mth", "leaf_hash", "commitment", "verify_export", "check_receipt", "move_message",
           "ed25519_verify"]


class Alarm(Exception):
    """A check failed: kind is signature, fork, inclusion, entry or move."""

    def __init__(self, kind, detail):
        super().__init__("ALARM (%s): %s" % (kind, detail))
        self.kind = kind
        self.detail = detail


# --- Ed25519 verification (RFC 8032, section 6) ---------------------------

_P = 2 ** 255 - 19
_Q = 2 ** 252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _recover_x(y, sign):
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P)
    if x2 % _P == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if (x & 1) != sign:
        x = _P - x
    return x


def _add(a, b):
    A = (a[1] - a[0]) * (b[1] - b[0]) % _P
    B = (a[1] + a[0]) * (b[1] + b[0]) % _P
    C = 2 * a[3] * b[3] * _D % _P
    D = 2 * a[2] * b[2] % _P
    E, F, G, H = B - A, D - C, D + C, B + A
    return (E * F % _P, G * H % _P, F * G % _P, E * H % _P)


def _mul(s, pt):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, pt)
        pt = _add(pt, pt)
        s >>= 1
    return q


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


def _decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % _P)


_GY = 4 * pow(5, _P - 2, _P) % _P
_G = (_recover_x(_GY, 0), _GY, 1, _recover_x(_GY, 0) * _GY % _P)


def ed25519_verify(public, msg, sig):
    """Report whether sig (64 bytes) is public's (32 bytes) Ed25519 signature of msg."""
    if len(public) != 32 or len(sig) != 64:
        return False
    a = _decompress(public)
    r = _decompress(sig[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(sig[32:], "little")
    if s >= _Q:
        return False
    h = int.from_bytes(hashlib.sha512(sig[:32] + public + msg).digest(), "little") % _Q
    return _equal(_mul(s, _G), _add(r, _mul(h, a)))


# --- Hashes and RFC 9162 proofs ------------------------------------------

def _h(b):
    return hashlib.sha256(b).digest()


def _node(left, right):
    return _h(b"\x01" + left + right)


def commitment(salt, entry):
    """SHA-256(salt || entry): a leaf's data."""
    return _h(salt + entry)


def leaf_hash(data):
    """RFC 9162 leaf hash: SHA-256(0x00 || data)."""
    return _h(b"\x00" + data)


EMPTY_ROOT = _h(b"")


def mth(hashes):
    """RFC 9162 MTH over leaf hashes."""
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return _node(mth(hashes[:k]), mth(hashes[k:]))


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 2.1.3.2."""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(m, old, n, root, path):
    """RFC 9162 2.1.4.2, with m == n and m == 0 as trivial cases."""
    if m > n:
        return False
    if m == n:
        return not path and old == root
    if m == 0:
        return True
    if not path:
        return False
    path = list(path)
    if m & (m - 1) == 0:
        path = [old] + path
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = _node(c, fr)
            sr = _node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old and sr == root


def _b64(s, n=None, what="value"):
    try:
        b = base64.b64decode(s, validate=True)
    except Exception:
        raise Alarm("entry", "%s is not base64" % what)
    if n is not None and len(b) != n:
        raise Alarm("entry", "%s is not %d bytes" % (what, n))
    return b


# --- Signed notes and checkpoints ------------------------------------------

def parse_verifier_key(vkey):
    """Read 'name+hash+base64(0x01 || key)' into (name, key hash, public key)."""
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise Alarm("signature", "verifier key %r: want name+hash+key" % vkey)
    name, hash8, k = parts
    raw = base64.b64decode(k)
    if len(raw) != 33 or raw[0] != 1:
        raise Alarm("signature", "verifier key: not an Ed25519 key")
    want = _h(name.encode() + b"\n" + raw)[:4]
    if want.hex() != hash8:
        raise Alarm("signature", "verifier key: its hash does not match")
    return name, want, raw[1:]


def verify_checkpoint(signed, vkey, origin=None):
    """Open a signed checkpoint; return (origin, size, root bytes)."""
    name, khash, pub = parse_verifier_key(vkey)
    text, sep, sigs = signed.partition("\n\n")
    if not sep:
        raise Alarm("signature", "checkpoint: not a signed note")
    text += "\n"
    ok = False
    for line in sigs.split("\n"):
        if not line:
            continue
        if not line.startswith("\u2014 "):
            raise Alarm("signature", "checkpoint: malformed signature line")
        who, _, b = line[2:].partition(" ")
        raw = base64.b64decode(b)
        if who == name and raw[:4] == khash and ed25519_verify(pub, text.encode(), raw[4:]):
            ok = True
    if not ok:
        raise Alarm("signature", "checkpoint: not signed by %s" % name)
    lines = text.split("\n")
    if len(lines) < 4:
        raise Alarm("signature", "checkpoint: want origin, size and root lines")
    size = int(lines[1])
    root = _b64(lines[2], 32, "checkpoint root")
    if origin is not None and lines[0] != origin:
        raise Alarm("signature", "checkpoint of log %r, want %r" % (lines[0], origin))
    return lines[0], size, root


def session_of(origin):
    head, _, sid = origin.rpartition("/")
    return sid if head.endswith("/sessions") else ""


# --- Entries and signed moves ---------------------------------------------

def parse_entry(text, session, leaf):
    e = json.loads(text)
    if e.get("session") != session or e.get("leaf") != leaf:
        raise Alarm("entry", "leaf %d: the entry says session %r leaf %r" % (leaf, e.get("session"), e.get("leaf")))
    if e.get("type") not in ("event", "move"):
        raise Alarm("entry", "leaf %d: entry type %r" % (leaf, e.get("type")))
    return e


def move_message(session, seat, step, kind, outcome):
    """The text a party signs for a move (docs/commitments.md)."""
    s = "backchannel signed move v1\nsession %s\nseat %s\nstep %d\nkind %s\n" % (session, seat, step, kind)
    for k in sorted((outcome or {}).keys(), key=lambda x: x.encode()):
        s += "outcome %s=%s\n" % (k, outcome[k])
    return s.encode()


def _check_signed_moves(entries):
    keys = {}
    for e in entries:
        if e is None or e["type"] != "move" or not e.get("key"):
            continue
        msg = move_message(e["session"], e["party"], e["step"], e["kind"], e.get("outcome"))
        if not ed25519_verify(_b64(e["key"], 32, "key"), msg, _b64(e.get("sig", ""), 64, "sig")):
            raise Alarm("move", "leaf %d: %s's signature does not verify: a forged signed move" % (e["leaf"], e["party"]))
        if keys.setdefault(e["party"], e["key"]) != e["key"]:
            raise Alarm("move", "leaf %d: %s signs with another key than before" % (e["leaf"], e["party"]))
    for e in entries:
        if e is None or e["type"] != "move" or e.get("key") or e["kind"] in ("expire", "fault"):
            continue
        if e["party"] in keys:
            raise Alarm("move", "leaf %d: %s's move carries no signature, though %s signs its moves" % (e["leaf"], e["party"], e["party"]))


# --- Exported logs and receipts ---------------------------------------------

def verify_export(x, key=None):
    """Verify a backchannel-log/1 document (a dict); return a summary dict
    with the checkpoint, the leaf hashes and the opened entries."""
    if x.get("format") != "backchannel-log/1":
        raise Alarm("entry", "not a backchannel-log/1 document")
    if key is not None and key != x["key"]:
        raise Alarm("signature", "the log is signed by %s, not by the key given" % x["key"])
    origin, size, root = verify_checkpoint(x["checkpoint"], x["key"])
    if session_of(origin) != x["session"]:
        raise Alarm("signature", "the checkpoint is for log %r, not session %s" % (origin, x["session"]))
    hashes, entries, last_seq = [], [], 0
    for i, lf in enumerate(x["leaves"]):
        c = _b64(lf["commitment"], 32, "leaf %d commitment" % i)
        e = None
        if lf.get("salt") or lf.get("entry"):
            salt = _b64(lf["salt"], 32, "leaf %d salt" % i)
            text = lf["entry"].encode()
            if commitment(salt, text) != c:
                raise Alarm("entry", "leaf %d: its salt and entry do not give its commitment (the entry was changed)" % i)
            e = parse_entry(text, x["session"], i)
            if e["type"] == "event":
                if e["seq"] <= last_seq:
                    raise Alarm("entry", "leaf %d: event %d after event %d" % (i, e["seq"], last_seq))
                last_seq = e["seq"]
        hashes.append(leaf_hash(c))
        entries.append(e)
    _check_signed_moves(entries)
    if len(hashes) != size:
        raise Alarm("fork", "the log holds %d leaves, its checkpoint %d" % (len(hashes), size))
    if mth(hashes) != root:
        raise Alarm("fork", "the leaves' root is not the checkpoint's: a leaf was changed, dropped, reordered or inserted")
    return {"session": x["session"], "key": x["key"], "origin": origin, "size": size, "root": root,
            "hashes": hashes, "entries": entries}


def check_receipt(log, receipt):
    """Check a receipt (dict) against a verified log (verify_export's result)."""
    origin, size, root = verify_checkpoint(receipt["checkpoint"], log["key"], log["origin"])
    salt = _b64(receipt["salt"], 32, "receipt salt")
    entry = parse_entry(receipt["entry"].encode(), log["session"], receipt["index"])
    leaf = leaf_hash(commitment(salt, receipt["entry"].encode()))
    path = [_b64(p, 32, "proof hash") for p in receipt.get("inclusion") or []]
    if not verify_inclusion(receipt["index"], size, leaf, path, root):
        raise Alarm("inclusion", "leaf %d is not in the receipt's checkpoint" % receipt["index"])
    if size > log["size"] or mth(log["hashes"][:size]) != root:
        raise Alarm("fork", "split view: the receipt's checkpoint of %d leaves is not a prefix of the log" % size)
    return entry


class Follower:
    """One seat's running check of a session log, fed the stream's messages
    (dicts) in order: check(message) raises Alarm on anything the log does
    not back. Open every stream with ?tree=<tree()> (0 the first time): the
    server sends the log's proofs only to readers that ask for them."""

    def __init__(self, key=None):
        self.key, self.origin, self.session = key, None, None
        self.size, self.root = 0, EMPTY_ROOT
        self._note = ""

    def tree(self):
        return self.size

    @property
    def checkpoint(self):
        """The newest checkpoint verified (a signed note; "" before any):
        evidence to keep, and to compare with what other seats were shown."""
        return self._note

    def check_receipt(self, ack, role, step, kind, outcome=None):
        """Checks an action's Ack (docs/commitments.md, step 3): its
        receipt's checkpoint is signed by the log's key, holds the move's
        leaf, and the entry is this seat's move as made; a checkpoint of a
        size this seat has verified must have the same root. Raises Alarm."""
        rc = (ack or {}).get("receipt")
        if rc is None:
            raise Alarm("inclusion", "the answer to step %d came without a receipt" % step)
        _, n, r = verify_checkpoint(rc["checkpoint"], self.key, self.origin)
        if n == self.size and r != self.root:
            raise Alarm("fork", "split view: the receipt's tree of %d leaves is not the one this seat verified" % n)
        e = parse_entry(rc["entry"].encode(), self.session, rc["index"])
        leaf = leaf_hash(commitment(_b64(rc["salt"], 32, "salt"), rc["entry"].encode()))
        path = [_b64(p, 32, "proof hash") for p in rc.get("inclusion") or []]
        if not verify_inclusion(rc["index"], n, leaf, path, r):
            raise Alarm("inclusion", "the move of step %d is not in the receipt's checkpoint" % step)
        if not (e["type"] == "move" and e["party"] == role and e["step"] == step and e["kind"] == kind and
                (e.get("outcome") or None) == (dict(outcome) if outcome else None)):
            raise Alarm("entry", "the move of step %d is logged as %s" % (step, rc["entry"]))
        return rc

    def check(self, m):
        t = m.get("type")
        if t == "snapshot":
            if not m.get("log_key"):
                return
            if self.key is None:
                self.key = m["log_key"]
            elif m["log_key"] != self.key:
                raise Alarm("signature", "the log key is %s, want %s" % (m["log_key"], self.key))
            if self.origin is None:
                self.origin, self.session = m["log_origin"], m["session"]
            self._head(m.get("log"))
            for e in m.get("events") or []:
                self._event(e)
        elif self.origin is None:
            return
        elif t == "event":
            self._head(m.get("log"))
            self._event(m)
        elif t in ("turn", "end"):
            self._head(m.get("log"))

    def _head(self, h):
        if h is None:
            return
        _, n, r = verify_checkpoint(h["checkpoint"], self.key, self.origin)
        path = [_b64(p, 32, "proof hash") for p in h.get("consistency") or []]
        if n < self.size:
            raise Alarm("fork", "the log shrank from %d to %d leaves" % (self.size, n))
        if n == self.size and r != self.root:
            raise Alarm("fork", "two different trees of %d leaves: the log was rewritten, or seats are shown a split view" % n)
        if self.size and h.get("from", 0) != self.size and n != self.size:
            raise Alarm("fork", "a checkpoint proven from %d leaves, this seat has seen %d" % (h.get("from", 0), self.size))
        if not verify_consistency(self.size, self.root, n, r, path):
            raise Alarm("fork", "the tree of %d leaves does not extend the one of %d" % (n, self.size))
        self.size, self.root, self._note = n, r, h["checkpoint"]

    def _event(self, ev):
        lf = ev.get("leaf")
        if lf is None:
            raise Alarm("inclusion", "event %d came without its place in the log" % ev["seq"])
        e = parse_entry(lf["entry"].encode(), self.session, lf["index"])
        leaf = leaf_hash(commitment(_b64(lf["salt"], 32, "salt"), lf["entry"].encode()))
        path = [_b64(p, 32, "proof hash") for p in lf.get("inclusion") or []]
        if not verify_inclusion(lf["index"], self.size, leaf, path, self.root):
            raise Alarm("inclusion", "event %d is not in the log" % ev["seq"])
        same = (e["type"] == "event" and e.get("seq") == ev["seq"] and e["step"] == ev["step"] and
                e["round"] == ev["round"] and e["party"] == ev["party"] and e["kind"] == ev["kind"] and
                (e.get("outcome") or None) == (ev.get("outcome") or None) and (e.get("to") or None) == (ev.get("to") or None))
        if not same:
            raise Alarm("entry", "event %d is logged as %s" % (ev["seq"], lf["entry"]))


# --- Test vectors and the command line --------------------------------------

def check_vectors(v):
    """Check every value of record/tlog/testdata/vectors.json."""
    hashes = []
    for i, lf in enumerate(v["leaves"]):
        c = commitment(base64.b64decode(lf["salt"]), lf["entry"].encode())
        assert base64.b64encode(c).decode() == lf["commitment"], "leaf %d commitment" % i
        assert base64.b64encode(leaf_hash(c)).decode() == lf["leaf_hash"], "leaf %d hash" % i
        hashes.append(leaf_hash(c))
    for n, r in enumerate(v["roots"]):
        assert base64.b64encode(mth(hashes[:n])).decode() == r, "root of %d" % n
    roots = [base64.b64decode(r) for r in v["roots"]]
    for p in v["inclusion"]:
        path = [base64.b64decode(h) for h in p["path"] or []]
        assert verify_inclusion(p["index"], p["size"], hashes[p["index"]], path, roots[p["size"]]), p
        assert not verify_inclusion(p["index"], p["size"], hashes[p["index"]] [::-1], path, roots[p["size"]]), p
    for p in v["consistency"]:
        path = [base64.b64decode(h) for h in p["path"] or []]
        assert verify_consistency(p["from"], roots[p["from"]], p["to"], roots[p["to"]], path), p
        if p["from"] < p["to"]:
            assert not verify_consistency(p["from"], roots[p["from"]][::-1], p["to"], roots[p["to"]], path), p
    origin, size, root = verify_checkpoint(v["checkpoint"], v["verifier_key"], v["origin"])
    assert size == len(hashes) and root == roots[-1]
    mv = v["signed_move"]
    assert ed25519_verify(base64.b64decode(mv["key"]), mv["message"].encode(), base64.b64decode(mv["sig"]))
    assert not ed25519_verify(base64.b64decode(mv["key"]), mv["message"].encode() + b"x", base64.b64decode(mv["sig"]))
    e = json.loads(v["leaves"][0]["entry"])
    assert move_message(e["session"], e["party"], e["step"], e["kind"], e["outcome"]).decode() == mv["message"]
    log = verify_export(v["export"], v["verifier_key"])
    bad = json.loads(json.dumps(v["export"]))
    bad["leaves"][1]["entry"] = bad["leaves"][1]["entry"].replace('"step":1', '"step":2')
    try:
        verify_export(bad)
        raise AssertionError("an edited log verified")
    except Alarm:
        pass
    return log


def main(argv):
    if len(argv) == 3 and argv[1] == "--vectors":
        with open(argv[2]) as f:
            check_vectors(json.load(f))
        print("ok: every vector checks")
        return 0
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--key"):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        x = json.load(f)
    try:
        log = verify_export(x, argv[3] if len(argv) == 4 else None)
    except Alarm as a:
        print("%s: %s" % (argv[1], a), file=sys.stderr)
        return 1
    opened = sum(1 for e in log["entries"] if e is not None)
    print("%s: intact session log of session %s: %d leaves, %d opened, signed by %s" %
          (argv[1], log["session"], log["size"], opened, log["key"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
