"""The sweep markers (models/markers.py) say exactly what the logs say, after every sweep and every change
that ends an episode; and markers that say nothing (rows from before them) cost candidates, never a message."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text, update
from sqlmodel import col

from bench.province import Province, seed
from jobs.sweeps import sweep_escalations, sweep_nudges, sweep_reminders
from models import markers
from models.tables import EscalationState, Outbox, SweepLog, Task, TimeNode

TODAY = date(2026, 11, 23)  # a Monday
SWEEPS = (sweep_reminders, sweep_nudges, sweep_escalations)


@pytest.fixture
def province(engine) -> Province:
    return seed(engine, tasks=1_500, today=TODAY, people=2_000, forces=60, due_each=15)


def _markers(engine) -> tuple[list, list]:
    with engine.connect() as conn:
        tasks = conn.execute(select(Task.id, Task.remind_due, Task.remind_step, Task.reminded_at, Task.nudged_at,
                                    Task.esc_due, Task.esc_live).order_by(Task.id)).all()
        nodes = conn.execute(select(TimeNode.id, TimeNode.remind_due, TimeNode.remind_step, TimeNode.esc_due)
                             .order_by(TimeNode.id)).all()
    return [tuple(r) for r in tasks], [tuple(r) for r in nodes]


def _as_the_logs_say(engine) -> tuple[list, list]:
    """The markers recomputed from the logs alone (on a copy of the rows: the transaction is rolled back)."""
    with engine.connect() as conn:
        trans = conn.begin()
        conn.execute(update(Task).values(remind_due=None, remind_step=None, reminded_at=None, nudged_at=None,
                                         esc_due=None, esc_live=False))
        conn.execute(update(TimeNode).values(remind_due=None, remind_step=None, esc_due=None))
        markers.refresh(conn)
        tasks = conn.execute(select(Task.id, Task.remind_due, Task.remind_step, Task.reminded_at, Task.nudged_at,
                                    Task.esc_due, Task.esc_live).order_by(Task.id)).all()
        nodes = conn.execute(select(TimeNode.id, TimeNode.remind_due, TimeNode.remind_step, TimeNode.esc_due)
                             .order_by(TimeNode.id)).all()
        trans.rollback()
    return [tuple(r) for r in tasks], [tuple(r) for r in nodes]


def _differences(engine) -> list:
    (tasks, nodes), (want_tasks, want_nodes) = _markers(engine), _as_the_logs_say(engine)
    return [("task", a, b) for a, b in zip(tasks, want_tasks, strict=True) if a != b] + \
           [("node", a, b) for a, b in zip(nodes, want_nodes, strict=True) if a != b]


def _messages(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(text("count(*)")).select_from(Outbox)).scalar_one()


def test_the_markers_say_what_the_logs_say_after_the_sweeps_and_after_episodes_end(engine, province) -> None:
    assert _differences(engine) == []  # as the seeder left them
    for sweep in SWEEPS:
        assert sweep(engine, now=province.now) > 0
    assert _differences(engine) == []
    # Work moves on: some overdue tasks are reported done, some deadlines extended, some nodes completed.
    with engine.begin() as conn:
        live = conn.execute(select(EscalationState.task_id, EscalationState.node_id)
                            .where(EscalationState.status == "open").order_by(EscalationState.id)).all()
        deadline = [t for t, n in live if n is None]
        node_tasks = [n for _, n in live if n is not None]
        assert len(deadline) >= 9 and node_tasks
        conn.execute(update(Task).where(col(Task.id).in_(deadline[0::3])).values(status="done_requested"))
        conn.execute(update(Task).where(col(Task.id).in_(deadline[1::3])).values(due=TODAY + timedelta(days=20)))
        conn.execute(update(TimeNode).where(col(TimeNode.id).in_(node_tasks[0::2]))
                     .values(done_at=datetime(2026, 11, 23, 2, tzinfo=UTC)))
    later = province.now + timedelta(hours=1)
    sweep_escalations(engine, now=later)
    with engine.connect() as conn:
        still = set(conn.execute(select(EscalationState.task_id).where(
            EscalationState.status == "open", col(EscalationState.node_id).is_(None))).scalars())
        closed_nodes = set(conn.execute(select(EscalationState.node_id).where(
            EscalationState.status == "closed", EscalationState.close_reason == "node_done")).scalars())
    assert not still & set(deadline[0::3]) and not still & set(deadline[1::3])  # ended through the check index
    assert set(node_tasks[0::2]) <= closed_nodes
    assert _differences(engine) == []
    # The next day's run: new steps and levels, and the markers follow.
    tomorrow = province.now + timedelta(days=1)
    for sweep in SWEEPS:
        sweep(engine, now=tomorrow)
    assert _differences(engine) == []


def test_markers_that_say_nothing_cost_candidates_never_a_message(engine, province) -> None:
    for sweep in SWEEPS:
        sweep(engine, now=province.now)
    sent = _messages(engine)
    with engine.begin() as conn:  # as if the rows predated the markers
        conn.execute(update(Task).values(remind_due=None, remind_step=None, reminded_at=None, nudged_at=None,
                                         esc_due=None, esc_live=False))
        conn.execute(update(TimeNode).values(remind_due=None, remind_step=None, esc_due=None))
    for sweep in SWEEPS:
        assert sweep(engine, now=province.now + timedelta(minutes=5)) == 0
    assert _messages(engine) == sent
    with engine.connect() as conn:
        logs = conn.execute(select(text("count(*)")).select_from(SweepLog)).scalar_one()
    assert logs > 0
