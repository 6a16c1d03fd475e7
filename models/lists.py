"""Lists that tell the truth: counts per light over every matching row, and one explicit page of it.

A list never cuts silently: the lights of every matching task are computed from their facts (two
queries, no cards), counted, and ordered red first; cards are built for the asked page only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, Generic, TypeVar

from sqlalchemy import bindparam, or_, union
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from models import forces, org, permissions
from models.calendar import WorkCalendar
from models.context import Ctx
from models.lights import GREEN, GREY, ORDER, RED, YELLOW, TaskFacts, compute
from models.policy import effective
from models.sqlutil import ids_param
from models.tables import Decision, EscalationStep, ForceMember, Meeting, Task, TaskCoOwner, TaskForce, TimeNode

COLORS = (RED, YELLOW, GREEN, GREY)
LIVE = ("todo", "active", "blocked", "done_requested")
PAGE_SIZE = 40  # rows a page: fits a Slack message (50 blocks) with its header and hint
MAX_PAGE = 10_000

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; ``total`` and ``counts`` are over every matching row, not just the page's."""

    items: tuple[T, ...]
    total: int
    page: int = 1
    size: int = PAGE_SIZE
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """The 1-based position of the page's first row."""
        return (self.page - 1) * self.size + 1

    @property
    def after(self) -> int:
        """Rows after this page (what a "N more · page:n+1" hint counts)."""
        return max(0, self.total - (self.page - 1) * self.size - len(self.items))

    @property
    def beyond(self) -> bool:
        """Asked for a page past the last one (an empty list has one, empty, page)."""
        return self.page > self.pages


def paginate(rows: list[T], page: int, size: int = PAGE_SIZE, **counts: Any) -> Page[T]:
    start = (page - 1) * size
    return Page(tuple(rows[start:start + size]), len(rows), page, size, **counts)


# ---------------------------------------------------------------- lights of many tasks


class _MemoCalendar:
    """Working days between two dates, remembered: thousands of lights share a few hundred date pairs."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self._calendar = calendar
        self._memo: dict[tuple[date, date], int] = {}

    def working_days_between(self, start: date, end: date) -> int:
        key = (start, end)
        if key not in self._memo:
            self._memo[key] = self._calendar.working_days_between(start, end)
        return self._memo[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._calendar, name)


@dataclass(frozen=True)
class Lit:
    """A task's light from its facts alone, with what lists order and filter by."""

    id: int
    color: str
    due: date
    force_id: int | None
    owner_id: int
    department_id: int | None

    @property
    def order(self) -> tuple[int, date, int]:
        return ORDER[self.color], self.due, self.id


def lit(ctx: Ctx, *where: Any) -> list[Lit]:
    """Every task matching ``where``, lit as its card would be (same ``compute``), red first then by deadline."""
    # sqlmodel types select() for at most four columns; the rows unpack below as the ten asked for.
    rows = ctx.session.exec(select(Task.id, Task.force_id, Task.owner_id, Task.department_id, Task.status,  # type: ignore[call-overload]
                                   Task.progress, Task.start_date, Task.due, Task.created_at, Task.last_progress_at)
                            .where(*where)).all()
    if not rows:
        return []
    matching = select(Task.id).where(*where)
    nodes = ctx.session.exec(select(TimeNode.task_id, TimeNode.name, col(TimeNode.due)).where(
        col(TimeNode.task_id).in_(matching), col(TimeNode.done_at).is_(None)).order_by(col(TimeNode.no))).all()
    return _lit_rows(ctx, rows, nodes)


@lru_cache(maxsize=4)
def _mine_queries(dialect: str) -> dict[str, Any]:
    """``/task list mine`` (and the home's first section) as statements built once: the same SQL each time, which
    PostgreSQL prepares (no planning per request), and none of the Python of building a statement and adapting its
    result per request. My tasks are those I own (read straight from ``ix_task_owner_status``'s rows) and those I
    co-own but do not own (each once)."""
    columns = (col(Task.id), col(Task.force_id), col(Task.owner_id), col(Task.department_id), col(Task.status),
               col(Task.progress), col(Task.start_date), col(Task.due), col(Task.created_at), col(Task.last_progress_at))
    live = (col(Task.workspace_id) == bindparam("ws"), col(Task.status).in_(LIVE))
    owned = sa_select(*columns).where(col(Task.owner_id) == bindparam("me"), *live)
    co_owned = (sa_select(*columns).join(TaskCoOwner, col(TaskCoOwner.task_id) == col(Task.id))
                .where(col(TaskCoOwner.person_id) == bindparam("me"), col(Task.owner_id) != bindparam("me"), *live))
    return {
        "rows": union(owned, co_owned),
        "nodes": sa_select(col(TimeNode.task_id), col(TimeNode.name), col(TimeNode.due))
        .where(ids_param(dialect, col(TimeNode.task_id)), col(TimeNode.done_at).is_(None)).order_by(col(TimeNode.no)),
        "forces": select(TaskForce).where(ids_param(dialect, col(TaskForce.id))),
        "cards": select(Task).where(ids_param(dialect, col(Task.id))),
    }


