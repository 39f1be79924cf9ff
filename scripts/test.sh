#!/usr/bin/env bash
# Runs the whole test suite, both modes, against real servers it starts on loopback:
#   PostgreSQL 15 + pgvector (catalog and vectors) and s3rver (S3 data path);
# then the Python client's tests (pytest) against the service it starts in its embedded default.
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

# The Python client against the service as `dotnet run` starts it (embedded default, its own data directory).
python_status=0
if [ ${#target[@]} -gt 0 ]; then
  port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  DataPlane__DataDir="$work/python-service" dotnet src/Auraison.DataPlane/bin/Debug/net10.0/Auraison.DataPlane.dll --urls "http://127.0.0.1:$port" \
    > "$work/python-service.log" 2>&1 &
  service_pid=$!
  /usr/bin/python3 - "$port" <<'WAIT'
import sys, time, urllib.request
for _ in range(240):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health/ready", timeout=2)
        break
    except Exception:
        time.sleep(0.5)
WAIT
  set +e
  (cd clients/python && DATAPLANE_URL="http://127.0.0.1:$port" /usr/bin/python3 -m pytest -q -rs -p no:cacheprovider tests) 2>&1 | tee "$work/pytest.log"
  python_status=${PIPESTATUS[0]}
  set -e
  kill "$service_pid" 2>/dev/null || true
  wait "$service_pid" 2>/dev/null || true
fi

# One plain closing line for any reader: the counts summed over the test projects and the Python tests.
awk '/^[[:space:]]+(succeeded|failed|skipped):/ { n[$1] += $2 }
  /^[0-9]+ (passed|failed|skipped)|, [0-9]+ (passed|failed|skipped)/ {
    while (match($0, /[0-9]+ (passed|failed|skipped)/)) { split(substr($0, RSTART, RLENGTH), p, " ")
      n[(p[2] == "passed" ? "succeeded" : p[2]) ":"] += p[1]; $0 = substr($0, RSTART + RLENGTH) } }
  END { printf "tests: %d passed, %d failed, %d skipped\n", n["succeeded:"], n["failed:"], n["skipped:"] }' "$work/dotnet-test.log" "$work/pytest.log" 2>/dev/null
[ "$status" -eq 0 ] && [ "$python_status" -eq 0 ]
