"""Who may do what: one table (CONTRACT.md, "Roles") read by every domain function that checks.

An action maps to the kinds of people allowed and to the refusal shown to everyone else. A kind is
either a workspace role (``secretary``, ``leader``, ``admin``, ``role:lead`` — admins hold every
role) or a relation to the thing acted on:

- ``member``: in the task force (of the task) · ``lead``: leads that task force, or is an admin; a
  task outside any force (a meeting decision) is led by whoever created it
- ``owner``: owns or co-owns the task · ``creator``: created the task · ``notified``: a 督办 notice
  of the task reached them
- ``in_a_force``: member of any task force · ``attendee``: of the meeting — its chair, the
  proposers and presenters of its topics, the owners of its decisions, its creator, and the leads of
  the task forces that report at it (every open force with live tasks)
- ``below``: a ``leader`` whose reporting subtree holds the task's owner (people whose ``reports_to``
  chain reaches them, at most ``DEPTH`` levels down) or whose departments (those they head, and their
  sub-departments, ``DEPTH`` levels) own the task
- ``covered``: a ``secretary`` whose meetings (created or chaired) cover the task: a task of a force that
  reports at them (every open force with live tasks, as the agenda picks them) or a decision's task

The reading kinds have a SQL twin in ``models.lists.readable``; a test compares the two.

Pure reads: checking writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, col, select

from models import i18n
from models.errors import PermissionDenied, role_denied
from models.tables import (
    AgendaItem,
    Decision,
    Department,
    ForceMember,
    Meeting,
    Person,
    RoleGrant,
    Task,
    TaskCoOwner,
    TaskForce,
)

LIVE = ("todo", "active", "blocked", "done_requested")

# Reading a task: leaders and secretaries only within their scope ("below", "covered"), never the whole workspace.
_READ_TASK = ("owner", "creator", "member", "lead", "below", "covered", "notified")
DEPTH = 10  # levels of reports and sub-departments a leader reads below them
_REPORT = ("owner", "lead")
_LEAD = ("lead",)
_READ_FORCE = ("member", "lead", "secretary", "leader")
_SECRETARY = ("secretary",)
_ADMIN = ("admin",)

# action → (who may, the refusal's kind). Refusal kinds: "force_member" (需要是专班「X」的成员),
# "force_lead", "owner_or_lead", "in_a_force", "attendee", or a workspace role's name.
TABLE: dict[str, tuple[tuple[str, ...], str]] = {
    # /task — reading
    "task.show": (_READ_TASK, "force_member"),
    "task.history": (_READ_TASK, "force_member"),
    "task.ack": (_READ_TASK, "owner_or_lead"),
    # /task — the owner's moves (a lead may make them too)
    "task.progress": (_REPORT, "owner_or_lead"),
    "task.done": (_REPORT, "owner_or_lead"),
    "task.block": (_REPORT, "owner_or_lead"),
    "task.unblock": (_REPORT, "owner_or_lead"),
    "task.extend": (_REPORT, "owner_or_lead"),
    "task.node.add": (_REPORT, "owner_or_lead"),
    "task.node.done": (_REPORT, "owner_or_lead"),
    "task.coowners": (_REPORT, "owner_or_lead"),
    # /task — the lead's moves
    "task.add": (("member", "lead"), "force_member"),  # one's own task in one's force
    "task.add.other": (_LEAD, "force_lead"),  # a task for someone else (a sub-task's owner may too: add_task)
    "task.assign": (_LEAD, "force_lead"),
    "task.verify": (_LEAD, "force_lead"),
    # a correction (/task edit): the lead, or the owner who created the task (tasks.edit checks both)
    "task.edit": (("lead", "creator"), "force_lead"),
    "task.reopen": (_LEAD, "force_lead"),
    "task.approve": (_LEAD, "force_lead"),
    "task.reject": (_LEAD, "force_lead"),
    "task.cancel": (_LEAD, "force_lead"),
    # /force
    "force.new": (("role:lead",), "lead"),
    "force.tasks": (_READ_FORCE, "force_member"),  # /task list force:X
    "force.policy.show": (_READ_FORCE, "force_member"),
    "force.policy.set": (_LEAD, "force_lead"),
    "force.add": (_LEAD, "force_lead"),
    "force.remove": (_LEAD, "force_lead"),
    "force.close": (_LEAD, "force_lead"),
    "force.notice": (_LEAD, "force_lead"),
    "force.notice.status": (_LEAD, "force_lead"),  # and the notice's author (notices.notice_status)
    # The lead's instruments; leaders read everything.
    "force.map": (("lead", "leader"), "force_lead"),
    "force.digest": (("lead", "leader"), "force_lead"),
    "force.export": (("lead", "leader"), "force_lead"),
    # /meeting
    "meeting.new": (_SECRETARY, "secretary"),
    "meeting.series": (_SECRETARY, "secretary"),
    "meeting.decide": (_SECRETARY, "secretary"),
    "meeting.minutes.set": (_SECRETARY, "secretary"),
    "meeting.propose": (("in_a_force", "role:lead", "secretary", "leader"), "in_a_force"),
    "meeting.agenda": (("attendee", "secretary", "leader"), "attendee"),
    "meeting.minutes": (("attendee", "secretary", "leader"), "attendee"),
    # /guatu
    "org.dept": (_ADMIN, "admin"),
    "org.role": (_ADMIN, "admin"),
    "org.calendar": (_ADMIN, "admin"),
    "outbox": (_ADMIN, "admin"),
}


@dataclass
class Subject:
    """What an action is about; the task force is taken from the task when not given."""

    session: Session
    actor: Person
    force: TaskForce | None = None
    task: Task | None = None
    meeting: Meeting | None = None
    _roles: set[str] | None = None

    def roles(self) -> set[str]:
        if self._roles is None:
            self._roles = set(self.session.exec(select(RoleGrant.role).where(RoleGrant.person_id == self.actor.id)).all())
        return self._roles

    def has_role(self, role: str) -> bool:
        return role in self.roles() or "admin" in self.roles()

    def membership(self) -> ForceMember | None:
        if self.force is None:
            return None
        return self.session.exec(select(ForceMember).where(ForceMember.force_id == self.force.id,
                                                           ForceMember.person_id == self.actor.id)).first()


def _owner(s: Subject) -> bool:
    if s.task is None:
        return False
    return s.task.owner_id == s.actor.id or s.session.exec(select(TaskCoOwner.id).where(
        TaskCoOwner.task_id == s.task.id, TaskCoOwner.person_id == s.actor.id)).first() is not None


def _lead(s: Subject) -> bool:
    if s.has_role("admin"):
        return True
    if s.force is None:
        return s.task is not None and s.task.created_by_id == s.actor.id
    m = s.membership()
    return bool(m and m.is_lead)


def _notified(s: Subject) -> bool:
    from models import escalation  # escalation imports the organisation, which imports this module

    return s.task is not None and escalation.was_notified(s.session, s.task, s.actor)


def _in_a_force(s: Subject) -> bool:
    return s.session.exec(select(ForceMember.id).join(TaskForce, col(TaskForce.id) == ForceMember.force_id).where(
        ForceMember.person_id == s.actor.id, TaskForce.status == "open")).first() is not None


def attendee_ids(session: Session, m: Meeting) -> set[int]:
    """The meeting's attendees (see the module docstring)."""
    ids = {i for i in (m.chair_id, m.created_by_id) if i}
    for proposer, presenter in session.exec(select(AgendaItem.proposer_id, AgendaItem.presenter_id)
                                            .where(AgendaItem.meeting_id == m.id)).all():
        ids |= {i for i in (proposer, presenter) if i}
    ids |= set(session.exec(select(Decision.owner_id).where(Decision.meeting_id == m.id)).all())
    reporting = select(Task.force_id).where(Task.workspace_id == m.workspace_id, col(Task.status).in_(LIVE))
    ids |= set(session.exec(select(ForceMember.person_id).join(TaskForce, col(TaskForce.id) == ForceMember.force_id).where(
        TaskForce.workspace_id == m.workspace_id, TaskForce.status == "open", ForceMember.is_lead == True,  # noqa: E712
        col(TaskForce.id).in_(reporting))).all())
    return ids


