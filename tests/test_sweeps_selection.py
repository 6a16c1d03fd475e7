"""The reminders and nudges sweeps select their candidates in SQL (the step due per date and policy,
the steps taken as an anti-join): on random tasks, nodes, policies, calendars and sweep logs they
select exactly what the per-row decision functions (``due_reminder``, ``silence_cutoff``) and the
taken-step checks select."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlmodel import Session, col

from jobs import sweeps
from models import markers
from models.calendar import local_today
from models.org import calendar_for
from models.policy import DEFAULT, Policy, effective
from models.status import LIVE, OPEN
from models.tables import CalendarOverride, Person, SweepLog, Task, TaskForce, TimeNode, Workspace
from models.timing import due_reminder, reminder_steps, silence_cutoff
from tests.conftest import TZ

SEEDS = range(10)
FIRST = date(2026, 9, 21)  # the weeks around National Day (国庆) and its 调休 Saturday


def _random_policy(rng: random.Random) -> dict:
    if rng.random() < 0.3:
        return {}  # the default
    return {"remind_days": rng.sample(range(7), rng.randint(0, 3)), "remind_hour": rng.choice([8, 9, 10]),
            "quiet_start": rng.choice([20, 22, 12]), "quiet_end": rng.choice([8, 7, 14]),
            "stale_days": rng.randint(1, 8)}


def _created(rng: random.Random, now: datetime) -> datetime:
    """When a row was made: some time in the last 12 days, often exactly at a reminder hour (a step's
    moment: ``since <= step.at`` holds on the boundary)."""
    if rng.random() < 0.4:
        day = now.date() - timedelta(days=rng.randint(0, 8))
        return datetime(day.year, day.month, day.day, rng.choice([8, 9, 10]), tzinfo=TZ)
    return now - timedelta(hours=rng.randint(-2, 24 * 12))


def _seed(engine, rng: random.Random) -> tuple[datetime, int]:
    """A workspace with random calendar overrides, forces with random policies, tasks, nodes and steps
    already taken; returns the sweep's ``now`` and the workspace id."""
    today = FIRST + timedelta(days=rng.randint(0, 20))
    now = datetime(today.year, today.month, today.day, rng.randint(0, 23), rng.choice([0, 1, 30, 59]), tzinfo=TZ)
    with engine.begin() as conn:
        ws = conn.execute(insert(Workspace).values(team_id="T1", name="T1", created_at=now)
                          .returning(col(Workspace.id))).scalar_one()
        person = conn.execute(insert(Person).values(workspace_id=ws, chat_user_id="U1", name="zhang", created_at=now)
                              .returning(col(Person.id))).scalar_one()
        for day in rng.sample([today + timedelta(days=i) for i in range(-3, 12)], rng.randint(0, 3)):
            conn.execute(insert(CalendarOverride).values(workspace_id=ws, day=day, working=rng.random() < 0.5,
                                                         reason="", created_at=now))
        forces = [conn.execute(insert(TaskForce).values(workspace_id=ws, name=f"专班{i}", status="open",
                                                        policy=_random_policy(rng), created_at=now)
                               .returning(col(TaskForce.id))).scalar_one() for i in range(rng.randint(1, 5))]
        for i in range(60):
            due = today + timedelta(days=rng.randint(-3, 12))
            created = _created(rng, now)
            reported = None if rng.random() < 0.4 else now - timedelta(hours=rng.randint(0, 24 * 20))
            force = rng.choice(forces)
            task = conn.execute(insert(Task).values(
                workspace_id=ws, force_id=force, title=f"任务{i}", description="", owner_id=person,
                priority=rng.choice(["normal", "normal", "high"]),
                status=rng.choice([*LIVE, *OPEN, "done", "cancelled"]), progress=10,
                start_date=today - timedelta(days=rng.randint(-2, 30)), baseline_due=due, due=due,
                created_at=created, updated_at=created, last_progress_at=reported).returning(col(Task.id))).scalar_one()
            targets = [("deadline", due)]
            for no in range(rng.randint(0, 2)):
                node_due = today + timedelta(days=rng.randint(-1, 10))
                # Most nodes carry their task's force, as the product writes them; some, as rows written
                # before migration 0012 or by hand, do not (the reminders then read the task).
                node = conn.execute(insert(TimeNode).values(
                    task_id=task, no=no + 1, name=f"节点{no}", due=node_due,
                    done_at=now if rng.random() < 0.2 else None, force_id=force if rng.random() < 0.8 else None,
                    created_at=_created(rng, now)).returning(col(TimeNode.id))).scalar_one()
                targets.append((f"node:{node}", node_due))
            for target, day in targets:  # some steps already taken, some not, some of another date
                for step in rng.sample(range(7), rng.randint(0, 3)):
                    conn.execute(insert(SweepLog).values(
                        workspace_id=ws, task_id=task, kind="remind", target=target,
                        due=day if rng.random() < 0.8 else day + timedelta(days=1), step=step,
                        created_at=now - timedelta(hours=rng.randint(0, 24 * 6))))
            if rng.random() < 0.3:
                silent_since = reported or created
                conn.execute(insert(SweepLog).values(
                    workspace_id=ws, task_id=task, kind="nudge", target="silence", due=local_today(silent_since, TZ),
                    step=0, created_at=silent_since + timedelta(hours=rng.choice([-1, 1, 30]))))
        markers.refresh(conn)  # log rows written by hand: their markers, as migration 0010 computes them
    return now, ws


def _policies(session: Session) -> dict[int, Policy]:
    return {force_id: effective(dict(policy or {})) for force_id, policy in
            session.execute(select(col(TaskForce.id), col(TaskForce.policy))).all()}


