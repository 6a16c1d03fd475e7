"""Our own date grammar for deadlines, in Chinese and English.

dateparser misreads Chinese idioms and jionlp is GPLv3, so we parse the forms we support
ourselves and echo every parsed date back with :func:`format_date`. :func:`parse_date` either
returns a date or raises :class:`DateError`; it never raises anything else.

Semantics (``today`` is the user's local date; weeks start on Monday):

* ``2026-12-31``, ``2026/12/31``, ``2026.12.31``, ``2026年12月31日`` are taken literally, even if in
  the past (the caller decides whether a past date is acceptable).
* A month and day without a year (``12-31``, ``12月31日``, ``31 Dec``) is the next occurrence on or
  after today: this year's if it has not passed yet, otherwise next year's (Feb 29 waits for
  the next leap year). A bare day of month (``15号``) is likewise the next 15th on or after today.
* ``周五`` / ``friday`` is the next Friday on or after today (today if it is Friday).
  ``本周五`` / ``这周五`` / ``this friday`` is the Friday of the current week, even if it has passed.
  ``下周五`` / ``next friday`` is the Friday of next week (the Monday after today plus four
  days), so on a Monday ``next friday`` is 11 days away, not 4. ``下下周五`` adds another week,
  ``上周五`` / ``last friday`` is the Friday of the previous week.
* ``3天后`` / ``in 3 days`` / ``3 days``: calendar days; ``2周后``: 14 days; ``1个月后``: same day of
  month, clamped to the month's end. ``5个工作日`` / ``5个工作日内`` / ``in 5 working days``:
  ``calendar.add_working_days(today, 5)``.
* A trailing ``前`` / ``之前`` / ``以前`` or a leading ``by`` means "by that date" and does not change
  it (``12月1日前`` is 1 December). After a bare count (``3天前``) it would mean "3 days ago", so
  that is refused rather than guessed. ``内`` / ``以内`` / ``within`` apply to counts only.
* A weekday annotation such as ``2026年12月31日（周四）`` or ``Thu 31 Dec 2026`` (the forms
  :func:`format_date` produces) must match the date.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta

from models import i18n
from models.calendar import WorkCalendar
from models.errors import UsageError

__all__ = ["DateError", "format_date", "parse_date"]

_MAX_ECHO = 40


class DateError(UsageError):
    """The text is not a date we understand; the message lists the accepted forms."""

    key = "date.invalid"

    def __init__(self, text: str) -> None:
        """Keep a shortened copy of the offending text for the message."""
        shown = text.strip()
        if len(shown) > _MAX_ECHO:
            shown = shown[: _MAX_ECHO - 1] + "…"
        super().__init__(text=shown)


i18n.register(
    {
        "date.invalid": {
            "zh": "看不懂日期「{text}」。可以写 2026-12-31、12-31、12月31日、15号、明天、后天、"
            "周五、下周五、3天后、两周后、下个月、5个工作日内、月底、下月底、下月初、季末、年底 等。",
            "en": "Cannot read the date “{text}”. Try 2026-12-31, 12-31, 31 Dec, today, tomorrow, "
            "friday, next friday, in 3 days, in 2 weeks, next month, in 5 working days, "
            "end of month, end of next month, end of quarter, end of year.",
        },
    }
)

# ---------------------------------------------------------------------------------------------
# Vocabulary


_EN_WEEKDAY_NAMES: dict[str, int] = {
    "monday": 0, "mon": 0,
    "tuesday": 1, "tues": 1, "tue": 1,
    "wednesday": 2, "weds": 2, "wed": 2,
    "thursday": 3, "thurs": 3, "thur": 3, "thu": 3,
    "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}
_EN_MONTH_NAMES: dict[str, int] = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3,
    "april": 4, "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7,
    "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
_EN_NUMBER_WORDS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
_ZH_WEEKDAY_CHARS: dict[str, int] = {
    "一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
    "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6,
}
_CN_DIGITS: dict[str, int] = {
    "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}


def _alternation(words: dict[str, int]) -> str:
    """A regex alternation of ``words``, longest first so that "friday" beats "fri"."""
    return "|".join(sorted(words, key=len, reverse=True))


_EN_WD = _alternation(_EN_WEEKDAY_NAMES)
_EN_MON = _alternation(_EN_MONTH_NAMES)
_EN_NUM = r"[0-9]{1,4}|" + _alternation(_EN_NUMBER_WORDS)
# Digits are capped at four so that absurd counts fail fast instead of looping for ages.
_NUM = r"[0-9]{1,4}|[零〇一二两三四五六七八九十百]{1,8}"


def _cn_number(s: str) -> int | None:
    """Arabic digits or a Chinese numeral below 1000 (一百零五, 二十, 两); None if malformed."""
    if re.fullmatch(r"[0-9]+", s):
        return int(s)
    if s in ("零", "〇"):
        return 0
    total = 0
    rest = s
    if "百" in rest:
        head, _, rest = rest.partition("百")
        if head not in _CN_DIGITS:
            return None
        total = _CN_DIGITS[head] * 100
        if rest[:1] in ("零", "〇"):
            # 一百零五: after the zero only a units digit may follow.
            tail = rest[1:]
            return total + _CN_DIGITS[tail] if tail in _CN_DIGITS else None
        if rest in _CN_DIGITS:
            return total + _CN_DIGITS[rest] * 10  # colloquial 一百五 = 150
    if "十" in rest:
        head, _, rest = rest.partition("十")
        if head == "":
            tens = 1
        elif head in _CN_DIGITS:
            tens = _CN_DIGITS[head]
        else:
            return None
        total += tens * 10
    if rest:
        if rest not in _CN_DIGITS:
            return None
        total += _CN_DIGITS[rest]
    return total if s else None


def _number(s: str) -> int:
    """A count in digits, Chinese or English words; ValueError if malformed."""
    value = _EN_NUMBER_WORDS.get(s)
    if value is None:
        value = _cn_number(s)
    if value is None:
        raise ValueError(f"not a number: {s!r}")
    return value


# ---------------------------------------------------------------------------------------------
# Date arithmetic


def _month_length(year: int, month: int) -> int:
    """Days in the month."""
    return _stdlib_calendar.monthrange(year, month)[1]


def _add_months(d: date, months: int) -> date:
    """Same day of month ``months`` later, clamped to the month's end."""
    years, month0 = divmod(d.month - 1 + months, 12)
    year = d.year + years
    return date(year, month0 + 1, min(d.day, _month_length(year, month0 + 1)))


