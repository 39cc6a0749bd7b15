"""backchannel: a Python client of backchannel's live-session server.

Standard library only (Python 3.9+). It speaks the public HTTP API that
docs/server.md describes and /api/openapi.json specifies:

* :class:`Client` creates sessions and uploads scenarios;
* :class:`Seat` opens one seat by its capability link: its snapshot, its
  NDJSON stream (followed across reconnects from the last ``seq`` with
  ``?since=``, and checked on arrival against the session log: see below),
  and its actions (retried safely: a repeat for the same step is idempotent
  on the server; ``409 stale_step`` means already answered);
* :class:`Owner` reads a session's status, verdict and record;
* :class:`Space` and :class:`Profile` read the seat's own scenario (the
  snapshot's ``scenario``, in the native JSON format of
  docs/scenario-format.md) and evaluate utility, feasibility and red lines
  exactly as the Go engine does (preference.Profile, outcome.Space).

Outcomes are dicts issue name -> value name on the wire (as the API spells
them) and tuples of value indices in :class:`Space` and :class:`Profile`.

A seat's link is a secret: anyone holding it acts for the seat. Errors and
repr() hide its token.

:meth:`Seat.follow` verifies what the seat is shown as it arrives, as
docs/commitments.md says and the Go client does: it reads the stream with
``?tree=`` (the log's signed checkpoints and proofs), checks every
checkpoint's signature and that the log only grew (consistency proofs),
every event's place in the log (inclusion proofs) and every action's
receipt, with backchannel_log.py (next to this file). If the server shows a
log that was forked or rewritten, follow() and act() raise
:class:`Alarm` (``ALARM (fork): …``, naming what failed): stop, and keep
``Seat.follower.checkpoint`` as evidence.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import backchannel_log
from backchannel_log import Alarm

__all__ = [
    "APIError",
    "Alarm",
    "Client",
    "Seat",
    "Owner",
    "Issue",
    "Space",
    "Profile",
    "read_scenario",
    "go_float",
    "TOLERANCE",
]

#: The slack of every comparison of a utility with a reservation value, as in
#: Go's preference.Tolerance: decimal scenario numbers summed in binary can
#: land an ulp below the reservation value they equal in decimal.
TOLERANCE = 1e-9

# How far from 1 a weight sum may be and still be used as written, and how
# far an evaluator may leave [0,1] on the grid and be clamped
# (scenario/native.go: weightTolerance, evalTolerance).
_WEIGHT_TOLERANCE = 1e-6
_EVAL_TOLERANCE = 1e-9


# ---------------------------------------------------------------------------
# HTTP


class APIError(Exception):
    """An error answer of the server (every 4xx and 5xx carries api.Error).

    ``status`` is the HTTP status, ``code`` the stable error code
    (``invalid``, ``not_found``, ``forbidden``, ``unauthorized``,
    ``operator_only``, ``stale_step``, ``not_your_turn``, ``ended``,
    ``invalid_move``, ``too_large``, ``rate_limited``, ``unavailable``, ...), ``field`` the field at fault if
    any, and ``step`` the session's current step on 409 answers.
    """

    def __init__(self, status: int, code: str, message: str, field: str = "", step: Optional[int] = None):
        super().__init__(f"server: {status} {code}: {message}" + (f" (field {field})" if field else ""))
        self.status, self.code, self.message, self.field, self.step = status, code, message, field, step

    @classmethod
    def from_http(cls, err: urllib.error.HTTPError) -> "APIError":
        body = err.read(1 << 16)
        try:
            d = json.loads(body)
            return cls(err.code, d["code"], d.get("error", ""), d.get("field", ""), d.get("step"))
        except (ValueError, KeyError, TypeError):
            return cls(err.code, "http", body.decode("utf-8", "replace").strip())

    @property
    def retryable(self) -> bool:
        """Whether the same request may succeed later (429 and 5xx)."""
        return self.status == 429 or self.status >= 500


def _redact(url: str) -> str:
    """Hides the token of a capability link."""
    for p in ("/api/seats/", "/api/owner/"):
        i = url.find(p)
        if i >= 0:
            rest = url[i + len(p):]
            j = rest.find("/")
            return url[: i + len(p)] + "…" + (rest[j:] if j >= 0 else "")
    return url


def _request(method: str, url: str, body: Optional[bytes] = None, ctype: str = "",
             headers: Optional[Mapping[str, str]] = None, timeout: float = 30.0):
    """Sends one request; returns the open response or raises APIError
    (an answer ≥ 300) or OSError (the network)."""
    req = urllib.request.Request(url, data=body, method=method)
    if ctype:
        req.add_header("Content-Type", ctype)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        return urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        with e:
            raise APIError.from_http(e) from None


def _json(method: str, url: str, payload: Any = None, timeout: float = 30.0,
          headers: Optional[Mapping[str, str]] = None) -> Any:
    body = None if payload is None else json.dumps(payload).encode()
    with _request(method, url, body, "application/json" if body is not None else "", headers, timeout) as r:
        return json.loads(r.read())


class Client:
    """A client of the server at ``base`` (e.g. ``http://127.0.0.1:8080``)
    for operator requests: scenarios and new sessions.

    ``token`` is the operator token of a server started with
    ``--operator-token`` (sent as ``Authorization: Bearer``); by default the
    environment's BACKCHANNEL_OPERATOR_TOKEN. A server without one takes
    operator requests from its own machine only. Seat and owner links need
    no token: they carry their own.
    """

    def __init__(self, base: str, timeout: float = 30.0, token: Optional[str] = None):
        self.base = base.rstrip("/")
        self.timeout = timeout
        if token is None:
            token = os.environ.get("BACKCHANNEL_OPERATOR_TOKEN", "")
        self.headers = {"Authorization": "Bearer " + token} if token else {}

    def health(self) -> Dict[str, str]:
        """GET /healthz."""
        return _json("GET", self.base + "/healthz", timeout=self.timeout)

    def create_session(self, seats: Mapping[str, str], scenario: str = "builtin:iran-us",
                       protocol: str = "sao", rounds: int = 0, time_limit: str = "",
                       move_time: str = "", seed: Optional[int] = None, variant: str = "") -> Dict[str, Any]:
        """POST /api/sessions. ``seats`` maps each role (party id, "mediator")
        to "agent", "person", a built-in strategy ("boulware",
        "boulware:e=0.1") or, for the mediator, "builtin". Durations are Go
        duration strings ("90s", "5m"). Returns api.Created: the session id,
        the owner's link and one link per seat not filled by a built-in."""
        deadline: Dict[str, Any] = {}
        if rounds:
            deadline["rounds"] = rounds
        if time_limit:
            deadline["time"] = time_limit
        if move_time:
            deadline["move_time"] = move_time
        body: Dict[str, Any] = {"scenario": scenario, "protocol": protocol, "deadline": deadline, "seats": dict(seats)}
        if seed is not None:
            body["seed"] = seed
        if variant:
            body["variant"] = variant
        return _json("POST", self.base + "/api/sessions", body, timeout=self.timeout, headers=self.headers)

    def upload_scenario(self, files: Mapping[str, bytes]) -> Dict[str, Any]:
        """POST /api/scenarios: uploads a scenario's files (name -> content:
        one native YAML/JSON file, a GeniusWeb or GENIUS domain and its
        profiles). Returns api.ScenarioInfo; its ``id`` names the scenario in
        create_session."""
        boundary = "backchannel-" + uuid.uuid4().hex
        parts = []
        for name, data in files.items():
            if isinstance(data, str):
                data = data.encode()
            safe = name.replace('"', "_").replace("\r", "_").replace("\n", "_")
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{safe}"\r\n'
                         "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        with _request("POST", self.base + "/api/scenarios", body, "multipart/form-data; boundary=" + boundary,
                      self.headers, self.timeout) as r:
            return json.loads(r.read())

    def scenarios(self) -> List[Dict[str, Any]]:
        """GET /api/scenarios: the built-in and uploaded scenarios."""
        return _json("GET", self.base + "/api/scenarios", timeout=self.timeout, headers=self.headers)["scenarios"]

    def scenario(self, scenario_id: str) -> Dict[str, Any]:
        """GET /api/scenarios/{id}: issues, options, party names; no preferences."""
        return _json("GET", self.base + "/api/scenarios/" + urllib.parse.quote(scenario_id, safe=""),
                     timeout=self.timeout, headers=self.headers)


