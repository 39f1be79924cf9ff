#!/usr/bin/env bash
# Runs the benchmarks against the service in production mode (PostgreSQL catalog + S3 via s3rver), with their
# baselines in the same run, and writes bench/results/<date>-<size>.{md,json}.
#   bash bench/run.sh            quick sizes (about two minutes)
#   bash bench/run.sh full       the documented full sizes
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
size="${1:-quick}"
bash "$repo/scripts/provision.sh"
source "$repo/scripts/servers.sh"
cd "$repo"
dotnet build -c Release src/Auraison.DataPlane -v q -nologo >/dev/null
dotnet run -c Release --project bench/Auraison.DataPlane.Bench -- "$size" "$repo/src/Auraison.DataPlane/bin/Release/net10.0/Auraison.DataPlane.dll" "$repo/bench/results"
