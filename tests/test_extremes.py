"""Dates at the edges of the calendar (a legacy row due 9999-12-31, one due 0001-01-02) break no view and no job."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlmodel import Session

from bot.dispatch import Caller, Service
from jobs.registry import run_job
from models.tables import Task, TimeNode
from tests.conftest import TZ, at
from tests.outbox_fakes import Recorder

NOW = at("2026-11-23 10:00")


def say(svc: Service, user: str, line: str, *, now=NOW):
    command, _, rest = line.partition(" ")
    return svc.handle(Caller("T1", user, "C1", name=user), command, rest, now=now)


def test_a_row_due_at_the_edge_of_the_calendar_breaks_no_view_and_no_job(engine):
    svc = Service(engine, tz=TZ, default_lang="zh")
    for user in ("root", "lin", "zhang"):
        assert say(svc, user, "/guatu whoami").ok
    assert say(svc, "root", "/guatu role @lin lead").ok
    assert say(svc, "lin", "/force new 数据共享专班").ok
    assert say(svc, "lin", "/force add @zhang").ok
    for title in ("远期", "古老", "节点远期"):
        assert say(svc, "lin", f"/task add {title} @zhang due:12-31").ok
    assert say(svc, "lin", "/task node 3 12-30 初稿").ok
    # Rows written before dates were bounded (or by hand): the domain would refuse them today.
    with Session(engine) as s:
        s.execute(update(Task).where(Task.id == 1).values(due=date(9999, 12, 31), baseline_due=date(9999, 12, 31)))
        s.execute(update(Task).where(Task.id == 2).values(due=date(1, 1, 2), start_date=date(1, 1, 1)))
        s.execute(update(TimeNode).where(TimeNode.task_id == 3).values(due=date(9999, 12, 30)))
        s.commit()
    for who, line in (("zhang", "/task list"), ("lin", "/task list force:数据共享专班"), ("lin", "/task list overdue"),
                      ("zhang", "/task show 1"), ("zhang", "/task show 2"), ("zhang", "/task show 3"),
                      ("lin", "/force map"), ("lin", "/force digest"), ("lin", "/force export"),
                      ("zhang", "/task history 1"), ("lin", "/guatu rank")):
        reply = say(svc, who, line)
        assert reply.ok and "抱歉" not in reply.text, (line, reply.text[:300])
    for moment in ("2026-11-23 09:00", "2026-11-24 09:00", "2026-11-30 09:00"):
        result = run_job("all", engine, Recorder(min_interval=0), now=at(moment), tz=TZ, sleep=lambda _: None)
        assert all(isinstance(v, (int, dict)) for v in result.values()), result
