"""Next year's calendar from the State Council's notice (国务院办公厅关于XXXX年部分节假日安排的通知).

The notice is read as published: numbered sections (``二、春节：…``), ranges that cross a month or a year,
single days (``放假1天``), 补休 days, 上班 make-up days, 周 or 星期 weekday names. Nothing is guessed: a
weekday name that disagrees with its date, a range whose length disagrees with ``共N天``, or a section
with no date is reported, and the caller writes nothing while anything is reported.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from models import audit, i18n
from models.calendar import _EMPTY_YEAR, WorkCalendar, _load_year
from models.errors import InvalidInput
from models.i18n import Day, Msg
from models.org import require_role
from models.tables import CalendarOverride, Person, Workspace

_ZH_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}

# A section starts a line, or follows a full stop: "初七、周一" inside a parenthesis is not one.
_SECTION = re.compile(r"(?:^|(?<=[。\n]))\s*([一二三四五六七八九十]+)、\s*([^:\n。]{1,30}?):", re.MULTILINE)
_DATE = re.compile(r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日(?:\s*\(([^()]*)\))?")
_RANGE_SEP = re.compile(r"^\s*(?:至|到|-|~|—|–)\s*")
_WEEKDAY = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
_TOTAL = re.compile(r"共\s*(\d+)\s*天")
_TITLE_YEAR = re.compile(r"关于\s*(\d{4})\s*年")


@dataclass(frozen=True)
class NoticeDay:
    """One day the notice decides: off (放假, 补休) or a make-up working day (上班), and the holiday's name."""

    day: date
    working: bool
    holiday: str

    @property
    def reason(self) -> str:
        return f"{self.holiday}调休上班" if self.working else self.holiday


@dataclass
class ParsedNotice:
    """What a notice says, and what it says that cannot be right (``problems``: nothing is written then)."""

    year: int | None
    days: list[NoticeDay] = field(default_factory=list)
    problems: list[Msg] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.days) and not self.problems


def _normalise(text: str) -> str:
    # NFKC turns full-width digits, colons and parentheses into ASCII; （ ） → ( ), ： → :
    return unicodedata.normalize("NFKC", text).replace("\r", "")


def parse_notice(text: str, *, year: int | None = None) -> ParsedNotice:
    """Every day off and make-up working day the notice names; never a guess (problems are listed)."""
    text = _normalise(text)
    if year is None:
        m = _TITLE_YEAR.search(text) or re.search(r"(\d{4})\s*年", text)
        year = int(m[1]) if m else None
    out = ParsedNotice(year=year)
    if year is None:
        out.problems.append(Msg("notice.no_year"))
        return out
    sections = list(_SECTION.finditer(text))
    if not sections:
        out.problems.append(Msg("notice.no_sections"))
        return out
    seen: dict[date, NoticeDay] = {}
    for i, sec in enumerate(sections):
        end = sections[i + 1].start() if i + 1 < len(sections) else len(text)
        name = sec[2].strip()
        body = text[sec.end():end]
        # The notice's closing paragraph follows the last section after a blank line.
        body = re.split(r"\n\s*\n", body, maxsplit=1)[0]
        found = _section_days(body, name, year, out.problems)
        if not found:
            out.problems.append(Msg("notice.section_empty", name=name))
        for d in found:
            other = seen.get(d.day)
            if other is not None and other.working != d.working:
                out.problems.append(Msg("notice.conflict", date=Day(d.day)))
            seen[d.day] = d
    out.days = sorted(seen.values(), key=lambda d: d.day)
    return out


def _section_days(body: str, name: str, year: int, problems: list[Msg]) -> list[NoticeDay]:
    days: list[NoticeDay] = []
    month: int | None = None
    for sentence in re.split(r"[。;；]", body):
        # "6月20日放假，6月22日（星期一）补休": each clause says what its own dates are.
        for clause in re.split(r"[,，]", sentence):
            kind = _clause_kind(clause)
            dates, month, _year_seen = _clause_dates(clause, year, month, name, problems)
            if kind is None or not dates:
                continue
            working = kind == "work"
            for d in dates:
                days.append(NoticeDay(d, working, name))
            if not working and (total := _TOTAL.search(sentence)) and len(dates) > 1 \
                    and int(total[1]) != len(dates):
                problems.append(Msg("notice.bad_total", name=name, said=int(total[1]), counted=len(dates)))
    return days


