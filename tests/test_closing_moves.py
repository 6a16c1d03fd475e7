"""Closing moves (结束专班, 移出成员, 销号) are refused while something is still open, say what and how to go on,
write nothing; with confirm / 确认 they go through, audited."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot import commands as C
from models import forces, tasks
from models.errors import Conflict
from models.org import PersonRef
from models.tables import AuditEvent, ForceMember, Outbox, Task, TaskForce
from tests.conftest import at
from tests.factories import d, standard_world
from tests.test_dispatch import NOW, say, snapshot, svc

F = "数据共享专班"


@pytest.fixture
def world(engine):
    with Session(engine, expire_on_commit=False) as s:
        yield standard_world(s, NOW)


def _audits(world, action: str) -> list[AuditEvent]:
    return list(world.session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_closing_a_force_with_live_tasks_is_refused_with_the_ids_then_confirmed_cancels_them(world):
    live = [world.task("lin", f"任务{i}", due=d("2026-12-31"), owner="zhang" if i % 2 else "wang", force=F)
            for i in range(7)]
    done = world.task("lin", "已完成", due=d("2026-12-31"), owner="zhang", force=F)
    tasks.verify(world.ctx("lin"), done.id)
    before = len(world.session.exec(select(AuditEvent)).all())
    with pytest.raises(Conflict) as e:
        forces.force_close(world.ctx("lin"), F)
    text = e.value.render("zh")
    assert "7 项在办任务" in text and f"#{live[0].id}" in text and f"#{live[4].id}" in text and f"#{live[5].id}" not in text
    assert f"/force close {F} confirm" in text and "/task cancel" in text and "/task assign" in text
    assert "7 live tasks" in e.value.render("en")
    assert len(world.session.exec(select(AuditEvent)).all()) == before
    assert world.session.exec(select(TaskForce).where(TaskForce.name == F)).one().status == "open"

    forces.force_close(world.ctx("lin"), F, confirm=True)
    statuses = {t.id: t.status for t in world.session.exec(select(Task)).all()}
    assert all(statuses[t.id] == "cancelled" for t in live) and statuses[done.id] == "done"
    assert all("已结束" in t.cancelled_reason for t in live)
    closed = _audits(world, "force.closed")
    assert len(closed) == 1 and sorted(closed[0].detail["cancelled"]) == sorted(t.id for t in live)
    assert len(_audits(world, "task.cancelled")) == 7
    # Each owner is told once, with their tasks listed.
    told = world.session.exec(select(Outbox).where(Outbox.idempotency_key.like("%cancelled_many%"))).all()
    assert sorted(r.person_id for r in told) == sorted([world.people["zhang"].id, world.people["wang"].id])


def test_closing_an_empty_force_needs_no_confirmation(world):
    forces.force_close(world.ctx("lin"), F)
    assert world.session.exec(select(TaskForce).where(TaskForce.name == F)).one().status == "closed"


def test_removing_a_member_who_owns_live_tasks_is_refused_then_confirmed_hands_them_to_the_lead(world):
    mine = [world.task("lin", f"任务{i}", due=d("2026-12-31"), owner="zhang", force=F) for i in range(2)]
    other = world.task("lin", "王的任务", due=d("2026-12-31"), owner="wang", force=F)
    with pytest.raises(Conflict) as e:
        forces.force_remove(world.ctx("lin"), [PersonRef(name="zhang")], force_name=F)
    text = e.value.render("zh")
    assert "zhang" in text and "2 项在办任务" in text and f"#{mine[0].id}" in text and "转由 lin 负责" in text
    assert f"/force remove @zhang force:{F} confirm" in text
    assert len(world.session.exec(select(ForceMember)).all()) == 3  # nothing removed

    forces.force_remove(world.ctx("lin"), [PersonRef(name="zhang")], force_name=F, confirm=True)
    owners = {t.id: t.owner_id for t in world.session.exec(select(Task)).all()}
    assert all(owners[t.id] == world.people["lin"].id for t in mine) and owners[other.id] == world.people["wang"].id
    assert forces.membership(world.ctx("lin"), world.session.get(TaskForce, mine[0].force_id), world.people["zhang"]) is None
    removed = _audits(world, "force.member_removed")
    assert removed[-1].detail["handed_over"] == [t.id for t in mine]
    assert sum(1 for a in _audits(world, "task.assigned") if a.detail.get("why") == "force.member_removed") == 2


def test_removing_a_member_without_live_tasks_needs_no_confirmation(world):
    forces.force_remove(world.ctx("lin"), [PersonRef(name="wang")], force_name=F)


def test_verifying_a_task_with_an_open_sub_task_or_node_is_refused_then_confirmed(world):
    parent = world.task("lin", "数据共享平台建设", due=d("2026-12-31"), owner="zhang", force=F,
                        nodes=[(d("2026-12-10"), "完成初稿"), (d("2026-12-20"), "完成评审")])
    sub = world.task("lin", "接口开发", due=d("2026-12-20"), owner="wang", force=F, parent_id=parent.id)
    tasks.complete_node(world.ctx("zhang"), parent.id, 1)
    with pytest.raises(Conflict) as e:
        tasks.verify(world.ctx("lin"), parent.id)
    text = e.value.render("zh")
    assert f"1 项子任务未完成（#{sub.id}）" in text and "1 个时间节点未完成（节点 2）" in text
    assert f"/task node {parent.id} done 2" in text and f"/task verify {parent.id} confirm" in text
    assert world.session.get(Task, parent.id).status == "todo"

    tasks.cancel(world.ctx("lin"), sub.id, "并入主任务")
    with pytest.raises(Conflict) as e:  # a cancelled sub-task is no longer open; the node still is
        tasks.verify(world.ctx("lin"), parent.id)
    assert "子任务" not in e.value.render("zh")
    tasks.verify(world.ctx("lin"), parent.id, confirm=True)
    assert world.session.get(Task, parent.id).status == "done"
    assert tasks.open_parts(world.ctx("lin"), world.session.get(Task, parent.id)) == ([], [])
    assert _audits(world, "task.verify_confirmed")[-1].detail == {"open_subtasks": [], "closed_nodes": [2]}


def test_a_leads_own_done_with_open_nodes_is_refused_too(world):
    t = world.task("lin", "x", due=d("2026-12-31"), force=F, nodes=[(d("2026-12-10"), "初稿")])
    with pytest.raises(Conflict):
        tasks.request_done(world.ctx("lin"), t.id)


@pytest.mark.parametrize("line,expected", [
    (f"/force close {F} confirm", C.ForceClose(force=F, confirm=True)),
    (f"/force 结束 {F} 确认", C.ForceClose(force=F, confirm=True)),
    (f"/force close force:{F} confirm", C.ForceClose(force=F, confirm=True)),
    (f"/force close {F}", C.ForceClose(force=F)),
    ("/force close 确认", C.ForceClose(confirm=True)),
    ("/force remove @zhang confirm", C.ForceRemoveMembers(users=[C.UserRef(name="zhang")], confirm=True)),
    ("/force 移出 @zhang 确认", C.ForceRemoveMembers(users=[C.UserRef(name="zhang")], confirm=True)),
    ("/task verify 12 confirm", C.TaskVerify(task_id=12, confirm=True)),
    ("/task 销号 #12 确认", C.TaskVerify(task_id=12, confirm=True)),
    ("/task verify 12", C.TaskVerify(task_id=12)),
])
def test_the_confirm_flag_parses_in_both_languages(line, expected):
    command, _, rest = line.partition(" ")
    assert C.parse(command, rest, today=d("2026-11-23"), calendar=None) == expected


def test_through_the_dispatcher_a_refused_close_writes_nothing_and_confirm_closes(svc, engine):
    for user in ("root", "lin", "zhang"):
        assert say(svc, user, "/guatu whoami").ok
    assert say(svc, "root", "/guatu role @lin lead").ok
    assert say(svc, "lin", f"/force new {F}").ok
    assert say(svc, "lin", "/task add 编制数据目录 @zhang due:12-31").ok
    before = snapshot(engine)
    reply = say(svc, "lin", f"/force close {F}")
    assert not reply.ok and "#1" in reply.text and "confirm" in reply.text
    assert snapshot(engine) == before
    reply = say(svc, "lin", f"/force 结束 {F} 确认", now=at("2026-11-23 11:00"))
    assert reply.ok, reply.text
    assert not say(svc, "zhang", "/task progress 1 10%").ok  # cancelled with the force
