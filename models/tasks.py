"""Tasks (任务): create, assign, progress, block, extend, close out (销号), cancel, nodes, history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm.util import identity_key
from sqlmodel import col, select

from models import audit, escalation, forces, horizon, i18n, org, outbox, permissions
from models.context import Ctx
from models.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from models.i18n import Day, Join, Msg
from models.lights import Light, TaskFacts, compute
from models.policy import effective
from models.sqlutil import ids_param
from models.status import LIVE, TaskStatus, is_open, node_overdue
from models.tables import (
    AuditEvent,
    Department,
    ExtensionRequest,
    ForceMember,
    Person,
    ProgressUpdate,
    Task,
    TaskCoOwner,
    TaskForce,
    TimeNode,
)
from models.timing import send_time

MAX_TITLE = 500
MAX_DESCRIPTION = 4000


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class NodeView:
    """A time node on a card; ``state`` is done, overdue, soon, upcoming or missed (past, task closed)."""

    no: int
    name: str
    due: date
    done: bool
    done_on: date | None = None
    state: str = "upcoming"


@dataclass(frozen=True)
class ExtensionView:
    id: int
    new_due: date
    old_due: date
    reason: str
    requested_by: str


@dataclass(frozen=True)
class SubTaskView:
    """A sub-task (任务分解) as its parent's card lists it, with its own light."""

    id: int
    title: str
    status: str
    progress: int
    owner_name: str
    light: Light


@dataclass(frozen=True)
class NoteView:
    """The last progress report with words: who wrote it, when (local time), at what percent."""

    who: str
    at: datetime
    percent: int
    note: str


@dataclass(frozen=True)
class TaskView:
    """A task as surfaces show it (its card), detached from the session."""

    id: int
    title: str
    status: str
    progress: int
    priority: str
    owner_name: str
    owner_chat_id: str
    dept_name: str | None
    force_id: int | None
    force_name: str | None
    start_date: date
    due: date
    baseline_due: date
    light: Light
    blocked_reason: str | None
    pending_extension: ExtensionView | None
    nodes: tuple[NodeView, ...]
    parent_id: int | None
    viewer_is_lead: bool
    viewer_is_owner: bool
    co_owner_names: tuple[str, ...] = ()
    subtasks: tuple[SubTaskView, ...] = ()
    last_note: NoteView | None = None
    cancelled_reason: str | None = None
    verified_by: str | None = None
    done_on: date | None = None

    @property
    def moved(self) -> bool:
        return self.due != self.baseline_due

    @property
    def actions(self) -> frozenset[str]:
        """What this viewer may do to the task from its card (``card_actions``)."""
        return card_actions(self.status, owner=self.viewer_is_owner, lead=self.viewer_is_lead,
                            pending_extension=self.pending_extension is not None)


# The verbs a task's card may offer, each the command of the same name (``/task <verb> <id>``).
CARD_VERBS = ("progress", "extend", "done", "block", "ack", "approve", "reject", "verify")


def card_actions(status: str, *, owner: bool, lead: bool, pending_extension: bool) -> frozenset[str]:
    """The card verbs the commands accept from this viewer in this state (the rules of ``progress``,
    ``request_extension``, ``request_done``, ``block``, ``decide_extension``, ``verify`` and
    ``acknowledge``; permissions.TABLE says who). Owners and co-owners work a live task, leads too;
    anyone who reads it may acknowledge (收到: whether anything awaits acknowledging is the escalation's);
    leads decide a pending extension and verify a done report. A closed task offers nothing. Two moves the
    commands accept are not offered: a lead's ``verify`` of a task nobody reported done (their ``done``
    does it), and blocking a task again that is blocked already. A task reported done takes no more
    progress, block or extension until the lead verifies or returns it."""
    if status not in LIVE:
        return frozenset()
    verbs = {"ack"}
    if (owner or lead) and status != "done_requested":
        verbs |= {"progress", "done"} | ({"extend"} if not pending_extension else set())
        verbs |= {"block"} if status != "blocked" else set()
    if lead and pending_extension:
        verbs |= {"approve", "reject"}
    if lead and status == "done_requested":
        verbs.add("verify")
    return frozenset(verbs)


def in_card_order(actions: frozenset[str]) -> list[str]:
    """``actions`` in the order a card shows them (CARD_VERBS)."""
    return [verb for verb in CARD_VERBS if verb in actions]


def allowed_actions(ctx: Ctx, task: Task) -> frozenset[str]:
    """The card verbs ``ctx.actor`` may use on ``task`` now (``card_actions`` over the permission table)."""
    force = _force_of(ctx, task)
    pending = ctx.session.exec(select(ExtensionRequest.id).where(ExtensionRequest.task_id == task.id,
                                                                 ExtensionRequest.status == "pending")).first()
    return card_actions(task.status, owner=_is_owner(ctx, task),
                        lead=permissions.can(ctx, "task.verify", task=task, force=force),
                        pending_extension=pending is not None)


def get_task(ctx: Ctx, task_id: int) -> Task:
    task = ctx.session.get(Task, task_id)
    if task is None or task.workspace_id != ctx.ws.id:
        raise NotFound("task.unknown", id=task_id)
    return task


def _force_of(ctx: Ctx, task: Task) -> TaskForce | None:
    return ctx.session.get(TaskForce, task.force_id) if task.force_id else None


def _co_owner_ids(ctx: Ctx, task: Task) -> set[int]:
    return set(ctx.session.exec(select(TaskCoOwner.person_id).where(TaskCoOwner.task_id == task.id)).all())


def _is_owner(ctx: Ctx, task: Task) -> bool:
    return task.owner_id == ctx.actor.id or ctx.actor.id in _co_owner_ids(ctx, task)


def _require_owner_or_lead(ctx: Ctx, task: Task, action: str) -> TaskForce | None:
    """The owner's moves (``action`` in permissions.TABLE): an owner, a co-owner or a lead."""
    force = _force_of(ctx, task)
    permissions.require(ctx, action, force=force, task=task)
    return force


def _require_lead(ctx: Ctx, task: Task, action: str) -> TaskForce | None:
    """The force's lead (or an admin); a task outside any force (a meeting decision) is led by its creator."""
    force = _force_of(ctx, task)
    permissions.require(ctx, action, force=force, task=task)
    return force


def _can_read(ctx: Ctx, task: Task) -> bool:
    return permissions.can(ctx, "task.show", task=task)


def _require_live(task: Task) -> None:
    if task.status not in LIVE:
        raise Conflict("task.not_live", id=task.id, status=Msg(f"status.{task.status}"))


def _node_state(ctx: Ctx, status: str, node: Any, yellow_days: int) -> str:
    """The node's state as the light reads it (models.lights: "due soon" within yellow_days working days)."""
    today = ctx.today
    if node.done_at is not None:
        return "done"
    if node_overdue(status, node, today):
        return "overdue"
    if node.due < today:
        return "missed"  # past and undone, but the task is reported done or closed: not "overdue"
    soon = is_open(status) and ctx.calendar.working_days_between(today, node.due) <= yellow_days
    return "soon" if soon else "upcoming"


T = TypeVar("T")


def _loaded(ctx: Ctx, model: type[T], ids: Iterable[int | None]) -> dict[int | None, T]:
    """The rows of ``model`` with these ids: those the session holds already (the caller, the task's force
    read by the permission check) without a query, the others in one."""
    found: dict[int | None, T] = {}
    ids = set(ids)
    for i in ids:
        if i is not None and (obj := ctx.session.identity_map.get(identity_key(model, i))) is not None:
            found[i] = obj
    missing = {i for i in ids if i is not None and i not in found}
    if missing:
        found.update((o.id, o) for o in ctx.session.exec(select(model).where(col(model.id).in_(missing))).all())  # type: ignore[attr-defined]
    return found


@lru_cache(maxsize=4)
def _card_queries(dialect: str) -> dict[str, Any]:
    """What a card reads beyond its task, as statements built once per dialect: columns, not ORM objects, the
    tasks' ids one bound value (an array on PostgreSQL, an expanding IN elsewhere). Building a statement and
    adapting its result on every call cost more Python than PostgreSQL took to answer it."""

    def within(column: Any) -> Any:
        return ids_param(dialect, column)

    last_ids = (sa_select(func.max(ProgressUpdate.id)).where(within(col(ProgressUpdate.task_id)),
                                                             col(ProgressUpdate.note) != "")
                .group_by(col(ProgressUpdate.task_id)))
    return {
        "subs": sa_select(col(Task.id), col(Task.parent_id), col(Task.title), col(Task.owner_id), col(Task.force_id),
                          col(Task.status), col(Task.progress), col(Task.start_date), col(Task.due),
                          col(Task.created_at), col(Task.last_progress_at))
        .where(within(col(Task.parent_id))).order_by(col(Task.due), col(Task.id)),
        "nodes": sa_select(col(TimeNode.task_id), col(TimeNode.no), col(TimeNode.name), col(TimeNode.due),
                           col(TimeNode.done_at)).where(within(col(TimeNode.task_id))).order_by(col(TimeNode.no)),
        "pending": sa_select(col(ExtensionRequest.id), col(ExtensionRequest.task_id), col(ExtensionRequest.new_due),
                             col(ExtensionRequest.old_due), col(ExtensionRequest.reason),
                             col(ExtensionRequest.requested_by_id))
        .where(within(col(ExtensionRequest.task_id)), col(ExtensionRequest.status) == "pending"),
        "co_owners": sa_select(col(TaskCoOwner.task_id), col(TaskCoOwner.person_id))
        .where(within(col(TaskCoOwner.task_id))).order_by(col(TaskCoOwner.id)),
        # The last report that has words, one per task: the newest id among each task's noted reports.
        "notes": sa_select(col(ProgressUpdate.task_id), col(ProgressUpdate.person_id), col(ProgressUpdate.percent),
                           col(ProgressUpdate.note), col(ProgressUpdate.created_at))
        .where(col(ProgressUpdate.id).in_(last_ids)),
        "depts": sa_select(col(Department.id), col(Department.name)).where(within(col(Department.id))),
        "lead_of": sa_select(col(ForceMember.force_id)).where(col(ForceMember.person_id) == bindparam("me"),
                                                              col(ForceMember.is_lead) == True),  # noqa: E712
    }


