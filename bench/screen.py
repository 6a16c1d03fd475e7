"""The wall screen (大屏): time to first render of a 300-task force's screen, and the database load of
open screens while people report progress.

    python -m bench.screen [--tasks N] [--db sqlite|postgres|URL] [--updates 1000]

``screen_first_render_ms``: ``GET /screen/<token>`` of a 300-task force (read model + HTML), the feed idle,
median of 5. ``screen_db_statements``: statements the change feed issues for 100 open screens while 1,000
progress updates are made (ten a second, the feed polling once a second: 100 polls), against the same run with
one screen (``screen_db_statements_1``); the updates' own statements are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models import forces, org, screen, tasks
from models.context import Ctx
from models.db import make_engine, session_scope
from models.migrate import upgrade
from models.org import PersonRef
from models.tables import Department, Person, Task, Workspace

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
FORCE_TASKS = 300
UPDATES_PER_POLL = 10


def seed(engine: Engine, *, tasks_total: int) -> tuple[int, int, list[int]]:
    """A workspace with a 300-task force (8 departments, 12 owners) and ``tasks_total - 300`` other tasks
    in a second force; returns (workspace id, lead id, the 300 task ids)."""
    rng = random.Random(7)
    with Session(engine, expire_on_commit=False) as s:
        ws = org.get_or_create_workspace(s, "T-BENCH")
        root = org.ensure_person(s, ws, "root", name="root", now=NOW)  # the first person is the admin
        lead = org.ensure_person(s, ws, "lin", name="林芳", now=NOW)
        org.role_set(s, root, ws, PersonRef(user_id="lin"), "lead", now=NOW)
        assert ws.id is not None and lead.id is not None
        ctx = Ctx(s, ws, lead, NOW, tz=TZ, channel_id="C-bench")
        force = forces.force_new(ctx, "基准专班")
        other = forces.force_new(Ctx(s, ws, lead, NOW, tz=TZ, channel_id="C-other"), "其他专班")
        depts = [Department(workspace_id=ws.id, name=f"第{i + 1}责任单位") for i in range(8)]
        owners = [Person(workspace_id=ws.id, chat_user_id=f"U{i}", name=f"责任人{i + 1}", created_at=NOW)
                  for i in range(12)]
        s.add_all([*depts, *owners])
        s.flush()
        today = NOW.astimezone(TZ).date()
        ws_id = ws.id
        owner_ids = [o.id for o in owners if o.id is not None]

        def task(i: int, force_id: int | None) -> Task:
            start = today - timedelta(days=rng.randint(-5, 60))
            due = max(start, today + timedelta(days=rng.randint(-15, 150)))
            return Task(workspace_id=ws_id, force_id=force_id, title=f"基准任务{i + 1:05d} 数据归集",
                        owner_id=owner_ids[i % 12], department_id=depts[i % 8].id,
                        status=rng.choice(("todo", "active", "active", "blocked")),
                        progress=rng.choice((0, 10, 30, 50, 70, 90)), start_date=start, baseline_due=due,
                        due=due, created_by_id=lead.id, created_at=NOW, updated_at=NOW, last_progress_at=NOW)

        mine = [task(i, force.id) for i in range(FORCE_TASKS)]
        s.add_all(mine)
        for lo in range(0, max(0, tasks_total - FORCE_TASKS), 5000):
            s.add_all([task(i, other.id) for i in range(lo, min(lo + 5000, tasks_total - FORCE_TASKS))])
            s.flush()
        s.commit()
        return ws.id, lead.id, [t.id for t in mine if t.id is not None]


def first_render(engine: Engine, raw: str, runs: int = 5) -> float:
    from starlette.testclient import TestClient

    from bot.settings import Settings
    from bot.web.feed import Feed
    from bot.web.screen import web_app

    settings = Settings(_env_file=None)  # type: ignore[call-arg]  # the defaults, not this machine's .env
    client = TestClient(web_app(engine, settings, Feed(engine, tz=TZ, clock=lambda: NOW)))
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        r = client.get(f"/screen/{raw}")
        times.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200 and "基准专班" in r.text
    return statistics.median(times)


def feed_statements(engine: Engine, grant: screen.Grant, ws_id: int, lead_id: int, ids: list[int], *,
                    screens: int, updates: int) -> tuple[int, int]:
    """(statements the feed issued, screens it rendered) with ``screens`` open during ``updates`` updates."""
    from bot.web.feed import Feed

    counted = {"on": False, "n": 0}

    def seen(*_args) -> None:
        if counted["on"]:
            counted["n"] += 1

    async def go() -> int:
        feed = Feed(engine, tz=TZ, clock=lambda: NOW, poll=3600)  # ticked here, once a second's worth of updates
        for _ in range(screens):
            feed.subscribe(grant, "zh")
        await feed.tick()
        for n in range(updates):
            with session_scope(engine) as s:
                ws, who = s.get(Workspace, ws_id), s.get(Person, lead_id)
                assert ws is not None and who is not None
                tasks.progress(Ctx(s, ws, who, NOW, tz=TZ), ids[n % len(ids)], n % 101, f"进展 {n}")
            if (n + 1) % UPDATES_PER_POLL == 0:
                counted["on"] = True
                await feed.tick()
                counted["on"] = False
        if feed._task is not None:
            feed._task.cancel()
        return feed.renders

    event.listen(engine, "before_cursor_execute", seen)
    try:
        renders = asyncio.run(go())
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return counted["n"], renders


def run(*, tasks: int, db_url: str, updates: int = 1000) -> list[dict]:
    """The figures for an empty database at ``db_url`` (migrated here)."""
    engine = make_engine(db_url)
    upgrade(engine)
    try:
        ws_id, lead_id, ids = seed(engine, tasks_total=max(FORCE_TASKS, min(tasks, 20_000)))
        with session_scope(engine) as s:
            ws, lead = s.get(Workspace, ws_id), s.get(Person, lead_id)
            assert ws is not None and lead is not None
            raw, _row = screen.issue(Ctx(s, ws, lead, NOW, tz=TZ, channel_id="C-bench"), None)
        with session_scope(engine) as s:
            grant = screen.resolve(s, raw, now=NOW)
        assert grant is not None
        render_ms = first_render(engine, raw)
        many, renders_many = feed_statements(engine, grant, ws_id, lead_id, ids, screens=100, updates=updates)
        one, renders_one = feed_statements(engine, grant, ws_id, lead_id, ids, screens=1, updates=updates)
        polls = updates // UPDATES_PER_POLL
        return [
            {"name": "screen first render, 300-task force (GET page)", "key": "screen_first_render_ms",
             "value": round(render_ms, 1), "unit": "ms", "note": "median of 5, feed idle"},
            {"name": f"screen feed statements, 100 screens, {updates} updates", "key": "screen_db_statements",
             "value": many, "unit": "stmts", "note": f"{polls} polls, {renders_many} renders"},
            {"name": f"screen feed statements, 1 screen, {updates} updates", "key": "screen_db_statements_1",
             "value": one, "unit": "stmts", "note": f"{polls} polls, {renders_one} renders"},
        ]
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    from bench.common import fresh_db

    p = argparse.ArgumentParser(prog="python -m bench.screen", description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--tasks", type=int, default=10_000, help="tasks in the database (the force has 300)")
    p.add_argument("--db", default="sqlite", help="sqlite, postgres, or a database URL (must be empty)")
    p.add_argument("--updates", type=int, default=1000)
    args = p.parse_args(argv)
    if args.db in ("sqlite", "postgres"):
        with fresh_db(args.db) as url:
            rows = run(tasks=args.tasks, db_url=url, updates=args.updates)
    else:
        rows = run(tasks=args.tasks, db_url=args.db, updates=args.updates)
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}} {r['value']:>12,} {r['unit']:<6} {r['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
