"""Read within scope (issue 9 item 5): a leader reads what is below them, a secretary what their meetings cover,
and every list counts exactly what ``/task show`` would let the caller read."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from models import lists, permissions
from models.context import Ctx
from models.tables import (
    Decision,
    Department,
    EscalationState,
    EscalationStep,
    ForceMember,
    Meeting,
    Person,
    RoleGrant,
    Task,
    TaskCoOwner,
    TaskForce,
)
from tests.conftest import TZ, at
from tests.factories import World
from tests.test_dispatch import NOW, say, svc

T0 = at("2026-10-01 10:00")  # the organisation is built then; NOW (11-23) finds tasks due 10-20 overdue

# Who reads each task (admin root reads everything). Chains: la ← ma ← sa, lb ← sb; la heads 甲厅 and its 甲一处,
# lb heads 乙局. F1 (lead1: sa, sb), F2 (lead2: o2), F3 (lead3, nothing live: it reports at no meeting).
EXPECTED = {
    1: {"root", "lead1", "sa", "sb", "la", "sec"},  # sa's task in F1, owned by 甲一处
    2: {"root", "lead1", "sa", "sb", "lb", "sec"},  # sb's, 乙局
    3: {"root", "lead2", "o2", "la", "sec"},  # o2 reports to nobody, but 甲一处 owns it
    4: {"root", "lead2", "o2", "sec"},  # below no leader
    5: {"root", "lead3"},  # F3's only task, closed out: F3 reports at no meeting
    6: {"root", "xu", "sec"},  # a decision of sec's meeting, outside any force
}
PEOPLE = ("root", "la", "ma", "sa", "lb", "sb", "lead1", "lead2", "lead3", "o2", "sec", "sec2", "xu")
LIVE_IDS = {1, 2, 3, 4, 6}
OVERDUE_IDS = {1, 3}


@pytest.fixture
def world(svc):
    def ok(user, line, channel="C0"):
        reply = say(svc, user, line, channel=channel, now=T0)
        assert reply.ok, f"{line}: {reply.text}"

    for user in PEOPLE:
        ok(user, "/guatu whoami")
    for user, role in (("la", "leader"), ("lb", "leader"), ("lead1", "lead"), ("lead2", "lead"), ("lead3", "lead"),
                       ("sec", "secretary"), ("sec2", "secretary")):
        ok("root", f"/guatu role @{user} {role}")
    for line in ("/guatu role @ma reports-to:@la", "/guatu role @sa reports-to:@ma", "/guatu role @sb reports-to:@lb",
                 "/guatu dept add 甲厅 head:@la", "/guatu dept add 甲一处 parent:甲厅", "/guatu dept add 乙局 head:@lb"):
        ok("root", line)
    ok("lead1", "/force new 一专班", "C1")
    ok("lead1", "/force add @sa @sb", "C1")
    ok("lead2", "/force new 二专班", "C2")
    ok("lead2", "/force add @o2", "C2")
    ok("lead3", "/force new 三专班", "C3")
    ok("lead1", "/task add 一号任务 @sa due:10-20 dept:甲一处", "C1")
    ok("lead1", "/task add 二号任务 @sb due:12-20 dept:乙局", "C1")
    ok("lead2", "/task add 三号任务 @o2 due:10-20 dept:甲一处", "C2")
    ok("lead2", "/task add 四号任务 @o2 due:12-20", "C2")
    ok("lead3", "/task add 五号任务 due:12-20", "C3")
    ok("lead3", "/task done 5", "C3")  # a lead's own done verifies at once
    ok("sec", "/meeting new 例会 12-15")
    ok("sec", "/meeting decide 1 完成目录 @xu due:12-31")
    return svc


def _ids(text: str) -> set[int]:
    return {int(i) for i in re.findall(r"#(\d+)", text)}


def test_every_person_reads_exactly_their_scope_in_show_history_and_every_list(world):
    leaks, missing = [], []
    for user in PEOPLE:
        for task_id, readers in EXPECTED.items():
            for op in ("show", "history"):
                got = say(world, user, f"/task {op} {task_id}").ok
                if got and user not in readers:
                    leaks.append((user, task_id, op))
                if not got and user in readers:
                    missing.append((user, task_id, op))
        mine = {tid for tid, readers in EXPECTED.items() if user in readers}
        lists_ = {"list all": ("/task list all", mine & LIVE_IDS), "list overdue": ("/task list overdue",
                                                                                     mine & OVERDUE_IDS)}
        for owner, owned in (("sa", {1}), ("sb", {2}), ("o2", {3, 4}), ("xu", {6}), ("lead3", set())):
            lists_[f"list @{owner}"] = (f"/task list @{owner}", mine & owned)
        for op, (line, want) in lists_.items():
            reply = say(world, user, line)
            assert reply.ok, f"{user}: {line}: {reply.text}"
            got = _ids(reply.text) & set(EXPECTED)
            leaks += [(user, t, op) for t in got - want]
            missing += [(user, t, op) for t in want - got]
    print(f"read leaks: {len(leaks)}, missing: {len(missing)}")
    assert leaks == [] and missing == []


def test_a_leader_outside_a_force_lists_only_what_is_below_them_in_it(world):
    reply = say(world, "lb", "/task list force:一专班")
    assert reply.ok, reply.text
    assert _ids(reply.text) & set(EXPECTED) == {2}


# ---------------------------------------------------------------- the SQL twin equals the predicate


def _generated_org(session: Session, seed: int) -> World:
    """A random organisation: leader chains and department trees (with a cycle), forces, co-owners, meetings,
    decisions and 督办 recipients, all as rows."""
    rng = random.Random(seed)
    w = World(session, NOW)
    w.person("root")
    people = [w.person(f"p{i}") for i in range(30)]
    for p in people:
        if rng.random() < 0.7:
            p.reports_to_id = rng.choice(people).id  # cycles too: the walk must stop
    for p in rng.sample(people, 8):
        session.add(RoleGrant(workspace_id=w.ws.id, person_id=p.id, role=rng.choice(("leader", "secretary")),
                              created_at=NOW))
    depts = []
    for i in range(12):
        d = Department(workspace_id=w.ws.id, name=f"单位{i}", parent_id=rng.choice(depts).id if depts and rng.random() < 0.7
                       else None, head_id=rng.choice(people).id if rng.random() < 0.5 else None, created_at=NOW)
        session.add(d)
        session.flush()
        depts.append(d)
    forces_ = []
    for i in range(5):
        f = TaskForce(workspace_id=w.ws.id, name=f"专班{i}", status=rng.choice(("open", "open", "closed")),
                      created_by_id=people[0].id, created_at=NOW)
        session.add(f)
        session.flush()
        for p in rng.sample(people, 5):
            session.add(ForceMember(force_id=f.id, person_id=p.id, is_lead=rng.random() < 0.3, joined_at=NOW))
        forces_.append(f)
    tasks_ = []
    for i in range(60):
        t = Task(workspace_id=w.ws.id, force_id=rng.choice(forces_).id if rng.random() < 0.8 else None,
                 title=f"任务{i}", owner_id=rng.choice(people).id, created_by_id=rng.choice(people).id,
                 department_id=rng.choice(depts).id if rng.random() < 0.6 else None,
                 status=rng.choice(("todo", "active", "blocked", "done_requested", "verified")),
                 start_date=NOW.date(), baseline_due=NOW.date() + timedelta(days=9),
                 due=NOW.date() + timedelta(days=rng.randint(-20, 40)), created_at=NOW, updated_at=NOW)
        session.add(t)
        session.flush()
        tasks_.append(t)
    for t in rng.sample(tasks_, 10):
        co = rng.choice(people)
        if co.id != t.owner_id:
            session.add(TaskCoOwner(task_id=t.id, person_id=co.id))
    for i in range(3):
        m = Meeting(workspace_id=w.ws.id, kind="other", title=f"会{i}", day=NOW.date() + timedelta(days=i),
                    cutoff=NOW.date(), chair_id=rng.choice(people).id, created_by_id=rng.choice(people).id,
                    created_at=NOW)
        session.add(m)
        session.flush()
        for t in rng.sample(tasks_, 3):
            session.add(Decision(meeting_id=m.id, text="议定", owner_id=t.owner_id, due=t.due, task_id=t.id,
                                 created_at=NOW))
    for t in rng.sample(tasks_, 8):
        st = EscalationState(workspace_id=w.ws.id, task_id=t.id, episode=1, due=t.due, anchor=t.due, created_at=NOW)
        session.add(st)
        session.flush()
        session.add(EscalationStep(workspace_id=w.ws.id, state_id=st.id, task_id=t.id, level=0,
                                   recipients=[p.id for p in rng.sample(people, 3)], created_at=NOW))
    session.flush()
    return w


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_lists_sql_equals_the_permission_predicate_on_a_generated_organisation(engine, seed):
    with Session(engine) as session:
        w = _generated_org(session, seed)
        live = session.exec(select(Task).where(Task.workspace_id == w.ws.id, Task.status.in_(lists.LIVE))).all()
        readers_seen = 0
        for person in session.exec(select(Person).where(Person.workspace_id == w.ws.id)).all():
            ctx = Ctx(session, w.ws, person, NOW, tz=TZ)
            python = {t.id for t in live if permissions.allowed(session, person, "task.show", task=t)}
            sql = {x.id for x in lists.lit(ctx, *lists.task_scope(ctx, "all"))}
            assert sql == python, (person.name, sorted(sql - python), sorted(python - sql))
            readers_seen += bool(python)
        assert readers_seen > 5


def test_an_owner_names_co_owners_among_members_and_only_the_lead_brings_in_strangers(world, engine):
    from tests.test_dispatch import snapshot

    before = snapshot(engine)
    reply = say(world, "sa", "/task coowner 1 @xu")
    assert not reply.ok and "需要先由专班负责人把 xu 加入专班" in reply.text, reply.text
    assert snapshot(engine) == before
    assert say(world, "sa", "/task coowner 1 @sb").ok  # already a member of 一专班
    assert say(world, "lead1", "/task coowner 1 @xu").ok  # the lead may name anyone: they join the force
    assert say(world, "xu", "/task list force:一专班").ok
