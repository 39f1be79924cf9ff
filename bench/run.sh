#!/usr/bin/env bash
# Runs the benchmarks against the service in production mode (PostgreSQL catalog + S3 via s3rver), with their
# baselines in the same run, and writes bench/results/<date>-<size>.{md,json}.
#   bash bench/run.sh            quick sizes (about two minutes)
#   bash bench/run.sh full       the documented full sizes (about 25 minutes on 2 cores)
#   BENCH_ONLY="small ingest" bash bench/run.sh    one workload only (bulk ingest, small ingest, query, retrieval,
#                                                  catalog scale); later ones may rely on the rows earlier ones wrote
# DataPlane__* variables are passed on to the service, e.g. DataPlane__Ingest__LingerMilliseconds=0.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
size="${1:-quick}"
bash "$repo/scripts/provision.sh"
source "$repo/scripts/servers.sh"
cd "$repo"
dotnet build -c Release src/Auraison.DataPlane -v q -nologo >/dev/null
status=0
dotnet run -c Release --project bench/Auraison.DataPlane.Bench -- "$size" "$repo/src/Auraison.DataPlane/bin/Release/net10.0/Auraison.DataPlane.dll" "$repo/bench/results" || status=$?
cat "$(ls -t "$repo"/bench/results/*-"$size".md | head -1)"
exit "$status"
