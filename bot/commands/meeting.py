"""/meeting: the subcommand parsers of the meeting command and their rows of the usage table."""

from __future__ import annotations

import datetime as dt
import re

from bot.commands.errors import err
from bot.commands.requests import (
    MeetingAgenda,
    MeetingDecide,
    MeetingList,
    MeetingMinutes,
    MeetingNew,
    MeetingPropose,
    MeetingSeries,
)
from bot.commands.table import Subcommand, row
from bot.commands.tokens import Ctx, Token, norm, split_options
from bot.commands.values import (
    MEETING_KINDS,
    ZH_SMALL,
    need_id,
    no_args,
    no_more,
    one_person,
    parse_minutes,
    parse_time,
    vocab,
    vocab_word,
)

# =============================================================================================
# /meeting


def _meeting_new(ctx: Ctx, args: list[Token]) -> MeetingNew:
    words, opts = split_options(ctx, args, ("chair", "mins", "time"))
    chair, rest = one_person(words, opts.get("chair"))
    if not rest:
        raise err("cmd.missing_meeting_title")
    found = vocab_word(MEETING_KINDS, rest[0])
    meeting_kind = found or "other"
    at: dt.time | None = None
    if "time" in opts:
        at = parse_time(opts["time"])
        if at is None:
            raise err("cmd.bad_time", text=opts["time"])
    elif len(rest) > 2 and (at := parse_time(rest[-1].raw)) is not None:
        rest = rest[:-1]
    # The date ends the positional words; prefer the longest run that reads as a date
    # ("next friday" over "friday"), keeping at least the first word for the title or kind.
    day: dt.date | None = None
    start = len(rest)
    for n in (3, 2, 1):
        if len(rest) - n >= 1 and (day := ctx.try_date(" ".join(t.raw for t in rest[-n:]))) is not None:
            start = len(rest) - n
            break
    if day is None:
        if len(rest) < 2:
            raise err("cmd.missing_meeting_title" if ctx.try_date(rest[0].raw) else "cmd.missing_date")
        start = len(rest) - 1
        day = ctx.date(rest[-1].raw)  # not a date: raises DateError naming the word
    title = ctx.name(rest[1 if found else 0 : start]) or None
    minutes = parse_minutes(opts["mins"]) if "mins" in opts else None
    return MeetingNew(meeting_kind=meeting_kind, title=title, date=day, time=at, chair=chair, minutes=minutes)  # type: ignore[arg-type]


_EVERY_SPECIAL = vocab(**{"1": ("monthly", "每月", "每个月", "月", "月度"), "2": ("bimonthly", "双月", "每两月")})
_EVERY = re.compile(r"(?:每隔?)?([0-9]{1,2}|十[一二]|[一二两三四五六七八九十])个?(?:月|m|mo|months?)?")


def _every(raw: str) -> int:
    """``2m``, ``1m``, ``两个月``, ``每月``, ``monthly`` as a number of months, 1–12."""
    s = norm(raw).replace(" ", "")
    if s in _EVERY_SPECIAL:
        return int(_EVERY_SPECIAL[s])
    m = _EVERY.fullmatch(s)
    if m is None:
        raise err("cmd.bad_every", text=raw)
    n = int(m[1]) if m[1].isascii() else ZH_SMALL[m[1]]
    if not 1 <= n <= 12:
        raise err("cmd.bad_every", text=raw)
    return n


def _meeting_series(ctx: Ctx, args: list[Token]) -> MeetingSeries:
    words, opts = split_options(ctx, args, ("every", "from"))
    if not words:
        raise err("cmd.missing_series_kind")
    found = vocab_word(MEETING_KINDS, words[0])
    if found is None:
        raise err("cmd.bad_series_kind", text=words[0].raw)
    no_more(ctx, words[1:])
    # The two series the method knows: 专题会议 every two months, 工作例会 every month.
    every = _every(opts["every"]) if "every" in opts else (2 if found == "thematic" else 1)
    if "from" not in opts:
        raise err("cmd.missing_start")
    return MeetingSeries(meeting_kind=found, every_months=every, start=opts["from"])  # type: ignore[arg-type]


