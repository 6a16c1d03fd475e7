"""Tokens and options: the text cut into words (escapes and quotes kept whole), and ``key:value`` options.

:class:`Ctx` carries the text, today and the working calendar to every subcommand parser.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.commands.errors import err
from bot.commands.refs import parse_user
from bot.dates import parse_date
from models.calendar import WorkCalendar
from models.errors import UsageError

# Control characters other than line breaks and tabs (a NUL byte above all) are never text a person
# meant, and PostgreSQL refuses NUL in text: refused at the door.
# The private-use pair that marks the bot's own references (models.i18n.REF) is refused too: typed, it could
# forge a live mention.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")

# =============================================================================================
# Tokens


# A token is a run of non-space characters, except that Slack escapes (<@U1|zhang san>) and
# quoted names ("Data Sharing", “数据 共享”, 「数据 共享」) stay whole even with spaces inside.
_TOKEN = re.compile(r'(?:<[^<>\n]*>|"[^"\n]*"|“[^“”\n]*”|「[^「」\n]*」|\S)+')
_QUOTES = {'"': '"', "“": "”", "「": "」"}


def norm(s: str) -> str:
    """The form compared against vocabulary: NFKC (full-width → ASCII), case-folded."""
    return unicodedata.normalize("NFKC", s).casefold()


def unescape(s: str) -> str:
    """Slack's HTML entities back to characters (``&amp;`` last, so ``&amp;lt;`` stays ``&lt;``)."""
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def unquote(s: str) -> str:
    """A value without one pair of surrounding quotes."""
    if len(s) >= 2 and _QUOTES.get(s[0]) == s[-1]:
        return s[1:-1].strip()
    return s


@dataclass(frozen=True, slots=True)
class Token:
    raw: str
    start: int
    end: int
    index: int

    @property
    def norm(self) -> str:
        return norm(self.raw)


def tokenise(text: str) -> list[Token]:
    """Split on any whitespace (U+3000 included), keeping escapes and quotes whole."""
    return [Token(m[0], m.start(), m.end(), i) for i, m in enumerate(_TOKEN.finditer(text))]


@dataclass(frozen=True, slots=True)
class Ctx:
    text: str
    today: dt.date
    calendar: WorkCalendar

    def date(self, text: str) -> dt.date:
        """A date via the shared grammar (raises DateError, a UsageError)."""
        return parse_date(text, today=self.today, calendar=self.calendar)

    def try_date(self, text: str) -> dt.date | None:
        """A date, or None if ``text`` is not one."""
        try:
            return self.date(text)
        except UsageError:
            return None

    def free(self, tokens: Sequence[Token]) -> str:
        """Free text as typed (inner spacing and line breaks kept), runs joined by a space."""
        runs: list[str] = []
        i = 0
        while i < len(tokens):
            j = i
            while j + 1 < len(tokens) and tokens[j + 1].index == tokens[j].index + 1:
                j += 1
            runs.append(self.text[tokens[i].start : tokens[j].end])
            i = j + 1
        return unescape(" ".join(runs)).strip()

    def name(self, tokens: Sequence[Token]) -> str:
        """A name: free text without surrounding quotes."""
        return unquote(self.free(tokens))


# =============================================================================================
# Options (key:value)