def below(session: Session, person: Person) -> tuple[set[int], set[int]]:
    """The people in ``person``'s reporting subtree (themselves included) and the departments they head with their
    sub-departments, each at most DEPTH levels down; a cycle in the data cannot loop."""
    people, frontier = {person.id}, {person.id}
    for _ in range(DEPTH):
        frontier = set(session.exec(select(Person.id).where(Person.workspace_id == person.workspace_id,
                                                            col(Person.reports_to_id).in_(frontier))).all()) - people
        if not frontier:
            break
        people |= frontier
    frontier = set(session.exec(select(Department.id).where(Department.workspace_id == person.workspace_id,
                                                            Department.head_id == person.id)).all())
    depts = set(frontier)
    for _ in range(DEPTH):
        if not frontier:
            break
        frontier = set(session.exec(select(Department.id).where(Department.workspace_id == person.workspace_id,
                                                                col(Department.parent_id).in_(frontier))).all()) - depts
        depts |= frontier
    return people, depts


def _is_leader(session: Session, person: Person) -> bool:
    return session.exec(select(RoleGrant.id).where(RoleGrant.person_id == person.id,
                                                   RoleGrant.role == "leader")).first() is not None


def _is_secretary(session: Session, person: Person) -> bool:
    return session.exec(select(RoleGrant.id).where(RoleGrant.person_id == person.id,
                                                   RoleGrant.role == "secretary")).first() is not None


