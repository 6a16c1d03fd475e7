"""The home (models/home.py): my tasks by light, my task forces' lights, what waits for my decision."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from models import forces, tasks
from models.home import home
from tests.conftest import at
from tests.factories import World, d, standard_world

NOW = at("2026-11-23 10:00")  # a Monday
FORCE = "数据共享专班"


@pytest.fixture
def world(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, NOW)
        w.task("lin", "逾期的任务", due=d("2026-11-24"), owner="zhang", force=FORCE, now=at("2026-11-02 10:00"))
        w.task("lin", "临期的任务", due=d("2026-11-25"), owner="zhang", force=FORCE)
        w.task("lin", "远期的任务", due=d("2027-03-31"), owner="zhang", force=FORCE)
        w.task("lin", "别人的任务", due=d("2026-12-31"), owner="wang", force=FORCE)
        s.commit()
        yield w


def test_my_tasks_are_mine_only_red_first_and_counted_by_light(world) -> None:
    ctx = world.ctx("zhang", now=at("2026-11-25 11:00"))  # the first deadline passed yesterday
    h = home(ctx)
    assert [v.title for v in h.mine] == ["逾期的任务", "临期的任务", "远期的任务"]
    assert [v.light.color for v in h.mine][:2] == ["red", "yellow"]
    assert h.mine_counts["red"] == 1 and sum(h.mine_counts.values()) == h.mine_total == 3


def test_closed_tasks_leave_the_home(world) -> None:
    tasks.cancel(world.ctx("lin"), 3, "不再需要")
    assert [v.id for v in home(world.ctx("zhang")).mine] == [1, 2]


def test_lists_are_capped_but_counted_in_full(world) -> None:
    h = home(world.ctx("zhang"), tasks=2)
    assert len(h.mine) == 2 and h.mine_total == 3


def test_a_lead_sees_extension_requests_and_done_reports_in_forces_they_lead(world) -> None:
    tasks.request_extension(world.ctx("zhang"), 2, d("2026-12-15"), "等待接口")
    tasks.request_done(world.ctx("wang"), 4, "已完成")
    lead = home(world.ctx("lin"))
    assert {v.id for v in lead.approvals} == {2, 4} and lead.approvals_total == 2
    assert lead.approvals[0].viewer_is_lead
    assert home(world.ctx("zhang")).approvals_total == 0  # a member decides nothing
    assert home(world.ctx("lin"), approvals=1).approvals_total == 2


def test_my_task_forces_count_their_live_tasks_per_light(world) -> None:
    ctx = world.ctx("wang", now=at("2026-11-25 11:00"))
    (force,) = home(ctx).forces
    assert (force.name, force.lead, force.total) == (FORCE, False, 4)
    assert force.counts["red"] == 1
    cards = tasks.force_tasks(ctx, forces.find_force(ctx, FORCE), live_only=True)
    assert force.counts == {c: sum(1 for v in cards if v.light.color == c) for c in ("red", "yellow", "green", "grey")}
    assert home(world.ctx("lin")).forces[0].lead


def test_another_workspace_sees_none_of_it(engine, world) -> None:
    other = World(world.session, NOW, team="T2")
    other.person("zhang")
    h = home(other.ctx("zhang"))
    assert (h.mine_total, h.approvals_total, h.forces_total) == (0, 0, 0)
