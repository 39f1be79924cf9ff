#!/usr/bin/env bash
# Runs the whole test suite, both modes, against real servers it starts on loopback:
#   PostgreSQL 15 + pgvector (catalog and vectors) and s3rver (S3 data path).
# Installs what is missing first (scripts/provision.sh), stops what it started on exit.
# Extra arguments go to `dotnet test`, e.g.
#   scripts/test.sh --project tests/Auraison.DataPlane.Lake.Tests -- --filter-class '*CatalogSchemaTests'
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bash "$repo/scripts/provision.sh"

source "$repo/scripts/servers.sh"

cd "$repo"
set +e
target=(--solution Auraison.DataPlane.sln)
[[ " $* " == *" --project "* ]] && target=()
dotnet test "${target[@]}" "$@" 2>&1 | tee "$work/dotnet-test.log"
status=${PIPESTATUS[0]}
set -e

# One plain closing line for any reader: the counts summed over the test projects.
awk '/^[[:space:]]+(succeeded|failed|skipped):/ { n[$1] += $2 }
  END { printf "tests: %d passed, %d failed, %d skipped\n", n["succeeded:"], n["failed:"], n["skipped:"] }' "$work/dotnet-test.log"
exit "$status"
