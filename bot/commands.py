"""The command language: one line of chat text in, one typed request (or a usage error) out.

``parse("/task", "add 写方案 <@U1> due:下周五", today=..., calendar=...)`` returns a frozen
pydantic model such as :class:`TaskAdd`; malformed text raises :class:`CommandError` (a
:class:`~models.errors.UsageError`) whose rendered text says what was wrong and shows the usage
line of that subcommand. Nothing else is ever raised, whatever the text.

Every subcommand has an English and a Chinese name and lives in one table (:data:`COMMANDS`)
together with its usage line and summary; ``help_text`` is generated from that same table, so
the help cannot drift from the parser. Pure: no I/O, no database.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeAlias, cast

from pydantic import BaseModel, ConfigDict, Field

from bot.dates import parse_date
from models import i18n
from models.calendar import WorkCalendar
from models.errors import UsageError
from models.policy import Policy

__all__ = [
    "COMMANDS",
    "ChannelRef",
    "CommandError",
    "OpenForm",
    "Request",
    "UserRef",
    "help_text",
    "parse",
    "parse_channel",
    "parse_user",
]

# =============================================================================================
# Errors


class CommandError(UsageError):
    """A malformed command: renders what was wrong, then the usage line of the subcommand."""

    def __init__(self, key: str, /, *, usage: str | None = None, **params: Any) -> None:
        """``key`` names the problem; ``usage`` the catalogue key of the right form."""
        super().__init__(key, **params)
        self.usage = usage

    def render(self, lang: str | None) -> str:
        """Problem first, then ``Usage: …`` in the same language."""
        problem = super().render(lang)
        if self.usage is None:
            return problem
        return f"{problem}\n{i18n.t('cmd.usage', lang)}{i18n.t(self.usage, lang)}"


def _err(key: str, **params: Any) -> CommandError:
    """A problem whose usage line the dispatcher fills in (it knows the subcommand)."""
    return CommandError(key, **params)


# =============================================================================================
# Values


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class UserRef(_Frozen):
    """A person named in a command: Slack user id and/or the name shown or typed."""

    user_id: str | None = None
    name: str | None = None


class ChannelRef(_Frozen):
    """A channel named in a command (``<#C123|general>``)."""

    channel_id: str | None = None
    name: str | None = None


MAX_ID = 2**31 - 1  # ids are 32-bit integers in PostgreSQL: a larger number names nothing
Id = Annotated[int, Field(gt=0, le=MAX_ID)]
# Control characters other than line breaks and tabs (a NUL byte above all) are never text a person
# meant, and PostgreSQL refuses NUL in text: refused at the door.
# The private-use pair that marks the bot's own references (models.i18n.REF) is refused too: typed, it could
# forge a live mention.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")
Percent = Annotated[int, Field(ge=0, le=100)]
Priority = Literal["normal", "high"]
LightName = Literal["red", "yellow", "green", "grey"]
MAX_PAGE = 10_000
PageNo = Annotated[int, Field(ge=1, le=MAX_PAGE)]
Role = Literal["member", "lead", "secretary", "leader", "admin"]
MeetingKind = Literal["thematic", "monthly", "other"]
CommandName = Literal["task", "force", "meeting", "guatu"]

_SLACK_USER = re.compile(r"<@([A-Za-z0-9]+)(?:\|([^<>|]*))?>")
# Console form (and Slack with escaping off): "@alice", "＠张三"; punctuation ends a name.
_PLAIN_USER = re.compile(r"[@＠]([^\s@＠<>:：,，;；。、()（）]+)")
_SLACK_CHANNEL = re.compile(r"<#([A-Za-z0-9]+)(?:\|([^<>|]*))?>")


def parse_user(token: str) -> UserRef | None:
    """``<@U1>``, ``<@U1|zhang>`` or ``@alice`` as a UserRef; None if the token names no one."""
    m = _SLACK_USER.fullmatch(token)
    if m is not None:
        return UserRef(user_id=m[1], name=m[2] or None)
    m = _PLAIN_USER.fullmatch(token)
    if m is not None:
        return UserRef(name=m[1])
    return None


def parse_channel(token: str) -> ChannelRef | None:
    """``<#C1|general>`` or ``<#C1>`` as a ChannelRef; None otherwise."""
    m = _SLACK_CHANNEL.fullmatch(token)
    if m is None:
        return None
    return ChannelRef(channel_id=m[1], name=m[2] or None)


# =============================================================================================
# Requests (one class per subcommand; ``kind`` discriminates)


class OpenForm(_Frozen):
    """A command typed without the arguments it needs where a form can ask for them."""

    kind: Literal["form.open"] = "form.open"
    form: str
    task_id: Id | None = None


class HelpRequest(_Frozen):
    """Help for everything (``command`` None), one command, or one subcommand."""

    kind: Literal["help"] = "help"
    command: CommandName | None = None
    subcommand: str | None = None


class TaskAdd(_Frozen):
    """/task add: a new task (the parser always sets ``due``)."""

    kind: Literal["task.add"] = "task.add"
    title: str
    owner: UserRef | None = None
    due: dt.date | None = None
    force: str | None = None
    dept: str | None = None
    priority: Priority = "normal"
    parent_id: Id | None = None


class TaskList(_Frozen):
    """/task list: ``user`` is set for scope "user", ``force`` for scope "force"."""

    kind: Literal["task.list"] = "task.list"
    scope: Literal["mine", "overdue", "user", "force", "all"] = "mine"
    user: UserRef | None = None
    force: str | None = None
    page: PageNo = 1
    light: LightName | None = None


class TaskShow(_Frozen):
    """/task show."""

    kind: Literal["task.show"] = "task.show"
    task_id: Id


class TaskHistory(_Frozen):
    """/task history."""

    kind: Literal["task.history"] = "task.history"
    task_id: Id


class TaskProgress(_Frozen):
    """/task progress."""

    kind: Literal["task.progress"] = "task.progress"
    task_id: Id
    percent: Percent
    note: str | None = None


class TaskDone(_Frozen):
    """/task done: the owner asks for close-out."""

    kind: Literal["task.done"] = "task.done"
    task_id: Id
    note: str | None = None


class TaskVerify(_Frozen):
    """/task verify: the lead verifies a done task (销号)."""

    kind: Literal["task.verify"] = "task.verify"
    task_id: Id
    confirm: bool = False  # verify although sub-tasks or time nodes are still open


class TaskReopen(_Frozen):
    """/task reopen: the lead sends a done request back."""

    kind: Literal["task.reopen"] = "task.reopen"
    task_id: Id
    reason: str


class TaskBlock(_Frozen):
    """/task block."""

    kind: Literal["task.block"] = "task.block"
    task_id: Id
    reason: str


class TaskUnblock(_Frozen):
    """/task unblock."""

    kind: Literal["task.unblock"] = "task.unblock"
    task_id: Id
    note: str | None = None


class TaskExtend(_Frozen):
    """/task extend: an extension request."""

    kind: Literal["task.extend"] = "task.extend"
    task_id: Id
    new_due: dt.date
    reason: str


class TaskApprove(_Frozen):
    """/task approve: the lead approves the pending extension."""

    kind: Literal["task.approve"] = "task.approve"
    task_id: Id


class TaskReject(_Frozen):
    """/task reject: the lead rejects the pending extension."""

    kind: Literal["task.reject"] = "task.reject"
    task_id: Id
    reason: str


class TaskAssign(_Frozen):
    """/task assign: a new owner."""

    kind: Literal["task.assign"] = "task.assign"
    task_id: Id
    owner: UserRef


class TaskCoOwners(_Frozen):
    """/task coowner <id> [remove] <@user>…: adds (or removes) co-owners (协办人)."""

    kind: Literal["task.coowners"] = "task.coowners"
    task_id: Id
    users: list[UserRef] = Field(min_length=1)
    remove: bool = False


class TaskNodeAdd(_Frozen):
    """/task node <id> <date> <name>: a time node (时间节点)."""

    kind: Literal["task.node.add"] = "task.node.add"
    task_id: Id
    due: dt.date
    name: str


class TaskNodeDone(_Frozen):
    """/task node <id> done <n>: node number ``node_no`` (1-based) is reached."""

    kind: Literal["task.node.done"] = "task.node.done"
    task_id: Id
    node_no: Id


class TaskAck(_Frozen):
    """/task ack: acknowledges a reminder or escalation (stops the ladder)."""

    kind: Literal["task.ack"] = "task.ack"
    task_id: Id


class TaskEdit(_Frozen):
    """/task edit <id> [title:…] [due:…] [dept:…] [prio:…] [node:<n> due:…]: corrections (修改)."""

    kind: Literal["task.edit"] = "task.edit"
    task_id: Id
    title: str | None = None
    due: dt.date | None = None
    dept: str | None = None
    priority: str | None = None
    node_no: int | None = None
    description: str | None = None


class TaskCancel(_Frozen):
    """/task cancel."""

    kind: Literal["task.cancel"] = "task.cancel"
    task_id: Id
    reason: str


class ForceNew(_Frozen):
    """/force new: a task force bound to the channel typed in."""

    kind: Literal["force.new"] = "force.new"
    name: str
    lead: UserRef | None = None


class ForceAddMembers(_Frozen):
    """/force add."""

    kind: Literal["force.add"] = "force.add"
    users: list[UserRef] = Field(min_length=1)
    dept: str | None = None
    force: str | None = None


class ForceRemoveMembers(_Frozen):
    """/force remove."""

    kind: Literal["force.remove"] = "force.remove"
    users: list[UserRef] = Field(min_length=1)
    force: str | None = None
    confirm: bool = False  # remove although they own live tasks (handed to a lead)


class ForceList(_Frozen):
    """/force list."""

    kind: Literal["force.list"] = "force.list"
    page: PageNo = 1


class ForceMap(_Frozen):
    """/force map: the war map pictures (挂图), filtered by department, owner or light."""

    kind: Literal["force.map"] = "force.map"
    force: str | None = None
    dept: str | None = None
    owner: UserRef | None = None
    light: LightName | None = None


class ForceDigest(_Frozen):
    """/force digest: the weekly digest now."""

    kind: Literal["force.digest"] = "force.digest"
    force: str | None = None


class ForceExport(_Frozen):
    """/force export: the task list as Excel."""

    kind: Literal["force.export"] = "force.export"
    force: str | None = None


class ForceClose(_Frozen):
    """/force close."""

    kind: Literal["force.close"] = "force.close"
    force: str | None = None
    confirm: bool = False  # close although tasks are live (they are cancelled)


class ForcePolicy(_Frozen):
    """/force policy: ``changes`` maps Policy field names to values; empty means show."""

    kind: Literal["force.policy"] = "force.policy"
    force: str | None = None
    changes: dict[str, int | list[int]] = Field(default_factory=dict)


class ForceNotice(_Frozen):
    """/force notice: a notice to every member, re-sent until acknowledged."""

    kind: Literal["force.notice"] = "force.notice"
    force: str | None = None
    text: str


class ForceNoticeAck(_Frozen):
    """/force notice ack <id>: confirms receipt (收到) of a notice."""

    kind: Literal["force.notice.ack"] = "force.notice.ack"
    notice_id: Id


class ForceNoticeStatus(_Frozen):
    """/force notice status <id>: who confirmed a notice and who has not (回执)."""

    kind: Literal["force.notice.status"] = "force.notice.status"
    notice_id: Id


class MeetingNew(_Frozen):
    """/meeting new: ``meeting_kind`` thematic (专题会议), monthly (工作例会) or other."""

    kind: Literal["meeting.new"] = "meeting.new"
    meeting_kind: MeetingKind
    title: str | None = None
    date: dt.date
    time: dt.time | None = None
    chair: UserRef | None = None
    minutes: Annotated[int, Field(ge=1, le=480)] | None = None


class MeetingSeries(_Frozen):
    """/meeting series: a recurring meeting every ``every_months`` months from ``start``."""

    kind: Literal["meeting.series"] = "meeting.series"
    meeting_kind: Literal["thematic", "monthly"]
    every_months: Annotated[int, Field(ge=1, le=12)]
    start: dt.date


class MeetingPropose(_Frozen):
    """/meeting propose: an agenda item (议题)."""

    kind: Literal["meeting.propose"] = "meeting.propose"
    meeting_id: Id
    topic: str
    presenter: UserRef | None = None
    minutes: Annotated[int, Field(ge=1, le=480)] | None = None


class MeetingAgenda(_Frozen):
    """/meeting agenda."""

    kind: Literal["meeting.agenda"] = "meeting.agenda"
    meeting_id: Id


class MeetingDecide(_Frozen):
    """/meeting decide: a decision (议定事项) that becomes a tracked task."""

    kind: Literal["meeting.decide"] = "meeting.decide"
    meeting_id: Id
    text: str
    owner: UserRef
    due: dt.date


class MeetingMinutes(_Frozen):
    """/meeting minutes: records ``text``, or shows the minutes when it is None."""

    kind: Literal["meeting.minutes"] = "meeting.minutes"
    meeting_id: Id
    text: str | None = None


class MeetingList(_Frozen):
    """/meeting list."""

    kind: Literal["meeting.list"] = "meeting.list"


class WhoAmI(_Frozen):
    """/guatu whoami."""

    kind: Literal["whoami"] = "whoami"


class Rank(_Frozen):
    """/guatu rank: the horse race (赛马) of departments or task forces."""

    kind: Literal["rank"] = "rank"
    scope: Literal["dept", "force"] = "dept"


class ForceScreenLink(_Frozen):
    """/force screen: a link to the task force's live wall screen (大屏), or ``revoke`` its links."""

    kind: Literal["force.screen"] = "force.screen"
    force: str | None = None
    revoke: bool = False


class ScreenLink(_Frozen):
    """/guatu screen: a link to the province overview's wall screen, or ``revoke`` its links."""

    kind: Literal["screen"] = "screen"
    revoke: bool = False


class SetLang(_Frozen):
    """/guatu lang."""

    kind: Literal["lang"] = "lang"
    lang: Literal["zh", "en"]


class DeptAdd(_Frozen):
    """/guatu dept add."""

    kind: Literal["dept.add"] = "dept.add"
    name: str
    parent: str | None = None
    head: UserRef | None = None


class DeptSetPerson(_Frozen):
    """/guatu dept set: a person's department."""

    kind: Literal["dept.set"] = "dept.set"
    user: UserRef
    dept: str


class DeptList(_Frozen):
    """/guatu dept list."""

    kind: Literal["dept.list"] = "dept.list"


class RoleSet(_Frozen):
    """/guatu role <@user> <role>."""

    kind: Literal["role.set"] = "role.set"
    user: UserRef
    role: Role


class ReportsTo(_Frozen):
    """/guatu role <@user> reports-to:<@leader>."""

    kind: Literal["role.reports_to"] = "role.reports_to"
    user: UserRef
    leader: UserRef


class RoleShow(_Frozen):
    """/guatu role <@user>."""

    kind: Literal["role.show"] = "role.show"
    user: UserRef


class CalendarSet(_Frozen):
    """/guatu calendar set: a working-day override (e.g. next year's 调休)."""

    kind: Literal["calendar.set"] = "calendar.set"
    day: dt.date
    working: bool
    reason: str | None = None


class CalendarShow(_Frozen):
    """/guatu calendar show."""

    kind: Literal["calendar.show"] = "calendar.show"
    year: Annotated[int, Field(ge=1, le=9999)]
    month: Annotated[int, Field(ge=1, le=12)]


class OutboxShow(_Frozen):
    """/guatu outbox."""

    kind: Literal["outbox.show"] = "outbox.show"
    status: Literal["pending", "failed", "all"] = "pending"


class OutboxRetry(_Frozen):
    """/guatu outbox retry <id>."""

    kind: Literal["outbox.retry"] = "outbox.retry"
    outbox_id: Id


class PeopleList(_Frozen):
    """/guatu people [dept:<name>] [text] [page:<n>]: lists and finds people."""

    kind: Literal["people.list"] = "people.list"
    dept: str | None = None
    text: str | None = None
    page: Annotated[int, Field(ge=1, le=100_000)] = 1


class PeopleRename(_Frozen):
    """/guatu people rename <@user> <name>."""

    kind: Literal["people.rename"] = "people.rename"
    user: UserRef
    name: str


class PeopleLeave(_Frozen):
    """/guatu people leave <@user>: the person left the organisation."""

    kind: Literal["people.leave"] = "people.leave"
    user: UserRef


class RoleRemove(_Frozen):
    """/guatu role <@user> -<role>: takes one role away."""

    kind: Literal["role.remove"] = "role.remove"
    user: UserRef
    role: Role


class CalendarImport(_Frozen):
    """/guatu calendar import [确认] <notice text>: shows what the notice says; with 确认, writes it."""

    kind: Literal["calendar.import"] = "calendar.import"
    text: str
    confirm: bool = False


Request: TypeAlias = Annotated[
    OpenForm
    | HelpRequest
    | TaskAdd
    | TaskList
    | TaskShow
    | TaskHistory
    | TaskProgress
    | TaskDone
    | TaskVerify
    | TaskReopen
    | TaskBlock
    | TaskUnblock
    | TaskExtend
    | TaskApprove
    | TaskReject
    | TaskAssign
    | TaskCoOwners
    | TaskNodeAdd
    | TaskNodeDone
    | TaskAck
    | TaskCancel
    | TaskEdit
    | ForceNew
    | ForceAddMembers
    | ForceRemoveMembers
    | ForceList
    | ForceMap
    | ForceDigest
    | ForceExport
    | ForceClose
    | ForcePolicy
    | ForceNotice
    | ForceNoticeAck
    | ForceNoticeStatus
    | MeetingNew
    | MeetingSeries
    | MeetingPropose
    | MeetingAgenda
    | MeetingDecide
    | MeetingMinutes
    | MeetingList
    | WhoAmI
    | Rank
    | ForceScreenLink
    | ScreenLink
    | SetLang
    | DeptAdd
    | DeptSetPerson
    | DeptList
    | RoleSet
    | ReportsTo
    | RoleShow
    | CalendarSet
    | CalendarShow
    | OutboxShow
    | OutboxRetry
    | PeopleList
    | PeopleRename
    | PeopleLeave
    | RoleRemove
    | CalendarImport,
    Field(discriminator="kind"),
]

# =============================================================================================
# Tokens


# A token is a run of non-space characters, except that Slack escapes (<@U1|zhang san>) and
# quoted names ("Data Sharing", “数据 共享”, 「数据 共享」) stay whole even with spaces inside.
_TOKEN = re.compile(r'(?:<[^<>\n]*>|"[^"\n]*"|“[^“”\n]*”|「[^「」\n]*」|\S)+')
_QUOTES = {'"': '"', "“": "”", "「": "」"}


def _norm(s: str) -> str:
    """The form compared against vocabulary: NFKC (full-width → ASCII), case-folded."""
    return unicodedata.normalize("NFKC", s).casefold()


def _unescape(s: str) -> str:
    """Slack's HTML entities back to characters (``&amp;`` last, so ``&amp;lt;`` stays ``&lt;``)."""
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _unquote(s: str) -> str:
    """A value without one pair of surrounding quotes."""
    if len(s) >= 2 and _QUOTES.get(s[0]) == s[-1]:
        return s[1:-1].strip()
    return s


@dataclass(frozen=True, slots=True)
class _Token:
    raw: str
    start: int
    end: int
    index: int

    @property
    def norm(self) -> str:
        return _norm(self.raw)


def _tokenise(text: str) -> list[_Token]:
    """Split on any whitespace (U+3000 included), keeping escapes and quotes whole."""
    return [_Token(m[0], m.start(), m.end(), i) for i, m in enumerate(_TOKEN.finditer(text))]


@dataclass(frozen=True, slots=True)
class _Ctx:
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

    def free(self, tokens: Sequence[_Token]) -> str:
        """Free text as typed (inner spacing and line breaks kept), runs joined by a space."""
        runs: list[str] = []
        i = 0
        while i < len(tokens):
            j = i
            while j + 1 < len(tokens) and tokens[j + 1].index == tokens[j].index + 1:
                j += 1
            runs.append(self.text[tokens[i].start : tokens[j].end])
            i = j + 1
        return _unescape(" ".join(runs)).strip()

    def name(self, tokens: Sequence[_Token]) -> str:
        """A name: free text without surrounding quotes."""
        return _unquote(self.free(tokens))


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
_POLICY_KEYS = (
    "yellow_days", "stale_days", "lag_pct", "remind_days", "remind_hour", "escalate", "quiet",
    "renotice_hours", "renotice_limit", "ack_pause_days", "urgent_entry",
)  # fmt: skip
_POLICY_ZH = {
    "yellow_days": "临期天数", "stale_days": "沉默天数", "lag_pct": "进度滞后", "remind_days": "提醒",
    "remind_hour": "提醒时间", "escalate": "督办", "quiet": "免打扰", "renotice_hours": "通知重发间隔",
    "renotice_limit": "通知重发次数", "ack_pause_days": "收到暂停", "urgent_entry": "紧急起点",
}  # fmt: skip
_USER_KEYS = frozenset({"owner", "lead", "head", "chair", "presenter", "reports_to"})
_DATE_KEYS = frozenset({"due", "from"})
_KEY_VALUE = re.compile(r"([^\W\d][\w-]*)[:：](.*)", re.DOTALL)


def _key_name(s: str) -> str:
    """Keys compare case-insensitively, with - and _ alike (reports-to = reports_to)."""
    return _norm(s).replace("-", "_")


_ALIASES = {key: frozenset(_key_name(a) for a in spellings) for key, spellings in _KEYS.items()}


def _option(tok: _Token, allowed: Iterable[str]) -> tuple[str, str, str] | None:
    """``(key, spelling, value)`` if the token is an option this subcommand accepts."""
    m = _KEY_VALUE.fullmatch(tok.raw)
    if m is None:
        return None
    typed = _key_name(m[1])
    for key in allowed:
        if typed in _ALIASES[key]:
            return key, m[1], m[2]
    return None


def _looks_like_option(tok: _Token) -> str | None:
    """The key of a ``key:value`` token, whatever the key."""
    m = _KEY_VALUE.fullmatch(tok.raw)
    return m[1] if m else None


def _split(ctx: _Ctx, tokens: Sequence[_Token], allowed: Iterable[str]) -> tuple[list[_Token], dict[str, Any]]:
    """Positional words, and the accepted options converted to their types.

    A ``key:value`` whose key this subcommand does not accept stays a plain word: free text
    ("截止:周五前交材料" in a notice) must not be refused for looking like an option.
    """
    allowed = tuple(allowed)
    words: list[_Token] = []
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
            raise _err("cmd.duplicate_option", option=typed)
        if not value.strip():
            # "due: 明天" — a space after the colon is a common slip; take the next word.
            if i < len(tokens) and _option(tokens[i], allowed) is None:
                value = tokens[i].raw
                i += 1
            else:
                raise _err("cmd.empty_option", option=typed)
        if key in _DATE_KEYS:
            # "due:next friday": a date may run on over the next plain words.
            following = []
            for t in tokens[i : i + 3]:
                if _option(t, allowed) is not None or t.raw.startswith("<"):
                    break
                following.append(t.raw)
            day, used = _date_run(ctx, [value, *following])
            opts[key] = day
            i += used - 1
        elif key in _POLICY_KEYS:
            opts[key] = (typed, value.strip())  # validated by the policy parser, which names the spelling
        elif key in _USER_KEYS:
            user = parse_user(value)
            if user is None:
                raise _err("cmd.bad_user", text=value)
            opts[key] = user
        else:
            text = _unquote(_unescape(value.strip()))
            if not text:
                raise _err("cmd.empty_option", option=typed)
            opts[key] = text
    return words, opts


def _date_run(ctx: _Ctx, parts: Sequence[str]) -> tuple[dt.date, int]:
    """The shortest run of leading ``parts`` (up to four: "in 5 working days") that reads as a date,
    and its length."""
    for n in range(1, min(4, len(parts)) + 1):
        day = ctx.try_date(" ".join(parts[:n]))
        if day is not None:
            return day, n
    return ctx.date(parts[0]), 1  # raises DateError naming the first word


# =============================================================================================
# Value parsers

_ID = re.compile(r"#?([0-9]{1,18})")
_PERCENT = re.compile(r"([+-]?[0-9]{1,6})%?")
_MINUTES = re.compile(r"([0-9]{1,6})(?:m|min|mins|minutes|分钟|分)?")
_HM = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_ZH_TIME = re.compile(r"(上午|早上|中午|下午|晚上)?([0-9]{1,2})点(?:([0-9]{1,2})分?|(半))?")
_ZH_SMALL = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
             "十": 10, "十一": 11, "十二": 12}  # fmt: skip