def reporting_forces(session: Session, workspace_id: int):
    """The task forces that report at a meeting (every open force with live tasks), as a SELECT of ids."""
    live = select(Task.force_id).where(Task.workspace_id == workspace_id, col(Task.status).in_(LIVE))
    return select(TaskForce.id).where(TaskForce.workspace_id == workspace_id, TaskForce.status == "open",
                                      col(TaskForce.id).in_(live))


def secretary_meetings(person: Person):
    """The meetings that are a secretary's own (they created or chair them), as a SELECT of ids."""
    return select(Meeting.id).where(Meeting.workspace_id == person.workspace_id,
                                    or_(col(Meeting.created_by_id) == person.id, col(Meeting.chair_id) == person.id))


def _below(s: Subject) -> bool:
    # Only the "leader" role itself: an admin reads everything anyway (through "lead").
    if s.task is None or not _is_leader(s.session, s.actor):
        return False
    people, depts = below(s.session, s.actor)
    return s.task.owner_id in people or (s.task.department_id is not None and s.task.department_id in depts)


def _covered(s: Subject) -> bool:
    if s.task is None or not _is_secretary(s.session, s.actor):
        return False
    mine = secretary_meetings(s.actor)
    if s.session.exec(select(Meeting.id).where(col(Meeting.id).in_(mine))).first() is None:
        return False
    if s.task.force_id is not None and s.session.exec(reporting_forces(s.session, s.actor.workspace_id).where(
            TaskForce.id == s.task.force_id)).first() is not None:
        return True
    return s.session.exec(select(Decision.id).where(Decision.task_id == s.task.id,
                                                    col(Decision.meeting_id).in_(mine))).first() is not None


def _attendee(s: Subject) -> bool:
    return s.meeting is not None and s.actor.id in attendee_ids(s.session, s.meeting)


WHO: dict[str, Callable[[Subject], bool]] = {
    "owner": _owner,
    "creator": lambda s: s.task is not None and s.task.created_by_id == s.actor.id,
    "member": lambda s: s.membership() is not None,
    "lead": _lead,
    "notified": _notified,
    "below": _below,
    "covered": _covered,
    "in_a_force": _in_a_force,
    "attendee": _attendee,
    "secretary": lambda s: s.has_role("secretary"),
    "leader": lambda s: s.has_role("leader"),
    "admin": lambda s: s.has_role("admin"),
    "role:lead": lambda s: s.has_role("lead"),
}


