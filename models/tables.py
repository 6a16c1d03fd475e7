"""SQLModel tables. Every row belongs to a workspace (a Slack team) so workspaces never mix."""

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel, col

from models.db import UTCDateTime, utcnow
from models.status import LIVE, OPEN, sql_in

# Primary keys are typed ``int`` although they are None until the row is flushed: code reads the ids
# of stored rows only, and ``int | None`` would make every use of one check for a None that never comes.


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kw)


def _opt_ts(**kw: Any) -> Any:
    return Field(default=None, sa_type=UTCDateTime, **kw)


class Workspace(SQLModel, table=True):
    """A chat workspace (Slack team); the console has its own."""

    id: int = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=64, unique=True)
    name: str = Field(default="", max_length=200)
    created_at: datetime = _ts()
    # Which chat platform the team lives on ("slack", "dingtalk"): the outbox delivers through its notifier.
    platform: str = Field(default="slack", max_length=16, sa_column_kwargs={"server_default": "slack"})


class Department(SQLModel, table=True):
    """单位: a node of the province / city / county tree."""

    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    name: str = Field(max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    # use_alter: department ↔ person reference each other; the FK is added after both tables.
    head_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("person.id", use_alter=True, name="fk_department_head"), nullable=True
        ),
    )
    created_at: datetime = _ts()


class Person(SQLModel, table=True):
    """A civil servant, mapped to one chat user; ``reports_to`` builds the leader chain."""

    __table_args__ = (UniqueConstraint("workspace_id", "chat_user_id"),)
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    chat_user_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    reports_to_id: int | None = Field(default=None, foreign_key="person.id")
    lang: str | None = Field(default=None, max_length=8)
    tz: str | None = Field(default=None, max_length=64)
    created_at: datetime = _ts()
    # The directory's key (the org file's 邮箱): sync-directory maps a person to a chat account by it.
    email: str | None = Field(default=None, max_length=254)
    # 职务 as the organisation file gives it (处长, 科员 …): shown, never used for permissions (roles are).
    position: str | None = Field(default=None, max_length=100)


# Not unique: two imported people may share a mailbox until someone notices; lookups take the first.
Index("ix_person_ws_email", col(Person.workspace_id), col(Person.email))


class RoleGrant(SQLModel, table=True):
    """A workspace-wide role beyond member: lead, secretary, leader, admin."""

    __table_args__ = (UniqueConstraint("person_id", "role"),)
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=16)
    created_at: datetime = _ts()


class TaskForce(SQLModel, table=True):
    """工作专班: bound to a channel, with leads, members and a reminder policy."""

    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        Index("ix_taskforce_channel", "workspace_id", "channel_id"),
    )
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    name: str = Field(max_length=200)
    channel_id: str | None = Field(default=None, max_length=64)
    status: str = Field(default="open", max_length=16)
    policy: dict = Field(default_factory=dict, sa_type=JSON)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _ts()
    closed_at: datetime | None = _opt_ts()


