"""Unit tests of the Python client: python3 -m unittest -v (in this folder).

TestAgainstGo compares utilities, feasibility and red lines with the Go
engine's, from fixtures the Go test (clients/python/python_test.go) writes
into the folder named by BACKCHANNEL_GO_FIXTURES; run alone, it is skipped.
"""

import glob
import http.server
import json
import os
import random
import threading
import unittest
import urllib.parse

import backchannel as bc
import example_agent

HERE = os.path.dirname(os.path.abspath(__file__))


def numeric_scenario():
    with open(os.path.join(HERE, "testdata", "numeric.json")) as f:
        return json.load(f)


class TestGoFloat(unittest.TestCase):
    def test_matches_strconv_format_float_g(self):
        # Each pair: a float and strconv.FormatFloat(x, 'g', -1, 64).
        cases = [(8000.0, "8000"), (0.05, "0.05"), (1e-5, "1e-05"), (1e16, "1e+16"), (1234567.0, "1.234567e+06"),
                 (123456.5, "123456.5"), (1.5e-7, "1.5e-07"), (0.0001, "0.0001"), (-3.25, "-3.25"),
                 (100000.0, "100000"), (1e6, "1e+06"), (1 / 6, "0.16666666666666666"), (2.0 ** 70, "1.1805916207174113e+21"),
                 (5e-324, "5e-324"), (0.0, "0"), (-0.0, "-0"), (2.5e6, "2.5e+06")]
        for x, want in cases:
            self.assertEqual(bc.go_float(x), want, x)


class TestScenario(unittest.TestCase):
    def setUp(self):
        self.space, self.profiles = bc.read_scenario(numeric_scenario())

    def test_grid_names(self):
        names = {is_.name: is_.values for is_ in self.space.issues}
        self.assertEqual(names["price"][:3], ["8000", "8500", "9000"])
        self.assertEqual(names["budget"], ["0", "500000", "1e+06", "1.5e+06", "2e+06", "2.5e+06", "3e+06"])
        self.assertEqual(names["delivery_days"][0], "-3")
        self.assertEqual(self.space.size(), 3 * 9 * 25 * 7 * 7 * 7)

    def test_parse_and_names_round_trip(self):
        rng = random.Random(1)
        for _ in range(100):
            o = self.space.random(rng)
            self.assertEqual(self.space.parse(self.space.names(o)), o)
        with self.assertRaises(ValueError):
            self.space.parse({"model": "sedan"})
        # A number on the grid names its value, as outcome.Issue.ValueIndex allows.
        self.assertEqual(self.space.issues[4].index("1000000"), 2)

    def test_rules(self):
        o = dict(model="sedan", price="10000", warranty_months="3", share="0", budget="500000", delivery_days="0")
        self.assertEqual(self.space.broken_rule(self.space.parse(o)), "sedan_has_warranty")
        o["warranty_months"] = "6"
        self.assertTrue(self.space.feasible(self.space.parse(o)))
        o["budget"] = "0"  # a rule without if always applies
        self.assertEqual(self.space.broken_rule(self.space.parse(o)), "budget_floor")

    def test_normalised_weights_and_red_lines(self):
        buyer = self.profiles["buyer"]
        self.assertAlmostEqual(sum(buyer.weights), 1.0, places=12)
        total = 0.0
        for w in (0.7, 1.3, 0.9, 0.4, 0.3, 0.4):  # summed in file order, as Go sums them
            total += w
        self.assertEqual(buyer.weights[0], 0.7 / total)
        o = dict(model="hatchback", price="11500", warranty_months="12", share="0", budget="500000", delivery_days="0")
        self.assertTrue(buyer.violates(self.space.parse(o)))
        self.assertTrue(self.profiles["seller"].red_lines[2][23] and self.profiles["seller"].red_lines[2][24])
        self.assertIsNone(self.profiles["broker"].red_lines)

    def test_clamped_evaluator(self):
        # offset 1.0000000001 leaves [0,1] by less than 1e-9 at -3: clamped to 1.
        self.assertEqual(self.profiles["buyer"].evals[5][0], 1.0)

    def test_rejects_bad_profiles(self):
        doc = numeric_scenario()
        doc["parties"]["buyer"]["values"]["model"] = {"hatchback": 1, "sedan": 0.5}
        with self.assertRaisesRegex(ValueError, "no value for option 'estate'"):
            bc.read_scenario(doc)
        doc = numeric_scenario()
        doc["parties"]["seller"]["values"]["price"] = {"type": "linear", "slope": 0.001, "offset": 0}
        with self.assertRaisesRegex(ValueError, "outside"):
            bc.read_scenario(doc)