def _meeting_propose(ctx: Ctx, args: list[Token]) -> MeetingPropose:
    words, opts = split_options(ctx, args, ("presenter", "mins"))
    meeting_id, rest = need_id(words, "meeting")
    presenter, topic_words = one_person(rest, opts.get("presenter"))
    topic = ctx.free(topic_words)
    if not topic:
        raise err("cmd.missing_topic")
    minutes = parse_minutes(opts["mins"]) if "mins" in opts else None
    return MeetingPropose(meeting_id=meeting_id, topic=topic, presenter=presenter, minutes=minutes)


def _meeting_agenda(ctx: Ctx, args: list[Token]) -> MeetingAgenda:
    meeting_id, rest = need_id(args, "meeting")
    no_more(ctx, rest)
    return MeetingAgenda(meeting_id=meeting_id)


def _meeting_decide(ctx: Ctx, args: list[Token]) -> MeetingDecide:
    words, opts = split_options(ctx, args, ("owner", "due"))
    meeting_id, rest = need_id(words, "meeting")
    owner, text_words = one_person(rest, opts.get("owner"))
    text = ctx.free(text_words)
    if not text:
        raise err("cmd.missing_text")
    if owner is None:
        raise err("cmd.missing_owner")
    if "due" not in opts:
        raise err("cmd.missing_due")
    return MeetingDecide(meeting_id=meeting_id, text=text, owner=owner, due=opts["due"])


def _meeting_minutes(ctx: Ctx, args: list[Token]) -> MeetingMinutes:
    meeting_id, rest = need_id(args, "meeting")
    return MeetingMinutes(meeting_id=meeting_id, text=ctx.free(rest) or None)


# =============================================================================================
# The /meeting rows of the table, in the order help shows them

SUBCOMMANDS: tuple[Subcommand, ...] = (
    row("meeting", "new", "新建", _meeting_new,
        ("/meeting 新建 <专题会议|例会|标题…> <日期> [HH:MM] [主持:<@某人>] [时长:<分钟>]",
         "/meeting new <thematic|monthly|title…> <date> [HH:MM] [chair:<@user>] [mins:<n>]"),
        ("新建会议", "schedule a meeting")),
    row("meeting", "series", "周期", _meeting_series,
        ("/meeting 周期 <专题会议|例会> 每:<两个月|每月> 从:<日期>",
         "/meeting series <thematic|monthly> every:<2m|1m> from:<date>"),
        ("设置周期会议", "a recurring meeting series")),
    row("meeting", "propose", "申报", _meeting_propose,
        ("/meeting 申报 <会议编号> <议题…> [汇报人:<@某人>] [时长:<分钟>]",
         "/meeting propose <meeting-id> <topic…> [presenter:<@user>] [mins:<n>]"),
        ("申报议题", "propose an agenda item")),
    row("meeting", "agenda", "议程", _meeting_agenda,
        ("/meeting 议程 <会议编号>", "/meeting agenda <meeting-id>"), ("生成议程", "build the agenda")),
    row("meeting", "decide", "议定", _meeting_decide,
        ("/meeting 议定 <会议编号> <事项…> <@责任人> 截止:<日期>",
         "/meeting decide <meeting-id> <text…> <@owner> due:<date>"),
        ("记录议定事项（转为任务）", "record a decision (becomes a task)")),
    row("meeting", "minutes", "纪要", _meeting_minutes,
        ("/meeting 纪要 <会议编号> [内容…]", "/meeting minutes <meeting-id> [text…]"),
        ("记录或查看会议纪要", "record or show the minutes")),
    row("meeting", "list", "列表", no_args(MeetingList),
        ("/meeting 列表", "/meeting list"), ("列出会议", "list meetings")),
)
