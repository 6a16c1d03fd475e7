"""Organisation: workspaces, people, departments (a tree), roles and the leader chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from models import audit, i18n, permissions
from models.calendar import WorkCalendar
from models.db import utcnow
from models.errors import Conflict, InvalidInput, NotFound, role_denied
from models.sqlutil import insert_ignore
from models.tables import CalendarOverride, Department, Person, RoleGrant, Workspace

ROLES = ("member", "lead", "secretary", "leader", "admin")


@dataclass(frozen=True)
class PersonRef:
    """A person named in a command: a chat user id (Slack mention) and/or a name (console)."""

    user_id: str | None = None
    name: str | None = None

    @classmethod
    def of(cls, ref: object) -> PersonRef:
        return cls(getattr(ref, "user_id", None), getattr(ref, "name", None))

    def shown(self) -> str:
        return f"@{self.name or self.user_id}"


def get_or_create_workspace(session: Session, team_id: str, name: str = "") -> Workspace:
    """The workspace of a chat team, created on first contact. Safe when several requests from a
    new team arrive at once: the insert is insert-if-absent, then everyone reads the one row."""
    ws = session.exec(select(Workspace).where(Workspace.team_id == team_id)).first()
    if ws is None:
        insert_ignore(session, Workspace, {"team_id": team_id, "name": name or team_id, "created_at": utcnow()},
                      conflict=["team_id"])
        ws = session.exec(select(Workspace).where(Workspace.team_id == team_id)).one()
    return ws


def workspace_of(session: Session, team_id: str) -> Workspace | None:
    """The workspace of a chat team, or None before its first contact (never creates one)."""
    return session.exec(select(Workspace).where(Workspace.team_id == team_id)).first()


def workspace_by_id(session: Session, workspace_id: int) -> Workspace:
    """The workspace with this id (it must exist: a row that refers to it says so)."""
    return session.get_one(Workspace, workspace_id)


def team_calendar(session: Session, team_id: str) -> WorkCalendar:
    """A chat team's working calendar (its overrides on the official one); the official one for a new team."""
    ws = workspace_of(session, team_id)
    return calendar_for(session, ws.id) if ws is not None else WorkCalendar()


def mark_platform(session: Session, team_id: str, platform: str) -> Workspace:
    """The team's workspace, created if new, marked as this chat platform's so its outbox is routed there."""
    ws = get_or_create_workspace(session, team_id)
    if ws.platform != platform:
        ws.platform = platform
    return ws


def stored_name(session: Session, team_id: str, chat_user_id: str) -> str | None:
    """The name Guatu holds for a chat user of a team, or None if it has never met them."""
    return session.exec(select(Person.name).join(Workspace, col(Workspace.id) == Person.workspace_id)
                        .where(Workspace.team_id == team_id, Person.chat_user_id == chat_user_id)).first()


def people_matching(session: Session, ws: Workspace, text: str) -> list[Person]:
    """Who ``text`` names in the workspace: the one person with that chat id, else that e-mail, else up to
    two people with that name (two: the caller says it is ambiguous). Empty when nobody matches."""
    q = select(Person).where(Person.workspace_id == ws.id)
    found = session.exec(q.where(Person.chat_user_id == text)).first()
    if found is None and "@" in text:
        found = session.exec(q.where(Person.email == text.lower())).first()
    if found is not None:
        return [found]
    return list(session.exec(q.where(Person.name == text).limit(2)).all())


