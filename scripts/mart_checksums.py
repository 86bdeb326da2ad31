"""Compare the marts of two published warehouses, run ids left out: does a refactor keep the published
results the same? (Issue 19's acceptance: run `cdpi run --sample` before and after, then compare.)

    python scripts/mart_checksums.py BEFORE/warehouse.duckdb AFTER/warehouse.duckdb

Prints each marts table and view with its row count and a digest of all its rows (sorted, every column
but run_id, previous_run_id and fetch_id), marks the ones that differ, and exits 1 when any does."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import duckdb

#: Columns that name the run, or something only within it, and so differ between any two runs of the same
#: input: fetch_id is the step's log file (named with its process id) and the line in it.
RUN_COLUMNS = ("run_id", "previous_run_id", "fetch_id")


def checksums(path: Path) -> dict[str, tuple[int, str]]:
    """Relation name -> (rows, digest of its rows) for every table and view of the marts schema."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        relations = [r for (r,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' UNION ALL "
            "SELECT view_name FROM duckdb_views() WHERE schema_name = 'marts' AND NOT internal "
            "ORDER BY 1").fetchall()]
        out = {}
        for rel in relations:
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'marts' AND table_name = ? "
                "ORDER BY column_index", [rel]).fetchall() if c not in RUN_COLUMNS]
            frame = con.execute("SELECT " + ", ".join(f'"{c}"' for c in cols) +
                                f' FROM marts."{rel}" ORDER BY ALL').df()
            out[rel] = (len(frame), hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()[:16])
        return out
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    before, after = checksums(args.before), checksums(args.after)
    differ = 0
    for rel in sorted(set(before) | set(after)):
        a, b = before.get(rel), after.get(rel)
        same = a == b
        differ += not same
        print(f"{'same ' if same else 'DIFF '} marts.{rel:<28} {a} {'' if same else b}")
    print(f"{len(before | after) - differ} of {len(before | after)} marts identical")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