class ForceMember(SQLModel, table=True):
    """A person in a task force, with the department they represent there."""

    __table_args__ = (UniqueConstraint("force_id", "person_id"),)
    id: int = Field(default=None, primary_key=True)
    force_id: int = Field(foreign_key="taskforce.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    is_lead: bool = Field(default=False)
    joined_at: datetime = _ts()


TASK_LIVE_SQL = sql_in("status", LIVE)  # "status IN ('todo','active','blocked','done_requested')"
TASK_OPEN_SQL = sql_in("status", OPEN)  # "status IN ('todo','active','blocked')"
# The task indexes the sweeps read to find what is due: what scheduling a task's reminders, nudges and 督办
# costs on top of its row (bench/sweeps.py ``scheduling_cost``). ix_task_live_due serves lists and counts.
SWEEP_TASK_INDEXES = ("ix_task_remind", "ix_task_open_policy", "ix_task_open_progress", "ix_task_open_unreported",
                      "ix_task_unescalated", "ix_task_esc_check")
# The sweep markers (see ``models/markers.py``): what each sweep already did to a task or node, kept on the
# row itself so that a sweep's candidate query is one index range whose entries are only what is due.
TASK_ESC_CHECK_SQL = f"esc_live AND (NOT ({TASK_OPEN_SQL}) OR due <> esc_due)"
NODE_ESC_CHECK_SQL = "esc_due IS NOT NULL AND (done_at IS NOT NULL OR due <> esc_due)"
_NUDGE_COLUMNS = ["id", "workspace_id", "force_id", "start_date", "due", "nudged_at", "reminded_at"]
# What the nudges' two indexes hold (migration 0011); the nudges' query says the same (jobs/sweeps.py).
NUDGE_REPORTED_SQL = f"{TASK_OPEN_SQL} AND (nudged_at IS NULL OR nudged_at < last_progress_at)"
NUDGE_UNREPORTED_SQL = f"{TASK_OPEN_SQL} AND last_progress_at IS NULL AND (nudged_at IS NULL OR nudged_at < created_at)"


class Task(SQLModel, table=True):
    """任务: owner, owning department, baseline and current deadline, progress, status."""

    __table_args__ = (
        Index("ix_task_owner_status", "owner_id", "status"),
        Index("ix_task_force_status", "force_id", "status"),
        # Sweeps look only at live tasks by deadline: a partial index keeps that cost to what is due.
        Index(
            "ix_task_live_due",
            "due",
            postgresql_where=text(TASK_LIVE_SQL),
            sqlite_where=text(TASK_LIVE_SQL),
        ),
        # The reminders sweep: open tasks by deadline, with everything its decision reads (an index-only
        # scan on PostgreSQL; the markers say which step was taken last, so no per-row look at the log).
        Index(
            "ix_task_remind",
            "due",
            postgresql_include=["id", "workspace_id", "force_id", "priority", "created_at", "remind_due",
                                "remind_step"],
            postgresql_where=text(TASK_OPEN_SQL),
            sqlite_where=text(TASK_OPEN_SQL),
        ),
        # The escalations sweep: overdue deadlines without a live episode (only those not yet escalated are in
        # the index), and tasks whose live episodes may have ended (done, cancelled, deadline moved).
        # The node reminders' join: an open task's policy inputs, without a visit to its row.
        Index(
            "ix_task_open_policy",
            "id",
            postgresql_include=["workspace_id", "force_id", "priority"],
            postgresql_where=text(TASK_OPEN_SQL),
            sqlite_where=text(TASK_OPEN_SQL),
        ),
        Index(
            "ix_task_unescalated",
            "due",
            postgresql_include=["id"],
            postgresql_where=text(f"{TASK_OPEN_SQL} AND esc_due IS NULL"),
            sqlite_where=text(f"{TASK_OPEN_SQL} AND esc_due IS NULL"),
        ),
        Index(
            "ix_task_esc_check",
            "id",
            postgresql_where=text(TASK_ESC_CHECK_SQL),
            sqlite_where=text(TASK_ESC_CHECK_SQL),
        ),
    )
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    force_id: int | None = Field(default=None, foreign_key="taskforce.id")
    parent_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    title: str = Field(max_length=500)
    description: str = Field(default="")
    owner_id: int = Field(foreign_key="person.id")
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    priority: str = Field(default="normal", max_length=16)
    # todo → active → (blocked) → done_requested → done; or cancelled.
    status: str = Field(default="todo", max_length=16)
    progress: int = Field(default=0)
    start_date: date
    baseline_due: date
    due: date
    blocked_reason: str | None = Field(default=None)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    last_progress_at: datetime | None = _opt_ts()
    done_requested_at: datetime | None = _opt_ts()
    done_at: datetime | None = _opt_ts()
    verified_by_id: int | None = Field(default=None, foreign_key="person.id")
    cancelled_reason: str | None = Field(default=None)
    # Sweep markers, written by the sweeps in the transaction that writes the step they stand for (the log
    # rows stay the guarantee: a marker only keeps rows that are not due out of the candidate queries).
    remind_due: date | None = Field(default=None)  # the deadline the last reminder step was taken for
    remind_step: int | None = Field(default=None)  # and that step (working days before the deadline)
    reminded_at: datetime | None = _opt_ts()  # when a reminder (deadline or node) was last taken
    nudged_at: datetime | None = _opt_ts()  # when a nudge was last taken
    esc_due: date | None = Field(default=None)  # the deadline a live 督办 episode is about (None: none)
    esc_live: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})  # any live episode


