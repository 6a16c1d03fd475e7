"""`guatu seed --demo` gives a newcomer a task force with tasks in every light, once."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.console import CONSOLE_TEAM
from bot.seed import FORCE, seed_demo
from models import tasks
from models.context import Ctx
from models.forces import find_force
from models.tables import Person, Workspace
from tests.conftest import TZ, at


def test_demo_has_every_light_and_refuses_a_second_run(engine):
    now = at("2026-11-23 10:00")
    assert "Loaded the demo" in seed_demo(engine, tz=TZ, now=now)
    with Session(engine) as s:
        ws = s.exec(select(Workspace).where(Workspace.team_id == CONSOLE_TEAM)).one()
        lead = s.exec(select(Person).where(Person.chat_user_id == "linfang")).one()
        ctx = Ctx(s, ws, lead, now, tz=TZ)
        views = tasks.force_tasks(ctx, find_force(ctx, FORCE), live_only=True)
        assert {v.light.color for v in views} == {"red", "yellow", "green", "grey"}
        assert any(v.pending_extension for v in views) and any(v.moved for v in views)
    assert "already has people" in seed_demo(engine, tz=TZ, now=now)
