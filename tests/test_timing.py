"""Pure decisions about time: quiet hours, reminder steps, silence, the escalation ladder (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from models.calendar import WorkCalendar
from models.policy import DEFAULT, Policy
from models.timing import (
    due_levels,
    due_reminder,
    entry_delays,
    level_moments,
    paused_moments,
    reminder_steps,
    resume_moment,
    send_time,
    silence_cutoff,
)
from tests.conftest import TZ, at

CAL = WorkCalendar()


def d(s: str) -> date:
    return date.fromisoformat(s)


@pytest.mark.parametrize("now, expected", [
    ("2026-11-23 10:00", "2026-11-23 10:00"),  # Monday, working hours: at once
    ("2026-11-23 20:00", "2026-11-24 08:00"),  # quiet from 20:00
    ("2026-11-24 07:59", "2026-11-24 08:00"),  # early morning: this morning
    ("2026-11-27 21:30", "2026-11-30 08:00"),  # Friday night: Monday
    ("2026-11-28 11:00", "2026-11-30 08:00"),  # Saturday
    ("2026-02-13 22:00", "2026-02-14 08:00"),  # Friday night before a 调休 Saturday: Saturday
    ("2026-02-15 10:00", "2026-02-24 08:00"),  # Spring Festival: the first working day after
    ("2026-09-30 20:30", "2026-10-08 08:00"),  # National Day
    ("2026-10-03 09:00", "2026-10-08 08:00"),
])
def test_quiet_hours_and_days_off_defer_to_the_next_working_morning(now, expected):
    assert send_time(at(now), tz=TZ, calendar=CAL, policy=DEFAULT) == at(expected)


def test_high_priority_is_never_deferred_and_a_morning_hour_can_be_chosen():
    assert send_time(at("2026-10-03 23:00"), tz=TZ, calendar=CAL, policy=DEFAULT, high=True) == at("2026-10-03 23:00")
    assert send_time(at("2026-11-27 21:30"), tz=TZ, calendar=CAL, policy=DEFAULT, morning_hour=9) \
        == at("2026-11-30 09:00")
    midday = Policy(quiet_start=12, quiet_end=14)
    assert send_time(at("2026-11-23 12:30"), tz=TZ, calendar=CAL, policy=midday) == at("2026-11-23 14:00")
    assert send_time(at("2026-11-23 21:00"), tz=TZ, calendar=CAL, policy=Policy(quiet_start=8, quiet_end=8)) \
        == at("2026-11-23 21:00")


def test_reminder_steps_count_working_days_with_tiaoxiu_sundays():
    # 2026-09-20 is a Sunday worked (调休): three working days before Wed 09-23 are 22, 21, 20.
    steps = reminder_steps(d("2026-09-23"), tz=TZ, calendar=CAL, policy=DEFAULT)
    assert [(s.days, s.at) for s in steps] == [
        (3, at("2026-09-20 09:00")), (1, at("2026-09-22 09:00")), (0, at("2026-09-23 09:00"))]


def test_a_deadline_on_a_day_off_is_reminded_on_the_last_working_day_before_it_once():
    # Sunday 2026-03-01: Saturday 02-28 is worked; "1 day before" and "the day" fall together.
    steps = reminder_steps(d("2026-03-01"), tz=TZ, calendar=CAL, policy=DEFAULT)
    assert [(s.days, s.at) for s in steps] == [(3, at("2026-02-26 09:00")), (0, at("2026-02-28 09:00"))]


def test_catch_up_sends_only_the_latest_missed_step_and_nothing_after_the_deadline():
    due, since = d("2026-11-26"), at("2026-11-01 10:00")

    def step(now):
        s = due_reminder(due, since=since, now=at(now), tz=TZ, calendar=CAL, policy=DEFAULT)
        return s.days if s else None

    assert step("2026-11-23 08:59") is None
    assert step("2026-11-23 09:00") == 3
    assert step("2026-11-25 15:00") == 1  # down since Monday: only "1 day before", not "3 days"
    assert step("2026-11-26 16:00") == 0
    assert step("2026-11-27 09:00") is None  # overdue: escalations take over
    # At 21:00 the 1-day step would wait for the morning, when "the day" speaks instead.
    assert step("2026-11-25 21:00") is None
    assert due_reminder(due, since=since, now=at("2026-11-25 21:00"), tz=TZ, calendar=CAL, policy=DEFAULT,
                        high=True).days == 1
    # A task created after a step's moment does not get that step.
    assert due_reminder(due, since=at("2026-11-25 10:00"), now=at("2026-11-25 11:00"), tz=TZ, calendar=CAL,
                        policy=DEFAULT) is None


def test_silence_counts_working_days_across_the_spring_festival():
    # Last report on Wed 02-11: 12, 13, 14 (Sat, worked), 24, 25 are five working days.
    cutoff = silence_cutoff(at("2026-02-25 10:00"), tz=TZ, calendar=CAL, stale_days=5)
    assert cutoff == at("2026-02-12 00:00")
    assert CAL.working_days_between(d("2026-02-11"), d("2026-02-25")) == 5
    assert CAL.working_days_between(d("2026-02-12"), d("2026-02-25")) == 4


@pytest.mark.parametrize("due, expected", [
    # Due Friday before the festival: day 0 is the 调休 Saturday 02-14, then +2, +3, +5 working days.
    ("2026-02-13", ["2026-02-14", "2026-02-25", "2026-02-26", "2026-02-28"]),
    # Due the day before National Day: day 0 is 10-08; Saturday 10-10 is worked.
    ("2026-09-30", ["2026-10-08", "2026-10-10", "2026-10-12", "2026-10-14"]),
])
def test_ladder_levels_fall_on_working_days(due, expected):
    moments = level_moments(d(due), [0, 2, 3, 5], remind_hour=9, tz=TZ, calendar=CAL)
    assert moments == [at(f"{day} 09:00") for day in expected]


def test_after_downtime_every_missed_level_fires_in_order():
    moments = [at(f"2026-10-{day} 09:00") for day in ("08", "10", "12", "14")]
    assert due_levels(moments, -1, at("2026-10-08 08:59")) == []
    assert due_levels(moments, -1, at("2026-10-08 09:00")) == [0]
    assert due_levels(moments, 0, at("2026-10-09 09:00")) == []
    assert due_levels(moments, 0, at("2026-10-13 09:00")) == [1, 2]
    assert due_levels(moments, -1, at("2026-10-20 09:00")) == [0, 1, 2, 3]


def test_an_urgent_ladder_enters_at_the_supervision_notice_with_the_levels_below_on_the_same_morning():
    assert entry_delays([0, 2, 3, 5], 2) == [0, 0, 0, 2]
    assert entry_delays([0, 2, 3, 5], 0) == [0, 2, 3, 5]
    assert entry_delays([0, 2, 3, 5], 3) == [0, 0, 0, 0]


def test_an_acknowledgement_pauses_the_ladder_and_keeps_the_gaps_after_it():
    moments = [at(f"2026-10-{day} 09:00") for day in ("08", "10", "12", "14")]
    # 收到 on Mon 10-12 at 10:00 after level 1: three working days' pause, to Thu 10-15 09:00.
    resume = resume_moment(at("2026-10-12 10:00"), 3, remind_hour=9, tz=TZ, calendar=CAL)
    assert resume == at("2026-10-15 09:00")
    shifted = paused_moments(moments, 1, resume, tz=TZ, calendar=CAL)
    # Level 2 (due 10-12) waits to 10-15; level 3 keeps its two working days after it: Mon 10-19.
    assert shifted == [moments[0], moments[1], at("2026-10-15 09:00"), at("2026-10-19 09:00")]
    # A pause that ends before the next level changes nothing.
    assert paused_moments(moments, 0, at("2026-10-09 09:00"), tz=TZ, calendar=CAL) == moments


