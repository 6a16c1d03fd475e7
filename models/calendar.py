"""Chinese working-day calendar: weekends, public holidays, 调休 make-up days and admin overrides.

The ``holidays`` package knows the official schedule (including 调休 weekend working days) for
years whose schedule has been published; for later years it silently guesses without make-up
days. Admins fill the gap with an override table (next year's schedule is announced each
November), and overrides always win.

Holiday names and reasons are in Chinese (the package's ``zh_CN`` names).
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import accumulate
from zoneinfo import ZoneInfo

import holidays

__all__ = ["WorkCalendar", "local_today", "to_local"]

REASON_WEEKEND = "周末"
REASON_MAKEUP = "调休上班"
REASON_OFF = "放假"

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class _YearData:
    """The package's view of one year: holiday names and 调休 weekend working days."""

    holidays: Mapping[date, str]
    makeup_workdays: frozenset[date]


_EMPTY_YEAR = _YearData(holidays={}, makeup_workdays=frozenset())


# The official calendar means something for these years; outside them (a typo's year 9999, a legacy
# row's year 1) only weekends count, so no lookup asks the package about a year it cannot know.
KNOWN_YEARS = range(1990, 2101)
# Counting working days further than this saturates: a count so far out only ever means "many",
# and counting day by day to year 9999 would take seconds and overflow at the end of the calendar.
FAR = timedelta(days=366 * 20)


# The package's years, shared by every calendar of the process (each request and each job item builds
# its own WorkCalendar; the package takes milliseconds a year). Keyed by the package's class too, so
# a test that replaces it gets a fresh answer.
_PACKAGE_YEARS: dict[tuple[object, int], _YearData] = {}


def _load_year(year: int) -> _YearData:
    """Build one year's data from ``holidays.China``; weekends only if the package fails."""
    if year not in KNOWN_YEARS:
        return _EMPTY_YEAR
    key = (holidays.China, year)
    cached = _PACKAGE_YEARS.get(key)
    if cached is not None:
        return cached
    try:
        cn = holidays.China(years=year, language="zh_CN")
        names = {d: str(name) for d, name in cn.items() if d.year == year}
        # weekend_workdays is not limited to the requested year: keep only this year's days.
        makeup = frozenset(d for d in cn.weekend_workdays if d.year == year)
    except Exception:
        return _EMPTY_YEAR
    data = _YearData(holidays=names, makeup_workdays=makeup)
    _PACKAGE_YEARS[key] = data
    return data


@lru_cache(maxsize=16)
def _english_names(year: int) -> Mapping[date, str]:
    """Holiday names in English, for English readers of the calendar (display only)."""
    try:
        return {d: str(name) for d, name in holidays.China(years=year, language="en_US").items() if d.year == year}
    except Exception:
        return {}


def _check_date(d: date) -> date:
    """Reject datetimes: their hash differs from the date's, so lookups would silently miss."""
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a datetime.date, got {type(d).__name__}")
    return d