def _id(raw: str, missing: str = "cmd.bad_id") -> int:
    """``123`` or ``#123`` as a positive int."""
    m = _ID.fullmatch(_norm(raw))
    if m is None or int(m[1]) == 0 or int(m[1]) > MAX_ID:
        raise _err(missing, text=raw)
    return int(m[1])


def _percent(raw: str) -> int:
    """``60%``, ``60％`` or ``60`` as 0–100."""
    m = _PERCENT.fullmatch(_norm(raw))
    if m is None or not 0 <= int(m[1]) <= 100:
        raise _err("cmd.bad_percent", text=raw)
    return int(m[1])


def _minutes(raw: str) -> int:
    """A length in minutes, 1–480 (``30``, ``30m``, ``30分钟``)."""
    m = _MINUTES.fullmatch(_norm(raw).replace(" ", ""))
    if m is None or not 1 <= int(m[1]) <= 480:
        raise _err("cmd.bad_minutes", text=raw)
    return int(m[1])


def _time(raw: str) -> dt.time | None:
    """``14:30``, ``14：30``, ``9点``, ``下午3点半``; None if not a time of day."""
    s = _norm(raw)
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


def _user(tok: _Token) -> UserRef:
    """A token that must name a person."""
    user = parse_user(tok.raw)
    if user is None:
        raise _err("cmd.bad_user", text=tok.raw)
    return user