def views(ctx: Ctx, tasks: list[Task]) -> list[TaskView]:
    """Cards for many tasks with a fixed number of queries (no query per task, each built once: _card_queries)."""
    if not tasks:
        return []
    ids = [t.id for t in tasks]
    q = _card_queries(ctx.session.get_bind().dialect.name)
    ctx.session.flush()  # what the request changed (a report, a node) is read back: Core does not autoflush
    run = ctx.session.connection().execute  # column queries: none of the ORM's per-statement work
    people_ids = {t.owner_id for t in tasks} | {t.verified_by_id for t in tasks if t.verified_by_id}
    subs: list[Any] = list(run(q["subs"], {"ids": ids}).all())
    nodes: dict[int, list[Any]] = {}
    for n in run(q["nodes"], {"ids": ids + [x.id for x in subs]}).all():
        nodes.setdefault(n.task_id, []).append(n)
    pending: dict[int, Any] = {e.task_id: e for e in run(q["pending"], {"ids": ids}).all()}
    co_rows = run(q["co_owners"], {"ids": ids}).all()
    co_owners: dict[int, list[int]] = {}
    for task_id, person_id in co_rows:
        co_owners.setdefault(task_id, []).append(person_id)
    notes: dict[int, Any] = {u.task_id: u for u in run(q["notes"], {"ids": ids}).all()}
    people_ids |= {e.requested_by_id for e in pending.values()} | {p for _, p in co_rows}
    people_ids |= {x.owner_id for x in subs} | {u.person_id for u in notes.values()}
    people = _loaded(ctx, Person, people_ids)
    dept_ids = list({t.department_id for t in tasks if t.department_id})
    depts: dict[int | None, str] = {d.id: d.name for d in run(q["depts"], {"ids": dept_ids}).all()} if dept_ids else {}
    force_ids = {t.force_id for t in tasks + subs if t.force_id}
    force_map = _loaded(ctx, TaskForce, force_ids)
    lead_of = set(run(q["lead_of"], {"me": ctx.actor.id}).scalars().all())
    admin = org.has_role(ctx.session, ctx.actor, "admin")
    co = {task_id for task_id, person_id in co_rows if person_id == ctx.actor.id}

    def name(person_id: int | None) -> str:
        return people[person_id].name if person_id in people else "?"

    policies: dict[int | None, Any] = {}

    def policy_of(force_id: int | None) -> Any:
        if force_id not in policies:
            force = force_map.get(force_id) if force_id else None
            policies[force_id] = effective(force.policy if force else None)
        return policies[force_id]

    def light_of(t: Any):
        policy = policy_of(t.force_id)
        open_nodes = tuple((n.name, n.due) for n in nodes.get(t.id, []) if n.done_at is None)
        facts = TaskFacts(t.status, t.progress, t.start_date, t.due, t.created_at, t.last_progress_at, open_nodes)
        return compute(facts, now=ctx.now, tz=ctx.tz, calendar=ctx.calendar, policy=policy), policy

    children: dict[int | None, list[SubTaskView]] = {}
    for x in subs:
        children.setdefault(x.parent_id, []).append(
            SubTaskView(x.id, x.title, x.status, x.progress, name(x.owner_id), light_of(x)[0]))
    out = []
    for t in tasks:
        force = force_map.get(t.force_id) if t.force_id else None
        light, policy = light_of(t)
        ext = pending.get(t.id)
        owner = people.get(t.owner_id)
        note = notes.get(t.id)
        out.append(TaskView(
            id=t.id, title=t.title, status=t.status, progress=t.progress, priority=t.priority,
            owner_name=owner.name if owner else "?", owner_chat_id=owner.chat_user_id if owner else "",
            dept_name=depts.get(t.department_id), force_id=t.force_id, force_name=force.name if force else None,
            start_date=t.start_date, due=t.due, baseline_due=t.baseline_due, light=light,
            blocked_reason=t.blocked_reason,
            pending_extension=ExtensionView(ext.id, ext.new_due, ext.old_due, ext.reason, name(ext.requested_by_id))
            if ext else None,
            nodes=tuple(NodeView(n.no, n.name, n.due, n.done_at is not None,
                                 n.done_at.astimezone(ctx.tz).date() if n.done_at else None,
                                 _node_state(ctx, t.status, n, policy.yellow_days)) for n in nodes.get(t.id, [])),
            parent_id=t.parent_id,
            viewer_is_lead=admin or (t.force_id in lead_of) or (t.force_id is None and t.created_by_id == ctx.actor.id),
            viewer_is_owner=t.owner_id == ctx.actor.id or t.id in co,
            co_owner_names=tuple(name(p) for p in co_owners.get(t.id, [])),
            subtasks=tuple(children.get(t.id, [])),
            last_note=NoteView(name(note.person_id), note.created_at.astimezone(ctx.tz), note.percent, note.note)
            if note else None,
            cancelled_reason=t.cancelled_reason if t.status == TaskStatus.CANCELLED else None,
            verified_by=name(t.verified_by_id) if t.status == TaskStatus.DONE and t.verified_by_id else None,
            done_on=t.done_at.astimezone(ctx.tz).date() if t.status == TaskStatus.DONE and t.done_at else None,
        ))
    return out


def view(ctx: Ctx, task: Task) -> TaskView:
    return views(ctx, [task])[0]


def show(ctx: Ctx, task_id: int) -> TaskView:
    """Anyone who may read the task: its card."""
    task = get_task(ctx, task_id)
    permissions.require(ctx, "task.show", task=task)
    return view(ctx, task)


def list_tasks(ctx: Ctx, scope: str = "mine", *, user: org.PersonRef | None = None, force_name: str | None = None,
               limit: int = 50) -> list[TaskView]:
    """The first ``limit`` live tasks in a scope, red first then by deadline (``lists.task_page`` says what it left out)."""
    from models import lists

    return list(lists.task_page(ctx, scope, user=user, force_name=force_name, size=limit).items)


def force_tasks(ctx: Ctx, force: TaskForce, *, live_only: bool = False) -> list[TaskView]:
    """Every task of a task force (for the war map, exports and digests), by deadline."""
    q = select(Task).where(Task.force_id == force.id)
    q = q.where(col(Task.status).in_(LIVE)) if live_only else q.where(Task.status != "cancelled")
    return views(ctx, list(ctx.session.exec(q.order_by(col(Task.due), col(Task.id))).all()))


@dataclass(frozen=True)
class HistoryLine:
    """One audit event: when, who, the raw action, and ``says``, the sentence in the reader's language
    with people, departments and task forces by name (never their ids)."""

    at: datetime
    actor: str
    action: str
    detail: dict
    says: Msg


def history(ctx: Ctx, task_id: int) -> list[HistoryLine]:
    """Every change to the task, oldest first, with who and when, each told as a sentence."""
    task = get_task(ctx, task_id)
    permissions.require(ctx, "task.history", task=task)
    events = ctx.session.exec(select(AuditEvent).where(AuditEvent.entity == "task", AuditEvent.entity_id == task.id,
                                                        AuditEvent.workspace_id == ctx.ws.id)
                              .order_by(col(AuditEvent.created_at), col(AuditEvent.id))).all()
    person_ids: set[int | None] = {e.actor_id for e in events if e.actor_id}
    dept_ids: set[int | None] = set()
    force_ids: set[int | None] = set()
    for e in events:
        d = e.detail or {}
        person_ids |= {_int(d.get(k)) for k in ("owner", "old", "new") if e.action in ("task.created", "task.assigned")}
        person_ids |= {_int(x) for x in d.get("people") or []}
        dept_ids.add(_int(d.get("dept")))
        force_ids.add(_int(d.get("force")))
    names = Names(
        people=dict(ctx.session.exec(select(Person.id, Person.name).where(col(Person.id).in_(person_ids - {None}))).all()),
        depts=dict(ctx.session.exec(select(Department.id, Department.name).where(col(Department.id).in_(dept_ids - {None}))).all()),
        forces=dict(ctx.session.exec(select(TaskForce.id, TaskForce.name).where(col(TaskForce.id).in_(force_ids - {None}))).all()),
    )
    return [HistoryLine(e.created_at, names.people.get(e.actor_id, "—"), e.action, e.detail or {},
                        sentence(e.action, e.detail or {}, names.person(e.actor_id), names)) for e in events]


