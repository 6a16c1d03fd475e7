"""WorkCalendar: package holidays, 调休 make-up days, overrides, arithmetic and local dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import models.calendar as calendar_module
from models.calendar import WorkCalendar, local_today, to_local

D = date.fromisoformat
CAL = WorkCalendar()
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Deterministic and without an on-disk example database in the shared tree.
PROPERTY = settings(derandomize=True, database=None, deadline=None, max_examples=300)


# --- single days -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("day", "working", "reason"),
    [
        ("2026-01-01", False, "元旦"),
        ("2026-01-04", True, "调休上班"),  # Sunday
        ("2026-02-13", True, ""),
        ("2026-02-14", True, "调休上班"),  # Saturday
        ("2026-02-15", False, "周末"),
        ("2026-02-16", False, "农历除夕"),
        ("2026-02-17", False, "春节"),
        ("2026-02-20", False, "休息日（由 2026-02-14 调休）"),
        ("2026-02-21", False, "周末"),
        ("2026-02-23", False, "休息日（由 2026-02-28 调休）"),
        ("2026-02-24", True, ""),
        ("2026-02-28", True, "调休上班"),  # Saturday
        ("2026-09-19", False, "周末"),
        ("2026-09-20", True, "调休上班"),  # Sunday
        ("2026-10-01", False, "国庆节"),
        ("2026-10-03", False, "国庆节"),  # Saturday, named rather than 周末
        ("2026-10-04", False, "周末"),
        ("2026-10-07", False, "休息日（由 2026-10-10 调休）"),
        ("2026-10-08", True, ""),
        ("2026-10-10", True, "调休上班"),  # Saturday
        ("2026-12-31", True, ""),
        ("2027-01-01", False, "元旦"),
        ("2027-01-02", False, "周末"),
    ],
)
def test_day_info(day: str, working: bool, reason: str) -> None:
    assert CAL.day_info(D(day)) == (working, reason)
    assert CAL.is_working_day(D(day)) is working


def test_national_day_week_is_off() -> None:
    assert [CAL.is_working_day(D("2026-10-01") + timedelta(days=i)) for i in range(7)] == [False] * 7


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_agrees_with_the_package_every_day(year: int) -> None:
    package = holidays.China(years=year)
    day = date(year, 1, 1)
    while day.year == year:
        assert CAL.is_working_day(day) is package.is_working_day(day), day
        day += timedelta(days=1)


# --- arithmetic --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2026-02-13", 1, "2026-02-14"),  # Friday -> 调休 Saturday
        ("2026-02-13", 2, "2026-02-24"),  # over the Spring Festival (15..23 off)
        ("2026-02-14", 1, "2026-02-24"),
        ("2026-02-24", -1, "2026-02-14"),
        ("2026-02-24", -2, "2026-02-13"),
        ("2026-02-27", 1, "2026-02-28"),  # 调休 Saturday again
        ("2026-02-11", 3, "2026-02-14"),
        ("2026-09-18", 1, "2026-09-20"),  # Saturday off, Sunday 调休
        ("2026-09-30", 1, "2026-10-08"),  # over National Day
        ("2026-09-30", 3, "2026-10-10"),  # 调休 Saturday
        ("2026-09-30", 4, "2026-10-12"),
        ("2026-10-08", -1, "2026-09-30"),
        ("2026-10-12", -4, "2026-09-30"),
        ("2026-10-03", 1, "2026-10-08"),  # from a holiday
        ("2026-10-03", -1, "2026-09-30"),
        ("2026-12-31", 1, "2027-01-04"),  # over the year boundary (New Year Friday + weekend)
        ("2026-12-30", 2, "2027-01-04"),
        ("2027-01-04", -1, "2026-12-31"),
        ("2027-01-01", 0, "2027-01-04"),  # n=0 rolls a day off forward
        ("2026-10-01", 0, "2026-10-08"),
        ("2026-10-08", 0, "2026-10-08"),  # n=0 keeps a working day
        ("2026-02-14", 0, "2026-02-14"),
        ("2026-11-22", 5, "2026-11-27"),  # Sunday + 5
    ],
)
def test_add_working_days(start: str, n: int, expected: str) -> None:
    assert CAL.add_working_days(D(start), n) == D(expected)


def test_next_and_previous_working_day() -> None:
    assert CAL.next_working_day(D("2026-09-30")) == D("2026-10-08")
    assert CAL.next_working_day(D("2026-09-30"), include_self=True) == D("2026-09-30")
    assert CAL.next_working_day(D("2026-10-01"), include_self=True) == D("2026-10-08")
    assert CAL.next_working_day(D("2026-10-09")) == D("2026-10-10")
    assert CAL.previous_working_day(D("2026-10-08")) == D("2026-09-30")
    assert CAL.previous_working_day(D("2026-10-08"), include_self=True) == D("2026-10-08")
    assert CAL.previous_working_day(D("2026-10-07"), include_self=True) == D("2026-09-30")
    assert CAL.previous_working_day(D("2026-02-24")) == D("2026-02-14")
    assert CAL.previous_working_day(D("2027-01-03")) == D("2026-12-31")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-09-30", "2026-09-30", 0),
        ("2026-10-01", "2026-10-01", 0),
        ("2026-09-29", "2026-09-30", 1),
        ("2026-09-30", "2026-09-29", -1),
        ("2026-09-30", "2026-10-08", 1),  # half-open: Sep 30 itself not counted, Oct 8 is
        ("2026-10-08", "2026-09-30", -1),
        ("2026-10-01", "2026-10-07", 0),  # the whole holiday
        ("2026-09-30", "2026-10-07", 0),
        ("2026-09-30", "2026-10-12", 4),  # 8, 9, 10 (Sat), 12
        ("2026-09-18", "2026-09-20", 1),  # only the 调休 Sunday
        ("2026-02-13", "2026-02-24", 2),  # 14 (Sat) and 24
        ("2026-02-24", "2026-02-13", -2),
        ("2026-12-31", "2027-01-04", 1),
        ("2026-12-25", "2027-01-08", 9),  # 28..31, 4..8
    ],
)
def test_working_days_between(start: str, end: str, expected: int) -> None:
    assert CAL.working_days_between(D(start), D(end)) == expected


def test_working_days_in_2026() -> None:
    # 365 days - 104 weekend days - 19 holidays on weekdays + 6 调休 weekend working days.
    assert CAL.working_days_between(D("2025-12-31"), D("2026-12-31")) == 248
    assert sum(working for _, working, _ in CAL.month_days(2026, 10)) == 18


# --- overrides ---------------------------------------------------------------------------------

OVERRIDES = {
    D("2027-02-06"): (True, "春节调休上班"),  # Saturday the package calls 春节
    D("2027-02-08"): (False, "春节假期"),
    D("2027-02-11"): (False, ""),  # a Thursday the package says is working
    D("2027-02-20"): (True, ""),  # a Saturday
}


def test_overrides_win_over_the_package() -> None:
    cal = WorkCalendar(OVERRIDES)
    assert CAL.day_info(D("2027-02-06")) == (False, "春节")
    assert cal.day_info(D("2027-02-06")) == (True, "春节调休上班")
    assert cal.day_info(D("2027-02-08")) == (False, "春节假期")
    assert CAL.is_working_day(D("2027-02-11"))
    assert cal.day_info(D("2027-02-11")) == (False, "放假")
    assert cal.day_info(D("2027-02-20")) == (True, "调休上班")
    assert cal.overrides == OVERRIDES


def test_overrides_change_arithmetic() -> None:
    cal = WorkCalendar(OVERRIDES)
    assert CAL.add_working_days(D("2027-02-04"), 1) == D("2027-02-11")
    assert cal.add_working_days(D("2027-02-04"), 1) == D("2027-02-06")
    assert cal.add_working_days(D("2027-02-06"), 1) == D("2027-02-12")
    assert cal.working_days_between(D("2027-02-04"), D("2027-02-12")) == 2
    assert CAL.working_days_between(D("2027-02-04"), D("2027-02-12")) == 2  # 11 and 12
    assert cal.next_working_day(D("2027-02-19")) == D("2027-02-20")


def test_overrides_reject_datetime_keys() -> None:
    with pytest.raises(TypeError):
        WorkCalendar({datetime(2027, 2, 6, tzinfo=UTC): (True, "x")})


def test_methods_reject_datetimes() -> None:
    with pytest.raises(TypeError):
        CAL.is_working_day(datetime(2026, 10, 1, tzinfo=UTC))  # type: ignore[arg-type]


# --- range, fallback and caching ---------------------------------------------------------------

def test_every_year_1990_to_2100_works() -> None:
    cal = WorkCalendar()
    for year in range(1990, 2101):
        assert len(cal.month_days(year, 2)) in (28, 29)
        cal.add_working_days(date(year, 12, 24), 10)
        cal.working_days_between(date(year, 1, 1), date(year, 3, 1))


@pytest.mark.parametrize("year", [1, 1000, 1949, 2101, 5000, 9998])
def test_years_outside_the_package_are_weekends_only(year: int) -> None:
    cal = WorkCalendar()
    for d, working, reason in cal.month_days(year, 5):
        assert working is (d.weekday() < 5)
        assert reason == ("" if working else "周末")


def test_package_failure_falls_back_to_weekends(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(calendar_module.holidays, "China", broken)
    cal = WorkCalendar({D("2026-10-02"): (False, "国庆")})
    assert cal.day_info(D("2026-10-01")) == (True, "")
    assert cal.day_info(D("2026-10-02")) == (False, "国庆")
    assert cal.day_info(D("2026-10-10")) == (False, "周末")


def test_years_are_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = calendar_module._load_year

    def counting(year: int) -> calendar_module._YearData:
        calls.append(year)
        return real(year)

    monkeypatch.setattr(calendar_module, "_load_year", counting)
    cal = WorkCalendar()
    day = D("2026-01-01")
    while day.year == 2026:
        cal.add_working_days(day, 15)
        cal.working_days_between(day, D("2026-12-31"))
        day += timedelta(days=1)
    assert sorted(calls) == [2026, 2027]


def test_month_days() -> None:
    days = CAL.month_days(2026, 10)
    assert len(days) == 31
    assert days[0] == (D("2026-10-01"), False, "国庆节")
    assert days[9] == (D("2026-10-10"), True, "调休上班")
    assert days[10] == (D("2026-10-11"), False, "周末")
    assert days[11] == (D("2026-10-12"), True, "")
    assert len(CAL.month_days(2028, 2)) == 29


# --- local dates -------------------------------------------------------------------------------

def test_local_today_crosses_midnight() -> None:
    now = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    assert local_today(now, SHANGHAI) == D("2027-01-01")
    assert local_today(now, ZoneInfo("UTC")) == D("2026-12-31")
    assert to_local(now, SHANGHAI) == datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI)
    assert to_local(now, SHANGHAI).tzinfo is SHANGHAI


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        local_today(datetime(2026, 12, 31, 16, 30), SHANGHAI)
    with pytest.raises(ValueError):
        to_local(datetime(2026, 12, 31, 16, 30), SHANGHAI)


# --- properties --------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


@PROPERTY
@given(day=DAYS, n=st.integers(min_value=-400, max_value=400))
def test_add_and_between_are_inverse_on_working_days(day: date, n: int) -> None:
    start = CAL.next_working_day(day, include_self=True)
    end = CAL.add_working_days(start, n)
    assert CAL.is_working_day(end)
    assert CAL.working_days_between(start, end) == n
    assert CAL.add_working_days(end, -n) == start


@PROPERTY
@given(day=DAYS, n=st.integers(min_value=1, max_value=400))
def test_add_working_days_from_any_day(day: date, n: int) -> None:
    forward = CAL.add_working_days(day, n)
    backward = CAL.add_working_days(day, -n)
    assert backward < day < forward
    assert CAL.working_days_between(day, forward) == n
    assert CAL.working_days_between(forward, day) == -n


OFFSETS = st.integers(min_value=-800, max_value=800)


@PROPERTY
@given(a=DAYS, to_b=OFFSETS, to_c=OFFSETS)
def test_between_is_additive_and_antisymmetric(a: date, to_b: int, to_c: int) -> None:
    b, c = a + timedelta(days=to_b), a + timedelta(days=to_c)
    assert CAL.working_days_between(a, b) == -CAL.working_days_between(b, a)
    assert CAL.working_days_between(a, c) == (
        CAL.working_days_between(a, b) + CAL.working_days_between(b, c)
    )


def test_month_days_in_english_name_holidays_in_english_but_keep_admin_words():
    from datetime import date as _date

    cal = WorkCalendar({_date(2026, 10, 31): (True, "省里通知加班")})
    days = {d: (working, reason) for d, working, reason in cal.month_days(2026, 10, "en")}
    assert days[_date(2026, 10, 1)] == (False, "National Day")
    assert days[_date(2026, 10, 10)] == (True, "make-up working day")
    assert days[_date(2026, 10, 31)] == (True, "省里通知加班")
    assert {d: r for d, _, r in cal.month_days(2026, 10)}[_date(2026, 10, 1)] == "国庆节"