def ensure_person(
    session: Session,
    ws: Workspace,
    chat_user_id: str,
    *,
    now: datetime,
    name: str | None = None,
    lang: str | None = None,
    tz: str | None = None,
) -> Person:
    """The person behind a chat user, created on first contact; the first one becomes admin.

    Concurrent first contacts are safe: the person is inserted if absent, and the admin grant is
    decided under a write lock on the workspace row, so a new workspace gets exactly one admin."""
    person = _person(session, ws, chat_user_id)
    if person is not None:
        if name and person.name == person.chat_user_id and name != person.name:
            person.name = name  # a mention created them before we knew their name
        if tz and not person.tz:
            person.tz = tz
        return person
    # Take the workspace's write lock first (a no-op UPDATE: a row lock on PostgreSQL, the write
    # lock on SQLite), so the "am I the first?" count below cannot race another first contact.
    session.execute(update(Workspace).where(col(Workspace.id) == ws.id).values(team_id=Workspace.team_id))
    created = insert_ignore(session, Person, {
        "workspace_id": ws.id, "chat_user_id": chat_user_id, "name": name or chat_user_id,
        "lang": i18n.normalise_lang(lang) if lang else None, "tz": tz, "created_at": now,
    }, conflict=["workspace_id", "chat_user_id"])
    person = _person(session, ws, chat_user_id)
    assert person is not None  # inserted just now, or by the first contact that won the race
    if not created:
        return person
    audit.record(session, workspace_id=ws.id, actor=person, action="person.joined", entity="person",
                 entity_id=person.id, now=now, chat_user_id=chat_user_id)
    others = session.exec(select(func.count()).select_from(Person).where(
        Person.workspace_id == ws.id, Person.id != person.id)).one()
    if others == 0:
        session.add(RoleGrant(workspace_id=ws.id, person_id=person.id, role="admin", created_at=now))
        audit.record(session, workspace_id=ws.id, actor=person, action="role.granted", entity="person",
                     entity_id=person.id, now=now, role="admin", why="first person in the workspace")
    return person


def _person(session: Session, ws: Workspace, chat_user_id: str) -> Person | None:
    return session.exec(
        select(Person).where(Person.workspace_id == ws.id, Person.chat_user_id == chat_user_id)
    ).first()


def roles_of(session: Session, person: Person) -> set[str]:
    rows = session.exec(select(RoleGrant.role).where(RoleGrant.person_id == person.id)).all()
    return {"member", *rows}


def has_role(session: Session, person: Person, role: str) -> bool:
    roles = roles_of(session, person)
    return role in roles or "admin" in roles


def require_role(session: Session, person: Person, role: str) -> None:
    """Raises a refusal naming ``role`` unless the person has it (admins have every role)."""
    if not has_role(session, person, role):
        raise role_denied(role)


def find_person(session: Session, ws: Workspace, ref: PersonRef, *, now: datetime, create: bool = True) -> Person:
    """Resolves a mention: a chat user id is a real user (created if new); a bare name must exist."""
    if ref.user_id:
        return ensure_person(session, ws, ref.user_id, now=now, name=ref.name) if create else _by_id(session, ws, ref)
    if ref.name:
        name = ref.name.lstrip("@")
        person = session.exec(
            select(Person).where(Person.workspace_id == ws.id, Person.chat_user_id == name)
        ).first() or session.exec(select(Person).where(Person.workspace_id == ws.id, Person.name == name)).first()
        if person is not None:
            return person
    raise NotFound("person.unknown", who=ref.shown())


def _by_id(session: Session, ws: Workspace, ref: PersonRef) -> Person:
    person = session.exec(
        select(Person).where(Person.workspace_id == ws.id, Person.chat_user_id == ref.user_id)
    ).first()
    if person is None:
        raise NotFound("person.unknown", who=ref.shown())
    return person


def find_department(session: Session, ws: Workspace, name: str) -> Department:
    dept = session.exec(select(Department).where(Department.workspace_id == ws.id, Department.name == name)).first()
    if dept is None:
        raise NotFound("dept.unknown", name=name)
    return dept


def dept_add(
    session: Session, actor: Person, ws: Workspace, name: str, *, now: datetime,
    parent: str | None = None, head: PersonRef | None = None,
) -> Department:
    """Admin: adds a department under ``parent`` (the tree: province / city / county)."""
    permissions.check(session, actor, "org.dept")
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("dept.bad_name")
    if session.exec(select(Department).where(Department.workspace_id == ws.id, Department.name == name)).first():
        raise Conflict("dept.exists", name=name)
    parent_dept = find_department(session, ws, parent) if parent else None
    head_person = find_person(session, ws, head, now=now) if head else None
    dept = Department(workspace_id=ws.id, name=name, parent_id=parent_dept.id if parent_dept else None,
                      head_id=head_person.id if head_person else None, created_at=now)
    session.add(dept)
    session.flush()
    if head_person is not None and head_person.department_id is None:
        head_person.department_id = dept.id
    audit.record(session, workspace_id=ws.id, actor=actor, action="dept.added", entity="department",
                 entity_id=dept.id, now=now, name=name, parent=parent, head=head_person.id if head_person else None)
    return dept