@dataclass(frozen=True)
class Names:
    """Who and what an audit detail's ids stand for; an id nobody can resolve reads as "—", never as a number."""

    people: dict[int | None, str]
    depts: dict[int | None, str]
    forces: dict[int | None, str]

    def person(self, pid: object) -> object:
        pid = _int(pid)
        if pid is None:
            return Msg("history.nobody")
        return self.people.get(pid, "—")


def _int(value: object) -> int | None:
    try:
        return int(value) if isinstance(value, int | float | str) and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _day(value: object) -> object:
    try:
        return Day(date.fromisoformat(str(value)))
    except ValueError:
        return "—"


def _text(value: object) -> str:
    return str(value).strip() if value not in (None, "") else ""


def sentence(action: str, d: dict, who: object, names: Names) -> Msg:
    """An audit action as a sentence ``history.<action>``; one it does not know reads neutrally."""
    def part(key: str, value: object, **more: object) -> Msg | str:
        return Msg(key, value=value, **more) if value not in (None, "", []) else ""

    note = part("history.part.note", _text(d.get("note")))
    if action == "task.created":
        extra = i18n.Cat(part("history.part.dept", names.depts.get(_int(d.get("dept")))),
                         part("history.part.force", names.forces.get(_int(d.get("force")))),
                         Msg("history.part.urgent") if d.get("priority") == "high" else "",
                         part("history.part.parent", _int(d.get("parent"))),
                         part("history.part.source", _text(d.get("source"))))
        return Msg("history.task.created", who=who, title=_text(d.get("title")) or "—",
                   owner=names.person(d.get("owner")), due=_day(d.get("due")), extra=extra)
    if action == "task.progress":
        return Msg("history.task.progress", who=who, old=_int(d.get("old")) or 0, new=_int(d.get("new")) or 0, note=note)
    if action in ("task.done_requested", "task.unblocked"):
        return Msg(f"history.{action}", who=who, note=note)
    if action in ("task.reopened", "task.blocked", "task.cancelled", "task.extension_rejected"):
        return Msg(f"history.{action}", who=who, reason=_text(d.get("reason")) or "—")
    if action == "task.extension_requested":
        return Msg("history.task.extension_requested", who=who, new=_day(d.get("new_due")),
                   reason=_text(d.get("reason")) or "—")
    if action == "task.extension_approved":
        return Msg("history.task.extension_approved", who=who, old=_day(d.get("old_due")), new=_day(d.get("new_due")))
    if action == "task.assigned":
        if _int(d.get("old")) is None:
            return Msg("history.task.assigned_first", who=who, new=names.person(d.get("new")))
        return Msg("history.task.assigned", who=who, old=names.person(d.get("old")), new=names.person(d.get("new")))
    if action in ("task.co_owners_added", "task.co_owners_removed"):
        people = [names.person(x) for x in d.get("people") or []]
        return Msg(f"history.{action}", who=who, people=i18n.Join(people) if people else "—", n=len(people))
    if action in ("task.node_added", "task.node_done"):
        return Msg(f"history.{action}", who=who, no=_int(d.get("no")) or "—", name=_text(d.get("name")) or "—",
                   due=_day(d.get("due")))
    if action == "task.acknowledged":
        refs = [str(r) for r in d.get("refs") or []]
        resume = part("history.part.resume", _day(d.get("resume")) if d.get("resume") else "")
        return Msg("history.task.acknowledged", who=who, refs=i18n.Join(refs) if refs else Msg("history.part.esc"),
                   resume=resume)
    if action in ("task.verified", "task.received"):
        return Msg(f"history.{action}", who=who)
    if action == "task.verify_confirmed":
        nodes = [str(n) for n in d.get("closed_nodes") or []]
        return Msg("history.task.verify_confirmed", who=who, nodes=i18n.Join(nodes) if nodes else "—")
    if action == "task.edited":
        parts = []
        if "title" in d:
            parts.append(Msg("history.edit.title", new=_text((d["title"] or {}).get("new")) or "—"))
        if "description" in d:
            parts.append(Msg("history.edit.description"))
        if "priority" in d:
            parts.append(Msg("history.edit.urgent" if (d["priority"] or {}).get("new") == "high" else "history.edit.normal"))
        if "dept" in d:
            parts.append(Msg("history.edit.dept", new=names.depts.get(_int((d["dept"] or {}).get("new"))) or "—"))
        if "due" in d:
            parts.append(Msg("history.edit.due", old=_day((d["due"] or {}).get("old")), new=_day((d["due"] or {}).get("new"))))
        if "node" in d:
            node = d["node"] or {}
            parts.append(Msg("history.edit.node", no=_int(node.get("no")) or "—", new=_day(node.get("new"))))
        return Msg("history.task.edited", who=who, what=i18n.Join(parts) if parts else "—")
    return Msg("history.other", who=who)


# ---------------------------------------------------------------- changing


def _log(ctx: Ctx, task: Task, action: str, **detail: object) -> None:
    task.updated_at = ctx.now
    audit.record(ctx.session, workspace_id=ctx.ws.id, actor=ctx.actor, action=action, entity="task",
                 entity_id=task.id, now=ctx.now, **detail)


def _notify(ctx: Ctx, person: Person, msg: Msg, key: str, task: Task, kind: str = "task") -> None:
    """Tells a person about a change to a task (not the one who made it). Never at 23:00: in quiet
    hours or on a day off it waits for the next working morning, unless the task is urgent."""
    if person.id == ctx.actor.id:
        return
    if ctx.batch is not None and kind == "assigned":
        ctx.batch.assign(person, task)  # a burst: one message per person at the end (finish_batch)
        return
    force = _force_of(ctx, task)
    not_before = send_time(ctx.now, tz=ctx.tz, calendar=ctx.calendar, policy=effective(force.policy if force else None),
                           high=task.priority == "high")
    outbox.to_person(ctx.session, person, msg, key=key, kind=kind, now=ctx.now, default_lang=ctx.default_lang,
                     task_id=task.id, not_before=not_before)


def _notify_leads(ctx: Ctx, task: Task, msg: Msg, key: str, kind: str = "task") -> None:
    force = _force_of(ctx, task)
    if force is None:
        return
    for lead in forces.leads(ctx, force):
        _notify(ctx, lead, msg, f"{key}:lead:{lead.id}", task, kind)


def _event_key(ctx: Ctx, task: Task, what: str) -> str:
    # One key per change: the audit trail's count makes repeated, legitimate actions distinct.
    return f"task:{task.id}:{what}:{ctx.now.isoformat()}"


def _check_future(ctx: Ctx, day: date, what: str = "due") -> None:
    horizon.check_day(day, ctx.today)


def add_task(
    ctx: Ctx, title: str, *, due: date, owner: org.PersonRef | None = None, force_name: str | None = None,
    dept: str | None = None, priority: str = "normal", parent_id: int | None = None, description: str = "",
    start: date | None = None, nodes: list[tuple[date, str]] | None = None,
) -> Task:
    """Creates a task. Members create their own; giving it to someone else needs the force's lead."""
    title = _clean_title(title)
    if priority not in ("normal", "high"):
        raise InvalidInput("task.bad_priority")
    _check_future(ctx, due)
    parent = get_task(ctx, parent_id) if parent_id else None
    if parent is not None:
        _require_live(parent)
        if due > parent.due:
            raise InvalidInput("task.sub_after_parent", due=Day(due), parent=parent.id, parent_due=Day(parent.due))
        force = _force_of(ctx, parent)
        if force_name and (force is None or force.name != force_name):
            force = forces.find_force(ctx, force_name)
    else:
        force = forces.find_force(ctx, force_name)
    owner_person = org.find_person(ctx.session, ctx.ws, owner, now=ctx.now) if owner else ctx.actor
    lead = permissions.can(ctx, "task.add.other", force=force)
    if owner_person.id != ctx.actor.id and not lead and not (parent and _is_owner(ctx, parent)):
        raise permissions.refusal("task.add.other")
    if force is not None and not lead:
        permissions.require(ctx, "task.add", force=force)
    dept_row = org.find_department(ctx.session, ctx.ws, dept) if dept else forces.member_department(ctx, force, owner_person)
    start_date = start or ctx.today
    if start_date > due:
        raise InvalidInput("task.start_after_due")
    # Every check is above this line: a refused task writes nothing, even without a rollback.
    return create(ctx, title, due=due, owner=owner_person, force=force, dept_id=dept_row.id if dept_row else None,
                  priority=priority, parent=parent, description=description, start=start_date, nodes=nodes)


def import_match(ctx: Ctx, force: TaskForce, *, ref: str | None, title: str, owner_id: int) -> Task | None:
    """The task a spreadsheet row is: its 编号 (a task id of this force, as exported), else the live task with
    the same title and owner. A 编号 counts only with the same title or the same owner: a hand-made list
    numbers its rows 1, 2, 3, and row 2 must not overwrite task #2."""
    if ref and ref.isdigit() and int(ref) <= 2**31 - 1:
        task = ctx.session.get(Task, int(ref))
        if task is not None and task.force_id == force.id and (task.title == title or task.owner_id == owner_id):
            return task
    return ctx.session.exec(select(Task).where(Task.force_id == force.id, Task.title == title,
                                               Task.owner_id == owner_id, Task.status != "cancelled")
                            .order_by(col(Task.id))).first()


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("task.no_title")
    if len(title) > MAX_TITLE:
        raise InvalidInput("task.title_long", max=MAX_TITLE)
    return title