def _month_end(d: date) -> date:
    """Last day of ``d``'s month."""
    return d.replace(day=_month_length(d.year, d.month))


def _quarter_end(d: date) -> date:
    """Last day of ``d``'s quarter."""
    month = (d.month - 1) // 3 * 3 + 3
    return date(d.year, month, _month_length(d.year, month))


def _week_day(today: date, weekday: int, weeks: int) -> date:
    """``weekday`` of the Monday-start week ``weeks`` after today's week."""
    return today + timedelta(days=weekday - today.weekday() + 7 * weeks)


def _upcoming_weekday(today: date, weekday: int) -> date:
    """The next ``weekday`` on or after today."""
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _upcoming_month_day(today: date, month: int, day: int) -> date:
    """Next occurrence of month-day on or after today; ValueError if no year has that day."""
    # 2000 is a leap year, so this admits Feb 29 and rejects Feb 30 / Apr 31 / month 13.
    if not 1 <= month <= 12 or not 1 <= day <= _month_length(2000, month):
        raise ValueError(f"no such day: {month}-{day}")
    # Feb 29 can be 8 years away (2096 -> 2104, 2100 is not a leap year).
    for year in range(today.year, today.year + 9):
        if day <= _month_length(year, month) and date(year, month, day) >= today:
            return date(year, month, day)
    raise ValueError("no occurrence")


