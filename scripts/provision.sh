#!/usr/bin/env bash
# Installs what the tests need on a Debian machine: PostgreSQL 15 with pgvector and s3rver (production mode), pytest
# (Python client), Chromium and its driver (web console).
# Idempotent: each step checks first and returns at once when its part is already there.
set -euo pipefail

PG_MAJOR=15
S3RVER_VERSION=3.7.1
TOOLS_DIR="${AURAISON_TOOLS_DIR:-$HOME/.cache/auraison-dataplane}"

log() { printf '[provision] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=false
apt_update_once() {
  if ! $apt_updated; then
    as_root apt-get update -qq
    apt_updated=true
  fi
}

ensure_postgres() {
  if [ -x "/usr/lib/postgresql/$PG_MAJOR/bin/postgres" ]; then return; fi
  log "installing postgresql-$PG_MAJOR"
  apt_update_once
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$PG_MAJOR" >/dev/null
}

# The first Debian archive URI this machine already uses; the deb-src entry for pgvector reuses it, so no
# host name is written into the repository.
debian_archive_uri() {
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || { log "no Debian archive entry found in /etc/apt"; exit 1; }
  printf '%s' "$uri"
}

ensure_pgvector() {
  local sharedir
  sharedir="/usr/share/postgresql/$PG_MAJOR/extension"
  if [ -f "$sharedir/vector.control" ]; then return; fi
  log "building pgvector from Debian's source package"
  local pg_version
  pg_version=$(dpkg-query -W -f='${Version}' "postgresql-$PG_MAJOR")
  local src_list=/etc/apt/sources.list.d/auraison-pgvector-src.sources
  if [ ! -f "$src_list" ]; then
    as_root tee "$src_list" >/dev/null <<EOF
Types: deb-src
URIs: $(debian_archive_uri)
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt_updated=false
  fi
  apt_update_once
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    "postgresql-server-dev-$PG_MAJOR=$pg_version" dpkg-dev make gcc >/dev/null
  local build
  build=$(mktemp -d)
  (
    cd "$build"
    apt-get source -qq pgvector >/dev/null 2>&1
    cd pgvector-*/
    make -s PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" >/dev/null
    as_root make -s install PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" >/dev/null
  )
  rm -rf "$build"
  [ -f "$sharedir/vector.control" ] || { log "pgvector build did not install vector.control"; exit 1; }
}

ensure_s3rver() {
  if [ -x "$TOOLS_DIR/node_modules/.bin/s3rver" ]; then return; fi
  log "installing s3rver@$S3RVER_VERSION"
  mkdir -p "$TOOLS_DIR"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR" "s3rver@$S3RVER_VERSION" >/dev/null
}

# The Python client's tests run on Debian's python3 with its pytest (pyarrow is not packaged: those tests skip).
ensure_pytest() {
  if /usr/bin/python3 -c 'import pytest' 2>/dev/null; then return; fi
  log "installing python3-pytest"
  apt_update_once
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pytest >/dev/null
}

# The web console's tests drive Debian's headless Chromium through its chromedriver.
ensure_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then return; fi
  log "installing chromium and chromium-driver"
  apt_update_once
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
}

ensure_postgres
ensure_pgvector
ensure_s3rver
ensure_pytest
ensure_chromium
log "ready: postgresql-$PG_MAJOR with pgvector, s3rver@$S3RVER_VERSION in $TOOLS_DIR, python3-pytest, chromium"