def create(
    ctx: Ctx, title: str, *, due: date, owner: Person, force: TaskForce | None, dept_id: int | None = None,
    priority: str = "normal", parent: Task | None = None, description: str = "", start: date | None = None,
    nodes: list[tuple[date, str]] | None = None, source: str | None = None,
) -> Task:
    """Writes a task whose caller has done the permission checks (add_task, a meeting decision)."""
    if force is not None and forces.membership(ctx, force, owner) is None:
        forces.add_member(ctx, force, owner, dept_id=None, lead=False)
    if dept_id is None and owner.department_id:
        dept_id = owner.department_id
    task = Task(
        workspace_id=ctx.ws.id, force_id=force.id if force else None, parent_id=parent.id if parent else None,
        title=title, description=description, owner_id=owner.id, department_id=dept_id,
        priority=priority, status="todo", progress=0, start_date=start or ctx.today, baseline_due=due, due=due,
        created_by_id=ctx.actor.id, created_at=ctx.now, updated_at=ctx.now,
    )
    ctx.session.add(task)
    ctx.session.flush()
    _log(ctx, task, "task.created", title=title, owner=owner.id, due=due.isoformat(), force=task.force_id,
         dept=task.department_id, priority=priority, parent=task.parent_id, source=source)
    for day, name in nodes or []:
        _add_node(ctx, task, day, name)
    _notify(ctx, owner, Msg("task.notify.assigned", id=task.id, title=title, due=Day(due), by=ctx.actor.name),
            f"task:{task.id}:assigned:{owner.id}", task, "assigned")
    if force is not None and ctx.batch is not None:
        ctx.batch.create(force, task)
    elif force is not None:
        forces.announce(ctx, force, Msg("task.announce.created", id=task.id, title=title, owner=owner.name,
                                        due=Day(due)), key=f"task:{task.id}:created", task_id=task.id,
                        high=priority == "high")
    return task


@dataclass
class Batch:
    """A burst of new tasks (an import): instead of a DM per task and a channel post per task, each
    owner gets one message listing their new tasks and each task force's channel one post with the
    totals, written by :func:`finish_batch` in the same transaction."""

    source: str
    owners: dict[int, tuple[Person, list[Task]]] = field(default_factory=dict)
    forces: dict[int, tuple[TaskForce, list[Task]]] = field(default_factory=dict)

    def assign(self, person: Person, task: Task) -> None:
        self.owners.setdefault(person.id, (person, []))[1].append(task)

    def create(self, force: TaskForce, task: Task) -> None:
        self.forces.setdefault(force.id, (force, []))[1].append(task)


BATCH_LINES = 40  # tasks listed in one owner's message; the rest are counted


def finish_batch(ctx: Ctx) -> int:
    """Writes a batch's messages (one per owner, one per task force's channel) and ends the batch.
    Never doubles: the keys name the batch (its actor and moment) and the recipient."""
    batch: Batch | None = ctx.batch
    ctx.batch = None
    if batch is None:
        return 0
    tag = f"batch:{ctx.actor.id}:{ctx.now.isoformat()}"
    written = 0
    for person, items in batch.owners.values():
        items = sorted(items, key=lambda x: (x.due, x.id))
        lang = outbox.lang_of(person, ctx.default_lang)
        head = Msg("task.notify.batch", by=ctx.actor.name, n=len(items), source=batch.source).render(lang)
        lines = [Msg("task.notify.batch_line", id=x.id, title=x.title, due=Day(x.due)).render(lang)
                 for x in items[:BATCH_LINES]]
        more = [Msg("task.notify.batch_more", n=len(items) - BATCH_LINES).render(lang)] if len(items) > BATCH_LINES else []
        foot = Msg("task.notify.batch_foot").render(lang)
        text = "\n".join([head, *(f"• {x}" for x in lines), *more, foot])
        blocks = [{"brief": "head", "text": head},
                  *({"brief": "line", "text": line, "task": x.id, "verbs": ["ack", "progress"], "lang": lang}
                    for x, line in zip(items, lines, strict=False)),  # lines: the first BATCH_LINES items only
                  *({"brief": "more", "text": m} for m in more), {"brief": "foot", "text": foot}]
        force = _force_of(ctx, items[0])
        not_before = send_time(ctx.now, tz=ctx.tz, calendar=ctx.calendar,
                               policy=effective(force.policy if force else None),
                               high=any(x.priority == "high" for x in items))
        written += outbox.enqueue(ctx.session, workspace_id=ctx.ws.id, key=f"{tag}:to:{person.id}",
                                  recipient=person.chat_user_id, text=text, kind="assigned", now=ctx.now,
                                  person_id=person.id, blocks=blocks, not_before=not_before)
    for force, items in batch.forces.values():
        owners = {x.owner_id for x in items}
        msg = Msg("task.announce.batch", by=ctx.actor.name, n=len(items), force=force.name, owners=len(owners),
                  first=Day(min(x.due for x in items)), last=Day(max(x.due for x in items)),
                  high=sum(1 for x in items if x.priority == "high"), source=batch.source)
        forces.announce(ctx, force, msg, key=f"{tag}:force:{force.id}")
        written += 1
    return written


def progress(ctx: Ctx, task_id: int, percent: int, note: str = "") -> Task:
    """Owner or lead: reports progress (0–100 %) with a note; this resets silence."""
    if not 0 <= percent <= 100:
        raise InvalidInput("task.bad_percent", value=percent)
    task = get_task(ctx, task_id)
    _require_owner_or_lead(ctx, task, "task.progress")
    _require_live(task)
    if task.status == "done_requested":
        raise Conflict("task.awaiting_verify", id=task.id)
    old = task.progress
    task.progress = percent
    task.last_progress_at = ctx.now
    if task.status == "todo":
        task.status = "active"
    ctx.session.add(ProgressUpdate(task_id=task.id, person_id=ctx.actor.id, percent=percent, note=note.strip(),
                                   created_at=ctx.now))
    _log(ctx, task, "task.progress", old=old, new=percent, note=note.strip())
    return task


def request_done(ctx: Ctx, task_id: int, note: str = "") -> Task:
    """Owner: reports done; a lead must verify (销号). A lead's own ``done`` verifies at once."""
    task = get_task(ctx, task_id)
    force = _require_owner_or_lead(ctx, task, "task.done")
    _require_live(task)
    if forces.is_lead(ctx, force, ctx.actor):
        return verify(ctx, task_id)
    if task.status == "done_requested":
        raise Conflict("task.awaiting_verify", id=task.id)
    task.status = "done_requested"
    task.progress = 100
    task.last_progress_at = ctx.now
    task.done_requested_at = ctx.now
    task.blocked_reason = None
    ctx.session.add(ProgressUpdate(task_id=task.id, person_id=ctx.actor.id, percent=100, note=note.strip(), created_at=ctx.now))
    _log(ctx, task, "task.done_requested", note=note.strip())
    _notify_leads(ctx, task, Msg("task.notify.done_requested", id=task.id, title=task.title, who=ctx.actor.name, note=note or "—"),
                  _event_key(ctx, task, "done_req"), "done_report")
    return task


SHOWN_IDS = 5  # ids a refusal lists; its count says how many there are in all


def shown_ids(ids: list[int]) -> Join:
    """The first few ids as #12、#13…, for a refusal that also gives the count."""
    return Join([f"#{i}" for i in ids[:SHOWN_IDS]] + (["…"] if len(ids) > SHOWN_IDS else []))


def open_parts(ctx: Ctx, task: Task) -> tuple[list[int], list[TimeNode]]:
    """What is still open inside a task: sub-tasks not done or cancelled, and time nodes not reached."""
    subs = list(ctx.session.exec(select(Task.id).where(Task.parent_id == task.id, col(Task.status).in_(LIVE))
                                 .order_by(col(Task.id))).all())
    nodes = list(ctx.session.exec(select(TimeNode).where(TimeNode.task_id == task.id, col(TimeNode.done_at).is_(None))
                                  .order_by(col(TimeNode.no))).all())
    return subs, nodes


def verify(ctx: Ctx, task_id: int, *, confirm: bool = False) -> Task:
    """Lead: verifies the task done (销号). With open sub-tasks or time nodes it is refused, naming them and
    writing nothing, unless ``confirm``: then the open nodes are closed with it (audited) and the open
    sub-tasks, which have their own owners, stay live."""
    task = get_task(ctx, task_id)
    force = _require_lead(ctx, task, "task.verify")
    _require_live(task)
    subs, nodes = open_parts(ctx, task)
    if (subs or nodes) and not confirm:
        raise Conflict("task.verify_open", id=task.id, open=Join(
            ([Msg("task.open_subtasks", n=len(subs), ids=shown_ids(subs))] if subs else [])
            + ([Msg("task.open_nodes", n=len(nodes), nos=Join([str(n.no) for n in nodes[:SHOWN_IDS]]))] if nodes else [])),
            how=Join(([Msg("task.verify_how_subs")] if subs else [])
                     + ([Msg("task.verify_how_node", id=task.id, no=nodes[0].no)] if nodes else [])))
    for node in nodes:
        node.done_at = ctx.now
    if subs or nodes:
        _log(ctx, task, "task.verify_confirmed", open_subtasks=subs, closed_nodes=[n.no for n in nodes])
    task.status = "done"
    task.progress = 100
    task.done_at = ctx.now
    task.verified_by_id = ctx.actor.id
    task.blocked_reason = None
    _log(ctx, task, "task.verified")
    owner = ctx.session.get_one(Person, task.owner_id)
    _notify(ctx, owner, Msg("task.notify.verified", id=task.id, title=task.title, by=ctx.actor.name), _event_key(ctx, task, "verified"), task)
    if force:
        forces.announce(ctx, force, Msg("task.announce.verified", id=task.id, title=task.title, owner=owner.name),
                        key=f"task:{task.id}:verified:{ctx.now.isoformat()}", task_id=task.id)
    return task


