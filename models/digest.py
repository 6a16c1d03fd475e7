"""周报: the weekly digest for each task-force lead — what changed, what is red, who is silent.

The digest is data (``Digest``); ``present.digest`` words it. It costs what it shows: the lights of the
forces' tasks are classified and counted in SQL, grouped by force (``build_many``: one statement for the
counts and the lines of any number of forces), and only the first ``MAX_LINES`` of each section are read
as rows, their lights computed by ``lights.compute``; the rest is counted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, Integer, String, and_, case, cast, func, literal, null, or_, union_all
from sqlalchemy import select as sa_select
from sqlmodel import col

from models import rank
from models.context import Ctx
from models.db import UTCDateTime
from models.lights import Light, TaskFacts, compute
from models.policy import Policy, effective
from models.status import LIVE, OPEN
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


@dataclass(frozen=True)
class _Thresholds:
    """A policy's light rules for one day, as bounds a query compares columns with (exact: each bound is
    found with the calendar's own working-day count, which is monotone in the date it moves)."""

    soon_by: date  # due (or an open node) on or before it, and not passed: yellow (today, a day off ahead, N days)
    silent_before: datetime  # last update before it (a started, open task): silent
    lag_pct: int


def _thresholds(ctx: Ctx, policy: Policy) -> _Thresholds:
    today, cal = ctx.today, ctx.calendar
    # lights.compute: yellow when working_days_between(today, due) <= yellow_days (due today and a day off
    # just ahead count 0). The count grows with the date: the last date it allows is the bound.
    soon_by = today
    while cal.working_days_between(today, soon_by + timedelta(days=1)) <= policy.yellow_days:
        soon_by += timedelta(days=1)
    # Silent when working_days_between(local day of the last update, today) >= stale_days; the count shrinks
    # as that day moves forward: the last day still silent, plus one, is where "fresh" begins.
    last_silent = today - timedelta(days=1)
    while cal.working_days_between(last_silent, today) < policy.stale_days:
        last_silent -= timedelta(days=1)
    fresh_from = datetime.combine(last_silent + timedelta(days=1), time(0, 0), tzinfo=ctx.tz)
    return _Thresholds(soon_by, fresh_from, policy.lag_pct)


def _per_force(forces: dict[int, _Thresholds], pick, type_):
    """SQL for one threshold per task force: a CASE over the few distinct values (most forces share one)."""
    by_value: dict[object, list[int]] = {}
    for fid, th in forces.items():
        by_value.setdefault(pick(th), []).append(fid)
    values = sorted(by_value.items(), key=lambda kv: -len(kv[1]))
    common = literal(values[0][0], type_)
    if len(values) == 1:
        return common
    return case(*((col(Task.force_id).in_(ids), literal(v, type_)) for v, ids in values[1:]), else_=common)


def _days(ctx: Ctx, later, earlier):
    """SQL for the days from the date ``earlier`` to the date ``later`` (an integer)."""
    if ctx.session.get_bind().dialect.name == "postgresql":
        return cast(later - earlier, Integer)
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


