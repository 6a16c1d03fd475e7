"""Periodic sweeps: reminders, nudges, escalations (督办) and notice re-sends. Every sweep takes
``now`` and never reads the clock. (The digest and meeting jobs take one item per transaction
through ``jobs/isolation.py``; the briefings job gathers what these sweeps hold, ``jobs/briefings.py``.)

A sweep selects what is due through an index, so its cost follows what is due, not what exists, and
streams the candidates a page at a time (keyset pagination), so its memory follows a page. What a sweep
already did is also marked on the task or node row (``models/markers.py``), so the index entries it reads
are those still due, not every task near its deadline. Reminders,
nudges and escalations handle 500 items a transaction, set-based (rows, people and leader chains
loaded once per chunk, multi-row inserts, notice numbers reserved per chunk); notices handle each
item in its own short transaction. Either way the rows are locked (on PostgreSQL ``FOR UPDATE SKIP
LOCKED``, so parallel processes share items instead of queueing on them), re-read, the guard clauses
applied, the steps marked done with unique rows (one multi-row ``INSERT … ON CONFLICT DO NOTHING
RETURNING`` for a chunk) and outbox rows with idempotency keys written for exactly the steps written.
Running a sweep again, late, or in several processes at once therefore writes nothing twice; a
failing item is logged and retried by the next run without stopping the others (a failing chunk is
redone an item per transaction).

Every sweep returns the number of outbox rows (messages) it wrote. Messages a sweep decides on in
quiet hours or on a day off wait for the next working morning, except for high-priority tasks.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, Table, and_, case, exists, or_, text, true, update
from sqlalchemy import null as sa_null
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, func, select

from models import escalation, i18n, notices, outbox
from models.calendar import WorkCalendar, local_today, to_local
from models.db import is_postgres, session_scope
from models.escalation import must
from models.i18n import Day, Msg
from models.org import calendar_for
from models.policy import DEFAULT, Policy, effective
from models.sqlutil import ids_in, insert_ignore, insert_ignore_many, literal_in, skip_locked, update_many
from models.status import OPEN  # LIVE: ix_task_live_due's predicate; OPEN: reminders apply
from models.tables import (
    NODE_ESC_CHECK_SQL,
    TASK_ESC_CHECK_SQL,
    Department,
    EscalationState,
    EscalationStep,
    ForceMember,
    Notice,
    NoticeReceipt,
    Person,
    SweepLog,
    Task,
    TaskCoOwner,
    TaskForce,
    TimeNode,
    Workspace,
)
from models.timing import (
    Step,
    at_hour,
    due_levels,
    due_reminder,
    entry_delays,
    level_moments,
    reminder_horizon,
    send_time,
    silence_cutoff,
)

log = logging.getLogger(__name__)

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_LANG = "zh"
# A silence that began longer ago than this when first seen is not nudged: it was nudged when it
# began (unless the bot was down for a month), and digests list silent tasks anyway.
NUDGE_LOOKBACK = timedelta(days=30)
CHUNK = 100  # items re-checked and prepared together before their own transactions
SET_CHUNK = 500  # items handled in one transaction by a set-based sweep (multi-row inserts)
PAGE = 1_000  # candidates read at a time (keyset pagination): a sweep's memory follows a page

T = TypeVar("T")

# What a message to a person reads of them (``outbox.person_row``): the sweeps load these columns, not ORM rows.
_PERSON_COLUMNS = (col(Person.id), col(Person.workspace_id), col(Person.chat_user_id), col(Person.lang))
# What the reminders and nudges read of a task they lock.
_TASK_COLUMNS = (col(Task.id), col(Task.workspace_id), col(Task.force_id), col(Task.owner_id), col(Task.title),
                 col(Task.priority), col(Task.status), col(Task.progress), col(Task.start_date), col(Task.due),
                 col(Task.created_at), col(Task.last_progress_at), col(Task.reminded_at))
_NODE_COLUMNS = (col(TimeNode.id), col(TimeNode.task_id), col(TimeNode.name), col(TimeNode.due), col(TimeNode.created_at),
                 col(TimeNode.done_at))

# The policies in force, by their stored overrides, shared by the process's runs: validating a thousand
# forces' policies on every run of every sweep cost more than the sweep's own decisions. Sweeps only read them.
_POLICIES: dict[str, Policy] = {}


def _effective(overrides: Mapping[str, Any] | None) -> Policy:
    key = json.dumps(overrides or {}, sort_keys=True, default=str)
    policy = _POLICIES.get(key)
    if policy is None:
        if len(_POLICIES) >= 10_000:
            _POLICIES.clear()
        policy = _POLICIES[key] = effective(dict(overrides or {}))
    return policy


@dataclass
class _Run:
    """One sweep run: the moment it acts for, and caches valid for the run."""

    engine: Engine
    now: datetime
    tz: ZoneInfo
    lang: str
    _calendars: dict[int, WorkCalendar] = field(default_factory=dict)
    _policies: dict[int | None, Policy] = field(default_factory=dict)
    # People and co-owners, loaded a chunk at a time: a sweep does not re-read them per item.
    _people: dict[int, Any] = field(default_factory=dict)
    _co_owners: dict[int, list[int]] = field(default_factory=dict)
    # Decisions shared by the rows of a run (the policies in ``_policies`` keep their ids stable meanwhile).
    _steps: dict[tuple[Any, ...], Step | None] = field(default_factory=dict)
    _send: dict[tuple[Any, ...], datetime] = field(default_factory=dict)
    _moments: dict[tuple[Any, ...], list[datetime]] = field(default_factory=dict)
    _all_loaded: bool = False

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware")

    @property
    def today(self) -> date:
        return local_today(self.now, self.tz)

    def calendar(self, session: Session, workspace_id: int) -> WorkCalendar:
        if workspace_id not in self._calendars:
            self._calendars[workspace_id] = calendar_for(session, workspace_id)
        return self._calendars[workspace_id]

    def policy(self, session: Session, force_id: int | None) -> Policy:
        if force_id not in self._policies:
            force = session.get(TaskForce, force_id) if force_id is not None else None
            self._policies[force_id] = _effective(force.policy) if force is not None else DEFAULT
        return self._policies[force_id]

    def load_people(self, session: Session, owners: Mapping[int, int]) -> None:
        """Caches the owners (``owners``: task id → owner id) and co-owners of these tasks for the items about
        to be handled, as column rows (what a message to a person reads of them), not ORM objects."""
        if not owners:
            return
        co = session.exec(select(TaskCoOwner.task_id, TaskCoOwner.person_id)
                          .where(ids_in(session, col(TaskCoOwner.task_id), owners.keys()))).all()
        for task_id in owners:
            self._co_owners[task_id] = []
        for task_id, person_id in co:
            self._co_owners[task_id].append(person_id)
        self.load_persons(session, {p for _, p in co} | set(owners.values()))

    def load_persons(self, session: Session, person_ids: Iterable[int]) -> None:
        """Caches these people (those not cached yet) as column rows, in one query."""
        wanted = set(person_ids) - self._people.keys()
        if wanted:
            self._people.update((p.id, p) for p in session.execute(
                sa_select(*_PERSON_COLUMNS).where(ids_in(session, col(Person.id), wanted))).all())

    def forget_rows(self) -> None:
        """Drops the cached rows: a rollback expired them, and their session is gone."""
        self._people.clear()
        self._co_owners.clear()

    def person(self, session: Session, person_id: int) -> Any:
        """A person as a column row (see ``_PERSON_COLUMNS``)."""
        if person_id not in self._people:
            self._people[person_id] = must(session.execute(
                sa_select(*_PERSON_COLUMNS).where(col(Person.id) == person_id)).first(), "person")
        return self._people[person_id]

    def owners(self, session: Session, task: Any) -> list[Any]:
        """The owner and the co-owners (协办人) of a task (an ORM row or a column row)."""
        task_id = must(task.id)
        if task_id not in self._co_owners:
            self.load_people(session, {task_id: task.owner_id})
        co = [self.person(session, p) for p in sorted(self._co_owners[task_id]) if p != task.owner_id]
        return [self.person(session, task.owner_id), *co]

    def moments(self, session: Session, workspace_id: int, anchor: date, delays: list[int],
                remind_hour: int) -> list[datetime]:
        """``level_moments``, computed once per workspace, anchor, delays and hour in the run (the calendar
        arithmetic is the same for every task overdue since the same day)."""
        key = (workspace_id, anchor, tuple(delays), remind_hour)
        if key not in self._moments:
            self._moments[key] = level_moments(anchor, delays, remind_hour=remind_hour, tz=self.tz,
                                               calendar=self.calendar(session, workspace_id))
        return list(self._moments[key])

    def reminder_step(self, session: Session, task: Any, due: date, since: datetime) -> Step | None:
        """``due_reminder`` for this row, decided once per date, workspace, policy and priority in the run:
        without ``since`` the step is the latest passed by now, and with it that step or none (see
        ``_reminder_steps_due``, which decides the same way in SQL)."""
        policy = self.policy(session, task.force_id)
        high = task.priority == "high"
        key = (task.workspace_id, due, id(policy), high)
        if key not in self._steps:
            self._steps[key] = due_reminder(due, since=EPOCH, now=self.now, tz=self.tz,
                                            calendar=self.calendar(session, task.workspace_id), policy=policy, high=high)
        step = self._steps[key]
        return step if step is not None and since <= step.at else None

    def load_policies(self, session: Session, force_ids: Iterable[int | None]) -> None:
        """Caches the policies of these task forces in one query (a chunk's worth, not one query each)."""
        wanted = sorted({f for f in force_ids if f is not None} - self._policies.keys())
        if wanted:
            for force_id, overrides in session.exec(select(TaskForce.id, TaskForce.policy)
                                                    .where(ids_in(session, col(TaskForce.id), wanted))).all():
                self._policies[force_id] = _effective(overrides)

    def all_policies(self, session: Session) -> list[Policy]:
        """Every policy in force (the default and each task force's), to bound the candidate queries; read once
        a run (a run acts for one moment: a policy changed meanwhile is the next run's)."""
        if not self._all_loaded:
            for force_id, overrides in session.exec(select(TaskForce.id, TaskForce.policy)).all():
                if force_id not in self._policies:
                    self._policies[force_id] = _effective(overrides)
            self._all_loaded = True
        return [DEFAULT, *self._policies.values()]

    def read_on(self, send_at: datetime) -> date:
        """The day a message goes out: day counts in its text are counted to it, not to the sweep."""
        return local_today(max(self.now, send_at), self.tz)

    def morning_at(self, session: Session, task: Any, policy: Policy) -> datetime:
        """When a message that can wait (a nudge about silence) goes out: with the morning's briefing —
        this morning's while the morning sweeps run (until an hour after policy.remind_hour), else the
        next working morning's — so that one found at 14:00 is not a second message that day."""
        at = self.send_at(session, task, policy)
        if task.priority == "high" or at > self.now:
            return at
        local = to_local(self.now, self.tz)
        if local.hour <= policy.remind_hour:
            return at
        cal = self.calendar(session, task.workspace_id)
        return at_hour(cal.next_working_day(local.date()), policy.remind_hour, self.tz)

    def send_at(self, session: Session, task: Any, policy: Policy) -> datetime:
        """When a sweep's message about ``task`` may go out (quiet hours, days off, high priority): decided
        once per workspace, policy and priority in the run."""
        high = task.priority == "high"
        key = (task.workspace_id, id(policy), high)
        if key not in self._send:
            self._send[key] = send_time(self.now, tz=self.tz, calendar=self.calendar(session, task.workspace_id),
                                        policy=policy, high=high, morning_hour=policy.remind_hour)
        return self._send[key]


def _each(run: _Run, items: Iterable[T], handle: Callable[[Session, T], int], what: str, *,
          untaken: Callable[[Session, list[T]], list[T]] | None = None) -> int:
    """Handles each item in its own transaction; a failure is logged and left to the next run.

    On PostgreSQL, where several processes may sweep at once, each takes the items in its own
    random order and ``untaken`` drops, chunk by chunk, what others have done meanwhile, so that
    parallel sweepers split the work instead of each opening a transaction for every item."""
    items = list(items)
    if is_postgres(run.engine):
        random.shuffle(items)
    written = 0
    # One connection for the run: a pool checkout per item would add a ping and a reset round trip.
    with run.engine.connect() as conn:
        for chunk in _chunks(items):
            if untaken is not None:
                with session_scope(conn) as session:
                    chunk = untaken(session, chunk)
            written += _one_by_one(conn, chunk, handle, what)
    return written


def _one_by_one(conn: Any, items: list[T], handle: Callable[[Session, T], int], what: str) -> int:
    """Each item in its own transaction on ``conn``; a failing one is logged and left to the next run."""
    written = 0
    for item in items:
        try:
            with session_scope(conn) as session:
                written += handle(session, item)
        except Exception:
            log.exception("%s sweep: item %r failed; the next run tries again", what, item)
    return written


def _each_chunk(run: _Run, candidates: Callable[[Connection], Iterable[T]],
                handle_chunk: Callable[[Session, list[T]], int], handle: Callable[[Session, T], int], what: str, *,
                size: int = SET_CHUNK, order: Callable[[T], Any] | None = None) -> int:
    """Handles the candidates a chunk per transaction; a chunk that fails is redone an item per transaction,
    so one bad item is logged and left to the next run without stopping the others.

    ``candidates`` streams them (see :func:`_pages`); they are taken PAGE at a time, so memory follows a
    page, not what is due. On PostgreSQL each process takes a page's items in its own random order
    (``handle_chunk`` locks with SKIP LOCKED), so parallel sweepers split the work instead of queueing
    on the same rows; elsewhere in ``order``."""
    written = 0
    with run.engine.connect() as conn:
        for items in _batched(candidates(conn), PAGE):
            if is_postgres(run.engine):
                random.shuffle(items)
            elif order is not None:
                items.sort(key=order)
            for chunk in _chunks(items, size):
                try:
                    with session_scope(conn) as session:
                        written += handle_chunk(session, chunk)
                    continue
                except Exception:
                    log.warning("%s sweep: a chunk of %d failed; handling its items one by one", what, len(chunk),
                                exc_info=True)
                    run.forget_rows()
                written += _one_by_one(conn, chunk, handle, what)
    return written


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _after(keys: tuple[Any, ...], last: tuple[Any, ...]) -> Any:
    """Rows after ``last`` in ``keys`` order (keyset pagination), written so that the leading key's plain
    range can use its index: ``k1 >= a AND (k1 > a OR k2 > b)``."""
    if len(keys) == 1:
        return keys[0] > last[0]
    first, rest = keys[0], keys[1:]
    return and_(first >= last[0], or_(first > last[0], _after(rest, last[1:])))


def _pages(conn: Connection, query: Select, keys: tuple[Any, ...],
           decide: Callable[[Session, list[Any]], Iterable[T]]) -> Iterator[T]:
    """The rows of ``query``, PAGE at a time in ``keys`` order (the last key unique, e.g. the id), each page
    read in its own short transaction after the last row of the one before: no OFFSET, no row read twice,
    and never more than a page in memory. ``decide`` turns a page's rows into candidates (in the page's
    session, for the run's caches). The keys are added to the selected columns and stripped again."""
    paged = query.add_columns(*keys).order_by(*keys)
    n = len(keys)
    last: tuple[Any, ...] | None = None
    while True:
        with session_scope(conn) as session:
            q = paged if last is None else paged.where(_after(keys, last))
            rows = session.execute(q.limit(PAGE)).all()
            if rows:
                last = tuple(rows[-1][-n:])
                found = list(decide(session, [tuple(r[:-n]) for r in rows]))
        if not rows:
            return
        yield from found
        if len(rows) < PAGE:
            return


def _lock_many(session: Session, model: Any, row_ids: Iterable[int]) -> dict[int, Any]:
    """The rows, locked for this transaction, by id; missing or (PostgreSQL) held by another worker: absent."""
    ids = sorted(set(row_ids))
    if not ids:
        return {}
    return {r.id: r for r in session.execute(skip_locked(session, select(model).where(ids_in(session, model.id, ids)))).scalars()}


def _lock_rows(session: Session, columns: tuple[Any, ...], row_ids: Iterable[int]) -> dict[int, Any]:
    """``_lock_many`` as column rows (``columns`` of one table, its id first): what a set-based chunk reads of
    the rows it locks, without building an ORM object for each."""
    ids = sorted(set(row_ids))
    if not ids:
        return {}
    return {r[0]: r for r in session.execute(skip_locked(session, sa_select(*columns).where(ids_in(session, columns[0], ids))))}


def _lock(session: Session, model: Any, row_id: int) -> Any:
    """The row, locked for this transaction; None if missing or (PostgreSQL) another worker holds it."""
    return session.execute(skip_locked(session, select(model).where(model.id == row_id))).scalars().first()


def _chunks(items: list[T], size: int = CHUNK) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# ---------------------------------------------------------------- reminders


@dataclass(frozen=True)
class _Target:
    """A deadline or time node that has a reminder step due."""

    task_id: int
    node_id: int | None
    due: date
    days: int

    @property
    def name(self) -> str:
        return "deadline" if self.node_id is None else f"node:{self.node_id}"


def sweep_reminders(engine: Engine, *, now: datetime, tz: ZoneInfo = DEFAULT_TZ,
                    default_lang: str = DEFAULT_LANG) -> int:
    """Reminds owners of each open time node and deadline, policy.remind_days working days before
    and on the day, at policy.remind_hour. Never sends a step twice (one step per task, target,
    due date and offset, so a moved deadline is reminded of again); after downtime only the latest
    missed step is sent, once."""
    run = _Run(engine, now, tz, default_lang)
    return _each_chunk(run, partial(_reminder_targets, run), partial(_remind_chunk, run), partial(_remind, run),
                       "reminders", order=lambda t: (t.task_id, t.node_id or 0))


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # before any row: a step's decision without its row's ``since``
# What a reminder decision (``due_reminder``) reads of a policy: forces whose policies agree on these share
# one decision per date, so the candidate query has one arm per distinct decision, not per force.
_REMIND_FIELDS = {"remind_days", "remind_hour", "quiet_start", "quiet_end"}


def _policy_groups(run: _Run, session: Session, fields: set[str], *,
                   force_col: Any = None) -> list[tuple[Policy, Any]]:
    """The distinct policies in force as far as ``fields`` go (few: most forces keep the default), each
    with the SQL condition on ``force_col`` (default ``Task.force_id``) selecting the rows it governs. The
    default's condition names the forces that differ from it, so it stays short however many keep it."""
    force = col(Task.force_id) if force_col is None else force_col
    run.all_policies(session)
    key: Callable[[Policy], str] = lambda p: p.model_dump_json(include=fields)  # noqa: E731
    default = key(DEFAULT)
    groups: dict[str, tuple[Policy, list[int]]] = {}
    for force_id, policy in run._policies.items():
        if force_id is not None and key(policy) != default:
            groups.setdefault(key(policy), (policy, []))[1].append(force_id)
    others = sorted(f for _, ids in groups.values() for f in ids)
    every: Any = or_(force.is_(None), force.not_in(others)) if others else true()
    return [(DEFAULT, every), *((policy, force.in_(sorted(ids))) for policy, ids in groups.values())]


def _reminder_steps_due(run: _Run, session: Session, cal: WorkCalendar, first: date, last: date,
                        due_col: Any, since_col: Any) -> tuple[Any, Any]:
    """The reminder step due now for a row with date ``due_col`` (from ``first`` to ``last``), as a SQL
    CASE giving the step's days, NULL when none is due. ``due_reminder`` decides for every date, policy
    and priority once, without the row's ``since``: with it, the latest step passed by ``now`` is the one
    (``passed[-1]``) if ``since`` is not after it, and there is none otherwise, so the row's condition is
    ``since <= step.at``. The arms are grouped by decision, so a date all policies agree on is one arm.

    Second, the step every policy and priority that has one due for a date agrees on, as a CASE of the date
    alone (NULL where they differ): a row whose marker holds that step is not due, whatever its policy, so a
    query can drop it before reading its task."""
    groups = _policy_groups(run, session, _REMIND_FIELDS)
    high = col(Task.priority) == "high"
    arms: list[tuple[Any, int]] = []
    same: list[tuple[Any, int]] = []
    day = first
    while day <= last:
        decided: dict[tuple[int, datetime], list[Any]] = {}
        for (g, is_high), step in _decisions(run, cal, groups, day).items():
            if step is not None:
                decided.setdefault((step.days, step.at), []).append(and_(groups[g][1], high if is_high else ~high))
        arms += [(_arm(due_col, since_col, day, at, who, len(groups) * 2), days) for (days, at), who in decided.items()]
        if len({days for days, _ in decided}) == 1:
            same.append((due_col == day, next(iter(decided))[0]))
        day += timedelta(days=1)
    unanimous = case(*same, else_=sa_null()) if same else sa_null()
    return (case(*arms, else_=sa_null()) if arms else sa_null()), unanimous


def _decisions(run: _Run, cal: WorkCalendar, groups: list[tuple[Policy, Any]], day: date) -> dict[tuple[int, bool], Step | None]:
    """The step ``due_reminder`` has due now for a row dated ``day``, without its ``since``, for each policy group
    (by index) and priority (紧急 or not)."""
    return {(g, high): due_reminder(day, since=EPOCH, now=run.now, tz=run.tz, calendar=cal, policy=policy, high=high)
            for g, (policy, _) in enumerate(groups) for high in (True, False)}


def _arm(due_col: Any, since_col: Any, day: date, at: datetime, who: list[Any], whole: int) -> Any:
    """A CASE arm's condition: the row's date, ``since`` not after the step's moment, and (unless every one of the
    ``whole`` conditions decides alike) one of ``who``."""
    return and_(due_col == day, since_col <= at, *([] if len(who) == whole else [or_(*who)]))


def _node_prefilter(run: _Run, session: Session, cal: WorkCalendar, first: date, last: date) -> Any:
    """A condition on an open node's own index entry (``ix_timenode_open_due``) that every node with a step
    due and untaken passes, decided without reading its task: the node's copy of its task's force
    (``TimeNode.force_id``) gives the policy, and the step is the one a task of normal priority has due
    (as in ``_reminder_steps_due``). On a date where a 紧急 task's step differs from it, every node passes, as
    does a node without the copy. Only the nodes that pass have their task read, and the exact decision
    (the task's status, policy and priority) is made on it: a superset here costs a read, never a message."""
    groups = _policy_groups(run, session, _REMIND_FIELDS, force_col=col(TimeNode.force_id))
    arms: list[tuple[Any, int]] = []
    differs: list[date] = []
    day = first
    while day <= last:
        steps = _decisions(run, cal, groups, day)
        if any(steps[g, True] != steps[g, False] for g in range(len(groups))):
            differs.append(day)
        decided: dict[tuple[int, datetime], list[Any]] = {}
        for g, (_, forces) in enumerate(groups):
            normal = steps[g, False]
            if normal is not None:
                decided.setdefault((normal.days, normal.at), []).append(forces)
        arms += [(_arm(col(TimeNode.due), col(TimeNode.created_at), day, at, who, len(groups)), days)
                 for (days, at), who in decided.items()]
        day += timedelta(days=1)
    if not arms:
        return or_(col(TimeNode.force_id).is_(None), col(TimeNode.due).in_(differs)) if differs \
            else col(TimeNode.force_id).is_(None)
    step = case(*arms, else_=sa_null())
    untaken = or_(col(TimeNode.remind_due).is_(None), col(TimeNode.remind_due) != col(TimeNode.due),
                  col(TimeNode.remind_step).is_(None), col(TimeNode.remind_step) != step)
    return or_(col(TimeNode.force_id).is_(None), *([col(TimeNode.due).in_(differs)] if differs else []),
               and_(step.is_not(None), untaken))


def _reminder_targets(run: _Run, conn: Connection) -> Iterator[_Target]:
    """The deadlines and time nodes with a reminder step due and not yet taken, streamed a page at a time
    through the covering partial indexes on open tasks' and open nodes' due dates. The step due for each
    date and policy is decided once (``_reminder_steps_due``) and the step already taken is read from the
    row's marker (models/markers.py), both in SQL and inside the index: no row is read from the table or
    the log to learn that it is not due."""
    with session_scope(conn) as session:
        max_days = max(max(p.remind_days, default=0) for p in run.all_policies(session))
        workspaces = [must(ws_id) for ws_id in session.exec(select(Workspace.id)).all()]
    for ws_id in workspaces:
        with session_scope(conn) as session:
            cal = run.calendar(session, ws_id)
            horizon = reminder_horizon(run.today, calendar=cal, max_days=max_days)
            deadline_step, _ = _reminder_steps_due(run, session, cal, run.today, horizon, col(Task.due),
                                                   col(Task.created_at))
            node_step, node_same = _reminder_steps_due(run, session, cal, run.today, horizon, col(TimeNode.due),
                                                       col(TimeNode.created_at))
            node_first = _node_prefilter(run, session, cal, run.today, horizon)
        # ix_task_remind holds every column read here: an index-only range over the window's open deadlines.
        deadlines = sa_select(col(Task.id).label("task_id"), col(Task.due).label("due"),
                              deadline_step.label("step"), col(Task.remind_due).label("taken_due"),
                              col(Task.remind_step).label("taken_step")).where(
            col(Task.workspace_id) == ws_id, literal_in(Task.status, *OPEN),
            col(Task.due) >= run.today, col(Task.due) <= horizon).subquery()
        yield from _pages(conn, sa_select(deadlines.c.task_id, sa_null(), deadlines.c.due, deadlines.c.step).where(
            deadlines.c.step.is_not(None), _not_taken(deadlines.c)),
            (deadlines.c.due, deadlines.c.task_id), _targets)
        nodes = sa_select(col(TimeNode.task_id).label("task_id"), col(TimeNode.id).label("node_id"),
                          col(TimeNode.due).label("due"), node_step.label("step"),
                          col(TimeNode.remind_due).label("taken_due"), col(TimeNode.remind_step).label("taken_step"),
                          ).join(Task, col(Task.id) == TimeNode.task_id).where(
            col(TimeNode.done_at).is_(None), col(TimeNode.due) >= run.today, col(TimeNode.due) <= horizon,
            # Nodes whose marker holds the step all policies agree on are dropped before their task is read.
            or_(col(TimeNode.remind_due).is_(None), col(TimeNode.remind_due) != col(TimeNode.due),
                col(TimeNode.remind_step).is_(None), node_same.is_(None), col(TimeNode.remind_step) != node_same),
            # And nodes whose own entry says no step is due for their force's policy (``_node_prefilter``).
            node_first,
            col(Task.workspace_id) == ws_id, literal_in(Task.status, *OPEN)).subquery()
        yield from _pages(conn, sa_select(nodes.c.task_id, nodes.c.node_id, nodes.c.due, nodes.c.step).where(
            nodes.c.step.is_not(None), _not_taken(nodes.c)),
            (nodes.c.due, nodes.c.node_id), _targets)


def _not_taken(c: Any) -> Any:
    """The step due is not the one the row's marker says was taken (a marker for another date — the deadline
    moved — or another step says nothing about this one). A marker is only ever set to a step the log holds,
    so this never drops a step that is due and untaken; what it lets through that the log holds (rows from
    before the markers) the chunk's look at the log drops, and marks."""
    return or_(c.taken_due.is_(None), c.taken_due != c.due, c.taken_step.is_(None), c.taken_step != c.step)


def _targets(_session: Session, rows: list[Any]) -> Iterator[_Target]:
    return (_Target(task_id, node_id, due, step) for task_id, node_id, due, step in rows)


def _untaken_steps(run: _Run, session: Session, targets: list[_Target]) -> list[_Target]:
    """Drops the steps already taken (by an earlier run, or another process), in one query. A step found
    taken whose row's marker did not say so (rows from before the markers) gets its marker, so the next
    run's query leaves it out."""
    taken = set(session.exec(
        select(col(SweepLog.task_id), col(SweepLog.target), col(SweepLog.due), col(SweepLog.step))
        .where(SweepLog.kind == "remind", ids_in(session, col(SweepLog.task_id), {t.task_id for t in targets}),
               SweepLog.due >= run.today)
    ).all())
    todo = [t for t in targets if (t.task_id, t.name, t.due, t.days) not in taken]
    _mark_reminded(session, run, [(t.task_id, t.node_id, t.due, t.days) for t in targets
                                  if (t.task_id, t.name, t.due, t.days) in taken], sent=False)
    return todo


_TASKS: Table = Task.__table__  # type: ignore[attr-defined]
_NODES: Table = TimeNode.__table__  # type: ignore[attr-defined]


def _mark_reminded(session: Session, run: _Run, steps: list[tuple[int, int | None, date, int]], *,
                   sent: bool = True) -> None:
    """Writes the markers of reminder steps (task, node or None, due, days) taken in this transaction
    (``sent``: also the task's ``reminded_at``) or found taken already."""
    if not steps:
        return
    told = {"reminded_at": run.now} if sent else {}
    update_many(session, _TASKS, [dict(id=t, remind_due=due, remind_step=days) for t, n, due, days in steps if n is None],
                **told)
    update_many(session, _NODES, [dict(id=n, remind_due=due, remind_step=days) for _, n, due, days in steps if n is not None])
    by_node_only = {t for t, n, *_ in steps if n is not None} - {t for t, n, *_ in steps if n is None}
    if sent and by_node_only:
        session.execute(update(_TASKS).where(ids_in(session, _TASKS.c.id, by_node_only)).values(reminded_at=run.now))


def _remind(run: _Run, session: Session, target: _Target) -> int:
    task = _lock(session, Task, target.task_id)
    if task is None or task.status not in OPEN:
        return 0
    node_name = None
    if target.node_id is None:
        due, since = task.due, task.created_at
    else:
        node = session.get(TimeNode, target.node_id)
        if node is None or node.task_id != task.id or node.done_at is not None:
            return 0
        due, since, node_name = node.due, node.created_at, node.name
    cal = run.calendar(session, task.workspace_id)
    policy = run.policy(session, task.force_id)
    # Re-decided on the row as it is now: a deadline moved since the query has its own steps.
    step = due_reminder(due, since=since, now=run.now, tz=run.tz, calendar=cal, policy=policy,
                        high=task.priority == "high")
    if step is None:
        return 0
    if not insert_ignore(session, SweepLog, dict(
            workspace_id=task.workspace_id, task_id=task.id, kind="remind", target=target.name, due=due,
            step=step.days, created_at=run.now), conflict=["task_id", "kind", "target", "due", "step"]):
        return 0  # taken by another process
    _mark_reminded(session, run, [(must(task.id), target.node_id, due, step.days)])
    not_before = run.send_at(session, task, policy)
    msg, brief = _reminder_message(task, node_name, due, today=run.read_on(not_before), calendar=cal)
    return sum(
        outbox.to_person(session, person, msg, key=f"remind:{task.id}:{target.name}:{due}:{step.days}:{person.id}",
                         kind="reminder", now=run.now, default_lang=run.lang, task_id=task.id, not_before=not_before,
                         brief=None if task.priority == "high" else brief)
        for person in run.owners(session, task)
    )


_STEP_KEY = ["task_id", "kind", "target", "due", "step"]


def _remind_chunk(run: _Run, session: Session, targets: list[_Target]) -> int:
    """``_remind`` for many targets in one transaction: the tasks locked (as column rows), each step re-decided
    on the row as it is now, the steps written in one insert, and messages for exactly the steps it wrote."""
    targets = _untaken_steps(run, session, targets)
    tasks = _lock_rows(session, _TASK_COLUMNS, (t.task_id for t in targets))
    node_ids = [t.node_id for t in targets if t.node_id is not None and t.task_id in tasks]
    nodes = {n.id: n for n in session.execute(sa_select(*_NODE_COLUMNS).where(ids_in(session, col(TimeNode.id), node_ids)))} \
        if node_ids else {}
    decided: dict[tuple, tuple[Any, str | None, date, int]] = {}
    nodes_by_name = {t.name: t.node_id for t in targets}
    steps: list[dict] = []
    for target in targets:
        task = tasks.get(target.task_id)
        if task is None or task.status not in OPEN:
            continue
        node_name = None
        if target.node_id is None:
            due, since = task.due, task.created_at
        else:
            node = nodes.get(target.node_id)
            if node is None or node.task_id != task.id or node.done_at is not None:
                continue
            due, since, node_name = node.due, node.created_at, node.name
        # Re-decided on the row as it is now: a deadline moved since the query has its own steps.
        step = run.reminder_step(session, task, due, since)
        if step is None:
            continue
        key = (task.id, target.name, due, step.days)
        if key in decided:
            continue
        decided[key] = (task, node_name, due, step.days)
        steps.append(dict(workspace_id=task.workspace_id, task_id=task.id, kind="remind", target=target.name, due=due,
                          step=step.days, created_at=run.now))
    # Only the steps this insert wrote get messages: one taken by another process meanwhile is skipped.
    taken = insert_ignore_many(session, SweepLog, steps, conflict=_STEP_KEY,
                               returning=["task_id", "target", "due", "step"])
    _mark_reminded(session, run, [(task_id, nodes_by_name[target], due, days) for task_id, target, due, days in taken])
    run.load_people(session, {task_id: tasks[task_id].owner_id for task_id, *_ in taken})
    rows: list[dict] = []
    for key in sorted(taken, key=lambda k: (k[0], k[1])):
        task, node_name, due, days = decided[key]
        target_name = key[1]
        cal = run.calendar(session, task.workspace_id)
        not_before = run.send_at(session, task, run.policy(session, task.force_id))
        msg, brief = _reminder_message(task, node_name, due, today=run.read_on(not_before), calendar=cal)
        rows += [outbox.person_row(person, msg, key=f"remind:{task.id}:{target_name}:{due}:{days}:{person.id}",
                                   kind="reminder", now=run.now, default_lang=run.lang, task_id=task.id,
                                   not_before=not_before, brief=None if task.priority == "high" else brief)
                 for person in run.owners(session, task)]
    return outbox.insert_many(session, rows)


def _reminder_message(task: Any, node: str | None, due: date, *, today: date,
                      calendar: WorkCalendar) -> tuple[Msg, outbox.Brief]:
    """The reminder, and its line in a briefing (a 紧急 task's goes alone, at once)."""
    left = calendar.working_days_between(today, due)
    when = "today" if due == today else ("last" if left == 0 else "days")
    what = "deadline" if node is None else "node"
    params = dict(id=task.id, title=task.title, node=node, due=Day(due), days=left, progress=task.progress)
    brief = outbox.Brief(group="due_today" if when != "days" else "due_soon",
                         line=Msg(f"brief.remind.{what}.{when}", **params),
                         verbs=("progress", "done", "extend") if node is None else ("progress", "show"))
    return Msg(f"remind.{what}.{when}", **params), brief


# ---------------------------------------------------------------- nudges


def sweep_nudges(engine: Engine, *, now: datetime, tz: ZoneInfo = DEFAULT_TZ,
                 default_lang: str = DEFAULT_LANG) -> int:
    """Nudges the owner of a live task without a progress report for policy.stale_days working days.
    Once per silence: only a new report starts a new one."""
    run = _Run(engine, now, tz, default_lang)
    return _each_chunk(run, partial(_silent_tasks, run), partial(_nudge_chunk, run), partial(_nudge, run), "nudges",
                       order=lambda task_id: task_id)


def _silent_tasks(run: _Run, conn: Connection) -> Iterator[int]:
    """Live tasks silent for their policy's stale_days, not nudged since and not reminded today, streamed a
    page at a time in two halves, each through its covering partial index: tasks reported on (by last
    report), tasks never reported on (by creation). The cutoff is computed once per distinct stale_days in
    force and every check is in the query (the nudge and reminder markers are in the index), so the rows
    read are the tasks to nudge."""
    with session_scope(conn) as session:
        groups = _policy_groups(run, session, {"stale_days"})
        workspaces = [must(ws_id) for ws_id in session.exec(select(Workspace.id)).all()]
    start = at_hour(run.today, 0, run.tz)
    # One message about a task a day: the reminder asked for progress; the nudge can wait.
    reminded = and_(col(Task.reminded_at).is_not(None), col(Task.reminded_at) >= start)
    for ws_id in workspaces:
        with session_scope(conn) as session:
            cal = run.calendar(session, ws_id)
        cutoffs = [(forces, silence_cutoff(run.now, tz=run.tz, calendar=cal, stale_days=policy.stale_days))
                   for policy, forces in groups]
        # The latest cutoff bounds the index range; a silence first seen after NUDGE_LOOKBACK is not nudged.
        upper = max(cutoff for _, cutoff in cutoffs)
        lower = upper - NUDGE_LOOKBACK
        common = (col(Task.workspace_id) == ws_id, col(Task.start_date) <= run.today, col(Task.due) >= run.today,
                  ~reminded)

        def silent(since: Any, cutoffs: list[tuple[Any, datetime]] = cutoffs) -> Any:
            return or_(*(and_(forces, since < cutoff) for forces, cutoff in cutoffs))

        yield from _pages(conn, sa_select(col(Task.id)).where(
            literal_in(Task.status, *OPEN), col(Task.last_progress_at) >= lower, col(Task.last_progress_at) < upper,
            silent(col(Task.last_progress_at)), *common, _not_nudged_since(col(Task.last_progress_at))),
            (col(Task.last_progress_at), col(Task.id)), _ids)
        yield from _pages(conn, sa_select(col(Task.id)).where(
            literal_in(Task.status, *OPEN), col(Task.last_progress_at).is_(None), col(Task.created_at) >= lower,
            col(Task.created_at) < upper, silent(col(Task.created_at)), *common,
            _not_nudged_since(col(Task.created_at))),
            (col(Task.created_at), col(Task.id)), _ids)


def _ids(_session: Session, rows: list[Any]) -> Iterator[int]:
    return (row_id for row_id, in rows)


def _reminded_today(session: Session, run: _Run, task_id: int) -> bool:
    start = at_hour(run.today, 0, run.tz)
    return session.exec(select(SweepLog.id).where(SweepLog.task_id == task_id, SweepLog.kind == "remind",
                                                  SweepLog.created_at >= start)).first() is not None


def _not_nudged_since(moment: Any) -> Any:
    """No nudge taken since ``moment`` (the task's marker; see models/markers.py)."""
    return or_(col(Task.nudged_at).is_(None), col(Task.nudged_at) < moment)


def _nudge_chunk(run: _Run, session: Session, task_ids: list[int]) -> int:
    """``_nudge`` for many tasks in one transaction: the tasks locked (as column rows) and re-checked as they
    are now, the steps written in one insert, and a message for exactly the steps it wrote."""
    tasks = _lock_rows(session, _TASK_COLUMNS, task_ids)
    start = at_hour(run.today, 0, run.tz)
    cutoffs: dict[tuple[int, int], datetime] = {}
    silent: dict[int, tuple[Any, datetime]] = {}
    steps: list[dict] = []
    for task in sorted(tasks.values(), key=lambda t: t.id):
        # One message about a task a day: the reminder asked for progress; the nudge can wait.
        if task.status not in OPEN or not task.start_date <= run.today <= task.due \
                or (task.reminded_at is not None and task.reminded_at >= start):
            continue
        stale = run.policy(session, task.force_id).stale_days
        if (task.workspace_id, stale) not in cutoffs:
            cutoffs[task.workspace_id, stale] = silence_cutoff(run.now, tz=run.tz, calendar=run.calendar(
                session, task.workspace_id), stale_days=stale)
        silent_since = task.last_progress_at or task.created_at
        if silent_since >= cutoffs[task.workspace_id, stale]:
            continue  # a report arrived since the query
        silent[task.id] = (task, silent_since)
        # One nudge per silence, whatever the policy says later: the silence is named by its first day.
        steps.append(dict(workspace_id=task.workspace_id, task_id=task.id, kind="nudge", target="silence",
                          due=local_today(silent_since, run.tz), step=0, created_at=run.now))
    taken = sorted(task_id for task_id, in insert_ignore_many(session, SweepLog, steps, conflict=_STEP_KEY,
                                                             returning=["task_id"]))
    _mark_nudged(session, run, taken)
    run.load_persons(session, (silent[task_id][0].owner_id for task_id in taken))  # a nudge goes to the owner only
    return outbox.insert_many(session, [_nudge_row(run, session, *silent[task_id]) for task_id in taken])


def _mark_nudged(session: Session, run: _Run, task_ids: list[int]) -> None:
    """The tasks' nudge marker, in the transaction that took their nudges."""
    if task_ids:
        session.execute(update(_TASKS).where(ids_in(session, _TASKS.c.id, sorted(task_ids))).values(nudged_at=run.now))


def _nudge_row(run: _Run, session: Session, task: Any, silent_since: datetime) -> dict:
    """The nudge to the owner of ``task``, silent since ``silent_since``, as an outbox row."""
    cal = run.calendar(session, task.workspace_id)
    first_day = local_today(silent_since, run.tz)
    not_before = run.morning_at(session, task, run.policy(session, task.force_id))
    days = cal.working_days_between(first_day, run.read_on(not_before))
    params = dict(id=task.id, title=task.title, days=days, last=Day(first_day), progress=task.progress)
    brief = outbox.Brief(group="silent", line=Msg("brief.nudge", **params), verbs=("progress", "block"))
    return outbox.person_row(run.person(session, task.owner_id), Msg("nudge.silent", **params),
                             key=f"nudge:{task.id}:{silent_since.isoformat()}", kind="nudge", now=run.now,
                             default_lang=run.lang, task_id=task.id, not_before=not_before,
                             brief=None if task.priority == "high" else brief)


def _nudge(run: _Run, session: Session, task_id: int) -> int:
    task = _lock(session, Task, task_id)
    if task is None or task.status not in OPEN or not task.start_date <= run.today <= task.due:
        return 0
    cal = run.calendar(session, task.workspace_id)
    policy = run.policy(session, task.force_id)
    silent_since = task.last_progress_at or task.created_at
    if silent_since >= silence_cutoff(run.now, tz=run.tz, calendar=cal, stale_days=policy.stale_days):
        return 0  # a report arrived since the query
    if _reminded_today(session, run, task.id):
        return 0  # one message about a task a day: the reminder asked for progress; the nudge can wait
    first_day = local_today(silent_since, run.tz)
    # One nudge per silence, whatever the policy says later: the silence is named by its first day.
    if not insert_ignore(session, SweepLog, dict(
            workspace_id=task.workspace_id, task_id=task.id, kind="nudge", target="silence", due=first_day, step=0,
            created_at=run.now), conflict=["task_id", "kind", "target", "due", "step"]):
        return 0
    _mark_nudged(session, run, [must(task.id)])
    return outbox.insert_many(session, [_nudge_row(run, session, task, silent_since)])


# ---------------------------------------------------------------- escalations


def sweep_escalations(engine: Engine, *, now: datetime, tz: ZoneInfo = DEFAULT_TZ,
                      default_lang: str = DEFAULT_LANG) -> int:
    """Climbs the 督办 ladder of each overdue deadline and time node: the owner on day 0 (the first
    working day after the date), then the task force's leads, the 分管领导 and the chief after
    policy.escalate working days (a 紧急 task enters at policy.urgent_entry), with the policy frozen
    when the episode began. Each level fires once per episode; after downtime the missed levels
    fire in order. 收到 pauses the climb for policy.ack_pause_days; a progress update alone does
    not reset it; the episode ends when the date is no longer overdue (done reported, verified,
    extension approved, node completed, cancelled).

    Three set-based passes, each a chunk per transaction (a failing chunk is redone an item per
    transaction): ended episodes are closed, overdue dates without an episode get one (with the levels
    already due fired in the same transaction), and the due episodes climb, with their rows, people and
    leader chains loaded once per chunk."""
    run = _Run(engine, now, tz, default_lang)
    by_id: Callable[[int], Any] = lambda x: x  # noqa: E731
    _each_chunk(run, partial(_ended_episodes, run), partial(_settle_chunk, run), partial(_settle, run),
                "escalations", order=by_id)
    opened = _each_chunk(run, partial(_overdue_without_episode, run), partial(_open_chunk, run),
                         partial(_open_episode, run), "escalations", order=lambda x: (x[0], x[1] or 0))
    return opened + _each_chunk(run, partial(_due_episodes, run), partial(_climb_chunk, run), partial(_climb, run),
                       "escalations", order=by_id)


def _due_episodes(run: _Run, conn: Connection) -> Iterator[int]:
    """Live episodes whose next level is due, through the partial index on next_at."""
    yield from _pages(conn, sa_select(col(EscalationState.id)).where(
        literal_in(EscalationState.status, "open"), col(EscalationState.next_at).is_not(None),
        col(EscalationState.next_at) <= run.now), (col(EscalationState.next_at), col(EscalationState.id)),
        lambda _s, rows: (state_id for state_id, in rows))


def _why_ended(task: Task | None, node: TimeNode | None, state: EscalationState) -> str | None:
    """Why an episode is over: its date is no longer overdue work. Progress alone is not a reason."""
    if task is None or task.status not in OPEN:
        return "closed"
    if state.node_id is None:
        return "extension" if task.due != state.due else None
    if node is None or node.task_id != task.id:
        return "node_gone"
    if node.done_at is not None:
        return "node_done"
    return "node_moved" if node.due != state.due else None


def _ended_episodes(run: _Run, conn: Connection) -> Iterator[int]:
    """Live episodes whose date may no longer be overdue work (``_why_ended`` decides), found from the
    rows that changed: tasks with a live episode that are no longer open or whose deadline moved, and nodes
    with a live episode that are done or moved (the markers' partial indexes hold only those)."""
    yield from _pages(conn, sa_select(col(Task.id)).where(text(TASK_ESC_CHECK_SQL)), (col(Task.id),),
                      lambda session, rows: _live_episodes(session, [t for t, in rows]))
    yield from _pages(conn, sa_select(col(TimeNode.task_id), col(TimeNode.id)).where(text(NODE_ESC_CHECK_SQL)),
                      (col(TimeNode.id),), lambda session, rows: _live_episodes(
                          session, [t for t, _ in rows], node_ids=[n for _, n in rows]))


def _live_episodes(session: Session, task_ids: list[int], *, node_ids: list[int] | None = None) -> list[int]:
    """The live episodes of these tasks (or of these nodes of theirs), through the live-episode index."""
    query = select(col(EscalationState.id)).where(literal_in(EscalationState.status, "open"),
                                                  ids_in(session, col(EscalationState.task_id), task_ids))
    if node_ids is not None:
        query = query.where(ids_in(session, col(EscalationState.node_id), node_ids))
    return list(session.exec(query.order_by(col(EscalationState.id))).all())


def _end(state: EscalationState, reason: str, now: datetime) -> None:
    state.status = "closed"
    state.close_reason = reason
    state.closed_at = now
    state.next_at = None


def _settle(run: _Run, session: Session, state_id: int) -> int:
    state = _lock(session, EscalationState, state_id)
    if state is None or state.status != "open":
        return 0
    node = session.get(TimeNode, state.node_id) if state.node_id else None
    reason = _why_ended(session.get(Task, state.task_id), node, state)
    if reason is not None:
        _end(state, reason, run.now)
        session.flush()
        _mark_closed(session, [state])
    return 0


def _overdue_without_episode(run: _Run, conn: Connection) -> Iterator[tuple[int, int | None]]:
    """Overdue deadlines and time nodes of open tasks that have no live episode, as (task, node), streamed
    through the partial indexes on live tasks' and open nodes' due dates."""
    # The markers say which have a live episode: ix_task_unescalated and ix_timenode_unescalated hold only the
    # others, so these ranges read the overdue dates not yet escalated, not every overdue one.
    yield from _pages(conn, sa_select(col(Task.id), sa_null()).where(
        literal_in(Task.status, *OPEN), col(Task.esc_due).is_(None), col(Task.due) < run.today),
        (col(Task.due), col(Task.id)), lambda _s, rows: rows)
    yield from _pages(conn, sa_select(col(TimeNode.task_id), col(TimeNode.id)).join(Task, col(Task.id) == TimeNode.task_id)
                      .where(col(TimeNode.done_at).is_(None), col(TimeNode.esc_due).is_(None),
                             col(TimeNode.due) < run.today, literal_in(Task.status, *OPEN)),
                      (col(TimeNode.due), col(TimeNode.id)), lambda _s, rows: rows)


def _open_episode(run: _Run, session: Session, item: tuple[int, int | None]) -> int:
    task_id, node_id = item
    task = _lock(session, Task, task_id)
    if task is None or task.status not in OPEN:
        return 0
    node = session.get(TimeNode, node_id) if node_id is not None else None
    if node_id is not None and (node is None or node.task_id != task.id or node.done_at is not None):
        return 0
    due = task.due if node is None else node.due
    if due >= run.today:
        return 0
    target = escalation.target_name(node_id)
    if any(s.target == target for s in escalation.live_states(session, task.id)):
        return 0
    policy = run.policy(session, task.force_id)
    cal = run.calendar(session, task.workspace_id)
    earlier = session.exec(select(func.count()).select_from(EscalationState).where(
        EscalationState.task_id == task.id, EscalationState.target == target)).one()
    # The first episode counts from the missed date; a later one (the task was sent back after a
    # done report, say) climbs afresh from today rather than firing every level at once.
    anchor = due if not earlier else max(due, run.today - timedelta(days=1))
    entry = policy.urgent_entry if task.priority == "high" else 0
    moments = level_moments(anchor, entry_delays(policy.escalate, entry), remind_hour=policy.remind_hour, tz=run.tz,
                            calendar=cal)
    last = session.exec(select(func.max(EscalationState.episode)).where(EscalationState.task_id == task.id)).one()
    # The unique (task, episode) and the one-live-episode-per-target index make a concurrent insert a no-op.
    if insert_ignore(session, EscalationState, dict(
            workspace_id=task.workspace_id, task_id=task.id, episode=(last or 0) + 1, target=target, node_id=node_id,
            due=due, anchor=anchor, policy=policy.model_dump(), progress_seen=task.last_progress_at, level=-1,
            schedule=[m.isoformat() for m in moments], next_at=moments[0] if moments else None, status="open",
            created_at=run.now)):
        _mark_opened(session, [(must(task.id), node_id, due)])
    return 0


def _climb(run: _Run, session: Session, state_id: int) -> int:
    state = _lock(session, EscalationState, state_id)
    if state is None or state.status != "open" or state.next_at is None or state.next_at > run.now:
        return 0
    task = session.get(Task, state.task_id)
    node = session.get(TimeNode, state.node_id) if state.node_id else None
    reason = _why_ended(task, node, state)
    if reason is not None:
        _end(state, reason, run.now)
        session.flush()
        _mark_closed(session, [state])
        return 0
    task = must(task)
    policy = _effective(state.policy)  # frozen when the episode began (a full policy: defaults add nothing)
    cal = run.calendar(session, task.workspace_id)
    moments = escalation.schedule_of(state) or level_moments(
        state.anchor, policy.escalate, remind_hour=policy.remind_hour, tz=run.tz, calendar=cal)
    levels = due_levels(moments, state.level, run.now)
    upcoming = [m for m in moments[state.level + 1:] if m > run.now]
    if not levels:
        state.next_at = upcoming[0] if upcoming else None
        return 0
    steps = escalation.steps_of(session, state.id)
    if any(s.level in levels for s in steps):
        return 0  # fired by another process meanwhile
    told = {pid for s in steps for pid in s.recipients or []}
    skipped = [s.level for s in steps if not s.recipients]
    high = task.priority == "high"
    not_before = run.send_at(session, task, policy)
    days = escalation.days_overdue(cal, state.due, run.read_on(not_before))
    written = 0
    # The leader chain is walked once, for levels 2 and 3 alike.
    leaders = escalation.leaders_of(session, task) if levels[-1] >= 2 else None
    for level in levels:  # lowest first: after downtime the owner hears before the 分管领导
        people = [p for p in escalation.recipients(session, task, level, leaders) if p.id not in told]
        step = EscalationStep(workspace_id=task.workspace_id, state_id=state.id, task_id=must(task.id), level=level,
                              recipients=[p.id for p in people], created_at=run.now)
        if not people:  # nobody (left) to tell at this level: passed without using up a number
            session.add(step)
            skipped.append(level)
            continue
        step.series = escalation.SERIES[level]
        step.year = local_today(run.now, run.tz).year
        step.no = escalation.next_number(session, task.workspace_id, step.series, step.year)
        session.add(step)
        state.level = level
        notice = escalation.level_notice(session, task, state, step, node=node, days_overdue=days, tz=run.tz,
                                         earlier=steps, skipped=skipped, people=people)
        for person in people:
            written += outbox.to_person(
                session, person, notice.message, key=f"esc:{task.id}:{state.episode}:{level}:{person.id}",
                kind="escalation", now=run.now, default_lang=run.lang, task_id=task.id, not_before=not_before,
                brief=None if high else notice.brief)
        told |= {p.id for p in people}
        steps.append(step)
        skipped = []
    state.level = max(state.level, levels[-1])
    later = moments[state.level + 1:]
    state.next_at = max(later[0], run.now) if later else None
    return written


_STATES: Table = EscalationState.__table__  # type: ignore[attr-defined]


def _close_all(session: Session, run: _Run, closing: dict[str, list[EscalationState]]) -> None:
    """Ends the episodes, one UPDATE per reason (there are five), and clears their markers."""
    for reason, states in sorted(closing.items()):
        session.execute(update(_STATES).where(ids_in(session, _STATES.c.id, sorted(must(s.id) for s in states)))
                        .values(status="closed", close_reason=reason, closed_at=run.now, next_at=None))
    _mark_closed(session, [s for states in closing.values() for s in states])


def _mark_opened(session: Session, opened: list[tuple[int, int | None, date]]) -> None:
    """The markers of episodes (task, node or None, due) opened in this transaction: the deadline's or the
    node's ``esc_due``, and the task's ``esc_live``."""
    update_many(session, _TASKS, [dict(id=t, esc_due=due) for t, n, due in opened if n is None], esc_live=True)
    node = [dict(id=n, esc_due=due) for _, n, due in opened if n is not None]
    if node:
        update_many(session, _NODES, node)
        session.execute(update(_TASKS).where(ids_in(session, _TASKS.c.id, sorted({t for t, n, _ in opened if n is not None})))
                        .values(esc_live=True))


def _mark_closed(session: Session, states: list[EscalationState]) -> None:
    """The markers of episodes ended in this transaction: their ``esc_due`` cleared, and each task's
    ``esc_live`` recomputed from the episodes still live (after the episodes' own UPDATE)."""
    if not states:
        return
    deadline = sorted({s.task_id for s in states if s.node_id is None})
    node = sorted({s.node_id for s in states if s.node_id is not None})
    if deadline:
        session.execute(update(_TASKS).where(ids_in(session, _TASKS.c.id, deadline)).values(esc_due=None))
    if node:
        session.execute(update(_NODES).where(ids_in(session, _NODES.c.id, node)).values(esc_due=None))
    still = exists().where(_STATES.c.task_id == _TASKS.c.id, _STATES.c.status == "open")
    session.execute(update(_TASKS).where(ids_in(session, _TASKS.c.id, sorted({s.task_id for s in states})))
                    .values(esc_live=still))


def _settle_chunk(run: _Run, session: Session, state_ids: list[int]) -> int:
    """``_settle`` for many episodes in one transaction: locked, re-checked as they are now, closed at once."""
    states = [s for s in _lock_many(session, EscalationState, state_ids).values() if s.status == "open"]
    tasks = _rows_by_id(session, Task, {s.task_id for s in states})
    nodes = _rows_by_id(session, TimeNode, {s.node_id for s in states if s.node_id})
    closing: dict[str, list[EscalationState]] = {}
    for state in states:
        reason = _why_ended(tasks.get(state.task_id), nodes.get(state.node_id) if state.node_id else None, state)
        if reason is not None:
            closing.setdefault(reason, []).append(state)
    _close_all(session, run, closing)
    return 0


def _rows_by_id(session: Session, model: Any, row_ids: Iterable[int]) -> dict[int, Any]:
    """The rows, by id, in one query (into the session, so later ``session.get`` calls find them)."""
    ids = sorted(set(row_ids))
    if not ids:
        return {}
    return {r.id: r for r in session.exec(select(model).where(ids_in(session, col(model.id), ids))).all()}


def _open_chunk(run: _Run, session: Session, items: list[tuple[int, int | None]]) -> int:
    """``_open_episode`` for many overdue dates in one transaction: the tasks locked and re-checked, the
    episodes numbered per task and written in one multi-row insert, and the levels already due fired with
    them (``_fire``): a new episode is not opened in one transaction and climbed in the next."""
    tasks = {i: t for i, t in _lock_many(session, Task, (t for t, _ in items)).items() if t.status in OPEN}
    run.load_policies(session, (t.force_id for t in tasks.values()))
    nodes = _rows_by_id(session, TimeNode, {n for t, n in items if n is not None and t in tasks})
    ids = sorted(tasks)
    if not ids:
        return 0
    live_rows = session.exec(select(col(EscalationState.task_id), col(EscalationState.target),
                                    col(EscalationState.node_id), col(EscalationState.due)).where(
        ids_in(session, col(EscalationState.task_id), ids), literal_in(EscalationState.status, "open"))).all()
    live = {(task_id, target) for task_id, target, _, _ in live_rows}
    # A candidate with a live episode had no marker (rows from before the markers): it gets one now.
    wanted = set(items)
    _mark_opened(session, [(t, n, due) for t, _, n, due in live_rows if (t, n) in wanted])
    earlier = set(session.exec(select(EscalationState.task_id, EscalationState.target).distinct().where(
        ids_in(session, col(EscalationState.task_id), ids))).all())
    last: dict[int, int] = dict(session.exec(
        select(EscalationState.task_id, func.max(EscalationState.episode))
        .where(ids_in(session, col(EscalationState.task_id), ids)).group_by(col(EscalationState.task_id))).all())
    rows: list[dict] = []
    firing: dict[tuple[int, str], tuple[Task, TimeNode | None, Policy, list[datetime], list[int]]] = {}
    for task_id, node_id in sorted(items, key=lambda x: (x[0], x[1] or 0)):
        task = tasks.get(task_id)
        if task is None:
            continue
        node = nodes.get(node_id) if node_id is not None else None
        if node_id is not None and (node is None or node.task_id != task.id or node.done_at is not None):
            continue
        due = task.due if node is None else node.due
        target = escalation.target_name(node_id)
        if due >= run.today or (task.id, target) in live:
            continue
        live.add((task.id, target))
        policy = run.policy(session, task.force_id)
        # The first episode counts from the missed date; a later one (the task was sent back after a
        # done report, say) climbs afresh from today rather than firing every level at once.
        anchor = due if (task.id, target) not in earlier else max(due, run.today - timedelta(days=1))
        entry = policy.urgent_entry if task.priority == "high" else 0
        moments = run.moments(session, task.workspace_id, anchor, entry_delays(policy.escalate, entry), policy.remind_hour)
        last[task.id] = episode = (last.get(task.id) or 0) + 1
        # The levels already due (day 0 is usually today: the first working morning after the date) fire in
        # this transaction, so the episode is written once, at the level it reaches, not opened and climbed.
        levels = due_levels(moments, -1, run.now)
        level, next_at = -1, moments[0] if moments else None
        if levels:
            level = levels[-1]
            later = moments[level + 1:]
            next_at = max(later[0], run.now) if later else None
            firing[task.id, target] = (task, node, policy, moments, levels)
        rows.append(dict(
            workspace_id=task.workspace_id, task_id=task.id, episode=episode, target=target, node_id=node_id,
            due=due, anchor=anchor, policy=policy.model_dump(), progress_seen=task.last_progress_at, level=level,
            schedule=[m.isoformat() for m in moments], next_at=next_at, status="open", created_at=run.now))
    # The unique (task, episode) and the one-live-episode-per-target index make a concurrent insert a no-op.
    opened = insert_ignore_many(session, EscalationState, rows, conflict=[],
                                returning=["id", "task_id", "node_id", "due", "target", "episode"])
    _mark_opened(session, [(t, n, due) for _, t, n, due, *_ in opened])
    climbs: list[_Climb] = []
    for state_id, task_id, _node, due, target, episode in opened:
        if (task_id, target) in firing:
            task, node, policy, moments, levels = firing[task_id, target]
            # The episode as it was before these levels (what their notices and ``_fire`` read of it).
            climbs.append(_Climb(_Opened(state_id, task_id, episode, due), task, node, policy, moments, levels))
    # Their level and next moment are already in the rows written: the moves ``_fire`` adds are not needed.
    return _fire(run, session, climbs, []) if climbs else 0


@dataclass(frozen=True)
class _Opened:
    """An episode written in this transaction, before its first levels (an ORM row costs more to build than
    to write): what ``_fire`` and the notices read of it."""

    id: int
    task_id: int
    episode: int
    due: date
    level: int = -1
    acked_by_id: int | None = None
    acked_at: datetime | None = None


@dataclass
class _Climb:
    """One episode climbing in a chunk: what it needs, and the levels it fires (with their people)."""

    state: EscalationState | _Opened
    task: Task
    node: TimeNode | None
    policy: Policy
    moments: list[datetime]
    levels: list[int]
    fired: list[tuple[int, list[Person]]] = field(default_factory=list)

    @property
    def state_id(self) -> int:
        return must(self.state.id)

    @property
    def task_id(self) -> int:
        return must(self.task.id)


def _climb_chunk(run: _Run, session: Session, state_ids: list[int]) -> int:
    """``_climb`` for many episodes in one transaction: the episodes locked and re-checked as they are
    now; tasks, nodes, steps, people, leads and leader chains loaded once; the notice numbers reserved
    in one statement; steps, messages and the episodes' new levels each written in one statement."""
    states = sorted((s for s in _lock_many(session, EscalationState, state_ids).values()
                     if s.status == "open" and s.next_at is not None and s.next_at <= run.now), key=lambda s: s.id)
    tasks = _rows_by_id(session, Task, {s.task_id for s in states})
    nodes = _rows_by_id(session, TimeNode, {s.node_id for s in states if s.node_id})
    closing: dict[str, list[EscalationState]] = {}
    moves: list[dict] = []
    climbs: list[_Climb] = []
    for state in states:
        task = tasks.get(state.task_id)
        node = nodes.get(state.node_id) if state.node_id else None
        reason = _why_ended(task, node, state)
        if reason is not None:
            closing.setdefault(reason, []).append(state)
            continue
        task = must(task)
        policy = _effective(state.policy)  # frozen when the episode began (a full policy: defaults add nothing)
        moments = escalation.schedule_of(state) or level_moments(
            state.anchor, policy.escalate, remind_hour=policy.remind_hour, tz=run.tz,
            calendar=run.calendar(session, task.workspace_id))
        levels = due_levels(moments, state.level, run.now)
        if not levels:
            upcoming = [m for m in moments[state.level + 1:] if m > run.now]
            moves.append(dict(id=state.id, level=state.level, next_at=upcoming[0] if upcoming else None))
            continue
        climbs.append(_Climb(state, task, node, policy, moments, levels))
    _close_all(session, run, closing)
    written = _fire(run, session, climbs, moves) if climbs else 0
    update_many(session, _STATES, moves)  # the episodes moved on: level, next level's time
    return written


def _fire(run: _Run, session: Session, climbs: list[_Climb], moves: list[dict]) -> int:
    """Fires the due levels of ``climbs`` (see ``_climb``) and adds each episode's move to ``moves``."""
    earlier: dict[int, list[EscalationStep]] = {c.state_id: [] for c in climbs}
    for step in session.exec(select(EscalationStep).where(ids_in(session, col(EscalationStep.state_id), earlier.keys()))
                             .order_by(col(EscalationStep.level))).all():
        earlier[step.state_id].append(step)
    # A level already written is another process's (or an earlier run's) doing: that episode is left alone.
    climbs = [c for c in climbs if not any(s.level in c.levels for s in earlier[c.state_id])]
    task_ids = {c.task.id for c in climbs}
    co_owners: dict[int, list[int]] = {}
    for task_id, person_id in session.exec(select(TaskCoOwner.task_id, TaskCoOwner.person_id)
                                           .where(ids_in(session, col(TaskCoOwner.task_id), task_ids))).all():
        co_owners.setdefault(task_id, []).append(person_id)
    leads: dict[int, list[int]] = {}
    force_ids = {c.task.force_id for c in climbs if c.task.force_id is not None}
    for force_id, person_id in session.exec(select(ForceMember.force_id, ForceMember.person_id).where(
            ids_in(session, col(ForceMember.force_id), force_ids), col(ForceMember.is_lead) == True)).all():  # noqa: E712
        leads.setdefault(force_id, []).append(person_id)
    # Into the session: level_notice, owner_label and leaders_of then find every row without a query.
    people = _rows_by_id(session, Person, {c.task.owner_id for c in climbs} | {p for ps in co_owners.values() for p in ps}
                         | {p for ps in leads.values() for p in ps}
                         | {c.state.acked_by_id for c in climbs if c.state.acked_by_id is not None})
    # The session holds rows weakly: these names keep them loaded until the chunk is done.
    forces = _rows_by_id(session, TaskForce, force_ids)
    departments = _rows_by_id(session, Department, {c.task.department_id for c in climbs if c.task.department_id})
    high_climbs = [c.task for c in climbs if c.levels[-1] >= 2]
    chains = escalation.preload_chains(session, high_climbs) if high_climbs else escalation.Chains(set(), ())
    year = local_today(run.now, run.tz).year
    wanted: dict[tuple[int, str, int], int] = {}
    for c in climbs:
        owner = must(session.get(Person, c.task.owner_id), "owner")
        co = [people[p] for p in sorted(co_owners.get(c.task_id, [])) if p in people]
        force_leads = [people[p] for p in sorted(leads.get(c.task.force_id or 0, [])) if p in people]
        # The leader chain is walked once, for levels 2 and 3 alike.
        chain = escalation.leaders_of(session, c.task, chains.leader_ids) if c.levels[-1] >= 2 else (None, None)
        told = {pid for s in earlier[c.state_id] for pid in s.recipients or []}
        for level in c.levels:  # lowest first: after downtime the owner hears before the 分管领导
            chosen = [p for p in escalation.choose(level, owner, co, force_leads, chain) if p.id not in told]
            c.fired.append((level, chosen))
            told |= {p.id for p in chosen}
            if chosen:
                key = (c.task.workspace_id, escalation.SERIES[level], year)
                wanted[key] = wanted.get(key, 0) + 1
    numbers = escalation.reserve_numbers(session, wanted)
    step_rows: list[dict] = []
    rows: list[dict] = []
    for c in climbs:
        task, state = c.task, c.state
        skipped = [s.level for s in earlier[c.state_id] if not s.recipients]
        steps: list[escalation.StepLike] = list(earlier[c.state_id])
        high = task.priority == "high"
        not_before = run.send_at(session, task, c.policy)
        days = escalation.days_overdue(run.calendar(session, task.workspace_id), state.due, run.read_on(not_before))
        for level, chosen in c.fired:
            new = _Step(level)
            if chosen:
                series = escalation.SERIES[level]
                new = _Step(level, series, year, numbers[(task.workspace_id, series, year)])
                numbers[(task.workspace_id, series, year)] += 1
            step_rows.append(dict(workspace_id=task.workspace_id, state_id=c.state_id, task_id=c.task_id,
                                  level=level, series=new.series, year=new.year, no=new.no,
                                  recipients=[p.id for p in chosen], created_at=run.now))
            if not chosen:  # nobody (left) to tell at this level: passed without using up a number
                skipped.append(level)
                continue
            notice = escalation.level_notice(session, task, state, new, node=c.node, days_overdue=days, tz=run.tz,
                                             earlier=steps, skipped=skipped, people=chosen)
            rows += [outbox.person_row(
                person, notice.message, key=f"esc:{task.id}:{state.episode}:{level}:{person.id}", kind="escalation",
                now=run.now, default_lang=run.lang, task_id=task.id, not_before=not_before,
                brief=None if high else notice.brief) for person in chosen]
            steps = [*steps, new]
            skipped = []
        level = max(state.level, c.levels[-1])
        later = c.moments[level + 1:]
        moves.append(dict(id=state.id, level=level, next_at=max(later[0], run.now) if later else None))
    # Unique (state, level): with the episodes locked nobody else writes these; if one did, the chunk is
    # rolled back and redone an item per transaction, where the per-item checks see it.
    taken = insert_ignore_many(session, EscalationStep, step_rows, conflict=["state_id", "level"], returning=["id"])
    if len(taken) != len(step_rows):
        raise RuntimeError("escalation steps written meanwhile by another process")
    del forces, departments, chains  # held until here on purpose (see above)
    return outbox.insert_many(session, rows)


@dataclass(frozen=True)
class _Step:
    """A step about to be written, as its notice reads it (an ORM row costs more to build than to write)."""

    level: int
    series: str | None = None
    year: int | None = None
    no: int | None = None


# ---------------------------------------------------------------- notices


def sweep_notices(engine: Engine, *, now: datetime, tz: ZoneInfo = DEFAULT_TZ,
                  default_lang: str = DEFAULT_LANG) -> int:
    """Tells members who have not confirmed a notice (收到) again, at most once every
    policy.renotice_hours and at most policy.renotice_limit times. Never doubles: one key per send."""
    run = _Run(engine, now, tz, default_lang)
    with session_scope(engine) as session:
        ids = session.exec(
            select(NoticeReceipt.id)
            .where(col(NoticeReceipt.confirmed_at).is_(None), col(NoticeReceipt.next_renotice_at).is_not(None),
                   col(NoticeReceipt.next_renotice_at) <= run.now)
            .order_by(col(NoticeReceipt.next_renotice_at), col(NoticeReceipt.id))
        ).all()
    return _each(run, ids, partial(_renotice, run), "notices")


def _renotice(run: _Run, session: Session, receipt_id: int) -> int:
    receipt = _lock(session, NoticeReceipt, receipt_id)
    if receipt is None or receipt.confirmed_at is not None or receipt.next_renotice_at is None \
            or receipt.next_renotice_at > run.now:
        return 0
    notice = must(session.get(Notice, receipt.notice_id), "notice")
    force = must(session.get(TaskForce, notice.force_id), "task force")
    member = session.exec(select(ForceMember.id).where(ForceMember.force_id == force.id,
                                                       ForceMember.person_id == receipt.person_id)).first()
    policy = run.policy(session, force.id)
    if force.status != "open" or member is None or receipt.sent_count - 1 >= policy.renotice_limit:
        receipt.next_renotice_at = None  # closed force, member gone, or told often enough
        return 0
    person = must(session.get(Person, receipt.person_id), "person")
    author = must(session.get(Person, notice.author_id), "author")
    nth = receipt.sent_count + 1
    not_before = send_time(run.now, tz=run.tz, calendar=run.calendar(session, notice.workspace_id), policy=policy)
    brief = outbox.Brief(group="notice", line=Msg("brief.notice", id=notice.id, force=force.name, author=author.name,
                                                  text=notices.excerpt(notice.text)), verbs=("notice.ack",))
    written = outbox.to_person(session, person, notices.message(notice, force, author, nth=nth),
                               key=notices.receipt_key(must(notice.id), must(person.id), nth), kind="notice", now=run.now,
                               default_lang=run.lang, not_before=not_before, notice_id=notice.id, brief=brief)
    receipt.sent_count = nth
    receipt.next_renotice_at = notices.next_renotice(not_before, nth, policy)
    return int(written)


i18n.register(
    {
        "remind.deadline.days": {
            "zh": "⏰ 任务 #{id}「{title}」将于 {due}截止，还有 {days} 个工作日，当前进度 {progress}%。"
                  "请按时推进并更新进展：/task progress {id} <n>%",
            "en": "⏰ Task #{id} “{title}” is due {due}, in {days} {days:working day|working days}; progress {progress}%. "
                  "Keep it moving and report: /task progress {id} <n>%",
        },
        "remind.deadline.last": {
            "zh": "⏰ 任务 #{id}「{title}」将于 {due}（非工作日）截止，今天是截止前最后一个工作日，当前进度 {progress}%。"
                  "完成后请报完成：/task done {id}；需要更多时间请申请延期：/task extend {id} <日期> <原因>",
            "en": "⏰ Task #{id} “{title}” is due {due} (a day off): today is the last working day before it; "
                  "progress {progress}%. Report it done: /task done {id}, or ask for more time: "
                  "/task extend {id} <date> <reason>",
        },
        "remind.deadline.today": {
            "zh": "⏰ 任务 #{id}「{title}」今天截止（{due}），当前进度 {progress}%。"
                  "完成后请报完成：/task done {id}；需要更多时间请申请延期：/task extend {id} <日期> <原因>",
            "en": "⏰ Task #{id} “{title}” is due today ({due}); progress {progress}%. Report it done: "
                  "/task done {id}, or ask for more time: /task extend {id} <date> <reason>",
        },
        "remind.node.days": {
            "zh": "⏰ 任务 #{id}「{title}」的节点「{node}」将于 {due}到期，还有 {days} 个工作日。"
                  "完成后请更新进展：/task progress {id} <n>%",
            "en": "⏰ Node “{node}” of task #{id} “{title}” is due {due}, in {days} {days:working day|working days}. "
                  "Report progress when it is reached: /task progress {id} <n>%",
        },
        "remind.node.last": {
            "zh": "⏰ 任务 #{id}「{title}」的节点「{node}」将于 {due}（非工作日）到期，今天是到期前最后一个工作日。",
            "en": "⏰ Node “{node}” of task #{id} “{title}” is due {due} (a day off): today is the last working "
                  "day before it.",
        },
        "remind.node.today": {
            "zh": "⏰ 任务 #{id}「{title}」的节点「{node}」今天到期（{due}）。完成后请更新进展：/task progress {id} <n>%",
            "en": "⏰ Node “{node}” of task #{id} “{title}” is due today ({due}). "
                  "Report progress when it is reached: /task progress {id} <n>%",
        },
        "brief.remind.deadline.days": {
            "zh": "#{id}「{title}」{due}截止，还有 {days} 个工作日 · 进度 {progress}%",
            "en": "#{id} “{title}” due {due}, in {days} {days:working day|working days} · {progress}%",
        },
        "brief.remind.deadline.last": {
            "zh": "#{id}「{title}」{due}（非工作日）截止，今天是最后一个工作日 · 进度 {progress}%",
            "en": "#{id} “{title}” due {due} (a day off): today is the last working day · {progress}%",
        },
        "brief.remind.deadline.today": {
            "zh": "#{id}「{title}」今天截止 · 进度 {progress}%",
            "en": "#{id} “{title}” is due today · {progress}%",
        },
        "brief.remind.node.days": {
            "zh": "#{id}「{title}」节点「{node}」{due}到期，还有 {days} 个工作日",
            "en": "#{id} “{title}”: node “{node}” due {due}, in {days} {days:working day|working days}",
        },
        "brief.remind.node.last": {
            "zh": "#{id}「{title}」节点「{node}」{due}（非工作日）到期，今天是最后一个工作日",
            "en": "#{id} “{title}”: node “{node}” due {due} (a day off): today is the last working day",
        },
        "brief.remind.node.today": {
            "zh": "#{id}「{title}」节点「{node}」今天到期",
            "en": "#{id} “{title}”: node “{node}” is due today",
        },
        "brief.nudge": {
            "zh": "#{id}「{title}」已 {days} 个工作日未更新进展（自 {last}起）· 进度 {progress}%",
            "en": "#{id} “{title}”: no progress report for {days} {days:working day|working days} (since {last}) · {progress}%",
        },
        "brief.notice": {
            "zh": "通知 #{id}（{force}，{author}）：{text}",
            "en": "Notice #{id} ({force}, {author}): {text}",
        },
        "nudge.silent": {
            "zh": "💬 任务 #{id}「{title}」已 {days} 个工作日没有更新进展（自 {last}起，当前 {progress}%）。"
                  "请花一分钟报一下进展：/task progress {id} <n>% <说明>；遇到困难可报受阻：/task block {id} <原因>",
            "en": "💬 Task #{id} “{title}” has had no progress report for {days} {days:working day|working days} (since {last}; "
                  "at {progress}%). Take a minute to report: /task progress {id} <n>% <note>, or flag a blocker: "
                  "/task block {id} <reason>",
        },
    }
)
