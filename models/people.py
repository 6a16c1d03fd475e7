"""People in chat: list and find them, rename, take a role away, and let a person who left go.

A person who left is never deleted (their history, tasks and audit trail name them): they keep a
``left`` grant, lose their other roles, their department headship and their task-force leads, and
drop out of lists and of every role-based recipient list (escalations go by role). Leaving is
refused while they own live tasks or are the only lead of an open task force: the refusal lists
what to hand over first, so nothing is silently orphaned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_
from sqlmodel import Session, col, select

from models import audit, i18n
from models.errors import Conflict, InvalidInput
from models.org import ROLES, PersonRef, _admin_count, find_department, find_person, require_role
from models.tables import Department, ForceMember, Person, RoleGrant, Task, TaskCoOwner, TaskForce, Workspace

LEFT = "left"  # a RoleGrant role: the person left the organisation
LIVE = ("todo", "active", "blocked", "done_requested")
PAGE_SIZE = 20


@dataclass(frozen=True)
class PersonLine:
    name: str
    chat_user_id: str
    dept: str | None
    roles: tuple[str, ...]
    reports_to: str | None
    left: bool


@dataclass(frozen=True)
class PeoplePage:
    items: list[PersonLine]
    total: int
    page: int
    pages: int

    @property
    def left_out(self) -> int:
        return self.total - len(self.items)


def left_ids(session: Session, workspace_id: int) -> set[int]:
    """The people of a workspace who left."""
    return set(session.exec(select(RoleGrant.person_id).where(
        RoleGrant.workspace_id == workspace_id, RoleGrant.role == LEFT)).all())


def has_left(session: Session, person: Person) -> bool:
    return session.exec(select(RoleGrant.id).where(RoleGrant.person_id == person.id, RoleGrant.role == LEFT)).first() \
        is not None


def _subtree(session: Session, ws: Workspace, root: Department) -> list[int]:
    rows = session.exec(select(Department.id, Department.parent_id).where(Department.workspace_id == ws.id)).all()
    children: dict[int | None, list[int]] = {}
    for did, parent in rows:
        children.setdefault(parent, []).append(did)
    out, todo = [], [root.id]
    while todo:
        did = todo.pop()
        if did in out:
            continue  # a cycle in old data must not loop forever
        out.append(did)
        todo.extend(children.get(did, []))
    return out


def list_people(session: Session, ws: Workspace, *, dept: str | None = None, text: str | None = None,
                page: int = 1, size: int = PAGE_SIZE, include_left: bool = False) -> PeoplePage:
    """People by name, filtered by department (and its sub-departments) and by text in a name, chat id
    or e-mail; one page, with the total so a reply can say how many it left out."""
    q = select(Person).where(Person.workspace_id == ws.id)
    if dept:
        q = q.where(col(Person.department_id).in_(_subtree(session, ws, find_department(session, ws, dept))))
    if text:
        like = f"%{text.strip()}%"
        q = q.where(or_(col(Person.name).ilike(like), col(Person.chat_user_id).ilike(like), col(Person.email).ilike(like)))
    if not include_left:
        q = q.where(col(Person.id).not_in(select(RoleGrant.person_id).where(
            RoleGrant.workspace_id == ws.id, RoleGrant.role == LEFT)))
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    pages = max(1, math.ceil(total / size))
    page = min(max(page, 1), pages)
    people = session.exec(q.order_by(Person.name, col(Person.id)).offset((page - 1) * size).limit(size)).all()
    ids = [p.id for p in people]
    depts: dict[int | None, str] = dict(session.exec(select(Department.id, Department.name).where(
        col(Department.id).in_({p.department_id for p in people if p.department_id}))).all()) if people else {}
    bosses: dict[int | None, str] = dict(session.exec(select(Person.id, Person.name).where(
        col(Person.id).in_({p.reports_to_id for p in people if p.reports_to_id}))).all()) if people else {}
    grants: dict[int, list[str]] = {}
    for pid, role in session.exec(select(RoleGrant.person_id, RoleGrant.role).where(col(RoleGrant.person_id).in_(ids))).all():
        grants.setdefault(pid, []).append(role)
    items = [PersonLine(p.name, p.chat_user_id, depts.get(p.department_id), tuple(
        sorted((r for r in grants.get(p.id, []) if r in ROLES), key=ROLES.index)), bosses.get(p.reports_to_id),
        LEFT in grants.get(p.id, [])) for p in people]
    return PeoplePage(items, total, page, pages)


def rename(session: Session, actor: Person, ws: Workspace, who: PersonRef, name: str, *, now: datetime) -> Person:
    """Admin: a person's name as shown everywhere. Audited with the old name."""
    require_role(session, actor, "admin")
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("people.bad_name")
    person = find_person(session, ws, who, now=now)
    old = person.name
    if old != name:
        person.name = name
        audit.record(session, workspace_id=ws.id, actor=actor, action="person.renamed", entity="person",
                     entity_id=person.id, now=now, old=old, new=name)
    return person


