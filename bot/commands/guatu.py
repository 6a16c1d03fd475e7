"""/guatu: the subcommand parsers of the administration command and their rows of the usage table."""

from __future__ import annotations

import re

from bot.commands.errors import CommandError, err
from bot.commands.requests import (
    CalendarImport,
    CalendarSet,
    CalendarShow,
    DeptAdd,
    DeptList,
    DeptSetPerson,
    HelpRequest,
    OutboxRetry,
    OutboxShow,
    PeopleLeave,
    PeopleList,
    PeopleRename,
    Rank,
    ReportsTo,
    RoleRemove,
    RoleSet,
    RoleShow,
    ScreenLink,
    SetLang,
    WhoAmI,
)
from bot.commands.table import Subcommand, row
from bot.commands.tokens import Ctx, Token, date_run, norm, split_options, unescape
from bot.commands.values import (
    CALENDAR_ACTIONS,
    CONFIRM_WORDS,
    DEPT_ACTIONS,
    LANGS,
    MAX_PAGE,
    OUTBOX,
    PAGE_RE,
    PEOPLE_ACTIONS,
    RANK_SCOPES,
    REVOKE,
    ROLES,
    WORK_OFF,
    need_id,
    need_user,
    no_args,
    no_more,
    vocab,
    vocab_word,
)

# =============================================================================================
# /guatu


def _rank(ctx: Ctx, args: list[Token]) -> Rank:
    if not args:
        return Rank()
    no_more(ctx, args[1:])
    scope = vocab_word(RANK_SCOPES, args[0])
    if scope is None:
        raise err("cmd.bad_rank_scope", text=args[0].raw)
    return Rank(scope=scope)  # type: ignore[arg-type]


def _guatu_screen(ctx: Ctx, args: list[Token]) -> ScreenLink:
    revoke = bool(args) and vocab_word(REVOKE, args[0]) == "revoke"
    no_more(ctx, args[1:] if revoke else args)
    return ScreenLink(revoke=revoke)


def _lang(ctx: Ctx, args: list[Token]) -> SetLang:
    if not args:
        raise err("cmd.missing_lang")
    no_more(ctx, args[1:])
    lang = vocab_word(LANGS, args[0])
    if lang is None:
        raise err("cmd.bad_lang", text=args[0].raw)
    return SetLang(lang=lang)  # type: ignore[arg-type]


def _dept(ctx: Ctx, args: list[Token]) -> DeptAdd | DeptSetPerson | DeptList:
    if not args:
        return DeptList()
    action = vocab_word(DEPT_ACTIONS, args[0])
    rest = args[1:]
    if action == "list":
        no_more(ctx, rest)
        return DeptList()
    if action == "add":
        words, opts = split_options(ctx, rest, ("parent", "head"))
        name = ctx.name(words)
        if not name:
            raise err("cmd.missing_dept_name")
        return DeptAdd(name=name, parent=opts.get("parent"), head=opts.get("head"))
    if action == "set":
        if not rest:
            raise err("cmd.missing_user")
        user = need_user(rest[0])
        name = ctx.name(rest[1:])
        if not name:
            raise err("cmd.missing_dept_name")
        return DeptSetPerson(user=user, dept=name)
    raise err("cmd.bad_action", text=args[0].raw)


def _role(ctx: Ctx, args: list[Token]) -> RoleSet | ReportsTo | RoleShow | RoleRemove:
    words, opts = split_options(ctx, args, ("reports_to",))
    if not words:
        raise err("cmd.missing_user")
    user = need_user(words[0])
    rest = words[1:]
    if "reports_to" in opts:
        no_more(ctx, rest)
        return ReportsTo(user=user, leader=opts["reports_to"])
    if not rest:
        return RoleShow(user=user)
    no_more(ctx, rest[1:])
    if rest[0].raw[:1] in ("-", "－", "—") and len(rest[0].raw) > 1:
        # "-lead" / "－负责人": take that one role away; the others stay.
        role = ROLES.get(norm(rest[0].raw.lstrip("-－—")))
        if role is None:
            raise err("cmd.bad_role", text=rest[0].raw.lstrip("-－—"))
        return RoleRemove(user=user, role=role)  # type: ignore[arg-type]
    role = vocab_word(ROLES, rest[0])
    if role is None:
        raise err("cmd.bad_role", text=rest[0].raw)
    return RoleSet(user=user, role=role)  # type: ignore[arg-type]


