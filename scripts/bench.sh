#!/usr/bin/env bash
# Runs the benchmarks behind docs/benchmarks.md and writes their raw output
# (benchstat's input format) to docs/bench/NAME.txt. Run it on a quiet
# machine; compare two runs with: benchstat old.txt new.txt
#
#   scripts/bench.sh            # all, 5 counts each (about 10 minutes on 2 cores)
#   COUNT=10 scripts/bench.sh   # more counts for tighter intervals
set -euo pipefail
cd "$(dirname "$0")/.."
count="${COUNT:-5}"
out=docs/bench
mkdir -p "$out"
run() { # name package bench-regexp [extra go test flags]
  local name=$1 pkg=$2 re=$3; shift 3
  echo "== $name ($pkg -bench '$re')" >&2
  go test -run '^$' -bench "$re" -benchmem -count "$count" "$@" "$pkg" | tee "$out/$name.txt" >&2
}
run peers       ./bench          'SAORounds|SingleTextSteps|AnalyzeANAC' -cpu 1
# 'analyze --json DIR' as whole processes, start to exit (tools/analyzetime).
genius="${BACKCHANNEL_CORPUS:-../shared/scenarios}/genius"
if [ -d "$genius" ]; then
  echo "== analyze-process (tools/analyzetime)" >&2
  bin="$(mktemp -d)/backchannel"
  go build -o "$bin" ./cmd/backchannel
  go run ./tools/analyzetime -count "$count" -bin current="$bin" -out "$out/analyze-process-%s.txt" \
    "$genius/anac/y2010/Travel" "$genius/anac/y2011/Energy" "$genius/other/AMPOvsCity"
else
  echo "== analyze-process skipped: no GENIUS corpus at $genius (set BACKCHANNEL_CORPUS)" >&2
fi
run sao-iranus  ./strategy       'SAO'                -cpu 1 -benchtime 20x
run strategies  ./strategy       'Propose|Respond'    -cpu 1
run singletext  ./mechanism      'SingleText'         -cpu 1
run analyze     ./analysis       'AnalyzeIranUS'      -cpu 1
run parties     ./analysis       'ManyParties'        -timeout 60m
run parties-frontier ./frontier  'LinearManyParties'  -timeout 60m
run parties-index ./strategy     'IndexManyParties'
run frontier    ./frontier       'Analyze|Skyline|OffersAtLeast' -cpu 1
run parse       ./scenario       'ParseDefault'       -cpu 1
run parallel    ./sim            'Parallel'           -cpu 1,2
run tournament  ./tournament     '.'                  -cpu 1,2 -benchtime 1x
run store-sqlite ./store/sqlite  'Put'
if [ -n "${BACKCHANNEL_TEST_POSTGRES:-}" ]; then
  run store-postgres ./store/postgres 'Put'
fi
run wire        ./distributed    'Wire'
# Live sessions (docs/benchmarks.md, "Live sessions"): the group commit alone,
# then 1,000 sessions over loopback with the server in-process; one count
# (each run starts 1,000 sessions and warms up for 5 s).
run sessions-append-sqlite ./store/sqlite 'Append' -benchtime 2s -count 1
if [ -n "${BACKCHANNEL_TEST_POSTGRES:-}" ]; then
  run sessions-append-postgres ./store/postgres 'Append' -benchtime 2s -count 1
fi
run sessions    ./tools/sessionload 'SessionActions' -benchtime 30000x -count 1
# NATS and local runs alternate within each count; compare them in pairs
# (docs/distributed.md), as consecutive runs on a shared machine move a lot.
run nats        ./distributed    'NATS'               -benchtime 1x