def reopen(ctx: Ctx, task_id: int, reason: str) -> Task:
    """Lead: sends a done report (or a verified task) back with a reason."""
    if not reason.strip():
        raise InvalidInput("task.need_reason")
    task = get_task(ctx, task_id)
    _require_lead(ctx, task, "task.reopen")
    if task.status not in ("done_requested", "done"):
        raise Conflict("task.not_done", id=task.id)
    task.status = "active"
    task.done_at = None
    task.done_requested_at = None
    task.verified_by_id = None
    _log(ctx, task, "task.reopened", reason=reason.strip())
    owner = ctx.session.get_one(Person, task.owner_id)
    _notify(ctx, owner, Msg("task.notify.reopened", id=task.id, title=task.title, by=ctx.actor.name, reason=reason.strip()),
            _event_key(ctx, task, "reopened"), task)
    return task


def block(ctx: Ctx, task_id: int, reason: str) -> Task:
    """Owner or lead: flags the task blocked (受阻) with a reason; the leads are told."""
    if not reason.strip():
        raise InvalidInput("task.need_reason")
    task = get_task(ctx, task_id)
    _require_owner_or_lead(ctx, task, "task.block")
    _require_live(task)
    if task.status == "done_requested":
        raise Conflict("task.awaiting_verify", id=task.id)
    task.status = "blocked"
    task.blocked_reason = reason.strip()
    _log(ctx, task, "task.blocked", reason=reason.strip())
    _notify_leads(ctx, task, Msg("task.notify.blocked", id=task.id, title=task.title, who=ctx.actor.name, reason=reason.strip()),
                  _event_key(ctx, task, "blocked"))
    return task


def unblock(ctx: Ctx, task_id: int, note: str = "") -> Task:
    """Owner or lead: the blocker is gone."""
    task = get_task(ctx, task_id)
    _require_owner_or_lead(ctx, task, "task.unblock")
    if task.status != "blocked":
        raise Conflict("task.not_blocked", id=task.id)
    task.status = "active"
    task.blocked_reason = None
    _log(ctx, task, "task.unblocked", note=note.strip())
    return task


def request_extension(ctx: Ctx, task_id: int, new_due: date, reason: str) -> ExtensionRequest:
    """Owner: asks to move the deadline; a lead approves or rejects. A lead's own request is approved at once."""
    if not reason.strip():
        raise InvalidInput("task.need_reason")
    task = get_task(ctx, task_id)
    force = _require_owner_or_lead(ctx, task, "task.extend")
    _require_live(task)
    if task.status == "done_requested":  # reported done: the lead verifies or returns it first, as for progress
        raise Conflict("task.awaiting_verify", id=task.id)
    _check_future(ctx, new_due)
    if new_due <= task.due:
        raise InvalidInput("task.extend_not_later", date=Day(new_due), due=Day(task.due))
    if task.parent_id:
        parent = ctx.session.get(Task, task.parent_id)
        if parent and new_due > parent.due:
            raise InvalidInput("task.sub_after_parent", due=Day(new_due), parent=parent.id, parent_due=Day(parent.due))
    if ctx.session.exec(select(ExtensionRequest).where(ExtensionRequest.task_id == task.id,
                                                       ExtensionRequest.status == "pending")).first():
        raise Conflict("task.extension_pending", id=task.id)
    req = ExtensionRequest(task_id=task.id, requested_by_id=ctx.actor.id, old_due=task.due, new_due=new_due,
                           reason=reason.strip(), created_at=ctx.now)
    ctx.session.add(req)
    ctx.session.flush()
    _log(ctx, task, "task.extension_requested", request=req.id, new_due=new_due.isoformat(), reason=reason.strip())
    if forces.is_lead(ctx, force, ctx.actor):
        decide_extension(ctx, task_id, approve=True)
        return req
    _notify_leads(ctx, task, Msg("task.notify.extension", id=task.id, title=task.title, who=ctx.actor.name,
                                 old=Day(task.due), new=Day(new_due), reason=reason.strip()),
                  f"task:{task.id}:ext:{req.id}", "approval")
    return req


def decide_extension(ctx: Ctx, task_id: int, *, approve: bool, reason: str = "") -> ExtensionRequest:
    """Lead: approves (the current deadline moves, the baseline stays) or rejects with a reason."""
    task = get_task(ctx, task_id)
    _require_lead(ctx, task, "task.approve" if approve else "task.reject")
    req = ctx.session.exec(select(ExtensionRequest).where(ExtensionRequest.task_id == task.id,
                                                          ExtensionRequest.status == "pending")).first()
    if req is None:
        raise Conflict("task.no_extension", id=task.id)
    if not approve and not reason.strip():
        raise InvalidInput("task.need_reason")
    req.status = "approved" if approve else "rejected"
    req.decided_by_id = ctx.actor.id
    req.decided_at = ctx.now
    req.decision_reason = reason.strip() or None
    if approve:
        old = task.due
        task.due = req.new_due
        _log(ctx, task, "task.extension_approved", request=req.id, old_due=old.isoformat(), new_due=req.new_due.isoformat(),
             baseline=task.baseline_due.isoformat())
    else:
        _log(ctx, task, "task.extension_rejected", request=req.id, reason=reason.strip())
    requester = ctx.session.get_one(Person, req.requested_by_id)
    key = "approved" if approve else "rejected"
    _notify(ctx, requester, Msg(f"task.notify.ext_{key}", id=task.id, title=task.title, new=Day(req.new_due),
                                by=ctx.actor.name, reason=reason.strip() or "—"), f"task:{task.id}:ext:{req.id}:{key}", task)
    return req


def assign(ctx: Ctx, task_id: int, who: org.PersonRef) -> Task:
    """Lead: gives the task to another owner; both are told."""
    task = get_task(ctx, task_id)
    force = _require_lead(ctx, task, "task.assign")
    _require_live(task)
    person = org.find_person(ctx.session, ctx.ws, who, now=ctx.now)
    if person.id == task.owner_id:
        raise Conflict("task.same_owner", who=person.name)
    old_owner = ctx.session.get(Person, task.owner_id)
    task.owner_id = person.id
    if force is not None and forces.membership(ctx, force, person) is None:
        forces.add_member(ctx, force, person, dept_id=None, lead=False)
    dept = forces.member_department(ctx, force, person)
    if dept is not None:
        task.department_id = dept.id
    _log(ctx, task, "task.assigned", old=old_owner.id if old_owner else None, new=person.id)
    _notify(ctx, person, Msg("task.notify.assigned", id=task.id, title=task.title, due=Day(task.due), by=ctx.actor.name),
            _event_key(ctx, task, f"assigned:{person.id}"), task, "assigned")
    if old_owner is not None:
        _notify(ctx, old_owner, Msg("task.notify.unassigned", id=task.id, title=task.title, who=person.name),
                _event_key(ctx, task, f"unassigned:{old_owner.id}"), task)
    return task


def set_co_owners(ctx: Ctx, task_id: int, who: list[org.PersonRef], *, remove: bool = False) -> list[Person]:
    """Owner or lead: adds co-owners (协办人), who may then report on the task, or removes them."""
    task = get_task(ctx, task_id)
    force = _require_owner_or_lead(ctx, task, "task.coowners")
    _require_live(task)
    people = [org.find_person(ctx.session, ctx.ws, ref, now=ctx.now, create=not remove) for ref in who]
    current = {c.person_id: c for c in ctx.session.exec(select(TaskCoOwner).where(TaskCoOwner.task_id == task.id)).all()}
    # Only the lead brings people into a force: an owner names co-owners among its members.
    is_lead = force is None or permissions.can(ctx, "task.assign", force=force, task=task)
    for p in people:
        if p.id == task.owner_id:
            raise Conflict("task.same_owner", who=p.name)
        if remove and p.id not in current:
            raise NotFound("task.not_co_owner", who=p.name, id=task.id)
        if not remove and not is_lead and force is not None and p.id not in current and forces.membership(ctx, force, p) is None:
            raise PermissionDenied("task.co_owner_not_member", who=p.name, force=force.name)
    for p in people:
        if remove:
            ctx.session.delete(current[p.id])
        elif p.id not in current:
            ctx.session.add(TaskCoOwner(task_id=task.id, person_id=p.id))
            if force is not None and forces.membership(ctx, force, p) is None:
                forces.add_member(ctx, force, p, dept_id=None, lead=False)
            _notify(ctx, p, Msg("task.notify.co_owner", id=task.id, title=task.title, by=ctx.actor.name),
                    _event_key(ctx, task, f"co:{p.id}"), task, "co_owner")
    _log(ctx, task, "task.co_owners_removed" if remove else "task.co_owners_added", people=[p.id for p in people])
    ctx.session.flush()
    return people


