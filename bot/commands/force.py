"""/force: the subcommand parsers of the task-force command and their rows of the usage table."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from bot.commands.errors import err
from bot.commands.refs import UserRef
from bot.commands.requests import (
    ForceAddMembers,
    ForceClose,
    ForceDigest,
    ForceExport,
    ForceList,
    ForceMap,
    ForceNew,
    ForceNotice,
    ForceNoticeAck,
    ForceNoticeStatus,
    ForcePolicy,
    ForceRemoveMembers,
    ForceScreenLink,
)
from bot.commands.table import Subcommand, row
from bot.commands.tokens import POLICY_KEYS, POLICY_ZH, Ctx, Token, looks_like_option, norm, split_options
from bot.commands.values import (
    ID_RE,
    REVOKE,
    confirmed,
    need_user,
    no_more,
    one_person,
    paged,
    parse_id,
    parse_light,
    vocab_word,
)
from models import i18n
from models.policy import Policy

# =============================================================================================
# /force


def _force_new(ctx: Ctx, args: list[Token]) -> ForceNew:
    words, opts = split_options(ctx, args, ("lead",))
    # A bare mention can only mean the lead: no force name contains one.
    lead, rest = one_person(words, opts.get("lead"))
    name = ctx.name(rest)
    if not name:
        raise err("cmd.missing_force_name")
    return ForceNew(name=name, lead=lead)


def _members(ctx: Ctx, words: Sequence[Token]) -> list[UserRef]:
    """One or more mentions, nothing else."""
    if not words:
        raise err("cmd.missing_user")
    return [need_user(tok) for tok in words]


def _force_add(ctx: Ctx, args: list[Token]) -> ForceAddMembers:
    words, opts = split_options(ctx, args, ("dept", "force"))
    return ForceAddMembers(users=_members(ctx, words), dept=opts.get("dept"), force=opts.get("force"))


def _force_remove(ctx: Ctx, args: list[Token]) -> ForceRemoveMembers:
    words, opts = split_options(ctx, args, ("force",))
    words, confirm = confirmed(words)
    return ForceRemoveMembers(users=_members(ctx, words), force=opts.get("force"), confirm=confirm)


def _force_close(ctx: Ctx, args: list[Token]) -> ForceClose:
    words, opts = split_options(ctx, args, ("force",))
    words, confirm = confirmed(words)
    if "force" in opts:
        no_more(ctx, words)
        return ForceClose(force=opts["force"], confirm=confirm)
    return ForceClose(force=ctx.name(words) or None, confirm=confirm)


def _force_list(ctx: Ctx, args: list[Token]) -> ForceList:
    words, _opts, page = paged(ctx, args, ())
    no_more(ctx, words)
    return ForceList(page=page)


def _force_map(ctx: Ctx, args: list[Token]) -> ForceMap:
    words, opts = split_options(ctx, args, ("force", "dept", "owner", "light"))
    light = parse_light(opts.get("light"))
    if "force" in opts:
        no_more(ctx, words)
        name = opts["force"]
    else:
        name = ctx.name(words) or None
    return ForceMap(force=name, dept=opts.get("dept"), owner=opts.get("owner"), light=light)


def _force_named(cls: type[ForceDigest | ForceExport | ForceClose]) -> Callable[[Ctx, list[Token]], Any]:
    """A parser for ``[name]`` (or ``force:<name>``); None means the channel's task force."""

    def parse_it(ctx: Ctx, args: list[Token]) -> Any:
        words, opts = split_options(ctx, args, ("force",))
        if "force" in opts:
            no_more(ctx, words)
            return cls(force=opts["force"])
        return cls(force=ctx.name(words) or None)

    return parse_it


_LIST_LIMITS = (0, 60, 10)  # mirrors Policy's validator: each value 0–60, at most 10 values
_QUIET = re.compile(r"([0-9]{1,2})(?::00)?\s*[-~至到]\s*([0-9]{1,2})(?::00)?")


def _policy_bounds(field: str) -> tuple[int, int]:
    """The ge/le bounds of an int Policy field, read from the model so they cannot drift."""
    lo, hi = 0, 10**6
    for meta in Policy.model_fields[field].metadata:
        lo = int(getattr(meta, "ge", lo))
        hi = int(getattr(meta, "le", hi))
    return lo, hi


def _force_policy(ctx: Ctx, args: list[Token]) -> ForcePolicy:
    words, opts = split_options(ctx, args, ("force", *POLICY_KEYS))
    for tok in words:
        key = looks_like_option(tok)
        if key is not None:
            raise err("cmd.bad_policy_key", option=key)
    no_more(ctx, words)
    changes: dict[str, int | list[int]] = {}
    for key in POLICY_KEYS:
        if key not in opts:
            continue
        typed, raw = opts[key]
        value = norm(raw).replace(" ", "")
        if key == "quiet":
            m = _QUIET.fullmatch(value)
            if m is None or int(m[1]) > 23 or int(m[2]) > 23:
                raise err("cmd.bad_quiet", text=raw)
            changes["quiet_start"], changes["quiet_end"] = int(m[1]), int(m[2])
        elif key in ("remind_days", "escalate"):
            lo, hi, most = _LIST_LIMITS
            parts = re.split(r"[,，、/]", value)
            if not all(re.fullmatch(r"[0-9]{1,3}", p) for p in parts) or len(parts) > most or not all(
                lo <= int(p) <= hi for p in parts
            ):
                raise err(f"cmd.bad_{key}", text=raw, lo=lo, hi=hi, most=most)
            changes[key] = [int(p) for p in parts]
        else:
            lo, hi = _policy_bounds(key)
            if not re.fullmatch(r"[0-9]{1,6}", value) or not lo <= int(value) <= hi:
                raise err("cmd.bad_policy_number", option=typed, text=raw, lo=lo, hi=hi)
            changes[key] = int(value)
    return ForcePolicy(force=opts.get("force"), changes=changes)


