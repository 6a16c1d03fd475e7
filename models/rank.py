"""赛马 (horse race): departments and task forces ranked openly on results.

Score out of 100 = 50 × on-time completion rate + 30 × (1 − overdue share of live tasks)
+ 20 × update timeliness (share of live tasks updated within their task force's silence window).
A unit with nothing finished yet scores its on-time part as neutral (0.5) rather than perfect,
so an idle department does not top the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import and_, case, func, literal, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from models.context import Ctx
from models.db import UTCDateTime
from models.policy import DEFAULT, Policy
from models.status import LIVE, OPEN
from models.tables import Department, Task, TaskForce


@dataclass(frozen=True)
class RankRow:
    rank: int
    name: str
    done: int
    done_on_time: int
    live: int
    overdue: int
    fresh: int
    score: float

    @property
    def on_time_rate(self) -> float | None:
        return self.done_on_time / self.done if self.done else None


def _score(done: int, on_time: int, live: int, overdue: int, fresh: int) -> float:
    on_time_rate = on_time / done if done else 0.5
    overdue_share = overdue / live if live else 0.0
    fresh_rate = fresh / live if live else 1.0
    return round(50 * on_time_rate + 30 * (1 - overdue_share) + 20 * fresh_rate, 1)


SINCE_DAYS = 365  # completions counted: the last year


def ranking(ctx: Ctx, by: str = "dept", *, since_days: int = SINCE_DAYS, force_id: int | None = None,
            policies: Mapping[int, Policy] | None = None) -> list[RankRow]:
    """The table, best first; one aggregate query grouped in SQL, so its cost does not grow with a loop
    over units. ``policies``: the task forces' policies when the caller has them (a digest run loads
    them once); otherwise the overrides are read once, for ``force_id`` alone when it is given."""
    fresh_cutoff = _fresh_cutoff(ctx, _stale_days(ctx, force_id, policies))
    q = _aggregate(ctx, by, since_days=since_days, fresh_cutoff=fresh_cutoff)
    if force_id is not None:
        q = q.where(col(Task.force_id) == force_id)
    return _ranked(ctx.session.execute(q).all())


def rankings_by_force(ctx: Ctx, force_ids: Sequence[int], policies: Mapping[int, Policy], *,
                      since_days: int = SINCE_DAYS) -> dict[int, list[RankRow]]:
    """Each task force's department table (``ranking(ctx, "dept", force_id=…)`` for every force given), in
    one aggregate query grouped by force and department: a digest run's standings for many forces at once."""
    if not force_ids:
        return {}
    wanted = set(force_ids)
    fresh_cutoff = _fresh_cutoff(ctx, _stale_days(ctx, None, {f: p for f, p in policies.items() if f in wanted}))
    force = col(Task.force_id)
    q = _aggregate(ctx, "dept", since_days=since_days, fresh_cutoff=fresh_cutoff, per=force)
    q = q.where(force.in_(list(wanted)))
    rows: dict[int, list[tuple]] = {f: [] for f in force_ids}
    for row in ctx.session.execute(q).all():
        rows[int(row[0])].append(tuple(row[1:]))
    return {f: _ranked(r) for f, r in rows.items()}


def _aggregate(ctx: Ctx, by: str, *, since_days: int, fresh_cutoff, per=None):
    """The grouped counts per unit (and per ``per`` column first, when given): unit id, name, done, done on
    time, live, overdue, fresh."""
    key = col(Task.department_id) if by == "dept" else col(Task.force_id)
    unit = Department if by == "dept" else TaskForce
    unit_id, unit_name = col(unit.id), col(unit.name)
    groups = (key, unit_name) if per is None else (per, key, unit_name)
    return (
        sa_select(*((per,) if per is not None else ()), key, unit_name,  # sqlmodel's select is typed for up to four columns
                  *_figures(ctx, since_days=since_days, fresh_cutoff=fresh_cutoff))
        .join(unit, unit_id == key)  # the unit's name in the same statement
        .where(col(Task.workspace_id) == ctx.ws.id)
        .group_by(*groups)
    )


def _figures(ctx: Ctx, *, since_days: int, fresh_cutoff) -> tuple:
    """SQL sums over a group of tasks: done (in the period), done on time, live, overdue, fresh."""
    today = ctx.today
    since = ctx.now - timedelta(days=since_days)
    status, due, done_at = col(Task.status), col(Task.due), col(Task.done_at)
    live = status.in_(LIVE)
    done = status == "done"
    # done_at is a UTC timestamp and the deadline a local day: compare the day it was done on.
    return (
        func.sum(case((and_(done, done_at >= since), 1), else_=0)),
        func.sum(case((and_(done, done_at >= since, _local_date(done_at, ctx) <= due), 1), else_=0)),
        func.sum(case((live, 1), else_=0)),
        func.sum(case((and_(status.in_(OPEN), due < today), 1), else_=0)),  # overdue: models.status
        func.sum(case((and_(live, func.coalesce(col(Task.last_progress_at), col(Task.created_at)) >= fresh_cutoff), 1),
                      else_=0)),
    )


@dataclass(frozen=True)
class Tally:
    """The ranking's counts for the tasks of one unit (a task force, or a department), and ``extra`` sums."""

    done: int
    done_on_time: int
    live: int
    overdue: int
    fresh: int
    extra: tuple[int, ...]


@dataclass(frozen=True)
class Tallies:
    """The workspace's tasks counted per task force and per department (None: tasks without one)."""

    by_force: dict[int | None, Tally]
    by_dept: dict[int | None, Tally]


