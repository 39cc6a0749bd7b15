#!/usr/bin/env python3
"""An example agent that plays one seat of a backchannel live session.

    python3 example_agent.py SEAT-LINK [--e 0.2] [--band 0.02] [--quiet]

It follows the seat's stream to the session's end and answers every request
the server puts to it, in any protocol: direct talks (sao), the single
negotiating text (votes), shuttle talks through a relay, feedback mediation
(comparisons), post-settlement improvement. It sees only what the seat may
see: its own profile and the events addressed to it.

The strategy is the classic time-dependent tactic of Faratin, Sierra &
Jennings (1998), "Negotiation decision functions for autonomous agents",
split into the BOA components of Baarslag et al. (2014), as NegMAS's
time-based negotiators and GENIUS's TimeDependentAgent are:

* bidding: at normalised time t the agent aims at utility
      target(t) = u_min + (u_max - u_min) * (1 - t^(1/e))
  (Faratin's polynomial family with k = 0: e < 1 concedes late, "Boulware";
  e = 1 linearly; e > 1 early, "Conceder"), where u_max is its best utility
  and u_min its reservation value. It offers an outcome whose utility is
  at least the target and at most target + band, at random among those
  (an outcome space of up to MAX_ENUMERATE outcomes, after dropping the
  values it never accepts, is enumerated and sorted once; a larger one is
  sampled);
* acceptance: it accepts an offer (or votes yes on a text) when the outcome
  is feasible, crosses none of its red lines and its utility reaches both
  its reservation value and its current target (AC_const with a
  time-dependent threshold); a text no better than the standing one is not
  worth a yes;
* comparisons (feedback mediation): better, worse or same by its own
  utility, an outcome crossing a red line or a rule being worse than any
  that does not;
* opponent model: none (the example stays short; see NegMAS's
  frequency models for one to add).

It never offers an outcome that crosses its red lines or breaks a rule.
Seated as a mediator it is an honest relay: it passes every offer on,
proposes no text of its own and no improvement.

It checks everything it is shown against the session log as it arrives
(backchannel.Seat.follow: signed checkpoints, consistency and inclusion
proofs, receipts; docs/commitments.md) and prints a line "log: checkpoint
of N leaves verified" each time the log it has verified grows. If the server
shows a log that was forked or rewritten, it stops at once and prints a line
starting "ALARM" that names what failed, and the newest checkpoint it had
verified (the evidence to keep).

Exit status: 0 after the session's end (printed as a line starting "end:"),
1 on an error, 3 on an alarm.
"""

from __future__ import annotations

import argparse
import bisect
import random
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import backchannel as bc

#: The largest outcome space (after dropping red-line values) enumerated.
MAX_ENUMERATE = 1_000_000
#: Outcomes sampled in a larger space.
SAMPLES = 50_000

Outcome = Tuple[int, ...]


