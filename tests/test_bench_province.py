"""The bench's province (bench/province.py) has the shape it claims, and the app works on it."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlmodel import Session, select

from bench.common import load_province, save_province
from bench.province import TZ, Province, seed
from bot.dispatch import Caller, Service
from jobs.sweeps import sweep_escalations, sweep_nudges, sweep_reminders
from models import lights, org
from models.calendar import WorkCalendar
from models.policy import effective
from models.tables import Department, ExtensionRequest, Person, RoleGrant, Task, TaskForce, TimeNode

TODAY = date(2026, 11, 23)  # a Monday
DUE = 20


@pytest.fixture
def province(engine) -> Province:
    return seed(engine, tasks=2_000, today=TODAY, people=3_000, forces=120, due_each=DUE)


def test_departments_form_a_three_level_tree_of_about_a_hundred(engine, province) -> None:
    with Session(engine) as s:
        depts = {d.id: d for d in s.exec(select(Department)).all()}
    roots = [d for d in depts.values() if d.parent_id is None]
    assert len(roots) == 1 and province.departments[1] == [roots[0].id]
    assert all(depts[d].parent_id == roots[0].id for d in province.departments[2])
    assert all(depts[d].parent_id in province.departments[2] for d in province.departments[3])
    assert 80 <= len(depts) <= 120
    assert all(d.head_id is not None for d in depts.values())


def test_staff_report_through_chains_of_four_and_roles_are_granted(engine, province) -> None:
    with Session(engine) as s:
        clerk = s.exec(select(Person).where(Person.position == "科员")).first()
        assert clerk is not None
        chain = org.leader_chain(s, clerk)
        grants = Counter(s.exec(select(RoleGrant.role)).all())
    assert [p.position for p in chain][1:] == ["副厅长", "厅长"] and chain[0].position in ("处长", "局长")
    assert chain[-1].id == province.chief_id
    assert {"lead", "leader", "admin"} <= set(grants) and grants["leader"] == 6
    assert province.people == 3_000


def test_every_light_and_state_is_present_as_the_app_computes_them(engine, province) -> None:
    cal = WorkCalendar()
    with Session(engine) as s:
        policies = {f.id: effective(f.policy) for f in s.exec(select(TaskForce)).all()}
        nodes: dict[int, list[tuple[str, date]]] = {}
        for n in s.exec(select(TimeNode).where(TimeNode.done_at.is_(None))).all():  # type: ignore[union-attr]
            nodes.setdefault(n.task_id, []).append((n.name, n.due))
        all_tasks = s.exec(select(Task)).all()
        pending = s.exec(select(ExtensionRequest).where(ExtensionRequest.status == "pending")).all()
    colors: Counter[str] = Counter()
    for t in all_tasks:
        facts = lights.TaskFacts(status=t.status, progress=t.progress, start_date=t.start_date, due=t.due,
                                 created_at=t.created_at, last_progress_at=t.last_progress_at,
                                 open_nodes=tuple(nodes.get(t.id or 0, ())))
        colors[lights.compute(facts, now=province.now, tz=TZ, calendar=cal,
                              policy=policies[t.force_id or 0]).color] += 1
    assert set(colors) == {"grey", "green", "yellow", "red"}
    statuses = {t.status for t in all_tasks}
    assert {"todo", "active", "blocked", "done_requested", "done", "cancelled"} <= statuses
    assert pending, "some extension requests are pending"
    assert len(all_tasks) == 2_000 == sum(province.force_sizes.values())


def test_tasks_crowd_into_a_few_forces(province) -> None:
    ranked = [province.force_sizes[f] for f in province.force_ids]  # the seeder's rank order
    assert ranked[0] > 3 * ranked[len(ranked) // 2]


def test_each_sweep_finds_exactly_the_items_made_due_and_nothing_else(engine, province) -> None:
    assert sweep_reminders(engine, now=province.now) == DUE
    assert sweep_nudges(engine, now=province.now) == DUE
    assert sweep_escalations(engine, now=province.now) == DUE
    assert (len(province.due_reminders), len(province.due_silent), len(province.due_overdue)) == (DUE, DUE, DUE)
    assert sweep_reminders(engine, now=province.now) == 0
    assert sweep_escalations(engine, now=province.now) == 0


def test_the_apps_own_views_work_on_the_province(engine, province) -> None:
    service = Service(engine, tz=TZ, default_lang="zh")
    me = Caller(province.team_id, province.member_user, "C1", name="member")
    listed = service.handle(me, "/task", "list", now=province.now)
    assert listed.ok and any(v.id == province.member_task_id for v in listed.cards), listed.text
    progressed = service.handle(me, "/task", f"progress {province.member_task_id} 60% 按计划推进", now=province.now)
    assert progressed.ok, progressed.text
    with Session(engine) as s:
        task = s.get(Task, province.member_task_id)
        assert task is not None and task.progress == 60


def test_the_province_survives_a_round_trip_through_the_seeded_database(engine, province) -> None:
    from sqlalchemy import text

    from bench.common import MARK

    save_province(engine, province)
    try:
        again = load_province(engine)
        assert again == province
    finally:  # the bench's own table must not outlive the test: the migrations test compares schemas
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {MARK}"))
