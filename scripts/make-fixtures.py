#!/usr/bin/env python3
"""Rebuilds the stock-written fixture lakes in tests/Auraison.DataPlane.Lake.Tests/Fixtures with the reference DuckDB.

For each fixture folder: deletes catalog.ducklake and data/, runs make.sql in the folder with the reference CLI (stock
DuckDB + ducklake), then writes expected.json: for every snapshot the stock extension lists, its changes and every row
of every table visible at it, ordered by all columns, as the stock extension returns them.

    python3 scripts/make-fixtures.py [FIXTURE ...]          # all fixtures when none is named
    DATAPLANE_REFERENCE_DUCKDB=/path/to/duckdb python3 scripts/make-fixtures.py

The reference CLI defaults to ../shared/reference/duckdb beside the repository.
"""
import json
import os
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "tests", "Auraison.DataPlane.Lake.Tests", "Fixtures")
REFERENCE = os.environ.get("DATAPLANE_REFERENCE_DUCKDB") or os.path.join(REPO, "..", "shared", "reference", "duckdb")


def run(folder, script):
    """Runs a script in the fixture folder; returns the lines it printed (list mode, no headers)."""
    done = subprocess.run([REFERENCE, "-bail", "-noheader", "-list"], input=script, text=True, cwd=folder,
                          capture_output=True)
    if done.returncode != 0 or done.stderr.strip():
        sys.exit(f"reference DuckDB failed in {folder}: {done.stderr.strip()}")
    return [line for line in done.stdout.splitlines() if line]


def attach(version=None):
    at = "" if version is None else f", SNAPSHOT_VERSION {version}"
    return f"ATTACH 'ducklake:catalog.ducklake' AS lake (READ_ONLY{at});\n"


def expected(folder):
    stock = run(folder, "SELECT version();")[0]
    snapshots = []
    for line in run(folder, attach() + "SELECT snapshot_id || '|' || CAST(changes AS VARCHAR) FROM lake.snapshots() ORDER BY snapshot_id;"):
        snapshot_id, changes = line.split("|", 1)
        version = int(snapshot_id)
        tables = run(folder, attach(version) +
                     "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                     "WHERE table_catalog = 'lake' ORDER BY 1;")
        rows = {}
        for table in tables:
            rows[table] = [json.loads(row) for row in run(folder, attach() +
                           f"SELECT CAST(to_json(t) AS VARCHAR) FROM (SELECT * FROM lake.{table} AT (VERSION => {version}) ORDER BY ALL) t;")]
        snapshots.append({"snapshot_id": version, "changes": changes, "tables": rows})
    return {"stock": stock, "snapshots": snapshots}


def rebuild(name):
    folder = os.path.join(FIXTURES, name)
    for stale in ("catalog.ducklake", "catalog.ducklake.wal"):
        if os.path.exists(os.path.join(folder, stale)):
            os.remove(os.path.join(folder, stale))
    shutil.rmtree(os.path.join(folder, "data"), ignore_errors=True)
    with open(os.path.join(folder, "make.sql")) as make:
        run(folder, make.read())
    with open(os.path.join(folder, "expected.json"), "w") as out:
        json.dump(expected(folder), out, indent=1, ensure_ascii=False)
        out.write("\n")
    print(f"{name}: rebuilt")


def main():
    if not os.path.exists(REFERENCE):
        sys.exit(f"the reference DuckDB was not found at {REFERENCE}; set DATAPLANE_REFERENCE_DUCKDB")
    names = sys.argv[1:] or sorted(d for d in os.listdir(FIXTURES) if os.path.exists(os.path.join(FIXTURES, d, "make.sql")))
    for name in names:
        rebuild(name)


if __name__ == "__main__":
    main()
