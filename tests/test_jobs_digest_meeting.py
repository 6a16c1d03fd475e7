"""The digest and meeting jobs: on the right mornings, once, and in each reader's language."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from jobs.digests import sweep_digests
from jobs.meetings import sweep_meetings
from models import meetings, org
from models.tables import Outbox
from tests.conftest import TZ, at
from tests.factories import d, standard_world


@pytest.fixture
def world(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, at("2026-11-16 10:00"))
        w.person("wu", "secretary")
        w.task("lin", "公安人口数据接入", due=d("2026-11-20"), owner="zhang", force="数据共享专班")
        s.commit()
        yield w


def outbox_rows(engine, kind: str) -> list[Outbox]:
    with Session(engine) as s:
        return list(s.exec(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id)).all())


def test_digest_goes_to_each_lead_once_on_the_first_working_morning(world, engine):
    assert sweep_digests(engine, at("2026-11-23 08:59"), tz=TZ) == 0  # Monday, before 09:00
    assert sweep_digests(engine, at("2026-11-23 09:00"), tz=TZ) == 1
    assert sweep_digests(engine, at("2026-11-23 09:15"), tz=TZ) == 0  # never twice
    assert sweep_digests(engine, at("2026-11-25 15:00"), tz=TZ) == 0
    [row] = outbox_rows(engine, "digest")
    assert row.recipient == "lin" and "周报" in row.text and "红灯 1 项" in row.text
    assert sweep_digests(engine, at("2026-11-30 09:00"), tz=TZ) == 1  # next week


def test_digest_waits_for_the_first_working_day_after_a_holiday_monday(world, engine):
    # 2026-10-05 (Mon) .. 10-07 are National Day holidays: the week's digest goes on Thu 10-08.
    assert sweep_digests(engine, at("2026-10-05 09:30"), tz=TZ) == 0
    assert sweep_digests(engine, at("2026-10-08 09:00"), tz=TZ) == 1


def test_digest_is_in_the_leads_language(world, engine):
    org.set_lang(world.session, world.people["lin"], "en", now=world.now)
    world.session.commit()
    sweep_digests(engine, at("2026-11-23 09:00"), tz=TZ)
    [row] = outbox_rows(engine, "digest")
    assert "Weekly digest" in row.text


def test_meeting_job_calls_for_topics_then_sends_the_draft_agenda(world, engine):
    m = meetings.new_meeting(world.ctx("wu"), "monthly", d("2026-12-15"))  # cut-off Fri 12-11
    world.session.commit()
    assert sweep_meetings(engine, at("2026-12-04 10:00"), tz=TZ) == 0  # too early to call
    assert sweep_meetings(engine, at("2026-12-08 10:00"), tz=TZ) == 1  # 3 working days before the cut-off
    assert sweep_meetings(engine, at("2026-12-09 10:00"), tz=TZ) == 0  # once
    calls = outbox_rows(engine, "meeting")
    assert [r.recipient for r in calls] == ["lin"] and f"/meeting propose {m.id}" in calls[0].text
    assert sweep_meetings(engine, at("2026-12-14 10:00"), tz=TZ) == 1  # after the cut-off: draft to the secretary
    draft = outbox_rows(engine, "meeting")[-1]
    assert draft.recipient == "wu" and "议程" in draft.text and "专班工作汇报" in draft.text
    assert sweep_meetings(engine, at("2026-12-14 16:00"), tz=TZ) == 0
    assert sweep_meetings(engine, at("2026-12-16 10:00"), tz=TZ) == 0  # after the meeting: nothing


def test_meeting_job_keeps_a_series_scheduled(world, engine):
    series, added = meetings.new_series(world.ctx("wu"), "monthly", 1, d("2026-12-10"))
    world.session.commit()
    assert len(added) == 2
    sweep_meetings(engine, at("2027-01-12 10:00"), tz=TZ)
    with Session(engine) as s:
        from models.tables import Meeting

        days = [m.day for m in s.exec(select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.day)).all()]
    assert len(days) == 4 and sum(day >= d("2027-01-12") for day in days) == 2  # two ahead, always