def _clause_kind(clause: str) -> str | None:
    if "上班" in clause:
        return "work"
    if "放假" in clause or "补休" in clause:
        return "off"
    return None  # 鼓励……安排职工在除夕休息 is advice, not a day off


def _clause_dates(clause: str, year: int, month: int | None, name: str,
                  problems: list[Msg]) -> tuple[list[date], int | None, int]:
    """The dates of one clause, ranges expanded; a date without a month takes the previous one's."""
    out: list[date] = []
    pos = 0
    prev: date | None = None
    while (m := _DATE.search(clause, pos)) is not None:
        d = _make_date(m, year, month, prev, problems)
        pos = m.end()
        if d is None:
            continue
        month = d.month
        year = d.year
        sep = _RANGE_SEP.match(clause[pos:])
        nxt = _DATE.match(clause, pos + sep.end()) if sep else None
        if nxt is not None:
            last = _make_date(nxt, year, month, d, problems)
            pos = nxt.end()
            if last is None:
                continue
            if last < d:
                problems.append(Msg("notice.bad_range", name=name, start=Day(d), end=Day(last)))
                continue
            month, year = last.month, last.year
            span = (last - d).days + 1
            out.extend(d + timedelta(days=k) for k in range(span))
            prev = last
        else:
            out.append(d)
            prev = d
    return out, month, year


def _make_date(m: re.Match, year: int, month: int | None, prev: date | None, problems: list[Msg]) -> date | None:
    y = int(m[1]) if m[1] else year
    mo = int(m[2]) if m[2] else month
    if mo is None:
        problems.append(Msg("notice.no_month", text=m[0]))
        return None
    try:
        d = date(y, mo, int(m[3]))
    except ValueError:
        problems.append(Msg("notice.bad_date", text=m[0]))
        return None
    if prev is not None and not m[2] and d < prev:
        # "12月30日至3日": a day without its month, before the range's start, is next month's.
        nm = date(y + (mo == 12), mo % 12 + 1, 1)
        try:
            d = nm.replace(day=int(m[3]))
        except ValueError:
            problems.append(Msg("notice.bad_date", text=m[0]))
            return None
    if m[4] and (wd := _WEEKDAY.search(m[4])) is not None and _WEEKDAYS[wd[1]] != d.weekday():
        problems.append(Msg("notice.bad_weekday", text=m[0], date=Day(d)))
    return d


# ------------------------------------------------------------------ the calendar


def apply_notice(session: Session, actor: Person | None, ws: Workspace, notice: ParsedNotice, *,
                 now: datetime) -> tuple[int, int]:
    """Writes the notice's days as overrides (admin; None is the operator at the CLI); (added, changed).
    Idempotent: the same notice again changes nothing. Refuses a notice with problems, writing nothing."""
    if actor is not None:
        require_role(session, actor, "admin")
    if not notice.ok:
        raise InvalidInput("notice.not_ok", n=len(notice.problems))
    existing = {r.day: r for r in session.exec(select(CalendarOverride).where(
        CalendarOverride.workspace_id == ws.id, col(CalendarOverride.day).in_([d.day for d in notice.days]))).all()}
    added = changed = 0
    for d in notice.days:
        row = existing.get(d.day)
        if row is None:
            session.add(CalendarOverride(workspace_id=ws.id, day=d.day, working=d.working, reason=d.reason,
                                         set_by_id=actor.id if actor else None, created_at=now))
            added += 1
        elif (row.working, row.reason) != (d.working, d.reason):
            row.working, row.reason = d.working, d.reason
            row.set_by_id = actor.id if actor else row.set_by_id
            changed += 1
    session.flush()
    audit.record(session, workspace_id=ws.id, actor=actor, action="calendar.import", entity="calendar", entity_id=None,
                 now=now, year=notice.year, added=added, changed=changed,
                 off=[d.day.isoformat() for d in notice.days if not d.working],
                 work=[d.day.isoformat() for d in notice.days if d.working])
    return added, changed


