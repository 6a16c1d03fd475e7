"""How far a date a person gives may reach: not before today, not beyond the planning horizon.

A deadline in 9999 is a typo, not a plan, and would overflow every later date computation (a
reminder three working days before, a ladder five working days after); refusing it at the door
keeps every view and job total.
"""

from __future__ import annotations

from datetime import date

from models import i18n
from models.errors import InvalidInput
from models.i18n import Day

MAX_YEARS_AHEAD = 5


def latest(today: date) -> date:
    """The last date accepted on ``today``: the same day five years on (28 Feb for a 29 Feb)."""
    try:
        return today.replace(year=today.year + MAX_YEARS_AHEAD)
    except ValueError:
        return today.replace(year=today.year + MAX_YEARS_AHEAD, day=28)


def check_day(day: date, today: date) -> None:
    """Refuses a date before today or beyond the horizon, with the bounds in the message."""
    if day < today:
        raise InvalidInput("task.date_past", date=Day(day), today=Day(today))
    if day > latest(today):
        raise InvalidInput("date.too_far", date=Day(day), latest=Day(latest(today)), years=MAX_YEARS_AHEAD)


i18n.register(
    {
        "task.date_past": {
            "zh": "日期 {date} 已经过去了（今天是 {today}）。请给一个今天或以后的日期。",
            "en": "{date} is in the past (today is {today}). Give today or a later date.",
        },
        "date.too_far": {
            "zh": "日期 {date} 太远了：最晚可以定到 {latest}（{years} 年内）。请检查年份。",
            "en": "{date} is too far ahead: the latest accepted is {latest} (within {years} years). Check the year.",
        },
    }
)