def _need_id(tokens: Sequence[_Token], what: str = "task") -> tuple[int, list[_Token]]:
    """The leading id and the tokens after it."""
    if not tokens:
        raise _err(f"cmd.missing_{what}_id")
    return _id(tokens[0].raw), list(tokens[1:])


def _no_more(ctx: _Ctx, tokens: Sequence[_Token]) -> None:
    """Refuse leftovers rather than silently dropping what the user typed."""
    if tokens:
        raise _err("cmd.unexpected", text=ctx.free(tokens))


def _people(tokens: Sequence[_Token], preset: UserRef | None) -> tuple[UserRef | None, list[_Token]]:
    """At most one bare mention (or the ``preset`` option), and the other tokens."""
    person = preset
    rest: list[_Token] = []
    for tok in tokens:
        user = parse_user(tok.raw)
        if user is None:
            rest.append(tok)
        elif person is not None:
            raise _err("cmd.too_many_users", text=tok.raw)
        else:
            person = user
    return person, rest


def _word(table: dict[str, str], tok: _Token) -> str | None:
    """The canonical value of a vocabulary word, None if the word is not in ``table``."""
    return table.get(tok.norm)


def _vocab(**spellings: Sequence[str]) -> dict[str, str]:
    """A lookup from every (normalised) spelling to its canonical value."""
    return {_norm(s): value for value, words in spellings.items() for s in (value, *words)}


# The two tables' values are their keyword names, so they are typed as the literals they are.
_PRIORITIES = cast("dict[str, Priority]", _vocab(high=("urgent", "紧急", "高", "急"), normal=("普通", "一般", "中")))
_LIST_SCOPES = _vocab(mine=("我的", "my", "me"), overdue=("逾期",), all=("全部", "所有"))
_LIGHTS = cast("dict[str, LightName]", _vocab(red=("红", "红灯", "r"), yellow=("黄", "黄灯", "y"), green=("绿", "绿灯", "g"),
                 grey=("gray", "灰", "灰灯", "未开始")))
_DONE_WORDS = _vocab(done=("完成", "达成"))
_MEETING_KINDS = _vocab(
    thematic=("专题会议", "专题", "专题会", "thematic"),
    monthly=("例会", "工作例会", "月度例会", "monthly"),
)
_ROLES = _vocab(
    member=("成员",), lead=("负责人",), secretary=("秘书",), leader=("领导",),
    admin=("管理员", "administrator"),
)  # fmt: skip
_LANGS = _vocab(zh=("中文", "chinese", "汉语", "cn", "zh-cn"), en=("英文", "english", "英语"))
_RANK_SCOPES = _vocab(dept=("部门", "单位", "department", "depts"), force=("专班", "forces"))
_WORK_OFF = _vocab(work=("上班", "working", "workday", "工作日", "补班"),
                   off=("放假", "holiday", "休息", "休假", "day-off"))  # fmt: skip
_OUTBOX = _vocab(pending=("待发", "待发送", "排队"), failed=("失败",), all=("全部",), retry=("重试",))
_DEPT_ACTIONS = _vocab(add=("新建", "new"), set=("设置",), list=("列表",))
_CALENDAR_ACTIONS = _vocab(set=("设置",), show=("查看", "list", "列表"), **{"import": ("导入",)})
_PEOPLE_ACTIONS = _vocab(rename=("改名", "更名"), leave=("离职", "left"), list=("列表",))
_CONFIRM_WORDS = _vocab(confirm=("确认", "确定", "yes"))
_PAGE = re.compile(r"(?:page|页|第)[:：]?\s*([0-9]+)\s*页?", re.IGNORECASE)


# =============================================================================================
# /task


def _task_add(ctx: _Ctx, args: list[_Token]) -> OpenForm | TaskAdd:
    if not args:
        return OpenForm(form="task_add")
    words, opts = _split(ctx, args, ("due", "force", "dept", "prio", "parent", "owner"))
    owner, title_words = _people(words, opts.get("owner"))
    title = ctx.free(title_words)
    if not title:
        raise _err("cmd.missing_title")
    if "due" not in opts:
        raise _err("cmd.missing_due")
    priority: Priority = "normal"
    if "prio" in opts:
        found = _PRIORITIES.get(_norm(opts["prio"]))
        if found is None:
            raise _err("cmd.bad_priority", text=opts["prio"])
        priority = found
    parent_id = _id(opts["parent"]) if "parent" in opts else None
    return TaskAdd(
        title=title, owner=owner, due=opts["due"], force=opts.get("force"), dept=opts.get("dept"),
        priority=priority, parent_id=parent_id,
    )  # fmt: skip


_ZH_PAGE = re.compile(r"第([0-9]+)页")


def _paged(ctx: _Ctx, args: Sequence[_Token], allowed: Iterable[str]) -> tuple[list[_Token], dict[str, Any], int]:
    """``_split`` that also reads the page (``page:2``, ``页:2``, ``第2页``; 1 to MAX_PAGE), default 1."""
    words, opts = _split(ctx, args, (*allowed, "page"))
    raw = opts.pop("page", None)
    rest = []
    for tok in words:
        m = _ZH_PAGE.fullmatch(tok.norm)
        if m is None:
            rest.append(tok)
        elif raw is not None:
            raise _err("cmd.duplicate_option", option="page")
        else:
            raw = m[1]
    if raw is None:
        return rest, opts, 1
    digits = _norm(raw).strip()
    if not digits.isdigit() or not 1 <= int(digits) <= MAX_PAGE:
        raise _err("cmd.bad_page", text=raw, most=MAX_PAGE)
    return rest, opts, int(digits)


def _light(raw: str | None) -> LightName | None:
    if raw is None:
        return None
    found = _LIGHTS.get(_norm(raw))
    if found is None:
        raise _err("cmd.bad_light", text=raw)
    return found


