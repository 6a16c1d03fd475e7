"""Task forces (工作专班): create, bind a channel, members and leads, policy, notices, close."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import audit, i18n, org, outbox, permissions
from models.context import Ctx
from models.errors import Conflict, InvalidInput, NotFound, UsageError, role_denied
from models.i18n import Join, Msg
from models.policy import Policy, effective
from models.status import LIVE
from models.tables import Department, ForceMember, Person, Task, TaskForce
from models.timing import send_time


def find_force(ctx: Ctx, name: str | None = None, *, allow_closed: bool = False) -> TaskForce:
    """By name; else the one bound to this channel; else the caller's only open one."""
    q = select(TaskForce).where(TaskForce.workspace_id == ctx.ws.id)
    if name:
        force = ctx.session.exec(q.where(TaskForce.name == name.strip())).first()
        if force is None:
            raise NotFound("force.unknown", name=name)
    else:
        force = None
        if ctx.channel_id:
            force = ctx.session.exec(
                q.where(TaskForce.channel_id == ctx.channel_id, TaskForce.status == "open")
            ).first()
        if force is None:
            mine = ctx.session.exec(
                q.join(ForceMember, col(ForceMember.force_id) == TaskForce.id)
                .where(ForceMember.person_id == ctx.actor.id, TaskForce.status == "open")
            ).all()
            if len(mine) == 1:
                force = mine[0]
            else:
                raise UsageError("force.which")
    if force.status != "open" and not allow_closed:
        raise Conflict("force.closed", name=force.name)
    return force


def membership(ctx: Ctx, force: TaskForce, person: Person) -> ForceMember | None:
    return ctx.session.exec(
        select(ForceMember).where(ForceMember.force_id == force.id, ForceMember.person_id == person.id)
    ).first()


def is_lead(ctx: Ctx, force: TaskForce | None, person: Person) -> bool:
    """A lead of this task force, or an admin."""
    if org.has_role(ctx.session, person, "admin"):
        return True
    if force is None:
        return False
    m = membership(ctx, force, person)
    return bool(m and m.is_lead)


def require_lead(ctx: Ctx, force: TaskForce | None) -> None:
    if not is_lead(ctx, force, ctx.actor):
        raise role_denied("force_lead")


def can_read(ctx: Ctx, force: TaskForce) -> bool:
    """Members, leads, secretaries and leaders read a task force's tasks (permissions.TABLE)."""
    return permissions.can(ctx, "force.tasks", force=force)


def open_force(ctx: Ctx, name: str | None, action: str, *, allow_closed: bool = True) -> TaskForce:
    """The task force named (else this channel's), if the caller may do ``action`` on it; else the refusal."""
    force = find_force(ctx, name, allow_closed=allow_closed)
    permissions.require(ctx, action, force=force)
    return force


def leads(ctx: Ctx, force: TaskForce) -> list[Person]:
    return leads_of(ctx.session, force)


def leads_of(session: Session, force: TaskForce) -> list[Person]:
    """The task force's leads, oldest first."""
    return list(
        session.exec(
            select(Person).join(ForceMember, col(ForceMember.person_id) == Person.id)
            .where(ForceMember.force_id == force.id, ForceMember.is_lead == True)  # noqa: E712
            .order_by(col(Person.id))
        ).all()
    )


def named(session: Session, name: str, *, workspace_id: int | None) -> list[TaskForce]:
    """The task forces with exactly this name in one workspace; ``workspace_id=None`` looks in every
    workspace (the CLI without --team), so the caller can tell one from several."""
    q = select(TaskForce).where(TaskForce.name == name)
    if workspace_id is not None:
        q = q.where(TaskForce.workspace_id == workspace_id)
    return list(session.exec(q.order_by(col(TaskForce.id))).all())


def add_member(ctx: Ctx, force: TaskForce, person: Person, *, dept_id: int | None, lead: bool) -> ForceMember:
    m = membership(ctx, force, person)
    if m is None:
        m = ForceMember(force_id=force.id, person_id=person.id, department_id=dept_id or person.department_id,
                        is_lead=lead, joined_at=ctx.now)
        ctx.session.add(m)
    else:
        if dept_id:
            m.department_id = dept_id
        m.is_lead = m.is_lead or lead
    ctx.session.flush()
    return m


def announce(ctx: Ctx, force: TaskForce, msg: Msg, *, key: str, kind: str = "announce", task_id: int | None = None,
             high: bool = False) -> None:
    """Posts to the task force's channel through the outbox (nothing if no channel is bound). Made in
    the force's quiet hours or on a day off, it waits for the next working morning, unless ``high``
    (about a high-priority, 紧急, task)."""
    if force.channel_id:
        not_before = send_time(ctx.now, tz=ctx.tz, calendar=ctx.calendar, policy=effective(force.policy), high=high)
        outbox.enqueue(ctx.session, workspace_id=ctx.ws.id, key=key, recipient=force.channel_id,
                       text=msg.render(ctx.default_lang), kind=kind, now=ctx.now, task_id=task_id,
                       not_before=not_before)


