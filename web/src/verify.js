// Verifying the session log in the browser, as docs/commitments.md says
// step by step (and as the Go client and clients/python/backchannel_log.py
// do): signed checkpoints (C2SP signed notes, Ed25519 by WebCrypto),
// RFC 9162 consistency and inclusion proofs (SHA-256 by WebCrypto), each
// event's opened leaf, each action's receipt. Any failed check throws an
// Alarm: the room stops and says so. A person's own key (Ed25519 made by
// WebCrypto, not extractable, kept in IndexedDB per seat) signs their moves.

const enc = new TextEncoder();

// Alarm is a failed check: kind is signature, fork, inclusion, entry or move.
export class Alarm extends Error {
  constructor(kind, detail) {
    super(`ALARM (${kind}): ${detail}`);
    this.name = "Alarm";
    this.kind = kind;
    this.detail = detail;
  }
}

const cat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) { out.set(p, i); i += p.length; }
  return out;
};
export const sha256 = async (b) => new Uint8Array(await crypto.subtle.digest("SHA-256", b));
const node = (l, r) => sha256(cat(Uint8Array.of(1), l, r));
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

export function fromB64(s, n, what) {
  let raw;
  try {
    raw = Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    throw new Alarm("entry", `${what} is not base64`);
  }
  if (n !== undefined && raw.length !== n) throw new Alarm("entry", `${what} is not ${n} bytes`);
  return raw;
}
export const toB64 = (b) => btoa(String.fromCharCode(...new Uint8Array(b)));
const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

export const EMPTY_ROOT = sha256(new Uint8Array(0));
export const leafHash = (data) => sha256(cat(Uint8Array.of(0), data));
export const commitment = (salt, entry) => sha256(cat(salt, enc.encode(entry)));