def _classified(ctx: Ctx, force_ids: list[int], policies: Mapping[int, Policy], since: datetime):
    """The forces' live tasks and those done or added since ``since``, each with its light's class as 0/1
    columns, computed in SQL exactly as ``lights.compute`` decides them (tests/test_digest_scale.py checks
    the two agree): red, yellow, green, grey; silent, blocked, awaiting approval, done or new in the period."""
    today = ctx.today
    ths = {fid: _thresholds(ctx, policies[fid]) for fid in force_ids}
    soon_by = _per_force(ths, lambda th: th.soon_by, Date())
    silent_before = _per_force(ths, lambda th: th.silent_before, UTCDateTime())
    lag = _per_force(ths, lambda th: th.lag_pct, Integer())
    task_id, force, status = col(Task.id), col(Task.force_id), col(Task.status)
    due, start, progress = col(Task.due), col(Task.start_date), col(Task.progress)
    done_at, created_at = col(Task.done_at), col(Task.created_at)
    # A light needs only the open nodes due by the latest "soon" bound (earlier ones are passed: red), and the
    # earliest of them: read through the open-node index, bounded by what is red or soon, not by every node.
    latest = max(th.soon_by for th in ths.values())
    nodes = (sa_select(col(TimeNode.task_id).label("task_id"), func.min(col(TimeNode.due)).label("due"))
             .where(col(TimeNode.done_at).is_(None), col(TimeNode.due) <= latest)
             .group_by(col(TimeNode.task_id)).subquery("open_nodes"))
    pending = (sa_select(col(ExtensionRequest.task_id).label("task_id"))  # the requests waiting (few)
               .where(col(ExtensionRequest.status) == "pending")
               .group_by(col(ExtensionRequest.task_id)).subquery("pending"))
    today_ = literal(today, Date())
    live, open_ = status.in_(LIVE), status.in_(OPEN)
    node_due = nodes.c.due
    started = start <= today_
    red = and_(open_, or_(due < today_, and_(node_due.is_not(None), node_due < today_)))
    # behind: min(100, round(100 × elapsed / span)) − progress > lag_pct, round() as Python's (half to even).
    span = _days(ctx, due, start)
    num = 100 * _days(ctx, today_, start)
    quotient = num // func.nullif(span, 0, type_=Integer)
    rest = num - quotient * span
    expected = quotient + case((2 * rest > span, 1), (2 * rest == span, quotient % 2), else_=0)
    behind = case((and_(started, span > 0), case((and_(expected > progress + lag, progress + lag < 100), 1), else_=0)),
                  else_=0)
    silent = and_(started, func.coalesce(col(Task.last_progress_at), created_at) < silent_before)
    soon = or_(due <= soon_by, and_(node_due.is_not(None), node_due <= soon_by))
    rows = (
        sa_select(task_id.label("id"), force.label("force_id"), status.label("status"), due.label("due"),
                  done_at.label("done_at"),
                  case((red, 1), else_=0).label("red"),
                  case((and_(open_, ~red.self_group(), or_(soon, status == "blocked", behind == 1, silent)), 1),
                       else_=0).label("yellow"),
                  case((and_(open_, ~red.self_group(), silent), 1), else_=0).label("silent"),
                  case((and_(open_, or_(~started, and_(status == "todo", progress == 0))), 1), else_=0).label("idle"),
                  case((status == "blocked", 1), else_=0).label("blocked"),
                  case((and_(live, or_(status == "done_requested", pending.c.task_id.is_not(None))), 1),
                       else_=0).label("approvals"),
                  case((and_(status == "done", done_at >= since), 1), else_=0).label("done"),
                  case((and_(created_at >= since, status != "cancelled"), 1), else_=0).label("new"),
                  case((live, 1), else_=0).label("live"),
                  case((open_, 1), else_=0).label("open"))
        .select_from(Task)
        .outerjoin(nodes, nodes.c.task_id == task_id)
        .outerjoin(pending, pending.c.task_id == task_id)
        .where(force.in_(force_ids), or_(live, and_(status == "done", done_at >= since),
                                         and_(created_at >= since, status != "cancelled")))
    )
    return rows.cte("classified")


SHOWN = {  # section: its rows' order (the old per-force lists: by deadline; done by when; new by id)
    "red": "due", "yellow": "due", "silent": "due", "blocked": "due", "approvals": "due", "done": "done_at", "new": "id",
}