class TaskCoOwner(SQLModel, table=True):
    """A co-owner (协办人) of a task."""

    __table_args__ = (UniqueConstraint("task_id", "person_id"),)
    id: int = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)


class TimeNode(SQLModel, table=True):
    """时间节点: a milestone of a task with its own date."""

    __table_args__ = (
        UniqueConstraint("task_id", "no"),
        Index(
            "ix_timenode_open_due",
            "due",
            postgresql_include=["task_id", "id", "created_at", "remind_due", "remind_step", "force_id"],
            postgresql_where=text("done_at IS NULL"),
            sqlite_where=text("done_at IS NULL"),
        ),
        Index(
            "ix_timenode_unescalated",
            "due",
            postgresql_include=["task_id", "id"],
            postgresql_where=text("done_at IS NULL AND esc_due IS NULL"),
            sqlite_where=text("done_at IS NULL AND esc_due IS NULL"),
        ),
        Index(
            "ix_timenode_esc_check",
            "id",
            postgresql_where=text(NODE_ESC_CHECK_SQL),
            sqlite_where=text(NODE_ESC_CHECK_SQL),
        ),
    )
    id: int = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    no: int
    name: str = Field(max_length=300)
    due: date
    done_at: datetime | None = _opt_ts()
    created_at: datetime = _ts()
    remind_due: date | None = Field(default=None)  # sweep markers, as on Task
    remind_step: int | None = Field(default=None)
    esc_due: date | None = Field(default=None)
    # The task's force, copied when the node is made (a task never changes force): the reminders' candidate
    # query decides a node's step from its own index entry. None: the task has no force, or a row written
    # without the copy — the query then reads the task, as it does for every node it cannot decide alone.
    force_id: int | None = Field(default=None)


class ProgressUpdate(SQLModel, table=True):
    """进展: a progress report with percent and note."""

    __table_args__ = (Index("ix_progress_task_time", "task_id", "created_at"),)
    id: int = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id")
    person_id: int = Field(foreign_key="person.id")
    percent: int
    note: str = Field(default="")
    created_at: datetime = _ts()


class ExtensionRequest(SQLModel, table=True):
    """延期申请: the owner asks, a lead approves (deadline moves, baseline stays) or rejects."""

    __table_args__ = (Index("ix_extension_task_status", "task_id", "status"),)
    id: int = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id")
    requested_by_id: int = Field(foreign_key="person.id")
    old_due: date
    new_due: date
    reason: str
    status: str = Field(default="pending", max_length=16)
    decided_by_id: int | None = Field(default=None, foreign_key="person.id")
    decision_reason: str | None = Field(default=None)
    created_at: datetime = _ts()
    decided_at: datetime | None = _opt_ts()


class CalendarOverride(SQLModel, table=True):
    """A working day or day off the official calendar package does not know yet (调休)."""

    __table_args__ = (UniqueConstraint("workspace_id", "day"),)
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    day: date
    working: bool
    reason: str = Field(default="")
    set_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _ts()


class AuditEvent(SQLModel, table=True):
    """Append-only audit log: who did what to which entity, when."""

    __table_args__ = (
        Index("ix_audit_entity", "entity", "entity_id"),
        Index("ix_audit_ws_time", "workspace_id", "created_at"),
    )
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=64)
    entity: str = Field(max_length=32)
    entity_id: int | None = Field(default=None)
    detail: dict = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = _ts()


class Outbox(SQLModel, table=True):
    """A message to a person or channel, written with the change that caused it; sent at most once."""

    __table_args__ = (
        Index(
            "ix_outbox_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_outbox_ws_status", "workspace_id", "status"),
    )
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    idempotency_key: str = Field(max_length=200, unique=True)
    # A chat user id or channel id; ``person_id`` is set when it is a person.
    recipient: str = Field(max_length=64)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    kind: str = Field(max_length=32)
    text: str
    blocks: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    task_id: int | None = Field(default=None, foreign_key="task.id")
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _ts()
    claimed_until: datetime | None = _opt_ts()
    # The worker holding the claim: a worker only marks or releases rows it still holds.
    claimed_by: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None)
    created_at: datetime = _ts()
    sent_at: datetime | None = _opt_ts()
    chat_ts: str | None = Field(default=None, max_length=64)
    # A message a sweep decided on is "held" for the person's briefing (一人一单): the briefings job
    # sends it alone, or gathers it with the others due that morning into one message and marks it
    # "merged" (``merged_into`` the briefing). ``brief``: its one line there, its group, its buttons.
    brief: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    merged_into: int | None = Field(default=None)
    # The platform to deliver through; None: the workspace's own (``Workspace.platform``).
    platform: str | None = Field(default=None, max_length=16)


