"""The set-based sweeps at the edges: candidates streamed in pages, a chunk with a failing row, and
four PostgreSQL processes climbing the same 督办 ladders."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

import jobs.sweeps as sweeps
from bench.sweeps import NOW, seed
from jobs.sweeps import sweep_escalations, sweep_nudges, sweep_reminders
from models import escalation
from models.tables import EscalationState, EscalationStep, NoticeCounter, Outbox, SweepLog
from tests.conftest import _wipe, pg_url_with_schema

ROOT = Path(__file__).resolve().parents[1]


def _outbox(engine, kind: str) -> list[Outbox]:
    with Session(engine) as s:
        return list(s.exec(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id)).scalars())


def test_paging_visits_every_due_row_exactly_once_across_page_boundaries(engine, monkeypatch, caplog):
    # Pages of 3 and chunks of 2: every page boundary falls inside a run of equal due dates, so the
    # keyset's tie-break on the id decides what the next page holds.
    monkeypatch.setattr(sweeps, "PAGE", 3)
    monkeypatch.setattr(sweeps, "SET_CHUNK", 2)
    seed(engine, tasks=60, due=7, silent=5, overdue=8, owners=4)
    caplog.set_level(logging.WARNING, logger="jobs.sweeps")
    assert sweep_reminders(engine, now=NOW) == 7
    assert sweep_nudges(engine, now=NOW) == 5
    assert sweep_escalations(engine, now=NOW) == 8
    for kind, n in (("reminder", 7), ("nudge", 5), ("escalation", 8)):
        per_task = Counter(m.task_id for m in _outbox(engine, kind))
        assert len(per_task) == n and set(per_task.values()) == {1}, kind
    with Session(engine) as s:
        states = s.exec(select(EscalationState)).scalars().all()
        assert len(states) == 8 and len({st.task_id for st in states}) == 8 and {st.level for st in states} == {0}
        assert sorted(x.no for x in s.exec(select(EscalationStep)).scalars()) == list(range(1, 9))  # gapless
    # Nothing fell back to the item-by-item path, and a second run finds nothing left.
    assert not [r for r in caplog.records if "failed" in r.getMessage()]
    later = NOW + timedelta(minutes=5)
    assert (sweep_reminders(engine, now=later), sweep_nudges(engine, now=later), sweep_escalations(engine, now=later)) \
        == (0, 0, 0)


def test_a_failing_escalation_stops_no_other_in_its_chunk_and_the_next_run_sends_it_once(engine, monkeypatch):
    seed(engine, tasks=10, due=0, overdue=4, owners=4)
    real = escalation.level_notice
    failing: set[int] = set()

    def broken(session, task, *args, **kwargs):
        if not failing:
            failing.add(task.id)
        if task.id in failing:
            raise RuntimeError("boom")
        return real(session, task, *args, **kwargs)

    monkeypatch.setattr(escalation, "level_notice", broken)
    assert sweep_escalations(engine, now=NOW) == 3  # the chunk failed, redone item by item: three of four
    monkeypatch.setattr(escalation, "level_notice", real)
    [bad] = failing
    assert bad not in {m.task_id for m in _outbox(engine, "escalation")}
    assert sweep_escalations(engine, now=NOW + timedelta(minutes=5)) == 1  # the failed one, once
    assert sweep_escalations(engine, now=NOW + timedelta(minutes=10)) == 0
    per_task = Counter(m.task_id for m in _outbox(engine, "escalation"))
    assert len(per_task) == 4 and set(per_task.values()) == {1}
    with Session(engine) as s:
        # The failed chunk's numbers went back: four notices, numbered 1 to 4.
        assert sorted(x.no for x in s.exec(select(EscalationStep)).scalars()) == [1, 2, 3, 4]
        assert s.exec(select(NoticeCounter.last_no)).scalars().all() == [4]


def test_notice_numbers_are_reserved_per_chunk_in_one_block_each(engine):
    seed(engine, tasks=0, due=0)
    with Session(engine) as s:
        first = escalation.reserve_numbers(s, {(1, "tishi", 2026): 3, (1, "duban", 2026): 1, (1, "tongbao", 2026): 0})
        assert first == {(1, "tishi", 2026): 1, (1, "duban", 2026): 1}
        assert escalation.reserve_numbers(s, {(1, "tishi", 2026): 2}) == {(1, "tishi", 2026): 4}
        assert escalation.next_number(s, 1, "tishi", 2026) == 6  # the one-at-a-time path continues the series
        s.rollback()
        assert escalation.reserve_numbers(s, {(1, "tishi", 2026): 1}) == {(1, "tishi", 2026): 1}  # a rollback returns them


OVERDUE = 2_000

WORKER = textwrap.dedent("""
    import sys
    from datetime import datetime
    from models.db import make_engine
    from jobs.sweeps import sweep_escalations

    url, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    engine = make_engine(url)
    # A second pass finds nothing left by the others: nothing lost, nothing doubled.
    print(sum(sweep_escalations(engine, now=now) for _ in range(2)))
""")


def test_four_processes_escalate_each_of_2000_overdue_tasks_exactly_once(pg_engine):
    _wipe(pg_engine)
    seed(pg_engine, tasks=OVERDUE, due=0, overdue=OVERDUE)
    url = pg_url_with_schema(pg_engine)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, NOW.isoformat()], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err[-2000:] for _, err in outputs]
    written = [int(out.strip()) for out, _ in outputs]
    assert sum(written) == OVERDUE
    with pg_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EscalationState)).scalar_one() == OVERDUE
        assert conn.execute(select(func.count(func.distinct(EscalationState.task_id)))).scalar_one() == OVERDUE
        numbers = conn.execute(select(EscalationStep.no)).scalars().all()
        assert sorted(numbers) == list(range(1, OVERDUE + 1))  # one notice each, gapless, none doubled
        keys = conn.execute(select(Outbox.idempotency_key).where(Outbox.kind == "escalation")).scalars().all()
        assert len(keys) == OVERDUE == len(set(keys))
        assert conn.execute(select(func.count(func.distinct(Outbox.task_id)))).scalar_one() == OVERDUE
        assert conn.execute(select(func.count()).select_from(SweepLog)).scalar_one() == 0