def _add_node(ctx: Ctx, task: Task, day: date, name: str) -> TimeNode:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("task.node_no_name")
    _check_future(ctx, day)
    if day > task.due:
        raise InvalidInput("task.node_after_due", date=Day(day), due=Day(task.due))
    last = ctx.session.exec(select(TimeNode.no).where(TimeNode.task_id == task.id).order_by(col(TimeNode.no).desc())).first()
    node = TimeNode(task_id=task.id, no=(last or 0) + 1, name=name[:300], due=day, created_at=ctx.now,
                    force_id=task.force_id)
    ctx.session.add(node)
    ctx.session.flush()
    _log(ctx, task, "task.node_added", no=node.no, name=node.name, due=day.isoformat())
    return node


def add_node(ctx: Ctx, task_id: int, day: date, name: str) -> TimeNode:
    """Owner or lead: adds a time node (时间节点) on or before the deadline."""
    task = get_task(ctx, task_id)
    _require_owner_or_lead(ctx, task, "task.node.add")
    _require_live(task)
    return _add_node(ctx, task, day, name)


def complete_node(ctx: Ctx, task_id: int, no: int) -> TimeNode:
    """Owner or lead: marks a time node reached."""
    task = get_task(ctx, task_id)
    _require_owner_or_lead(ctx, task, "task.node.done")
    node = ctx.session.exec(select(TimeNode).where(TimeNode.task_id == task.id, TimeNode.no == no)).first()
    if node is None:
        raise NotFound("task.node_unknown", id=task.id, no=no)
    if node.done_at is not None:
        raise Conflict("task.node_done_already", no=no)
    node.done_at = ctx.now
    task.last_progress_at = ctx.now
    _log(ctx, task, "task.node_done", no=no, name=node.name)
    return node


def edit(ctx: Ctx, task_id: int, *, title: str | None = None, due: date | None = None, dept: str | None = None,
         priority: str | None = None, node_no: int | None = None, description: str | None = None) -> Task:
    """Corrects a task (修改): title, description, owning department, priority, an earlier deadline, or
    one node's date; by the force's lead, or by the owner who created it. A deadline never moves later
    here (that is an extension, /task extend, so the baseline stays honest); moved earlier before any
    extension, the baseline moves with it. Audited; the owner is told when someone else made the change."""
    task = get_task(ctx, task_id)
    _require_live(task)
    force = _force_of(ctx, task)
    permissions.require(ctx, "task.edit", force=force, task=task)
    lead = forces.is_lead(ctx, force, ctx.actor) or (force is None and task.created_by_id == ctx.actor.id)
    if not lead and not _is_owner(ctx, task):  # a creator who gave the task away no longer corrects it
        raise permissions.refusal("task.edit", force=force, task=task, session=ctx.session)
    changes: dict[str, object] = {}
    if node_no is not None:
        node = ctx.session.exec(select(TimeNode).where(TimeNode.task_id == task.id, TimeNode.no == node_no)).first()
        if node is None:
            raise NotFound("task.node_unknown", id=task.id, no=node_no)
        if due is None:
            raise InvalidInput("task.edit_nothing")
        _check_future(ctx, due)
        if due > task.due:
            raise InvalidInput("task.node_after_due", date=Day(due), due=Day(task.due))
        changes["node"] = {"no": node_no, "old": node.due.isoformat(), "new": due.isoformat()}
        node.due = due
    else:
        if title is not None:
            new_title = _clean_title(title)
            if new_title != task.title:
                changes["title"] = {"old": task.title, "new": new_title}
                task.title = new_title
        if description is not None and description.strip() != task.description:
            if len(description) > MAX_DESCRIPTION:
                raise InvalidInput("task.description_long", max=MAX_DESCRIPTION)
            changes["description"] = {"old": task.description, "new": description.strip()}
            task.description = description.strip()
        if priority is not None and priority != task.priority:
            if priority not in ("normal", "high"):
                raise InvalidInput("task.bad_priority")
            changes["priority"] = {"old": task.priority, "new": priority}
            task.priority = priority
        if dept is not None:
            row = org.find_department(ctx.session, ctx.ws, dept)
            if row.id != task.department_id:
                changes["dept"] = {"old": task.department_id, "new": row.id}
                task.department_id = row.id
        if due is not None and due != task.due:
            _check_future(ctx, due)
            if due > task.due:  # the baseline stays honest: later only through an extension
                raise InvalidInput("task.edit_later", id=task.id, due=Day(task.due))
            if due < task.start_date:
                raise InvalidInput("task.start_after_due")
            late_node = ctx.session.exec(select(TimeNode).where(TimeNode.task_id == task.id, TimeNode.due > due)
                                         .order_by(col(TimeNode.due))).first()
            if late_node is not None:
                raise InvalidInput("task.node_after_due", date=Day(late_node.due), due=Day(due))
            if task.parent_id:
                parent = ctx.session.get(Task, task.parent_id)
                if parent and due > parent.due:
                    raise InvalidInput("task.sub_after_parent", due=Day(due), parent=parent.id, parent_due=Day(parent.due))
            changes["due"] = {"old": task.due.isoformat(), "new": due.isoformat()}
            if task.baseline_due == task.due:
                task.baseline_due = due  # a correction, not an extension: nothing was promised yet
            task.due = due
    if not changes:
        raise Conflict("task.edit_same", id=task.id)
    _log(ctx, task, "task.edited", **changes)
    owner = ctx.session.get_one(Person, task.owner_id)
    _notify(ctx, owner, Msg("task.notify.edited", id=task.id, title=task.title, by=ctx.actor.name),
            _event_key(ctx, task, "edited"), task)
    return task


def cancel(ctx: Ctx, task_id: int, reason: str) -> Task:
    """Lead: cancels the task (撤销) with a reason."""
    if not reason.strip():
        raise InvalidInput("task.need_reason")
    task = get_task(ctx, task_id)
    _require_lead(ctx, task, "task.cancel")
    _require_live(task)
    task.status = "cancelled"
    task.cancelled_reason = reason.strip()
    for req in ctx.session.exec(select(ExtensionRequest).where(ExtensionRequest.task_id == task.id,
                                                               ExtensionRequest.status == "pending")).all():
        req.status = "withdrawn"
    _log(ctx, task, "task.cancelled", reason=reason.strip())
    owner = ctx.session.get_one(Person, task.owner_id)
    _notify(ctx, owner, Msg("task.notify.cancelled", id=task.id, title=task.title, by=ctx.actor.name, reason=reason.strip()),
            _event_key(ctx, task, "cancelled"), task)
    return task


def cancel_all(ctx: Ctx, rows: list[Task], reason: str) -> None:
    """Cancels many tasks with one reason (a task force closing): each is audited, pending extension
    requests are withdrawn, and each owner is told once, listing theirs. The caller checked permissions."""
    by_owner: dict[int, list[Task]] = {}
    for task in rows:
        task.status = "cancelled"
        task.cancelled_reason = reason
        for req in ctx.session.exec(select(ExtensionRequest).where(ExtensionRequest.task_id == task.id,
                                                                   ExtensionRequest.status == "pending")).all():
            req.status = "withdrawn"
        _log(ctx, task, "task.cancelled", reason=reason)
        by_owner.setdefault(task.owner_id, []).append(task)
    for owner_id, owned in by_owner.items():
        owner = ctx.session.get(Person, owner_id)
        if owner is not None:
            _notify(ctx, owner, Msg("task.notify.cancelled_many", n=len(owned), ids=shown_ids([x.id for x in owned]),
                                    by=ctx.actor.name, reason=reason),
                    _event_key(ctx, owned[0], f"cancelled_many:{owner_id}"), owned[0])


def hand_over(ctx: Ctx, rows: list[Task], heir: Person, why: str) -> None:
    """Gives many tasks to ``heir`` (a member leaving a task force): each is audited as an assignment,
    the old owner is told once and the heir once. The caller checked permissions."""
    by_owner: dict[int, list[Task]] = {}
    for task in rows:
        by_owner.setdefault(task.owner_id, []).append(task)
        old = task.owner_id
        task.owner_id = heir.id
        dept = forces.member_department(ctx, _force_of(ctx, task), heir)
        if dept is not None:
            task.department_id = dept.id
        _log(ctx, task, "task.assigned", old=old, new=heir.id, why=why)
    for owner_id, owned in by_owner.items():
        ids = shown_ids([x.id for x in owned])
        old_owner = ctx.session.get(Person, owner_id)
        if old_owner is not None:
            _notify(ctx, old_owner, Msg("task.notify.handed_over", n=len(owned), ids=ids, who=heir.name),
                    _event_key(ctx, owned[0], f"handed_over:{owner_id}"), owned[0])
    if rows:
        _notify(ctx, heir, Msg("task.notify.taken_over", n=len(rows), ids=shown_ids([x.id for x in rows]),
                               by=ctx.actor.name), _event_key(ctx, rows[0], f"taken_over:{heir.id}"), rows[0])


@dataclass(frozen=True)
class AckResult:
    """What 收到 did: paused a 督办 ladder (its notices, when it resumes), or confirmed receipt of an
    assignment."""

    task: Task
    escalation: escalation.Acknowledged | None = None
    received: bool = False


