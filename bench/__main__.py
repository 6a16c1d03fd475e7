"""``python -m bench``: every benchmark on SQLite and/or PostgreSQL; prints a table, writes JSON.

    python -m bench [--tasks N] [--db sqlite|postgres|both] [--json FILE] [--only NAME…]
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from datetime import UTC, datetime

from bench.common import fresh_db

SUITES = ("sweeps", "slack_ack")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--tasks", type=int, default=100_000, help="tasks in the database (default 100000)")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--json", default=None, help="also write the figures to this file")
    p.add_argument("--only", nargs="*", choices=SUITES, default=None)
    args = p.parse_args(argv)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = []
    for suite in args.only or SUITES:
        module = importlib.import_module(f"bench.{suite}")
        for kind in kinds:
            started = time.perf_counter()
            with fresh_db(kind) as url:
                rows = module.run(tasks=args.tasks, db_url=url)
            for row in rows:
                results.append({"suite": suite, "db": kind, **row})
            print(f"# {suite} on {kind}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    width = max((len(r["name"]) for r in results), default=10)
    print(f"{'suite':<10} {'db':<9} {'figure':<{width}} {'value':>14}  unit  note")
    for r in results:
        value = r["value"]
        shown = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
        print(f"{r['suite']:<10} {r['db']:<9} {r['name']:<{width}} {shown:>14}  {r.get('unit', '')}  {r.get('note', '')}")
    if args.json:
        meta = {"when": datetime.now(UTC).isoformat(), "tasks": args.tasks, "python": platform.python_version(),
                "machine": platform.machine(), "cpus": __import__("os").cpu_count()}
        with open(args.json, "w", encoding="utf-8") as f:
            # CONTRACT.md: one object per database mapping each figure's key to its number.
            keyed = {kind: {r["key"]: r["value"] for r in results if r["db"] == kind and r.get("key")}
                     for kind in kinds}
            json.dump({**keyed, "meta": meta, "results": results}, f, ensure_ascii=False, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
