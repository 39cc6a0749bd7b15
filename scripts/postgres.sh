#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the store tests and prints its URL
# on stdout (everything else goes to stderr):
#
#   export BACKCHANNEL_TEST_POSTGRES="$(scripts/postgres.sh)"
#
# Installs Debian's postgresql (15) with apt-get if no server binaries are
# found. The cluster lives in a fresh temporary directory, listens on
# 127.0.0.1 on the first free port from 15432 up, trusts local connections
# and is stopped with:  pg_ctl -D "$DIR" stop  (DIR is printed on stderr).
# Run as root, it runs the server as the 'postgres' system user.
set -euo pipefail

log() { printf 'postgres.sh: %s\n' "$*" >&2; }

find_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

if ! BIN="$(find_bin)"; then
  log "installing postgresql with apt-get"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  BIN="$(find_bin)" || { log "no initdb/pg_ctl after installing postgresql"; exit 1; }
fi

port=15432
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  port=$((port + 1))
  if [ "$port" -gt 16432 ]; then log "no free port in 15432-16432"; exit 1; fi
done

DIR="$(mktemp -d "${TMPDIR:-/tmp}/backchannel-pg.XXXXXX")"
as_owner() { "$@"; }
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$DIR" postgres
  chown postgres "$DIR"
  as_owner() { runuser -u postgres -- "$@"; }
fi

as_owner "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --no-instructions >"$DIR/initdb.log" 2>&1 ||
  { cat "$DIR/initdb.log" >&2; exit 1; }
as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-p $port -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >&2 ||
  { cat "$DIR/server.log" >&2; exit 1; }

log "cluster in $DIR (stop: $BIN/pg_ctl -D $DIR/data stop)"
echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