def force_new(ctx: Ctx, name: str, *, lead: org.PersonRef | None = None) -> TaskForce:
    """Lead role: creates a task force bound to this channel, led by the caller and by ``lead`` if named
    (the creator stays a lead, so naming someone else never locks them out of what they just made)."""
    permissions.require(ctx, "force.new")
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("force.bad_name")
    if ctx.session.exec(select(TaskForce).where(TaskForce.workspace_id == ctx.ws.id, TaskForce.name == name)).first():
        raise Conflict("force.exists", name=name)
    if ctx.channel_id:
        bound = ctx.session.exec(select(TaskForce).where(
            TaskForce.workspace_id == ctx.ws.id, TaskForce.channel_id == ctx.channel_id, TaskForce.status == "open")).first()
        if bound is not None:
            raise Conflict("force.channel_bound", name=bound.name)
    lead_person = org.find_person(ctx.session, ctx.ws, lead, now=ctx.now) if lead else ctx.actor
    force = TaskForce(workspace_id=ctx.ws.id, name=name, channel_id=ctx.channel_id, created_by_id=ctx.actor.id,
                      created_at=ctx.now)
    ctx.session.add(force)
    ctx.session.flush()
    add_member(ctx, force, lead_person, dept_id=None, lead=True)
    if lead_person.id != ctx.actor.id:
        add_member(ctx, force, ctx.actor, dept_id=None, lead=True)
    audit.record(ctx.session, workspace_id=ctx.ws.id, actor=ctx.actor, action="force.created", entity="force",
                 entity_id=force.id, now=ctx.now, name=name, channel=ctx.channel_id, lead=lead_person.id,
                 leads=sorted({lead_person.id, ctx.actor.id}))
    names = [lead_person.name] + ([ctx.actor.name] if lead_person.id != ctx.actor.id else [])
    announce(ctx, force, Msg("force.announce.created", name=name, lead=Join(names)), key=f"force:{force.id}:created")
    return force


def force_add(ctx: Ctx, refs: list[org.PersonRef], *, dept: str | None = None, force_name: str | None = None) -> tuple[TaskForce, list[Person]]:
    """Lead of the force: adds members (optionally for a department)."""
    force = find_force(ctx, force_name)
    permissions.require(ctx, "force.add", force=force)
    dept_row = org.find_department(ctx.session, ctx.ws, dept) if dept else None
    people = [org.find_person(ctx.session, ctx.ws, r, now=ctx.now) for r in refs]
    for p in people:
        add_member(ctx, force, p, dept_id=dept_row.id if dept_row else None, lead=False)
        audit.record(ctx.session, workspace_id=ctx.ws.id, actor=ctx.actor, action="force.member_added",
                     entity="force", entity_id=force.id, now=ctx.now, person=p.id, dept=dept_row.id if dept_row else None)
    return force, people


def _live(ctx: Ctx, force: TaskForce, owner_ids: set[int] | None = None) -> list[Task]:
    q = select(Task).where(Task.force_id == force.id, col(Task.status).in_(LIVE))
    if owner_ids is not None:
        q = q.where(col(Task.owner_id).in_(owner_ids))
    return list(ctx.session.exec(q.order_by(col(Task.id))).all())


