"""大屏 (the wall screen): its links and its read model, as plain data.

A link is an unguessable token (``secrets.token_urlsafe(32)``) of which only the sha256 is kept:
read-only, one workspace and, for a task force's screen, one task force; it expires and can be
revoked. The read model is computed from the same functions as the chat views (``lists.lit`` for
the counts per light, ``rank.ranking`` for the horse race, the task cards for the bars), so the
screen and ``/task list`` can never disagree.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import audit, forces, lists, org, rank
from models.context import Ctx
from models.errors import role_denied
from models.i18n import Msg
from models.lights import RED
from models.status import LIVE
from models.tables import (
    Department,
    EscalationState,
    EscalationStep,
    ExtensionRequest,
    Person,
    ProgressUpdate,
    ScreenToken,
    Task,
    TaskForce,
    TimeNode,
    Workspace,
)

TOKEN_DAYS = 30  # a link's life unless revoked earlier
MAX_BARS = 26  # task bars on one screen: readable from across a room
MAX_LANES = 9  # departments drawn; the rest are counted
MAX_ITEMS = 7  # lines of a list panel (flags, escalations, coming days, notes)
COMING_DAYS = 5  # working days the "coming days" panel looks ahead


# ---------------------------------------------------------------- links


def hash_token(raw: str) -> str:
    """The stored form of a link's token: its sha256, hex."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _province_allowed(ctx: Ctx) -> None:
    if not org.has_role(ctx.session, ctx.actor, "leader"):  # admins hold every role
        raise role_denied("leader")


def _force_for(ctx: Ctx, name: str | None) -> TaskForce:
    force = forces.find_force(ctx, name, allow_closed=False)
    forces.require_lead(ctx, force)
    return force


def _ids(ctx: Ctx) -> tuple[int, int]:
    assert ctx.ws.id is not None and ctx.actor.id is not None
    return ctx.ws.id, ctx.actor.id


def issue(ctx: Ctx, force_name: str | None, *, province: bool = False, days: int = TOKEN_DAYS) -> tuple[str, ScreenToken]:
    """A new link (the raw token, shown once, and its row). A force's lead (or an admin) for a force's screen;
    a leader or an admin for the province overview. Audited."""
    force: TaskForce | None = None
    if province:
        _province_allowed(ctx)
    else:
        force = _force_for(ctx, force_name)
    raw = secrets.token_urlsafe(32)
    ws_id, actor_id = _ids(ctx)
    row = ScreenToken(workspace_id=ws_id, force_id=force.id if force else None, token_hash=hash_token(raw),
                      created_by_id=actor_id, created_at=ctx.now, expires_at=ctx.now + timedelta(days=days))
    ctx.session.add(row)
    ctx.session.flush()
    audit.record(ctx.session, workspace_id=ws_id, actor=ctx.actor, action="screen.issue", entity="screentoken",
                 entity_id=row.id, now=ctx.now, force_id=row.force_id, expires_at=row.expires_at)
    return raw, row


def revoke(ctx: Ctx, force_name: str | None, *, province: bool = False) -> tuple[int, TaskForce | None]:
    """Revokes every live link of the force's screen (or of the province overview); how many. Audited."""
    force: TaskForce | None = None
    if province:
        _province_allowed(ctx)
    else:
        force = _force_for(ctx, force_name)
    q = select(ScreenToken).where(ScreenToken.workspace_id == ctx.ws.id, col(ScreenToken.revoked_at).is_(None),
                                  ScreenToken.expires_at > ctx.now)
    q = q.where(ScreenToken.force_id == force.id) if force else q.where(col(ScreenToken.force_id).is_(None))
    rows = list(ctx.session.exec(q).all())
    ws_id, actor_id = _ids(ctx)
    for row in rows:
        row.revoked_at, row.revoked_by_id = ctx.now, actor_id
        ctx.session.add(row)
    audit.record(ctx.session, workspace_id=ws_id, actor=ctx.actor, action="screen.revoke", entity="screentoken",
                 entity_id=None, now=ctx.now, force_id=force.id if force else None, revoked=len(rows))
    return len(rows), force


@dataclass(frozen=True)
class Grant:
    """What a valid link lets its holder read: one workspace, maybe one task force, until ``expires_at``."""

    token_id: int
    workspace_id: int
    force_id: int | None
    created_by_id: int
    expires_at: datetime


def valid(row: ScreenToken | None, now: datetime) -> bool:
    return row is not None and row.revoked_at is None and row.expires_at > now