class Owner:
    """The owner's view of a session, by the owner's link."""

    def __init__(self, link: str, timeout: float = 30.0):
        self.link = link.rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Owner({_redact(self.link)!r})"

    def status(self) -> Dict[str, Any]:
        """GET {owner}: api.Status (with End and Verdict once ended)."""
        return _json("GET", self.link, timeout=self.timeout)

    def record(self) -> bytes:
        """GET {owner}/record: the session's record, in the 'run --trace' format."""
        with _request("GET", self.link + "/record", timeout=self.timeout) as r:
            return r.read()


class Seat:
    """One seat of one session, opened by its capability link.

    ``ping_timeout`` bounds how long a stream may stay silent before it is
    taken for dead and reopened; the server sends a keep-alive line on idle
    streams (every 15 s by default), so keep it well above that.
    """

    def __init__(self, link: str, timeout: float = 30.0, ping_timeout: float = 60.0, verify: bool = True):
        self.link = link.rstrip("/")
        self.timeout = timeout
        self.ping_timeout = ping_timeout
        #: The running check of the session log (backchannel_log.Follower)
        #: that follow() feeds every message to; None with verify=False.
        self.follower: Optional[backchannel_log.Follower] = backchannel_log.Follower() if verify else None
        self.role = ""

    def __repr__(self) -> str:
        return f"Seat({_redact(self.link)!r})"

    def snapshot(self, since: int = 0) -> Dict[str, Any]:
        """GET {seat}: everything the seat may know (api.Snapshot), with the
        events numbered above ``since``."""
        url = self.link + (f"?since={since}" if since else "")
        return _json("GET", url, timeout=self.timeout)

    def stream(self, since: int = 0, tree: Optional[int] = None) -> Iterator[Dict[str, Any]]:
        """Opens the seat's NDJSON stream once and yields its messages (dicts
        with ``type`` snapshot, event, turn or end) until the session's end
        (an end message, or a snapshot whose ``end`` is set), after which it
        returns. Keep-alive lines are skipped. With ``tree`` (the size of the
        newest log checkpoint the reader verified, 0 the first time) the
        messages carry the session log's proofs; they are not checked here
        (follow() checks them). Raises APIError if the server refuses (a
        wrong link), OSError or EOFError if the connection breaks."""
        url = f"{self.link}/stream?since={since}"
        if tree is not None:
            url += f"&tree={tree}"
        with _request("GET", url, headers={"Accept": "application/x-ndjson"}, timeout=self.ping_timeout) as r:
            while True:
                line = r.readline()
                if not line:
                    raise EOFError("the stream closed before the session's end")
                line = line.strip()
                if not line:
                    continue  # keep-alive
                msg = json.loads(line)
                yield msg
                if msg.get("type") == "end" or (msg.get("type") == "snapshot" and msg.get("end")):
                    return  # the server closes the stream after the end

    def follow(self, max_wait: float = 2.0) -> Iterator[Dict[str, Any]]:
        """Follows the seat's stream to the session's end, reconnecting after
        a broken connection or an unreachable server from the last event
        seen (``?since=``), so that every event is yielded once and in order.
        After each (re)connection a snapshot comes first, holding the events
        not seen yet and the pending turn, if any. Waits between attempts
        grow to ``max_wait`` seconds. Errors the server gives (4xx: a wrong
        link) are raised. Unless the seat was opened with verify=False, every
        message is checked against the session log before it is yielded, and
        :class:`Alarm` is raised, naming what failed, if the log was forked,
        rewritten, or does not hold what the seat is shown."""
        since, wait = 0, 0.05
        f = self.follower
        while True:
            got = False
            try:
                for msg in self.stream(since, f.tree() if f is not None else None):
                    got = True
                    if f is not None:
                        f.check(msg)
                    if msg["type"] == "snapshot":
                        self.role = (msg.get("seat") or {}).get("role", self.role)
                    if msg["type"] != "turn":
                        since = max(since, msg["seq"])
                    yield msg
                    if msg["type"] == "end" or (msg["type"] == "snapshot" and msg.get("end")):
                        return
            except APIError as e:
                if not e.retryable:
                    raise
            except (OSError, EOFError, ValueError, http.client.HTTPException):
                pass
            if got:
                wait = 0.05
            time.sleep(wait)
            wait = min(2 * wait, max_wait)

    def act(self, step: int, kind: str, outcome: Optional[Mapping[str, str]] = None,
            attempts: int = 20, max_wait: float = 2.0) -> Optional[Dict[str, Any]]:
        """POST {seat}/actions: answers the turn of ``step`` with ``kind``
        (offer, accept, reject, end, better, worse, same) and, for an offer,
        ``outcome``. Network errors, 429 and 5xx are retried (the same action
        for the same step is stored once; a retry gets the same Ack). Returns
        the Ack, or None when the step was answered already or the session
        has moved on (409 stale_step, not_your_turn, ended: the stream says
        what happened). Raises APIError on 422 invalid_move (the move breaks
        the rules; nothing changed: answer again) and other 4xx. Once follow()
        has read the seat's snapshot, the Ack's receipt is checked (the move's
        leaf, signed checkpoint and inclusion proof): :class:`Alarm` if the
        log does not hold the move as made."""
        body: Dict[str, Any] = {"step": step, "kind": kind}
        if outcome is not None:
            body["outcome"] = dict(outcome)
        wait = 0.05
        for attempt in range(attempts):
            try:
                ack = _json("POST", self.link + "/actions", body, timeout=self.timeout)
                f = self.follower
                if f is not None and f.origin is not None and self.role:
                    f.check_receipt(ack, self.role, step, kind, outcome)
                return ack
            except APIError as e:
                if e.code in ("stale_step", "not_your_turn", "ended"):
                    return None
                if not e.retryable or attempt == attempts - 1:
                    raise
            except (OSError, http.client.HTTPException):
                if attempt == attempts - 1:
                    raise
            time.sleep(wait)
            wait = min(2 * wait, max_wait)
        return None

    def message(self, to: Sequence[str], text: str) -> Dict[str, Any]:
        """POST {seat}/messages: words to other seats (roles; in an indirect
        protocol a party writes only to the mediator). The message becomes
        an event of kind "message" on the streams of the sender and the
        recipients. Returns the MessageAck: the event's seq."""
        return _json("POST", self.link + "/messages", {"to": list(to), "text": text}, timeout=self.timeout)


