"""Messages the bot starts on its own (digests, calls for topics, draft agendas, notices, channel
announcements) wait through quiet hours and days off for the next working morning."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from jobs.meetings import sweep_meetings
from jobs.registry import run_job
from models import forces, meetings, notices
from models.i18n import Msg
from models.tables import Outbox
from tests.conftest import TZ, at
from tests.factories import d, standard_world
from tests.outbox_fakes import Recorder


@pytest.fixture
def world(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, at("2026-09-28 10:00"))  # a Monday
        w.person("wu", "secretary")
        w.task("lin", "公安人口数据接入", due=d("2026-11-20"), owner="zhang", force="数据共享专班")
        s.commit()
        yield w


def rows(engine, kind: str) -> list[Outbox]:
    with Session(engine) as s:
        return list(s.exec(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id)).all())


def run(name: str, engine, sink: Recorder, now) -> dict:
    return run_job(name, engine, sink, now=now, tz=TZ, sleep=lambda _: None)


def test_a_digest_caught_up_at_2230_waits_for_the_next_working_morning(world, engine):
    sink = Recorder(min_interval=0)
    # Due Monday 09:00; the scheduler was down until 22:30. `guatu jobs run all --at …22:30`:
    assert run("all", engine, sink, at("2026-11-23 22:30"))["digests"] == 1
    [row] = rows(engine, "digest")
    assert row.next_attempt_at == at("2026-11-24 08:00") and row.status == "pending"
    assert not any("周报" in text for _, text in sink.sent)
    assert run("deliver", engine, sink, at("2026-11-24 07:59"))["deliver"]["sent"] == 0
    run("deliver", engine, sink, at("2026-11-24 08:00"))
    [row] = rows(engine, "digest")
    assert row.status == "sent" and [r for r, text in sink.sent if "周报" in text] == ["lin"]


def test_a_digest_follows_its_task_forces_own_quiet_hours(world, engine):
    forces.force_policy(world.ctx("lin"), {"quiet_start": 22}, force_name="数据共享专班")
    world.session.commit()
    assert run("digests", engine, Recorder(min_interval=0), at("2026-11-23 21:30"))["digests"] == 1
    [row] = rows(engine, "digest")
    assert row.status == "sent"  # quiet from 22:00 for this force: 21:30 is still working hours


def test_a_meeting_call_decided_on_a_saturday_waits_for_monday_morning(world, engine):
    m = meetings.new_meeting(world.ctx("wu"), "monthly", d("2026-12-15"))
    saturday = world.ctx("wu", now=at("2026-12-05 10:00"))
    assert meetings.call_for_topics(saturday, m, [world.people["lin"]]) == 1
    world.session.commit()
    [row] = rows(engine, "meeting")
    assert row.recipient == "lin" and row.next_attempt_at == at("2026-12-07 08:00")


def test_the_meeting_job_in_the_evening_defers_calls_and_drafts_to_the_morning(world, engine):
    m = meetings.new_meeting(world.ctx("wu"), "monthly", d("2026-12-15"))  # cut-off Fri 12-11
    world.session.commit()
    assert sweep_meetings(engine, at("2026-12-08 21:00"), tz=TZ) == 1
    [call] = rows(engine, "meeting")
    assert call.idempotency_key == f"meeting:{m.id}:call:{world.people['lin'].id}"
    assert call.next_attempt_at == at("2026-12-09 08:00")
    assert sweep_meetings(engine, at("2026-12-14 21:00"), tz=TZ) == 1  # the evening before the meeting
    draft = rows(engine, "meeting")[-1]
    assert draft.recipient == "wu" and draft.next_attempt_at == at("2026-12-15 08:00")


def test_a_draft_decided_on_the_meetings_evening_is_not_sent(world, engine):
    meetings.new_meeting(world.ctx("wu"), "monthly", d("2026-12-15"))
    world.session.commit()
    # It could only arrive the next morning, after the meeting.
    assert sweep_meetings(engine, at("2026-12-15 21:00"), tz=TZ) == 0
    assert rows(engine, "meeting") == []


def test_a_channel_announcement_made_at_2100_waits_and_an_urgent_one_goes_at_once(world, engine):
    evening = world.ctx("lin", now=at("2026-11-23 21:00"), channel="C-营商")
    force = forces.force_new(evening, "营商环境专班")
    forces.announce(evening, force, Msg("force.announce.closed", name=force.name), key="test:urgent", high=True)
    world.session.commit()
    created, urgent = [r for r in rows(engine, "announce") if r.recipient == "C-营商"]
    assert "营商环境专班" in created.text and created.next_attempt_at == at("2026-11-24 08:00")
    assert urgent.next_attempt_at == at("2026-11-23 21:00")
    sink = Recorder(min_interval=0)
    run("deliver", engine, sink, at("2026-11-23 21:00"))
    assert [text for r, text in sink.sent if r == "C-营商"] == [urgent.text]


def test_a_notice_sent_on_national_day_waits_for_the_next_working_day(world, engine):
    holiday = world.ctx("lin", now=at("2026-10-01 10:00"))  # 国庆: off until Wed 10-07
    notice = notices.send_notice(holiday, "节后第一天报送材料", "数据共享专班")
    world.session.commit()
    sent = rows(engine, "notice")
    assert sorted(r.recipient for r in sent) == ["wang", "zhang"]
    assert all(r.next_attempt_at == at("2026-10-08 08:00") for r in sent)
    sink = Recorder(min_interval=0)
    run("deliver", engine, sink, at("2026-10-01 10:00"))
    assert not any(f"{notice.id} 号" in text for _, text in sink.sent)
