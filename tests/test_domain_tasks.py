"""Task rules: permissions, the extension / close-out cycle, history, and refusals that write nothing."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from models import forces, org, tasks
from models.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from models.org import PersonRef
from models.tables import AuditEvent, ExtensionRequest, Outbox, Task
from tests.conftest import at
from tests.factories import d, standard_world

NOW = at("2026-11-23 10:00")  # a Monday


@pytest.fixture
def world(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, NOW)
        s.commit()
        yield w


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_first_person_in_a_workspace_becomes_admin(world):
    assert "admin" in org.roles_of(world.session, world.people["root"])
    assert "admin" not in org.roles_of(world.session, world.people["zhang"])


def test_member_creates_own_task_and_lead_is_not_needed(world):
    t = world.task("zhang", "编制数据目录", due=d("2026-12-31"), force="数据共享专班")
    assert t.owner_id == world.people["zhang"].id
    assert t.baseline_due == t.due == d("2026-12-31")
    assert t.status == "todo"


def test_member_cannot_assign_a_task_to_someone_else(world):
    with pytest.raises(PermissionDenied) as e:
        world.task("zhang", "x", due=d("2026-12-31"), owner="wang", force="数据共享专班")
    assert "本专班负责人" in e.value.render("zh")
    assert "lead of this task force" in e.value.render("en")


def test_deadline_in_the_past_is_refused_with_today(world):
    with pytest.raises(InvalidInput) as e:
        world.task("lin", "x", due=d("2026-11-20"), owner="zhang", force="数据共享专班")
    assert "2026年11月20日" in e.value.render("zh") and "2026年11月23日" in e.value.render("zh")
    assert "Fri 20 Nov 2026" in e.value.render("en")


def test_extension_approved_moves_deadline_and_keeps_baseline(world):
    t = world.task("lin", "接口联调", due=d("2026-12-10"), owner="zhang", force="数据共享专班")
    tasks.request_extension(world.ctx("zhang"), t.id, d("2026-12-24"), "对方系统升级")
    assert t.due == d("2026-12-10")
    with pytest.raises(PermissionDenied):
        tasks.decide_extension(world.ctx("zhang"), t.id, approve=True)
    tasks.decide_extension(world.ctx("lin"), t.id, approve=True)
    assert t.due == d("2026-12-24") and t.baseline_due == d("2026-12-10")
    req = world.session.exec(select(ExtensionRequest)).one()
    assert req.status == "approved" and req.decided_by_id == world.people["lin"].id
    card = tasks.show(world.ctx("zhang"), t.id)
    assert card.moved and card.baseline_due == d("2026-12-10")


def test_extension_rejected_needs_reason_and_keeps_deadline(world):
    t = world.task("lin", "接口联调", due=d("2026-12-10"), owner="zhang", force="数据共享专班")
    tasks.request_extension(world.ctx("zhang"), t.id, d("2026-12-24"), "对方系统升级")
    with pytest.raises(InvalidInput):
        tasks.decide_extension(world.ctx("lin"), t.id, approve=False, reason=" ")
    tasks.decide_extension(world.ctx("lin"), t.id, approve=False, reason="不符合要求")
    assert t.due == d("2026-12-10")


def test_second_pending_extension_is_refused(world):
    t = world.task("lin", "接口联调", due=d("2026-12-10"), owner="zhang", force="数据共享专班")
    tasks.request_extension(world.ctx("zhang"), t.id, d("2026-12-24"), "a")
    with pytest.raises(Conflict):
        tasks.request_extension(world.ctx("zhang"), t.id, d("2026-12-28"), "b")


def test_extension_must_be_later_than_current_deadline(world):
    t = world.task("lin", "接口联调", due=d("2026-12-10"), owner="zhang", force="数据共享专班")
    with pytest.raises(InvalidInput):
        tasks.request_extension(world.ctx("zhang"), t.id, d("2026-12-01"), "a")


def test_done_is_requested_by_owner_and_verified_by_lead(world):
    t = world.task("lin", "目录上架", due=d("2026-12-10"), owner="zhang", force="数据共享专班")
    tasks.progress(world.ctx("zhang"), t.id, 60, "过半")
    assert t.status == "active" and t.progress == 60
    tasks.request_done(world.ctx("zhang"), t.id, "已上架")
    assert t.status == "done_requested"
    with pytest.raises(PermissionDenied):
        tasks.verify(world.ctx("zhang"), t.id)
    tasks.verify(world.ctx("lin"), t.id)
    assert t.status == "done" and t.verified_by_id == world.people["lin"].id


def test_lead_reopens_a_done_report_with_reason(world):
    t = world.task("lin", "目录上架", due=d("2026-12-10"), owner="zhang", force="数据共享专班")
    tasks.request_done(world.ctx("zhang"), t.id)
    tasks.reopen(world.ctx("lin"), t.id, "缺少验收材料")
    assert t.status == "active"


def test_progress_outside_range_is_refused(world):
    t = world.task("zhang", "x", due=d("2026-12-10"), force="数据共享专班")
    for bad in (-1, 101):
        with pytest.raises(InvalidInput):
            tasks.progress(world.ctx("zhang"), t.id, bad)


def test_other_member_cannot_report_progress_on_my_task(world):
    t = world.task("zhang", "x", due=d("2026-12-10"), force="数据共享专班")
    with pytest.raises(PermissionDenied) as e:
        tasks.progress(world.ctx("wang"), t.id, 10)
    assert "责任人" in e.value.render("zh")


def test_block_and_unblock_tell_the_lead(world):
    t = world.task("zhang", "x", due=d("2026-12-10"), force="数据共享专班")
    tasks.block(world.ctx("zhang"), t.id, "等待省大数据局接口")
    assert t.status == "blocked"
    lead_msgs = world.session.exec(select(Outbox).where(Outbox.person_id == world.people["lin"].id)).all()
    assert any("受阻" in m.text for m in lead_msgs)
    tasks.unblock(world.ctx("zhang"), t.id)
    assert t.status == "active" and t.blocked_reason is None


def test_assign_moves_owner_and_adds_them_to_the_force(world):
    world.person("zhao")
    t = world.task("lin", "x", due=d("2026-12-10"), owner="zhang", force="数据共享专班")
    tasks.assign(world.ctx("lin"), t.id, PersonRef(name="zhao"))
    assert t.owner_id == world.people["zhao"].id
    f = forces.find_force(world.ctx("lin"), "数据共享专班")
    assert forces.membership(world.ctx("lin"), f, world.people["zhao"]) is not None


def test_sub_task_cannot_outlive_its_parent(world):
    parent = world.task("lin", "总任务", due=d("2026-12-10"), owner="zhang", force="数据共享专班")
    child = world.task("zhang", "子任务", due=d("2026-12-05"), parent_id=parent.id)
    assert child.parent_id == parent.id and child.force_id == parent.force_id
    with pytest.raises(InvalidInput):
        world.task("zhang", "晚的子任务", due=d("2026-12-20"), parent_id=parent.id)


def test_time_nodes_must_fall_before_the_deadline(world):
    t = world.task("zhang", "x", due=d("2026-12-10"), force="数据共享专班")
    n = tasks.add_node(world.ctx("zhang"), t.id, d("2026-12-01"), "初稿")
    assert n.no == 1
    with pytest.raises(InvalidInput):
        tasks.add_node(world.ctx("zhang"), t.id, d("2026-12-20"), "太晚")
    tasks.complete_node(world.ctx("zhang"), t.id, 1)
    with pytest.raises(Conflict):
        tasks.complete_node(world.ctx("zhang"), t.id, 1)
    with pytest.raises(NotFound):
        tasks.complete_node(world.ctx("zhang"), t.id, 9)


def test_every_change_is_in_the_history_with_who(world):
    t = world.task("lin", "x", due=d("2026-12-10"), owner="zhang", force="数据共享专班")
    tasks.progress(world.ctx("zhang"), t.id, 30, "开始")
    tasks.request_extension(world.ctx("zhang"), t.id, d("2026-12-20"), "需要更多时间")
    tasks.decide_extension(world.ctx("lin"), t.id, approve=True)
    lines = tasks.history(world.ctx("zhang"), t.id)
    assert [(line.actor, line.action) for line in lines] == [
        ("lin", "task.created"), ("zhang", "task.progress"), ("zhang", "task.extension_requested"),
        ("lin", "task.extension_approved"),
    ]


def test_cancel_is_for_leads_and_needs_reason(world):
    t = world.task("zhang", "x", due=d("2026-12-10"), force="数据共享专班")
    with pytest.raises(PermissionDenied):
        tasks.cancel(world.ctx("zhang"), t.id, "不做了")
    tasks.cancel(world.ctx("lin"), t.id, "合并到 #1")
    assert t.status == "cancelled"
    with pytest.raises(Conflict):
        tasks.progress(world.ctx("zhang"), t.id, 10)


def test_list_puts_red_first(world):
    a = world.task("lin", "later", due=d("2026-12-31"), owner="zhang", force="数据共享专班")
    b = world.task("lin", "soon", due=d("2026-11-24"), owner="zhang", force="数据共享专班")
    later = at("2026-11-26 10:00")
    listing = tasks.list_tasks(world.ctx("zhang", now=later))
    assert [v.id for v in listing] == [b.id, a.id]
    assert listing[0].light.color == "red"


def test_workspaces_never_mix(world, engine):
    t = world.task("zhang", "x", due=d("2026-12-10"), force="数据共享专班")
    from tests.factories import World

    other = World(world.session, NOW, team="T2")
    other.person("zhang")
    with pytest.raises(NotFound):
        tasks.show(other.ctx("zhang"), t.id)


def test_force_remove_refuses_last_lead(world):
    with pytest.raises(Conflict):
        forces.force_remove(world.ctx("lin"), [PersonRef(name="lin")], force_name="数据共享专班")


def test_role_set_needs_admin_and_names_the_role(world):
    with pytest.raises(PermissionDenied) as e:
        org.role_set(world.session, world.people["lin"], world.ws, PersonRef(name="zhang"), "lead", now=NOW)
    assert "管理员" in e.value.render("zh")


def test_leader_chain_refuses_a_loop(world):
    org.set_reports_to(world.session, world.people["root"], world.ws, PersonRef(name="zhang"), PersonRef(name="lin"), now=NOW)
    org.set_reports_to(world.session, world.people["root"], world.ws, PersonRef(name="lin"), PersonRef(name="boss"), now=NOW)
    assert [p.name for p in org.leader_chain(world.session, world.people["zhang"])] == ["lin", "boss"]
    with pytest.raises(InvalidInput):
        org.set_reports_to(world.session, world.people["root"], world.ws, PersonRef(name="boss"), PersonRef(name="zhang"), now=NOW)


def test_audit_rows_accompany_changes(world):
    before = count(world.session, AuditEvent)
    t = world.task("zhang", "x", due=d("2026-12-10"), force="数据共享专班")
    tasks.progress(world.ctx("zhang"), t.id, 10)
    assert count(world.session, AuditEvent) == before + 2
    assert count(world.session, Task) == 1


def test_a_late_evening_assignment_waits_for_the_working_morning_unless_urgent(world):
    late = at("2026-11-27 22:30")  # a Friday night: the next working morning is Monday
    t = world.task("lin", "x", due=d("2026-12-31"), owner="zhang", force="数据共享专班", now=late)
    u = world.task("lin", "y", due=d("2026-12-31"), owner="zhang", force="数据共享专班", now=late, priority="high")
    rows = {r.task_id: r for r in world.session.exec(select(Outbox).where(Outbox.person_id == world.people["zhang"].id)).all()}
    assert rows[t.id].next_attempt_at == at("2026-11-30 08:00")
    assert rows[u.id].next_attempt_at == late


def test_co_owners_report_on_the_task_and_see_it_in_their_list(world):
    t = world.task("lin", "接口联调", due=d("2026-12-10"), owner="zhang", force="数据共享专班")
    with pytest.raises(PermissionDenied):
        tasks.progress(world.ctx("wang"), t.id, 10)
    tasks.set_co_owners(world.ctx("zhang"), t.id, [PersonRef(name="wang")])
    tasks.progress(world.ctx("wang"), t.id, 30, "协办进展")
    assert [v.id for v in tasks.list_tasks(world.ctx("wang"))] == [t.id]
    with pytest.raises(Conflict):
        tasks.set_co_owners(world.ctx("zhang"), t.id, [PersonRef(name="zhang")])
    tasks.set_co_owners(world.ctx("lin"), t.id, [PersonRef(name="wang")], remove=True)
    with pytest.raises(PermissionDenied):
        tasks.progress(world.ctx("wang"), t.id, 40)


def _row_to(world, who: str, kind: str) -> Outbox:
    return world.session.exec(select(Outbox).where(Outbox.person_id == world.people[who].id, Outbox.kind == kind)).one()


def _verbs(row: Outbox) -> list[tuple[str, str]]:
    return [(a["action"], a["value"]) for a in row.blocks]


def test_an_extension_request_reaches_the_lead_with_approve_and_reject_and_the_commands(world):
    t = world.task("lin", "接口联调", due=d("2026-12-10"), owner="zhang", force="数据共享专班")
    tasks.request_extension(world.ctx("zhang"), t.id, d("2026-12-24"), "对方系统升级")
    row = _row_to(world, "lin", "approval")
    assert _verbs(row) == [("task.approve", str(t.id)), ("task.reject", str(t.id))]
    assert row.text.endswith(f"批准：/task approve {t.id} · 驳回：/task reject {t.id} <原因>")


def test_a_done_report_reaches_the_lead_with_verify_and_reopen_and_the_commands(world):
    t = world.task("lin", "接口联调", due=d("2026-12-10"), owner="zhang", force="数据共享专班")
    tasks.request_done(world.ctx("zhang"), t.id, "已上线")
    row = _row_to(world, "lin", "done_report")
    assert _verbs(row) == [("task.verify", str(t.id)), ("task.reopen", str(t.id))]
    assert row.text.endswith(f"销号：/task verify {t.id} · 退回：/task reopen {t.id} <原因>")


def test_an_assignment_and_a_co_ownership_offer_got_it_and_progress_in_the_readers_language(world):
    world.people["wang"].lang = "en"
    t = world.task("lin", "接口联调", due=d("2026-12-10"), owner="zhang", force="数据共享专班")
    created = _row_to(world, "zhang", "assigned")
    assert _verbs(created) == [("task.ack", str(t.id)), ("task.progress", str(t.id))]
    assert created.text.endswith(f"收到：/task ack {t.id} · 更新进展：/task progress {t.id} <n>%")
    tasks.assign(world.ctx("lin"), t.id, PersonRef(name="wang"))
    reassigned = _row_to(world, "wang", "assigned")
    assert [a["lang"] for a in reassigned.blocks] == ["en", "en"]
    assert reassigned.text.endswith(f"Got it: /task ack {t.id} · Update progress: /task progress {t.id} <n>%")
    tasks.set_co_owners(world.ctx("wang"), t.id, [PersonRef(name="zhang")])
    co = _row_to(world, "zhang", "co_owner")
    assert _verbs(co) == [("task.ack", str(t.id)), ("task.progress", str(t.id))]
    assert f"收到：/task ack {t.id}" in co.text