def _upcoming_day_of_month(today: date, day: int) -> date:
    """Next day-of-month ``day`` on or after today, skipping months too short for it."""
    if not 1 <= day <= 31:
        raise ValueError(f"no such day: {day}")
    first = today.replace(day=1)
    for i in range(13):
        month = _add_months(first, i)
        if day <= _month_length(month.year, month.month):
            candidate = month.replace(day=day)
            if candidate >= today:
                return candidate
    raise ValueError("no occurrence")


# ---------------------------------------------------------------------------------------------
# Grammar

_Handler = Callable[[re.Match[str], date, WorkCalendar], date]


def _next_monday(today: date) -> date:
    """Monday of next week."""
    return _week_day(today, 0, 1)


_NAMED: dict[str, Callable[[date], date]] = {}
for _names, _resolve in (
    (("今天", "今日", "today"), lambda t: t),
    (("明天", "明日", "tomorrow", "tmr", "tmrw"), lambda t: t + timedelta(days=1)),
    (("后天", "day after tomorrow", "the day after tomorrow"), lambda t: t + timedelta(days=2)),
    (("大后天",), lambda t: t + timedelta(days=3)),
    (("下周", "下个周", "下星期", "下个星期", "下礼拜", "下个礼拜", "next week"), _next_monday),
    (("下下周", "下下个星期", "下下星期"), lambda t: _week_day(t, 0, 2)),
    (
        ("月底", "月末", "本月底", "本月末", "这个月底", "这个月末", "end of month",
         "end of the month", "end of this month", "month end", "eom"),
        _month_end,
    ),
    (
        ("下月底", "下月末", "下个月底", "下个月末", "end of next month"),
        lambda t: _month_end(_add_months(t.replace(day=1), 1)),
    ),
    (
        # A deadline "next month" is the same day next month (like 1个月后), clamped to its end.
        ("下个月", "下月", "next month", "in a month"),
        lambda t: _add_months(t, 1),
    ),
    (
        ("下季末", "下季度末", "下个季度末", "end of next quarter"),
        lambda t: _quarter_end(_add_months(t.replace(day=1), 3)),
    ),
    (
        ("下月初", "下个月初", "start of next month", "beginning of next month"),
        lambda t: _add_months(t.replace(day=1), 1),
    ),
    (
        ("季末", "季度末", "本季末", "本季度末", "这个季度末", "end of quarter",
         "end of the quarter", "end of this quarter", "quarter end", "eoq"),
        _quarter_end,
    ),
    (
        ("年底", "年末", "本年底", "本年末", "今年底", "今年年底", "今年末", "end of year",
         "end of the year", "end of this year", "year end", "eoy"),
        lambda t: date(t.year, 12, 31),
    ),
):
    for _name in _names:
        _NAMED[_name] = _resolve
del _names, _resolve, _name


def _zh_weekday(m: re.Match[str], today: date, _: WorkCalendar) -> date:
    """周五 / 本周五 / 下周五 / 下下周五 / 上周五."""
    weekday = _ZH_WEEKDAY_CHARS[m["wd"]]
    prefix = (m["pre"] or "").replace("个", "")
    if prefix == "":
        return _upcoming_weekday(today, weekday)
    weeks = {"本": 0, "这": 0, "下": 1, "下下": 2, "上": -1}[prefix]
    return _week_day(today, weekday, weeks)


def _en_weekday(m: re.Match[str], today: date, _: WorkCalendar) -> date:
    """friday / this friday / next friday / last friday / coming friday."""
    weekday = _EN_WEEKDAY_NAMES[m["wd"]]
    prefix = m["pre"]
    if prefix is None or prefix.endswith("coming"):
        return _upcoming_weekday(today, weekday)
    weeks = {"this": 0, "next": 1, "last": -1}[prefix]
    return _week_day(today, weekday, weeks)


def _shift(today: date, calendar: WorkCalendar, n: int, unit: str) -> date:
    """Today moved by ``n`` units: day, week, month, year or working day."""
    if unit == "day":
        return today + timedelta(days=n)
    if unit == "week":
        return today + timedelta(weeks=n)
    if unit == "month":
        return _add_months(today, n)
    if unit == "year":
        return _add_months(today, 12 * n)
    return calendar.add_working_days(today, n)