def lit_mine(ctx: Ctx) -> list[Lit]:
    """``lit`` of the caller's live tasks (owned or co-owned): the conditions of ``task_scope(ctx, "mine")``."""
    q = _mine_queries(ctx.session.get_bind().dialect.name)
    ctx.session.flush()  # what the request changed is read back: Core statements do not autoflush
    run = ctx.session.connection().execute
    rows = run(q["rows"], {"ws": ctx.ws.id, "me": ctx.actor.id}).all()
    if not rows:
        return []
    return _lit_rows(ctx, rows, run(q["nodes"], {"ids": [r[0] for r in rows]}).all())


# Lights by everything a light depends on (``models.lights.compute``: the facts, the day, the policy and the
# calendar): a list or a home asked again computes only the lights of tasks that changed. Keys are flat tuples of
# dates, numbers and strings, which the garbage collector does not track; emptied when full.
_LIGHTS: dict[tuple[Any, ...], str] = {}
_LIGHTS_KEPT = 30_000


def remember(key: tuple[Any, ...], color: str) -> str:
    """Remembers the color of ``key`` (status, progress, start, due, created, last progress, open nodes, the policy as
    JSON, ``light_context``) and returns it."""
    if len(_LIGHTS) > _LIGHTS_KEPT:
        _LIGHTS.clear()
    _LIGHTS[key] = color
    return color


def light_context(ctx: Ctx) -> tuple[Any, ...]:
    """What a light depends on besides its facts and policy: the day, the zone, the calendar's overrides."""
    return ctx.today, str(ctx.tz), tuple(sorted(ctx.calendar.overrides.items()))


def _lit_rows(ctx: Ctx, rows: Any, nodes: Any) -> list[Lit]:
    open_nodes: dict[int, list[tuple[str, date]]] = {}
    for task_id, name, due in nodes:
        open_nodes.setdefault(task_id, []).append((name, due))
    force_ids = {r[1] for r in rows if r[1] is not None}
    # The forces as rows, kept for the request: the cards built next find them in the session (few rows).
    force_rows = ctx.session.execute(_mine_queries(ctx.session.get_bind().dialect.name)["forces"],
                                     {"ids": list(force_ids)}).scalars().all() if force_ids else []
    ctx.session.info.setdefault("guatu_kept", {}).update((id(f), f) for f in force_rows)
    policies = {f.id: effective(f.policy) for f in force_rows}
    default = effective(None)
    policy_keys = {i: p.model_dump_json() for i, p in policies.items()}
    default_key = default.model_dump_json()
    context = light_context(ctx)
    calendar = _MemoCalendar(ctx.calendar)
    out = []
    for tid, fid, owner, dept, status, progress, start, due, created, last in rows:
        nodes_of = tuple(open_nodes.get(tid, ()))
        key = (status, progress, start, due, created, last, nodes_of, policy_keys.get(fid, default_key), context)
        color = _LIGHTS.get(key)
        if color is None:
            facts = TaskFacts(status, progress, start, due, created, last, nodes_of)
            color = remember(key, compute(facts, now=ctx.now, tz=ctx.tz, calendar=calendar,
                                          policy=policies.get(fid, default)).color)
        out.append(Lit(tid, color, due, fid, owner, dept))
    out.sort(key=lambda x: x.order)
    return out


def count(lits: list[Lit]) -> dict[str, int]:
    c = Counter(x.color for x in lits)
    return {k: c.get(k, 0) for k in COLORS}


# ---------------------------------------------------------------- /task list


def _sees_all(ctx: Ctx) -> bool:
    return org.has_role(ctx.session, ctx.actor, "admin")


def _notified_ids(ctx: Ctx) -> set[int]:
    """Live tasks whose 督办 notices reached the caller (recipients are a JSON list: filtered here, as was_notified)."""
    rows = ctx.session.exec(select(EscalationStep.task_id, EscalationStep.recipients)
                            .join(Task, col(Task.id) == EscalationStep.task_id)
                            .where(Task.workspace_id == ctx.ws.id, col(Task.status).in_(LIVE))).all()
    return {tid for tid, rec in rows if ctx.actor.id in (rec or [])}


def readable(ctx: Ctx) -> Any:
    """What the caller may read, as SQL: equals permissions' "task.show" on every live task (tests compare them),
    so a list can count before it fetches. Admins read everything (``_sees_all``; not expressed here)."""
    me = ctx.actor.id
    mine = select(TaskCoOwner.task_id).where(TaskCoOwner.person_id == me)
    visible = select(ForceMember.force_id).where(ForceMember.person_id == me)
    rules = [col(Task.created_by_id) == me, col(Task.owner_id) == me, col(Task.id).in_(mine), col(Task.force_id).in_(visible)]
    notified = _notified_ids(ctx)
    if notified:
        rules.append(col(Task.id).in_(notified))
    roles = org.roles_of(ctx.session, ctx.actor)
    if "leader" in roles:
        people, depts = permissions.below(ctx.session, ctx.actor)
        rules.append(col(Task.owner_id).in_(people))
        if depts:
            rules.append(col(Task.department_id).in_(depts))
    if "secretary" in roles:
        meetings = permissions.secretary_meetings(ctx.actor)
        if ctx.session.exec(select(Meeting.id).where(col(Meeting.id).in_(meetings))).first() is not None:
            rules.append(col(Task.force_id).in_(permissions.reporting_forces(ctx.session, ctx.ws.id)))
            rules.append(col(Task.id).in_(select(Decision.task_id).where(col(Decision.meeting_id).in_(meetings))))
    return or_(*rules)


