"""A person's home (工作台): my tasks by light, my task forces' lights, and what waits for my decision.

Pure domain: surfaces render it (Slack's App Home). Every list is capped and carries its full
count, so a renderer can say "and N more" without a second query.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, union
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from models import lists, org
from models.context import Ctx
from models.lights import GREEN, GREY, RED, YELLOW, TaskFacts, compute
from models.policy import effective
from models.sqlutil import ids_in
from models.tables import ExtensionRequest, ForceMember, Task, TaskForce, TimeNode
from models.tasks import LIVE, TaskView, views

COLORS = (RED, YELLOW, GREEN, GREY)
# Lights of the forces' tasks, by everything a light depends on (see _light_counts): the memo lists share.
_LIGHTS = lists._LIGHTS


@dataclass(frozen=True)
class ForceLights:
    """One of my open task forces with its live tasks counted per light."""

    id: int
    name: str
    lead: bool
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Home:
    """What a person sees first; each tuple is capped, each ``*_total`` is the full count."""

    mine: tuple[TaskView, ...]
    mine_counts: dict[str, int]
    mine_total: int
    approvals: tuple[TaskView, ...]
    approvals_total: int
    forces: tuple[ForceLights, ...]
    forces_total: int
    # For an admin, from 1 November: next year, when its official holiday schedule is not in yet.
    calendar_missing: int | None = None


def home(ctx: Ctx, *, tasks: int = 30, approvals: int = 10, forces: int = 10) -> Home:
    """The caller's home, scoped to their workspace; at most ``tasks``/``approvals``/``forces`` items each."""
    mine, counts, mine_total = _my_tasks(ctx, tasks)
    waiting, waiting_total = _approvals(ctx, approvals)
    lights, forces_total = _force_lights(ctx, forces)
    from models.holiday_notice import next_year_missing

    missing = next_year_missing(ctx.session, ctx.ws.id, ctx.today) if "admin" in org.roles_of(ctx.session, ctx.actor) \
        else None
    return Home(mine=mine, mine_counts=counts, mine_total=mine_total, approvals=waiting,
                approvals_total=waiting_total, forces=lights, forces_total=forces_total, calendar_missing=missing)


def _my_tasks(ctx: Ctx, limit: int) -> tuple[tuple[TaskView, ...], dict[str, int], int]:
    """The first ``limit`` of my live tasks as ``/task list`` orders them; counts and total over all of them."""
    page = lists.task_page(ctx, "mine", size=limit)
    return page.items, page.counts, page.total


def _led_force_ids(ctx: Ctx) -> Any:
    return select(ForceMember.force_id).where(col(ForceMember.person_id) == ctx.actor.id,
                                              col(ForceMember.is_lead) == True)  # noqa: E712


def _approvals(ctx: Ctx, limit: int) -> tuple[tuple[TaskView, ...], int]:
    """Extension requests and done reports in task forces I lead, oldest first.

    A UNION of two indexed lookups bounded by the forces I lead (``ix_task_force_status``, then
    ``ix_extension_task_status`` per live task of them): "done_requested OR id IN (every pending
    request of the database)" grew with the whole province."""
    led = _led_force_ids(ctx)
    waiting = union(
        select(col(Task.id)).where(col(Task.force_id).in_(led), col(Task.status) == "done_requested"),
        select(col(ExtensionRequest.task_id)).join(Task, col(Task.id) == col(ExtensionRequest.task_id))
        .where(col(Task.force_id).in_(led), col(Task.status).in_(LIVE), col(ExtensionRequest.status) == "pending"),
    ).subquery()
    where = (col(Task.id).in_(select(waiting.c.id)), col(Task.workspace_id) == ctx.ws.id)
    total = ctx.session.exec(select(func.count()).select_from(Task).where(*where)).one()
    rows = ctx.session.exec(select(Task).where(*where).order_by(col(Task.updated_at), col(Task.id)).limit(limit)).all()
    return tuple(views(ctx, list(rows))), total