// verifyInclusion: RFC 9162 §2.1.3.2.
export async function verifyInclusion(index, size, leaf, path, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await node(p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await node(r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

// verifyConsistency: RFC 9162 §2.1.4.2, with m == n and m == 0 as the
// trivial cases.
export async function verifyConsistency(m, old, n, root, path) {
  if (m > n) return false;
  if (m === n) return path.length === 0 && equal(old, root);
  if (m === 0) return true;
  if (path.length === 0) return false;
  if ((m & (m - 1)) === 0) path = [old, ...path];
  let fn = m - 1, sn = n - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await node(c, fr);
      sr = await node(c, sr);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      sr = await node(sr, c);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, old) && equal(sr, root);
}

// readVerifierKey reads "name+hash+base64(0x01 ‖ key)".
export async function readVerifierKey(vkey) {
  // name+hash+key: the key's base64 may hold "+" itself
  const i = vkey.indexOf("+"), j = i < 0 ? -1 : vkey.indexOf("+", i + 1);
  if (i < 0 || j < 0) throw new Alarm("signature", `verifier key ${vkey}: want name+hash+key`);
  const name = vkey.slice(0, i), hash8 = vkey.slice(i + 1, j), k = vkey.slice(j + 1);
  const raw = fromB64(k, 33, "verifier key");
  if (raw[0] !== 1) throw new Alarm("signature", "verifier key: not an Ed25519 key");
  const khash = (await sha256(cat(enc.encode(name + "\n"), raw))).slice(0, 4);
  if (hex(khash) !== hash8) throw new Alarm("signature", "verifier key: its hash does not match");
  const key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
  return { name, khash, key };
}

// openCheckpoint checks a signed checkpoint with the verifier key (from
// readVerifierKey) and returns {origin, size, root}.
export async function openCheckpoint(signed, vk, origin) {
  const i = signed.indexOf("\n\n");
  if (i < 0) throw new Alarm("signature", "checkpoint: not a signed note");
  const text = signed.slice(0, i + 1);
  let ok = false;
  for (const line of signed.slice(i + 2).split("\n")) {
    if (!line) continue;
    if (!line.startsWith("\u2014 ")) throw new Alarm("signature", "checkpoint: malformed signature line");
    const [who, b] = line.slice(2).split(" ");
    const raw = fromB64(b || "", undefined, "signature");
    if (who === vk.name && raw.length === 68 && equal(raw.slice(0, 4), vk.khash) &&
        await crypto.subtle.verify({ name: "Ed25519" }, vk.key, raw.slice(4), enc.encode(text))) ok = true;
  }
  if (!ok) throw new Alarm("signature", `checkpoint: not signed by ${vk.name}`);
  const lines = text.split("\n");
  if (lines.length < 4 || !/^[0-9]+$/.test(lines[1])) throw new Alarm("signature", "checkpoint: want origin, size and root lines");
  if (origin !== undefined && lines[0] !== origin) throw new Alarm("signature", `checkpoint of log ${lines[0]}, want ${origin}`);
  return { origin: lines[0], size: Number(lines[1]), root: fromB64(lines[2], 32, "checkpoint root") };
}

function parseEntry(text, session, leaf) {
  let e;
  try { e = JSON.parse(text); } catch { throw new Alarm("entry", `leaf ${leaf}: the entry is not JSON`); }
  if (e.session !== session || e.leaf !== leaf) throw new Alarm("entry", `leaf ${leaf}: the entry says session ${e.session} leaf ${e.leaf}`);
  if (e.type !== "event" && e.type !== "move") throw new Alarm("entry", `leaf ${leaf}: entry type ${e.type}`);
  return e;
}

const sameJSON = (a, b) => {
  const norm = (x) => (x && Object.keys(x).length ? JSON.stringify(Object.keys(x).sort().map((k) => [k, x[k]])) : "");
  return norm(a) === norm(b);
};
const sameList = (a, b) => JSON.stringify(a && a.length ? a : null) === JSON.stringify(b && b.length ? b : null);

// Follower is one seat's running check of the session log: feed it every
// message of the seat's snapshot and stream, in order (check), and every
// action's answer (receipt). Read the stream with ?tree=<size> (0 the first
// time): the server sends the proofs only to readers that ask.
export class Follower {
  constructor() {
    this.vk = null; this.vkey = ""; this.origin = undefined; this.session = "";
    this.size = 0; this.root = null; this.checkpoint = "";
  }

  async check(m) {
    if (!this.root) this.root = await EMPTY_ROOT;
    if (m.type === "snapshot") {
      if (!m.log_key) return;
      if (!this.vk) { this.vk = await readVerifierKey(m.log_key); this.vkey = m.log_key; }
      else if (m.log_key !== this.vkey) throw new Alarm("signature", `the log key is ${m.log_key}, want ${this.vkey}`);
      if (this.origin === undefined) { this.origin = m.log_origin; this.session = m.session; }
      await this.head(m.log);
      for (const e of m.events || []) await this.event(e);
    } else if (this.origin === undefined) {
      return;
    } else if (m.type === "event") {
      await this.head(m.log);
      await this.event(m);
    } else if (m.type === "turn" || m.type === "end") {
      await this.head(m.log);
    }
  }

  // head: step 1 of docs/commitments.md.
  async head(h) {
    if (!h) return;
    const { size: n, root: r } = await openCheckpoint(h.checkpoint, this.vk, this.origin);
    const path = (h.consistency || []).map((p) => fromB64(p, 32, "proof hash"));
    if (n < this.size) throw new Alarm("fork", `the log shrank from ${this.size} to ${n} leaves`);
    if (n === this.size && !equal(r, this.root)) throw new Alarm("fork", `two different trees of ${n} leaves: the log was rewritten, or seats are shown a split view`);
    if (this.size && (h.from || 0) !== this.size && n !== this.size) throw new Alarm("fork", `a checkpoint proven from ${h.from || 0} leaves, this seat has seen ${this.size}`);
    if (!(await verifyConsistency(this.size, this.root, n, r, path))) throw new Alarm("fork", `the tree of ${n} leaves does not extend the one of ${this.size} this seat verified: the log was forked or rewritten`);
    this.size = n; this.root = r; this.checkpoint = h.checkpoint;
  }

  // event: step 2.
  async event(ev) {
    const lf = ev.leaf;
    if (!lf) throw new Alarm("inclusion", `event ${ev.seq} came without its place in the log`);
    const e = parseEntry(lf.entry, this.session, lf.index);
    const leaf = await leafHash(await commitment(fromB64(lf.salt, 32, "salt"), lf.entry));
    const path = (lf.inclusion || []).map((p) => fromB64(p, 32, "proof hash"));
    if (!(await verifyInclusion(lf.index, this.size, leaf, path, this.root))) throw new Alarm("inclusion", `event ${ev.seq} is not in the log`);
    const same = e.type === "event" && e.seq === ev.seq && e.step === ev.step && e.round === ev.round && e.party === ev.party &&
      e.kind === ev.kind && sameJSON(e.outcome, ev.outcome) && sameList(e.to, ev.to);
    if (!same) throw new Alarm("entry", `event ${ev.seq} is logged as ${lf.entry}`);
  }

  // receipt: step 3, for the answer (ack) to action a of seat role.
  async receipt(ack, role, a) {
    if (!this.vk) return;
    const rc = ack && ack.receipt;
    if (!rc) throw new Alarm("inclusion", `step ${a.step}: the action was acknowledged without a receipt`);
    const { size: n, root: r } = await openCheckpoint(rc.checkpoint, this.vk, this.origin);
    if (n === this.size && !equal(r, this.root)) throw new Alarm("fork", `split view: the receipt's tree of ${n} leaves is not the one this seat verified`);
    const e = parseEntry(rc.entry, this.session, rc.index);
    const leaf = await leafHash(await commitment(fromB64(rc.salt, 32, "salt"), rc.entry));
    const path = (rc.inclusion || []).map((p) => fromB64(p, 32, "proof hash"));
    if (!(await verifyInclusion(rc.index, n, leaf, path, r))) throw new Alarm("inclusion", `step ${a.step}: the move is not in the receipt's checkpoint`);
    if (e.type !== "move" || e.party !== role || e.step !== a.step || e.kind !== a.kind || !sameJSON(e.outcome, a.outcome)) {
      throw new Alarm("entry", `step ${a.step}: ${role} ${a.kind} was logged as ${rc.entry}`);
    }
    if (a.signature && (e.key !== a.signature.key || e.sig !== a.signature.sig)) {
      throw new Alarm("move", `step ${a.step}: the move was logged without this party's signature`);
    }
  }
}

// moveMessage is the text a party signs for a move (docs/commitments.md,
// Signed moves).
export function moveMessage(session, seat, step, kind, outcome) {
  let s = `backchannel signed move v1\nsession ${session}\nseat ${seat}\nstep ${step}\nkind ${kind}\n`;
  const keys = Object.keys(outcome || {}).sort((a, b) => {
    const x = enc.encode(a), y = enc.encode(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  });
  for (const k of keys) s += `outcome ${k}=${outcome[k]}\n`;
  return enc.encode(s);
}

// The person's own keys, one Ed25519 pair per seat, made by WebCrypto (the
// private key not extractable) and kept in IndexedDB.
const DB = "backchannel-keys";
function idb(mode, fn) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore("keys");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction("keys", mode);
      const req = fn(tx.objectStore("keys"));
      tx.oncomplete = () => { db.close(); resolve(req.result); };
      tx.onerror = () => { db.close(); reject(tx.error); };
    };
  });
}

// seatKey returns the seat's key pair {privateKey, publicKey, pub (base64)},
// making it the first time; null where the browser has no Ed25519.
export async function seatKey(id) {
  try {
    let kp = await idb("readonly", (s) => s.get(id));
    if (!kp) {
      const made = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
      await idb("readwrite", (s) => s.add(made, id)).catch(() => {}); // another tab may have been first
      kp = await idb("readonly", (s) => s.get(id));
    }
    return { privateKey: kp.privateKey, pub: toB64(await crypto.subtle.exportKey("raw", kp.publicKey)) };
  } catch {
    return null;
  }
}

// signAction sets a.signature: the person's signature of the move.
export async function signAction(k, session, role, a) {
  const sig = await crypto.subtle.sign({ name: "Ed25519" }, k.privateKey, moveMessage(session, role, a.step, a.kind, a.outcome));
  a.signature = { key: k.pub, sig: toB64(sig) };
  return a;
}