class TimeDependentAgent:
    """Faratin et al.'s time-dependent tactic over one party's own profile.

    ``e`` is the concession exponent (0.2: Boulware), ``band`` the width of
    the utility band it picks offers from, ``rng`` its random source.
    """

    def __init__(self, profile: bc.Profile, e: float = 0.2, band: float = 0.02,
                 rng: Optional[random.Random] = None):
        if e <= 0:
            raise ValueError("the concession exponent e must be positive")
        self.profile, self.space = profile, profile.space
        self.e, self.band = e, band
        self.rng = rng or random.Random(0)
        self.outcomes, self.utils = self._candidates()  # ascending utility
        if not self.outcomes:
            raise ValueError(f"party {profile.party!r}: no outcome is acceptable to it")
        self.u_max = self.utils[-1]
        self.u_min = max(profile.reservation, self.utils[0])

    # -- the outcomes it may offer -------------------------------------------------

    def _candidates(self) -> Tuple[List[Outcome], List[float]]:
        """Every acceptable outcome (feasible, no red line crossed, utility at
        least the reservation value) sorted by utility, ascending; sampled
        when the space is too large to enumerate."""
        p = self.profile
        allowed = []
        for i, is_ in enumerate(self.space.issues):
            vs = [v for v in range(len(is_)) if not (p.red_lines and p.red_lines[i][v])]
            allowed.append(vs)
        size = 1
        for vs in allowed:
            size *= len(vs)
        found: Dict[Outcome, float] = {}
        if size <= MAX_ENUMERATE:
            # Partial sums issue by issue, in issue order: the same additions
            # in the same order as preference.Profile.Utility.
            sums = [0.0]
            for i, vs in enumerate(allowed):
                c = p.contrib[i]
                sums = [s + c[v] for s in sums for v in vs]
            floor = p.reservation - bc.TOLERANCE
            for k, u in enumerate(sums):
                if u < floor:
                    continue
                o = []
                for vs in reversed(allowed):  # the last issue varies fastest
                    k, r = divmod(k, len(vs))
                    o.append(vs[r])
                o = tuple(reversed(o))
                if self.space.feasible(o):
                    found[o] = u
        else:
            best = p.best()[1]
            for o in [best] + [tuple(self.rng.choice(vs) for vs in allowed) for _ in range(SAMPLES)]:
                if p.acceptable(o):
                    found[o] = p.utility(o)
        ranked = sorted(found.items(), key=lambda kv: kv[1])
        return [o for o, _ in ranked], [u for _, u in ranked]

    # -- bidding -------------------------------------------------------------------

    def target(self, t: float) -> float:
        """The utility it aims at, at normalised time t in [0,1]."""
        t = min(max(t, 0.0), 1.0)
        return self.u_min + (self.u_max - self.u_min) * (1 - t ** (1 / self.e))

    def propose(self, t: float) -> Outcome:
        """An outcome with utility in [target(t), target(t) + band], at
        random; the lowest above target(t) if the band is empty."""
        tau = self.target(t)
        lo = bisect.bisect_left(self.utils, tau - bc.TOLERANCE)
        if lo >= len(self.utils):
            return self.outcomes[-1]
        hi = bisect.bisect_right(self.utils, tau + self.band, lo=lo)
        return self.outcomes[self.rng.randrange(lo, max(hi, lo + 1))]

    def drop(self, o: Outcome) -> None:
        """Forgets an outcome the server refused (it never offers it again)."""
        if o in self.outcomes and len(self.outcomes) > 1:
            i = self.outcomes.index(o)
            del self.outcomes[i]
            del self.utils[i]

    # -- acceptance and comparisons --------------------------------------------------

    def utility(self, o: Outcome) -> float:
        return self.profile.utility(o)

    def accepts(self, o: Outcome, t: float) -> bool:
        """AC_const with the time-dependent target."""
        u = self.utility(o)
        return self.profile.acceptable(o) and u >= self.target(t) - bc.TOLERANCE

    def votes_yes(self, text: Outcome, current: Optional[Outcome], t: float) -> bool:
        """A yes to a text it accepts that is no worse than the standing one."""
        if not self.accepts(text, t):
            return False
        return current is None or self.utility(text) >= self.utility(current)

    def compare(self, a: Outcome, b: Outcome) -> str:
        """better, worse or same: is a better than b for this party?"""
        ka = (not self.profile.violates(a) and self.space.feasible(a), self.utility(a))
        kb = (not self.profile.violates(b) and self.space.feasible(b), self.utility(b))
        if ka[0] != kb[0]:
            return "better" if ka[0] else "worse"
        if abs(ka[1] - kb[1]) <= 1e-12:
            return "same"
        return "better" if ka[1] > kb[1] else "worse"


