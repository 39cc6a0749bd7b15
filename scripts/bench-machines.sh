#!/usr/bin/env bash
# What distributing a tournament over NATS costs a worker, with the NATS
# server and the coordinator on another machine — approximated on one
# machine by pinning them to other cores than the worker's.
#
# Each count runs the same plan twice, alternately:
#   local: `backchannel tournament run --workers 1` pinned to core 0 (runner,
#          SQLite writer and all on that core, as on a one-core machine);
#   nats:  `backchannel worker --jobs 1` pinned to core 0, while nats-server
#          and `backchannel tournament run --nats` (coordinator, SQLite) run
#          pinned to the other cores.
# It prints each pair's wall times and the median of the paired ratios.
#
#   scripts/bench-machines.sh            # 9 counts
#   COUNT=15 scripts/bench-machines.sh
#   REPS=9 scripts/bench-machines.sh     # a 3× longer plan (6,480 negotiations)
#
# Needs: Linux with taskset and at least 2 cores. The plan: the nine
# strategies in every ordered pairing on the 10 fixtures of
# tournament/testdata/bench, 3 repetitions, up to 1,000 rounds: 2,160
# negotiations.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${COUNT:-9}"
ncpu="$(nproc)"
if [ "$ncpu" -lt 2 ] || ! command -v taskset >/dev/null; then
  echo "bench-machines: needs taskset and at least 2 cores" >&2
  exit 1
fi
others="1-$((ncpu - 1))"
tmp="$(mktemp -d)"
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "building backchannel and nats-server ..." >&2
go build -o "$tmp/backchannel" ./cmd/backchannel
go build -o "$tmp/nats-server" github.com/nats-io/nats-server/v2

port=$((20000 + RANDOM % 20000))
taskset -c "$others" "$tmp/nats-server" -js -sd "$tmp/js" -a 127.0.0.1 -p "$port" >"$tmp/nats.log" 2>&1 &
url="nats://127.0.0.1:$port"
for _ in $(seq 50); do
  grep -q "Server is ready" "$tmp/nats.log" && break
  sleep 0.1
done
taskset -c 0 "$tmp/backchannel" worker --nats "$url" --jobs 1 --quiet 2>"$tmp/worker.log" &

scenarios="$(ls tournament/testdata/bench/bench*.yaml | paste -sd, -)"
plan=(--strategies boulware,conceder,frequency,hardliner,linear,micro,random,tft-absolute,tft-relative
  --scenarios "$scenarios" --repetitions "${REPS:-3}" --deadline-rounds 1000 --quiet)

secs() { # wall seconds of a command
  local t0 t1
  t0="$(date +%s.%N)"
  "$@" >/dev/null
  t1="$(date +%s.%N)"
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}'
}

printf '%-6s %10s %10s %9s\n' count local_s nats_s overhead
ratios=()
for i in $(seq "$count"); do
  l="$(secs taskset -c 0 "$tmp/backchannel" tournament run "${plan[@]}" --seed "$i" --workers 1 --db "$tmp/local-$i.db")"
  n="$(secs taskset -c "$others" "$tmp/backchannel" tournament run "${plan[@]}" --seed "$i" --nats "$url" --db "$tmp/nats-$i.db")"
  r="$(awk -v l="$l" -v n="$n" 'BEGIN{printf "%.4f", 100 * (n / l - 1)}')"
  ratios+=("$r")
  printf '%-6s %10s %10s %+8.1f%%\n' "$i" "$l" "$n" "$r"
done
printf '%s\n' "${ratios[@]}" | sort -g | awk -v n="$count" '{a[NR]=$1} END{
  m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
  printf "median overhead of %d pairs: %+.1f%% (range %+.1f%% … %+.1f%%)\n", n, m, a[1], a[NR]}' 