# ---------------------------------------------------------------------------
# Scenario: outcome space and profiles, evaluated as Go evaluates them


def go_float(x: float) -> str:
    """Formats x as Go's strconv.FormatFloat(x, 'g', -1, 64) does: the
    shortest digits that read back to x, in exponent form (1e+06, 2.5e-05)
    when the decimal exponent is below -4 or at least 6. Real issues name
    their grid values this way (8000, 8500, ..., 1.2e+07)."""
    if x == 0:
        return "-0" if math.copysign(1, x) < 0 else "0"
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    neg = x < 0
    r = repr(abs(x))  # Python's repr is the shortest round-trip form too
    mant, _, exp = r.partition("e")
    ip, _, fp = mant.partition(".")
    if fp == "0" and not exp:
        fp = ""
    digits = (ip + fp).lstrip("0")
    # dp: position of the decimal point relative to the digits' start.
    lead_zeros = len(ip + fp) - len((ip + fp).lstrip("0"))
    dp = len(ip) - lead_zeros + (int(exp) if exp else 0)
    digits = digits.rstrip("0") or "0"
    nd = len(digits)
    e = dp - 1
    sign = "-" if neg else ""
    if e < -4 or e >= 6:
        m = digits[0] + ("." + digits[1:] if nd > 1 else "")
        return f"{sign}{m}e{'-' if e < 0 else '+'}{abs(e):02d}"
    if dp <= 0:
        return sign + "0." + "0" * (-dp) + digits
    if dp >= nd:
        return sign + digits + "0" * (dp - nd)
    return sign + digits[:dp] + "." + digits[dp:]


