"""Lights (红/黄/绿灯): a pure function of a task's facts, ``now``, the calendar and the policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from models import i18n
from models.calendar import local_today
from models.i18n import Msg
from models.policy import Policy

RED, YELLOW, GREEN, GREY = "red", "yellow", "green", "grey"
ORDER = {RED: 0, YELLOW: 1, GREEN: 2, GREY: 3}
EMOJI = {RED: "🔴", YELLOW: "🟡", GREEN: "🟢", GREY: "⚪"}


@dataclass(frozen=True)
class TaskFacts:
    """What the light depends on, detached from the database."""

    status: str
    progress: int
    start_date: date
    due: date
    created_at: datetime
    last_progress_at: datetime | None = None
    open_nodes: tuple[tuple[str, date], ...] = ()


@dataclass(frozen=True)
class Light:
    color: str
    reasons: tuple[Msg, ...] = field(default_factory=tuple)

    def label(self, lang: str | None) -> str:
        return f"{EMOJI[self.color]} {i18n.t('light.' + self.color, lang)}"

    def explain(self, lang: str | None) -> str:
        return "；".join(r.render(lang) for r in self.reasons) if lang != "en" else "; ".join(
            r.render(lang) for r in self.reasons
        )


class WorkingDays(Protocol):
    """What a light needs of the calendar (a WorkCalendar, or lists' memo of one)."""

    def working_days_between(self, start: date, end: date) -> int: ...


def compute(facts: TaskFacts, *, now: datetime, tz: ZoneInfo, calendar: WorkingDays, policy: Policy) -> Light:
    """Red: a node or the deadline passed undone. Yellow: due soon, behind, silent or blocked.
    Grey: not started. Green: on track or done."""
    if facts.status == "done":
        return Light(GREEN, (Msg("light.why.done"),))
    if facts.status == "cancelled":
        return Light(GREY, (Msg("light.why.cancelled"),))
    today = local_today(now, tz)
    if facts.status == "done_requested":
        return Light(GREEN, (Msg("light.why.awaiting_verify"),))

    red: list[Msg] = []
    yellow: list[Msg] = []
    if facts.due < today:
        red.append(Msg("light.why.overdue", days=calendar.working_days_between(facts.due, today)))
    for name, due in facts.open_nodes:
        if due < today:
            red.append(Msg("light.why.node_overdue", name=name, date=i18n.Day(due)))
    if red:
        return Light(RED, tuple(red))

    left = calendar.working_days_between(today, facts.due)
    if facts.due == today:
        yellow.append(Msg("light.why.due_today"))
    elif left == 0:  # due on a day off just ahead: today is the last working day before it
        yellow.append(Msg("light.why.due_last_day", date=i18n.Day(facts.due)))
    elif left <= policy.yellow_days:
        yellow.append(Msg("light.why.due_soon", days=left))
    for name, due in facts.open_nodes:
        if calendar.working_days_between(today, due) <= policy.yellow_days:
            yellow.append(Msg("light.why.node_soon", name=name, date=i18n.Day(due)))
    if facts.status == "blocked":
        yellow.append(Msg("light.why.blocked"))
    started = facts.start_date <= today
    if started:
        total = (facts.due - facts.start_date).days
        if total > 0:
            expected = min(100, round(100 * (today - facts.start_date).days / total))
            if expected - facts.progress > policy.lag_pct:
                yellow.append(Msg("light.why.behind", expected=expected, actual=facts.progress))
        last = facts.last_progress_at or facts.created_at
        silent = calendar.working_days_between(local_today(last, tz), today)
        if silent >= policy.stale_days:
            yellow.append(Msg("light.why.silent", days=silent))
    if yellow:
        return Light(YELLOW, tuple(yellow))
    if not started or (facts.status == "todo" and facts.progress == 0):
        return Light(GREY, (Msg("light.why.not_started"),))
    return Light(GREEN, (Msg("light.why.on_track"),))


i18n.register(
    {
        "light.red": {"zh": "红灯", "en": "red"},
        "light.yellow": {"zh": "黄灯", "en": "yellow"},
        "light.green": {"zh": "绿灯", "en": "green"},
        "light.grey": {"zh": "未开始", "en": "not started"},
        "light.why.done": {"zh": "已销号", "en": "done and verified"},
        "light.why.cancelled": {"zh": "已撤销", "en": "cancelled"},
        "light.why.awaiting_verify": {"zh": "已报完成，待负责人销号", "en": "reported done, awaiting verification"},
        "light.why.overdue": {"zh": "已逾期 {days} 个工作日", "en": "overdue by {days} {days:working day|working days}"},
        "light.why.node_overdue": {"zh": "节点「{name}」（{date}）已逾期", "en": "node “{name}” ({date}) is overdue"},
        "light.why.due_today": {"zh": "今天截止", "en": "due today"},
        "light.why.due_last_day": {"zh": "{date}截止（非工作日），今天是最后一个工作日",
                                   "en": "due {date} (a day off): today is the last working day"},
        "light.why.due_soon": {"zh": "距截止还有 {days} 个工作日", "en": "{days} {days:working day|working days} to the deadline"},
        "light.why.node_soon": {"zh": "节点「{name}」（{date}）临期", "en": "node “{name}” ({date}) is due soon"},
        "light.why.blocked": {"zh": "受阻", "en": "blocked"},
        "light.why.behind": {
            "zh": "进度 {actual}% 落后于计划 {expected}%",
            "en": "progress {actual}% is behind the plan's {expected}%",
        },
        "light.why.silent": {"zh": "已 {days} 个工作日无进展更新", "en": "no update for {days} {days:working day|working days}"},
        "light.why.not_started": {"zh": "尚未开始", "en": "not started yet"},
        "light.why.on_track": {"zh": "按计划推进", "en": "on track"},
    }
)