class ProcessedEvent(SQLModel, table=True):
    """A Slack Events API event already handled; its unique id stops a retry from acting twice."""

    id: int = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64, unique=True)
    team_id: str = Field(default="", max_length=64)
    created_at: datetime = _ts(index=True)  # the clean-up deletes by age


class ProcessedRequest(SQLModel, table=True):
    """A signed Slack request already acted on; its unique signature stops a replay (same bytes) acting twice."""

    id: int = Field(default=None, primary_key=True)
    signature: str = Field(max_length=100, unique=True)
    created_at: datetime = _ts(index=True)  # the clean-up deletes by age


# ---------------------------------------------------------------- reminders, escalations, notices
# The sweeps (jobs/sweeps.py) keep their state here; each table is filtered through an index that
# holds only what may still be due, so a sweep's cost follows what is due, not what exists.

# Literal SQL, shared by the partial indexes below and by the queries that must match them.
OUTBOX_LIVE_SQL = "status IN ('pending','sending')"

# Silence (no progress since …) is looked up in two halves, each through its own partial index:
# tasks with a progress report by its time, tasks never reported on by their creation time. Each holds only
# silences not nudged yet (the nudge marker before the silence began): a nudge takes the task out, a report
# puts it back, so the nudges' range reads the tasks to nudge, not every task nudged already.
Index(
    "ix_task_open_progress",
    col(Task.last_progress_at),
    postgresql_include=_NUDGE_COLUMNS,  # an index-only scan: the nudge decision reads nothing else
    postgresql_where=text(NUDGE_REPORTED_SQL),
    sqlite_where=text(NUDGE_REPORTED_SQL),
)
Index(
    "ix_task_open_unreported",
    col(Task.created_at),
    postgresql_include=_NUDGE_COLUMNS,
    postgresql_where=text(NUDGE_UNREPORTED_SQL),
    sqlite_where=text(NUDGE_UNREPORTED_SQL),
)
# A lease that expired (the worker died between claiming and marking) is found through this one.
Index(
    "ix_outbox_sending",
    col(Outbox.claimed_until),
    postgresql_where=text("status = 'sending'"),
    sqlite_where=text("status = 'sending'"),
)
# Held messages (briefing items) by when they are due, and by person when a briefing is composed.
OUTBOX_HELD_SQL = "status = 'held'"
Index(
    "ix_outbox_held_due",
    col(Outbox.next_attempt_at),
    postgresql_where=text(OUTBOX_HELD_SQL),
    sqlite_where=text(OUTBOX_HELD_SQL),
)
Index(
    "ix_outbox_held_person",
    col(Outbox.person_id),
    col(Outbox.next_attempt_at),
    postgresql_where=text(OUTBOX_HELD_SQL),
    sqlite_where=text(OUTBOX_HELD_SQL),
)
# Order per recipient: the worker asks "is an earlier message to this recipient still in flight?".
Index(
    "ix_outbox_recipient_live",
    col(Outbox.workspace_id),
    col(Outbox.recipient),
    col(Outbox.id),
    postgresql_where=text(OUTBOX_LIVE_SQL),
    sqlite_where=text(OUTBOX_LIVE_SQL),
)


class OutboxPace(SQLModel, table=True):
    """A send gate per recipient, shared by every worker: nothing goes to them before ``not_before``
    (about 1 s after each send; the platform's Retry-After after an HTTP 429)."""

    __table_args__ = (UniqueConstraint("workspace_id", "recipient"),)
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    recipient: str = Field(max_length=64)
    not_before: datetime = _ts()