def acknowledge(ctx: Ctx, task_id: int) -> AckResult:
    """收到. From someone a 督办 notice of this task reached: pauses its ladder (policy.ack_pause_days)
    and tells the levels above. From an owner or co-owner given the task by someone else: confirms
    they received it. Anyone else, or with nothing to acknowledge, is told so and nothing is written."""
    task = get_task(ctx, task_id)
    permissions.require(ctx, "task.ack", task=task)
    _require_live(task)
    acked = escalation.acknowledge(ctx, task)
    if acked is not None:
        if not acked.already:
            _log(ctx, task, "task.acknowledged", refs=[r.render("zh") for r in acked.refs],
                 resume=acked.resume.isoformat() if acked.resume else None)
        return AckResult(task, escalation=acked)
    if _unreceived_assignment(ctx, task):
        _log(ctx, task, "task.received")
        return AckResult(task, received=True)
    if escalation.live_states(ctx.session, task.id):
        raise Conflict("esc.ack.not_yours", id=task.id)
    raise Conflict("esc.ack.none", id=task.id)


def _unreceived_assignment(ctx: Ctx, task: Task) -> bool:
    """Whether the caller was given this task (as owner or co-owner) by someone else and has not
    confirmed receiving it since."""
    if not _is_owner(ctx, task):
        return False
    me = ctx.actor.id
    last_given, last_received = 0, 0
    for row in ctx.session.exec(select(AuditEvent).where(AuditEvent.entity == "task", AuditEvent.entity_id == task.id)
                                .order_by(col(AuditEvent.id))).all():
        detail = row.detail or {}
        if row.action == "task.received" and row.actor_id == me:
            last_received = row.id
        elif row.actor_id != me and (
                (row.action == "task.created" and detail.get("owner") == me)
                or (row.action == "task.assigned" and detail.get("new") == me)
                or (row.action == "task.co_owners_added" and me in (detail.get("people") or []))):
            last_given = row.id
    return last_given > last_received


STATUS = {
    "status.todo": {"zh": "未开始", "en": "not started"},
    "status.active": {"zh": "进行中", "en": "in progress"},
    "status.blocked": {"zh": "受阻", "en": "blocked"},
    "status.done_requested": {"zh": "待销号", "en": "awaiting verification"},
    "status.done": {"zh": "已销号", "en": "done"},
    "status.cancelled": {"zh": "已撤销", "en": "cancelled"},
}

