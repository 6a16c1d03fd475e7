"""The application's command objects: one frozen pydantic model per subcommand, ``kind`` discriminating.

A surface (Slack, DingTalk, the console) turns what a person typed or clicked into one of these;
the dispatcher maps each to one use case. Sections follow the slash commands.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, TypeAlias

from pydantic import Field

from bot.commands.refs import Frozen, UserRef
from bot.commands.values import CommandName, Id, LightName, MeetingKind, PageNo, Percent, Priority, Role

# =============================================================================================
# Forms and help


class OpenForm(Frozen):
    """A command typed without the arguments it needs where a form can ask for them."""

    kind: Literal["form.open"] = "form.open"
    form: str
    task_id: Id | None = None


class HelpRequest(Frozen):
    """Help for everything (``command`` None), one command, or one subcommand."""

    kind: Literal["help"] = "help"
    command: CommandName | None = None
    subcommand: str | None = None


# =============================================================================================
# /task: a task's life, from creation to close-out (销号)


class TaskAdd(Frozen):
    """/task add: a new task (the parser always sets ``due``)."""

    kind: Literal["task.add"] = "task.add"
    title: str
    owner: UserRef | None = None
    due: dt.date | None = None
    force: str | None = None
    dept: str | None = None
    priority: Priority = "normal"
    parent_id: Id | None = None


class TaskList(Frozen):
    """/task list: ``user`` is set for scope "user", ``force`` for scope "force"."""

    kind: Literal["task.list"] = "task.list"
    scope: Literal["mine", "overdue", "user", "force", "all"] = "mine"
    user: UserRef | None = None
    force: str | None = None
    page: PageNo = 1
    light: LightName | None = None


class TaskShow(Frozen):
    """/task show <id>: shows one task (查看)."""

    kind: Literal["task.show"] = "task.show"
    task_id: Id


class TaskHistory(Frozen):
    """/task history <id>: the task's record of changes (变更记录)."""

    kind: Literal["task.history"] = "task.history"
    task_id: Id


class TaskProgress(Frozen):
    """/task progress <id> <percent> [note]: the owner reports progress, 0–100% (进展)."""

    kind: Literal["task.progress"] = "task.progress"
    task_id: Id
    percent: Percent
    note: str | None = None


class TaskDone(Frozen):
    """/task done: the owner asks for close-out."""

    kind: Literal["task.done"] = "task.done"
    task_id: Id
    note: str | None = None


class TaskVerify(Frozen):
    """/task verify: the lead verifies a done task (销号)."""

    kind: Literal["task.verify"] = "task.verify"
    task_id: Id
    confirm: bool = False  # verify although sub-tasks or time nodes are still open


class TaskReopen(Frozen):
    """/task reopen: the lead sends a done request back."""

    kind: Literal["task.reopen"] = "task.reopen"
    task_id: Id
    reason: str


class TaskBlock(Frozen):
    """/task block <id> <reason>: flags a blocker with its reason (受阻)."""

    kind: Literal["task.block"] = "task.block"
    task_id: Id
    reason: str


class TaskUnblock(Frozen):
    """/task unblock <id> [note]: clears the blocker (解除受阻)."""

    kind: Literal["task.unblock"] = "task.unblock"
    task_id: Id
    note: str | None = None


class TaskExtend(Frozen):
    """/task extend <id> <new date> <reason>: asks the lead for more time (申请延期)."""

    kind: Literal["task.extend"] = "task.extend"
    task_id: Id
    new_due: dt.date
    reason: str


class TaskApprove(Frozen):
    """/task approve: the lead approves the pending extension."""

    kind: Literal["task.approve"] = "task.approve"
    task_id: Id


class TaskReject(Frozen):
    """/task reject: the lead rejects the pending extension."""

    kind: Literal["task.reject"] = "task.reject"
    task_id: Id
    reason: str


class TaskAssign(Frozen):
    """/task assign <id> <@user>: gives the task to a new owner (指派)."""

    kind: Literal["task.assign"] = "task.assign"
    task_id: Id
    owner: UserRef


