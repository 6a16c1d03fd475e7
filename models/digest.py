"""周报: the weekly digest for each task-force lead — what changed, what is red, who is silent.

The digest is data (``Digest``); ``present.digest`` words it. It costs what it shows: the lights of the
force's live tasks are computed from a column query (no ORM objects, no cards), and cards are built only
for the first ``MAX_LINES`` of each section; the rest is counted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from models import rank
from models.context import Ctx
from models.lights import Light, TaskFacts, compute
from models.policy import Policy, effective
from models.status import LIVE
from models.tables import ExtensionRequest, Person, Task, TaskForce, TimeNode

MAX_LINES = 8  # per section: a digest is read on a phone
SECTIONS = ("red", "blocked", "approvals", "yellow", "silent", "done", "new")


@dataclass(frozen=True)
class DigestItem:
    """A task as a digest line shows it: its light, title, owner, deadline, and why it is in its section."""

    id: int
    title: str
    status: str
    owner_name: str
    due: date
    light: Light
    blocked_reason: str | None = None
    extension_to: date | None = None  # a pending extension request's new deadline


@dataclass
class Section:
    """A digest section: its first ``MAX_LINES`` tasks, and how many there are in all."""

    items: list[DigestItem] = field(default_factory=list)
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


def _open_nodes(ctx: Ctx, force_id: int) -> dict[int, list[tuple[str, date]]]:
    """The open time nodes of the force's live tasks, by task: one column query."""
    live = select(Task.id).where(col(Task.force_id) == force_id, col(Task.status).in_(LIVE))
    nodes: dict[int, list[tuple[str, date]]] = {}
    for task_id, name, due in ctx.session.exec(
        select(col(TimeNode.task_id), col(TimeNode.name), col(TimeNode.due))
        .where(col(TimeNode.task_id).in_(live), col(TimeNode.done_at).is_(None))
        .order_by(col(TimeNode.no))
    ).all():
        nodes.setdefault(task_id, []).append((name, due))
    return nodes


def build(ctx: Ctx, force: TaskForce, *, days: int = 7, policy: Policy | None = None) -> Digest:
    """The digest of the last ``days`` days up to ``ctx.now``; the caller checks who may read it.
    ``policy``: the force's, when the caller has it already (the digest job loads them once a run).

    A fixed number of statements whatever the force's size: the force's live tasks and those done or
    added in the period in one column query, their open nodes, the pending extensions, the owners of
    the lines shown, the standings."""
    policy = policy or effective(force.policy)
    since = ctx.now - timedelta(days=days)
    assert force.id is not None
    status, done_at, created_at = col(Task.status), col(Task.done_at), col(Task.created_at)
    rows = ctx.session.execute(
        sa_select(col(Task.id), status, col(Task.progress), col(Task.start_date), col(Task.due), created_at,
                  col(Task.last_progress_at), done_at, col(Task.title), col(Task.owner_id), col(Task.blocked_reason))
        .where(col(Task.force_id) == force.id,
               or_(status.in_(LIVE), and_(status == "done", done_at >= since),
                   and_(created_at >= since, status != "cancelled")))
        .order_by(col(Task.due), col(Task.id))
    ).all()
    nodes = _open_nodes(ctx, force.id) if any(r.status in LIVE for r in rows) else {}
    pending = dict(ctx.session.execute(
        sa_select(col(ExtensionRequest.task_id), col(ExtensionRequest.new_due))
        .join(Task, col(Task.id) == ExtensionRequest.task_id)
        .where(col(Task.force_id) == force.id, status.in_(LIVE), col(ExtensionRequest.status) == "pending")
    ).all())
    lights: dict[int, Light] = {}
    for r in rows:
        facts = TaskFacts(r.status, r.progress, r.start_date, r.due, r.created_at, r.last_progress_at,
                          tuple(nodes.get(r.id, ())))
        lights[r.id] = compute(facts, now=ctx.now, tz=ctx.tz, calendar=ctx.calendar, policy=policy)
    live = [r for r in rows if r.status in LIVE]
    picked: dict[str, list] = {
        "red": [r for r in live if lights[r.id].color == "red"],
        "yellow": [r for r in live if lights[r.id].color == "yellow"],
        "silent": [r for r in live if any(m.key == "light.why.silent" for m in lights[r.id].reasons)],
        "blocked": [r for r in live if r.status == "blocked"],
        "approvals": [r for r in live if r.status == "done_requested" or r.id in pending],
        "done": sorted((r for r in rows if r.status == "done" and r.done_at is not None and r.done_at >= since),
                       key=lambda r: (r.done_at, r.id)),
        "new": sorted((r for r in rows if r.created_at >= since and r.status != "cancelled"), key=lambda r: r.id),
    }
    owners = {r.owner_id for x in picked.values() for r in x[:MAX_LINES]}
    names = dict(ctx.session.execute(sa_select(col(Person.id), col(Person.name))
                                     .where(col(Person.id).in_(owners))).all()) if owners else {}
    d = Digest(force=force.name, since=since, until=ctx.now)
    for name in SECTIONS:
        items = [DigestItem(r.id, r.title, r.status, names.get(r.owner_id, "?"), r.due, lights[r.id], r.blocked_reason,
                            pending.get(r.id)) for r in picked[name][:MAX_LINES]]
        setattr(d, name, Section(items, len(picked[name])))
    d.standings = rank.ranking(ctx, "dept", force_id=force.id, policies={force.id: policy})
    d.counts = {c: sum(1 for r in live if lights[r.id].color == c) for c in ("red", "yellow", "green", "grey")}
    from models.holiday_notice import next_year_missing

    d.calendar_missing = next_year_missing(ctx.session, ctx.ws.id, ctx.today)
    return d