def resolve(session: Session, raw: str, *, now: datetime) -> Grant | None:
    """The grant of a raw token, or None for a bad, expired or revoked one (the caller answers 404)."""
    if not raw or len(raw) > 200:
        return None
    row = session.exec(select(ScreenToken).where(ScreenToken.token_hash == hash_token(raw))).first()
    if row is None or not valid(row, now):
        return None
    if row.force_id is not None:
        force = session.get(TaskForce, row.force_id)
        if force is None or force.workspace_id != row.workspace_id or force.status != "open":
            return None
    assert row.id is not None
    return Grant(row.id, row.workspace_id, row.force_id, row.created_by_id, row.expires_at)


def live_grants(session: Session, workspace_ids: set[int], *, now: datetime) -> set[int]:
    """The ids of the links still valid in these workspaces: one query, however many screens are open."""
    if not workspace_ids:
        return set()
    return {i for i in session.exec(select(col(ScreenToken.id)).where(
        col(ScreenToken.workspace_id).in_(workspace_ids), col(ScreenToken.revoked_at).is_(None),
        ScreenToken.expires_at > now)).all() if i is not None}


def context(session: Session, grant: Grant, *, now: datetime, tz, default_lang: str = "zh") -> Ctx:
    """The read-only context a screen is computed in: its workspace, seen by the link's creator."""
    ws = session.get(Workspace, grant.workspace_id)
    actor = session.get(Person, grant.created_by_id)
    assert ws is not None and actor is not None
    return Ctx(session, ws, actor, now, tz=tz, default_lang=default_lang)


# ---------------------------------------------------------------- the read model


@dataclass(frozen=True)
class Bar:
    """A task drawn against time: start to deadline, filled to its progress, lit; nodes and a moved baseline."""

    id: int
    title: str
    owner: str
    color: str
    progress: int
    start: date
    due: date
    baseline: date | None  # the first deadline, when it moved
    nodes: tuple[tuple[date, bool], ...]


@dataclass(frozen=True)
class Lane:
    """An owning department (责任单位) and its tasks: counts over all of them, bars for the most urgent."""

    dept: str | None
    counts: dict[str, int]
    bars: tuple[Bar, ...]
    more: int


@dataclass(frozen=True)
class Flag:
    """红旗 (done this week) or 黑旗 (overdue): a task with its day."""

    id: int
    title: str
    owner: str
    dept: str | None
    day: date
    days: int = 0  # working days overdue (黑旗)


@dataclass(frozen=True)
class Escalation:
    """督办 in progress: the last notice sent for an open episode."""

    ref: Msg
    level: int
    task_id: int
    title: str
    owner: str


@dataclass(frozen=True)
class Coming:
    """A deadline or a time node on one of the coming working days."""

    day: date
    task_id: int
    title: str
    owner: str
    node: str | None  # None: the task's deadline


@dataclass(frozen=True)
class Note:
    """A progress report with words."""

    at: datetime
    who: str
    task_id: int
    title: str
    percent: int
    note: str


@dataclass(frozen=True)
class Week:
    """How the week moved: new tasks, done (红旗), newly overdue, deadlines moved by an approved extension."""

    since: date
    new: int
    done: int
    overdue: int
    extended: int


@dataclass(frozen=True)
class ForceScreen:
    force_id: int
    name: str
    now: datetime
    today: date
    counts: dict[str, int]
    week: Week
    lanes: tuple[Lane, ...]
    lanes_more: int
    window: tuple[date, date]
    red_flags: tuple[Flag, ...]
    red_total: int
    black_flags: tuple[Flag, ...]
    black_total: int
    standings: tuple[rank.RankRow, ...]
    escalations: tuple[Escalation, ...]
    escalations_total: int
    coming: tuple[Coming, ...]
    coming_until: date
    notes: tuple[Note, ...]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Tile:
    force_id: int
    name: str
    counts: dict[str, int]
    done_week: int
    escalations: int
    reds: tuple[Flag, ...] = field(default_factory=tuple)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class ProvinceScreen:
    now: datetime
    today: date
    counts: dict[str, int]
    tiles: tuple[Tile, ...]
    standings: tuple[rank.RankRow, ...]
    escalations: tuple[Escalation, ...]
    escalations_total: int
    notes: tuple[Note, ...]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def week_start(ctx: Ctx) -> datetime:
    """Monday 00:00 of this week in the organisation's zone (as the weekly digest counts it)."""
    today = ctx.today
    return datetime.combine(today - timedelta(days=today.weekday()), time(0, 0), tzinfo=ctx.tz)