class TestAgent(unittest.TestCase):
    def setUp(self):
        self.space, self.profiles = bc.read_scenario(numeric_scenario())

    def test_offers_stay_acceptable_and_concede(self):
        for pid, p in self.profiles.items():
            a = example_agent.TimeDependentAgent(p, e=0.5, rng=random.Random(3))
            last = 2.0
            for k in range(21):
                t = k / 20
                o = a.propose(t)
                self.assertTrue(p.acceptable(o), (pid, t, o))
                self.assertFalse(p.violates(o))
                self.assertGreaterEqual(p.utility(o), a.target(t) - bc.TOLERANCE)
                self.assertLessEqual(a.target(t), last)
                last = a.target(t)
            self.assertAlmostEqual(a.target(0), a.u_max)
            self.assertAlmostEqual(a.target(1), a.u_min)

    def test_acceptance_and_comparison(self):
        p = self.profiles["seller"]
        a = example_agent.TimeDependentAgent(p, e=1)
        best, worst = a.outcomes[-1], a.outcomes[0]
        self.assertTrue(a.accepts(best, 0.0))
        self.assertFalse(a.accepts(worst, 0.5))
        self.assertTrue(a.accepts(worst, 1.0))
        self.assertEqual(a.compare(best, worst), "better")
        self.assertEqual(a.compare(worst, best), "worse")
        self.assertEqual(a.compare(best, best), "same")
        self.assertTrue(a.votes_yes(best, worst, 0.0))
        self.assertFalse(a.votes_yes(worst, best, 1.0))
        red = list(best)
        red[2] = 24  # the seller's red line on warranty_months
        self.assertEqual(a.compare(tuple(red), worst), "worse")
        self.assertFalse(a.accepts(tuple(red), 1.0))

    def test_sampling_large_spaces(self):
        p = self.profiles["buyer"]
        old = example_agent.MAX_ENUMERATE
        example_agent.MAX_ENUMERATE = 10
        try:
            a = example_agent.TimeDependentAgent(p, rng=random.Random(5))
        finally:
            example_agent.MAX_ENUMERATE = old
        self.assertTrue(all(p.acceptable(o) for o in a.outcomes))
        self.assertEqual(a.utils, sorted(a.utils))


