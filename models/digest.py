"""周报: the weekly digest for each task-force lead — what changed, what is red, who is silent.

The digest is data (``Digest``); ``present.digest`` words it. It costs what it shows: the lights of the
force's live tasks are computed from a column query (no ORM objects, no cards), and cards are built only
for the first ``MAX_LINES`` of each section; the rest is counted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlmodel import col, select

from models import rank
from models.context import Ctx
from models.lights import Light, TaskFacts, compute
from models.policy import Policy, effective
from models.status import LIVE
from models.tables import ExtensionRequest, Task, TaskForce, TimeNode
from models.tasks import TaskView, views

MAX_LINES = 8  # per section: a digest is read on a phone
SECTIONS = ("red", "blocked", "approvals", "yellow", "silent", "done", "new")


@dataclass
class Section:
    """A digest section: the first ``MAX_LINES`` tasks as cards, and how many there are in all."""

    items: list[TaskView] = field(default_factory=list)
    total: int = 0

    def __iter__(self):
        return iter(self.items)

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def more(self) -> int:
        """How many it does not list."""
        return self.total - len(self.items)


@dataclass
class Digest:
    """One task force's week, as data; ``present.digest.render`` turns it into the message."""

    force: str
    since: datetime
    until: datetime
    done: Section = field(default_factory=Section)
    new: Section = field(default_factory=Section)
    red: Section = field(default_factory=Section)
    yellow: Section = field(default_factory=Section)
    silent: Section = field(default_factory=Section)
    blocked: Section = field(default_factory=Section)
    approvals: Section = field(default_factory=Section)
    standings: list[rank.RankRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # From 1 November: next year, when its official holiday schedule is not in the calendar yet.
    calendar_missing: int | None = None


def week_start(ctx: Ctx) -> datetime:
    """Monday 00:00 of the current week in the org's zone."""
    today = ctx.today
    return datetime.combine(today - timedelta(days=today.weekday()), time(0, 0), tzinfo=ctx.tz)


def _lights(ctx: Ctx, force_id: int, policy: Policy) -> list[tuple[int, str, Light]]:
    """(id, status, light) of every live task of the force, by deadline: two column queries."""
    facts = ctx.session.exec(
        select(Task.id, Task.status, Task.progress, Task.start_date, Task.due, Task.created_at, Task.last_progress_at)
        .where(col(Task.force_id) == force_id, col(Task.status).in_(LIVE))
        .order_by(col(Task.due), col(Task.id))
    ).all()
    if not facts:
        return []
    live = select(Task.id).where(col(Task.force_id) == force_id, col(Task.status).in_(LIVE))
    nodes: dict[int, list[tuple[str, object]]] = {}
    for task_id, name, due in ctx.session.exec(
        select(TimeNode.task_id, TimeNode.name, TimeNode.due)
        .where(col(TimeNode.task_id).in_(live), col(TimeNode.done_at).is_(None))
        .order_by(col(TimeNode.no))
    ).all():
        nodes.setdefault(task_id, []).append((name, due))
    out = []
    for task_id, status, progress, start, due, created, last in facts:
        light = compute(TaskFacts(status, progress, start, due, created, last, tuple(nodes.get(task_id, ()))),  # type: ignore[arg-type]
                        now=ctx.now, tz=ctx.tz, calendar=ctx.calendar, policy=policy)
        out.append((task_id, status, light))
    return out


def build(ctx: Ctx, force: TaskForce, *, days: int = 7, policy: Policy | None = None) -> Digest:
    """The digest of the last ``days`` days up to ``ctx.now``; the caller checks who may read it.
    ``policy``: the force's, when the caller has it already (the digest job loads them once a run)."""
    policy = policy or effective(force.policy)
    since = ctx.now - timedelta(days=days)
    assert force.id is not None
    lit = _lights(ctx, force.id, policy)
    pending_ext = set(ctx.session.exec(
        select(ExtensionRequest.task_id).join(Task, col(Task.id) == ExtensionRequest.task_id)
        .where(col(Task.force_id) == force.id, col(Task.status).in_(LIVE), ExtensionRequest.status == "pending")
    ).all())
    ids: dict[str, list[int]] = {
        "red": [i for i, _s, light in lit if light.color == "red"],
        "yellow": [i for i, _s, light in lit if light.color == "yellow"],
        "silent": [i for i, _s, light in lit if any(r.key == "light.why.silent" for r in light.reasons)],
        "blocked": [i for i, s, _light in lit if s == "blocked"],
        "approvals": [i for i, s, _light in lit if s == "done_requested" or i in pending_ext],
    }
    done_q = select(Task.id).where(col(Task.force_id) == force.id, Task.status == "done", col(Task.done_at) >= since)
    new_q = select(Task.id).where(col(Task.force_id) == force.id, col(Task.created_at) >= since, Task.status != "cancelled")
    totals = {name: len(x) for name, x in ids.items()}
    for name, q, order in (("done", done_q, (col(Task.done_at), col(Task.id))), ("new", new_q, (col(Task.id),))):
        ids[name] = list(ctx.session.exec(q.order_by(*order).limit(MAX_LINES)).all())
        totals[name] = len(ids[name]) if len(ids[name]) < MAX_LINES else _count(ctx, q)
    shown = {i for x in ids.values() for i in x[:MAX_LINES]}
    rows = ctx.session.exec(select(Task).where(col(Task.id).in_(shown))).all() if shown else []
    cards = {v.id: v for v in views(ctx, list(rows))}
    d = Digest(force=force.name, since=since, until=ctx.now)
    for name in SECTIONS:
        setattr(d, name, Section([cards[i] for i in ids[name][:MAX_LINES] if i in cards], totals[name]))
    d.standings = rank.ranking(ctx, "dept", force_id=force.id, policies={force.id: policy})
    d.counts = {c: sum(1 for _i, _s, light in lit if light.color == c) for c in ("red", "yellow", "green", "grey")}
    from models.holiday_notice import next_year_missing

    d.calendar_missing = next_year_missing(ctx.session, ctx.ws.id, ctx.today)
    return d


def _count(ctx: Ctx, q) -> int:
    from sqlalchemy import func

    return int(ctx.session.exec(select(func.count()).select_from(q.subquery())).one())