def _task_list(ctx: _Ctx, args: list[_Token]) -> TaskList:
    words, opts, page = _paged(ctx, args, ("force", "light"))
    light = _light(opts.get("light"))
    if "force" in opts:
        _no_more(ctx, words)
        return TaskList(scope="force", force=opts["force"], page=page, light=light)
    if not words:
        return TaskList(scope="mine", page=page, light=light)
    _no_more(ctx, words[1:])
    user = parse_user(words[0].raw)
    if user is not None:
        return TaskList(scope="user", user=user, page=page, light=light)
    scope = _word(_LIST_SCOPES, words[0])
    if scope is None:
        raise _err("cmd.bad_list_scope", text=words[0].raw)
    return TaskList(scope=scope, page=page, light=light)  # type: ignore[arg-type]


def _force_list(ctx: _Ctx, args: list[_Token]) -> ForceList:
    words, _opts, page = _paged(ctx, args, ())
    _no_more(ctx, words)
    return ForceList(page=page)


def _force_map(ctx: _Ctx, args: list[_Token]) -> ForceMap:
    words, opts = _split(ctx, args, ("force", "dept", "owner", "light"))
    light = _light(opts.get("light"))
    if "force" in opts:
        _no_more(ctx, words)
        name = opts["force"]
    else:
        name = ctx.name(words) or None
    return ForceMap(force=name, dept=opts.get("dept"), owner=opts.get("owner"), light=light)


def _id_only(cls: type[TaskShow | TaskHistory | TaskVerify | TaskApprove | TaskAck]) -> Callable[[_Ctx, list[_Token]], Any]:
    """A parser for ``<id>`` and nothing else."""

    def parse_it(ctx: _Ctx, args: list[_Token]) -> Any:
        task_id, rest = _need_id(args)
        _no_more(ctx, rest)
        return cls(task_id=task_id)

    return parse_it


def _id_reason(cls: type[TaskReopen | TaskReject | TaskCancel]) -> Callable[[_Ctx, list[_Token]], Any]:
    """A parser for ``<id> <reason…>`` with the reason required."""

    def parse_it(ctx: _Ctx, args: list[_Token]) -> Any:
        task_id, rest = _need_id(args)
        reason = ctx.free(rest)
        if not reason:
            raise _err("cmd.missing_reason")
        return cls(task_id=task_id, reason=reason)

    return parse_it


def _id_note(cls: type[TaskDone | TaskUnblock]) -> Callable[[_Ctx, list[_Token]], Any]:
    """A parser for ``<id> [note…]``."""

    def parse_it(ctx: _Ctx, args: list[_Token]) -> Any:
        task_id, rest = _need_id(args)
        return cls(task_id=task_id, note=ctx.free(rest) or None)

    return parse_it


def _task_progress(ctx: _Ctx, args: list[_Token]) -> OpenForm | TaskProgress:
    if not args:
        return OpenForm(form="task_progress")
    task_id, rest = _need_id(args)
    if not rest:
        return OpenForm(form="task_progress", task_id=task_id)
    percent = _percent(rest[0].raw)
    return TaskProgress(task_id=task_id, percent=percent, note=ctx.free(rest[1:]) or None)


def _task_block(ctx: _Ctx, args: list[_Token]) -> OpenForm | TaskBlock:
    task_id, rest = _need_id(args)
    if not rest:
        return OpenForm(form="task_block", task_id=task_id)
    return TaskBlock(task_id=task_id, reason=ctx.free(rest))


def _task_extend(ctx: _Ctx, args: list[_Token]) -> OpenForm | TaskExtend:
    task_id, rest = _need_id(args)
    if not rest:
        return OpenForm(form="task_extend", task_id=task_id)
    new_due, used = _date_run(ctx, [t.raw for t in rest[:3]])
    reason = ctx.free(rest[used:])
    if not reason:
        raise _err("cmd.missing_reason")
    return TaskExtend(task_id=task_id, new_due=new_due, reason=reason)


def _task_assign(ctx: _Ctx, args: list[_Token]) -> TaskAssign:
    task_id, rest = _need_id(args)
    if not rest:
        raise _err("cmd.missing_user")
    owner = _user(rest[0])
    _no_more(ctx, rest[1:])
    return TaskAssign(task_id=task_id, owner=owner)


_REMOVE_WORDS = {"remove", "移除", "删除", "去掉"}
# The explicit go-ahead of a closing move that was refused while something was still open.
_CONFIRM_LAST = frozenset(_norm(w) for w in ("confirm", "confirmed", "--confirm", "确认", "确定"))


def _confirmed(tokens: Sequence[_Token]) -> tuple[list[_Token], bool]:
    """The tokens without a trailing confirm word (confirm / 确认), and whether it was there."""
    if tokens and tokens[-1].norm in _CONFIRM_LAST:
        return list(tokens[:-1]), True
    return list(tokens), False


def _task_coowners(ctx: _Ctx, args: list[_Token]) -> TaskCoOwners:
    task_id, rest = _need_id(args)
    remove = bool(rest) and rest[0].norm in _REMOVE_WORDS
    if remove:
        rest = rest[1:]
    if not rest:
        raise _err("cmd.missing_user")
    return TaskCoOwners(task_id=task_id, users=[_user(tok) for tok in rest], remove=remove)


def _task_edit(ctx: _Ctx, args: list[_Token]) -> TaskEdit:
    task_id, rest = _need_id(args)
    words, opts = _split(ctx, rest, ("title", "due", "dept", "prio", "node", "desc"))
    _no_more(ctx, words)
    if "node" in opts and "due" not in opts:
        raise _err("cmd.edit_node_due")
    if not {"title", "due", "dept", "prio", "desc"} & opts.keys():
        raise _err("cmd.edit_nothing")
    priority = None
    if "prio" in opts:
        priority = _PRIORITIES.get(_norm(opts["prio"]))
        if priority is None:
            raise _err("cmd.bad_priority", text=opts["prio"])
    node_no = None
    if "node" in opts:
        node_no = _id(opts["node"], "cmd.bad_node_no")
        if "due" not in opts or {"title", "dept", "prio", "desc"} & opts.keys():
            raise _err("cmd.edit_node_due")
    return TaskEdit(task_id=task_id, title=opts.get("title"), due=opts.get("due"), dept=opts.get("dept"),
                    priority=priority, node_no=node_no, description=opts.get("desc"))


def _task_node(ctx: _Ctx, args: list[_Token]) -> TaskNodeAdd | TaskNodeDone:
    task_id, rest = _need_id(args)
    if not rest:
        raise _err("cmd.missing_date")
    if _word(_DONE_WORDS, rest[0]) is not None:
        if len(rest) < 2:
            raise _err("cmd.missing_node_no")
        node_no = _id(rest[1].raw, "cmd.bad_node_no")
        _no_more(ctx, rest[2:])
        return TaskNodeDone(task_id=task_id, node_no=node_no)
    due, used = _date_run(ctx, [t.raw for t in rest[:4]])
    name = ctx.free(rest[used:])
    if not name:
        raise _err("cmd.missing_node_name")
    return TaskNodeAdd(task_id=task_id, due=due, name=name)


# =============================================================================================
# /force


def _force_new(ctx: _Ctx, args: list[_Token]) -> ForceNew:
    words, opts = _split(ctx, args, ("lead",))
    # A bare mention can only mean the lead: no force name contains one.
    lead, rest = _people(words, opts.get("lead"))
    name = ctx.name(rest)
    if not name:
        raise _err("cmd.missing_force_name")
    return ForceNew(name=name, lead=lead)


def _members(ctx: _Ctx, words: Sequence[_Token]) -> list[UserRef]:
    """One or more mentions, nothing else."""
    if not words:
        raise _err("cmd.missing_user")
    return [_user(tok) for tok in words]


def _force_add(ctx: _Ctx, args: list[_Token]) -> ForceAddMembers:
    words, opts = _split(ctx, args, ("dept", "force"))
    return ForceAddMembers(users=_members(ctx, words), dept=opts.get("dept"), force=opts.get("force"))


def _force_remove(ctx: _Ctx, args: list[_Token]) -> ForceRemoveMembers:
    words, opts = _split(ctx, args, ("force",))
    words, confirm = _confirmed(words)
    return ForceRemoveMembers(users=_members(ctx, words), force=opts.get("force"), confirm=confirm)


def _force_close(ctx: _Ctx, args: list[_Token]) -> ForceClose:
    words, opts = _split(ctx, args, ("force",))
    words, confirm = _confirmed(words)
    if "force" in opts:
        _no_more(ctx, words)
        return ForceClose(force=opts["force"], confirm=confirm)
    return ForceClose(force=ctx.name(words) or None, confirm=confirm)


def _task_verify(ctx: _Ctx, args: list[_Token]) -> TaskVerify:
    task_id, rest = _need_id(args)
    rest, confirm = _confirmed(rest)
    _no_more(ctx, rest)
    return TaskVerify(task_id=task_id, confirm=confirm)


def _no_args(cls: type[ForceList | MeetingList | WhoAmI | DeptList]) -> Callable[[_Ctx, list[_Token]], Any]:
    """A parser for a subcommand without arguments."""

    def parse_it(ctx: _Ctx, args: list[_Token]) -> Any:
        _no_more(ctx, args)
        return cls()

    return parse_it


def _force_named(cls: type[ForceDigest | ForceExport | ForceClose]) -> Callable[[_Ctx, list[_Token]], Any]:
    """A parser for ``[name]`` (or ``force:<name>``); None means the channel's task force."""

    def parse_it(ctx: _Ctx, args: list[_Token]) -> Any:
        words, opts = _split(ctx, args, ("force",))
        if "force" in opts:
            _no_more(ctx, words)
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


def _force_policy(ctx: _Ctx, args: list[_Token]) -> ForcePolicy:
    words, opts = _split(ctx, args, ("force", *_POLICY_KEYS))
    for tok in words:
        key = _looks_like_option(tok)
        if key is not None:
            raise _err("cmd.bad_policy_key", option=key)
    _no_more(ctx, words)
    changes: dict[str, int | list[int]] = {}
    for key in _POLICY_KEYS:
        if key not in opts:
            continue
        typed, raw = opts[key]
        value = _norm(raw).replace(" ", "")
        if key == "quiet":
            m = _QUIET.fullmatch(value)
            if m is None or int(m[1]) > 23 or int(m[2]) > 23:
                raise _err("cmd.bad_quiet", text=raw)
            changes["quiet_start"], changes["quiet_end"] = int(m[1]), int(m[2])
        elif key in ("remind_days", "escalate"):
            lo, hi, most = _LIST_LIMITS
            parts = re.split(r"[,，、/]", value)
            if not all(re.fullmatch(r"[0-9]{1,3}", p) for p in parts) or len(parts) > most or not all(
                lo <= int(p) <= hi for p in parts
            ):
                raise _err(f"cmd.bad_{key}", text=raw, lo=lo, hi=hi, most=most)
            changes[key] = [int(p) for p in parts]
        else:
            lo, hi = _policy_bounds(key)
            if not re.fullmatch(r"[0-9]{1,6}", value) or not lo <= int(value) <= hi:
                raise _err("cmd.bad_policy_number", option=typed, text=raw, lo=lo, hi=hi)
            changes[key] = int(value)
    return ForcePolicy(force=opts.get("force"), changes=changes)