def build_many(ctx: Ctx, forces: list[TaskForce], *, days: int = 7,
               policies: Mapping[int, Policy] | None = None) -> dict[int, Digest]:
    """The digests of many task forces of ``ctx.ws`` at once, by id; the caller checks who may read them.
    A fixed number of statements whatever the number and size of the forces, each set-based: the counts of
    every section grouped by force, the first ``MAX_LINES`` lines of each section (their lights, open nodes,
    owners and pending extensions joined in), the standings grouped by force and department. Only the lines
    shown are read as rows: the lights of the others are counted in SQL."""
    if not forces:
        return {}
    since = ctx.now - timedelta(days=days)
    ids = [f.id for f in forces if f.id is not None]
    given = policies or {}
    pol: dict[int, Policy] = {f.id: given.get(f.id) or effective(f.policy) for f in forces if f.id is not None}
    t = _classified(ctx, ids, pol, since)
    green = and_(t.c.live == 1, t.c.red == 0, t.c.yellow == 0, t.c.idle == 0)  # done_requested is green
    grey = and_(t.c.red == 0, t.c.yellow == 0, t.c.idle == 1)
    others = tuple(name for name in SECTIONS if name not in ("red", "yellow"))  # red and yellow are lights too
    counted = ("red", "yellow", "green", "grey", *others)
    counts = sa_select(t.c.force_id.label("force_id"), func.sum(t.c.red).label("n_red"),
                       func.sum(t.c.yellow).label("n_yellow"), func.sum(case((green, 1), else_=0)).label("n_green"),
                       func.sum(case((grey, 1), else_=0)).label("n_grey"),
                       *(func.sum(t.c[name]).label(f"n_{name}") for name in others)
                       ).group_by(t.c.force_id).subquery("counts")
    # The first MAX_LINES of each section, per force: one ranked union, then the lines' columns joined in.
    parts = [sa_select(t.c.force_id, literal(name, String()).label("section"), t.c.id,
                       (t.c.due if order == "due" else cast(null(), Date())).label("k_day"),
                       (t.c.done_at if order == "done_at" else cast(null(), UTCDateTime())).label("k_at"))
             .where(t.c[name] == 1) for name, order in SHOWN.items()]
    member = union_all(*parts).subquery("member")
    ranked = sa_select(member, func.row_number().over(partition_by=(member.c.force_id, member.c.section),
                                                      order_by=(member.c.k_day, member.c.k_at, member.c.id))
                       .label("rn")).subquery("ranked")
    task_id = col(Task.id)
    shown_lines = (
        sa_select(ranked.c.force_id, ranked.c.section, ranked.c.rn, task_id, col(Task.status), col(Task.progress),
                  col(Task.start_date), col(Task.due), col(Task.created_at), col(Task.last_progress_at),
                  col(Task.title), col(Task.blocked_reason), col(Person.name).label("owner_name"),
                  col(TimeNode.no), col(TimeNode.name).label("node_name"), col(TimeNode.due).label("node_due"),
                  col(ExtensionRequest.id).label("ext_id"), col(ExtensionRequest.new_due).label("ext_due"))
        .join(Task, task_id == ranked.c.id)
        .outerjoin(Person, col(Person.id) == col(Task.owner_id))
        .outerjoin(TimeNode, and_(col(TimeNode.task_id) == task_id, col(TimeNode.done_at).is_(None),
                                  col(Task.status).in_(LIVE)))
        .outerjoin(ExtensionRequest, and_(col(ExtensionRequest.task_id) == task_id,
                                          col(ExtensionRequest.status) == "pending", col(Task.status).in_(LIVE)))
        .where(ranked.c.rn <= MAX_LINES)
    ).subquery("shown")
    # One statement: each force's counts, with its lines (a force with none still has its counts row), so
    # the classification is computed once.
    lines = ctx.session.execute(
        sa_select(counts, *(c for c in shown_lines.c if c.name != "force_id"))
        .select_from(counts.outerjoin(shown_lines, shown_lines.c.force_id == counts.c.force_id))
    ).all()
    totals: dict[int, dict[str, int]] = {}
    for r in lines:
        if r.force_id not in totals:
            totals[r.force_id] = {name: int(getattr(r, f"n_{name}") or 0) for name in counted}
    facts: dict[int, Any] = {}
    nodes: dict[int, dict[int, tuple[str, date]]] = {}
    placed: dict[tuple[int, str], dict[int, int]] = {}
    extension: dict[int, tuple[int, date]] = {}  # a task's pending request (the newest, should there be two)
    for r in lines:
        if r.section is None:
            continue  # a force without a line to show: its counts only
        facts.setdefault(r.id, r)
        if r.node_name is not None:
            nodes.setdefault(r.id, {})[r.no] = (r.node_name, r.node_due)
        if r.ext_id is not None and r.ext_id >= extension.get(r.id, (0, None))[0]:
            extension[r.id] = (r.ext_id, r.ext_due)
        placed.setdefault((r.force_id, r.section), {})[r.id] = r.rn
    standings = rank.rankings_by_force(ctx, ids, pol)
    from models.holiday_notice import next_year_missing

    missing = next_year_missing(ctx.session, ctx.ws.id, ctx.today)
    lights: dict[tuple[int, int], Light] = {}
    out: dict[int, Digest] = {}
    for f in forces:
        assert f.id is not None
        d = Digest(force=f.name, since=since, until=ctx.now)
        figures = totals.get(f.id, {})
        for name in SECTIONS:
            shown = sorted(placed.get((f.id, name), {}).items(), key=lambda kv: kv[1])
            items = []
            for tid, _rn in shown:
                r = facts[tid]
                light = lights.get((f.id, tid))
                if light is None:
                    open_nodes = tuple(v for _no, v in sorted(nodes.get(tid, {}).items()))
                    light = lights[(f.id, tid)] = compute(
                        TaskFacts(r.status, r.progress, r.start_date, r.due, r.created_at, r.last_progress_at, open_nodes),
                        now=ctx.now, tz=ctx.tz, calendar=ctx.calendar, policy=pol[f.id])
                items.append(DigestItem(tid, r.title, r.status, r.owner_name or "?", r.due, light, r.blocked_reason,
                                        extension[tid][1] if tid in extension else None))
            setattr(d, name, Section(items, figures.get(name, 0)))
        d.standings = standings.get(f.id, [])
        d.counts = {c: figures.get(c, 0) for c in ("red", "yellow", "green", "grey")}
        d.calendar_missing = missing
        out[f.id] = d
    return out


def build(ctx: Ctx, force: TaskForce, *, days: int = 7, policy: Policy | None = None,
          batch: Mapping[int, Digest] | None = None) -> Digest:
    """The digest of the last ``days`` days up to ``ctx.now``; the caller checks who may read it.
    ``policy``: the force's, when the caller has it already (the digest job loads them once a run).
    ``batch``: digests the caller built for many forces at once (``build_many``); this force's is taken
    from it when it is there. Otherwise a fixed number of statements whatever the force's size."""
    assert force.id is not None
    if batch is not None and force.id in batch:
        return batch[force.id]
    return build_many(ctx, [force], days=days, policies={force.id: policy or effective(force.policy)})[force.id]
