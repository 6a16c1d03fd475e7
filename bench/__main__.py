"""``python -m bench``: every benchmark on SQLite and/or PostgreSQL; prints the targets table, writes JSON.

    python -m bench [--tasks N] [--db sqlite|postgres|both] [--json FILE] [--only NAME…]
                    [--reuse URL] [--keep-seed] [--table-from FILE]

Each suite is a module ``bench.<name>`` with ``run(tasks, db_url) -> list[dict]`` (rows ``name``,
``key``, ``value``, ``unit``, ``note``). A suite whose ``run`` also takes ``province`` gets a copy of
the province seeded once per database (``bench.province``) and that Province; the others get an
empty database. A suite that is not there yet is reported as "not available", not an error.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import Any

from bench.common import TARGETS, Seeded, fresh_db, keyed_figures

SUITES = ("province", "sweeps", "slack_ack", "delivery", "digests", "rss", "screen")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _run_suite(name: str, kind: str, tasks: int, seeded: Seeded) -> tuple[list[dict], str]:
    """The suite's rows and a status line (its time, or why it gave none)."""
    try:
        module = importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"bench.{name}":
            return [], f"not available (no module bench.{name} in this checkout)"
        raise
    run = getattr(module, "run", None)
    if run is None:
        return [], f"not available (bench.{name} has no run())"
    started = time.perf_counter()
    try:
        if "province" in inspect.signature(run).parameters:
            province = seeded.ensure()
            with seeded.copy() as url:
                rows = run(tasks=tasks, db_url=url, province=province)
        else:
            with fresh_db(kind) as url:
                rows = run(tasks=tasks, db_url=url)
    except Exception as exc:  # one broken suite must not hide the others' figures
        traceback.print_exc()
        return [], f"failed: {type(exc).__name__}: {exc}"
    return list(rows), f"{time.perf_counter() - started:.1f} s"


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(results: list[dict], kinds: list[str]) -> str:
    """The targets table (one column pair per database), then every figure the suites reported."""
    figures = {kind: keyed_figures(results, kind) for kind in kinds}
    keyed = {kind: figures[kind][0] for kind in kinds}
    lines = []
    head = f"{'key':<27} {'target':<12}" + "".join(f" {kind + ' measured':>18} {'':<12}" for kind in kinds)
    lines += [head, "-" * len(head)]
    for key, target in TARGETS.items():
        cells = "".join(f" {_shown(keyed[k].get(key)):>18} "
                        f"{target.check(keyed[k].get(key)) + (' (derived)' if key in figures[k][1] else ''):<12}"
                        for k in kinds)
        lines.append(f"{key:<27} {target.shown():<12}{cells}")
    lines.append("")
    width = max((len(r["name"]) for r in results), default=10)
    lines.append(f"{'suite':<10} {'db':<9} {'figure':<{width}} {'value':>14}  unit  note")
    for r in results:
        lines.append(f"{r['suite']:<10} {r['db']:<9} {r['name']:<{width}} {_shown(r['value']):>14}  "
                     f"{r.get('unit', '')}  {r.get('note', '')}")
    return "\n".join(lines)


def _write_json(args: argparse.Namespace, kinds: list[str], results: list[dict], statuses: dict,
                seeds: dict, total_s: float) -> None:
    if not args.json:
        return
    meta = {"when": datetime.now(UTC).isoformat(), "tasks": args.tasks, "python": platform.python_version(),
            "machine": platform.machine(), "cpus": os.cpu_count(), "total_s": round(total_s, 1),
            "seed_s": seeds, "suites": statuses}
    # CONTRACT.md: one object per database mapping each figure's key to its number.
    keyed = {kind: keyed_figures(results, kind)[0] for kind in kinds}
    verdicts = {kind: {k: t.check(keyed[kind].get(k)) for k, t in TARGETS.items()} for kind in kinds}
    targets = {k: {"op": t.op, "bound": t.bound, "unit": t.unit, "what": t.what} for k, t in TARGETS.items()}
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump({**keyed, "meta": meta, "targets": targets, "verdicts": verdicts, "results": results}, f,
                  ensure_ascii=False, indent=2)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", type=int, default=100_000, help="tasks in the database (default 100000)")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--json", default=None, help="also write the figures to this file")
    p.add_argument("--only", nargs="*", default=None, help=f"suites to run (default all: {' '.join(SUITES)})")
    p.add_argument("--reuse", default=None, metavar="URL",
                   help="a database to hold the province: seeded on first use and kept; later runs skip the "
                        "load; each suite still gets its own copy (with --db both: for the kind its URL names)")
    p.add_argument("--keep-seed", action="store_true",
                   help="PostgreSQL: keep the seeded template database and print its URL for --reuse")
    p.add_argument("--table-from", default=None, metavar="FILE",
                   help="print the table of an earlier run's --json file and exit (nothing is measured)")
    args = p.parse_args(argv)
    if args.table_from:
        with open(args.table_from, encoding="utf-8") as f:
            earlier = json.load(f)
        print(table(earlier["results"], sorted({r["db"] for r in earlier["results"]}, reverse=True)))
        return 0
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    unknown = [s for s in args.only or [] if not s.isidentifier()]
    if unknown:
        p.error(f"not a suite name: {' '.join(unknown)}")
    suites = args.only or list(SUITES)
    results: list[dict] = []
    statuses: dict[str, dict[str, str]] = {}
    seeds: dict[str, float | None] = {}
    started_all = time.perf_counter()
    for kind in kinds:
        reuse = args.reuse if args.reuse and (args.reuse.startswith("sqlite") == (kind == "sqlite")) else None
        seeded = Seeded(kind, args.tasks, reuse=reuse, keep=args.keep_seed, log=_log)
        try:
            for suite in suites:
                _log(f"# {suite} on {kind} …")
                rows, status = _run_suite(suite, kind, args.tasks, seeded)
                statuses.setdefault(kind, {})[suite] = status
                _log(f"# {suite} on {kind}: {status}")
                seeds[kind] = seeded.seed_s
                for row in rows:
                    results.append({"suite": suite, "db": kind, **row})
                # After every suite, so a long run stopped part-way keeps what it measured.
                _write_json(args, kinds, results, statuses, seeds, time.perf_counter() - started_all)
        finally:
            seeds[kind] = seeded.seed_s
            seeded.close()
    total_s = time.perf_counter() - started_all
    print(table(results, kinds))
    print()
    for kind in kinds:
        for suite, status in statuses.get(kind, {}).items():
            print(f"{suite:<10} {kind:<9} {status}")
        if seeds.get(kind) is not None:
            print(f"{'seed':<10} {kind:<9} the province of {args.tasks:,} tasks loaded in {seeds[kind]:.1f} s")
    print(f"total {total_s / 60:.1f} min")
    _write_json(args, kinds, results, statuses, seeds, total_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