def tallies(ctx: Ctx, *extra, since_days: int = SINCE_DAYS) -> Tallies:
    """The ranking's counts and the sums ``extra`` (SQL expressions over a task) per task force and per
    department, in one pass over the workspace's tasks (PostgreSQL: GROUPING SETS, hashed; elsewhere two
    grouped queries): the tables by department and by task force (``table``) and any other per-force figure
    come from it, so a caller needing several reads the tasks once."""
    fresh_cutoff = _fresh_cutoff(ctx, _stale_days(ctx, None, None))
    force, dept = col(Task.force_id), col(Task.department_id)
    sums = (*_figures(ctx, since_days=since_days, fresh_cutoff=fresh_cutoff), *(func.sum(e) for e in extra))
    in_ws = col(Task.workspace_id) == ctx.ws.id
    if ctx.session.get_bind().dialect.name == "postgresql":
        q = (sa_select(func.grouping(force, dept), force, dept, *sums).where(in_ws)
             .group_by(func.grouping_sets(tuple_(force), tuple_(dept))))
        rows = [(bool(g & 1), f, d, rest) for g, f, d, *rest in ctx.session.execute(q).all()]  # bit 0: dept not grouped
    else:
        rows = [(True, f, None, rest) for f, *rest in ctx.session.execute(sa_select(force, *sums).where(in_ws)
                                                                          .group_by(force)).all()]
        rows += [(False, None, d, rest) for d, *rest in ctx.session.execute(sa_select(dept, *sums).where(in_ws)
                                                                            .group_by(dept)).all()]
    out = Tallies({}, {})
    for per_force, f, d, rest in rows:
        done, on_time, live, overdue, fresh = (int(x or 0) for x in rest[:5])
        tally = Tally(done, on_time, live, overdue, fresh, tuple(int(x or 0) for x in rest[5:]))
        if per_force:
            out.by_force[f] = tally
        else:
            out.by_dept[d] = tally
    return out


def table(ctx: Ctx, by: str, counted: Tallies) -> list[RankRow]:
    """``ranking(ctx, by)`` from ``tallies``: each unit's counts, named, scored."""
    units = {u: t for u, t in (counted.by_dept if by == "dept" else counted.by_force).items() if u is not None}
    if not units:
        return []
    unit = Department if by == "dept" else TaskForce
    names: dict[int, str] = {int(i): n for i, n in ctx.session.execute(
        sa_select(col(unit.id), col(unit.name)).where(col(unit.id).in_(list(units)))).all()}
    return _ranked((u, names[u], t.done, t.done_on_time, t.live, t.overdue, t.fresh)
                   for u, t in units.items() if u in names)


def _ranked(rows: Iterable[Sequence]) -> list[RankRow]:
    """(unit, name, done, on time, live, overdue, fresh) rows as the table: scored, best first, ties sharing
    a rank; units with nothing done or live are left out."""
    scored = []
    for _unit, name, n_done, n_on_time, n_live, n_overdue, n_fresh in rows:
        n_done, n_on_time, n_live, n_overdue, n_fresh = (int(x or 0) for x in (n_done, n_on_time, n_live, n_overdue, n_fresh))
        if n_done + n_live == 0:
            continue
        scored.append((name, n_done, n_on_time, n_live, n_overdue, n_fresh,
                       _score(n_done, n_on_time, n_live, n_overdue, n_fresh)))
    scored.sort(key=lambda r: (-r[6], r[4], r[0]))
    out: list[RankRow] = []
    for i, r in enumerate(scored):
        rank = out[-1].rank if out and out[-1].score == r[6] else i + 1
        out.append(RankRow(rank, *r))
    return out


def _stale_days(ctx: Ctx, force_id: int | None, policies: Mapping[int, Policy] | None) -> dict[int, list[int]]:
    """The task forces whose ``stale_days`` is not the default, by their value: from ``policies`` when
    given, else read once (one row when the table is for one force)."""
    if policies is not None:
        pairs = [(fid, p.stale_days) for fid, p in policies.items() if force_id is None or fid == force_id]
    else:
        q = select(TaskForce.id, TaskForce.policy).where(TaskForce.workspace_id == ctx.ws.id,
                                                         col(TaskForce.policy).is_not(None))
        if force_id is not None:
            q = q.where(col(TaskForce.id) == force_id)
        pairs = [(int(fid), int((policy or {}).get("stale_days") or DEFAULT.stale_days))
                 for fid, policy in ctx.session.exec(q).all()]
    by_days: dict[int, list[int]] = {}
    for fid, days in pairs:
        if days != DEFAULT.stale_days:
            by_days.setdefault(days, []).append(fid)
    return by_days


def _fresh_cutoff(ctx: Ctx, by_days: dict[int, list[int]]):
    """SQL for "updated recently enough", per task force: each force's own ``stale_days`` (most use
    the default, so this is a CASE over the few forces that override it)."""
    def cutoff(days: int) -> datetime:
        return datetime.combine(ctx.calendar.add_working_days(ctx.today, -days), time(0, 0), tzinfo=ctx.tz)

    default = literal(cutoff(DEFAULT.stale_days), UTCDateTime())
    if not by_days:
        return default
    return case(*((col(Task.force_id).in_(ids), literal(cutoff(days), UTCDateTime())) for days, ids in by_days.items()),
                else_=default)


def _local_date(col, ctx: Ctx):
    """SQL for the org-zone calendar day of a UTC timestamp column.

    PostgreSQL converts with the zone's rules; SQLite has no zone database, so it shifts by the
    zone's current offset (exact for China, which has no daylight saving time)."""
    if ctx.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(ctx.tz.key, col))
    minutes = int((ctx.now.astimezone(ctx.tz).utcoffset() or timedelta(0)).total_seconds() // 60)
    return func.date(col, f"{minutes:+d} minutes")