def role_remove(session: Session, actor: Person, ws: Workspace, who: PersonRef, role: str, *, now: datetime) -> tuple[Person, bool]:
    """Admin: takes one role away, leaving the others; (person, whether they had it). The last admin
    cannot drop their own admin role."""
    require_role(session, actor, "admin")
    if role not in ROLES:
        raise InvalidInput("role.unknown", role=role)
    if role == "member":
        raise InvalidInput("role.member_base")
    person = find_person(session, ws, who, now=now)
    grant = session.exec(select(RoleGrant).where(RoleGrant.person_id == person.id, RoleGrant.role == role)).first()
    if grant is None:
        return person, False
    if role == "admin" and _admin_count(session, ws) <= 1:
        raise Conflict("role.last_admin")
    session.delete(grant)
    audit.record(session, workspace_id=ws.id, actor=actor, action="role.removed", entity="person",
                 entity_id=person.id, now=now, role=role)
    session.flush()
    return person, True


@dataclass(frozen=True)
class Departure:
    person: Person
    roles: list[str]
    co_owned: list[int]  # live tasks they no longer co-own
    leads_dropped: list[str]  # task forces where someone else still leads


def leave(session: Session, actor: Person, ws: Workspace, who: PersonRef, *, now: datetime) -> Departure:
    """Admin: marks a person as having left. Refused, with what to hand over, while they own live tasks
    or are the only lead of an open task force; never deletes. Idempotent; audited."""
    require_role(session, actor, "admin")
    person = find_person(session, ws, who, now=now, create=False)
    if person.id == actor.id:
        raise Conflict("people.leave_self")
    if has_left(session, person):
        return Departure(person, [], [], [])
    owned = session.exec(select(Task).where(Task.owner_id == person.id, col(Task.status).in_(LIVE))
                         .order_by(col(Task.id))).all()
    sole: list[str] = []
    for _member, force in session.exec(select(ForceMember, TaskForce).join(TaskForce, col(TaskForce.id) == ForceMember.force_id)
                                 .where(ForceMember.person_id == person.id, ForceMember.is_lead == True,  # noqa: E712
                                        TaskForce.status == "open")).all():
        others = session.exec(select(func.count()).select_from(ForceMember).where(
            ForceMember.force_id == force.id, ForceMember.is_lead == True, ForceMember.person_id != person.id)).one()  # noqa: E712
        if not others:
            sole.append(force.name)
    if owned or sole:
        lines = [i18n.Msg("people.leave_task", id=t.id, title=t.title) for t in owned[:20]]
        if len(owned) > 20:
            lines.append(i18n.Msg("people.leave_more", n=len(owned) - 20))
        lines += [i18n.Msg("people.leave_force", force=name) for name in sole]
        raise Conflict("people.leave_refused", who=person.name, n=len(owned), forces=len(sole),
                       items=_Lines(lines), who_ref=person.chat_user_id)
    grants = session.exec(select(RoleGrant).where(RoleGrant.person_id == person.id)).all()
    roles = sorted(g.role for g in grants)
    for g in grants:
        session.delete(g)
    live_ids = select(Task.id).where(col(Task.status).in_(LIVE))
    co_owned = list(session.exec(select(TaskCoOwner.task_id).where(
        TaskCoOwner.person_id == person.id, col(TaskCoOwner.task_id).in_(live_ids))).all())
    session.execute(delete(TaskCoOwner).where(col(TaskCoOwner.person_id) == person.id, col(TaskCoOwner.task_id).in_(live_ids)))
    dropped = []
    for m, force in session.exec(select(ForceMember, TaskForce).join(TaskForce, col(TaskForce.id) == ForceMember.force_id)
                                 .where(ForceMember.person_id == person.id, ForceMember.is_lead == True)).all():  # noqa: E712
        m.is_lead = False
        dropped.append(force.name)
    for d in session.exec(select(Department).where(Department.head_id == person.id)).all():
        d.head_id = None
    session.flush()
    session.add(RoleGrant(workspace_id=ws.id, person_id=person.id, role=LEFT, created_at=now))
    audit.record(session, workspace_id=ws.id, actor=actor, action="person.left", entity="person", entity_id=person.id,
                 now=now, roles=roles, co_owned=co_owned, leads_dropped=dropped)
    session.flush()
    return Departure(person, [r for r in roles if r in ROLES], co_owned, dropped)


class _Lines:
    """A list parameter rendered one item a line, in the reader's language."""

    def __init__(self, items: list) -> None:
        self.items = items

    def render(self, lang: str | None) -> str:
        return "\n".join("• " + (i.render(lang) if hasattr(i, "render") else str(i)) for i in self.items)


i18n.register(
    {
        "role.left": {"zh": "已离职", "en": "left"},
        "people.bad_name": {"zh": "姓名不能为空，且不超过 200 字。", "en": "A name must be 1–200 characters."},
        "people.leave_self": {"zh": "不能把自己标记为离职。请另一位管理员操作。",
                              "en": "You cannot mark yourself as having left; ask another admin."},
        "people.leave_task": {"zh": "#{id} {title}", "en": "#{id} {title}"},
        "people.leave_more": {"zh": "……另有 {n} 项", "en": "… and {n} more"},
        "people.leave_force": {"zh": "专班「{force}」只有 TA 一位负责人", "en": "the only lead of task force “{force}”"},
        "people.leave_refused": {
            "zh": "{who} 还有 {n} 项在办任务、{forces} 个专班只有 TA 负责，先交接再标记离职，什么也没有改动：\n{items}\n"
                  "改派任务：/task assign <编号> <@接手人>；增加负责人：/force add 后用 /guatu role 设置。",
            "en": "{who} still owns {n} live {n:task|tasks} and is the only lead of {forces} task {forces:force|forces}; hand them over "
                  "first. Nothing was changed:\n{items}\nReassign: /task assign <id> <@new owner>.",
        },
    }
)