def _expected_reminders(engine, now: datetime, ws: int) -> set[sweeps._Target]:
    """Every deadline and open node the per-row decision finds a step due for, minus the steps taken."""
    with Session(engine) as session:
        cal = calendar_for(session, ws)
        policies = _policies(session)
        taken = set(session.execute(select(col(SweepLog.task_id), col(SweepLog.target), col(SweepLog.due), col(SweepLog.step))
                                    .where(col(SweepLog.kind) == "remind")).all())
        rows = [(t.id, None, t.force_id, t.due, t.created_at, t.priority, t.status in LIVE and t.status != "done_requested")
                for t in session.execute(select(Task)).scalars()]
        rows += [(n.task_id, n.id, t.force_id, n.due, n.created_at, t.priority, n.done_at is None and t.status in OPEN)
                 for n, t in session.execute(select(TimeNode, Task).join(Task, col(Task.id) == col(TimeNode.task_id))).all()]
    found = set()
    for task_id, node_id, force_id, due, since, priority, live in rows:
        policy = policies.get(force_id, DEFAULT)
        step = due_reminder(due, since=since, now=now, tz=TZ, calendar=cal, policy=policy, high=priority == "high")
        target = sweeps._Target(task_id, node_id, due, step.days) if step is not None else None
        if live and target is not None and (task_id, target.name, due, target.days) not in taken:
            found.add(target)
    return found


def _expected_nudges(engine, now: datetime, ws: int) -> set[int]:
    """Every open task in its dates silent past its policy's cutoff (within the lookback), not nudged in
    this silence and not reminded today."""
    today = local_today(now, TZ)
    with Session(engine) as session:
        cal = calendar_for(session, ws)
        policies = _policies(session)
        logs = session.execute(select(col(SweepLog.task_id), col(SweepLog.kind), col(SweepLog.created_at))).all()
        tasks = list(session.execute(select(Task)).scalars())
    cutoffs = {f: silence_cutoff(now, tz=TZ, calendar=cal, stale_days=p.stale_days) for f, p in policies.items()}
    lower = max(cutoffs.values()) - sweeps.NUDGE_LOOKBACK
    start = datetime(today.year, today.month, today.day, tzinfo=TZ)
    found = set()
    for task in tasks:
        since = task.last_progress_at or task.created_at
        if (task.status in OPEN and task.start_date <= today <= task.due and lower <= since < cutoffs[task.force_id]
                and not any(t == task.id and k == "nudge" and at >= since for t, k, at in logs)
                and not any(t == task.id and k == "remind" and at >= start for t, k, at in logs)):
            found.add(task.id)
    return found


def _selected(engine, now: datetime, candidates) -> list:
    run = sweeps._Run(engine, now, TZ, "zh")
    with engine.connect() as conn:
        return list(candidates(run, conn))


@pytest.mark.parametrize("seed", SEEDS)
def test_the_reminder_query_selects_every_step_the_decision_function_finds_due_and_untaken(engine, seed):
    """The query reads the markers, not the log: it selects every due untaken step; what else it selects
    is a step the log holds (these random histories take later steps before earlier ones, which no sweep
    does), which the chunk's look at the log drops and marks, so that after one sweep it selects nothing."""
    now, ws = _seed(engine, random.Random(seed))
    selected = _selected(engine, now, sweeps._reminder_targets)
    assert len(selected) == len(set(selected))  # no target twice
    expected = _expected_reminders(engine, now, ws)
    assert expected <= set(selected)
    with Session(engine) as session:
        taken = set(session.execute(select(col(SweepLog.task_id), col(SweepLog.target), col(SweepLog.due),
                                           col(SweepLog.step)).where(col(SweepLog.kind) == "remind")).all())
    assert {(t.task_id, t.name, t.due, t.days) for t in set(selected) - expected} <= taken
    assert sweeps.sweep_reminders(engine, now=now, tz=TZ) >= len(expected)
    assert _selected(engine, now, sweeps._reminder_targets) == []


@pytest.mark.parametrize("seed", SEEDS)
def test_the_nudge_query_selects_exactly_the_silent_tasks_the_cutoff_finds_and_not_yet_nudged(engine, seed):
    now, ws = _seed(engine, random.Random(100 + seed))
    selected = _selected(engine, now, sweeps._silent_tasks)
    assert len(selected) == len(set(selected))
    assert set(selected) == _expected_nudges(engine, now, ws)


def test_the_random_cases_are_not_trivial(engine):
    """The cases above exercise every branch: steps due and taken, catch-up steps, nudges due."""
    due = taken = nudges = 0
    for seed in SEEDS:
        if seed:
            with engine.begin() as conn:
                for table in (SweepLog, TimeNode, Task, TaskForce, CalendarOverride, Person, Workspace):
                    conn.execute(table.__table__.delete())
        now, ws = _seed(engine, random.Random(seed))
        due += len(_expected_reminders(engine, now, ws))
        nudges += len(_expected_nudges(engine, now, ws))
        with Session(engine) as session:
            cal = calendar_for(session, ws)
            for t in session.execute(select(Task)).scalars():
                steps = reminder_steps(t.due, tz=TZ, calendar=cal, policy=DEFAULT)
                taken += any(s.at <= now for s in steps)
    assert due > 20 and nudges > 20 and taken > 20


def test_the_sweep_indexes_the_scheduling_bench_counts_are_the_task_tables():
    from models.tables import SWEEP_TASK_INDEXES

    names = {i.name for i in Task.__table__.indexes}
    assert set(SWEEP_TASK_INDEXES) <= names
