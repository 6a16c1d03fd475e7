"""Test factories: a workspace with people, a task force and tasks, at a fixed ``now``."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlmodel import Session

from models import forces, org, tasks
from models.context import Ctx
from models.org import PersonRef
from models.tables import Department, Person, Task, TimeNode, Workspace
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

    def bulk_tasks(self, force_name: str, n: int, *, by: str, depts: int = 8, owners: int = 12, seed: int = 1) -> list[Task]:
        """``n`` live tasks inserted as rows (fast), spread over departments, owners, deadlines and progress,
        so every light occurs; one in ten has a passed time node before a later deadline."""
        rng = random.Random(seed)
        ctx = self.ctx(by)
        force = forces.find_force(ctx, force_name)
        dept_rows = [Department(workspace_id=self.ws.id, name=f"第{i + 1}责任单位") for i in range(depts)]
        self.session.add_all(dept_rows)
        self.session.flush()
        people = [self.person(f"owner{i + 1}") for i in range(owners)]
        today = ctx.today
        rows = []
        for i in range(n):
            start = today - timedelta(days=rng.randint(-5, 60))
            due = max(start, today + timedelta(days=rng.randint(-15, 150)))
            rows.append(Task(workspace_id=self.ws.id, force_id=force.id, title=f"批量任务{i + 1:03d} 数据归集",
                             owner_id=people[i % owners].id, department_id=dept_rows[i % depts].id if i % 17 else None,
                             status=rng.choice(("todo", "active", "active", "active", "blocked")),
                             progress=rng.choice((0, 0, 10, 30, 50, 70, 90)), start_date=start, baseline_due=due,
                             due=due + timedelta(days=7) if i % 11 == 0 else due, created_by_id=ctx.actor.id,
                             created_at=self.now, updated_at=self.now, last_progress_at=self.now))
        self.session.add_all(rows)
        self.session.flush()
        nodes = [TimeNode(task_id=t.id, no=1, name="阶段节点", due=today - timedelta(days=2), created_at=self.now)
                 for t in rows[::10] if t.due > today + timedelta(days=5)]
        self.session.add_all(nodes)
        self.session.flush()
        return rows


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


__all__ = ["TZ", "World", "d", "standard_world"]
