#!/usr/bin/env bash
# Sourced by scripts/test.sh and bench/run.sh: starts PostgreSQL 15 (+ pgvector) and s3rver on loopback in a
# temporary directory, exports DATAPLANE_TEST_PG and DATAPLANE_TEST_S3, and stops both on exit.
PG_BIN=/usr/lib/postgresql/15/bin
TOOLS_DIR="${AURAISON_TOOLS_DIR:-$HOME/.cache/auraison-dataplane}"

log() { printf '[servers] %s\n' "$*" >&2; }

work=$(mktemp -d -t auraison-test-XXXXXX)
pg_pid_file="$work/pg/postmaster.pid"
s3_pid=""

cleanup() {
  set +e
  [ -n "$s3_pid" ] && kill "$s3_pid" 2>/dev/null && wait "$s3_pid" 2>/dev/null
  [ -f "$pg_pid_file" ] && as_pg "$PG_BIN/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root; the Debian package's postgres user owns the cluster then.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  printf '%s' "$port"
}

start_postgres() {
  mkdir -p "$work/pg" "$work/pg-socket"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$work/pg" "$work/pg-socket" && chmod 755 "$work"
  as_pg "$PG_BIN/initdb" -D "$work/pg" -U postgres -A trust --no-sync >/dev/null
  pg_port=$(free_port 55432)
  # Test servers trade crash safety for speed; the service's own durability is what the tests check.
  as_pg "$PG_BIN/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w -o \
    "-p $pg_port -c listen_addresses=127.0.0.1 -k $work/pg-socket -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
  "$PG_BIN/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qAt -c "CREATE DATABASE dataplane_tests" >/dev/null
  # The vector extension is left for the service to create, as on a first install.
  log "postgresql on 127.0.0.1:$pg_port ($("$PG_BIN/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d dataplane_tests -qAt \
    -c "SELECT 'pgvector ' || default_version || ' available' FROM pg_available_extensions WHERE name = 'vector'"))"
}

start_s3rver() {
  s3_port=$(free_port 54568)
  mkdir -p "$work/s3"
  # s3rver signs ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 keeps in its legacy provider.
  NODE_OPTIONS=--openssl-legacy-provider "$TOOLS_DIR/node_modules/.bin/s3rver" -d "$work/s3" -a 127.0.0.1 -p "$s3_port" --silent &
  s3_pid=$!
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$s3_port") 2>/dev/null && { log "s3rver on 127.0.0.1:$s3_port"; return; }
    sleep 0.2
  done
  log "s3rver did not start"; exit 1
}

start_postgres
start_s3rver

export DATAPLANE_TEST_PG="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=dataplane_tests;Maximum Pool Size=40"
export DATAPLANE_TEST_S3="http://127.0.0.1:$s3_port"