def force_lits(ctx: Ctx, force_id: int) -> list[lists.Lit]:
    """The force's live tasks, lit: exactly what ``/task list force:<name>`` counts for a member."""
    return lists.lit(ctx, Task.workspace_id == ctx.ws.id, col(Task.status).in_(LIVE), Task.force_id == force_id)


def _names(session: Session, model, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.exec(select(model.id, model.name).where(col(model.id).in_(ids))).all())


def force_screen(ctx: Ctx, force: TaskForce) -> ForceScreen:
    """A task force's screen, computed in a fixed number of queries whatever its size."""
    from models.tasks import views

    assert force.id is not None
    lits = force_lits(ctx, force.id)
    counts = lists.count(lits)
    dept_names = _names(ctx.session, Department, {x.department_id for x in lits if x.department_id})
    lanes_lits: dict[int | None, list[lists.Lit]] = {}
    for x in lits:
        lanes_lits.setdefault(x.department_id, []).append(x)

    def weight(dept_id: int | None) -> tuple:
        c = Counter(x.color for x in lanes_lits[dept_id])
        return -c["red"], -c["yellow"], dept_id is None, dept_names.get(dept_id or 0, "")

    order = sorted(lanes_lits, key=weight)
    shown, lanes_more = order[:MAX_LANES], max(0, len(order) - MAX_LANES)
    per_lane = max(1, MAX_BARS // max(1, len(shown)))
    picked = {d: lanes_lits[d][:per_lane] for d in shown}  # lits are red first, then by deadline
    ids = [x.id for d in shown for x in picked[d]]
    cards = {v.id: v for v in lists.cards(ctx, ids, views)}
    lanes = []
    for d in shown:
        bars = tuple(_bar(cards[x.id]) for x in picked[d] if x.id in cards)
        lanes.append(Lane(dept_names.get(d) if d else None, lists.count(lanes_lits[d]), bars,
                          len(lanes_lits[d]) - len(bars)))
    window = _window(ctx.today, [b for lane in lanes for b in lane.bars])

    since = week_start(ctx)
    people: set[int] = {x.owner_id for x in lits}
    red_rows = ctx.session.execute(
        sa_select(col(Task.id), col(Task.title), col(Task.owner_id), col(Task.department_id), col(Task.done_at),
                  col(Task.done_requested_at))
        .where(col(Task.force_id) == force.id, col(Task.status).in_(("done", "done_requested")),
               func.coalesce(Task.done_at, Task.done_requested_at) >= since)
        .order_by(func.coalesce(Task.done_at, Task.done_requested_at).desc())).all()
    people |= {r[2] for r in red_rows}
    blacks = [x for x in lits if x.color == RED]
    esc, esc_total = _escalations(ctx, Task.force_id == force.id)
    people |= {e[3] for e in esc}
    coming_until = ctx.calendar.add_working_days(ctx.today, COMING_DAYS)
    coming_rows = _coming(ctx, force.id, coming_until)
    people |= {r[3] for r in coming_rows}
    note_rows = _notes(ctx, Task.force_id == force.id)
    people |= {r[1] for r in note_rows}
    who = _names(ctx.session, Person, people)
    dept_names |= _names(ctx.session, Department, {r[3] for r in red_rows if r[3]} - set(dept_names))

    week = Week(
        since=since.date(),
        new=int(ctx.session.exec(select(func.count()).select_from(Task).where(
            Task.force_id == force.id, Task.created_at >= since, Task.status != "cancelled")).one()),
        done=len(red_rows),
        overdue=sum(1 for x in blacks if since.date() <= x.due < ctx.today),
        extended=int(ctx.session.exec(select(func.count()).select_from(ExtensionRequest)
                                      .join(Task, col(Task.id) == ExtensionRequest.task_id)
                                      .where(Task.force_id == force.id, ExtensionRequest.status == "approved",
                                             col(ExtensionRequest.decided_at) >= since)).one()),
    )
    titles = dict(ctx.session.exec(select(Task.id, Task.title).where(
        col(Task.id).in_([x.id for x in blacks[:MAX_ITEMS]]))).all()) if blacks else {}
    return ForceScreen(
        force_id=force.id, name=force.name, now=ctx.now, today=ctx.today, counts=counts, week=week,
        lanes=tuple(lanes), lanes_more=lanes_more, window=window,
        red_flags=tuple(Flag(r[0], r[1], who.get(r[2], "?"), dept_names.get(r[3] or 0),
                             ctx.today if (r[4] or r[5]) is None else (r[4] or r[5]).astimezone(ctx.tz).date())
                        for r in red_rows[:MAX_ITEMS]),
        red_total=len(red_rows),
        black_flags=tuple(Flag(x.id, titles.get(x.id, ""), who.get(x.owner_id, "?"), dept_names.get(x.department_id or 0),
                               x.due, ctx.calendar.working_days_between(x.due, ctx.today) if x.due < ctx.today else 0)
                          for x in blacks[:MAX_ITEMS]),
        black_total=len(blacks),
        standings=tuple(rank.ranking(ctx, "dept", force_id=force.id)),
        escalations=tuple(Escalation(e[0], e[1], e[2], e[4], who.get(e[3], "?")) for e in esc),
        escalations_total=esc_total,
        coming=tuple(Coming(r[0], r[1], r[2], who.get(r[3], "?"), r[4]) for r in coming_rows),
        coming_until=coming_until,
        notes=tuple(Note(r[5], who.get(r[1], "?"), r[0], r[2], r[3], r[4]) for r in note_rows),
    )


def _bar(v) -> Bar:
    return Bar(v.id, v.title, v.owner_name, v.light.color, v.progress, v.start_date, v.due,
               v.baseline_due if v.moved else None, tuple((n.due, n.done) for n in v.nodes))


def _window(today: date, bars: list[Bar]) -> tuple[date, date]:
    """The dates the time axis spans: today and every bar, clipped to a year back and two ahead."""
    lo_cap, hi_cap = today - timedelta(days=366), today + timedelta(days=2 * 366)
    if not bars:
        return today - timedelta(days=7), today + timedelta(days=30)
    lo = max(lo_cap, min([today, *(b.start for b in bars)]))
    hi = min(hi_cap, max([today, *(max(b.due, b.baseline or b.due) for b in bars)]))
    pad = max(3, (hi - lo).days // 20)
    return lo - timedelta(days=pad), hi + timedelta(days=pad)


def _escalations(ctx: Ctx, *where) -> tuple[list[tuple[Msg, int, int, int, str]], int]:
    """Open 督办 episodes (the task, its last numbered notice), highest level first; and how many."""
    states = ctx.session.exec(
        select(col(EscalationState.id), col(Task.id), Task.owner_id, Task.title)
        .join(Task, col(Task.id) == EscalationState.task_id)
        .where(Task.workspace_id == ctx.ws.id, EscalationState.status == "open", col(Task.status).in_(LIVE), *where)
    ).all()
    if not states:
        return [], 0
    by_state = {s[0]: s for s in states}
    last: dict[int, EscalationStep] = {}
    for step in ctx.session.exec(select(EscalationStep).where(col(EscalationStep.state_id).in_(list(by_state)),
                                                              col(EscalationStep.series).is_not(None))
                                 .order_by(col(EscalationStep.level))).all():
        last[step.state_id] = step
    from models.escalation import ref

    out = [(ref(step), step.level, by_state[sid][1] or 0, by_state[sid][2], by_state[sid][3])
           for sid, step in last.items()]
    out.sort(key=lambda e: (-e[1], e[2]))
    return out[:MAX_ITEMS], len(out)


def _coming(ctx: Ctx, force_id: int, until: date) -> list[tuple[date, int, str, int, str | None]]:
    """Deadlines and open time nodes from today to ``until`` (working days ahead), soonest first."""
    live = col(Task.status).in_(LIVE)
    rows: list[tuple[date, int, str, int, str | None]] = [
        (due, tid or 0, title, owner, None) for due, tid, title, owner in ctx.session.exec(
            select(col(Task.due), col(Task.id), col(Task.title), col(Task.owner_id)).where(
                Task.force_id == force_id, live, Task.due >= ctx.today, Task.due <= until)).all()]
    rows += [(due, tid, title, owner, name) for due, tid, title, owner, name in ctx.session.execute(
        sa_select(col(TimeNode.due), col(Task.id), col(Task.title), col(Task.owner_id), col(TimeNode.name))
        .join(Task, col(Task.id) == TimeNode.task_id)
        .where(col(Task.force_id) == force_id, live, col(TimeNode.done_at).is_(None), col(TimeNode.due) >= ctx.today,
               col(TimeNode.due) <= until)).all()]
    rows.sort(key=lambda r: (r[0], r[1], r[4] or ""))
    return rows[:MAX_ITEMS]


def _notes(ctx: Ctx, *where) -> list[tuple[int, int, str, int, str, datetime]]:
    """The latest progress reports with words, newest first."""
    return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in ctx.session.execute(
        sa_select(col(Task.id), col(ProgressUpdate.person_id), col(Task.title), col(ProgressUpdate.percent),
                  col(ProgressUpdate.note), col(ProgressUpdate.created_at))
        .join(Task, col(Task.id) == ProgressUpdate.task_id)
        .where(col(Task.workspace_id) == ctx.ws.id, col(ProgressUpdate.note) != "", *where)
        .order_by(col(ProgressUpdate.id).desc()).limit(MAX_ITEMS)).all()]


def province_screen(ctx: Ctx) -> ProvinceScreen:
    """Every open task force as a tile with its counts per light (the same lights as its own screen)."""
    open_forces = list(ctx.session.exec(select(TaskForce).where(TaskForce.workspace_id == ctx.ws.id,
                                                               TaskForce.status == "open")
                                        .order_by(col(TaskForce.id))).all())
    ids = [f.id for f in open_forces]
    lits = lists.lit(ctx, Task.workspace_id == ctx.ws.id, col(Task.status).in_(LIVE), col(Task.force_id).in_(ids)) \
        if ids else []
    by_force: dict[int | None, list[lists.Lit]] = {}
    for x in lits:
        by_force.setdefault(x.force_id, []).append(x)
    since = week_start(ctx)
    done = dict(ctx.session.exec(select(Task.force_id, func.count()).where(
        col(Task.force_id).in_(ids), col(Task.status).in_(("done", "done_requested")),
        func.coalesce(Task.done_at, Task.done_requested_at) >= since).group_by(col(Task.force_id))).all()) if ids else {}
    esc, esc_total = _escalations(ctx, col(Task.force_id).in_(ids)) if ids else ([], 0)
    per_force_esc = Counter(ctx.session.exec(
        select(Task.force_id).join(EscalationState, col(EscalationState.task_id) == Task.id)
        .where(col(Task.force_id).in_(ids), EscalationState.status == "open", col(Task.status).in_(LIVE))).all()) \
        if ids else Counter()
    reds = {fid: [x for x in rows if x.color == RED][:3] for fid, rows in by_force.items()}
    red_ids = [x.id for rs in reds.values() for x in rs]
    titles = dict(ctx.session.exec(select(Task.id, Task.title).where(col(Task.id).in_(red_ids))).all()) if red_ids else {}
    note_rows = _notes(ctx, col(Task.force_id).in_(ids)) if ids else []
    who = _names(ctx.session, Person, {x.owner_id for rs in reds.values() for x in rs} | {e[3] for e in esc}
                 | {r[1] for r in note_rows})
    tiles = tuple(
        Tile(f.id, f.name, lists.count(by_force.get(f.id, [])), int(done.get(f.id, 0)), per_force_esc.get(f.id, 0),
             tuple(Flag(x.id, titles.get(x.id, ""), who.get(x.owner_id, "?"), None, x.due,
                        ctx.calendar.working_days_between(x.due, ctx.today) if x.due < ctx.today else 0)
                   for x in reds.get(f.id, [])))
        for f in open_forces if f.id is not None)
    tiles = tuple(sorted(tiles, key=lambda t: (-t.counts["red"], -t.counts["yellow"], t.force_id)))
    return ProvinceScreen(
        now=ctx.now, today=ctx.today, counts=lists.count(lits), tiles=tiles,
        standings=tuple(rank.ranking(ctx, "force")),
        escalations=tuple(Escalation(e[0], e[1], e[2], e[4], who.get(e[3], "?")) for e in esc),
        escalations_total=esc_total,
        notes=tuple(Note(r[5], who.get(r[1], "?"), r[0], r[2], r[3], r[4]) for r in note_rows),
    )


def screen_for(ctx: Ctx, grant: Grant) -> ForceScreen | ProvinceScreen:
    """What a link shows, now; a force that closed since is refused (the caller answers 404)."""
    if grant.force_id is None:
        return province_screen(ctx)
    force = ctx.session.get(TaskForce, grant.force_id)
    if force is None or force.workspace_id != grant.workspace_id or force.status != "open":
        raise LookupError("the task force of this screen is closed")
    return force_screen(ctx, force)
