"""Test factories: a workspace with people, a task force and tasks, at a fixed ``now``."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from models import forces, org, tasks
from models.context import Ctx
from models.org import PersonRef
from models.tables import Person, Workspace
from tests.conftest import TZ


class World:
    """A small organisation built through the domain functions themselves."""

    def __init__(self, session: Session, now: datetime, team: str = "T1") -> None:
        self.session = session
        self.now = now
        self.ws: Workspace = org.get_or_create_workspace(session, team)
        self.people: dict[str, Person] = {}

    def person(self, name: str, *roles: str) -> Person:
        p = org.ensure_person(self.session, self.ws, name, name=name, now=self.now)
        self.people[name] = p
        admin = self._admin()
        for role in roles:
            if admin is not None and admin.id != p.id:
                org.role_set(self.session, admin, self.ws, PersonRef(name=name), role, now=self.now)
        return p

    def _admin(self) -> Person | None:
        for p in self.people.values():
            if "admin" in org.roles_of(self.session, p):
                return p
        return None

    def ctx(self, name: str, *, now: datetime | None = None, channel: str | None = None) -> Ctx:
        return Ctx(self.session, self.ws, self.people[name], now or self.now, tz=TZ, channel_id=channel)

    def force(self, name: str, lead: str, *members: str, channel: str | None = None):
        f = forces.force_new(self.ctx(lead, channel=channel or f"C-{name}"), name)
        if members:
            forces.force_add(self.ctx(lead), [PersonRef(name=m) for m in members], force_name=name)
        return f

    def task(self, by: str, title: str, *, due: date, owner: str | None = None, force: str | None = None,
             now: datetime | None = None, **kw):
        return tasks.add_task(self.ctx(by, now=now), title, due=due, owner=PersonRef(name=owner) if owner else None,
                              force_name=force, **kw)


def standard_world(session: Session, now: datetime) -> World:
    """admin 'root'; lead 'lin' leading 数据共享专班 with members 'zhang' and 'wang'."""
    w = World(session, now)
    w.person("root")
    w.person("lin", "lead")
    w.person("zhang")
    w.person("wang")
    w.person("boss", "leader")
    w.force("数据共享专班", "lin", "zhang", "wang")
    return w


def d(s: str) -> date:
    return date.fromisoformat(s)


__all__ = ["World", "standard_world", "d", "TZ"]