class TaskCoOwners(Frozen):
    """/task coowner <id> [remove] <@user>…: adds (or removes) co-owners (协办人)."""

    kind: Literal["task.coowners"] = "task.coowners"
    task_id: Id
    users: list[UserRef] = Field(min_length=1)
    remove: bool = False


class TaskNodeAdd(Frozen):
    """/task node <id> <date> <name>: a time node (时间节点)."""

    kind: Literal["task.node.add"] = "task.node.add"
    task_id: Id
    due: dt.date
    name: str


class TaskNodeDone(Frozen):
    """/task node <id> done <n>: node number ``node_no`` (1-based) is reached."""

    kind: Literal["task.node.done"] = "task.node.done"
    task_id: Id
    node_no: Id


class TaskAck(Frozen):
    """/task ack: acknowledges a reminder or escalation (stops the ladder)."""

    kind: Literal["task.ack"] = "task.ack"
    task_id: Id


class TaskEdit(Frozen):
    """/task edit <id> [title:…] [due:…] [dept:…] [prio:…] [node:<n> due:…]: corrections (修改)."""

    kind: Literal["task.edit"] = "task.edit"
    task_id: Id
    title: str | None = None
    due: dt.date | None = None
    dept: str | None = None
    priority: str | None = None
    node_no: int | None = None
    description: str | None = None


class TaskCancel(Frozen):
    """/task cancel <id> <reason>: cancels the task (撤销), the reason on record."""

    kind: Literal["task.cancel"] = "task.cancel"
    task_id: Id
    reason: str


# =============================================================================================
# /force: task forces (工作专班), their members, rules, notices and views


class ForceNew(Frozen):
    """/force new: a task force bound to the channel typed in."""

    kind: Literal["force.new"] = "force.new"
    name: str
    lead: UserRef | None = None


class ForceAddMembers(Frozen):
    """/force add <@user>… [dept:<name>] [force:<name>]: adds members (加入成员)."""

    kind: Literal["force.add"] = "force.add"
    users: list[UserRef] = Field(min_length=1)
    dept: str | None = None
    force: str | None = None


class ForceRemoveMembers(Frozen):
    """/force remove <@user>… [confirm]: removes members (移出成员); ``confirm`` even if they own live tasks."""

    kind: Literal["force.remove"] = "force.remove"
    users: list[UserRef] = Field(min_length=1)
    force: str | None = None
    confirm: bool = False  # remove although they own live tasks (handed to a lead)


class ForceList(Frozen):
    """/force list [page]: lists the task forces (列出专班)."""

    kind: Literal["force.list"] = "force.list"
    page: PageNo = 1


class ForceMap(Frozen):
    """/force map: the war map pictures (挂图), filtered by department, owner or light."""

    kind: Literal["force.map"] = "force.map"
    force: str | None = None
    dept: str | None = None
    owner: UserRef | None = None
    light: LightName | None = None


class ForceDigest(Frozen):
    """/force digest: the weekly digest now."""

    kind: Literal["force.digest"] = "force.digest"
    force: str | None = None


class ForceExport(Frozen):
    """/force export: the task list as Excel."""

    kind: Literal["force.export"] = "force.export"
    force: str | None = None


class ForcePolicy(Frozen):
    """/force policy: ``changes`` maps Policy field names to values; empty means show."""

    kind: Literal["force.policy"] = "force.policy"
    force: str | None = None
    changes: dict[str, int | list[int]] = Field(default_factory=dict)


class ForceNotice(Frozen):
    """/force notice: a notice to every member, re-sent until acknowledged."""

    kind: Literal["force.notice"] = "force.notice"
    force: str | None = None
    text: str


class ForceNoticeAck(Frozen):
    """/force notice ack <id>: confirms receipt (收到) of a notice."""

    kind: Literal["force.notice.ack"] = "force.notice.ack"
    notice_id: Id