_NOTICE_ACK = {"ack", "收到", "确认"}
_NOTICE_STATUS = {"status", "回执", "状态"}


def _force_notice(ctx: _Ctx, args: list[_Token]) -> ForceNotice | ForceNoticeAck | ForceNoticeStatus:
    # "ack 7" / "收到 7" and "status 7" / "回执 7" (exactly a word and an id) act on notice #7.
    if len(args) == 2 and args[0].norm in _NOTICE_ACK | _NOTICE_STATUS and _ID.fullmatch(args[1].norm):
        notice_id = _id(args[1].raw)
        return ForceNoticeAck(notice_id=notice_id) if args[0].norm in _NOTICE_ACK else ForceNoticeStatus(notice_id=notice_id)
    words, opts = _split(ctx, args, ("force",))
    text = ctx.free(words)
    if not text:
        raise _err("cmd.missing_text")
    return ForceNotice(force=opts.get("force"), text=text)


# =============================================================================================
# /meeting


def _meeting_new(ctx: _Ctx, args: list[_Token]) -> MeetingNew:
    words, opts = _split(ctx, args, ("chair", "mins", "time"))
    chair, rest = _people(words, opts.get("chair"))
    if not rest:
        raise _err("cmd.missing_meeting_title")
    found = _word(_MEETING_KINDS, rest[0])
    meeting_kind = found or "other"
    at: dt.time | None = None
    if "time" in opts:
        at = _time(opts["time"])
        if at is None:
            raise _err("cmd.bad_time", text=opts["time"])
    elif len(rest) > 2 and (at := _time(rest[-1].raw)) is not None:
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
            raise _err("cmd.missing_meeting_title" if ctx.try_date(rest[0].raw) else "cmd.missing_date")
        start = len(rest) - 1
        day = ctx.date(rest[-1].raw)  # not a date: raises DateError naming the word
    title = ctx.name(rest[1 if found else 0 : start]) or None
    minutes = _minutes(opts["mins"]) if "mins" in opts else None
    return MeetingNew(meeting_kind=meeting_kind, title=title, date=day, time=at, chair=chair, minutes=minutes)  # type: ignore[arg-type]


_EVERY_SPECIAL = _vocab(**{"1": ("monthly", "每月", "每个月", "月", "月度"), "2": ("bimonthly", "双月", "每两月")})
_EVERY = re.compile(r"(?:每隔?)?([0-9]{1,2}|十[一二]|[一二两三四五六七八九十])个?(?:月|m|mo|months?)?")


def _every(raw: str) -> int:
    """``2m``, ``1m``, ``两个月``, ``每月``, ``monthly`` as a number of months, 1–12."""
    s = _norm(raw).replace(" ", "")
    if s in _EVERY_SPECIAL:
        return int(_EVERY_SPECIAL[s])
    m = _EVERY.fullmatch(s)
    if m is None:
        raise _err("cmd.bad_every", text=raw)
    n = int(m[1]) if m[1].isascii() else _ZH_SMALL[m[1]]
    if not 1 <= n <= 12:
        raise _err("cmd.bad_every", text=raw)
    return n


def _meeting_series(ctx: _Ctx, args: list[_Token]) -> MeetingSeries:
    words, opts = _split(ctx, args, ("every", "from"))
    if not words:
        raise _err("cmd.missing_series_kind")
    found = _word(_MEETING_KINDS, words[0])
    if found is None:
        raise _err("cmd.bad_series_kind", text=words[0].raw)
    _no_more(ctx, words[1:])
    # The two series the method knows: 专题会议 every two months, 工作例会 every month.
    every = _every(opts["every"]) if "every" in opts else (2 if found == "thematic" else 1)
    if "from" not in opts:
        raise _err("cmd.missing_start")
    return MeetingSeries(meeting_kind=found, every_months=every, start=opts["from"])  # type: ignore[arg-type]


def _meeting_propose(ctx: _Ctx, args: list[_Token]) -> MeetingPropose:
    words, opts = _split(ctx, args, ("presenter", "mins"))
    meeting_id, rest = _need_id(words, "meeting")
    presenter, topic_words = _people(rest, opts.get("presenter"))
    topic = ctx.free(topic_words)
    if not topic:
        raise _err("cmd.missing_topic")
    minutes = _minutes(opts["mins"]) if "mins" in opts else None
    return MeetingPropose(meeting_id=meeting_id, topic=topic, presenter=presenter, minutes=minutes)


def _meeting_agenda(ctx: _Ctx, args: list[_Token]) -> MeetingAgenda:
    meeting_id, rest = _need_id(args, "meeting")
    _no_more(ctx, rest)
    return MeetingAgenda(meeting_id=meeting_id)


def _meeting_decide(ctx: _Ctx, args: list[_Token]) -> MeetingDecide:
    words, opts = _split(ctx, args, ("owner", "due"))
    meeting_id, rest = _need_id(words, "meeting")
    owner, text_words = _people(rest, opts.get("owner"))
    text = ctx.free(text_words)
    if not text:
        raise _err("cmd.missing_text")
    if owner is None:
        raise _err("cmd.missing_owner")
    if "due" not in opts:
        raise _err("cmd.missing_due")
    return MeetingDecide(meeting_id=meeting_id, text=text, owner=owner, due=opts["due"])


def _meeting_minutes(ctx: _Ctx, args: list[_Token]) -> MeetingMinutes:
    meeting_id, rest = _need_id(args, "meeting")
    return MeetingMinutes(meeting_id=meeting_id, text=ctx.free(rest) or None)


# =============================================================================================
# /guatu


def _rank(ctx: _Ctx, args: list[_Token]) -> Rank:
    if not args:
        return Rank()
    _no_more(ctx, args[1:])
    scope = _word(_RANK_SCOPES, args[0])
    if scope is None:
        raise _err("cmd.bad_rank_scope", text=args[0].raw)
    return Rank(scope=scope)  # type: ignore[arg-type]


_REVOKE = _vocab(revoke=("撤销", "收回", "revoke"))


def _force_screen(ctx: _Ctx, args: list[_Token]) -> ForceScreenLink:
    revoke = bool(args) and _word(_REVOKE, args[0]) == "revoke"
    words, opts = _split(ctx, args[1:] if revoke else args, ("force",))
    if "force" in opts:
        _no_more(ctx, words)
        return ForceScreenLink(force=opts["force"], revoke=revoke)
    return ForceScreenLink(force=ctx.name(words) or None, revoke=revoke)


def _guatu_screen(ctx: _Ctx, args: list[_Token]) -> ScreenLink:
    revoke = bool(args) and _word(_REVOKE, args[0]) == "revoke"
    _no_more(ctx, args[1:] if revoke else args)
    return ScreenLink(revoke=revoke)


def _lang(ctx: _Ctx, args: list[_Token]) -> SetLang:
    if not args:
        raise _err("cmd.missing_lang")
    _no_more(ctx, args[1:])
    lang = _word(_LANGS, args[0])
    if lang is None:
        raise _err("cmd.bad_lang", text=args[0].raw)
    return SetLang(lang=lang)  # type: ignore[arg-type]


def _dept(ctx: _Ctx, args: list[_Token]) -> DeptAdd | DeptSetPerson | DeptList:
    if not args:
        return DeptList()
    action = _word(_DEPT_ACTIONS, args[0])
    rest = args[1:]
    if action == "list":
        _no_more(ctx, rest)
        return DeptList()
    if action == "add":
        words, opts = _split(ctx, rest, ("parent", "head"))
        name = ctx.name(words)
        if not name:
            raise _err("cmd.missing_dept_name")
        return DeptAdd(name=name, parent=opts.get("parent"), head=opts.get("head"))
    if action == "set":
        if not rest:
            raise _err("cmd.missing_user")
        user = _user(rest[0])
        name = ctx.name(rest[1:])
        if not name:
            raise _err("cmd.missing_dept_name")
        return DeptSetPerson(user=user, dept=name)
    raise _err("cmd.bad_action", text=args[0].raw)


def _role(ctx: _Ctx, args: list[_Token]) -> RoleSet | ReportsTo | RoleShow | RoleRemove:
    words, opts = _split(ctx, args, ("reports_to",))
    if not words:
        raise _err("cmd.missing_user")
    user = _user(words[0])
    rest = words[1:]
    if "reports_to" in opts:
        _no_more(ctx, rest)
        return ReportsTo(user=user, leader=opts["reports_to"])
    if not rest:
        return RoleShow(user=user)
    _no_more(ctx, rest[1:])
    if rest[0].raw[:1] in ("-", "－", "—") and len(rest[0].raw) > 1:
        # "-lead" / "－负责人": take that one role away; the others stay.
        role = _ROLES.get(_norm(rest[0].raw.lstrip("-－—")))
        if role is None:
            raise _err("cmd.bad_role", text=rest[0].raw.lstrip("-－—"))
        return RoleRemove(user=user, role=role)  # type: ignore[arg-type]
    role = _word(_ROLES, rest[0])
    if role is None:
        raise _err("cmd.bad_role", text=rest[0].raw)
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
_RELATIVE_MONTHS = _vocab(
    **{"0": ("本月", "这个月", "当月", "this", "this month"), "1": ("下月", "下个月", "next", "next month"),
       "-1": ("上月", "上个月", "last", "last month", "previous", "prev")}
)  # fmt: skip
_YEAR_MONTH = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*月?")
_MONTH_ONLY = re.compile(r"([0-9]{1,2})\s*月?")


def _month(ctx: _Ctx, raw: str) -> tuple[int, int]:
    """``2026-12``, ``2026年12月``, ``12月``, ``12``, ``dec``, ``下月`` as (year, month)."""
    s = _norm(raw).strip()
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
        raise _err("cmd.bad_month", text=raw)
    return year, month


def _calendar(ctx: _Ctx, args: list[_Token]) -> CalendarSet | CalendarShow | CalendarImport:
    action = _word(_CALENDAR_ACTIONS, args[0]) if args else "show"
    rest = args[1:]
    if action is None:
        # "/guatu calendar 12月" reads as "show 12月"; anything else is an unknown action.
        try:
            year, month = _month(ctx, ctx.free(args))
        except CommandError:
            raise _err("cmd.bad_action", text=args[0].raw) from None
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
            raise _err("cmd.missing_date")
        day, used = _date_run(ctx, [t.raw for t in rest[:3]])
        if len(rest) <= used:
            raise _err("cmd.missing_work_off")
        working = _word(_WORK_OFF, rest[used])
        if working is None:
            raise _err("cmd.bad_work_off", text=rest[used].raw)
        return CalendarSet(day=day, working=working == "work", reason=ctx.free(rest[used + 1 :]) or None)
    raise _err("cmd.bad_action", text=args[0].raw)