def force_remove(ctx: Ctx, refs: list[org.PersonRef], *, force_name: str | None = None,
                 confirm: bool = False) -> tuple[TaskForce, list[Person]]:
    """Lead of the force: removes members; refuses to remove the last lead. Someone who still owns live
    tasks here is refused, naming them and writing nothing, unless ``confirm``: then their tasks go to
    the caller (or, if the caller is not a lead here or is leaving, the first remaining lead)."""
    from models import tasks

    force = find_force(ctx, force_name)
    permissions.require(ctx, "force.remove", force=force)
    people: list[Person] = []
    rows: list[ForceMember] = []
    for r in refs:
        p = org.find_person(ctx.session, ctx.ws, r, now=ctx.now, create=False)
        m = membership(ctx, force, p)
        if m is None:
            raise NotFound("force.not_member", who=p.name, force=force.name)
        if p.id not in {x.id for x in people}:
            people.append(p)
            rows.append(m)
    leaving = {p.id for p in people}
    staying_leads = [p for p in leads(ctx, force) if p.id not in leaving]
    for p, m in zip(people, rows, strict=True):
        if m.is_lead and not staying_leads:
            raise Conflict("force.last_lead", who=p.name)
    owned = _live(ctx, force, leaving)
    mine = membership(ctx, force, ctx.actor)
    heir = ctx.actor if mine is not None and mine.is_lead and ctx.actor.id not in leaving else staying_leads[0]
    if owned and not confirm:
        owners = [p.name for p in people if any(t.owner_id == p.id for t in owned)]
        raise Conflict("force.remove_live", who=Join(owners), force=force.name, n=len(owned),
                       ids=tasks.shown_ids([t.id for t in owned]), heir=heir.name,
                       again=" ".join(f"@{p.chat_user_id}" for p in people) + f" force:{force.name}")
    owned_by = {p.id: [t.id for t in owned if t.owner_id == p.id] for p in people}
    tasks.hand_over(ctx, owned, heir, why="force.member_removed")
    for p, m in zip(people, rows, strict=True):
        ctx.session.delete(m)
        audit.record(ctx.session, workspace_id=ctx.ws.id, actor=ctx.actor, action="force.member_removed",
                     entity="force", entity_id=force.id, now=ctx.now, person=p.id, handed_over=owned_by[p.id],
                     heir=heir.id if owned_by[p.id] else None)
    ctx.session.flush()
    return force, people


@dataclass(frozen=True)
class ForceSummary:
    id: int
    name: str
    status: str
    leads: tuple[str, ...]
    members: int
    tasks: int
    channel_id: str | None


def force_list(ctx: Ctx, *, page: int = 1, size: int = 40):
    """One page of the task forces the caller belongs to (open first; leaders and secretaries see all),
    with ``total`` and the count per status over all of them (a province has thousands)."""
    from models.lists import Page

    q = select(TaskForce).where(TaskForce.workspace_id == ctx.ws.id)
    if not (org.has_role(ctx.session, ctx.actor, "leader") or org.has_role(ctx.session, ctx.actor, "secretary")):
        q = q.join(ForceMember, col(ForceMember.force_id) == TaskForce.id).where(ForceMember.person_id == ctx.actor.id)
    listed = q.subquery()
    by_status = dict(ctx.session.exec(select(listed.c.status, func.count()).group_by(listed.c.status)).all())
    counts = {"open": by_status.get("open", 0), "closed": by_status.get("closed", 0)}
    forces = ctx.session.exec(q.order_by(col(TaskForce.status).desc(), TaskForce.name, col(TaskForce.id))
                              .offset((page - 1) * size).limit(size)).all()
    ids = [f.id for f in forces]
    if not ids:
        return Page((), sum(counts.values()), page, size, counts=counts)
    members = dict(ctx.session.exec(select(ForceMember.force_id, func.count()).where(
        col(ForceMember.force_id).in_(ids)).group_by(col(ForceMember.force_id))).all())
    tasks = dict(ctx.session.exec(select(Task.force_id, func.count()).where(
        col(Task.force_id).in_(ids), Task.status != "cancelled").group_by(col(Task.force_id))).all())
    lead_rows = ctx.session.exec(select(ForceMember.force_id, Person.name).join(Person, col(Person.id) == ForceMember.person_id)
                                 .where(col(ForceMember.force_id).in_(ids), ForceMember.is_lead == True)).all()  # noqa: E712
    lead_names: dict[int, list[str]] = {}
    for fid, n in lead_rows:
        lead_names.setdefault(fid, []).append(n)
    items = tuple(ForceSummary(f.id, f.name, f.status, tuple(lead_names.get(f.id, [])), members.get(f.id, 0),
                               tasks.get(f.id, 0), f.channel_id) for f in forces)
    return Page(items, sum(counts.values()), page, size, counts=counts)


def force_close(ctx: Ctx, force_name: str | None = None, *, confirm: bool = False) -> TaskForce:
    """Lead of the force: closes it; its channel may then be bound again. With live tasks (they would keep
    being reminded and escalated) it is refused, naming them and writing nothing, unless ``confirm``:
    then they are cancelled with the closing as their reason, each owner told once."""
    from models import tasks

    force = find_force(ctx, force_name)
    permissions.require(ctx, "force.close", force=force)
    live = _live(ctx, force)
    if live and not confirm:
        raise Conflict("force.close_live", force=force.name, n=len(live), ids=tasks.shown_ids([t.id for t in live]))
    if live:
        tasks.cancel_all(ctx, live, Msg("force.close_reason", name=force.name).render(ctx.default_lang))
    force.status = "closed"
    force.closed_at = ctx.now
    audit.record(ctx.session, workspace_id=ctx.ws.id, actor=ctx.actor, action="force.closed", entity="force",
                 entity_id=force.id, now=ctx.now, cancelled=[t.id for t in live])
    announce(ctx, force, Msg("force.announce.closed", name=force.name), key=f"force:{force.id}:closed")
    return force