class ForceNoticeStatus(Frozen):
    """/force notice status <id>: who confirmed a notice and who has not (回执)."""

    kind: Literal["force.notice.status"] = "force.notice.status"
    notice_id: Id


class ForceScreenLink(Frozen):
    """/force screen: a link to the task force's live wall screen (大屏), or ``revoke`` its links."""

    kind: Literal["force.screen"] = "force.screen"
    force: str | None = None
    revoke: bool = False


class ForceClose(Frozen):
    """/force close [name] [confirm]: closes a task force (结束专班); ``confirm`` even with live tasks."""

    kind: Literal["force.close"] = "force.close"
    force: str | None = None
    confirm: bool = False  # close although tasks are live (they are cancelled)


# =============================================================================================
# /meeting: meetings, their agenda, decisions and minutes


class MeetingNew(Frozen):
    """/meeting new: ``meeting_kind`` thematic (专题会议), monthly (工作例会) or other."""

    kind: Literal["meeting.new"] = "meeting.new"
    meeting_kind: MeetingKind
    title: str | None = None
    date: dt.date
    time: dt.time | None = None
    chair: UserRef | None = None
    minutes: Annotated[int, Field(ge=1, le=480)] | None = None


class MeetingSeries(Frozen):
    """/meeting series: a recurring meeting every ``every_months`` months from ``start``."""

    kind: Literal["meeting.series"] = "meeting.series"
    meeting_kind: Literal["thematic", "monthly"]
    every_months: Annotated[int, Field(ge=1, le=12)]
    start: dt.date


class MeetingPropose(Frozen):
    """/meeting propose: an agenda item (议题)."""

    kind: Literal["meeting.propose"] = "meeting.propose"
    meeting_id: Id
    topic: str
    presenter: UserRef | None = None
    minutes: Annotated[int, Field(ge=1, le=480)] | None = None


class MeetingAgenda(Frozen):
    """/meeting agenda <id>: builds the meeting's agenda from its proposed items (生成议程)."""

    kind: Literal["meeting.agenda"] = "meeting.agenda"
    meeting_id: Id


class MeetingDecide(Frozen):
    """/meeting decide: a decision (议定事项) that becomes a tracked task."""

    kind: Literal["meeting.decide"] = "meeting.decide"
    meeting_id: Id
    text: str
    owner: UserRef
    due: dt.date


class MeetingMinutes(Frozen):
    """/meeting minutes: records ``text``, or shows the minutes when it is None."""

    kind: Literal["meeting.minutes"] = "meeting.minutes"
    meeting_id: Id
    text: str | None = None


class MeetingList(Frozen):
    """/meeting list: lists the meetings (列出会议)."""

    kind: Literal["meeting.list"] = "meeting.list"


# =============================================================================================
# /guatu: me, the organisation (departments, roles, people), the calendar, the queue, the province views


class WhoAmI(Frozen):
    """/guatu whoami: my department, roles and task forces."""

    kind: Literal["whoami"] = "whoami"


class SetLang(Frozen):
    """/guatu lang <zh|en>: the language the bot answers me in."""

    kind: Literal["lang"] = "lang"
    lang: Literal["zh", "en"]


class Rank(Frozen):
    """/guatu rank: the horse race (赛马) of departments or task forces."""

    kind: Literal["rank"] = "rank"
    scope: Literal["dept", "force"] = "dept"


class ScreenLink(Frozen):
    """/guatu screen: a link to the province overview's wall screen, or ``revoke`` its links."""

    kind: Literal["screen"] = "screen"
    revoke: bool = False


class DeptAdd(Frozen):
    """/guatu dept add <name> [parent:<dept>] [head:<@user>]: a new department."""

    kind: Literal["dept.add"] = "dept.add"
    name: str
    parent: str | None = None
    head: UserRef | None = None


class DeptSetPerson(Frozen):
    """/guatu dept set: a person's department."""

    kind: Literal["dept.set"] = "dept.set"
    user: UserRef
    dept: str


class DeptList(Frozen):
    """/guatu dept list: lists the departments."""

    kind: Literal["dept.list"] = "dept.list"


