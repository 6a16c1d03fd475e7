"""The ack path reads a bounded number of statements, however many tasks the workspace holds.

Counted, never timed: ``/task progress`` and ``/task list`` through the Service, at 300 and at 600 tasks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot.dispatch import Caller, Service
from models import home as home_module
from models import org
from models.context import Ctx
from models.home import home
from models.tables import AuditEvent, Person, ProgressUpdate, Task
from tests.conftest import TZ, at
from tests.factories import standard_world

NOW = at("2026-11-23 10:00")  # a Monday
FORCE = "数据共享专班"
OWNER = "owner1"
# What the two commands read and write today (statements, not counting BEGIN/COMMIT): 16 and 16 at 1M tasks too.
PROGRESS_MAX = 16
LIST_MAX = 16


@contextmanager
def counted(engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(conn, cursor, statement, params, context, executemany) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def world(engine, tasks: int):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, NOW)
        w.bulk_tasks(FORCE, tasks, by="lin")
        s.commit()
        return w


def _owned_task(engine) -> int:
    with Session(engine) as s:
        owner = s.exec(select(Person.id).where(Person.chat_user_id == OWNER)).first()
        return s.exec(select(Task.id).where(Task.owner_id == owner).order_by(Task.id)).first()


def _say(svc: Service, line: str):
    command, _, rest = line.partition(" ")
    return svc.handle(Caller("T1", OWNER, "C1", name=OWNER), command, rest, now=NOW)


@pytest.mark.parametrize("tasks", [300, 600])
def test_task_progress_and_list_read_a_bounded_number_of_statements(engine, tasks) -> None:
    world(engine, tasks)
    task_id = _owned_task(engine)
    svc = Service(engine, tz=TZ, default_lang="zh")
    assert _say(svc, f"/task progress {task_id} 10%").ok  # the first contact (and the process's first calendar)
    with counted(engine) as seen:
        reply = _say(svc, f"/task progress {task_id} 20%")
    assert reply.ok and reply.cards[0].progress == 20
    assert len(seen) <= PROGRESS_MAX, "\n".join(seen)
    with counted(engine) as seen:
        reply = _say(svc, "/task list")
    assert reply.ok and reply.cards
    assert len(seen) <= LIST_MAX, "\n".join(seen)


def test_the_progress_its_report_and_its_audit_row_are_written_together(engine) -> None:
    world(engine, 300)
    task_id = _owned_task(engine)
    svc = Service(engine, tz=TZ, default_lang="zh")
    assert _say(svc, f"/task progress {task_id} 35%").ok
    with Session(engine) as s:
        assert s.get(Task, task_id).progress == 35
        assert s.exec(select(ProgressUpdate).where(ProgressUpdate.task_id == task_id, ProgressUpdate.percent == 35)).one()
        assert s.exec(select(AuditEvent).where(AuditEvent.entity_id == task_id, AuditEvent.action == "task.progress")).one()


def test_a_requests_calendar_is_shared_while_the_overrides_are_the_same_and_new_once_they_change(engine) -> None:
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, NOW)
        s.commit()
        first = w.ctx("lin").calendar
        assert Ctx(s, w.ws, w.people["lin"], NOW, tz=TZ).calendar is first
        admin = next(p for p in w.people.values() if "admin" in org.roles_of(s, p))
        org.calendar_set(s, admin, w.ws, dt.date(2026, 11, 28), True, "调休上班", now=NOW)
        s.flush()
        changed = Ctx(s, w.ws, w.people["lin"], NOW, tz=TZ).calendar
        assert changed is not first and changed.is_working_day(dt.date(2026, 11, 28))
        assert not first.is_working_day(dt.date(2026, 11, 28))  # a Saturday, in the calendar built before


def test_remembered_force_lights_follow_a_change(engine) -> None:
    world(engine, 300)
    task_id = _owned_task(engine)
    svc = Service(engine, tz=TZ, default_lang="zh")
    with Session(engine) as s:
        ws = org.get_or_create_workspace(s, "T1")
        lin = org.ensure_person(s, ws, "lin", now=NOW)
        before = home(Ctx(s, ws, lin, NOW, tz=TZ)).forces
    assert home_module._LIGHTS  # remembered
    assert _say(svc, f"/task done {task_id}").ok  # reported done: green (awaiting verification) whatever it was
    with Session(engine) as s:
        ws = org.get_or_create_workspace(s, "T1")
        lin = org.ensure_person(s, ws, "lin", now=NOW)
        after = home(Ctx(s, ws, lin, NOW, tz=TZ)).forces
        home_module._LIGHTS.clear()
        fresh = home(Ctx(s, ws, lin, NOW, tz=TZ)).forces
    assert after == fresh  # what is remembered never differs from a fresh computation
    assert sum(f.total for f in before) == sum(f.total for f in after)
