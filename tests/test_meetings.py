"""Meetings: series, topics before a cut-off, an agenda from live data, decisions that become tasks."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlmodel import Session

from models import meetings, tasks
from models.errors import PermissionDenied
from models.org import PersonRef
from present import agenda as agenda_text
from present import ics, minutes
from tests.conftest import at
from tests.factories import d, standard_world

NOW = at("2026-11-23 10:00")


@pytest.fixture
def world(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, NOW)
        w.person("wu", "secretary")
        yield w


def test_only_secretaries_schedule_meetings(world):
    with pytest.raises(PermissionDenied) as e:
        meetings.new_meeting(world.ctx("zhang"), "monthly", d("2026-12-15"))
    assert "秘书" in e.value.render("zh")


def test_series_schedules_the_next_meetings_on_working_days(world):
    # Every two months from 2026-12-05 (a Saturday): moved to Monday 12-07; then 2027-02-05,
    # which falls in the 2027 Spring Festival as the calendar knows it, so the next working day.
    series, added = meetings.new_series(world.ctx("wu"), "thematic", 2, d("2026-12-05"))
    cal = world.ctx("wu").calendar
    assert [m.day for m in added] == [date(2026, 12, 7), cal.next_working_day(date(2027, 2, 5), include_self=True)]
    assert added[0].cutoff == date(2026, 12, 3)  # two working days before
    # Idempotent, and it rolls forward once the first one is past.
    assert meetings.ensure_occurrences(world.ctx("wu"), series) == []
    later = meetings.ensure_occurrences(world.ctx("wu", now=at("2026-12-08 10:00")), series)
    assert [m.day for m in later] == [cal.next_working_day(date(2027, 4, 5), include_self=True)]  # 清明 2027-04-05


def test_topics_after_the_cutoff_are_marked_late(world):
    m = meetings.new_meeting(world.ctx("wu"), "monthly", d("2026-12-15"), at=time(14, 30))
    on_time = meetings.propose(world.ctx("zhang"), m.id, "公共数据授权运营试点", length=15)
    late = meetings.propose(world.ctx("wang", now=at("2026-12-14 10:00")), m.id, "数据安全检查")
    assert not on_time.late and late.late


def test_agenda_puts_follow_up_first_then_red_and_blocked_then_reports_topics_and_race(world):
    sec = world.ctx("wu", now=at("2026-11-02 10:00"))
    last = meetings.new_meeting(sec, "monthly", d("2026-11-10"))
    _, decided = meetings.decide(world.ctx("wu", now=at("2026-11-10 11:00")), last.id, "完成数据目录编制",
                                 PersonRef(name="zhang"), d("2026-11-20"))
    red = world.task("lin", "公安人口数据接入", due=d("2026-11-16"), owner="wang", force="数据共享专班",
                     now=at("2026-11-02 10:00"))
    m = meetings.new_meeting(world.ctx("wu"), "monthly", d("2026-12-15"), at=time(14, 30), length=60)
    meetings.propose(world.ctx("zhang"), m.id, "公共数据授权运营试点", length=15)
    agenda = meetings.build_agenda(world.ctx("wu"), m.id)
    sections = [line.section for line in agenda.lines]
    worded = agenda_text.lines(agenda, "zh")
    assert sections == sorted(sections, key=meetings.SECTIONS.index)
    assert sections[0] == "followup" and f"#{decided.id}" in worded[0].title
    assert any(line.section == "hot" and f"#{red.id}" in line.title and line.presenter == "wang" for line in worded)
    assert any(line.section == "report" and "数据共享专班" in line.title and line.presenter == "lin" for line in worded)
    assert agenda.lines[0].start == time(14, 30)
    text = agenda_text.render(agenda, "zh")
    assert "上次会议议定事项" in text and "申报议题" in text and "赛马晾晒" in text


def test_agenda_warns_when_over_time(world):
    m = meetings.new_meeting(world.ctx("wu"), "monthly", d("2026-12-15"), length=20)
    for i in range(3):
        meetings.propose(world.ctx("zhang"), m.id, f"议题{i}", length=10)
    agenda = meetings.build_agenda(world.ctx("wu"), m.id)
    assert agenda.overrun > 0 and "超出" in agenda_text.render(agenda, "zh")


def test_decision_becomes_a_task_owned_and_tracked(world):
    m = meetings.new_meeting(world.ctx("wu"), "thematic", d("2026-12-15"))
    decision, task = meetings.decide(world.ctx("wu", now=at("2026-12-15 11:00")), m.id, "建立数据共享考核机制",
                                     PersonRef(name="lin"), d("2027-01-31"))
    assert task.owner_id == world.people["lin"].id and task.due == date(2027, 1, 31) and task.priority == "high"
    assert decision.task_id == task.id
    # The secretary who recorded it may verify it (it belongs to no task force).
    tasks.request_done(world.ctx("lin", now=at("2027-01-10 10:00")), task.id)
    tasks.verify(world.ctx("wu", now=at("2027-01-11 10:00")), task.id)
    md = minutes.markdown(meetings.minutes(world.ctx("wu"), m.id), "zh")
    assert "建立数据共享考核机制" in md and "## 议定事项" in md


def test_meeting_calendar_file_is_valid_icalendar(world):
    from icalendar import Calendar

    m = meetings.new_meeting(world.ctx("wu"), "monthly", d("2026-12-15"), at=time(9, 30), length=90)
    cal = Calendar.from_ical(ics.render(meetings.invitation(world.ctx("wu"), m.id), "zh"))
    ev = cal.walk("VEVENT")[0]
    assert str(ev["summary"]) == m.title
    assert ev.decoded("dtstart").isoformat() == "2026-12-15T09:30:00+08:00"