class Issue:
    """One issue of the outcome space: its ``name``, ``kind`` (discrete,
    integer or real), ``values`` (value names in index order: the option ids,
    the decimal integers, or the grid numbers as Go formats them),
    ``labels`` and, for numeric issues, ``min`` and ``max``."""

    def __init__(self, name: str, kind: str, values: Sequence[str], lo: float = 0.0, hi: float = 0.0,
                 labels: Optional[Sequence[str]] = None, title: str = ""):
        self.name, self.kind, self.values = name, kind, list(values)
        self.min, self.max = lo, hi
        self.labels = list(labels or [])
        self.title = title or name
        self._index = {v: i for i, v in enumerate(self.values)}

    def __repr__(self) -> str:
        return f"Issue({self.name!r}, {self.kind}, {len(self.values)} values)"

    def __len__(self) -> int:
        return len(self.values)

    def number(self, v: int) -> float:
        """The numeric value of value index v (outcome.Issue.Number)."""
        if self.kind == "integer":
            return self.min + float(v)
        if self.kind == "real":
            n = len(self.values)
            if n <= 1:
                return self.min
            return self.min + (self.max - self.min) * float(v) / float(n - 1)
        return float(v)

    def index(self, name: Any) -> int:
        """The index of the value named ``name`` (or, for a numeric issue, a
        number on the grid); -1 if there is none (outcome.Issue.ValueIndex)."""
        i = self._index.get(str(name) if not isinstance(name, float) else go_float(name), -1)
        if i >= 0 or self.kind == "discrete":
            return i
        try:
            f = float(name)
        except (TypeError, ValueError):
            return -1
        for v in range(len(self.values)):
            if self.number(v) == f:
                return v
        return -1

    def value_set(self, spec: Any, where: str) -> List[bool]:
        """Reads a condition or red-line list: value names, or for a numeric
        issue {min, max} (every grid value in [min, max])."""
        if isinstance(spec, dict) and self.kind != "discrete":
            lo, hi = float(spec["min"]), float(spec["max"])
            return [lo <= self.number(v) <= hi for v in range(len(self.values))]
        out = [False] * len(self.values)
        for name in spec:
            i = self.index(name)
            if i < 0:
                raise ValueError(f"{where}: unknown option {name!r} of issue {self.name!r}")
            out[i] = True
        return out