# Canonical key → accepted spellings. A spelling may belong to several keys (负责人 is a
# task's owner, a force's lead, a department's head); no subcommand accepts two of them.
_KEYS: dict[str, tuple[str, ...]] = {
    "due": ("due", "deadline", "截止", "期限", "截止日期"),
    "force": ("force", "专班"),
    "dept": ("dept", "department", "部门", "单位"),
    "prio": ("prio", "priority", "优先级"),
    "title": ("title", "标题", "名称"),
    "node": ("node", "节点"),
    "desc": ("desc", "description", "具体内容", "内容", "说明"),
    "parent": ("parent", "上级", "上级任务"),
    "owner": ("owner", "责任人", "负责人"),
    "lead": ("lead", "负责人"),
    "head": ("head", "负责人"),
    "chair": ("chair", "主持", "主持人"),
    "presenter": ("presenter", "汇报人"),
    "mins": ("mins", "min", "minutes", "时长"),
    "time": ("time", "时间"),
    "every": ("every", "每"),
    "from": ("from", "start", "从", "开始"),
    "reports_to": ("reports_to", "reportsto", "汇报给", "上级"),
    "page": ("page", "页", "页码"),
    "light": ("light", "灯", "亮灯", "灯色"),
    # Policy fields (names as in models.policy.Policy; quiet sets quiet_start and quiet_end).
    "yellow_days": ("yellow_days", "yellow", "临期天数", "临期"),
    "stale_days": ("stale_days", "stale", "沉默天数", "沉默"),
    "lag_pct": ("lag_pct", "lag", "滞后", "进度滞后"),
    "remind_days": ("remind_days", "remind", "提醒", "提醒天数"),
    "remind_hour": ("remind_hour", "提醒时间", "提醒时刻"),
    "escalate": ("escalate", "督办"),
    "quiet": ("quiet", "免打扰"),
    "renotice_hours": ("renotice_hours", "通知重发间隔"),
    "renotice_limit": ("renotice_limit", "通知重发次数"),
    "ack_pause_days": ("ack_pause_days", "ack_pause", "收到暂停", "签收暂停"),
    "urgent_entry": ("urgent_entry", "紧急起点", "紧急起始"),
}
POLICY_KEYS = (
    "yellow_days", "stale_days", "lag_pct", "remind_days", "remind_hour", "escalate", "quiet",
    "renotice_hours", "renotice_limit", "ack_pause_days", "urgent_entry",
)  # fmt: skip
POLICY_ZH = {
    "yellow_days": "临期天数", "stale_days": "沉默天数", "lag_pct": "进度滞后", "remind_days": "提醒",
    "remind_hour": "提醒时间", "escalate": "督办", "quiet": "免打扰", "renotice_hours": "通知重发间隔",
    "renotice_limit": "通知重发次数", "ack_pause_days": "收到暂停", "urgent_entry": "紧急起点",
}  # fmt: skip
_USER_KEYS = frozenset({"owner", "lead", "head", "chair", "presenter", "reports_to"})
_DATE_KEYS = frozenset({"due", "from"})
_KEY_VALUE = re.compile(r"([^\W\d][\w-]*)[:：](.*)", re.DOTALL)


def _key_name(s: str) -> str:
    """Keys compare case-insensitively, with - and _ alike (reports-to = reports_to)."""
    return norm(s).replace("-", "_")


_ALIASES = {key: frozenset(_key_name(a) for a in spellings) for key, spellings in _KEYS.items()}


def _option(tok: Token, allowed: Iterable[str]) -> tuple[str, str, str] | None:
    """``(key, spelling, value)`` if the token is an option this subcommand accepts."""
    m = _KEY_VALUE.fullmatch(tok.raw)
    if m is None:
        return None
    typed = _key_name(m[1])
    for key in allowed:
        if typed in _ALIASES[key]:
            return key, m[1], m[2]
    return None


def looks_like_option(tok: Token) -> str | None:
    """The key of a ``key:value`` token, whatever the key."""
    m = _KEY_VALUE.fullmatch(tok.raw)
    return m[1] if m else None


def split_options(ctx: Ctx, tokens: Sequence[Token], allowed: Iterable[str]) -> tuple[list[Token], dict[str, Any]]:
    """Positional words, and the accepted options converted to their types.

    A ``key:value`` whose key this subcommand does not accept stays a plain word: free text
    ("截止:周五前交材料" in a notice) must not be refused for looking like an option.
    """
    allowed = tuple(allowed)
    words: list[Token] = []
    opts: dict[str, Any] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        found = _option(tok, allowed)
        i += 1
        if found is None:
            words.append(tok)
            continue
        key, typed, value = found
        if key in opts:
            raise err("cmd.duplicate_option", option=typed)
        if not value.strip():
            # "due: 明天" — a space after the colon is a common slip; take the next word.
            if i < len(tokens) and _option(tokens[i], allowed) is None:
                value = tokens[i].raw
                i += 1
            else:
                raise err("cmd.empty_option", option=typed)
        if key in _DATE_KEYS:
            # "due:next friday": a date may run on over the next plain words.
            following = []
            for t in tokens[i : i + 3]:
                if _option(t, allowed) is not None or t.raw.startswith("<"):
                    break
                following.append(t.raw)
            day, used = date_run(ctx, [value, *following])
            opts[key] = day
            i += used - 1
        elif key in POLICY_KEYS:
            opts[key] = (typed, value.strip())  # validated by the policy parser, which names the spelling
        elif key in _USER_KEYS:
            user = parse_user(value)
            if user is None:
                raise err("cmd.bad_user", text=value)
            opts[key] = user
        else:
            text = unquote(unescape(value.strip()))
            if not text:
                raise err("cmd.empty_option", option=typed)
            opts[key] = text
    return words, opts


def date_run(ctx: Ctx, parts: Sequence[str]) -> tuple[dt.date, int]:
    """The shortest run of leading ``parts`` (up to four: "in 5 working days") that reads as a date,
    and its length."""
    for n in range(1, min(4, len(parts)) + 1):
        day = ctx.try_date(" ".join(parts[:n]))
        if day is not None:
            return day, n
    return ctx.date(parts[0]), 1  # raises DateError naming the first word
