"""Values inside a command: the typed fields of requests (ids, percents, pages, roles …), their parsers
(ids, percents, minutes, times of day, pages, lights, mentions) and the vocabularies of words both
languages accept.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from pydantic import Field

from bot.commands.errors import err
from bot.commands.refs import UserRef, parse_user
from bot.commands.tokens import Ctx, Token, norm, split_options

if TYPE_CHECKING:
    from bot.commands.requests import DeptList, ForceList, MeetingList, WhoAmI


# =============================================================================================
# The typed fields of requests

MAX_ID = 2**31 - 1  # ids are 32-bit integers in PostgreSQL: a larger number names nothing
Id = Annotated[int, Field(gt=0, le=MAX_ID)]
Percent = Annotated[int, Field(ge=0, le=100)]
Priority = Literal["normal", "high"]
LightName = Literal["red", "yellow", "green", "grey"]
MAX_PAGE = 10_000
PageNo = Annotated[int, Field(ge=1, le=MAX_PAGE)]
Role = Literal["member", "lead", "secretary", "leader", "admin"]
MeetingKind = Literal["thematic", "monthly", "other"]
CommandName = Literal["task", "force", "meeting", "guatu"]

# =============================================================================================
# Value parsers

ID_RE = re.compile(r"#?([0-9]{1,18})")
_PERCENT = re.compile(r"([+-]?[0-9]{1,6})%?")
_MINUTES = re.compile(r"([0-9]{1,6})(?:m|min|mins|minutes|分钟|分)?")
_HM = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_ZH_TIME = re.compile(r"(上午|早上|中午|下午|晚上)?([0-9]{1,2})点(?:([0-9]{1,2})分?|(半))?")
ZH_SMALL = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
             "十": 10, "十一": 11, "十二": 12}  # fmt: skip


def parse_id(raw: str, missing: str = "cmd.bad_id") -> int:
    """``123`` or ``#123`` as a positive int."""
    m = ID_RE.fullmatch(norm(raw))
    if m is None or int(m[1]) == 0 or int(m[1]) > MAX_ID:
        raise err(missing, text=raw)
    return int(m[1])


def parse_percent(raw: str) -> int:
    """``60%``, ``60％`` or ``60`` as 0–100."""
    m = _PERCENT.fullmatch(norm(raw))
    if m is None or not 0 <= int(m[1]) <= 100:
        raise err("cmd.bad_percent", text=raw)
    return int(m[1])


def parse_minutes(raw: str) -> int:
    """A length in minutes, 1–480 (``30``, ``30m``, ``30分钟``)."""
    m = _MINUTES.fullmatch(norm(raw).replace(" ", ""))
    if m is None or not 1 <= int(m[1]) <= 480:
        raise err("cmd.bad_minutes", text=raw)
    return int(m[1])


def parse_time(raw: str) -> dt.time | None:
    """``14:30``, ``14：30``, ``9点``, ``下午3点半``; None if not a time of day."""
    s = norm(raw)
    m = _HM.fullmatch(s)
    if m is not None:
        hour, minute = int(m[1]), int(m[2])
    else:
        z = _ZH_TIME.fullmatch(s)
        if z is None:
            return None
        hour = int(z[2])
        minute = 30 if z[4] else int(z[3] or 0)
        if z[1] in ("下午", "晚上") and hour < 12:
            hour += 12
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def need_user(tok: Token) -> UserRef:
    """A token that must name a person."""
    user = parse_user(tok.raw)
    if user is None:
        raise err("cmd.bad_user", text=tok.raw)
    return user


def need_id(tokens: Sequence[Token], what: str = "task") -> tuple[int, list[Token]]:
    """The leading id and the tokens after it."""
    if not tokens:
        raise err(f"cmd.missing_{what}_id")
    return parse_id(tokens[0].raw), list(tokens[1:])


def no_more(ctx: Ctx, tokens: Sequence[Token]) -> None:
    """Refuse leftovers rather than silently dropping what the user typed."""
    if tokens:
        raise err("cmd.unexpected", text=ctx.free(tokens))


def one_person(tokens: Sequence[Token], preset: UserRef | None) -> tuple[UserRef | None, list[Token]]:
    """At most one bare mention (or the ``preset`` option), and the other tokens."""
    person = preset
    rest: list[Token] = []
    for tok in tokens:
        user = parse_user(tok.raw)
        if user is None:
            rest.append(tok)
        elif person is not None:
            raise err("cmd.too_many_users", text=tok.raw)
        else:
            person = user
    return person, rest


def vocab_word(table: dict[str, str], tok: Token) -> str | None:
    """The canonical value of a vocabulary word, None if the word is not in ``table``."""
    return table.get(tok.norm)