def _outbox(ctx: _Ctx, args: list[_Token]) -> OutboxShow | OutboxRetry:
    if not args:
        return OutboxShow()
    word = _word(_OUTBOX, args[0])
    if word == "retry":
        outbox_id, rest = _need_id(args[1:], "outbox")
        _no_more(ctx, rest)
        return OutboxRetry(outbox_id=outbox_id)
    if word is None:
        raise _err("cmd.bad_outbox", text=args[0].raw)
    _no_more(ctx, args[1:])
    return OutboxShow(status=word)  # type: ignore[arg-type]


def _people_cmd(ctx: _Ctx, args: list[_Token]) -> PeopleList | PeopleRename | PeopleLeave:
    action = _word(_PEOPLE_ACTIONS, args[0]) if args else "list"
    rest = args[1:] if args and action else args
    if action == "rename":
        if not rest:
            raise _err("cmd.missing_user")
        name = ctx.name(rest[1:])
        if not name:
            raise _err("cmd.missing_name")
        return PeopleRename(user=_user(rest[0]), name=name)
    if action == "leave":
        if not rest:
            raise _err("cmd.missing_user")
        _no_more(ctx, rest[1:])
        return PeopleLeave(user=_user(rest[0]))
    page, words = 1, []
    for tok in rest:
        m = _PAGE.fullmatch(_norm(tok.raw))
        if m is not None:
            page = int(m[1])
            if not 1 <= page <= MAX_PAGE:
                raise _err("cmd.bad_page", text=tok.raw, most=MAX_PAGE)
        else:
            words.append(tok)
    words, opts = _split(ctx, words, ("dept",))
    return PeopleList(dept=opts.get("dept"), text=ctx.name(words) or None, page=page)


def _calendar_import(ctx: _Ctx, rest: list[_Token]) -> CalendarImport:
    confirm = bool(rest) and _word(_CONFIRM_WORDS, rest[0]) is not None
    if confirm:
        rest = rest[1:]
    if not rest:
        raise _err("cmd.missing_notice")
    # The notice as pasted, line breaks and all: the parser needs its punctuation and numbering.
    return CalendarImport(text=_unescape(ctx.text[rest[0].start:]).strip(), confirm=confirm)


def _guatu_help(ctx: _Ctx, args: list[_Token]) -> HelpRequest:
    # Reached only through the help detection in parse(); kept so the table lists it.
    return HelpRequest()  # pragma: no cover


# =============================================================================================
# The table: names, parsers, usage lines and summaries, in the order help shows them


@dataclass(frozen=True, slots=True)
class Subcommand:
    """One subcommand: its English and Chinese names, its parser, and its catalogue keys."""

    command: str
    name: str
    zh: str
    parse: Callable[[_Ctx, list[_Token]], Any]
    usage_zh: str
    usage_en: str
    summary_zh: str
    summary_en: str

    @property
    def usage_key(self) -> str:
        return f"usage.{self.command}.{self.name}"

    @property
    def summary_key(self) -> str:
        return f"summary.{self.command}.{self.name}"


def _sub(command: str, name: str, zh: str, parse_it: Callable[[_Ctx, list[_Token]], Any],
         usage: tuple[str, str], summary: tuple[str, str]) -> Subcommand:  # fmt: skip
    return Subcommand(command, name, zh, parse_it, usage[0], usage[1], summary[0], summary[1])


COMMANDS: dict[str, tuple[Subcommand, ...]] = {
    "task": (
        _sub("task", "add", "新建", _task_add,
             ("/task 新建 <标题…> [<@责任人>] 截止:<日期> [专班:<名称>] [部门:<名称>] [优先级:高|普通] [上级:<编号>]",
              "/task add <title…> [<@owner>] due:<date> [force:<name>] [dept:<name>] [prio:high|normal] [parent:<id>]"),
             ("新建任务；不带参数则打开表单", "create a task; with no arguments, opens a form")),
        _sub("task", "list", "列表", _task_list,
             ("/task 列表 [我的|逾期|全部|<@某人>|专班:<名称>] [灯:红|黄|绿|灰] [第<n>页]",
              "/task list [mine|overdue|all|<@user>|force:<name>] [light:red|yellow|green|grey] [page:<n>]"),
             ("列出任务，默认我的", "list tasks, mine by default")),
        _sub("task", "show", "查看", _id_only(TaskShow),
             ("/task 查看 <编号>", "/task show <id>"), ("查看任务", "show a task")),
        _sub("task", "history", "历史", _id_only(TaskHistory),
             ("/task 历史 <编号>", "/task history <id>"), ("任务的变更记录", "a task's history")),
        _sub("task", "progress", "进展", _task_progress,
             ("/task 进展 <编号> <n>% [说明…]", "/task progress <id> <n>% [note…]"),
             ("报告进度（0–100%）", "report progress (0–100%)")),
        _sub("task", "done", "完成", _id_note(TaskDone),
             ("/task 完成 <编号> [说明…]", "/task done <id> [note…]"),
             ("报告完成，等待负责人销号", "report done; the lead verifies")),
        _sub("task", "verify", "销号", _task_verify,
             ("/task 销号 <编号> [确认]", "/task verify <id> [confirm]"), ("负责人确认完成（销号）", "lead verifies a done task")),
        _sub("task", "reopen", "退回", _id_reason(TaskReopen),
             ("/task 退回 <编号> <原因…>", "/task reopen <id> <reason…>"),
             ("负责人退回完成申请", "lead sends a done task back")),
        _sub("task", "block", "受阻", _task_block,
             ("/task 受阻 <编号> <原因…>", "/task block <id> <reason…>"),
             ("标记受阻并写明原因", "flag a blocker with its reason")),
        _sub("task", "unblock", "解除", _id_note(TaskUnblock),
             ("/task 解除 <编号> [说明…]", "/task unblock <id> [note…]"), ("解除受阻", "clear a blocker")),
        _sub("task", "extend", "延期", _task_extend,
             ("/task 延期 <编号> <日期> <原因…>", "/task extend <id> <date> <reason…>"),
             ("申请延期", "ask for more time")),
        _sub("task", "approve", "批准", _id_only(TaskApprove),
             ("/task 批准 <编号>", "/task approve <id>"), ("批准延期申请", "approve an extension")),
        _sub("task", "reject", "驳回", _id_reason(TaskReject),
             ("/task 驳回 <编号> <原因…>", "/task reject <id> <reason…>"),
             ("驳回延期申请", "reject an extension")),
        _sub("task", "assign", "指派", _task_assign,
             ("/task 指派 <编号> <@某人>", "/task assign <id> <@user>"), ("指派责任人", "give a task to someone")),
        _sub("task", "coowner", "协办", _task_coowners,
             ("/task 协办 <编号> [移除] <@某人>…", "/task coowner <id> [remove] <@user>…"),
             ("添加或移除协办人", "add or remove co-owners")),
        _sub("task", "node", "节点", _task_node,
             ("/task 节点 <编号> <日期> <名称…>\n/task 节点 <编号> 完成 <序号>",
              "/task node <id> <date> <name…>\n/task node <id> done <n>"),
             ("添加时间节点，或标记第 n 个节点完成", "add a time node, or mark node n reached")),
        _sub("task", "ack", "收到", _id_only(TaskAck),
             ("/task 收到 <编号>", "/task ack <id>"), ("确认收到催办", "acknowledge a reminder")),
        _sub("task", "edit", "修改", _task_edit,
             ("/task 修改 <编号> [标题:…] [内容:…] [截止:<更早的日期>] [单位:<部门>] [优先级:紧急|普通]\n/task 修改 <编号> 节点:<序号> 截止:<日期>",
              "/task edit <id> [title:…] [desc:…] [due:<earlier date>] [dept:<name>] [prio:high|normal]\n/task edit <id> node:<n> due:<date>"),
             ("更正任务的标题、截止日期、责任单位或优先级，或节点日期", "correct a task's title, deadline, department or "
              "priority, or a node's date")),
        _sub("task", "cancel", "撤销", _id_reason(TaskCancel),
             ("/task 撤销 <编号> <原因…>", "/task cancel <id> <reason…>"), ("撤销任务", "cancel a task")),
    ),
    "force": (
        _sub("force", "new", "新建", _force_new,
             ("/force 新建 <名称…> [负责人:<@某人>]", "/force new <name…> [lead:<@user>]"),
             ("新建专班并绑定本频道", "create a task force bound to this channel")),
        _sub("force", "add", "加入", _force_add,
             ("/force 加入 <@某人>… [部门:<名称>] [专班:<名称>]", "/force add <@user>… [dept:<name>] [force:<name>]"),
             ("加入成员", "add members")),
        _sub("force", "remove", "移出", _force_remove,
             ("/force 移出 <@某人>… [专班:<名称>] [确认]", "/force remove <@user>… [force:<name>] [confirm]"), ("移出成员", "remove members")),
        _sub("force", "list", "列表", _force_list,
             ("/force 列表 [第<n>页]", "/force list [page:<n>]"), ("列出专班", "list task forces")),
        _sub("force", "map", "挂图", _force_map,
             ("/force 挂图 [名称] [部门:<名称>] [责任人:<@某人>] [灯:红|黄|绿|灰]",
              "/force map [name] [dept:<name>] [owner:<@user>] [light:red|yellow|green|grey]"),
             ("作战挂图（按责任单位分组，分页）", "the war map (by department, in pages)")),
        _sub("force", "digest", "周报", _force_named(ForceDigest),
             ("/force 周报 [名称]", "/force digest [name]"), ("本周周报", "the weekly digest")),
        _sub("force", "policy", "规则", _force_policy,
             ("/force 规则 [专班:<名称>] [临期天数:<n>] [沉默天数:<n>] [提醒:<3,1>] [督办:<0,2,3,5>] [免打扰:<20-8>]",
              "/force policy [force:<name>] [yellow_days:<n>] [stale_days:<n>] [remind_days:<3,1>] [escalate:<0,2,3,5>] [quiet:<20-8>] [ack_pause:<3>] [urgent_entry:<0-3>]"),
             ("查看或修改提醒与督办规则（天数为工作日）", "show or change reminder and escalation rules (working days)")),
        _sub("force", "notice", "通知", _force_notice,
             ("/force 通知 [专班:<名称>] <内容…>  ·  /force 通知 收到 <编号>  ·  /force 通知 回执 <编号>",
              "/force notice [force:<name>] <text…>  ·  /force notice ack <id>  ·  /force notice status <id>"),
             ("向全体成员发通知；确认收到；查看谁已确认", "send a notice to every member; confirm one; see who confirmed")),
        _sub("force", "export", "导出", _force_named(ForceExport),
             ("/force 导出 [名称]", "/force export [name]"), ("导出任务清单（Excel）", "export the task list (Excel)")),
        _sub("force", "screen", "大屏", _force_screen,
             ("/force 大屏 [名称]  ·  /force 大屏 撤销 [名称]", "/force screen [name]  ·  /force screen revoke [name]"),
             ("实时大屏链接（30 天有效）；撤销本专班的大屏链接", "a link to the live wall screen (valid 30 days); revoke "
              "the task force's screen links")),
        _sub("force", "close", "结束", _force_close,
             ("/force 结束 [名称] [确认]", "/force close [name] [confirm]"), ("结束专班", "close a task force")),
    ),
    "meeting": (
        _sub("meeting", "new", "新建", _meeting_new,
             ("/meeting 新建 <专题会议|例会|标题…> <日期> [HH:MM] [主持:<@某人>] [时长:<分钟>]",
              "/meeting new <thematic|monthly|title…> <date> [HH:MM] [chair:<@user>] [mins:<n>]"),
             ("新建会议", "schedule a meeting")),
        _sub("meeting", "series", "周期", _meeting_series,
             ("/meeting 周期 <专题会议|例会> 每:<两个月|每月> 从:<日期>",
              "/meeting series <thematic|monthly> every:<2m|1m> from:<date>"),
             ("设置周期会议", "a recurring meeting series")),
        _sub("meeting", "propose", "申报", _meeting_propose,
             ("/meeting 申报 <会议编号> <议题…> [汇报人:<@某人>] [时长:<分钟>]",
              "/meeting propose <meeting-id> <topic…> [presenter:<@user>] [mins:<n>]"),
             ("申报议题", "propose an agenda item")),
        _sub("meeting", "agenda", "议程", _meeting_agenda,
             ("/meeting 议程 <会议编号>", "/meeting agenda <meeting-id>"), ("生成议程", "build the agenda")),
        _sub("meeting", "decide", "议定", _meeting_decide,
             ("/meeting 议定 <会议编号> <事项…> <@责任人> 截止:<日期>",
              "/meeting decide <meeting-id> <text…> <@owner> due:<date>"),
             ("记录议定事项（转为任务）", "record a decision (becomes a task)")),
        _sub("meeting", "minutes", "纪要", _meeting_minutes,
             ("/meeting 纪要 <会议编号> [内容…]", "/meeting minutes <meeting-id> [text…]"),
             ("记录或查看会议纪要", "record or show the minutes")),
        _sub("meeting", "list", "列表", _no_args(MeetingList),
             ("/meeting 列表", "/meeting list"), ("列出会议", "list meetings")),
    ),
    "guatu": (
        _sub("guatu", "help", "帮助", _guatu_help,
             ("/guatu 帮助 [任务|专班|会议|挂图]", "/guatu help [task|force|meeting|guatu]"), ("帮助", "help")),
        _sub("guatu", "whoami", "我", _no_args(WhoAmI),
             ("/guatu 我", "/guatu whoami"), ("我的部门、角色与专班", "my department, roles and task forces")),
        _sub("guatu", "dept", "部门", _dept,
             ("/guatu 部门 新建 <名称> [上级:<名称>] [负责人:<@某人>]\n/guatu 部门 设置 <@某人> <名称>\n/guatu 部门 列表",
              "/guatu dept add <name> [parent:<name>] [head:<@user>]\n/guatu dept set <@user> <name>\n/guatu dept list"),
             ("管理部门", "manage departments")),
        _sub("guatu", "role", "角色", _role,
             ("/guatu 角色 <@某人> [负责人|秘书|领导|管理员]\n/guatu 角色 <@某人> -<角色>\n/guatu 角色 <@某人> 汇报给:<@领导>",
              "/guatu role <@user> [lead|secretary|leader|admin]\n/guatu role <@user> -<role>\n/guatu role <@user> reports-to:<@leader>"),
             ("查看或设置角色、汇报对象", "show or set a role, or whom a person reports to")),
        _sub("guatu", "people", "人员", _people_cmd,
             ("/guatu 人员 [部门:<名称>] [姓名或文字] [page:<n>]\n/guatu 人员 改名 <@某人> <姓名>\n/guatu 人员 离职 <@某人>",
              "/guatu people [dept:<name>] [text] [page:<n>]\n/guatu people rename <@user> <name>\n/guatu people leave <@user>"),
             ("查找人员、改名、离职", "find people, rename, mark a person who left")),
        _sub("guatu", "calendar", "日历", _calendar,
             ("/guatu 日历 设置 <日期> <上班|放假> [原因…]\n/guatu 日历 查看 [YYYY-MM|M月]\n/guatu 日历 导入 [确认] <国务院办公厅通知全文>",
              "/guatu calendar set <date> <work|off> [reason…]\n/guatu calendar show [YYYY-MM|month]\n"
              "/guatu calendar import [confirm] <the State Council's notice>"),
             ("工作日历（节假日与调休）", "working-day calendar (holidays and make-up days)")),
        _sub("guatu", "rank", "赛马", _rank,
             ("/guatu 赛马 [部门|专班]", "/guatu rank [dept|force]"), ("赛马排名", "the horse-race ranking")),
        _sub("guatu", "screen", "大屏", _guatu_screen,
             ("/guatu 大屏  ·  /guatu 大屏 撤销", "/guatu screen  ·  /guatu screen revoke"),
             ("全部专班总览大屏链接（领导、管理员）；撤销总览链接", "a link to the wall screen of every task force "
              "(leader, admin); revoke those links")),
        _sub("guatu", "outbox", "发送队列", _outbox,
             ("/guatu 发送队列 [失败|全部|重试 <编号>]", "/guatu outbox [failed|all|retry <id>]"),
             ("消息发送队列", "the outgoing message queue")),
        _sub("guatu", "lang", "语言", _lang,
             ("/guatu 语言 <中文|英文>", "/guatu lang <zh|en>"), ("设置我的语言", "set my language")),
    ),
}

