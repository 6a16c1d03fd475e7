"""The digest classifies the lights of a force's tasks in SQL (models/digest.py, so a run reads only the
lines it shows): on random tasks around the thresholds — deadlines and time nodes near today and around a
holiday, silence windows, progress behind the straight line with ties in its rounding, every status,
pending extensions — its counts, section totals and lines are exactly those of ``lights.compute`` applied
to every task, as the digest computed them before."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import Session

from models import digest
from models.lights import TaskFacts, compute
from models.policy import Policy
from models.tables import ExtensionRequest, Task, TaskForce, TimeNode
from tests.conftest import TZ
from tests.factories import standard_world

STATUSES = ("todo", "active", "blocked", "done_requested", "done", "cancelled")
# A Monday, a day before a holiday week and a Friday before a weekend: the working-day bounds move.
MOMENTS = (datetime(2026, 11, 23, 9, 30, tzinfo=TZ), datetime(2026, 9, 30, 10, 0, tzinfo=TZ),
           datetime(2026, 11, 27, 18, 0, tzinfo=TZ))


def _tasks(rng: random.Random, now: datetime, force_id: int, ws_id: int, owner: int, n: int, lag: int) -> list[dict]:
    today = now.astimezone(TZ).date()
    rows = []
    for i in range(n):
        status = rng.choice(STATUSES)
        start = today + timedelta(days=rng.randint(-30, 3))
        span = rng.choice((0, 1, 2, 3, 4, 8, 10, 20, 40, 200))  # 8, 40, 200: ties in round(100 × elapsed / span)
        due = start + timedelta(days=span) if rng.random() < 0.6 else today + timedelta(days=rng.randint(-5, 12))
        progress = rng.choice((0, 0, 5, 10, 25, 50, 75, 95, 100)) if rng.random() < 0.5 else rng.randint(0, 100)
        if rng.random() < 0.2:  # on the line between behind and not: where half-to-even rounding decides
            span = rng.choice((8, 40, 200))
            start = today - timedelta(days=rng.randint(0, 30))
            due = start + timedelta(days=span)
            progress = max(0, min(100, int(100 * (today - start).days / span) - lag))
        created = now - timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 23))
        last = None if rng.random() < 0.3 else now - timedelta(days=rng.randint(0, 15), hours=rng.randint(0, 23))
        done_at = now - timedelta(days=rng.randint(0, 12), hours=rng.randint(0, 23)) if status == "done" else None
        rows.append(dict(workspace_id=ws_id, force_id=force_id, title=f"任务{i}", description="", owner_id=owner,
                         priority="normal", status=status, progress=progress,
                         start_date=start, baseline_due=due, due=due, created_at=min(created, last or created),
                         updated_at=now, last_progress_at=last, done_at=done_at,
                         blocked_reason="等待" if status == "blocked" else None))
    return rows


@pytest.mark.parametrize("seed", range(12))
def test_the_digests_sql_lights_equal_lights_compute_on_every_task(engine, seed):
    rng = random.Random(seed)
    now = MOMENTS[seed % len(MOMENTS)]
    today = now.astimezone(TZ).date()
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, now - timedelta(days=40))
        s.commit()
        ctx = w.ctx("lin", now=now)
        force = s.get(TaskForce, 1) or s.exec(TaskForce.__table__.select()).first()  # type: ignore[attr-defined]
        assert force is not None and force.id is not None
        policy = Policy(yellow_days=rng.choice((0, 1, 3, 5)), stale_days=rng.choice((1, 2, 5, 7)),
                        lag_pct=rng.choice((0, 0, 2, 10, 20, 50)))
        s.execute(insert(Task), _tasks(rng, now, force.id, w.ws.id, w.people["zhang"].id, 160, policy.lag_pct))
        s.flush()
        tasks = s.exec(Task.__table__.select().where(Task.force_id == force.id)).all()  # type: ignore[attr-defined]
        nodes, exts = [], []
        for t in tasks:
            for no in range(rng.choice((0, 0, 1, 2))):
                nodes.append(dict(task_id=t.id, no=no + 1, name=f"节点{no}", due=today + timedelta(days=rng.randint(-3, 10)),
                                  done_at=now if rng.random() < 0.3 else None, created_at=now))
            if rng.random() < 0.15:
                exts.append(dict(task_id=t.id, requested_by_id=t.owner_id, old_due=t.due, new_due=t.due + timedelta(days=9),
                                 reason="r", status=rng.choice(("pending", "pending", "approved")), created_at=now))
        if nodes:
            s.execute(insert(TimeNode), nodes)
        if exts:
            s.execute(insert(ExtensionRequest), exts)
        s.commit()

        got = digest.build(ctx, force, policy=policy)

        # The reference: lights.compute on every task, as the digest did before it counted in SQL.
        open_nodes: dict[int, list[tuple[int, str, date]]] = {}
        for n in nodes:
            if n["done_at"] is None:
                open_nodes.setdefault(n["task_id"], []).append((n["no"], n["name"], n["due"]))
        pending = {e["task_id"]: e["new_due"] for e in exts if e["status"] == "pending"}
        since = now - timedelta(days=7)
        live_statuses = ("todo", "active", "blocked", "done_requested")
        rows = [t for t in tasks if t.status in live_statuses or (t.status == "done" and t.done_at >= since)
                or (t.created_at >= since and t.status != "cancelled")]
        rows.sort(key=lambda t: (t.due, t.id))
        light = {t.id: compute(TaskFacts(t.status, t.progress, t.start_date, t.due, t.created_at, t.last_progress_at,
                                         tuple((name, due) for _no, name, due in sorted(open_nodes.get(t.id, []))
                                               if t.status in live_statuses)),
                               now=now, tz=TZ, calendar=ctx.calendar, policy=policy) for t in rows}
        live = [t for t in rows if t.status in live_statuses]
        want = {
            "red": [t for t in live if light[t.id].color == "red"],
            "yellow": [t for t in live if light[t.id].color == "yellow"],
            "silent": [t for t in live if any(m.key == "light.why.silent" for m in light[t.id].reasons)],
            "blocked": [t for t in live if t.status == "blocked"],
            "approvals": [t for t in live if t.status == "done_requested" or t.id in pending],
            "done": sorted((t for t in rows if t.status == "done" and t.done_at >= since), key=lambda t: (t.done_at, t.id)),
            "new": sorted((t for t in rows if t.created_at >= since and t.status != "cancelled"), key=lambda t: t.id),
        }
        assert got.counts == {c: sum(1 for t in live if light[t.id].color == c) for c in ("red", "yellow", "green", "grey")}
        for name, expected in want.items():
            section = getattr(got, name)
            assert section.total == len(expected), name
            assert [v.id for v in section] == [t.id for t in expected[:digest.MAX_LINES]], name
            for v in section:
                assert (v.light.color, list(map(repr, v.light.reasons))) == \
                    (light[v.id].color, list(map(repr, light[v.id].reasons))), (name, v.id)
                assert v.extension_to == pending.get(v.id) if v.status in live_statuses else True
        # Enough of every light for the comparison to mean something.
        assert got.counts["red"] and got.counts["yellow"] and got.counts["green"], got.counts
        assert got.silent.total and got.approvals.total and got.done.total