def vocab(**spellings: Sequence[str]) -> dict[str, str]:
    """A lookup from every (normalised) spelling to its canonical value."""
    return {norm(s): value for value, words in spellings.items() for s in (value, *words)}


# =============================================================================================
# Vocabularies: every spelling of a word, both languages, to its canonical value

# The two tables' values are their keyword names, so they are typed as the literals they are.
PRIORITIES = cast("dict[str, Priority]", vocab(high=("urgent", "紧急", "高", "急"), normal=("普通", "一般", "中")))
LIST_SCOPES = vocab(mine=("我的", "my", "me"), overdue=("逾期",), all=("全部", "所有"))
LIGHTS = cast("dict[str, LightName]", vocab(red=("红", "红灯", "r"), yellow=("黄", "黄灯", "y"), green=("绿", "绿灯", "g"),
                 grey=("gray", "灰", "灰灯", "未开始")))
DONE_WORDS = vocab(done=("完成", "达成"))
MEETING_KINDS = vocab(
    thematic=("专题会议", "专题", "专题会", "thematic"),
    monthly=("例会", "工作例会", "月度例会", "monthly"),
)
ROLES = vocab(
    member=("成员",), lead=("负责人",), secretary=("秘书",), leader=("领导",),
    admin=("管理员", "administrator"),
)  # fmt: skip
LANGS = vocab(zh=("中文", "chinese", "汉语", "cn", "zh-cn"), en=("英文", "english", "英语"))
RANK_SCOPES = vocab(dept=("部门", "单位", "department", "depts"), force=("专班", "forces"))
WORK_OFF = vocab(work=("上班", "working", "workday", "工作日", "补班"),
                   off=("放假", "holiday", "休息", "休假", "day-off"))  # fmt: skip
OUTBOX = vocab(pending=("待发", "待发送", "排队"), failed=("失败",), all=("全部",), retry=("重试",))
DEPT_ACTIONS = vocab(add=("新建", "new"), set=("设置",), list=("列表",))
CALENDAR_ACTIONS = vocab(set=("设置",), show=("查看", "list", "列表"), **{"import": ("导入",)})
PEOPLE_ACTIONS = vocab(rename=("改名", "更名"), leave=("离职", "left"), list=("列表",))
CONFIRM_WORDS = vocab(confirm=("确认", "确定", "yes"))
# "page:2", "页2", "第2页" as one token (/guatu people).
PAGE_RE = re.compile(r"(?:page|页|第)[:：]?\s*([0-9]+)\s*页?", re.IGNORECASE)
REVOKE = vocab(revoke=("撤销", "收回", "revoke"))


# =============================================================================================
# Shapes several subcommands share: a page, a light, a trailing confirm, no arguments at all

_ZH_PAGE = re.compile(r"第([0-9]+)页")


def paged(ctx: Ctx, args: Sequence[Token], allowed: Iterable[str]) -> tuple[list[Token], dict[str, Any], int]:
    """``split_options`` that also reads the page (``page:2``, ``页:2``, ``第2页``; 1 to MAX_PAGE), default 1."""
    words, opts = split_options(ctx, args, (*allowed, "page"))
    raw = opts.pop("page", None)
    rest = []
    for tok in words:
        m = _ZH_PAGE.fullmatch(tok.norm)
        if m is None:
            rest.append(tok)
        elif raw is not None:
            raise err("cmd.duplicate_option", option="page")
        else:
            raw = m[1]
    if raw is None:
        return rest, opts, 1
    digits = norm(raw).strip()
    if not digits.isdigit() or not 1 <= int(digits) <= MAX_PAGE:
        raise err("cmd.bad_page", text=raw, most=MAX_PAGE)
    return rest, opts, int(digits)


def parse_light(raw: str | None) -> LightName | None:
    if raw is None:
        return None
    found = LIGHTS.get(norm(raw))
    if found is None:
        raise err("cmd.bad_light", text=raw)
    return found


# The explicit go-ahead of a closing move that was refused while something was still open.
_CONFIRM_LAST = frozenset(norm(w) for w in ("confirm", "confirmed", "--confirm", "确认", "确定"))


def confirmed(tokens: Sequence[Token]) -> tuple[list[Token], bool]:
    """The tokens without a trailing confirm word (confirm / 确认), and whether it was there."""
    if tokens and tokens[-1].norm in _CONFIRM_LAST:
        return list(tokens[:-1]), True
    return list(tokens), False


def no_args(cls: type[ForceList | MeetingList | WhoAmI | DeptList]) -> Callable[[Ctx, list[Token]], Any]:
    """A parser for a subcommand without arguments."""

    def parse_it(ctx: Ctx, args: list[Token]) -> Any:
        no_more(ctx, args)
        return cls()

    return parse_it
