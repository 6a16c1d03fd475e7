"""Sweeps at province scale.

* Scheduling cost per new task: our way (a task row; the reminders sweep finds it through the
  partial index) against the common way (one APScheduler job per reminder step, three per task,
  in a SQLAlchemyJobStore), in the same run, as a ratio.
* The reminders, nudges and escalations sweeps with 1,000 due each, timed separately and together
  (``sweep_ms``), at N tasks and in a second database at N/10 with the same due, the rounds
  interleaved (N/10, N, N/10, N, …; medians), so ``sweep_ratio`` (N over N/10) shows whether the cost
  follows what is due (≈ 1) rather than what exists; the peak of Python memory during the sweeps at
  both sizes. The data comes from one function, ``seed_due`` (``seed`` underneath).
* The marginal scheduling cost (``schedule_cost_ratio``): what one more task costs, measured as the
  difference between N and N+k, not as totals.
* Delivery throughput against a local fake platform that allows R messages per second in all and
  one per second per channel, answering 429 with Retry-After beyond that: the fraction of R reached.

    python -m bench.sweeps [--tasks N] [--db sqlite|postgres|URL] [--rate R] [--rounds K]

``python -m bench`` runs it with the other benchmarks.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import threading
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from models.calendar import WorkCalendar
from models.db import make_engine
from models.migrate import upgrade
from models.outbox import DeliveryError
from models.tables import (
    EscalationState,
    EscalationStep,
    Outbox,
    OutboxPace,
    Person,
    SweepLog,
    Task,
    TaskForce,
    Workspace,
)

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 23)  # a Monday
NOW = datetime.combine(TODAY, dtime(9, 0), tzinfo=TZ)  # reminder time
DUE = 1_000
OWNERS = 1_000
BATCH = 10_000


def due_day(today: date = TODAY) -> date:
    """A deadline whose "3 working days before" reminder is due today at 09:00."""
    return WorkCalendar().add_working_days(today, 3)


def seed(engine: Engine, *, tasks: int, due: int, now: datetime = NOW, owners: int = OWNERS,
         team: str = "BENCH", silent: int = 0, overdue: int = 0) -> dict:
    """Bulk-loads ``tasks`` tasks (core inserts of dicts, in batches), ``due`` of them with a reminder
    step due at ``now``, then ``silent`` with a nudge due (no report for 10 days) and ``overdue`` whose
    督办 level 0 is due (the deadline was the last working day); the others due from 30 to 540 days
    ahead, or done last year. Creates the workspace, ``owners`` people and a task force on first use.
    Returns the ids it used."""
    rng = random.Random(tasks)
    created = now - timedelta(days=60)
    with engine.begin() as conn:
        ws_id = conn.execute(select(col(Workspace.id)).where(col(Workspace.team_id) == team)).scalar()
        if ws_id is None:
            ws_id = conn.execute(insert(Workspace).values(team_id=team, name=team, created_at=created)
                                 .returning(col(Workspace.id))).scalar_one()
            conn.execute(insert(Person), [
                dict(workspace_id=ws_id, chat_user_id=f"U{i:07d}", name=f"staff{i}", created_at=created)
                for i in range(owners)])
            conn.execute(insert(TaskForce).values(workspace_id=ws_id, name="基准专班", status="open", policy={},
                                                  created_at=created))
        people = list(conn.execute(select(col(Person.id)).where(col(Person.workspace_id) == ws_id).order_by(col(Person.id))).scalars())
        force_id = conn.execute(select(col(TaskForce.id)).where(col(TaskForce.workspace_id) == ws_id)).scalar_one()
    today = now.astimezone(TZ).date()
    soon = due_day(today)
    for start in range(0, tasks, BATCH):
        rows = []
        for i in range(start, min(tasks, start + BATCH)):
            reported = now - timedelta(days=1)
            if i < due:
                status, deadline = "active", soon
            elif i < due + silent:
                status, deadline, reported = "active", today + timedelta(days=60), now - timedelta(days=10)
            elif i < due + silent + overdue:
                status, deadline = "active", WorkCalendar().add_working_days(today, -1)
            elif rng.random() < 0.7:
                status, deadline = "active", today + timedelta(days=rng.randint(30, 540))
            else:
                status, deadline = "done", today - timedelta(days=rng.randint(1, 365))
            rows.append(dict(
                workspace_id=ws_id, force_id=force_id, title=f"任务 {i}", description="",
                owner_id=people[i % len(people)],
                priority="normal", status=status, progress=100 if status == "done" else rng.randint(0, 90),
                start_date=min(deadline, today) - timedelta(days=30), baseline_due=deadline, due=deadline,
                created_at=created, updated_at=created, last_progress_at=reported,
            ))
        with engine.begin() as conn:
            conn.execute(insert(Task), rows)
    return {"workspace_id": ws_id, "force_id": force_id, "people": people}


_ROUND_TABLES = (Outbox, SweepLog, EscalationStep, EscalationState)


def _marks(engine: Engine) -> dict[str, int]:
    """The last id of each table a round writes to: what a province held before the rounds."""
    with engine.connect() as conn:
        return {t.__name__: conn.execute(select(func.coalesce(func.max(col(t.id)), 0))).scalar_one()
                for t in _ROUND_TABLES}


def _forget_reminders(engine: Engine, marks: dict[str, int] | None = None) -> None:
    """Makes the same due reminders, nudges and 督办 levels due again (their steps and messages removed):
    all of them, or (a province with its history) those written after ``marks`` (``_marks``). Then, on
    PostgreSQL, the statistics of the tables emptied refreshed: stale ones made the planner compare
    every overdue task with every open episode once the episodes had been wiped."""
    from models import markers

    touched: set[int] = set()
    with engine.begin() as conn:
        for table in _ROUND_TABLES:
            stmt = delete(table) if marks is None else delete(table).where(col(table.id) > marks[table.__name__])
            touched |= {t for t, in conn.execute(stmt.returning(col(table.task_id))) if t is not None}
        markers.refresh(conn, touched)  # the rows these steps and episodes marked, as the logs now say
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE outbox, sweeplog, escalationstep, escalationstate"))


def _settle(engine: Engine) -> None:
    """After a bulk load: fresh statistics, and the background work (vacuum, checkpoint) done now
    rather than during the measurement."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE task, timenode, outbox, sweeplog"))  # this schema's, not the database
            with contextlib.suppress(DBAPIError):  # needs a privileged role; without it only noisier
                conn.execute(text("CHECKPOINT"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def _timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


# ---------------------------------------------------------------- scheduling cost


def _remind_job(task_id: int) -> None:  # the target of the APScheduler jobs; never run here
    pass


def scheduling_cost(engine: Engine, db_url: str, ids: dict, *, sample: int = 200, rounds: int = 9,
                    batch: int = 5_000) -> list[dict]:
    """``schedule_cost_ratio``: the *marginal* cost of scheduling one more task, the common way over ours.

    Both ways write the task row; what each adds to schedule its reminders is all that is compared:
    - the common way adds 3 APScheduler ``add_job`` calls per task (one per reminder step) to a
      SQLAlchemyJobStore that already holds ``sample`` tasks' jobs;
    - ours adds nothing but the row's entries in the partial indexes the sweeps read
      (``models.tables.SWEEP_TASK_INDEXES``): measured as ``batch`` live rows inserted into two scratch
      copies of the task table, identical but for those indexes, interleaved for ``rounds`` rounds; the
      median difference per row.
    The earlier totals (a task row with every index of the table, a transaction per task) stay as extra
    rows for comparison."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy import Column, Index, MetaData, Table


    def task_row(i: int) -> dict:
        d = TODAY + timedelta(days=60)
        return dict(workspace_id=ids["workspace_id"], force_id=ids["force_id"], title=f"新任务 {i}", description="",
                    owner_id=ids["people"][i % len(ids["people"])], priority="normal", status="todo", progress=0,
                    start_date=TODAY, baseline_due=d, due=d, created_at=NOW, updated_at=NOW)

    def ours() -> None:
        for i in range(sample):
            with engine.begin() as conn:
                conn.execute(insert(Task).values(**task_row(i)))

    store_engine = make_engine(db_url)
    scheduler = BackgroundScheduler(timezone=TZ, jobstores={
        "default": SQLAlchemyJobStore(engine=store_engine, tablename="bench_apscheduler_jobs")})
    scheduler.start(paused=True)

    def common() -> None:
        for i in range(sample):
            with engine.begin() as conn:
                task_id = conn.execute(insert(Task).values(**task_row(i)).returning(col(Task.id))).scalar_one()
            for step, days in enumerate((3, 1, 0)):
                scheduler.add_job("bench.sweeps:_remind_job", trigger="date",
                                  run_date=NOW + timedelta(days=57 - days), args=[task_id],
                                  id=f"remind:{task_id}:{step}", replace_existing=True)

    def more_jobs(k: int) -> None:  # the jobs alone for k more tasks (their rows are paid either way)
        for task_id in range(10**9, 10**9 + k):
            for step, days in enumerate((3, 1, 0)):
                scheduler.add_job("bench.sweeps:_remind_job", trigger="date",
                                  run_date=NOW + timedelta(days=57 - days), args=[task_id],
                                  id=f"remind:{task_id}:{step}", replace_existing=True)

    def more_rows(k: int) -> None:  # k more tasks in our tables: their rows, as a bulk load or import writes them
        with engine.begin() as conn:
            conn.execute(insert(Task), [task_row(sample + i) for i in range(k)])

    # Two scratch copies of the task table holding its rows: "plain" has no index at all, "indexed" only
    # the sweeps' partial index. The same rows go into both; the difference is what scheduling adds.
    scratch = MetaData()
    columns = list(Task.__table__.columns)  # type: ignore[attr-defined]
    plain, indexed = (Table(name, scratch, *(Column(c.name, c.type, primary_key=c.primary_key, autoincrement=False)
                                              for c in columns))
                      for name in ("bench_sched_plain", "bench_sched_indexed"))
    # The sweeps' indexes (models.tables.SWEEP_TASK_INDEXES; the others serve lists and counts and are paid
    # the same either way), rebuilt on the scratch copy with the same columns, predicate and included columns.
    from models.tables import SWEEP_TASK_INDEXES

    partial_names: list[str] = []
    for idx in sorted(Task.__table__.indexes, key=lambda i: str(i.name)):  # type: ignore[attr-defined]
        pg, lite = idx.dialect_options["postgresql"], idx.dialect_options["sqlite"]
        if idx.name not in SWEEP_TASK_INDEXES:
            continue
        if not all(isinstance(e, Column) for e in idx.expressions):
            partial_names.append(f"{idx.name} (an expression index: not copied, not counted)")
            continue
        Index(f"ix_bench_sched_{len(partial_names)}", *(indexed.c[e.name] for e in idx.expressions),
              postgresql_where=pg.get("where"), sqlite_where=lite.get("where"),
              postgresql_include=[getattr(c, "name", c) for c in pg.get("include") or []])
        partial_names.append(str(idx.name))
    names = [c.name for c in columns]

    def scratch_copies() -> int:
        scratch.drop_all(engine)
        with engine.begin() as conn:
            for table in (plain, indexed):
                table.create(conn)
                conn.execute(table.insert().from_select(names, select(*columns)))
            top = conn.execute(select(func.max(plain.c.id))).scalar() or 0
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE bench_sched_plain, bench_sched_indexed"))
        return int(top)

    def insert_batch(table: Table, first_id: int) -> float:
        rows = [dict(task_row(first_id + i), id=first_id + i) for i in range(batch)]
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(table.insert(), rows)
        return time.perf_counter() - started

    k_jobs, k_rows = sample, 10 * sample
    try:
        t_ours, _ = _timed(ours)
        t_common, _ = _timed(common)
        # Marginal: the store already holds ``sample`` tasks' jobs (N) and the tables N tasks; the cost of
        # N → N+k divided by k, so nothing both ways pay (a transaction per command, the row) is counted twice.
        t_more_jobs, _ = _timed(more_jobs, k_jobs)
        t_more_rows, _ = _timed(more_rows, k_rows)
        top = scratch_copies()
        t_plain: list[float] = []
        t_indexed: list[float] = []
        for r in range(rounds):
            first = top + 1 + r * batch
            order = (plain, indexed) if r % 2 == 0 else (indexed, plain)  # interleaved: drift hits both alike
            for table in order:
                (t_plain if table is plain else t_indexed).append(insert_batch(table, first))
        with engine.connect() as conn:
            copied = conn.execute(select(func.count()).select_from(plain)).scalar_one()
    finally:
        scheduler.shutdown(wait=False)
        with store_engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_apscheduler_jobs"))
        store_engine.dispose()
        scratch.drop_all(engine)
    per_ours, per_common = 1000 * t_ours / sample, 1000 * t_common / sample
    marginal_jobs, marginal_row = 1000 * t_more_jobs / k_jobs, 1000 * t_more_rows / k_rows
    row_plain = 1000 * statistics.median(t_plain) / batch
    row_indexed = 1000 * statistics.median(t_indexed) / batch
    index_entry = 1000 * statistics.median(b - a for a, b in zip(t_plain, t_indexed, strict=True)) / batch
    ratio = round(marginal_jobs / index_entry, 1) if index_entry > 0 else None
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(Task)).scalar_one()
    return [
        {"name": "schedule: marginal, 3 APScheduler jobs", "key": "schedule_jobs_marginal_ms",
         "value": round(marginal_jobs, 4), "unit": "ms",
         "note": f"what the common way adds per task: its 3 add_job, store at {sample} → {sample + k_jobs} tasks' jobs"},
        {"name": "schedule: marginal, our partial-index entries", "key": "schedule_index_marginal_ms",
         "value": round(index_entry, 5), "unit": "ms",
         "note": f"what ours adds per task: the row's entries in the sweeps' partial indexes ({', '.join(partial_names)}); "
                 f"{batch:,} live rows into two scratch "
                 f"copies of the task table ({copied - rounds * batch:,} rows each, the other with those indexes only), "
                 f"median of {rounds} interleaved rounds of (indexed − plain) ÷ {batch:,} (the difference of the "
                 f"medians: {row_indexed - row_plain:.5f} ms); the row itself {row_plain:.4f} ms plain, "
                 f"{row_indexed:.4f} ms indexed"},
        {"name": "schedule: marginal ratio jobs / index entries", "key": "schedule_cost_ratio",
         "value": ratio, "unit": "x",
         "note": "marginal scheduling cost per new task: 3 APScheduler add_job ÷ our partial-index entries (both ways "
                 "write the task row, so it is in neither part); target ≥ 100"
                 + ("" if ratio is not None else "; the index entry was below the timer's resolution this run")},
        {"name": "schedule: marginal, one more task row", "key": "schedule_row_marginal_ms",
         "value": round(marginal_row, 4), "unit": "ms",
         "note": f"for comparison: the whole row with every index of the task table, at {total - k_rows:,} → "
                 f"{total:,} tasks"},
        {"name": "schedule: marginal ratio jobs / whole row", "value": round(marginal_jobs / marginal_row, 1), "unit": "x",
         "note": "for comparison: the earlier definition (the row both ways write counted against ours)"},
        {"name": "schedule: ours, per new task", "value": round(per_ours, 3), "unit": "ms",
         "note": f"for comparison: the task row, a transaction per task ({sample} tasks)"},
        {"name": "schedule: APScheduler job per reminder", "value": round(per_common, 3), "unit": "ms",
         "note": "for comparison: the task row plus 3 add_job in a SQLAlchemyJobStore"},
        {"name": "schedule: ratio common / ours", "value": round(per_common / per_ours, 1), "unit": "x",
         "note": "for comparison: totals, the row both ways write included"},
        {"name": "schedule: extra per task, common way", "value": round(per_common - per_ours, 3), "unit": "ms",
         "note": "the jobs alone, from the totals; ours adds no row, only index entries"},
    ]


# ---------------------------------------------------------------- the three sweeps at N/10 and N

SWEEPS = ("reminders", "nudges", "escalations")


def _three(engine: Engine, *, trace: bool = False, now: datetime = NOW,
           marks: dict[str, int] | None = None) -> tuple[dict[str, float], dict[str, int], float]:
    """One round: the due steps forgotten (with ``marks``, only those the rounds wrote), then the
    reminders, nudges and escalations sweeps in a row at ``now``, each timed (s); the messages each
    wrote; with ``trace``, the peak of Python memory (MB) instead."""
    from jobs.sweeps import sweep_escalations, sweep_nudges, sweep_reminders

    _forget_reminders(engine, marks)
    if trace:
        tracemalloc.start()
    times: dict[str, float] = {}
    written: dict[str, int] = {}
    for name, sweep in zip(SWEEPS, (sweep_reminders, sweep_nudges, sweep_escalations), strict=True):
        times[name], n = _timed(sweep, engine, now=now)
        written[name] = int(n)  # type: ignore[call-overload]
    peak = 0.0
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return times, written, peak


def _tasks(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Task)).scalar_one()


def three_sweeps(small: Engine, big: Engine, *, rounds: int = 5, now: datetime = NOW, history: bool = False,
                 due: int = DUE) -> list[dict]:
    """The reminders, nudges and escalations sweeps with ``due`` due each, at N/10 tasks (``small``) and at
    N (``big``), interleaved (small, big, small, big, …) so that a busy machine slows both alike; the
    median of ``rounds`` each. ``sweep_ms`` is the three in a row at N; ``sweep_ratio`` big / small.
    ``history``: both hold a province (``bench.province``), whose history each round keeps."""
    marks = {"small": _marks(small), "big": _marks(big)} if history else {"small": None, "big": None}
    times: dict[str, dict[str, list[float]]] = {"small": {n: [] for n in [*SWEEPS, "all"]},
                                                "big": {n: [] for n in [*SWEEPS, "all"]}}
    written: dict[str, int] = {}
    for _ in range(rounds):
        for which, engine in (("small", small), ("big", big)):
            t, written, _ = _three(engine, now=now, marks=marks[which])
            assert written == dict.fromkeys(SWEEPS, due), (which, written)
            for name in SWEEPS:
                times[which][name].append(t[name])
            times[which]["all"].append(sum(t.values()))
    peak = {which: _three(engine, trace=True, now=now, marks=marks[which])[2]
            for which, engine in (("small", small), ("big", big))}
    med = {which: {name: 1000 * statistics.median(ts) for name, ts in by.items()} for which, by in times.items()}
    n_small, n_big = _tasks(small), _tasks(big)
    note = f"{due:,} due each, median of {rounds}, interleaved with {n_small:,} tasks" + \
        (" (the province: realistic history)" if history else "")
    rows = [{"name": f"sweep: {name} at {n_big:,} tasks", "key": f"{name}_ms", "value": round(med["big"][name], 1),
             "unit": "ms", "note": f"{due:,} messages (median of {rounds})"} for name in SWEEPS]
    rows.append({"name": "sweep: reminders + nudges + escalations", "key": "sweep_ms",
                 "value": round(med["big"]["all"], 1), "unit": "ms",
                 "note": f"{3 * due:,} messages at {n_big:,} tasks, the three in a row (target ≤ 200 ms)"})
    rows += [{"name": f"sweep: {name} at {n_small:,} tasks", "key": f"{name}_small_ms",
              "value": round(med["small"][name], 1), "unit": "ms", "note": f"the same {due:,} due"}
             for name in [*SWEEPS, "all"]]
    rows += [{"name": f"sweep: {name} ratio big / small", "key": f"{name}_ratio",
              "value": round(med["big"][name] / med["small"][name], 2), "unit": "x", "note": note}
             for name in SWEEPS]
    rows.append({"name": "sweep: ratio big / small, the three", "key": "sweep_ratio",
                 "value": round(med["big"]["all"] / med["small"]["all"], 2), "unit": "x",
                 "note": f"{n_big:,} vs {n_small:,} tasks, the same due (target ≤ 1.3)"})
    rows += [{"name": f"sweep: peak Python memory at {n:,} tasks", "key": key, "value": round(peak[which], 1),
              "unit": "MB", "note": "tracemalloc over the three sweeps (not timed); should not grow with N"}
             for which, n, key in (("small", n_small, "sweep_peak_small_mb"), ("big", n_big, "sweep_peak_mb"))]
    return rows


# ---------------------------------------------------------------- the writes alone (PostgreSQL)

_TEXT = "⏰ 任务 #{id}「数字化改革重点任务推进」将于 2026年11月26日（周四）截止，还有 3 个工作日，当前进度 40%。请按时推进并更新进展：/task progress {id} <n>%"
_FLOOR_OUTBOX = """INSERT INTO outbox (workspace_id, idempotency_key, recipient, person_id, kind, text, blocks, task_id, status,
    attempts, next_attempt_at, created_at, brief)
  SELECT t.workspace_id, 'floor:' || :round || ':' || :kind || ':' || t.id, p.chat_user_id, p.id, :kind, replace(:text, '{id}', t.id::text),
    CAST('[{"action": "task.progress", "value": "1", "lang": "zh"}]' AS json), t.id, 'held', 0, :now, :now,
    CAST(json_build_object('group', 'due_soon', 'line', replace(:text, '{id}', t.id::text), 'verbs',
      json_build_array('progress', 'done', 'extend'), 'kind', :kind, 'task', t.id, 'lang', 'zh') AS json)
  FROM task t JOIN person p ON p.id = t.owner_id WHERE t.id = ANY(:ids)
  ON CONFLICT (idempotency_key) DO NOTHING"""
_FLOOR_LOG = """INSERT INTO sweeplog (workspace_id, task_id, kind, target, due, step, created_at)
  SELECT workspace_id, id, :log, 'floor', due, :round, :now FROM task WHERE id = ANY(:ids)
  ON CONFLICT (task_id, kind, target, due, step) DO NOTHING"""
_FLOOR = {
    "reminders": [_FLOOR_LOG, "UPDATE task SET remind_due = due, remind_step = 99, reminded_at = :now WHERE id = ANY(:ids)",
                  _FLOOR_OUTBOX],
    "nudges": [_FLOOR_LOG, "UPDATE task SET nudged_at = :now WHERE id = ANY(:ids)", _FLOOR_OUTBOX],
    "escalations": [
        """WITH s AS (INSERT INTO escalationstate (workspace_id, task_id, episode, target, due, anchor, policy,
             progress_seen, level, schedule, next_at, status, created_at)
           SELECT workspace_id, id, 9000 + :round, 'floor', due, due, CAST(:policy AS json), last_progress_at, 0,
             CAST(:schedule AS json), :now, 'open', :now FROM task WHERE id = ANY(:ids) RETURNING id, task_id, workspace_id)
           INSERT INTO escalationstep (workspace_id, state_id, task_id, level, series, year, no, recipients, created_at)
           SELECT workspace_id, id, task_id, 0, 'tishi', 2026, 900000 + id, CAST('[1]' AS json), :now FROM s""",
        "UPDATE task SET esc_due = due, esc_live = true WHERE id = ANY(:ids)",
        _FLOOR_OUTBOX],
}


def write_floor(engine: Engine, *, due: int = DUE, now: datetime = NOW, rounds: int = 5) -> list[dict]:
    """PostgreSQL: what the writes alone cost — the rows the three sweeps must write for ``due`` items each
    (reminders and nudges: a log row, the task's marker, an outbox row; escalations: an episode, its step,
    the task's marker, an outbox row), each set in SQL as one ``INSERT … SELECT`` / ``UPDATE`` per table, no
    Python, no candidate query, the rows locked first and the transaction rolled back; median of ``rounds``.
    The sweeps cannot go below this on this schema and machine."""
    if engine.dialect.name != "postgresql":
        return []
    from models.policy import DEFAULT

    with engine.connect() as conn:
        ids = list(conn.execute(text("SELECT id FROM task WHERE status IN ('todo','active','blocked') "
                                     "ORDER BY md5(id::text) LIMIT :n"), {"n": 3 * due}).scalars())
    if len(ids) < 3 * due:
        return []
    sets = dict(zip(SWEEPS, (ids[:due], ids[due:2 * due], ids[2 * due:]), strict=True))
    params = {"now": now, "text": _TEXT, "policy": DEFAULT.model_dump_json(),
              "schedule": json.dumps([(now + timedelta(days=d)).isoformat() for d in range(4)])}
    times: dict[str, list[float]] = {n: [] for n in SWEEPS}
    with engine.connect() as conn:
        for n in range(rounds):
            for name in SWEEPS:
                kind = {"reminders": "reminder", "nudges": "nudge", "escalations": "escalation"}[name]
                # Keys new each round: a rolled-back row's key must not cost the next round a duplicate check.
                bound = {**params, "ids": sets[name], "kind": kind, "log": kind[:6], "round": n}
                with conn.begin() as txn:
                    conn.execute(text("SELECT id FROM task WHERE id = ANY(:ids) FOR UPDATE"), bound)
                    started = time.perf_counter()
                    for sql in _FLOOR[name]:
                        conn.execute(text(sql), bound)
                    times[name].append(time.perf_counter() - started)
                    txn.rollback()
    med = {n: 1000 * statistics.median(ts) for n, ts in times.items()}
    rows = [{"name": f"sweep: {name}, the writes alone", "key": f"{name}_writes_ms", "value": round(med[name], 1),
             "unit": "ms", "note": f"{due:,} items: " + {"reminders": "log rows, task markers, outbox rows",
                                                          "nudges": "log rows, task markers, outbox rows",
                                                          "escalations": "episodes, steps, task markers, outbox rows"}[name]
             + f", in SQL, one statement a table (median of {rounds}, rolled back)"} for name in SWEEPS]
    rows.append({"name": "sweep: the writes alone, the three", "key": "sweep_writes_ms", "value": round(sum(med.values()), 1),
                 "unit": "ms", "note": "the floor under sweep_ms on this schema and machine: what the three must write "
                                       f"for {3 * due:,} messages, without candidates, decisions or rendering"})
    return rows


def seed_due(engine: Engine, *, tasks: int) -> dict:
    """``seed`` with 1,000 reminders, 1,000 nudges and 1,000 督办 level-0 due at NOW among ``tasks``,
    then the statistics refreshed. The one place the sweeps' data is made (a realistic province
    dataset can replace it)."""
    ids = seed(engine, tasks=max(tasks, 3 * DUE), due=DUE, silent=DUE, overdue=DUE)
    _settle(engine)
    return ids


# ---------------------------------------------------------------- delivery throughput


class RateLimitedPlatform:
    """A local fake of a chat platform: at most ``rate`` messages per second in all (a token bucket
    holding one second's worth) and one per second per channel; beyond that, 429 with Retry-After."""

    min_interval = 1.0

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = 1.0  # no initial burst: the figure is the sustained rate
        self.refilled = time.monotonic()
        self.last: dict[str, float] = {}
        self.accepted = 0
        self.limited = 0
        self.first: float | None = None
        self.done: float | None = None
        self.lock = threading.Lock()

    def send(self, recipient: str, text: str, blocks: list | None = None) -> str:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.refilled) * self.rate)
            self.refilled = now
            wait_channel = self.last.get(recipient, -1e9) + 1.0 - now
            if self.tokens < 1 or wait_channel > 0:
                self.limited += 1
                raise DeliveryError("ratelimited", retry_after=max(wait_channel, (1 - self.tokens) / self.rate))
            self.tokens -= 1
            self.last[recipient] = now
            self.accepted += 1
            self.first = self.first if self.first is not None else now
            self.done = now
            return f"{now:.6f}"


def delivery_throughput(engine: Engine, ids: dict, *, rate: int, messages: int) -> list[dict]:
    """Sends ``messages`` messages to 2·rate channels through one worker in real time."""
    from sqlmodel import Session

    from jobs.deliver import deliver
    from models.outbox import enqueue

    channels = [f"C{i:05d}" for i in range(2 * rate)]
    now = datetime.now(UTC)
    with Session(engine) as s:
        for i in range(messages):
            enqueue(s, workspace_id=ids["workspace_id"], key=f"bench:deliver:{i}",
                    recipient=channels[i % len(channels)], text=f"消息 {i}", kind="bench", now=now)
        s.commit()
    with engine.begin() as conn:
        conn.execute(delete(OutboxPace))
    platform = RateLimitedPlatform(rate)
    deadline = time.monotonic() + 10 * messages / rate + 30
    while platform.accepted < messages and time.monotonic() < deadline:
        if deliver(engine, platform, now=datetime.now(UTC)).claimed == 0:
            time.sleep(0.005)
    elapsed = (platform.done or 0) - (platform.first or 0)
    achieved = platform.accepted / elapsed if elapsed > 0 else 0.0
    return [
        {"name": f"deliver: throughput at R={rate}/s", "value": round(achieved, 1), "unit": "msg/s",
         "note": f"{platform.accepted:,} of {messages:,} messages to {len(channels)} channels, one worker"},
        {"name": "deliver: fraction of R reached", "value": round(achieved / rate, 3), "unit": "",
         "note": f"{platform.limited:,} answers were 429 (Retry-After honoured per channel)"},
    ]


# ---------------------------------------------------------------- entry points


def run(*, tasks: int, db_url: str, province=None, rate: int = 100, rounds: int = 5) -> list[dict]:
    """The figures for an empty database at ``db_url`` (migrated here) holding ``tasks`` tasks and a
    second, fresh one of the same kind holding ``tasks``/10 (removed afterwards): the three sweeps at
    both, interleaved; scheduling cost; delivery throughput. With ``province`` (``python -m bench``
    passes the one it seeded; ``db_url`` is a copy of it), the sweeps run on it and on a province of
    ``tasks``/10 seeded here, each round keeping the realistic history."""
    from bench.common import fresh_db

    engine = make_engine(db_url)
    upgrade(engine)
    if province is not None:
        try:
            return _run_province(engine, db_url, province, tasks=tasks, rate=rate, rounds=rounds)
        finally:
            engine.dispose()
    try:
        with fresh_db("postgres" if engine.dialect.name == "postgresql" else "sqlite") as small_url:
            small = make_engine(small_url)
            try:
                upgrade(small)
                t_load, ids = _timed(seed_due, engine, tasks=tasks)
                seed_due(small, tasks=tasks // 10)
                rows = three_sweeps(small, engine, rounds=rounds)
            finally:
                small.dispose()
        rows.append({"name": "load: tasks per second", "value": round(_tasks(engine) / t_load), "unit": "rows/s",
                     "note": "bulk core inserts, 10,000 a batch, and ANALYZE"})
        t_repeat, again = _timed(sweep_reminders_again, engine)
        rows.append({"name": "sweep: repeat, nothing new due", "value": round(1000 * t_repeat, 1), "unit": "ms",
                     "note": f"the three at {_tasks(engine):,} tasks, every step already taken ({again} written)"})
        ids = seed(engine, tasks=0, due=0)
        rows += scheduling_cost(engine, db_url, ids)
        _forget_reminders(engine)
        rows += delivery_throughput(engine, ids, rate=rate, messages=rate * 8)
        return rows
    finally:
        engine.dispose()


def _run_province(engine: Engine, db_url: str, province, *, tasks: int, rate: int, rounds: int) -> list[dict]:
    """``run`` on the seeded province (its copy at ``engine``) and a tenth of it seeded here."""
    from bench.common import fresh_db
    from bench.province import seed as seed_province

    due = len(province.due_reminders) or DUE
    with fresh_db("postgres" if engine.dialect.name == "postgresql" else "sqlite") as small_url:
        small = make_engine(small_url)
        try:
            upgrade(small)
            started = time.perf_counter()
            tenth = seed_province(small, tasks=max(tasks // 10, 6 * due), today=province.today, due_each=due)
            t_load = time.perf_counter() - started
            assert tenth.now == province.now
            rows = three_sweeps(small, engine, rounds=rounds, now=province.now, history=True, due=due)
        finally:
            small.dispose()
    rows += write_floor(engine, due=due, now=province.now, rounds=rounds)
    rows.append({"name": "load: a tenth of the province", "value": round(t_load, 1), "unit": "s",
                 "note": f"{tenth.tasks:,} tasks for the small side of sweep_ratio"})
    t_repeat, again = _timed(sweep_reminders_again, engine, province.now)
    rows.append({"name": "sweep: repeat, nothing new due", "value": round(1000 * t_repeat, 1), "unit": "ms",
                 "note": f"the three at {tasks:,} tasks, every step already taken ({again} written)"})
    ids = seed(engine, tasks=0, due=0)
    rows += scheduling_cost(engine, db_url, ids)
    rows += delivery_throughput(engine, ids, rate=rate, messages=rate * 8)
    return rows


def sweep_reminders_again(engine: Engine, now: datetime = NOW) -> int:
    """The three sweeps five minutes after a round: nothing is due any more."""
    from jobs.sweeps import sweep_escalations, sweep_nudges, sweep_reminders

    later = now + timedelta(minutes=5)
    return sum(sweep(engine, now=later) for sweep in (sweep_reminders, sweep_nudges, sweep_escalations))


def main(argv: list[str] | None = None) -> int:
    from bench.common import fresh_db

    p = argparse.ArgumentParser(prog="python -m bench.sweeps", description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", type=int, default=1_000_000, help="tasks at the big measurement (default 1,000,000)")
    p.add_argument("--db", default="sqlite", help="sqlite, postgres, or a database URL (must be empty)")
    p.add_argument("--rate", type=int, default=100, help="messages per second the fake platform allows")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the three sweeps (median)")
    args = p.parse_args(argv)
    if args.db in ("sqlite", "postgres"):
        with fresh_db(args.db) as url:
            rows = run(tasks=args.tasks, db_url=url, rate=args.rate, rounds=args.rounds)
    else:
        rows = run(tasks=args.tasks, db_url=args.db, rate=args.rate, rounds=args.rounds)
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}} {r['value']:>12,} {r['unit']:<6} {r['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