def dept_set_person(session: Session, actor: Person, ws: Workspace, who: PersonRef, dept_name: str, *, now: datetime) -> tuple[Person, Department]:
    """Admin: sets a person's department."""
    permissions.check(session, actor, "org.dept")
    person = find_person(session, ws, who, now=now)
    dept = find_department(session, ws, dept_name)
    old = person.department_id
    person.department_id = dept.id
    audit.record(session, workspace_id=ws.id, actor=actor, action="person.department", entity="person",
                 entity_id=person.id, now=now, old=old, new=dept.id)
    return person, dept


@dataclass(frozen=True)
class DeptLine:
    depth: int
    name: str
    head: str | None
    people: int


def dept_tree(session: Session, ws: Workspace) -> list[DeptLine]:
    """The department tree, depth-first, with heads and head counts."""
    depts = session.exec(select(Department).where(Department.workspace_id == ws.id).order_by(Department.name)).all()
    counts = dict(
        session.exec(
            select(Person.department_id, func.count()).where(Person.workspace_id == ws.id).group_by(col(Person.department_id))
        ).all()
    )
    heads = {p.id: p.name for p in session.exec(select(Person).where(
        col(Person.id).in_([d.head_id for d in depts if d.head_id]))).all()} if any(d.head_id for d in depts) else {}
    children: dict[int | None, list[Department]] = {}
    for d in depts:
        children.setdefault(d.parent_id, []).append(d)
    out: list[DeptLine] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for d in children.get(parent, []):
            if d.id in seen:
                continue
            seen.add(d.id)
            out.append(DeptLine(depth, d.name, heads.get(d.head_id) if d.head_id is not None else None, counts.get(d.id, 0)))
            walk(d.id, depth + 1)

    walk(None, 0)
    return out


def role_set(session: Session, actor: Person, ws: Workspace, who: PersonRef, role: str, *, now: datetime) -> Person:
    """Admin: grants a role, keeping the others (roles are additive; ``models.people.role_remove`` takes
    one away). "member" changes nothing: everyone is one. Idempotent."""
    permissions.check(session, actor, "org.role")
    if role not in ROLES:
        raise InvalidInput("role.unknown", role=role)
    person = find_person(session, ws, who, now=now)
    grants = session.exec(select(RoleGrant).where(RoleGrant.person_id == person.id)).all()
    if role == "member":
        return person
    if not any(g.role == role for g in grants):
        session.add(RoleGrant(workspace_id=ws.id, person_id=person.id, role=role, created_at=now))
    audit.record(session, workspace_id=ws.id, actor=actor, action="role.set", entity="person",
                 entity_id=person.id, now=now, role=role)
    session.flush()
    return person


def _admin_count(session: Session, ws: Workspace) -> int:
    return session.exec(
        select(func.count()).select_from(RoleGrant).where(RoleGrant.workspace_id == ws.id, RoleGrant.role == "admin")
    ).one()


def set_reports_to(session: Session, actor: Person, ws: Workspace, who: PersonRef, leader: PersonRef, *, now: datetime) -> tuple[Person, Person]:
    """Admin: sets the leader a person reports to; refuses a loop in the chain."""
    permissions.check(session, actor, "org.role")
    person = find_person(session, ws, who, now=now)
    boss = find_person(session, ws, leader, now=now)
    if boss.id == person.id or any(p.id == person.id for p in leader_chain(session, boss)):
        raise InvalidInput("role.chain_loop", who=person.name, leader=boss.name)
    old = person.reports_to_id
    person.reports_to_id = boss.id
    audit.record(session, workspace_id=ws.id, actor=actor, action="person.reports_to", entity="person",
                 entity_id=person.id, now=now, old=old, new=boss.id)
    return person, boss