class Space:
    """The outcome space: issues in order and the feasibility rules that bind
    every party (outcome.Space). An outcome is a tuple of value indices, one
    per issue."""

    def __init__(self, issues: Sequence[Issue], rules: Sequence[Tuple[str, list, list]] = ()):
        self.issues = list(issues)
        #: rules: (id, if-conditions, then-conditions); a condition is
        #: (issue index, allowed flags per value).
        self.rules = list(rules)
        self._by_name = {is_.name: i for i, is_ in enumerate(self.issues)}

    def __repr__(self) -> str:
        return f"Space({len(self.issues)} issues, {self.size()} outcomes, {len(self.rules)} rules)"

    def size(self) -> int:
        """The number of outcomes (the product of the issues' value counts)."""
        n = 1
        for is_ in self.issues:
            n *= len(is_)
        return n

    def issue_index(self, name: str) -> int:
        return self._by_name.get(name, -1)

    def parse(self, m: Mapping[str, Any]) -> Tuple[int, ...]:
        """Reads an outcome given as issue name -> value name; every issue
        must be named and every value must exist (outcome.Space.Parse)."""
        for k in m:
            if k not in self._by_name:
                raise ValueError(f"unknown issue {k!r}")
        out = []
        for is_ in self.issues:
            if is_.name not in m:
                raise ValueError(f"issue {is_.name!r} has no value")
            v = is_.index(m[is_.name])
            if v < 0:
                raise ValueError(f"issue {is_.name!r}: unknown value {m[is_.name]!r}")
            out.append(v)
        return tuple(out)

    def names(self, o: Sequence[int]) -> Dict[str, str]:
        """Writes an outcome as issue name -> value name (the API's form)."""
        return {is_.name: is_.values[v] for is_, v in zip(self.issues, o)}

    def feasible(self, o: Sequence[int]) -> bool:
        """Whether o satisfies every rule: for each rule whose if-conditions
        all hold, all its then-conditions hold (outcome.Rule.Holds)."""
        for _, cond_if, cond_then in self.rules:
            if all(allowed[o[i]] for i, allowed in cond_if) and not all(allowed[o[i]] for i, allowed in cond_then):
                return False
        return True

    def broken_rule(self, o: Sequence[int]) -> Optional[str]:
        """The id of the first rule o breaks, or None."""
        for rid, cond_if, cond_then in self.rules:
            if all(allowed[o[i]] for i, allowed in cond_if) and not all(allowed[o[i]] for i, allowed in cond_then):
                return rid
        return None

    def random(self, rng: random.Random) -> Tuple[int, ...]:
        """A uniformly random outcome (feasible or not)."""
        return tuple(rng.randrange(len(is_)) for is_ in self.issues)