_COMMAND_NAMES = _vocab(task=("任务",), force=("专班",), meeting=("会议",), guatu=("挂图",))
_HELP_WORDS = frozenset({"help", "帮助", "?", "-h", "--help", "用法", "usage"})
_HELP_ZH = {"task": "任务", "force": "专班", "meeting": "会议", "guatu": "挂图"}


def _find_sub(command: str, tok: _Token) -> Subcommand | None:
    """The subcommand named by ``tok`` (English or Chinese, any case)."""
    word = tok.norm
    for sub in COMMANDS[command]:
        if word in (sub.name, sub.zh):
            return sub
    return None


def _sub_list(command: str, lang: str) -> str:
    """``add 新建 · list 列表 · …`` in the reader's language order."""
    if lang == "en":
        return " · ".join(f"{s.name} ({s.zh})" for s in COMMANDS[command])
    return " · ".join(f"{s.zh}（{s.name}）" for s in COMMANDS[command])


# ---------------------------------------------------------------------------------------------
# Catalogue

i18n.register(
    {
        "cmd.usage": {"zh": "用法：", "en": "Usage: "},
        "usage.commands": {"zh": "/task 任务 · /force 专班 · /meeting 会议 · /guatu 挂图",
                           "en": "/task · /force · /meeting · /guatu"},
        "cmd.unknown_command": {"zh": "没有「{text}」这个命令。", "en": "There is no command “{text}”."},
        "cmd.unknown_sub": {"zh": "{command} 没有「{text}」这个子命令。",
                            "en": "{command} has no subcommand “{text}”."},
        "cmd.bad_help_topic": {"zh": "没有关于「{text}」的帮助。", "en": "There is no help on “{text}”."},
        "cmd.unexpected": {"zh": "多余的内容：「{text}」。", "en": "Unexpected: “{text}”."},
        "cmd.duplicate_option": {"zh": "「{option}:」写了两次。", "en": "“{option}:” is given twice."},
        "cmd.empty_option": {"zh": "「{option}:」后面缺少内容。", "en": "“{option}:” has no value."},
        "cmd.missing_task_id": {"zh": "缺少任务编号。", "en": "The task id is missing."},
        "cmd.missing_meeting_id": {"zh": "缺少会议编号。", "en": "The meeting id is missing."},
        "cmd.missing_outbox_id": {"zh": "缺少消息编号。", "en": "The message id is missing."},
        "cmd.bad_id": {"zh": "「{text}」不是有效的编号（正整数，如 12 或 #12）。",
                       "en": "“{text}” is not a valid id (a positive number such as 12 or #12)."},
        "cmd.bad_percent": {"zh": "进度「{text}」无效：应为 0 到 100 之间的整数，如 60%。",
                            "en": "Progress “{text}” is invalid: use a whole number from 0 to 100, such as 60%."},
        "cmd.missing_reason": {"zh": "请写明原因。", "en": "Please give a reason."},
        "cmd.missing_title": {"zh": "缺少任务标题。", "en": "The task title is missing."},
        "cmd.missing_due": {"zh": "缺少截止日期：任务必须有期限，请加上 截止:<日期>。",
                            "en": "The deadline is missing: a task needs one, add due:<date>."},
        "cmd.bad_priority": {"zh": "优先级「{text}」无效，可选：高（紧急）、普通。",
                             "en": "Priority “{text}” is invalid; use high (urgent) or normal."},
        "cmd.bad_user": {"zh": "「{text}」不是一个人：请用 @某人 提及。",
                         "en": "“{text}” is not a person: mention them with @name."},
        "cmd.missing_user": {"zh": "请 @ 提及一个人。", "en": "Please mention a person with @."},
        "cmd.too_many_users": {"zh": "这里只能指定一个人（多出了 {text}）。",
                               "en": "Only one person fits here ({text} is one too many)."},
        "cmd.bad_page": {"zh": "页码「{text}」无效：应为 1 到 {most} 之间的整数，如 第2页 或 页:2。",
                         "en": "Page “{text}” is invalid: a whole number from 1 to {most}, such as page:2."},
        "cmd.bad_light": {"zh": "灯色「{text}」无效，可选：红、黄、绿、灰。",
                          "en": "Light “{text}” is invalid; use red, yellow, green or grey."},
        "cmd.bad_list_scope": {"zh": "不认识「{text}」，可选：我的、逾期、全部、@某人、专班:<名称>。",
                               "en": "Unknown “{text}”; use mine, overdue, all, @user or force:<name>."},
        "cmd.missing_date": {"zh": "缺少日期。", "en": "The date is missing."},
        "cmd.missing_node_no": {"zh": "缺少节点序号。", "en": "The node number is missing."},
        "cmd.bad_node_no": {"zh": "「{text}」不是有效的节点序号（1、2、3…）。",
                            "en": "“{text}” is not a valid node number (1, 2, 3 …)."},
        "cmd.missing_node_name": {"zh": "缺少节点名称。", "en": "The node name is missing."},
        "cmd.control_chars": {
            "zh": "命令里有不可见的控制字符（例如 NUL），请删去后重新输入。",
            "en": "The command contains invisible control characters (such as NUL); remove them and type it again.",
        },
        "cmd.edit_nothing": {
            "zh": "请说明改什么：标题:… 内容:… 截止:<更早的日期> 单位:<部门> 优先级:紧急|普通。",
            "en": "Say what to change: title:… desc:… due:<earlier date> dept:<name> prio:high|normal.",
        },
        "cmd.edit_node_due": {
            "zh": "改节点日期请写：/task 修改 <编号> 节点:<序号> 截止:<日期>（不与其他修改混写）。",
            "en": "To move a node: /task edit <id> node:<n> due:<date> (on its own).",
        },
        "cmd.missing_force_name": {"zh": "缺少专班名称。", "en": "The task force name is missing."},
        "cmd.missing_text": {"zh": "缺少内容。", "en": "The text is missing."},
        "cmd.bad_quiet": {"zh": "免打扰时段「{text}」无效：写成 开始-结束 的整点（0–23），如 20-8。",
                          "en": "Quiet hours “{text}” are invalid: write start-end hours (0–23), such as 20-8."},
        "cmd.bad_remind_days": {
            "zh": "提醒天数「{text}」无效：写成逗号分隔的 {lo}–{hi} 之间的整数（最多 {most} 个），如 3,1。",
            "en": "Reminder days “{text}” are invalid: comma-separated whole numbers {lo}–{hi} "
            "(at most {most}), such as 3,1.",
        },
        "cmd.bad_escalate": {
            "zh": "督办间隔「{text}」无效：写成逗号分隔的 {lo}–{hi} 之间的工作日数（最多 {most} 级），如 0,2,3,5。",
            "en": "Escalation delays “{text}” are invalid: comma-separated working days {lo}–{hi} "
            "(at most {most} levels), such as 0,2,3,5.",
        },
        "cmd.bad_policy_number": {"zh": "「{option}」应为 {lo} 到 {hi} 之间的整数，「{text}」不行。",
                                  "en": "“{option}” must be a whole number from {lo} to {hi}, not “{text}”."},
        "cmd.missing_meeting_title": {"zh": "缺少会议类型或标题。", "en": "The meeting type or title is missing."},
        "cmd.bad_time": {"zh": "时间「{text}」无效，请写成 14:30。", "en": "Time “{text}” is invalid; write it as 14:30."},
        "cmd.bad_minutes": {"zh": "时长「{text}」无效：应为 1 到 480 分钟。",
                            "en": "Length “{text}” is invalid: 1 to 480 minutes."},
        "cmd.bad_every": {"zh": "周期「{text}」无效：写成 每月、两个月（1 到 12 个月）。",
                          "en": "Interval “{text}” is invalid: write 1m, 2m … (1 to 12 months)."},
        "cmd.missing_series_kind": {"zh": "请写明是专题会议还是例会。",
                                    "en": "Say which series: thematic or monthly."},
        "cmd.bad_series_kind": {"zh": "「{text}」不是周期会议类型，可选：专题会议、例会。",
                                "en": "“{text}” is not a meeting series; use thematic or monthly."},
        "cmd.missing_start": {"zh": "缺少开始日期（从:<日期>）。", "en": "The start date is missing (from:<date>)."},
        "cmd.missing_topic": {"zh": "缺少议题。", "en": "The topic is missing."},
        "cmd.missing_owner": {"zh": "缺少责任人：请 @ 提及一个人。", "en": "The owner is missing: mention a person."},
        "cmd.bad_rank_scope": {"zh": "不认识「{text}」，可选：部门、专班。",
                               "en": "Unknown “{text}”; use dept or force."},
        "cmd.missing_lang": {"zh": "请写明语言：中文 或 英文。", "en": "Say which language: zh or en."},
        "cmd.bad_lang": {"zh": "不支持语言「{text}」，可选：中文、英文。",
                         "en": "Language “{text}” is not supported; use zh or en."},
        "cmd.missing_dept_name": {"zh": "缺少部门名称。", "en": "The department name is missing."},
        "cmd.missing_name": {"zh": "缺少新的姓名。", "en": "The new name is missing."},
        "cmd.missing_notice": {"zh": "请在命令后粘贴国务院办公厅关于节假日安排的通知全文。",
                               "en": "Paste the State Council's holiday notice after the command."},
        "cmd.bad_action": {"zh": "不认识「{text}」。", "en": "Unknown “{text}”."},
        "cmd.bad_role": {"zh": "没有「{text}」这个角色，可选：成员、负责人、秘书、领导、管理员。",
                         "en": "There is no role “{text}”; use member, lead, secretary, leader or admin."},
        "cmd.bad_month": {"zh": "月份「{text}」无效，请写成 2026-12 或 12月。",
                          "en": "Month “{text}” is invalid; write 2026-12 or 12."},
        "cmd.missing_work_off": {"zh": "请写明这天 上班 还是 放假。", "en": "Say whether the day is work or off."},
        "cmd.bad_work_off": {"zh": "「{text}」无效：请写 上班 或 放假。", "en": "“{text}” is invalid: write work or off."},
        "cmd.bad_outbox": {"zh": "不认识「{text}」，可选：失败、全部、重试 <编号>。",
                           "en": "Unknown “{text}”; use failed, all or retry <id>."},
        "help.title": {"zh": "挂图 Guatu 命令（中英文子命令均可）", "en": "Guatu commands (English or Chinese subcommand names)"},
        "help.alias": {"zh": "也可写 {name}", "en": "also {name}"},
        "help.hint": {"zh": "发送 /{command} 帮助 查看完整用法。", "en": "Send /{command} help for the full forms."},
    }
)  # fmt: skip
i18n.register(
    {
        "cmd.bad_policy_key": {
            "zh": "没有「{option}」这条规则，可设置：" + "、".join(_POLICY_ZH.values()) + "。",
            "en": "There is no rule “{option}”; rules: " + ", ".join(_POLICY_KEYS) + ".",
        }
    }
)
for _cmd, _subs in COMMANDS.items():
    i18n.register(
        {f"usage.{_cmd}": {"zh": f"{_sub_list(_cmd, 'zh')}\n" + i18n.t("help.hint", "zh", command=_cmd),
                               "en": f"{_sub_list(_cmd, 'en')}\n" + i18n.t("help.hint", "en", command=_cmd)},
         f"help.{_cmd}": {"zh": f"/{_cmd} {_HELP_ZH[_cmd]}", "en": f"/{_cmd}"}}
    )  # fmt: skip
    for _s in _subs:
        i18n.register(
            {_s.usage_key: {"zh": _s.usage_zh, "en": _s.usage_en},
             _s.summary_key: {"zh": _s.summary_zh, "en": _s.summary_en}}
        )  # fmt: skip