def leader_chain(session: Session, person: Person, limit: int = 10) -> list[Person]:
    """The people above ``person`` (their leader, that leader's leader, …); stops at a loop."""
    chain: list[Person] = []
    seen = {person.id}
    current = person
    while current.reports_to_id and len(chain) < limit:
        nxt = session.get(Person, current.reports_to_id)
        if nxt is None or nxt.id in seen:
            break
        chain.append(nxt)
        seen.add(nxt.id)
        current = nxt
    return chain


def set_lang(session: Session, person: Person, lang: str, *, now: datetime) -> Person:
    """Anyone: their own message language."""
    person.lang = i18n.normalise_lang(lang)
    audit.record(session, workspace_id=person.workspace_id, actor=person, action="person.lang", entity="person",
                 entity_id=person.id, now=now, lang=person.lang)
    return person


def calendar_for(session: Session, workspace_id: int) -> WorkCalendar:
    """The official calendar with this workspace's admin overrides on top."""
    rows = session.exec(select(CalendarOverride).where(CalendarOverride.workspace_id == workspace_id)).all()
    return WorkCalendar({r.day: (r.working, r.reason) for r in rows})


def calendar_set(session: Session, actor: Person, ws: Workspace, day: date, working: bool, reason: str, *, now: datetime) -> CalendarOverride:
    """Admin: marks a day working or off (e.g. next year's 调休, before the package knows it)."""
    permissions.check(session, actor, "org.calendar")
    row = session.exec(select(CalendarOverride).where(CalendarOverride.workspace_id == ws.id, CalendarOverride.day == day)).first()
    if row is None:
        row = CalendarOverride(workspace_id=ws.id, day=day, working=working, reason=reason, set_by_id=actor.id, created_at=now)
        session.add(row)
    else:
        row.working, row.reason, row.set_by_id = working, reason, actor.id
    session.flush()
    audit.record(session, workspace_id=ws.id, actor=actor, action="calendar.set", entity="calendar",
                 entity_id=row.id, now=now, day=day.isoformat(), working=working, reason=reason)
    return row


i18n.register(
    {
        "person.unknown": {
            "zh": "找不到用户 {who}。请用 @ 提及对方（Slack 中选择成员），或先让对方使用一次机器人。",
            "en": "Unknown user {who}. Mention them with @ (pick the member in Slack), or ask them to use the bot once first.",
        },
        "dept.unknown": {
            "zh": "找不到部门「{name}」。用 /guatu dept list 查看部门，管理员可用 /guatu dept add {name} 新建。",
            "en": "No department named “{name}”. See /guatu dept list; an admin can add it with /guatu dept add {name}.",
        },
        "dept.exists": {"zh": "部门「{name}」已存在。", "en": "Department “{name}” already exists."},
        "dept.bad_name": {"zh": "部门名称不能为空，且不超过 200 字。", "en": "A department name must be 1–200 characters."},
        "role.unknown": {
            "zh": "没有「{role}」这个角色。可选：成员 负责人 秘书 领导 管理员。",
            "en": "No role “{role}”. Choose one of: member lead secretary leader admin.",
        },
        "role.member_base": {
            "zh": "每个人都是成员，设为「成员」不会撤销其他角色。要撤销某个角色，用 /guatu role <@某人> -负责人 这样的写法。",
            "en": "Everyone is a member; naming that role takes no other away. To take one away: /guatu role <@user> -lead.",
        },
        "role.last_admin": {
            "zh": "你是唯一的管理员，不能撤销自己的管理员角色。请先指定另一位管理员。",
            "en": "You are the only admin and cannot drop the role. Make someone else admin first.",
        },
        "role.chain_loop": {
            "zh": "不能让 {who} 向 {leader} 汇报：这会形成汇报关系的循环。",
            "en": "{who} cannot report to {leader}: that would make the chain a loop.",
        },
    }
)