class SeatPlayer:
    """Plays one seat: reads the snapshot, answers each turn once (a turn
    seen again after a reconnect gets the answer already given, so the
    server stores it once), and reports the end."""

    def __init__(self, link: str, e: float, band: float, quiet: bool):
        self.seat = bc.Seat(link)
        self.e, self.band, self.quiet = e, band, quiet
        self.agent: Optional[TimeDependentAgent] = None
        self.space: Optional[bc.Space] = None
        self.role = ""
        self.answers: Dict[int, Tuple[str, Optional[Dict[str, str]]]] = {}

    def log(self, *args: Any) -> None:
        if not self.quiet:
            print(*args, flush=True)

    def setup(self, sn: Mapping[str, Any]) -> None:
        self.space, profiles = bc.read_scenario(sn["scenario"])
        self.role = sn["seat"]["role"]
        rng = random.Random(sn["seed"] * 1_000_003 + sn["seat"]["index"])
        if self.role in profiles and sn["seat"]["index"] >= 0:
            self.agent = TimeDependentAgent(profiles[self.role], self.e, self.band, rng)
            a = self.agent
            self.log(f"seat {self.role} in {sn['protocol']} (session {sn['session']}): {self.space}, "
                     f"{len(a.outcomes)} acceptable outcomes, utility {a.u_min:.3f}..{a.u_max:.3f}, "
                     f"reservation {a.profile.reservation}")
        else:
            self.log(f"seat {self.role} in {sn['protocol']} (session {sn['session']}): mediating as a relay")

    def decide(self, turn: Mapping[str, Any]) -> Tuple[str, Optional[Outcome]]:
        """The answer to a turn: (kind, outcome for an offer)."""
        req, t = turn["request"], turn["t"]
        kind = req["kind"]
        parse = self.space.parse  # type: ignore[union-attr]
        offer = parse(req["offer"]) if req.get("offer") else None
        other = parse(req["other"]) if req.get("other") else None
        a = self.agent
        if a is None:  # the mediator's seat: an honest relay
            return {"relay": ("accept", None)}.get(kind, ("end", None))
        if kind == "propose":
            return "offer", a.propose(t)
        if kind == "respond":
            return ("accept" if a.accepts(offer, t) else "reject"), None
        if kind == "vote":
            return ("accept" if a.votes_yes(offer, other, t) else "reject"), None
        if kind == "compare":
            return a.compare(offer, other), None
        raise ValueError(f"turn {turn['step']}: a party cannot answer a {kind!r} request")

    def answer(self, turn: Mapping[str, Any]) -> None:
        step = turn["step"]
        if step in self.answers:  # asked again after a reconnect: the same answer
            kind, names = self.answers[step]
            self.seat.act(step, kind, names)
            return
        for _ in range(5):
            kind, o = self.decide(turn)
            if kind not in turn["request"]["allowed"]:
                raise ValueError(f"turn {step}: {kind} is not among {turn['request']['allowed']}")
            names = self.space.names(o) if o is not None else None  # type: ignore[union-attr]
            self.answers[step] = (kind, names)
            try:
                self.seat.act(step, kind, names)
            except bc.APIError as err:
                if err.code != "invalid_move" or o is None or self.agent is None:
                    raise
                print(f"step {step}: the server refused {names}: {err.message}", file=sys.stderr)
                self.agent.drop(o)
                del self.answers[step]
                continue
            if o is not None:
                self.log(f"step {step} t={turn['t']:.3f}: {kind} (my utility {self.agent.utility(o):.4f})")
            else:
                self.log(f"step {step} t={turn['t']:.3f}: {turn['request']['kind']} -> {kind}")
            return
        raise RuntimeError(f"step {step}: the server refused five offers")

    def run(self) -> Dict[str, Any]:
        verified = 0
        for msg in self.seat.follow():
            f = self.seat.follower
            if f is not None and f.size != verified:
                verified = f.size
                self.log(f"log: checkpoint of {verified} leaves verified")
            typ = msg["type"]
            if typ == "snapshot":
                if self.space is None:
                    self.setup(msg)
                for ev in msg["events"]:
                    self.observe(ev)
                if msg.get("end"):
                    return msg["end"]
                if msg.get("turn"):
                    self.answer(msg["turn"])
            elif typ == "event":
                self.observe(msg)
            elif typ == "turn":
                self.answer(msg)
            elif typ == "end":
                return msg
        raise RuntimeError("the stream ended without an end message")

    def observe(self, ev: Mapping[str, Any]) -> None:
        if ev.get("party") != self.role and ev.get("outcome") and self.agent is not None:
            u = self.agent.utility(self.space.parse(ev["outcome"]))  # type: ignore[union-attr]
            self.log(f"event {ev['seq']}: {ev['party']} {ev['kind']} (my utility {u:.4f})")


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("link", help="the seat's link, from 'backchannel session new' or POST /api/sessions")
    ap.add_argument("--e", type=float, default=0.2, help="concession exponent: < 1 Boulware, > 1 Conceder (default 0.2)")
    ap.add_argument("--band", type=float, default=0.02, help="utility band offers are picked from (default 0.02)")
    ap.add_argument("--quiet", action="store_true", help="print only the end")
    args = ap.parse_args(argv)
    player = SeatPlayer(args.link, args.e, args.band, args.quiet)
    try:
        end = player.run()
    except bc.Alarm as alarm:
        print(f"{alarm}: stopped; the session log was not what this seat was shown before", file=sys.stderr, flush=True)
        f = player.seat.follower
        if f is not None and f.checkpoint:
            print("the newest checkpoint this seat verified:\n" + f.checkpoint, file=sys.stderr, flush=True)
        return 3
    line = f"end: {end['status']} ({end.get('reason', '')}) after {end['rounds']} rounds, {end['steps']} steps"
    if end.get("agreement"):
        line += f"; agreement {end['agreement']}"
    if end.get("utility") is not None:
        line += f"; my utility {end['utility']:.4f}"
    if end.get("fault"):
        line += f"; fault: {end['fault']['party']}: {end['fault']['reason']}"
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
