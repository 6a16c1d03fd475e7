"""赛马: on-time completion, overdue share and update timeliness decide the order."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from models import org, rank, tasks
from models.org import PersonRef
from present import rank as rank_text
from tests.conftest import at
from tests.factories import d, standard_world

T0 = at("2026-11-02 10:00")


@pytest.fixture
def world(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, T0)
        root = w.people["root"]
        for name in ("省大数据局", "省公安厅"):
            org.dept_add(s, root, w.ws, name, now=T0)
        org.dept_set_person(s, root, w.ws, PersonRef(name="zhang"), "省大数据局", now=T0)
        org.dept_set_person(s, root, w.ws, PersonRef(name="wang"), "省公安厅", now=T0)
        yield w


def test_on_time_department_ranks_above_the_late_one(world):
    good = world.task("lin", "a", due=d("2026-11-10"), owner="zhang", force="数据共享专班", dept="省大数据局")
    late = world.task("lin", "b", due=d("2026-11-10"), owner="wang", force="数据共享专班", dept="省公安厅")
    tasks.request_done(world.ctx("zhang", now=at("2026-11-10 23:30")), good.id)  # done on the deadline day, late evening
    tasks.verify(world.ctx("lin", now=at("2026-11-10 23:45")), good.id)
    tasks.request_done(world.ctx("wang", now=at("2026-11-11 00:30")), late.id)  # after local midnight: late
    tasks.verify(world.ctx("lin", now=at("2026-11-11 09:00")), late.id)
    rows = rank.ranking(world.ctx("lin", now=at("2026-11-20 10:00")), "dept")
    assert [(r.name, r.done, r.done_on_time) for r in rows] == [("省大数据局", 1, 1), ("省公安厅", 1, 0)]
    assert rows[0].score > rows[1].score and rows[0].rank == 1 and rows[1].rank == 2


def test_overdue_and_silent_tasks_cost_points(world):
    world.task("lin", "a", due=d("2026-11-10"), owner="zhang", force="数据共享专班", dept="省大数据局")
    fresh = world.task("lin", "b", due=d("2026-12-10"), owner="wang", force="数据共享专班", dept="省公安厅")
    now = at("2026-11-20 10:00")
    tasks.progress(world.ctx("wang", now=at("2026-11-19 10:00")), fresh.id, 50)
    rows = rank.ranking(world.ctx("lin", now=now), "dept")
    assert [r.name for r in rows] == ["省公安厅", "省大数据局"]
    assert rows[1].overdue == 1 and rows[0].fresh == 1
    text = rank_text.render(rows, "dept", "zh")
    assert "🥇 省公安厅" in text


def test_task_forces_can_be_ranked_too(world):
    world.task("lin", "a", due=d("2026-12-10"), owner="zhang", force="数据共享专班")
    rows = rank.ranking(world.ctx("lin"), "force")
    assert [r.name for r in rows] == ["数据共享专班"]


def test_timeliness_follows_each_task_forces_own_silence_window(world):
    from models import forces

    t = world.task("lin", "a", due=d("2026-12-31"), owner="zhang", force="数据共享专班", dept="省大数据局")
    tasks.progress(world.ctx("zhang", now=at("2026-11-12 10:00")), t.id, 20)
    now = at("2026-11-20 10:00")  # 6 working days since the update: silent under the default 5
    assert rank.ranking(world.ctx("lin", now=now), "dept")[0].fresh == 0
    forces.force_policy(world.ctx("lin"), {"stale_days": 10}, force_name="数据共享专班")
    assert rank.ranking(world.ctx("lin", now=now), "dept")[0].fresh == 1