def has_official_data(session: Session, workspace_id: int, year: int) -> bool:
    """True if ``year``'s schedule is known: the package has make-up days for it, or overrides exist."""
    if _load_year(year).makeup_workdays:
        return True
    return session.exec(select(CalendarOverride.id).where(
        CalendarOverride.workspace_id == workspace_id,
        CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))).first() is not None


def next_year_missing(session: Session, workspace_id: int | None, today: date) -> int | None:
    """From 1 November: next year if its official schedule is not in yet (a reminder is due), else None."""
    if today.month < 11:
        return None
    year = today.year + 1
    if _load_year(year).makeup_workdays:
        return None
    if workspace_id is not None and has_official_data(session, workspace_id, year):
        return None
    return year


def calendar_from_notice(notice: ParsedNotice) -> WorkCalendar:
    """A calendar that knows only weekends and this notice (to compare with the package's data)."""
    cal = WorkCalendar({d.day: (d.working, d.reason) for d in notice.days})
    if notice.year:
        cal._years[notice.year] = _EMPTY_YEAR  # weekends only, besides the notice
    return cal


i18n.register(
    {
        "notice.no_year": {"zh": "通知里找不到年份（如「关于2027年部分节假日安排的通知」）。",
                           "en": "The notice names no year (e.g. 关于2027年部分节假日安排的通知)."},
        "notice.no_sections": {"zh": "通知里找不到编号的节假日条目（如「一、元旦：1月1日放假」）。",
                               "en": "The notice has no numbered holiday sections (like 一、元旦：1月1日放假)."},
        "notice.section_empty": {"zh": "「{name}」一节没有读到任何日期。", "en": "Section “{name}” names no date I could read."},
        "notice.conflict": {"zh": "{date} 既写了放假又写了上班。", "en": "{date} is both a day off and a working day."},
        "notice.bad_total": {"zh": "「{name}」写的是共 {said} 天，日期范围却是 {counted} 天。",
                             "en": "“{name}” says {said} days, but its range has {counted}."},
        "notice.bad_range": {"zh": "「{name}」的范围 {start} 至 {end} 倒过来了。",
                             "en": "“{name}”: the range {start} to {end} runs backwards."},
        "notice.no_month": {"zh": "「{text}」缺少月份。", "en": "“{text}” has no month."},
        "notice.bad_date": {"zh": "「{text}」不是有效日期。", "en": "“{text}” is not a valid date."},
        "notice.bad_weekday": {"zh": "「{text}」写的星期与日期不符：那天是 {date}。请核对原文。",
                               "en": "“{text}”: the weekday does not match the date, which is {date}. Check the text."},
        "notice.not_ok": {"zh": "通知有 {n} 处问题，日历没有改动。", "en": "The notice has {n} {n:problem|problems}; the calendar is unchanged."},
        "notice.summary": {"zh": "{year} 年：放假 {off} 天，调休上班 {work} 天。",
                           "en": "{year}: {off} {off:day|days} off, {work} make-up working {work:day|days}."},
        "notice.written": {"zh": "已写入日历：新增 {added} 天，修改 {changed} 天。",
                           "en": "Written to the calendar: {added} {added:day|days} added, {changed} changed."},
        "notice.reminder": {
            "zh": "⏰ 提醒：{year} 年的节假日安排还没有录入。国务院办公厅的通知发布后，用 /guatu calendar import <通知全文> 导入。",
            "en": "⏰ Reminder: {year}'s official holiday schedule is not in yet. When the State Council's notice is out, "
                  "paste it with /guatu calendar import <notice text>.",
        },
    }
)