class SweepLog(SQLModel, table=True):
    """A reminder or nudge step a sweep took for a task, written with its outbox rows: unique, so a
    repeat sweep or a second process never takes the same step twice."""

    __table_args__ = (
        UniqueConstraint("task_id", "kind", "target", "due", "step"),
        # Nudges ask "nudged since the last progress?": by task, kind and time.
        Index("ix_sweeplog_task_kind_time", "task_id", "kind", "created_at"),
    )
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    task_id: int = Field(foreign_key="task.id")
    kind: str = Field(max_length=16)  # remind | nudge
    target: str = Field(max_length=32)  # deadline | node:<id> | silence
    due: date  # the deadline or node date reminded of; the first silent day for a nudge
    step: int  # working days before ``due`` (remind); the silence threshold (nudge)
    created_at: datetime = _ts()


class EscalationState(SQLModel, table=True):
    """督办: one episode of an overdue task's escalation ladder, with the policy frozen when it began.

    A new episode starts when progress or an approved extension resets the ladder."""

    __table_args__ = (
        UniqueConstraint("task_id", "episode"),
        # At most one live episode per task and target (the deadline, each time node), even with
        # several processes discovering red tasks.
        Index(
            "ix_escalation_live_target", "task_id", "target", unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index(
            "ix_escalation_due", "next_at",
            postgresql_where=text("status = 'open' AND next_at IS NOT NULL"),
            sqlite_where=text("status = 'open' AND next_at IS NOT NULL"),
        ),
    )
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    task_id: int = Field(foreign_key="task.id")
    episode: int
    # What is overdue: "deadline", or "node:<id>" for a time node (节点), each with its own ladder.
    target: str = Field(default="deadline", max_length=32)
    node_id: int | None = Field(default=None, foreign_key="timenode.id")
    due: date  # the date that was missed; an extension changes the task's and ends the episode
    anchor: date  # the ladder counts working days from the first working day after this date
    policy: dict = Field(default_factory=dict, sa_type=JSON)  # effective policy when the episode began
    progress_seen: datetime | None = _opt_ts()  # the task's last progress when the episode began
    level: int = Field(default=-1)  # the highest level fired so far
    next_at: datetime | None = _opt_ts()  # when the next level is due; None once the ladder is done
    # When each level is due (ISO instants), fixed when the episode opens and moved by a pause.
    schedule: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    paused_until: datetime | None = _opt_ts()  # 收到 pauses the climb until then
    # open (climbing or paused) → closed (no longer overdue: done, verified, extended, node met, cancelled)
    status: str = Field(default="open", max_length=16)
    acked_by_id: int | None = Field(default=None, foreign_key="person.id")
    acked_at: datetime | None = _opt_ts()
    created_at: datetime = _ts()
    closed_at: datetime | None = _opt_ts()
    close_reason: str | None = Field(default=None, max_length=32)


class EscalationStep(SQLModel, table=True):
    """A ladder level that fired: its numbered notice (提示单, 督办单, 通报) and recipients; once per level."""

    __table_args__ = (UniqueConstraint("state_id", "level"),)
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    state_id: int = Field(foreign_key="escalationstate.id")
    task_id: int = Field(foreign_key="task.id", index=True)
    level: int
    series: str | None = Field(default=None, max_length=16)  # tishi | duban | tongbao; None: nobody to tell
    year: int | None = Field(default=None)
    no: int | None = Field(default=None)
    recipients: list = Field(default_factory=list, sa_type=JSON)  # person ids
    created_at: datetime = _ts()


class NoticeCounter(SQLModel, table=True):
    """The last number of a series of numbered notices (督办〔2026〕7号), per workspace and year."""

    __table_args__ = (UniqueConstraint("workspace_id", "series", "year"),)
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    series: str = Field(max_length=16)
    year: int
    last_no: int = Field(default=0)


class Notice(SQLModel, table=True):
    """通知: a lead's notice to every member of a task force, each member confirming receipt (收到)."""

    __table_args__ = (Index("ix_notice_force_time", "force_id", "created_at"),)
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    force_id: int = Field(foreign_key="taskforce.id")
    author_id: int = Field(foreign_key="person.id")
    text: str
    created_at: datetime = _ts()


class NoticeReceipt(SQLModel, table=True):
    """A member's copy of a notice: confirmed or not, how often sent, when it is re-sent next."""

    __table_args__ = (
        UniqueConstraint("notice_id", "person_id"),
        Index(
            "ix_receipt_renotice_due", "next_renotice_at",
            postgresql_where=text("confirmed_at IS NULL AND next_renotice_at IS NOT NULL"),
            sqlite_where=text("confirmed_at IS NULL AND next_renotice_at IS NOT NULL"),
        ),
    )
    id: int = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    sent_count: int = Field(default=1)  # the first send plus re-sends
    next_renotice_at: datetime | None = _opt_ts()
    confirmed_at: datetime | None = _opt_ts()
    created_at: datetime = _ts()


# ---------------------------------------------------------------- meetings
# 专题会议 (bimonthly, chaired by the governor) and 工作例会 (monthly): series, occurrences,
# proposed agenda items, and decisions that become tracked tasks.


class MeetingSeries(SQLModel, table=True):
    """A recurring meeting: every N months from a first date, at a time, with a chair."""

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    kind: str = Field(max_length=16)  # thematic | monthly
    every_months: int
    start: date
    at_time: time | None = Field(default=None)
    chair_id: int | None = Field(default=None, foreign_key="person.id")
    active: bool = Field(default=True)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _ts()


class Meeting(SQLModel, table=True):
    """One meeting: its date, agenda cut-off, chair, length, minutes; numbered like tasks (#12)."""

    __table_args__ = (
        UniqueConstraint("series_id", "seq"),
        Index("ix_meeting_ws_day", "workspace_id", "day"),
    )
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    series_id: int | None = Field(default=None, foreign_key="meetingseries.id")
    seq: int | None = Field(default=None)  # occurrence number within the series
    kind: str = Field(max_length=16)  # thematic | monthly | other
    title: str = Field(max_length=300)
    day: date
    at_time: time | None = Field(default=None)
    length_min: int = Field(default=90)
    cutoff: date  # agenda items proposed after this day are marked late
    chair_id: int | None = Field(default=None, foreign_key="person.id")
    channel_id: str | None = Field(default=None, max_length=64)
    minutes_text: str | None = Field(default=None)
    minutes_at: datetime | None = _opt_ts()
    agenda_at: datetime | None = _opt_ts()
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _ts()


class AgendaItem(SQLModel, table=True):
    """议题: a topic proposed for a meeting, with presenter and requested minutes."""

    __table_args__ = (Index("ix_agenda_meeting", "meeting_id", "created_at"),)
    id: int = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id")
    topic: str = Field(max_length=500)
    proposer_id: int = Field(foreign_key="person.id")
    presenter_id: int | None = Field(default=None, foreign_key="person.id")
    length_min: int = Field(default=10)
    late: bool = Field(default=False)
    created_at: datetime = _ts()


class Decision(SQLModel, table=True):
    """议定事项: a decision of a meeting, tracked as a task and followed up at the next meeting."""

    __table_args__ = (Index("ix_decision_meeting", "meeting_id"),)
    id: int = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id")
    text: str
    owner_id: int = Field(foreign_key="person.id")
    due: date
    task_id: int = Field(foreign_key="task.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _ts()


class ScreenToken(SQLModel, table=True):
    """A wall-screen (大屏) link: read-only, one workspace and maybe one task force; only its sha256 is kept."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    force_id: int | None = Field(default=None, foreign_key="taskforce.id")  # None: the province overview
    token_hash: str = Field(max_length=64, unique=True)
    created_by_id: int = Field(foreign_key="person.id")
    created_at: datetime = _ts()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = _opt_ts()
    revoked_by_id: int | None = Field(default=None, foreign_key="person.id")


class HomeQueue(SQLModel, table=True):
    """An App Home to publish again (models/homequeue.py): one row per person while their home is stale.

    Written in the transaction of the change that made it stale (a burst of changes bumps ``version`` on the
    one row, so it is published once); the worker's delivery loop claims rows, builds and publishes each home,
    and deletes a row only if no change bumped its version meanwhile."""

    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)
    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    user_id: str = Field(max_length=64)  # the chat user id whose home it is
    version: int = Field(default=1)
    requested_at: datetime = _ts(index=True)  # the first change since the last publish: oldest first
    not_before: datetime | None = _opt_ts()  # after a 429 or a failed publish: not again before this
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = _opt_ts()  # a publisher's lease (the real clock)
    attempts: int = Field(default=0)