# =============================================================================================
# Entry points


def _command(command: str) -> str:
    """``/task``, ``task``, ``/任务`` … as the canonical command name."""
    word = _norm(command.strip()).lstrip("/")
    found = _COMMAND_NAMES.get(word)
    if found is None:
        raise CommandError("cmd.unknown_command", usage="usage.commands", text=command.strip())
    return found


def _help_request(command: str, tokens: list[_Token]) -> HelpRequest | None:
    """A HelpRequest if any word asks for help, naming the command or subcommand asked about."""
    if not any(t.norm in _HELP_WORDS for t in tokens):
        return None
    others = [t for t in tokens if t.norm not in _HELP_WORDS]
    if command == "guatu" and tokens[0].norm in _HELP_WORDS and others:
        # /guatu help <topic>: the topic is a command (task …) or a /guatu subcommand.
        topic = _COMMAND_NAMES.get(others[0].norm.lstrip("/"))
        if topic is None:
            sub = _find_sub("guatu", others[0])
            if sub is None:
                raise CommandError("cmd.bad_help_topic", usage="usage.guatu.help", text=others[0].raw)
            return HelpRequest(command="guatu", subcommand=sub.name)
        sub = _find_sub(topic, others[1]) if len(others) > 1 else None
        return HelpRequest(command=topic, subcommand=sub.name if sub else None)  # type: ignore[arg-type]
    sub = _find_sub(command, others[0]) if others else None
    if command == "guatu" and sub is None:
        return HelpRequest(command=None)
    return HelpRequest(command=command, subcommand=sub.name if sub else None)  # type: ignore[arg-type]


def parse(command: str, text: str, *, today: dt.date, calendar: WorkCalendar) -> Request:
    """The typed request for one command line; raises CommandError (a UsageError) and nothing else."""
    name = _command(command)
    if _CONTROL.search(text):
        raise CommandError("cmd.control_chars", usage=f"usage.{name}")
    tokens = _tokenise(text)
    asked = _help_request(name, tokens)
    if asked is not None:
        return asked
    if not tokens:
        return HelpRequest(command=None if name == "guatu" else name)  # type: ignore[arg-type]
    sub = _find_sub(name, tokens[0])
    if sub is None:
        raise CommandError("cmd.unknown_sub", usage=f"usage.{name}", command=f"/{name}", text=tokens[0].raw)
    ctx = _Ctx(text=text, today=today, calendar=calendar)
    try:
        return sub.parse(ctx, tokens[1:])
    except CommandError as exc:
        if exc.usage is None:
            exc.usage = sub.usage_key
        raise
    except UsageError as exc:
        # DateError and friends: keep their key and text, add the right form.
        raise CommandError(exc.key, usage=sub.usage_key, **exc.params) from exc


def help_text(lang: str, command: str | None = None, subcommand: str | None = None) -> str:
    """Help for all commands, one command, or one subcommand, in ``lang``, from the usage table."""
    lang = i18n.normalise_lang(lang)
    names = list(COMMANDS) if command is None else [_command(command)]
    lines: list[str] = [i18n.t("help.title", lang)] if command is None else []
    for name in names:
        subs = [s for s in COMMANDS[name] if subcommand is None or subcommand in (s.name, s.zh)]
        if not subs:
            subs = list(COMMANDS[name])
        if lines:
            lines.append("")
        lines.append(i18n.t(f"help.{name}", lang))
        for s in subs:
            other = s.name if lang == "zh" else s.zh
            summary = i18n.t(s.summary_key, lang)
            alias = i18n.t("help.alias", lang, name=other)
            lines.append(f"• {summary} — {alias}")
            lines.extend(f"  {line}" for line in i18n.t(s.usage_key, lang).splitlines())
    return "\n".join(lines)
