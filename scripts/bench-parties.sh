#!/usr/bin/env bash
# Whole-process times of 'analyze' and 'run --protocol sao' (Boulware for
# every party) on issue 16's test scenarios: random linear additive, 6 issues
# × 10 options (10⁶ outcomes), 2–10 parties, reservation 0.3, seed 1
# (go run ./tools/synth). Three runs each; a run still going after LIMIT
# seconds (default 120) is sent SIGTERM (and SIGKILL 5 s later). Prints one
# line per run: parties, command, exit code, elapsed, user CPU, peak memory.
#
#   scripts/bench-parties.sh BINARY [PARTIES…]   # e.g. /tmp/bc 2 3 6 8 10
set -uo pipefail
bin=$1; shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$(dirname "$0")/.."
for n in "${@:-2 3 6 8 10}"; do
  go run ./tools/synth -parties "$n" > "$dir/p$n.yaml"
  ps=$(printf 'boulware%.0s,' $(seq "$n")); ps=${ps%,}
  for cmd in analyze run; do
    if [ "$cmd" = analyze ]; then args=(analyze "$dir/p$n.yaml"); else args=(run --scenario "$dir/p$n.yaml" --protocol sao --parties "$ps"); fi
    for rep in 1 2 3; do
      timeout -s TERM -k 5 "${LIMIT:-120}" /usr/bin/time -o "$dir/t" -f "%e s elapsed %U s user %M KB" "$bin" "${args[@]}" > /dev/null 2> "$dir/err"
      rc=$?
      echo "parties=$n $cmd rep=$rep exit=$rc $(tail -1 "$dir/t" 2>/dev/null) $(head -c 120 "$dir/err" | tr '\n' ' ')"
      rm -f "$dir/t"
      [ $rc = 0 ] || break
    done
  done
done