def _subject(session: Session, actor: Person, force: TaskForce | None, task: Task | None,
             meeting: Meeting | None) -> Subject:
    if force is None and task is not None and task.force_id:
        force = session.get(TaskForce, task.force_id)
    if force is not None:
        # The session's identity map holds objects weakly: kept for the session's life, the force is found there
        # by the next check and by the task's card in the same request instead of being read again.
        kept = session.info.setdefault("guatu_kept", {})
        kept[id(force)] = force
    return Subject(session, actor, force=force, task=task, meeting=meeting)


def allowed(session: Session, actor: Person, action: str, *, force: TaskForce | None = None,
            task: Task | None = None, meeting: Meeting | None = None) -> bool:
    """Whether ``actor`` may do ``action`` (a key of TABLE; an unknown action is never allowed)."""
    rule = TABLE.get(action)
    if rule is None:
        return False
    s = _subject(session, actor, force, task, meeting)
    return any(WHO[who](s) for who in rule[0])


def refusal(action: str, *, force: TaskForce | None = None, task: Task | None = None,
            meeting: Meeting | None = None, session: Session | None = None) -> PermissionDenied:
    """The refusal of ``action``: names the role (or the relation) that would be needed."""
    kind = TABLE[action][1] if action in TABLE else "admin"
    if kind == "force_member" and force is None and task is not None and task.force_id and session is not None:
        force = session.get(TaskForce, task.force_id)
    if kind == "force_member":
        if force is None:  # a task outside any task force: its owner (or its creator) reads it
            return role_denied("owner_or_lead")
        return PermissionDenied("perm.force_member", force=force.name)
    if kind == "in_a_force":
        return PermissionDenied("perm.in_a_force")
    if kind == "attendee":
        return PermissionDenied("perm.attendee", id=meeting.id if meeting else "?")
    return role_denied(kind)


def check(session: Session, actor: Person, action: str, *, force: TaskForce | None = None,
          task: Task | None = None, meeting: Meeting | None = None) -> None:
    """Raises the refusal naming the needed role unless ``actor`` may do ``action``."""
    if not allowed(session, actor, action, force=force, task=task, meeting=meeting):
        raise refusal(action, force=force, task=task, meeting=meeting, session=session)


def require(ctx, action: str, *, force: TaskForce | None = None, task: Task | None = None,
            meeting: Meeting | None = None) -> None:
    """``check`` for the caller of a domain call (``ctx.actor``)."""
    check(ctx.session, ctx.actor, action, force=force, task=task, meeting=meeting)


def can(ctx, action: str, *, force: TaskForce | None = None, task: Task | None = None,
        meeting: Meeting | None = None) -> bool:
    """``allowed`` for the caller of a domain call (``ctx.actor``)."""
    return allowed(ctx.session, ctx.actor, action, force=force, task=task, meeting=meeting)


i18n.register(
    {
        "perm.force_member": {
            "zh": "没有权限：此操作需要是专班「{force}」的成员（或责任人的上级领导、专班汇报会议的秘书）。",
            "en": "Not allowed: this needs you to be a member of “{force}” (or a leader above the owner, or the "
                  "secretary of a meeting the force reports at).",
        },
        "perm.in_a_force": {
            "zh": "没有权限：此操作需要是某个专班的成员（或「秘书」「领导」角色）。",
            "en": "Not allowed: this needs you to be a member of a task force (or a secretary or a leader).",
        },
        "perm.attendee": {
            "zh": "没有权限：会议 #{id} 的议程和纪要只对参会人（主持人、汇报人、汇报专班的负责人）、「秘书」和「领导」开放。",
            "en": "Not allowed: the agenda and minutes of meeting #{id} are for its attendees (chair, presenters, "
                  "leads of the task forces reporting), secretaries and leaders.",
        },
    }
)
