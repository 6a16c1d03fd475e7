"""Weekly digests and a province-level agenda at scale.

* ``digests_s``: the digests job on a Monday morning for ~1,000 task forces (one or two leads each) on
  N tasks — every force's digest built and written to the outbox, a transaction per force.
* ``agenda_ms``: the agenda of a thematic meeting across all task forces (follow-up of the last
  meeting's decisions, red and blocked items, the reports of every force, topics, the horse race),
  built and rendered, median of 3.

    python -m bench.digests [--tasks N] [--db sqlite|postgres|URL] [--forces F]

The seeding here is simple on purpose (``seed``); ``bench.province`` writes the realistic dataset.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from models.db import make_engine
from models.migrate import upgrade
from models.tables import (
    Decision,
    Department,
    ExtensionRequest,
    ForceMember,
    Meeting,
    Outbox,
    Person,
    RoleGrant,
    Task,
    TaskForce,
    TimeNode,
    Workspace,
)

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 23)  # a Monday: this week's digests are due at 09:00
NOW = datetime.combine(TODAY, dtime(9, 30), tzinfo=TZ)
FORCES = 1_000
DEPTS = 100
PEOPLE = 5_000
BATCH = 10_000
TEAM = "BENCHDIGEST"


def seed(engine: Engine, *, tasks: int, forces: int = FORCES, now: datetime = NOW) -> dict:
    """Bulk-loads a workspace with ``DEPTS`` departments, ``PEOPLE`` people, ``forces`` task forces (the
    first person of each its lead, every seventh force a second lead, every tenth its own silence window)
    and ``tasks`` tasks spread over them: 60 % live (some overdue, blocked, reported done, silent, with an
    extension asked, with a time node), the rest done in the last year or cancelled; a secretary, and a
    thematic meeting whose previous one took 20 decisions. Returns the ids it made."""
    rng = random.Random(tasks)
    created = now - timedelta(days=90)
    today = now.astimezone(TZ).date()
    with engine.begin() as conn:
        ws_id = conn.execute(insert(Workspace).values(team_id=TEAM, name=TEAM, created_at=created)
                             .returning(col(Workspace.id))).scalar_one()
        conn.execute(insert(Department), [dict(workspace_id=ws_id, name=f"部门{i:03d}", created_at=created)
                                          for i in range(DEPTS)])
        depts = list(conn.execute(select(col(Department.id)).where(Department.workspace_id == ws_id)
                                  .order_by(Department.id)).scalars())
        conn.execute(insert(Person), [dict(workspace_id=ws_id, chat_user_id=f"D{i:07d}", name=f"干部{i}",
                                           department_id=depts[i % DEPTS], created_at=created,
                                           lang="en" if i % 11 == 0 else None) for i in range(PEOPLE)])
        people = list(conn.execute(select(col(Person.id)).where(Person.workspace_id == ws_id).order_by(Person.id)).scalars())
        conn.execute(insert(TaskForce), [dict(workspace_id=ws_id, name=f"专班{i:04d}", status="open",
                                              policy={"stale_days": 7} if i % 10 == 0 else {}, created_at=created)
                                         for i in range(forces)])
        force_ids = list(conn.execute(select(col(TaskForce.id)).where(TaskForce.workspace_id == ws_id)
                                      .order_by(TaskForce.id)).scalars())
        members = []
        for i, fid in enumerate(force_ids):
            members.append(dict(force_id=fid, person_id=people[i % PEOPLE], is_lead=True, joined_at=created))
            if i % 7 == 0:
                members.append(dict(force_id=fid, person_id=people[(i + forces) % PEOPLE], is_lead=True, joined_at=created))
        conn.execute(insert(ForceMember), members)
        secretary = people[-1]
        conn.execute(insert(RoleGrant).values(workspace_id=ws_id, person_id=secretary, role="secretary", created_at=created))
    for start in range(0, tasks, BATCH):
        rows = []
        for i in range(start, min(tasks, start + BATCH)):
            r = rng.random()
            last = now - timedelta(days=rng.randint(0, 6))
            done_at = None
            if r < 0.6:
                status = "blocked" if r < 0.02 else ("done_requested" if r < 0.04 else "active")
                due = today + timedelta(days=rng.randint(-20, 300))
                if r > 0.55:
                    last = now - timedelta(days=rng.randint(10, 30))  # silent
            elif r < 0.97:
                status, due = "done", today - timedelta(days=rng.randint(1, 365))
                done_at = datetime.combine(due - timedelta(days=rng.randint(-3, 10)), dtime(15), tzinfo=TZ)
            else:
                status, due = "cancelled", today + timedelta(days=rng.randint(1, 100))
            rows.append(dict(
                workspace_id=ws_id, force_id=force_ids[i % forces], title=f"任务 {i}", description="",
                owner_id=people[rng.randrange(PEOPLE)], department_id=depts[rng.randrange(DEPTS)],
                priority="normal", status=status, progress=100 if status == "done" else rng.randint(0, 90),
                start_date=min(due, today) - timedelta(days=60), baseline_due=due, due=due,
                created_at=created if i % 200 else now - timedelta(days=2), updated_at=created, last_progress_at=last,
                done_at=done_at, blocked_reason="等待审批" if status == "blocked" else None,
            ))
        with engine.begin() as conn:
            conn.execute(insert(Task), rows)
    with engine.begin() as conn:
        live = list(conn.execute(select(col(Task.id), col(Task.due), col(Task.owner_id)).where(
            col(Task.workspace_id) == ws_id, col(Task.status).in_(("todo", "active", "blocked"))).order_by(Task.id)).all())
        nodes = [dict(task_id=tid, no=1, name="阶段节点", due=due - timedelta(days=30)) for tid, due, _o in live[::10]]
        for chunk in range(0, len(nodes), BATCH):
            conn.execute(insert(TimeNode), nodes[chunk:chunk + BATCH])
        exts = [dict(task_id=tid, requested_by_id=owner, old_due=due, new_due=due + timedelta(days=30), reason="接口延期",
                     status="pending", created_at=now - timedelta(days=1)) for tid, due, owner in live[5::97]]
        for chunk in range(0, len(exts), BATCH):
            conn.execute(insert(ExtensionRequest), exts[chunk:chunk + BATCH])
        last_meeting = conn.execute(insert(Meeting).values(
            workspace_id=ws_id, kind="thematic", title="上次专题会议", day=today - timedelta(days=60), at_time=dtime(9),
            length_min=120, cutoff=today - timedelta(days=62), created_by_id=secretary, created_at=created,
        ).returning(col(Meeting.id))).scalar_one()
        decided = live[3:3 + 20 * 37:37]
        if decided:
            conn.execute(insert(Decision), [dict(meeting_id=last_meeting, text=f"议定事项{k}", owner_id=owner, due=due,
                                                 task_id=tid, created_by_id=secretary, created_at=created)
                                            for k, (tid, due, owner) in enumerate(decided)])
        meeting = conn.execute(insert(Meeting).values(
            workspace_id=ws_id, kind="thematic", title="数字化改革专题会议", day=today + timedelta(days=10),
            at_time=dtime(9), length_min=120, cutoff=today + timedelta(days=8), created_by_id=secretary,
            created_at=now - timedelta(days=5),
        ).returning(col(Meeting.id))).scalar_one()
    return {"workspace_id": ws_id, "forces": force_ids, "secretary": secretary, "meeting": meeting}


def _settle(engine: Engine) -> None:
    """Fresh statistics after the bulk load, so the planner sees the real table sizes."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE task, timenode, taskforce, forcemember, person, extensionrequest"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def digests(engine: Engine, ids: dict, *, now: datetime = NOW) -> list[dict]:
    """One digests run, every force's digest due: wall time, and digests written."""
    from sqlalchemy import event

    from jobs.digests import sweep_digests

    with engine.begin() as conn:
        conn.execute(delete(Outbox).where(col(Outbox.kind) == "digest"))
    statements = [0]

    def count(*_args) -> None:
        statements[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        written = sweep_digests(engine, now, tz=TZ)
        seconds = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", count)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(Outbox).where(col(Outbox.kind) == "digest")).scalar_one()
    forces = len(ids["forces"])
    return [{"name": "digests", "key": "digests_s", "value": round(seconds, 2), "unit": "s",
             "note": f"{forces} task forces, {written} digests written ({n} in the outbox), one transaction a force; "
                     f"{1000 * seconds / max(forces, 1):.1f} ms a force; {statements[0]:,} statements "
                     f"({statements[0] / max(forces, 1):.1f} a force, BEGIN and COMMIT not counted)"}]


def _agenda_once(engine: Engine, ids: dict, *, now: datetime) -> tuple[float, int]:
    from models import meetings
    from models.context import Ctx

    with Session(engine) as s:
        ws = s.get(Workspace, ids["workspace_id"])
        sec = s.get(Person, ids["secretary"])
        assert ws is not None and sec is not None
        started = time.perf_counter()
        ctx = Ctx(s, ws, sec, now, tz=TZ)
        agenda = meetings.build_agenda(ctx, ids["meeting"])
        try:
            from present import agenda as agenda_text

            out = agenda_text.render(agenda, "zh")
        except ImportError:  # the code before present/ existed (for before/after figures)
            out = meetings.render_agenda(agenda, "zh")  # type: ignore[attr-defined]
        return time.perf_counter() - started, len(out.splitlines())


def agenda(engine: Engine, ids: dict, *, now: datetime = NOW, runs: int = 3) -> list[dict]:
    """The province-level thematic meeting's agenda, built and rendered: median of ``runs``."""
    times, lines = [], 0
    for _ in range(runs):
        seconds, lines = _agenda_once(engine, ids, now=now)
        times.append(seconds)
    return [{"name": "province agenda", "key": "agenda_ms", "value": round(1000 * statistics.median(times), 1),
             "unit": "ms", "note": f"a thematic meeting across {len(ids['forces'])} task forces, {lines} lines, "
                                   f"median of {runs}"}]


def on_province(engine: Engine, province: Any) -> dict:
    """The ids these figures need, on a copy of the seeded province (bench/province.py): its admin as
    the meeting secretary, the last thematic meeting's 20 decisions on live tasks, and the next one."""
    today = province.today
    created = province.now - timedelta(days=30)
    with engine.begin() as conn:
        secretary = province.admin_id
        conn.execute(insert(RoleGrant).values(workspace_id=province.workspace_id, person_id=secretary,
                                              role="secretary", created_at=created))
        last_meeting = conn.execute(insert(Meeting).values(
            workspace_id=province.workspace_id, kind="thematic", title="上次专题会议", day=today - timedelta(days=60),
            at_time=dtime(9), length_min=120, cutoff=today - timedelta(days=62), created_by_id=secretary,
            created_at=created,
        ).returning(col(Meeting.id))).scalar_one()
        live = conn.execute(select(col(Task.id), col(Task.due), col(Task.owner_id))
                            .where(col(Task.workspace_id) == province.workspace_id, col(Task.status) == "active")
                            .order_by(col(Task.id)).limit(20 * 37)).all()
        conn.execute(insert(Decision), [dict(meeting_id=last_meeting, text=f"议定事项{k}", owner_id=owner, due=due,
                                             task_id=tid, created_by_id=secretary, created_at=created)
                                        for k, (tid, due, owner) in enumerate(live[::37])])
        meeting = conn.execute(insert(Meeting).values(
            workspace_id=province.workspace_id, kind="thematic", title="数字化改革专题会议", day=today + timedelta(days=10),
            at_time=dtime(9), length_min=120, cutoff=today + timedelta(days=8), created_by_id=secretary,
            created_at=province.now - timedelta(days=5),
        ).returning(col(Meeting.id))).scalar_one()
    return {"workspace_id": province.workspace_id, "forces": list(province.force_ids), "secretary": secretary,
            "meeting": meeting}


def run(tasks: int, db_url: str, *, forces: int = FORCES, province: Any = None) -> list[dict]:
    """``digests_s`` and ``agenda_ms``: on a copy of the seeded province when the harness passes one
    (``python -m bench``), else on an empty database at ``db_url`` seeded here (``python -m bench.digests``)."""
    engine = make_engine(db_url)
    upgrade(engine)
    try:
        started = time.perf_counter()
        if province is not None:
            ids = on_province(engine, province)
            where, now = "the province", province.now + timedelta(minutes=30)
        else:
            ids = seed(engine, tasks=tasks, forces=forces)
            where, now = "its own dataset", NOW
        _settle(engine)
        seeded = time.perf_counter() - started
        rows = agenda(engine, ids, now=now)
        rows += digests(engine, ids, now=now)
        for r in rows:
            r["note"] += f"; {tasks:,} tasks, {where} (prepared in {seeded:.0f} s)"
        return rows
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    from bench.common import fresh_db

    p = argparse.ArgumentParser(prog="python -m bench.digests", description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", type=int, default=100_000, help="tasks (default 100,000)")
    p.add_argument("--forces", type=int, default=FORCES, help="task forces (default 1,000)")
    p.add_argument("--db", default="sqlite", help="sqlite, postgres, or a database URL (must be empty)")
    args = p.parse_args(argv)
    if args.db in ("sqlite", "postgres"):
        with fresh_db(args.db) as url:
            rows = run(args.tasks, url, forces=args.forces)
    else:
        rows = run(args.tasks, args.db, forces=args.forces)
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}} {r['value']:>12,} {r['unit']:<4} {r['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
