"""Lights as a pure function of (task, now, calendar, policy): across 调休, holidays and a year end."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from models.calendar import WorkCalendar
from models.lights import GREEN, GREY, RED, YELLOW, TaskFacts, compute
from models.policy import Policy
from tests.conftest import TZ, at

CAL = WorkCalendar()
POLICY = Policy()


def facts(**kw) -> TaskFacts:
    base = dict(status="active", progress=50, start_date=date(2026, 11, 2), due=date(2026, 12, 31),
                created_at=at("2026-11-02 09:00"), last_progress_at=None)
    base.update(kw)
    return TaskFacts(**base)


def light(f: TaskFacts, now: datetime, *, cal: WorkCalendar = CAL, policy: Policy = POLICY):
    return compute(f, now=now, tz=TZ, calendar=cal, policy=policy)


def test_done_is_green_and_cancelled_grey():
    assert light(facts(status="done", due=date(2026, 11, 1)), at("2026-11-23 10:00")).color == GREEN
    assert light(facts(status="cancelled"), at("2026-11-23 10:00")).color == GREY


def test_not_started_is_grey_until_something_is_due():
    f = facts(status="todo", progress=0, start_date=date(2026, 11, 23), due=date(2026, 12, 31),
              created_at=at("2026-11-23 09:00"))
    assert light(f, at("2026-11-23 10:00")).color == GREY
    future = facts(status="todo", progress=0, start_date=date(2026, 12, 1), created_at=at("2026-11-23 09:00"))
    assert light(future, at("2026-11-23 10:00")).color == GREY


def test_deadline_passed_undone_is_red_the_next_day():
    f = facts(due=date(2026, 11, 23), progress=90, last_progress_at=at("2026-11-23 09:00"))
    assert light(f, at("2026-11-23 23:59")).color != RED  # the deadline day itself is not overdue
    lt = light(f, at("2026-11-24 00:01"))
    assert lt.color == RED and "逾期 1 个工作日" in lt.explain("zh")


def test_red_is_computed_in_the_org_zone_not_utc():
    f = facts(due=date(2026, 11, 23), progress=90, last_progress_at=at("2026-11-23 09:00"))
    # 2026-11-23 16:30 UTC is already 2026-11-24 00:30 in Shanghai.
    utc = datetime.fromisoformat("2026-11-23T16:30:00+00:00")
    assert light(f, utc).color == RED


def test_node_passed_undone_is_red():
    f = facts(open_nodes=(("初稿", date(2026, 11, 20)),), last_progress_at=at("2026-11-23 09:00"), progress=60)
    assert light(f, at("2026-11-23 10:00")).color == RED


def test_due_within_n_working_days_is_yellow():
    f = facts(due=date(2026, 11, 26), progress=90, last_progress_at=at("2026-11-23 09:00"))
    assert light(f, at("2026-11-23 10:00")).color == YELLOW  # 3 working days left


def test_yellow_window_counts_working_days_across_a_tiaoxiu_weekend():
    # Spring Festival 2026: 02-14 (Sat) is a make-up working day; 02-16..20 and 02-23 are off.
    f = facts(start_date=date(2026, 2, 1), due=date(2026, 2, 24), progress=90,
              created_at=at("2026-02-01 09:00"), last_progress_at=at("2026-02-13 09:00"))
    # From Fri 02-13: working days to 02-24 are 02-14 (调休) and 02-24 → 2 ≤ 3: yellow.
    assert light(f, at("2026-02-13 10:00")).color == YELLOW
    # Without 调休 knowledge (weekends only) it would be 02-16..20, 23, 24 = 7 working days: green.
    plain = WorkCalendar({date(2026, 2, 14): (False, "test"), **{date(2026, 2, d): (True, "test") for d in (16, 17, 18, 19, 20, 23)}})
    assert light(f, at("2026-02-13 10:00"), cal=plain).color == GREEN


def test_overdue_days_skip_a_public_holiday():
    f = facts(start_date=date(2026, 9, 1), due=date(2026, 9, 30), progress=90,
              created_at=at("2026-09-01 09:00"), last_progress_at=at("2026-09-30 09:00"))
    lt = light(f, at("2026-10-08 10:00"))
    # 10-01..07 are off; 10-08 is the first working day overdue.
    assert lt.color == RED and "1 个工作日" in lt.explain("zh")


def test_across_the_year_boundary():
    f = facts(start_date=date(2026, 12, 1), due=date(2027, 1, 4), progress=90,
              created_at=at("2026-12-01 09:00"), last_progress_at=at("2026-12-30 09:00"))
    # From Wed 12-30: 12-31, (01-01 holiday), 01-04 → 2 working days: yellow.
    assert light(f, at("2026-12-30 10:00")).color == YELLOW
    assert light(f, at("2027-01-05 10:00")).color == RED


def test_progress_behind_the_straight_line_is_yellow():
    f = facts(start_date=date(2026, 11, 1), due=date(2026, 12, 31), progress=10,
              last_progress_at=at("2026-11-30 09:00"))
    lt = light(f, at("2026-11-30 10:00"))  # about half the time gone, 10% done
    assert lt.color == YELLOW and "落后" in lt.explain("zh")
    assert light(facts(start_date=date(2026, 11, 1), progress=45, last_progress_at=at("2026-11-30 09:00")),
                 at("2026-11-30 10:00")).color == GREEN


def test_silent_for_n_working_days_is_yellow_and_holidays_do_not_count():
    f = facts(last_progress_at=at("2026-09-29 10:00"), start_date=date(2026, 9, 1), progress=60,
              due=date(2026, 12, 31), created_at=at("2026-09-01 09:00"))
    # 09-30, 10-08, 10-09, 10-10 (调休 Saturday), 10-12 → 5 working days of silence on 10-12.
    assert light(f, at("2026-10-09 10:00")).color == GREEN
    assert light(f, at("2026-10-12 10:00")).color == YELLOW


def test_blocked_is_at_least_yellow():
    f = facts(status="blocked", last_progress_at=at("2026-11-23 09:00"))
    assert light(f, at("2026-11-23 10:00")).color == YELLOW


def test_policy_overrides_thresholds():
    f = facts(due=date(2026, 11, 30), progress=90, last_progress_at=at("2026-11-23 09:00"))
    assert light(f, at("2026-11-23 10:00")).color == GREEN
    assert light(f, at("2026-11-23 10:00"), policy=Policy(yellow_days=5)).color == YELLOW


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        light(facts(), datetime(2026, 11, 23, 10, 0))


def test_a_task_due_today_says_so_rather_than_zero_working_days_left():
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from models.calendar import WorkCalendar
    from models.lights import TaskFacts, compute
    from models.policy import DEFAULT

    tz = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 12, 4, 10, 0, tzinfo=tz)  # a Friday
    for due, key in ((date(2026, 12, 4), "light.why.due_today"), (date(2026, 12, 5), "light.why.due_last_day")):
        facts = TaskFacts(status="active", progress=90, start_date=date(2026, 12, 1), due=due, created_at=now,
                          last_progress_at=now)
        light = compute(facts, now=now, tz=tz, calendar=WorkCalendar(), policy=DEFAULT)
        assert [m.key for m in light.reasons][:1] == [key], light