class WorkCalendar:
    """Working days in mainland China: package holidays and 调休, overridden by admin entries."""

    def __init__(self, overrides: Mapping[date, tuple[bool, str]] | None = None) -> None:
        """Create a calendar; ``overrides`` maps a date to ``(is_working_day, reason)``."""
        self._overrides: dict[date, tuple[bool, str]] = {}
        for d, (working, reason) in (overrides or {}).items():
            self._overrides[_check_date(d)] = (bool(working), str(reason or ""))
        # Filled lazily, one entry per year. Concurrent threads may both build a year; the
        # results are identical, so the race is harmless and needs no lock.
        self._years: dict[int, _YearData] = {}
        # Prefix sums, one tuple per year: entry i is the number of working days among the year's
        # first i days (overrides included), so any count is a difference of two entries.
        self._prefix: dict[int, tuple[int, ...]] = {}

    @property
    def overrides(self) -> Mapping[date, tuple[bool, str]]:
        """The admin overrides in force (a copy)."""
        return dict(self._overrides)

    def _year(self, year: int) -> _YearData:
        """Cached package data for ``year``."""
        data = self._years.get(year)
        if data is None:
            data = self._years.setdefault(year, _load_year(year))
        return data

    def _counts(self, year: int) -> tuple[int, ...]:
        """The year's prefix sums (see ``_prefix``): 366 or 367 entries, the last the year's total."""
        counts = self._prefix.get(year)
        if counts is None:
            first = date(year, 1, 1)
            length = 366 if _stdlib_calendar.isleap(year) else 365
            flags = (int(self._is_working(first + timedelta(days=i))) for i in range(length))
            counts = self._prefix.setdefault(year, (0, *accumulate(flags)))
        return counts

    def _through(self, d: date) -> int:
        """Working days from 1 January of ``d``'s year up to and including ``d``."""
        return self._counts(d.year)[d.timetuple().tm_yday]

    def _is_working(self, d: date) -> bool:
        """Unchecked fast path of :meth:`is_working_day` for the arithmetic loops."""
        override = self._overrides.get(d)
        if override is not None:
            return override[0]
        data = self._year(d.year)
        if d.weekday() >= 5:
            return d in data.makeup_workdays
        return d not in data.holidays

    def is_working_day(self, d: date) -> bool:
        """True if ``d`` is a working day."""
        return self._is_working(_check_date(d))

    def day_info(self, d: date) -> tuple[bool, str]:
        """Whether ``d`` is a working day, and why: 周末, holiday name, 调休上班, override reason, or ""."""
        _check_date(d)
        weekend = d.weekday() >= 5
        override = self._overrides.get(d)
        if override is not None:
            working, reason = override
            if reason:
                return working, reason
            if working:
                return True, REASON_MAKEUP if weekend else ""
            return False, REASON_WEEKEND if weekend else REASON_OFF
        data = self._year(d.year)
        if weekend:
            if d in data.makeup_workdays:
                return True, REASON_MAKEUP
            return False, data.holidays.get(d, REASON_WEEKEND)
        name = data.holidays.get(d)
        if name is not None:
            return False, name
        return True, ""

    def next_working_day(self, d: date, include_self: bool = False) -> date:
        """The first working day after ``d`` (or ``d`` itself if ``include_self`` and working)."""
        cur = _check_date(d)
        if include_self and self._is_working(cur):
            return cur
        cur += _ONE_DAY
        while not self._is_working(cur):
            cur += _ONE_DAY
        return cur

    def previous_working_day(self, d: date, include_self: bool = False) -> date:
        """The last working day before ``d`` (or ``d`` itself if ``include_self`` and working)."""
        cur = _check_date(d)
        if include_self and self._is_working(cur):
            return cur
        cur -= _ONE_DAY
        while not self._is_working(cur):
            cur -= _ONE_DAY
        return cur

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (before it if ``n`` < 0); ``n`` = 0 rolls forward.

        Constant time per year crossed: a search in the year's prefix sums, not a walk day by day."""
        cur = _check_date(d)
        if n == 0:
            return self.next_working_day(cur, include_self=True)
        year = cur.year
        if n > 0:
            # The n-th working day after d is the first day whose running count reaches through(d) + n.
            target = self._through(cur) + n
            while True:
                counts = self._counts(year)
                if counts[-1] >= target:
                    return date(year, 1, 1) + timedelta(days=bisect_left(counts, target) - 1)
                target -= counts[-1]
                year = self._next_year(year, 1)
        # Backwards: the day whose running count is through(d) - |n| and which is itself working, i.e.
        # the first day reaching that count (a count of 0 lies in an earlier year).
        target = self._through(cur) - (1 if self._is_working(cur) else 0) - (-n) + 1
        while target <= 0:
            year = self._next_year(year, -1)
            target += self._counts(year)[-1]
        return date(year, 1, 1) + timedelta(days=bisect_left(self._counts(year), target) - 1)

    @staticmethod
    def _next_year(year: int, step: int) -> int:
        year += step
        if not 1 <= year <= 9999:
            raise OverflowError("date value out of range")
        return year

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negated count of (end, start] if ``end`` < ``start``.

        A difference of prefix sums: constant time per year spanned (at most ~20, see FAR)."""
        _check_date(start)
        _check_date(end)
        if end < start:
            return -self.working_days_between(end, start)
        if end - start > FAR:
            end = start + FAR  # saturates (see FAR)
        count = self._through(end) - self._through(start)
        for year in range(start.year, end.year):
            count += self._counts(year)[-1]
        return count

    def month_days(self, year: int, month: int, lang: str = "zh") -> list[tuple[date, bool, str]]:
        """Every day of a month as ``(day, is_working_day, reason)``, for calendar display; with
        ``lang="en"`` the package's own reasons (holiday names, 周末, 调休上班) are in English."""
        length = _stdlib_calendar.monthrange(year, month)[1]
        days = [date(year, month, day) for day in range(1, length + 1)]
        out = [(d, *self.day_info(d)) for d in days]
        if lang != "en":
            return out
        return [(d, working, self._english(d, reason)) for d, working, reason in out]

    def _english(self, d: date, reason: str) -> str:
        if d in self._overrides:
            return reason  # the admin's own words
        generic = {REASON_WEEKEND: "weekend", REASON_MAKEUP: "make-up working day", REASON_OFF: "day off"}
        return generic.get(reason) or _english_names(d.year).get(d, reason)


def to_local(now: datetime, tz: ZoneInfo) -> datetime:
    """``now`` converted to ``tz``; naive datetimes are refused (all our times are aware)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware datetime")
    return now.astimezone(tz)


def local_today(now: datetime, tz: ZoneInfo) -> date:
    """The calendar date in ``tz`` at instant ``now``."""
    return to_local(now, tz).date()