def force_policy(ctx: Ctx, changes: dict, *, force_name: str | None = None) -> tuple[TaskForce, Policy]:
    """Shows the policy; with changes (lead of the force), validates and stores them."""
    force = find_force(ctx, force_name)
    if not changes:
        permissions.require(ctx, "force.policy.show", force=force)
        return force, effective(force.policy)
    permissions.require(ctx, "force.policy.set", force=force)
    merged = {**(force.policy or {}), **changes}
    try:
        policy = effective(merged)
    except ValueError as exc:
        raise InvalidInput("force.bad_policy", detail=str(exc).splitlines()[0]) from None
    force.policy = {k: v for k, v in policy.model_dump().items() if k in merged}
    audit.record(ctx.session, workspace_id=ctx.ws.id, actor=ctx.actor, action="force.policy", entity="force",
                 entity_id=force.id, now=ctx.now, changes=changes)
    return force, policy


def member_department(ctx: Ctx, force: TaskForce | None, person: Person) -> Department | None:
    """The department a person represents in a task force, else their own."""
    dept_id = None
    if force is not None:
        m = membership(ctx, force, person)
        dept_id = m.department_id if m else None
    dept_id = dept_id or person.department_id
    return ctx.session.get(Department, dept_id) if dept_id else None


i18n.register(
    {
        "force.unknown": {
            "zh": "找不到专班「{name}」。用 /force list 查看你所在的专班。",
            "en": "No task force named “{name}”. See /force list.",
        },
        "force.which": {
            "zh": "请说明是哪个专班：在专班绑定的频道里输入，或加上 force:<专班名>。",
            "en": "Which task force? Type it in the task force's channel, or add force:<name>.",
        },
        "force.closed": {"zh": "专班「{name}」已结束。", "en": "Task force “{name}” is closed."},
        "force.exists": {"zh": "已有名为「{name}」的专班。", "en": "A task force named “{name}” already exists."},
        "force.bad_name": {"zh": "专班名称不能为空，且不超过 200 字。", "en": "A task force name must be 1–200 characters."},
        "force.channel_bound": {
            "zh": "本频道已绑定专班「{name}」。请在新频道中创建，或先 /force close 结束原专班。",
            "en": "This channel is already bound to “{name}”. Create it in another channel, or /force close that one first.",
        },
        "force.not_member": {"zh": "{who} 不是专班「{force}」的成员。", "en": "{who} is not a member of “{force}”."},
        "force.last_lead": {
            "zh": "{who} 是专班唯一的负责人，不能移出。请先指定另一位负责人。",
            "en": "{who} is the task force's only lead. Make someone else lead first.",
        },
        "force.bad_policy": {"zh": "规则设置无效：{detail}", "en": "Invalid policy: {detail}"},
        "force.announce.created": {
            "zh": "📌 工作专班「{name}」成立，负责人：{lead}。本频道为专班频道。",
            "en": "📌 Task force “{name}” is set up, led by {lead}. This is its channel.",
        },
        "force.close_live": {
            "zh": "专班「{force}」还有 {n} 项在办任务（{ids}），结束后它们仍会继续提醒和督办。请先逐项处理：改派 /task assign <编号> @某人，"
                  "撤销 /task cancel <编号> <原因>，销号 /task verify <编号>；或确认结束并撤销全部在办任务：/force close {force} confirm",
            "en": "“{force}” still has {n} live {n:task|tasks} ({ids}); they would keep being reminded and escalated. Deal with "
                  "them first (reassign: /task assign <id> @someone, cancel: /task cancel <id> <reason>, verify: "
                  "/task verify <id>), or close it and cancel them all: /force close {force} confirm",
        },
        "force.close_reason": {"zh": "专班「{name}」已结束", "en": "task force “{name}” closed"},
        "force.remove_live": {
            "zh": "{who} 在专班「{force}」还负责 {n} 项在办任务（{ids}）。请先改派 /task assign <编号> @某人 或撤销 "
                  "/task cancel <编号> <原因>；或确认移出，其任务转由 {heir} 负责：/force remove {again} confirm",
            "en": "{who} still has {n} live {n:task|tasks} in “{force}” ({ids}). Reassign them first (/task assign <id> "
                  "@someone) or cancel them (/task cancel <id> <reason>); or remove anyway and hand them to {heir}: "
                  "/force remove {again} confirm",
        },
        "force.announce.closed": {"zh": "🏁 工作专班「{name}」已结束。", "en": "🏁 Task force “{name}” is closed."},
    }
)