_NOTICE_ACK = {"ack", "收到", "确认"}
_NOTICE_STATUS = {"status", "回执", "状态"}


def _force_notice(ctx: Ctx, args: list[Token]) -> ForceNotice | ForceNoticeAck | ForceNoticeStatus:
    # "ack 7" / "收到 7" and "status 7" / "回执 7" (exactly a word and an id) act on notice #7.
    if len(args) == 2 and args[0].norm in _NOTICE_ACK | _NOTICE_STATUS and ID_RE.fullmatch(args[1].norm):
        notice_id = parse_id(args[1].raw)
        return ForceNoticeAck(notice_id=notice_id) if args[0].norm in _NOTICE_ACK else ForceNoticeStatus(notice_id=notice_id)
    words, opts = split_options(ctx, args, ("force",))
    text = ctx.free(words)
    if not text:
        raise err("cmd.missing_text")
    return ForceNotice(force=opts.get("force"), text=text)


def _force_screen(ctx: Ctx, args: list[Token]) -> ForceScreenLink:
    revoke = bool(args) and vocab_word(REVOKE, args[0]) == "revoke"
    words, opts = split_options(ctx, args[1:] if revoke else args, ("force",))
    if "force" in opts:
        no_more(ctx, words)
        return ForceScreenLink(force=opts["force"], revoke=revoke)
    return ForceScreenLink(force=ctx.name(words) or None, revoke=revoke)


i18n.register(
    {
        "cmd.bad_policy_key": {
            "zh": "没有「{option}」这条规则，可设置：" + "、".join(POLICY_ZH.values()) + "。",
            "en": "There is no rule “{option}”; rules: " + ", ".join(POLICY_KEYS) + ".",
        }
    }
)


# =============================================================================================
# The /force rows of the table, in the order help shows them

SUBCOMMANDS: tuple[Subcommand, ...] = (
    row("force", "new", "新建", _force_new,
        ("/force 新建 <名称…> [负责人:<@某人>]", "/force new <name…> [lead:<@user>]"),
        ("新建专班并绑定本频道", "create a task force bound to this channel")),
    row("force", "add", "加入", _force_add,
        ("/force 加入 <@某人>… [部门:<名称>] [专班:<名称>]", "/force add <@user>… [dept:<name>] [force:<name>]"),
        ("加入成员", "add members")),
    row("force", "remove", "移出", _force_remove,
        ("/force 移出 <@某人>… [专班:<名称>] [确认]", "/force remove <@user>… [force:<name>] [confirm]"), ("移出成员", "remove members")),
    row("force", "list", "列表", _force_list,
        ("/force 列表 [第<n>页]", "/force list [page:<n>]"), ("列出专班", "list task forces")),
    row("force", "map", "挂图", _force_map,
        ("/force 挂图 [名称] [部门:<名称>] [责任人:<@某人>] [灯:红|黄|绿|灰]",
         "/force map [name] [dept:<name>] [owner:<@user>] [light:red|yellow|green|grey]"),
        ("作战挂图（按责任单位分组，分页）", "the war map (by department, in pages)")),
    row("force", "digest", "周报", _force_named(ForceDigest),
        ("/force 周报 [名称]", "/force digest [name]"), ("本周周报", "the weekly digest")),
    row("force", "policy", "规则", _force_policy,
        ("/force 规则 [专班:<名称>] [临期天数:<n>] [沉默天数:<n>] [提醒:<3,1>] [督办:<0,2,3,5>] [免打扰:<20-8>]",
         "/force policy [force:<name>] [yellow_days:<n>] [stale_days:<n>] [remind_days:<3,1>] [escalate:<0,2,3,5>] [quiet:<20-8>] [ack_pause:<3>] [urgent_entry:<0-3>]"),
        ("查看或修改提醒与督办规则（天数为工作日）", "show or change reminder and escalation rules (working days)")),
    row("force", "notice", "通知", _force_notice,
        ("/force 通知 [专班:<名称>] <内容…>  ·  /force 通知 收到 <编号>  ·  /force 通知 回执 <编号>",
         "/force notice [force:<name>] <text…>  ·  /force notice ack <id>  ·  /force notice status <id>"),
        ("向全体成员发通知；确认收到；查看谁已确认", "send a notice to every member; confirm one; see who confirmed")),
    row("force", "export", "导出", _force_named(ForceExport),
        ("/force 导出 [名称]", "/force export [name]"), ("导出任务清单（Excel）", "export the task list (Excel)")),
    row("force", "screen", "大屏", _force_screen,
        ("/force 大屏 [名称]  ·  /force 大屏 撤销 [名称]", "/force screen [name]  ·  /force screen revoke [name]"),
        ("实时大屏链接（30 天有效）；撤销本专班的大屏链接", "a link to the live wall screen (valid 30 days); revoke "
         "the task force's screen links")),
    row("force", "close", "结束", _force_close,
        ("/force 结束 [名称] [确认]", "/force close [name] [confirm]"), ("结束专班", "close a task force")),
)
