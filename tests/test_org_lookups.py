"""The organisation's lookups the surfaces ask for instead of writing SQL: each stays inside one workspace."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from models import forces, org
from tests.conftest import at
from tests.factories import World, standard_world

NOW = at("2026-11-23 10:00")


@pytest.fixture
def two(engine):
    """T1's standard world, and T2 with people of the same names and a task force of the same name."""
    with Session(engine, expire_on_commit=False) as s:
        one = standard_world(s, NOW)
        other = World(s, NOW, team="T2")
        other.person("root2")
        other.person("lin", "lead")
        other.person("zhang")
        other.force("数据共享专班", "lin", "zhang")
        s.commit()
        yield s, one, other


def test_people_matching_finds_by_chat_id_email_or_name_in_that_workspace_only(two) -> None:
    s, one, other = two
    assert org.people_matching(s, one.ws, "zhang") == [one.people["zhang"]]
    assert org.people_matching(s, other.ws, "zhang") == [other.people["zhang"]]
    one.people["wang"].email = "wang@zj.gov.cn"
    assert org.people_matching(s, one.ws, "WANG@zj.gov.cn") == [one.people["wang"]]
    assert org.people_matching(s, other.ws, "wang") == []


def test_people_matching_returns_two_when_a_name_is_ambiguous(two) -> None:
    s, one, _ = two
    twin = one.person("twin")
    twin.name = "张伟"
    one.people["zhang"].name = "张伟"
    assert len(org.people_matching(s, one.ws, "张伟")) == 2


def test_task_forces_by_name_are_scoped_to_a_workspace_unless_asked_across_all(two) -> None:
    s, one, other = two
    assert [f.workspace_id for f in forces.named(s, "数据共享专班", workspace_id=one.ws.id)] == [one.ws.id]
    assert [f.workspace_id for f in forces.named(s, "数据共享专班", workspace_id=other.ws.id)] == [other.ws.id]
    assert len(forces.named(s, "数据共享专班", workspace_id=None)) == 2
    assert forces.named(s, "没有这个专班", workspace_id=one.ws.id) == []


def test_a_teams_calendar_and_stored_names_never_create_a_workspace(two) -> None:
    s, one, _ = two
    admin = one.people["root"]
    org.calendar_set(s, admin, one.ws, date(2026, 12, 5), True, "调休", now=NOW)
    assert org.team_calendar(s, "T1").is_working_day(date(2026, 12, 5))
    assert not org.team_calendar(s, "T-new").is_working_day(date(2026, 12, 5))
    assert org.stored_name(s, "T1", "lin") == "lin" and org.stored_name(s, "T-new", "lin") is None
    assert org.workspace_of(s, "T-new") is None


def test_marking_a_platform_creates_the_workspace_once_and_keeps_its_row(two) -> None:
    s, one, _ = two
    assert org.mark_platform(s, "T1", "dingtalk").id == one.ws.id and one.ws.platform == "dingtalk"
    fresh = org.mark_platform(s, "T-dt", "dingtalk")
    assert fresh.platform == "dingtalk" and org.workspace_of(s, "T-dt") == fresh