class RoleSet(Frozen):
    """/guatu role <@user> <role>: gives a person a role (member, lead, secretary, leader, admin)."""

    kind: Literal["role.set"] = "role.set"
    user: UserRef
    role: Role


class RoleRemove(Frozen):
    """/guatu role <@user> -<role>: takes one role away."""

    kind: Literal["role.remove"] = "role.remove"
    user: UserRef
    role: Role


class ReportsTo(Frozen):
    """/guatu role <@user> reports-to:<@leader>."""

    kind: Literal["role.reports_to"] = "role.reports_to"
    user: UserRef
    leader: UserRef


class RoleShow(Frozen):
    """/guatu role <@user>: shows a person's roles."""

    kind: Literal["role.show"] = "role.show"
    user: UserRef


class PeopleList(Frozen):
    """/guatu people [dept:<name>] [text] [page:<n>]: lists and finds people."""

    kind: Literal["people.list"] = "people.list"
    dept: str | None = None
    text: str | None = None
    page: Annotated[int, Field(ge=1, le=100_000)] = 1


class PeopleRename(Frozen):
    """/guatu people rename <@user> <name>: corrects the name a person is shown by."""

    kind: Literal["people.rename"] = "people.rename"
    user: UserRef
    name: str


class PeopleLeave(Frozen):
    """/guatu people leave <@user>: the person left the organisation."""

    kind: Literal["people.leave"] = "people.leave"
    user: UserRef


class CalendarSet(Frozen):
    """/guatu calendar set: a working-day override (e.g. next year's 调休)."""

    kind: Literal["calendar.set"] = "calendar.set"
    day: dt.date
    working: bool
    reason: str | None = None


class CalendarShow(Frozen):
    """/guatu calendar show [month]: one month of the working-day calendar."""

    kind: Literal["calendar.show"] = "calendar.show"
    year: Annotated[int, Field(ge=1, le=9999)]
    month: Annotated[int, Field(ge=1, le=12)]


class CalendarImport(Frozen):
    """/guatu calendar import [确认] <notice text>: shows what the notice says; with 确认, writes it."""

    kind: Literal["calendar.import"] = "calendar.import"
    text: str
    confirm: bool = False


class OutboxShow(Frozen):
    """/guatu outbox [failed|all]: the outgoing message queue, pending messages by default."""

    kind: Literal["outbox.show"] = "outbox.show"
    status: Literal["pending", "failed", "all"] = "pending"


class OutboxRetry(Frozen):
    """/guatu outbox retry <id>: tries one queued message again."""

    kind: Literal["outbox.retry"] = "outbox.retry"
    outbox_id: Id


# =============================================================================================
# Every command object; ``kind`` discriminates

Request: TypeAlias = Annotated[
    OpenForm | HelpRequest | TaskAdd | TaskList | TaskShow | TaskHistory | TaskProgress | TaskDone | TaskVerify |
    TaskReopen | TaskBlock | TaskUnblock | TaskExtend | TaskApprove | TaskReject | TaskAssign | TaskCoOwners |
    TaskNodeAdd | TaskNodeDone | TaskAck | TaskCancel | TaskEdit | ForceNew | ForceAddMembers |
    ForceRemoveMembers | ForceList | ForceMap | ForceDigest | ForceExport | ForceClose | ForcePolicy |
    ForceNotice | ForceNoticeAck | ForceNoticeStatus | MeetingNew | MeetingSeries | MeetingPropose |
    MeetingAgenda | MeetingDecide | MeetingMinutes | MeetingList | WhoAmI | Rank | ForceScreenLink | ScreenLink |
    SetLang | DeptAdd | DeptSetPerson | DeptList | RoleSet | ReportsTo | RoleShow | CalendarSet | CalendarShow |
    OutboxShow | OutboxRetry | PeopleList | PeopleRename | PeopleLeave | RoleRemove | CalendarImport,
    Field(discriminator="kind"),
]  # fmt: skip