_MONTH_NAMES = {
    name: number
    for number, full in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august", "september",
         "october", "november", "december"),
        start=1,
    )
    for name in (full, full[:3])
} | {"sept": 9}  # fmt: skip
_RELATIVE_MONTHS = vocab(
    **{"0": ("本月", "这个月", "当月", "this", "this month"), "1": ("下月", "下个月", "next", "next month"),
       "-1": ("上月", "上个月", "last", "last month", "previous", "prev")}
)  # fmt: skip
_YEAR_MONTH = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*月?")
_MONTH_ONLY = re.compile(r"([0-9]{1,2})\s*月?")


def _month(ctx: Ctx, raw: str) -> tuple[int, int]:
    """``2026-12``, ``2026年12月``, ``12月``, ``12``, ``dec``, ``下月`` as (year, month)."""
    s = norm(raw).strip()
    year, month = ctx.today.year, 0
    if s in _RELATIVE_MONTHS:
        year, month0 = divmod(ctx.today.year * 12 + ctx.today.month - 1 + int(_RELATIVE_MONTHS[s]), 12)
        return year, month0 + 1
    if (m := _YEAR_MONTH.fullmatch(s)) is not None:
        year, month = int(m[1]), int(m[2])
    elif (m := _MONTH_ONLY.fullmatch(s)) is not None:
        month = int(m[1])
    elif s in _MONTH_NAMES:
        month = _MONTH_NAMES[s]
    if not 1 <= month <= 12 or not 1 <= year <= 9999:
        raise err("cmd.bad_month", text=raw)
    return year, month


def _calendar(ctx: Ctx, args: list[Token]) -> CalendarSet | CalendarShow | CalendarImport:
    action = vocab_word(CALENDAR_ACTIONS, args[0]) if args else "show"
    rest = args[1:]
    if action is None:
        # "/guatu calendar 12月" reads as "show 12月"; anything else is an unknown action.
        try:
            year, month = _month(ctx, ctx.free(args))
        except CommandError:
            raise err("cmd.bad_action", text=args[0].raw) from None
        return CalendarShow(year=year, month=month)
    if action == "show":
        if not rest:
            return CalendarShow(year=ctx.today.year, month=ctx.today.month)
        year, month = _month(ctx, ctx.free(rest))
        return CalendarShow(year=year, month=month)
    if action == "import":
        return _calendar_import(ctx, rest)
    if action == "set":
        if not rest:
            raise err("cmd.missing_date")
        day, used = date_run(ctx, [t.raw for t in rest[:3]])
        if len(rest) <= used:
            raise err("cmd.missing_work_off")
        working = vocab_word(WORK_OFF, rest[used])
        if working is None:
            raise err("cmd.bad_work_off", text=rest[used].raw)
        return CalendarSet(day=day, working=working == "work", reason=ctx.free(rest[used + 1 :]) or None)
    raise err("cmd.bad_action", text=args[0].raw)


def _outbox(ctx: Ctx, args: list[Token]) -> OutboxShow | OutboxRetry:
    if not args:
        return OutboxShow()
    word = vocab_word(OUTBOX, args[0])
    if word == "retry":
        outbox_id, rest = need_id(args[1:], "outbox")
        no_more(ctx, rest)
        return OutboxRetry(outbox_id=outbox_id)
    if word is None:
        raise err("cmd.bad_outbox", text=args[0].raw)
    no_more(ctx, args[1:])
    return OutboxShow(status=word)  # type: ignore[arg-type]


def _people_cmd(ctx: Ctx, args: list[Token]) -> PeopleList | PeopleRename | PeopleLeave:
    action = vocab_word(PEOPLE_ACTIONS, args[0]) if args else "list"
    rest = args[1:] if args and action else args
    if action == "rename":
        if not rest:
            raise err("cmd.missing_user")
        name = ctx.name(rest[1:])
        if not name:
            raise err("cmd.missing_name")
        return PeopleRename(user=need_user(rest[0]), name=name)
    if action == "leave":
        if not rest:
            raise err("cmd.missing_user")
        no_more(ctx, rest[1:])
        return PeopleLeave(user=need_user(rest[0]))
    page, words = 1, []
    for tok in rest:
        m = PAGE_RE.fullmatch(norm(tok.raw))
        if m is not None:
            page = int(m[1])
            if not 1 <= page <= MAX_PAGE:
                raise err("cmd.bad_page", text=tok.raw, most=MAX_PAGE)
        else:
            words.append(tok)
    words, opts = split_options(ctx, words, ("dept",))
    return PeopleList(dept=opts.get("dept"), text=ctx.name(words) or None, page=page)