_ZH_UNITS = {
    "天": "day", "日": "day", "周": "week", "星期": "week", "个星期": "week", "礼拜": "week",
    "个礼拜": "week", "个月": "month", "年": "year", "工作日": "workday", "个工作日": "workday",
}


def _en_unit(word: str) -> str:
    """Canonical unit of an English unit word."""
    if word.startswith(("work", "business")):
        return "workday"
    if word.startswith("day"):
        return "day"
    if word.startswith(("week", "wk")):
        return "week"
    if word.startswith("month"):
        return "month"
    return "year"


def _ymd(m: re.Match[str], _today: date, _: WorkCalendar) -> date:
    """A full date with year."""
    return date(int(m["y"]), _number(m["m"]), _number(m["d"]))


def _md(m: re.Match[str], today: date, _: WorkCalendar) -> date:
    """Month and day: the next occurrence on or after today."""
    return _upcoming_month_day(today, _number(m["m"]), _number(m["d"]))


def _day_of_month(m: re.Match[str], today: date, _: WorkCalendar) -> date:
    """15号 / 15日: the next 15th on or after today."""
    return _upcoming_day_of_month(today, _number(m["d"]))


def _en_month_date(m: re.Match[str], today: date, _: WorkCalendar) -> date:
    """31 Dec [2026] / Dec 31[, 2026], with an optional leading weekday that must match."""
    month = _EN_MONTH_NAMES[m["mon"]]
    day = int(m["d"])
    result = date(int(m["y"]), month, day) if m["y"] else _upcoming_month_day(today, month, day)
    if m["wd"] and _EN_WEEKDAY_NAMES[m["wd"]] != result.weekday():
        raise ValueError("weekday does not match the date")
    return result


_ORD = r"(?:st|nd|rd|th)?"
_EN_WD_PREFIX = rf"(?:(?P<wd>{_EN_WD}),? )?"
_EN_YEAR_SUFFIX = r"(?:,? (?P<y>[0-9]{4}))?"
_PATTERNS: list[tuple[re.Pattern[str], _Handler]] = [
    (re.compile(r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})"), _ymd),
    (re.compile(rf"(?P<y>[0-9]{{4}})年(?P<m>{_NUM})月(?P<d>{_NUM})[日号]?"), _ymd),
    (re.compile(r"(?P<m>[0-9]{1,2})(?P<sep>[-/.])(?P<d>[0-9]{1,2})"), _md),
    (re.compile(rf"(?P<m>{_NUM})月(?P<d>{_NUM})[日号]?"), _md),
    (re.compile(rf"(?P<d>{_NUM})[日号]"), _day_of_month),
    (
        re.compile(rf"{_EN_WD_PREFIX}(?P<d>[0-9]{{1,2}}){_ORD} (?P<mon>{_EN_MON}){_EN_YEAR_SUFFIX}"),
        _en_month_date,
    ),
    (
        re.compile(rf"{_EN_WD_PREFIX}(?P<mon>{_EN_MON}) (?P<d>[0-9]{{1,2}}){_ORD}{_EN_YEAR_SUFFIX}"),
        _en_month_date,
    ),
    (
        re.compile(r"(?P<pre>本|这个|这|下下个|下下|下个|下|上个|上)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"),
        _zh_weekday,
    ),
    (re.compile(rf"(?:(?P<pre>this coming|coming|this|next|last) )?(?P<wd>{_EN_WD})"), _en_weekday),
]

# Counts: "3天后", "两周", "5个工作日", "in 3 days", "5 working days". ``after`` marks 后/later.
_ZH_COUNT = re.compile(
    rf"(?P<n>{_NUM})(?P<unit>个工作日|工作日|个星期|星期|个礼拜|礼拜|个月|天|日|周|年)(?P<after>以后|之后|后)?"
)
_EN_COUNT = re.compile(
    rf"(?:in )?(?P<n>{_EN_NUM}) ?(?P<unit>working days?|work days?|workdays?|business days?|"
    r"days?|weeks?|wks?|months?|years?)(?P<after> later| from now| from today)?"
)