def _force_lights(ctx: Ctx, limit: int) -> tuple[tuple[ForceLights, ...], int]:
    """My open task forces (those I lead first) with their live tasks counted per light."""
    q = (select(TaskForce, col(ForceMember.is_lead)).join(ForceMember, col(ForceMember.force_id) == col(TaskForce.id))
         .where(col(TaskForce.workspace_id) == ctx.ws.id, col(TaskForce.status) == "open",
                col(ForceMember.person_id) == ctx.actor.id))
    total = ctx.session.exec(select(func.count()).select_from(q.subquery())).one()
    picked = ctx.session.exec(q.order_by(col(ForceMember.is_lead).desc(), col(TaskForce.name)).limit(limit)).all()
    counts = _light_counts(ctx, [f for f, _ in picked])
    return tuple(ForceLights(int(f.id or 0), f.name, bool(lead), counts.get(int(f.id or 0), dict.fromkeys(COLORS, 0)))
                 for f, lead in picked), total


def _light_counts(ctx: Ctx, forces: list[TaskForce]) -> dict[int, dict[str, int]]:
    """Lights from the facts alone (two queries in all): no task cards are built for counting."""
    if not forces:
        return {}
    ids = [int(f.id or 0) for f in forces]
    policies = {int(f.id or 0): effective(f.policy) for f in forces}
    live = (col(Task.force_id).in_(ids), col(Task.status).in_(LIVE))
    rows: Any = ctx.session.execute(sa_select(col(Task.id), col(Task.force_id), col(Task.status), col(Task.progress),
                                              col(Task.start_date), col(Task.due), col(Task.created_at),
                                              col(Task.last_progress_at)).where(*live)).all()
    open_nodes: dict[int, list[tuple[str, Any]]] = {}
    # The open nodes of exactly these tasks, through ix_timenode_task_id, their ids as one array parameter:
    # joined to the live-task condition instead, PostgreSQL hashed a scan of every open node of the province
    # (300k rows, 190 ms at 1M tasks); as an IN list, rendering 8k bound parameters took 70 ms of Python.
    if ctx.session.get_bind().dialect.name == "postgresql":
        node_q = select(col(TimeNode.task_id), col(TimeNode.name), col(TimeNode.due)).where(
            ids_in(ctx.session, col(TimeNode.task_id), [r[0] for r in rows]), col(TimeNode.done_at).is_(None))
    else:
        node_q = (select(col(TimeNode.task_id), col(TimeNode.name), col(TimeNode.due))
                  .join(Task, col(Task.id) == col(TimeNode.task_id)).where(*live, col(TimeNode.done_at).is_(None)))
    node_rows: Any = ctx.session.exec(node_q).all() if rows else []
    for task_id, name, due in node_rows:
        open_nodes.setdefault(task_id, []).append((name, due))
    out: dict[int, Counter] = {i: Counter() for i in ids}
    # Thousands of lights share a few hundred date pairs: the calendar's day-by-day count once per pair.
    calendar = lists._MemoCalendar(ctx.calendar)
    # A light is a pure function of the facts, the day, the policy and the calendar (models.lights.compute):
    # remembered by exactly those, a force's lights are computed again only for the tasks that changed.
    # The keys are flat tuples of dates, numbers and strings, which the garbage collector stops tracking: 8k
    # remembered lights then add nothing to a full collection's pause.
    context = lists.light_context(ctx)
    policy_keys = {i: p.model_dump_json() for i, p in policies.items()}
    for task_id, force_id, status, progress, start, due, created, last in rows:
        nodes = tuple(open_nodes.get(task_id, ()))
        key = (status, progress, start, due, created, last, nodes, policy_keys[force_id], context)
        color = _LIGHTS.get(key)
        if color is None:
            facts = TaskFacts(status, progress, start, due, created, last, nodes)
            color = lists.remember(key, compute(facts, now=ctx.now, tz=ctx.tz, calendar=calendar,
                                                policy=policies[force_id]).color)
        out[force_id][color] += 1
    return {i: {c: out[i].get(c, 0) for c in COLORS} for i in ids}