def _calendar_import(ctx: Ctx, rest: list[Token]) -> CalendarImport:
    confirm = bool(rest) and vocab_word(CONFIRM_WORDS, rest[0]) is not None
    if confirm:
        rest = rest[1:]
    if not rest:
        raise err("cmd.missing_notice")
    # The notice as pasted, line breaks and all: the parser needs its punctuation and numbering.
    return CalendarImport(text=unescape(ctx.text[rest[0].start:]).strip(), confirm=confirm)


def _guatu_help(ctx: Ctx, args: list[Token]) -> HelpRequest:
    # Reached only through the help detection in parse(); kept so the table lists it.
    return HelpRequest()  # pragma: no cover


# =============================================================================================
# The /guatu rows of the table, in the order help shows them

SUBCOMMANDS: tuple[Subcommand, ...] = (
    row("guatu", "help", "帮助", _guatu_help,
        ("/guatu 帮助 [任务|专班|会议|挂图]", "/guatu help [task|force|meeting|guatu]"), ("帮助", "help")),
    row("guatu", "whoami", "我", no_args(WhoAmI),
        ("/guatu 我", "/guatu whoami"), ("我的部门、角色与专班", "my department, roles and task forces")),
    row("guatu", "dept", "部门", _dept,
        ("/guatu 部门 新建 <名称> [上级:<名称>] [负责人:<@某人>]\n/guatu 部门 设置 <@某人> <名称>\n/guatu 部门 列表",
         "/guatu dept add <name> [parent:<name>] [head:<@user>]\n/guatu dept set <@user> <name>\n/guatu dept list"),
        ("管理部门", "manage departments")),
    row("guatu", "role", "角色", _role,
        ("/guatu 角色 <@某人> [负责人|秘书|领导|管理员]\n/guatu 角色 <@某人> -<角色>\n/guatu 角色 <@某人> 汇报给:<@领导>",
         "/guatu role <@user> [lead|secretary|leader|admin]\n/guatu role <@user> -<role>\n/guatu role <@user> reports-to:<@leader>"),
        ("查看或设置角色、汇报对象", "show or set a role, or whom a person reports to")),
    row("guatu", "people", "人员", _people_cmd,
        ("/guatu 人员 [部门:<名称>] [姓名或文字] [page:<n>]\n/guatu 人员 改名 <@某人> <姓名>\n/guatu 人员 离职 <@某人>",
         "/guatu people [dept:<name>] [text] [page:<n>]\n/guatu people rename <@user> <name>\n/guatu people leave <@user>"),
        ("查找人员、改名、离职", "find people, rename, mark a person who left")),
    row("guatu", "calendar", "日历", _calendar,
        ("/guatu 日历 设置 <日期> <上班|放假> [原因…]\n/guatu 日历 查看 [YYYY-MM|M月]\n/guatu 日历 导入 [确认] <国务院办公厅通知全文>",
         "/guatu calendar set <date> <work|off> [reason…]\n/guatu calendar show [YYYY-MM|month]\n"
         "/guatu calendar import [confirm] <the State Council's notice>"),
        ("工作日历（节假日与调休）", "working-day calendar (holidays and make-up days)")),
    row("guatu", "rank", "赛马", _rank,
        ("/guatu 赛马 [部门|专班]", "/guatu rank [dept|force]"), ("赛马排名", "the horse-race ranking")),
    row("guatu", "screen", "大屏", _guatu_screen,
        ("/guatu 大屏  ·  /guatu 大屏 撤销", "/guatu screen  ·  /guatu screen revoke"),
        ("全部专班总览大屏链接（领导、管理员）；撤销总览链接", "a link to the wall screen of every task force "
         "(leader, admin); revoke those links")),
    row("guatu", "outbox", "发送队列", _outbox,
        ("/guatu 发送队列 [失败|全部|重试 <编号>]", "/guatu outbox [failed|all|retry <id>]"),
        ("消息发送队列", "the outgoing message queue")),
    row("guatu", "lang", "语言", _lang,
        ("/guatu 语言 <中文|英文>", "/guatu lang <zh|en>"), ("设置我的语言", "set my language")),
)