i18n.register(STATUS)
i18n.register(
    {
        "history.nobody": {"zh": "挂图", "en": "Guatu"},
        "history.other": {"zh": "{who} 更改了任务", "en": "{who} changed the task"},
        "history.task.verify_confirmed": {"zh": "{who} 确认销号，同时关闭未完成的节点 {nodes}",
                                          "en": "{who} confirmed the close-out, closing open nodes {nodes}"},
        "history.task.edited": {"zh": "{who} 修改了任务：{what}", "en": "{who} corrected the task: {what}"},
        "history.edit.title": {"zh": "标题改为「{new}」", "en": "title “{new}”"},
        "history.edit.description": {"zh": "具体内容", "en": "the description"},
        "history.edit.urgent": {"zh": "改为紧急", "en": "now urgent"},
        "history.edit.normal": {"zh": "改为普通", "en": "now normal priority"},
        "history.edit.dept": {"zh": "责任单位改为 {new}", "en": "department {new}"},
        "history.edit.due": {"zh": "截止由 {old} 提前到 {new}", "en": "due {new} instead of {old}"},
        "history.edit.node": {"zh": "节点 {no} 改到 {new}", "en": "node {no} moved to {new}"},
        "history.task.created": {"zh": "{who} 新建任务「{title}」，责任人 {owner}，截止 {due}{extra}",
                                 "en": "{who} created the task “{title}”, owner {owner}, due {due}{extra}"},
        "history.part.dept": {"zh": "，责任单位 {value}", "en": ", department {value}"},
        "history.part.force": {"zh": "，专班「{value}」", "en": ", task force “{value}”"},
        "history.part.urgent": {"zh": "，紧急", "en": ", urgent"},
        "history.part.parent": {"zh": "，上级任务 #{value}", "en": ", a sub-task of #{value}"},
        "history.part.source": {"zh": "（导入自 {value}）", "en": " (imported from {value})"},
        "history.part.note": {"zh": "：{value}", "en": ": {value}"},
        "history.part.resume": {"zh": "，督办暂停至 {value}", "en": ", escalation paused until {value}"},
        "history.part.esc": {"zh": "督办", "en": "the escalation"},
        "history.task.progress": {"zh": "{who} 更新进展 {old}% → {new}%{note}",
                                  "en": "{who} updated progress {old}% → {new}%{note}"},
        "history.task.done_requested": {"zh": "{who} 报告完成{note}", "en": "{who} reported it done{note}"},
        "history.task.verified": {"zh": "{who} 销号", "en": "{who} verified it done"},
        "history.task.reopened": {"zh": "{who} 退回任务，原因：{reason}", "en": "{who} sent it back: {reason}"},
        "history.task.blocked": {"zh": "{who} 报告受阻：{reason}", "en": "{who} reported it blocked: {reason}"},
        "history.task.unblocked": {"zh": "{who} 解除受阻{note}", "en": "{who} cleared the blocker{note}"},
        "history.task.extension_requested": {"zh": "{who} 申请延期至 {new}，理由：{reason}",
                                             "en": "{who} asked to move the deadline to {new}: {reason}"},
        "history.task.extension_approved": {"zh": "{who} 批准延期，截止日期由 {old} 改为 {new}",
                                            "en": "{who} approved the extension: due {old} → {new}"},
        "history.task.extension_rejected": {"zh": "{who} 驳回延期申请，理由：{reason}",
                                            "en": "{who} rejected the extension: {reason}"},
        "history.task.assigned_first": {"zh": "{who} 把任务指派给 {new}", "en": "{who} gave the task to {new}"},
        "history.task.assigned": {"zh": "{who} 把任务从 {old} 改派给 {new}",
                                  "en": "{who} reassigned the task from {old} to {new}"},
        "history.task.co_owners_added": {"zh": "{who} 请 {people} 协办", "en": "{who} added {people} as {n:co-owner|co-owners}"},
        "history.task.co_owners_removed": {"zh": "{who} 不再请 {people} 协办",
                                           "en": "{who} removed {people} as {n:co-owner|co-owners}"},
        "history.task.node_added": {"zh": "{who} 添加时间节点 {no}「{name}」，{due}",
                                    "en": "{who} added time node {no} “{name}”, due {due}"},
        "history.task.node_done": {"zh": "{who} 完成时间节点 {no}「{name}」", "en": "{who} completed time node {no} “{name}”"},
        "history.task.cancelled": {"zh": "{who} 撤销任务，原因：{reason}", "en": "{who} cancelled the task: {reason}"},
        "history.task.acknowledged": {"zh": "{who} 确认收到 {refs}{resume}", "en": "{who} acknowledged {refs}{resume}"},
        "history.task.received": {"zh": "{who} 确认收到任务", "en": "{who} confirmed receiving the task"},
        "render.no_tasks": {"zh": "（没有任务）", "en": "(no tasks)"},  # lists and the war map (models.warmap)
        "task.unknown": {"zh": "找不到任务 #{id}。用 /task list 查看你的任务。", "en": "No task #{id}. See /task list."},
        "task.not_live": {"zh": "任务 #{id} {status}，不能再做这个操作。", "en": "Task #{id} is {status}; that is no longer possible."},
        "task.awaiting_verify": {
            "zh": "任务 #{id} 已报完成，正等待负责人销号。如需继续，请负责人先 /task reopen {id} <原因>。",
            "en": "Task #{id} was reported done and awaits verification. A lead can /task reopen {id} <reason> first.",
        },
        "task.not_done": {"zh": "任务 #{id} 还没有报完成。", "en": "Task #{id} has not been reported done."},
        "task.not_blocked": {"zh": "任务 #{id} 并未受阻。", "en": "Task #{id} is not blocked."},
        "task.no_title": {"zh": "请写上任务标题，例如：/task add 编制数据目录 @张三 due:12-31", "en": "Give the task a title, e.g. /task add Draft the data catalogue @alice due:12-31"},
        "task.title_long": {"zh": "任务标题不能超过 {max} 字。", "en": "A task title may have at most {max} characters."},
        "task.bad_priority": {"zh": "优先级只能是 普通 或 紧急（prio:high）。", "en": "Priority is normal or high (prio:high)."},
        "task.date_past": {
            "zh": "日期 {date} 已经过去了（今天是 {today}）。请给一个今天或以后的日期。",
            "en": "{date} is in the past (today is {today}). Give today or a later date.",
        },
        "task.start_after_due": {"zh": "开始日期不能晚于截止日期。", "en": "The start date cannot be after the deadline."},
        "task.sub_after_parent": {
            "zh": "子任务截止日期 {due} 不能晚于上级任务 #{parent} 的截止日期 {parent_due}。",
            "en": "A sub-task's deadline {due} cannot be after its parent #{parent}'s deadline {parent_due}.",
        },
        "task.bad_percent": {"zh": "进度必须在 0 到 100 之间（你写的是 {value}）。例如：/task progress 12 60%", "en": "Progress must be 0–100 (you gave {value}). E.g. /task progress 12 60%"},
        "task.need_reason": {"zh": "请写明原因。", "en": "Please give a reason."},
        "task.extend_not_later": {
            "zh": "新的截止日期 {date} 必须晚于当前截止日期 {due}。",
            "en": "The new deadline {date} must be after the current one, {due}.",
        },
        "task.extension_pending": {
            "zh": "任务 #{id} 已有一个待审批的延期申请，请等待负责人处理。",
            "en": "Task #{id} already has an extension request awaiting a decision.",
        },
        "task.no_extension": {"zh": "任务 #{id} 没有待审批的延期申请。", "en": "Task #{id} has no extension request awaiting a decision."},
        "task.same_owner": {"zh": "{who} 已经是这个任务的责任人。", "en": "{who} already owns this task."},
        "task.co_owner_not_member": {
            "zh": "没有权限：{who} 还不是专班「{force}」的成员，需要先由专班负责人把 {who} 加入专班（/force add）。",
            "en": "Not allowed: {who} is not a member of “{force}”; a lead of the task force needs to add {who} "
                  "first (/force add).",
        },
        "task.not_co_owner": {"zh": "{who} 不是任务 #{id} 的协办人。", "en": "{who} is not a co-owner of task #{id}."},
        "task.notify.co_owner": {
            "zh": "🤝 {by} 请你协办任务 #{id}「{title}」，你也可以报告它的进展。收到：/task ack {id} · 更新进展：/task progress {id} <n>%",
            "en": "🤝 {by} made you a co-owner of task #{id} “{title}”; you can report on it too. Got it: /task ack {id} · Update progress: /task progress {id} <n>%",
        },
        "task.node_no_name": {"zh": "请写上节点名称，例如：/task node 12 12-15 完成初稿", "en": "Name the node, e.g. /task node 12 12-15 First draft"},
        "task.node_after_due": {
            "zh": "节点日期 {date} 不能晚于任务截止日期 {due}。",
            "en": "A node's date {date} cannot be after the task's deadline {due}.",
        },
        "task.node_unknown": {"zh": "任务 #{id} 没有第 {no} 个节点。", "en": "Task #{id} has no node {no}."},
        "task.node_done_already": {"zh": "节点 {no} 已完成。", "en": "Node {no} is already done."},
        "task.notify.batch": {
            "zh": "📋 {by} 通过导入（{source}）给你派了 {n} 项任务：",
            "en": "📋 {by} gave you {n} {n:task|tasks} by import ({source}):",
        },
        "task.notify.batch_line": {"zh": "#{id}「{title}」截止 {due}", "en": "#{id} “{title}”, due {due}"},
        "task.notify.batch_more": {"zh": "……另有 {n} 项，见 /task list mine", "en": "… and {n} more: /task list mine"},
        "task.notify.batch_foot": {
            "zh": "收到：/task ack <编号> · 更新进展：/task progress <编号> <n>% · 全部：/task list mine",
            "en": "Got it: /task ack <id> · Update progress: /task progress <id> <n>% · All: /task list mine",
        },
        "task.announce.batch": {
            "zh": "📥 {by} 向专班「{force}」导入 {n} 项任务（{source}）：责任人 {owners} 人，其中紧急 {high} 项，"
                  "截止日期 {first} 至 {last}。查看：/task list force:{force}",
            "en": "📥 {by} imported {n} {n:task|tasks} into “{force}” ({source}): {owners} {owners:owner|owners}, {high} urgent, due "
                  "{first} to {last}. See /task list force:{force}",
        },
        "task.notify.edited": {
            "zh": "✏️ {by} 修改了任务 #{id}「{title}」。查看：/task show {id}",
            "en": "✏️ {by} corrected task #{id} “{title}”. See /task show {id}",
        },
        "task.edit_nothing": {"zh": "请说明改什么。", "en": "Say what to change."},
        "task.description_long": {"zh": "具体内容太长（最多 {max} 字）。", "en": "The description is too long (at most {max} characters)."},
        "task.edit_same": {"zh": "任务 #{id} 没有变化：新值与原值相同。", "en": "Task #{id} is unchanged: the new values are the same."},
        "task.edit_later": {
            "zh": "修改不能推后截止日期（现截止 {due}）；需要更多时间请申请延期：/task extend {id} <日期> <原因>。",
            "en": "A correction cannot move the deadline later (now due {due}); to ask for more time: /task extend "
                  "{id} <date> <reason>.",
        },
        "task.notify.assigned": {
            "zh": "📋 {by} 给你派了任务 #{id}「{title}」，截止 {due}。收到：/task ack {id} · 更新进展：/task progress {id} <n>%",
            "en": "📋 {by} gave you task #{id} “{title}”, due {due}. Got it: /task ack {id} · Update progress: /task progress {id} <n>%",
        },
        "task.notify.unassigned": {
            "zh": "任务 #{id}「{title}」已改由 {who} 负责。",
            "en": "Task #{id} “{title}” is now owned by {who}.",
        },
        "task.notify.done_requested": {
            "zh": "✅ {who} 报告任务 #{id}「{title}」已完成（{note}）。销号：/task verify {id} · 退回：/task reopen {id} <原因>",
            "en": "✅ {who} reports task #{id} “{title}” done ({note}). Verify: /task verify {id} · Send back: /task reopen {id} <reason>",
        },
        "task.notify.verified": {"zh": "🎉 任务 #{id}「{title}」已由 {by} 销号。", "en": "🎉 Task #{id} “{title}” was verified done by {by}."},
        "task.notify.reopened": {
            "zh": "↩️ {by} 退回了任务 #{id}「{title}」：{reason}",
            "en": "↩️ {by} sent task #{id} “{title}” back: {reason}",
        },
        "task.notify.blocked": {
            "zh": "⛔ {who} 报告任务 #{id}「{title}」受阻：{reason}",
            "en": "⛔ {who} reports task #{id} “{title}” blocked: {reason}",
        },
        "task.notify.extension": {
            "zh": "⏳ {who} 申请将任务 #{id}「{title}」从 {old} 延期到 {new}，理由：{reason}。批准：/task approve {id} · 驳回：/task reject {id} <原因>",
            "en": "⏳ {who} asks to move task #{id} “{title}” from {old} to {new}: {reason}. Approve: /task approve {id} · Reject: /task reject {id} <reason>",
        },
        "task.notify.ext_approved": {
            "zh": "✔️ {by} 批准了任务 #{id}「{title}」延期到 {new}。",
            "en": "✔️ {by} approved moving task #{id} “{title}” to {new}.",
        },
        "task.notify.ext_rejected": {
            "zh": "✖️ {by} 驳回了任务 #{id}「{title}」的延期申请：{reason}",
            "en": "✖️ {by} rejected the extension of task #{id} “{title}”: {reason}",
        },
        "task.notify.cancelled": {
            "zh": "任务 #{id}「{title}」已被 {by} 撤销：{reason}",
            "en": "Task #{id} “{title}” was cancelled by {by}: {reason}",
        },
        "task.announce.created": {
            "zh": "🆕 新任务 #{id}「{title}」，责任人 {owner}，截止 {due}。",
            "en": "🆕 New task #{id} “{title}”, owner {owner}, due {due}.",
        },
        "task.verify_open": {
            "zh": "任务 #{id} 还不能销号：{open}。请先处理（{how}），或确认一并销号：/task verify {id} confirm",
            "en": "Task #{id} cannot be verified yet: {open}. Deal with them first ({how}), or verify anyway: "
                  "/task verify {id} confirm",
        },
        "task.open_subtasks": {"zh": "还有 {n} 项子任务未完成（{ids}）", "en": "{n} {n:sub-task|sub-tasks} still open ({ids})"},
        "task.open_nodes": {"zh": "还有 {n} 个时间节点未完成（节点 {nos}）", "en": "{n} time {n:node|nodes} not reached (node {nos})"},
        "task.verify_how_subs": {
            "zh": "子任务逐项销号 /task verify <编号>，或撤销 /task cancel <编号> <原因>",
            "en": "verify each sub-task with /task verify <id>, or cancel it with /task cancel <id> <reason>",
        },
        "task.verify_how_node": {"zh": "完成节点：/task node {id} done {no}", "en": "complete a node: /task node {id} done {no}"},
        "task.notify.cancelled_many": {
            "zh": "你的 {n} 项任务（{ids}）已被 {by} 撤销：{reason}",
            "en": "{n} of your tasks ({ids}) were cancelled by {by}: {reason}",
        },
        "task.notify.handed_over": {
            "zh": "你已移出专班，你负责的 {n} 项任务（{ids}）已改由 {who} 负责。",
            "en": "You left the task force; your {n} {n:task|tasks} ({ids}) are now owned by {who}.",
        },
        "task.notify.taken_over": {
            "zh": "📋 {by} 将 {n} 项任务（{ids}）转由你负责。查看：/task list mine",
            "en": "📋 {by} handed {n} {n:task|tasks} ({ids}) to you. See /task list mine",
        },
        "task.announce.verified": {
            "zh": "🎉 任务 #{id}「{title}」（{owner}）已销号。",
            "en": "🎉 Task #{id} “{title}” ({owner}) is done and verified.",
        },
    }
)