class Profile:
    """One party's linear-additive preferences (preference.Profile, native
    semantics): U(o) = Σᵢ wᵢ·vᵢ(oᵢ), summed in issue order exactly as Go sums
    it, so that utilities agree with the server's to the last bit.

    ``weights[i]`` is issue i's weight (already normalised as the parser
    normalises it), ``evals[i][v]`` the evaluation of value v,
    ``reservation`` the utility of no agreement, ``discount`` the
    per-unit-time discount factor, ``red_lines[i][v]`` whether the party
    never accepts value v of issue i (None: no red lines).
    """

    def __init__(self, party: str, space: Space, weights: Sequence[float], evals: Sequence[Sequence[float]],
                 reservation: float, discount: float = 1.0, red_lines: Optional[Sequence[Sequence[bool]]] = None,
                 name: str = ""):
        self.party, self.name, self.space = party, name or party, space
        self.weights = list(weights)
        self.evals = [list(e) for e in evals]
        self.reservation = reservation
        self.discount = discount
        self.red_lines = None if red_lines is None else [list(r) for r in red_lines]
        # Go's look-up table: weight·eval, per issue, as one float product.
        self.contrib = [[w * e for e in ev] for w, ev in zip(self.weights, self.evals)]

    def __repr__(self) -> str:
        return f"Profile({self.party!r}, reservation {self.reservation})"

    def utility(self, o: Sequence[int]) -> float:
        """The undiscounted utility of o (preference.Profile.Utility)."""
        u = 0.0
        for c, v in zip(self.contrib, o):
            u += c[v]
        return u

    def discounted(self, u: float, t: float) -> float:
        """u discounted to normalised time t in [0,1]: u·discountᵗ."""
        if self.discount >= 1 or self.discount <= 0:
            return u
        return u * math.pow(self.discount, t)

    def violates(self, o: Sequence[int]) -> bool:
        """Whether o crosses one of the party's red lines."""
        if self.red_lines is None:
            return False
        return any(rl[v] for rl, v in zip(self.red_lines, o))

    def reaches(self, u: float) -> bool:
        """Whether utility u reaches the reservation value (within TOLERANCE)."""
        return u >= self.reservation - TOLERANCE

    def acceptable(self, o: Sequence[int]) -> bool:
        """Whether the party could agree to o at all: feasible, no red line
        crossed, utility at least the reservation value."""
        return not self.violates(o) and self.space.feasible(o) and self.reaches(self.utility(o))

    def best(self) -> Tuple[float, Tuple[int, ...]]:
        """The largest utility over outcomes that cross no red line, issue by
        issue (ignoring the rules), and an outcome that has it."""
        o = []
        for i, c in enumerate(self.contrib):
            allowed = [v for v in range(len(c)) if not (self.red_lines and self.red_lines[i][v])] or range(len(c))
            o.append(max(allowed, key=lambda v: c[v]))
        return self.utility(o), tuple(o)


def _issue(d: Mapping[str, Any]) -> Issue:
    kind = d.get("type", "discrete")
    name = d["id"]
    if kind == "integer":
        lo, hi = int(d["min"]), int(d["max"])
        return Issue(name, kind, [str(v) for v in range(lo, hi + 1)], float(lo), float(hi), title=d.get("name", ""))
    if kind == "real":
        lo, hi, steps = float(d["min"]), float(d["max"]), int(d["steps"])
        probe = Issue(name, kind, [""] * steps, lo, hi)
        return Issue(name, kind, [go_float(probe.number(v)) for v in range(steps)], lo, hi, title=d.get("name", ""))
    values, labels = [], []
    for opt in d["options"]:
        if isinstance(opt, dict):
            values.append(opt["id"])
            labels.append(opt.get("label", ""))
        else:
            values.append(opt)
            labels.append("")
    return Issue(name, "discrete", values, labels=labels if any(labels) else None, title=d.get("name", ""))


def _numeric_at(ev: Mapping[str, Any], is_: Issue, x: float, clamp: bool) -> float:
    """preference.Numeric.At, with Min the issue's min."""
    kind = ev["type"]
    if kind == "linear":
        y = float(ev["slope"]) * (x - is_.min) + float(ev["offset"])
    elif kind == "triangular":
        lo, top, hi = float(ev["lo"]), float(ev["top"]), float(ev["hi"])
        if x <= lo or x >= hi:
            y = 1.0 if x == top else 0.0
        elif x <= top:
            y = (x - lo) / (top - lo) if top > lo else 1.0
        else:
            y = (hi - x) / (hi - top) if hi > top else 1.0
    elif kind == "constant":
        y = float(ev["value"])
    elif kind == "points":
        xs, ys = [float(a) for a in ev["x"]], [float(b) for b in ev["y"]]
        if not xs or x < xs[0] or x > xs[-1]:
            return 0.0
        for i in range(1, len(xs)):
            if x <= xs[i]:
                x0, x1 = xs[i - 1], xs[i]
                if x1 == x0:
                    return ys[i]
                return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - x0) / (x1 - x0)
        y = ys[-1]
    else:
        raise ValueError(f"unknown evaluator {kind!r} (want linear, triangular, constant or points)")
    if clamp:
        y = min(max(y, 0.0), 1.0)
    return y