class FakeSeatServer(http.server.ThreadingHTTPServer):
    """A stand-in for the server's seat routes: the stream breaks after each
    event until the last, and the first two actions fail with 503."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), FakeSeatHandler)
        self.sinces = []     # the since of every stream request
        self.trees = []      # the tree of every stream request
        self.actions = []    # every action body
        self.events = [{"type": "event", "seq": n, "step": n, "round": 0, "t": 0, "party": "usa", "kind": "reject"}
                       for n in (1, 2, 3)]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def link(self):
        return f"http://127.0.0.1:{self.server_address[1]}/api/seats/TOKEN"


class FakeSeatHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        srv = self.server
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        since = int(q["since"][0])
        srv.sinces.append(since)
        srv.trees.append(q.get("tree", [None])[0])
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        lines = [{"type": "snapshot", "seq": since, "events": [], "turn": None, "end": None}, None]
        new = [e for e in srv.events if e["seq"] > since]
        lines += new[:1]  # one event per connection, then the connection breaks
        if len(new) == 1:
            lines.append({"type": "end", "seq": 3, "status": "no agreement", "reason": "deadline", "rounds": 1, "steps": 3})
        for m in lines:
            self.wfile.write(b"\n" if m is None else json.dumps(m).encode() + b"\n")  # None: a keep-alive line

    def do_POST(self):
        srv = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/api/sessions":
            if self.headers.get("Authorization") != "Bearer OPERATOR":
                self.send(401, {"error": "operator requests need the operator token", "code": "unauthorized"})
            else:
                self.send(201, {"session": "s1", "owner": "http://x/api/owner/O", "seats": {}})
            return
        srv.actions.append(body)
        if self.headers["Content-Type"] != "application/json":
            self.send(400, {"error": "want JSON", "code": "invalid"})
        elif len(srv.actions) <= 2:
            self.send(503, {"error": "the store failed; retry", "code": "unavailable"})
        elif body["step"] < 5:
            self.send(409, {"error": "answered already", "code": "stale_step", "step": 5})
        elif body["kind"] == "vote":
            self.send(422, {"error": "kind vote does not answer a respond request", "code": "invalid_move", "field": "kind"})
        else:
            self.send(200, {"step": body["step"], "kind": body["kind"]})


class TestSeatProtocol(unittest.TestCase):
    def setUp(self):
        self.srv = FakeSeatServer()
        self.addCleanup(self.srv.server_close)
        self.addCleanup(self.srv.shutdown)

    def test_follow_resumes_from_the_last_seq(self):
        msgs = list(bc.Seat(self.srv.link).follow(max_wait=0.01))
        self.assertEqual([m["type"] for m in msgs],
                         ["snapshot", "event", "snapshot", "event", "snapshot", "event", "end"])
        self.assertEqual([m["seq"] for m in msgs if m["type"] == "event"], [1, 2, 3])
        self.assertEqual(self.srv.sinces, [0, 1, 2])
        self.assertEqual(self.srv.trees, ["0", "0", "0"])  # asks for the log's proofs (this fake has no log)

    def test_act_retries_and_reads_409_and_422(self):
        seat = bc.Seat(self.srv.link)
        self.assertEqual(seat.act(5, "accept", max_wait=0.01), {"step": 5, "kind": "accept"})
        self.assertEqual(len(self.srv.actions), 3)  # two 503s, then the answer
        self.assertEqual(self.srv.actions[0], {"step": 5, "kind": "accept"})
        self.assertIsNone(seat.act(4, "accept"))  # 409 stale_step: answered already
        with self.assertRaises(bc.APIError) as cm:
            seat.act(5, "vote")
        self.assertEqual((cm.exception.status, cm.exception.code, cm.exception.field), (422, "invalid_move", "kind"))
        self.assertNotIn("TOKEN", repr(seat))


class TestOperatorToken(unittest.TestCase):
    def setUp(self):
        self.srv = FakeSeatServer()
        self.addCleanup(self.srv.server_close)
        self.addCleanup(self.srv.shutdown)
        self.base = f"http://127.0.0.1:{self.srv.server_address[1]}"

    def test_token_is_sent_as_bearer(self):
        self.assertEqual(bc.Client(self.base, token="OPERATOR").create_session({"a": "agent"})["session"], "s1")
        with self.assertRaises(bc.APIError) as cm:
            bc.Client(self.base, token="").create_session({"a": "agent"})
        self.assertEqual((cm.exception.status, cm.exception.code), (401, "unauthorized"))


class TestAgainstGo(unittest.TestCase):
    """Utilities, feasibility and red lines as Go computes them, to 1e-12."""

    def test_fixtures(self):
        folder = os.environ.get("BACKCHANNEL_GO_FIXTURES")
        if not folder:
            self.skipTest("BACKCHANNEL_GO_FIXTURES is not set: go test ./clients/python/ writes the fixtures")
        files = sorted(glob.glob(os.path.join(folder, "*.json")))
        self.assertTrue(files, "no fixtures in " + folder)
        for path in files:
            with open(path) as f:
                fx = json.load(f)
            with self.subTest(fixture=fx["name"]):
                space, profiles = bc.read_scenario(fx["scenario"])
                self.assertEqual([[is_.name] + is_.values for is_ in space.issues], fx["values"])
                self.assertEqual(sorted(profiles), sorted(fx["parties"]))
                exact = 0
                for c in fx["cases"]:
                    o = space.parse(c["outcome"])
                    self.assertEqual(space.feasible(o), c["feasible"], c["outcome"])
                    for pid, want in c["utility"].items():
                        got = profiles[pid].utility(o)
                        self.assertLessEqual(abs(got - want), 1e-12, (pid, c["outcome"], got, want))
                        exact += got == want
                        self.assertEqual(profiles[pid].violates(o), c["violates"][pid], (pid, c["outcome"]))
                        self.assertEqual(profiles[pid].acceptable(o), c["acceptable"][pid], (pid, c["outcome"]))
                # The same additions in the same order: bit-identical.
                self.assertEqual(exact, sum(len(c["utility"]) for c in fx["cases"]))


if __name__ == "__main__":
    unittest.main()