_BY_SUFFIX = re.compile(r"(?:之前|以前|前)\Z")
_WITHIN_SUFFIX = re.compile(r"(?:以内|之内|内)\Z")
_ZH_ANNOTATION = re.compile(r"\((?:周|星期|礼拜)(?P<wd>[一二三四五六日天])\)\Z")


def _normalise(text: str) -> str:
    """NFKC (full-width digits and brackets), lower case, single spaces, none around CJK."""
    s = unicodedata.normalize("NFKC", text).lower()
    s = " ".join(s.split())
    # "12 月 31 日" and "3 天后" mean the same as without spaces; English keeps its spaces.
    s = re.sub(r" ?([^\x00-\x7f]) ?", r"\1", s)
    return s.rstrip("。.! ")


def _parse_count(core: str, today: date, calendar: WorkCalendar, *, by: bool, within: bool) -> date | None:
    """A count of units from today, or None if ``core`` is not a count."""
    zh = _ZH_COUNT.fullmatch(core)
    if zh is not None:
        # A bare "3日" is the 3rd of the month, not three days (only "3日后" / "3日内" are).
        if zh["unit"] == "日" and not zh["after"] and not within:
            return None
        n, unit, after = _number(zh["n"]), _ZH_UNITS[zh["unit"]], bool(zh["after"])
    else:
        en = _EN_COUNT.fullmatch(core)
        if en is None:
            return None
        n, unit, after = _number(en["n"]), _en_unit(en["unit"]), bool(en["after"])
    if by and not after:
        # "3天前" means three days ago, not "by three days from now": refuse to guess.
        raise ValueError("ambiguous count before 前")
    return _shift(today, calendar, n, unit)


def _parse(text: str, today: date, calendar: WorkCalendar) -> date | None:
    """The grammar; None or ValueError / OverflowError when the text is not a valid date."""
    s = _normalise(text)
    by = within = False
    for prefix in ("by ", "before "):
        if s.startswith(prefix):
            s, by = s[len(prefix) :], True
    if s.startswith("within "):
        s, within = s[len("within ") :], True
    stripped = _BY_SUFFIX.sub("", s)
    if stripped != s:
        s, by = stripped, True
    stripped = _WITHIN_SUFFIX.sub("", s)
    if stripped != s:
        s, within = stripped, True
    # The echo format carries a weekday: "2026年12月31日(周四)" (NFKC turned （） into ()).
    annotated: int | None = None
    annotation = _ZH_ANNOTATION.search(s)
    if annotation is not None:
        annotated = _ZH_WEEKDAY_CHARS[annotation["wd"]]
        s = s[: annotation.start()]
    if not s:
        return None

    result = _parse_count(s, today, calendar, by=by, within=within)
    if result is None:
        if within:
            return None  # "内" / "within" only make sense after a count
        resolve = _NAMED.get(s)
        if resolve is not None:
            result = resolve(today)
        else:
            for pattern, handler in _PATTERNS:
                m = pattern.fullmatch(s)
                if m is not None:
                    result = handler(m, today, calendar)
                    break
    if result is not None and annotated is not None and result.weekday() != annotated:
        raise ValueError("weekday does not match the date")
    return result


def parse_date(text: str, *, today: date, calendar: WorkCalendar) -> date:
    """Resolve ``text`` against ``today`` (the user's local date); raise DateError if unreadable."""
    if isinstance(today, datetime):
        raise TypeError("today must be a date in the user's timezone, not a datetime")
    if not isinstance(text, str):
        raise DateError(repr(text))
    try:
        result = _parse(text, today, calendar)
    except (ValueError, OverflowError) as exc:
        # Out-of-range dates (2-30, year 0, past 9999-12-31) end up here.
        raise DateError(text) from exc
    if result is None:
        raise DateError(text)
    return result


def format_date(d: date, lang: str | None) -> str:
    """The date as echoed to users: zh "2026年12月31日（周四）", en "Thu 31 Dec 2026"."""
    return i18n.format_day(d, lang)
