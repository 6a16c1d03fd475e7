"""What every benchmark shares: the targets (one place), fresh empty databases, and a province
seeded once and handed to each suite as its own copy.

* ``fresh_db(kind)``: an empty SQLite file or PostgreSQL schema, removed afterwards.
* ``Seeded(kind, tasks, reuse=…)``: the province of ``bench.province`` loaded once; ``copy()`` gives
  each suite its own database with it (PostgreSQL: ``CREATE DATABASE … TEMPLATE``; SQLite: a file
  copy), so one suite's writes never reach the next. ``reuse`` names a database (a whole PostgreSQL
  database, or a SQLite file) to seed once and keep: later runs find it seeded, skip the load, and
  still give each suite a copy.
"""

from __future__ import annotations

import contextlib
import json
import operator
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TODAY = date(2026, 11, 23)  # a Monday: the province's "today" in every suite


@dataclass(frozen=True)
class Target:
    """A figure's goal: ``value <op> bound`` meets it; ``op`` None means reported only."""

    op: str | None
    bound: float | None
    unit: str
    what: str

    def check(self, value: Any) -> str:
        if value is None:
            return "not measured"
        if self.op is None or self.bound is None:
            return "reported"
        ops: dict[str, Callable[[Any, Any], bool]] = {"<=": operator.le, ">=": operator.ge, "==": operator.eq}
        return "met" if ops[self.op](value, self.bound) else "missed"

    def shown(self) -> str:
        if self.op is None:
            return "reported"
        bound = f"{self.bound:g}" if isinstance(self.bound, float) else str(self.bound)
        return f"{'=' if self.op == '==' else ('≤' if self.op == '<=' else '≥')} {bound} {self.unit}".rstrip()


# The targets (PostgreSQL, 1,000,000 tasks), keyed by the bench's JSON keys: the one place they live.
TARGETS: dict[str, Target] = {
    "sweep_ms": Target("<=", 200, "ms", "reminders + nudges + escalations, 1,000 due each"),
    "sweep_ratio": Target("<=", 1.3, "x", "the sweeps at 10×N over N, same due items"),
    "ack_p99_ms": Target("<=", 25, "ms", "/task list and /task progress acknowledgement p99"),
    "ack_under_sweep_p99_ms": Target("<=", 50, "ms", "the same while a worker sweeps"),
    "schedule_cost_ratio": Target(">=", 100, "x", "marginal cost per new task: APScheduler jobs over our row"),
    "delivery_fraction": Target(">=", 0.95, "", "messages per second reached, of the fake platform's R"),
    "lost": Target("==", 0, "", "messages never delivered"),
    "doubled": Target("==", 0, "", "messages delivered twice"),
    "platform_calls_per_message": Target("<=", 1.5, "", "platform calls per delivered message under a 429 storm"),
    "digests_s": Target("<=", 30, "s", "weekly digests of 1,000 task forces"),
    "agenda_ms": Target(None, None, "ms", "a province-level meeting agenda"),
    "map_s": Target(None, None, "s", "the war map of a 300-task force"),
    "rss_mb": Target("<=", 250, "MB", "peak RSS of the web process"),
    "worker_rss_mb": Target("<=", 250, "MB", "peak RSS of the worker"),
}


# Figures that suites written before the keys existed report under a name only: used for a key when
# no suite reports the key itself (the table marks them "derived"). key → (suite, name test, combine).
DERIVED: dict[str, tuple[str, Callable[[str], bool], Callable[[list[float]], float]]] = {
    "ack_p99_ms": ("slack_ack", lambda n: n.endswith(".ack_p99"), max),
    "delivery_fraction": ("sweeps", lambda n: n == "deliver: fraction of R reached", min),
}


def keyed_figures(results: list[dict], kind: str) -> tuple[dict[str, Any], set[str]]:
    """Each key's value on ``kind`` (the first suite reporting it wins), and the keys derived by name."""
    out: dict[str, Any] = {}
    for r in results:
        if r["db"] == kind and r.get("key") and r["key"] not in out:
            out[r["key"]] = r["value"]
    derived = set()
    for key, (suite, test, combine) in DERIVED.items():
        if key not in out:
            values = [r["value"] for r in results if r["db"] == kind and r["suite"] == suite and test(r["name"])]
            if values:
                out[key] = combine(values)
                derived.add(key)
    return out, derived


def pg_base() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG


@contextlib.contextmanager
def fresh_db(kind: str) -> Iterator[str]:
    """Yields the URL of an empty database of ``kind`` (sqlite | postgres), removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="guatu-bench-") as d:
            yield f"sqlite:///{Path(d) / 'bench.db'}"
        return
    from models.db import make_engine

    base = pg_base()
    schema = f"guatu_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# ---------------------------------------------------------------- the province, seeded once

MARK = "bench_province"  # a one-row table in a seeded database: the Province, as JSON


def save_province(engine: Engine, province: Any) -> None:
    data = json.dumps(asdict(province), default=str, ensure_ascii=False)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {MARK} (id INTEGER PRIMARY KEY, data TEXT NOT NULL)"))
        conn.execute(text(f"DELETE FROM {MARK}"))
        conn.execute(text(f"INSERT INTO {MARK} (id, data) VALUES (1, :d)"), {"d": data})


def load_province(engine: Engine) -> Any | None:
    """The Province a database was seeded with, or None when it was not."""
    from sqlalchemy import inspect

    from bench.province import Province

    if not inspect(engine).has_table(MARK):
        return None
    with engine.connect() as conn:
        raw = conn.execute(text(f"SELECT data FROM {MARK} WHERE id = 1")).scalar()
    if raw is None:
        return None
    d = json.loads(raw)
    d["today"] = date.fromisoformat(d["today"])
    d["now"] = datetime.fromisoformat(d["now"])
    d["departments"] = {int(k): v for k, v in d["departments"].items()}
    d["force_sizes"] = {int(k): v for k, v in d["force_sizes"].items()}
    return Province(**d)


def _pg_db_url(base: str, name: str) -> str:
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def _pg_admin(base: str) -> Engine:
    from models.db import make_engine

    return make_engine(make_url(base).set(database="postgres").render_as_string(hide_password=False),
                       isolation_level="AUTOCOMMIT")


class Seeded:
    """The province for ``kind`` loaded once (or found in ``reuse``), and a private copy per suite."""

    def __init__(self, kind: str, tasks: int, *, reuse: str | None = None, keep: bool = False,
                 log: Callable[[str], None] = print) -> None:
        self.kind, self.tasks, self.reuse, self.keep, self.log = kind, tasks, reuse, keep, log
        self.url: str | None = None
        self.province: Any = None
        self.seed_s: float | None = None  # None when found already seeded
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._made_db: str | None = None

    def ensure(self) -> Any:
        """Seeds on first use; returns the Province."""
        if self.province is not None:
            return self.province
        from bench.province import seed
        from models.db import make_engine
        from models.migrate import upgrade

        if self.reuse:
            self.url = self.reuse
        elif self.kind == "sqlite":
            self._tmp = tempfile.TemporaryDirectory(prefix="guatu-bench-province-")
            self.url = f"sqlite:///{Path(self._tmp.name) / 'province.db'}"
        else:
            base = pg_base()
            self._made_db = f"guatu_bench_tpl_{uuid.uuid4().hex[:8]}"
            admin = _pg_admin(base)
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self._made_db}"'))
            admin.dispose()
            self.url = _pg_db_url(base, self._made_db)
        engine = make_engine(self.url)
        try:
            from models.migrate import current

            before = current(engine)
            upgrade(engine)
            found = load_province(engine)
            if found is not None and found.tasks == self.tasks:
                self.log(f"# province on {self.kind}: reused {self.url} ({found.tasks:,} tasks)")
                if current(engine) != before:  # migrated just now: statistics and visibility as after a seed
                    from bench.province import analyze

                    self.log(f"# province on {self.kind}: migrated from {before}; VACUUM ANALYZE")
                    analyze(engine)
                self.province = found
                return found
            if found is not None:
                raise SystemExit(f"{self.url} holds a {found.tasks:,}-task province, not {self.tasks:,}: "
                                 "give an empty database or the same --tasks")
            self.log(f"# province on {self.kind}: seeding {self.tasks:,} tasks …")
            started = time.perf_counter()
            self.province = seed(engine, tasks=self.tasks, today=TODAY)
            self.seed_s = time.perf_counter() - started
            save_province(engine, self.province)
            if self.kind == "sqlite":  # everything in the main file, so a file copy holds it all
                with engine.begin() as conn:
                    conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            self.log(f"# province on {self.kind}: seeded in {self.seed_s:.1f} s")
        finally:
            engine.dispose()
        return self.province

    @contextlib.contextmanager
    def copy(self) -> Iterator[str]:
        """A database holding the province for one suite, removed afterwards (also with ``reuse``: the
        reused database stays as it was seeded)."""
        self.ensure()
        assert self.url is not None
        if self.kind == "sqlite":
            src = Path(make_url(self.url).database or "")
            with tempfile.TemporaryDirectory(prefix="guatu-bench-") as d:
                dst = Path(d) / "bench.db"
                shutil.copyfile(src, dst)
                yield f"sqlite:///{dst}"
            return
        template = make_url(self.url).database
        name = f"guatu_bench_{uuid.uuid4().hex[:8]}"
        admin = _pg_admin(self.url)
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY'))
            yield _pg_db_url(self.url, name)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    def close(self) -> None:
        if self._made_db and not self.keep:
            admin = _pg_admin(pg_base())
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self._made_db}" WITH (FORCE)'))
            admin.dispose()
        elif self._made_db:
            self.log(f"# province kept: --reuse {self.url}")
        if self._tmp is not None:
            self._tmp.cleanup()