def _evaluation(spec: Mapping[str, Any], is_: Issue, where: str) -> List[float]:
    if is_.kind != "discrete" and isinstance(spec, dict) and "type" in spec:
        out = []
        for v in range(len(is_)):
            x = is_.number(v)
            e = _numeric_at(spec, is_, x, clamp=False)
            if e < -_EVAL_TOLERANCE or e > 1 + _EVAL_TOLERANCE:
                raise ValueError(f"{where}: the evaluator gives {e} at {is_.values[v]}, outside [0,1]")
            out.append(_numeric_at(spec, is_, x, clamp=True))
        return out
    ev: List[Optional[float]] = [None] * len(is_)
    for k, val in spec.items():
        i = is_.index(k)
        if i < 0:
            raise ValueError(f"{where}.{k}: unknown option {k!r} of issue {is_.name!r}")
        ev[i] = float(val)
    missing = [is_.values[i] for i, e in enumerate(ev) if e is None]
    if missing:
        raise ValueError(f"{where}: no value for option {missing[0]!r}")
    return ev  # type: ignore[return-value]


def _profile(pid: str, d: Mapping[str, Any], space: Space, where: str) -> Profile:
    w = d["weights"]
    total = 0.0
    for k in w:  # file order, as Go sums them
        total += float(w[k])
    if total <= 0:
        raise ValueError(f"{where}.weights: weights sum to 0")
    norm = abs(total - 1) > _WEIGHT_TOLERANCE
    weights = []
    for is_ in space.issues:
        if is_.name not in w:
            raise ValueError(f"{where}.weights: no weight for issue {is_.name!r}")
        x = float(w[is_.name])
        weights.append(x / total if norm else x)
    evals = []
    for is_ in space.issues:
        if is_.name not in d["values"]:
            raise ValueError(f"{where}.values: no values for issue {is_.name!r}")
        evals.append(_evaluation(d["values"][is_.name], is_, f"{where}.values.{is_.name}"))
    red = None
    rl = d.get("red_lines") or {}
    if rl:
        red = [[False] * len(is_) for is_ in space.issues]
        for k, spec in rl.items():
            i = space.issue_index(k)
            if i < 0:
                raise ValueError(f"{where}.red_lines: unknown issue {k!r}")
            red[i] = space.issues[i].value_set(spec, f"{where}.red_lines.{k}")
        if not any(any(r) for r in red):
            red = None
    return Profile(pid, space, weights, evals, float(d["reservation_value"]), float(d.get("discount", 1.0)), red,
                   d.get("name", ""))


def read_scenario(doc: Any) -> Tuple[Space, Dict[str, Profile]]:
    """Reads a native-format scenario (a dict, or its JSON text), such as a
    seat snapshot's ``scenario``: returns the space and the profiles it holds
    by party id (a party's seat holds only its own; a mediator with
    confidential access every party's)."""
    if isinstance(doc, (str, bytes)):
        doc = json.loads(doc)
    issues = [_issue(d) for d in doc["issues"]]
    by_name = {is_.name: i for i, is_ in enumerate(issues)}

    def conditions(m: Mapping[str, Any], where: str):
        out = []
        for k, spec in (m or {}).items():
            if k not in by_name:
                raise ValueError(f"{where}: unknown issue {k!r}")
            i = by_name[k]
            out.append((i, issues[i].value_set(spec, f"{where}.{k}")))
        return out

    rules = []
    for r in doc.get("constraints") or []:
        where = f"constraints.{r['id']}"
        rules.append((r["id"], conditions(r.get("if"), where + ".if"), conditions(r["then"], where + ".then")))
    space = Space(issues, rules)
    profiles = {pid: _profile(pid, p, space, f"parties.{pid}") for pid, p in (doc.get("parties") or {}).items()}
    return space, profiles