def task_scope(ctx: Ctx, scope: str = "mine", *, user: org.PersonRef | None = None,
               force_name: str | None = None) -> list[Any]:
    """The SQL conditions of a ``/task list`` scope, after checking the caller may read it."""
    where: list[Any] = [Task.workspace_id == ctx.ws.id, col(Task.status).in_(LIVE)]
    if scope == "mine":
        # A UNION of two indexed lookups: "owner = me OR id IN (co-owned)" made SQLite scan the workspace.
        mine = union(
            select(Task.id).where(Task.owner_id == ctx.actor.id, col(Task.status).in_(LIVE)),
            select(TaskCoOwner.task_id).where(TaskCoOwner.person_id == ctx.actor.id),
        ).subquery()
        where.append(col(Task.id).in_(select(mine.c.id)))
    elif scope == "user":
        person = org.find_person(ctx.session, ctx.ws, user, now=ctx.now, create=False) if user else ctx.actor
        where.append(Task.owner_id == person.id)
        if not _sees_all(ctx):
            where.append(readable(ctx))
    elif scope == "force" or force_name:
        force = forces.open_force(ctx, force_name, "force.tasks")
        where.append(Task.force_id == force.id)
        if not (_sees_all(ctx) or forces.membership(ctx, force, ctx.actor)):
            where.append(readable(ctx))  # a leader or secretary outside the force: only what they may read of it
    elif scope == "overdue":
        # Red by its deadline or by a time node: two indexed lookups (ix_task_live_due, ix_timenode_open_due).
        late = union(
            select(Task.id).where(Task.due < ctx.today, col(Task.status).in_(LIVE)),
            select(TimeNode.task_id).where(TimeNode.due < ctx.today, col(TimeNode.done_at).is_(None)),
        ).subquery()
        where += [col(Task.id).in_(select(late.c.id)), Task.status != "done_requested"]
        if not _sees_all(ctx):
            where.append(readable(ctx))
    elif scope == "all" and not _sees_all(ctx):
        where.append(readable(ctx))
    return where


def task_page(ctx: Ctx, scope: str = "mine", *, user: org.PersonRef | None = None, force_name: str | None = None,
              page: int = 1, size: int = PAGE_SIZE, light: str | None = None):
    """One page of live tasks in a scope, red first then by deadline; counts per light over the whole scope
    (before ``light`` narrows it), ``total`` over what is listed."""
    from models.tasks import views  # tasks imports this module

    lits = lit_mine(ctx) if scope == "mine" and user is None and force_name is None else \
        lit(ctx, *task_scope(ctx, scope, user=user, force_name=force_name))
    if scope == "overdue":
        lits = [x for x in lits if x.color == RED]  # the query selects candidates; the light decides
    counts = count(lits)
    if light:
        lits = [x for x in lits if x.color == light]
    shown = paginate(lits, page, size)
    return Page(tuple(cards(ctx, [x.id for x in shown.items], views)), shown.total, page, size, counts=counts)


def cards(ctx: Ctx, ids: list[int], views) -> list:
    """Cards for ``ids``, in that order."""
    if not ids:
        return []
    rows = ctx.session.execute(_mine_queries(ctx.session.get_bind().dialect.name)["cards"], {"ids": ids}).scalars().all()
    by_id = {v.id: v for v in views(ctx, list(rows))}
    return [by_id[i] for i in ids if i in by_id]


# ---------------------------------------------------------------- the war map's tasks


def map_tasks(ctx: Ctx, force: TaskForce, *, dept: str | None = None, owner: org.PersonRef | None = None,
              light: str | None = None) -> list:
    """The live tasks of a force's war map, narrowed by department, owner and light; an unknown
    department or person is refused (NotFound), not answered with an empty map."""
    from models.tasks import views  # tasks imports this module

    q = select(Task).where(Task.force_id == force.id, col(Task.status).in_(LIVE))
    if dept:
        q = q.where(Task.department_id == org.find_department(ctx.session, ctx.ws, dept).id)
    if owner is not None:
        q = q.where(Task.owner_id == org.find_person(ctx.session, ctx.ws, owner, now=ctx.now, create=False).id)
    out = views(ctx, list(ctx.session.exec(q.order_by(col(Task.due), col(Task.id))).all()))
    return [v for v in out if v.light.color == light] if light else out
