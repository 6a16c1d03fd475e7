"""Periodic sweeps: reminders, nudges, escalations (督办) and notice re-sends, plus ``once_only``,
the lock the digest and meeting jobs (jobs/digests.py, jobs/meetings.py) run under. Every sweep
takes ``now`` and never reads the clock.

A sweep selects what is due through an index, so its cost follows what is due, not what exists.
Each item is handled in its own short transaction: lock it (on PostgreSQL ``FOR UPDATE SKIP
LOCKED``, so parallel processes share items instead of queueing on them), re-read it, apply the
guard clauses, write outbox rows with idempotency keys and mark the step done with a unique row.
Running a sweep again, late, or in several processes at once therefore writes nothing twice; a
failing item is logged and retried by the next run without stopping the others.

Every sweep returns the number of outbox rows (messages) it wrote. Messages a sweep decides on in
quiet hours or on a day off wait for the next working morning, except for high-priority tasks.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, or_, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from models import escalation, i18n, notices, outbox
from models.calendar import WorkCalendar, local_today
from models.db import is_postgres, session_scope
from models.i18n import Msg
from models.org import calendar_for
from models.policy import DEFAULT, Policy, effective
from models.sqlutil import insert_ignore, literal_in, skip_locked
from models.tables import (
    EscalationState, EscalationStep, ForceMember, Notice, NoticeReceipt, Person, SweepLog, Task, TaskCoOwner,
    TaskForce, TimeNode, Workspace,
)
from models.timing import (
    due_reminder, ladder_start, level_moments, due_level, reminder_horizon, send_time, silence_cutoff,
)

log = logging.getLogger(__name__)

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_LANG = "zh"
LIVE = ("todo", "active", "blocked", "done_requested")  # the predicate of ix_task_live_due
OPEN = ("todo", "active", "blocked")  # live and not reported done: reminders, nudges and escalations apply
# A silence that began longer ago than this when first seen is not nudged: it was nudged when it
# began (unless the bot was down for a month), and digests list silent tasks anyway.
NUDGE_LOOKBACK = timedelta(days=30)
CHUNK = 100  # items re-checked and prepared together before their own transactions

T = TypeVar("T")


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
    _people: dict[int, Person] = field(default_factory=dict)
    _co_owners: dict[int, list[int]] = field(default_factory=dict)

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
            self._policies[force_id] = effective(force.policy) if force is not None else DEFAULT
        return self._policies[force_id]

    def load_people(self, session: Session, task_ids: set[int]) -> None:
        """Caches the owners and co-owners of these tasks for the items about to be handled."""
        if not task_ids:
            return
        co = session.exec(select(TaskCoOwner.task_id, TaskCoOwner.person_id)
                          .where(TaskCoOwner.task_id.in_(task_ids))).all()
        for task_id in task_ids:
            self._co_owners[task_id] = []
        for task_id, person_id in co:
            self._co_owners[task_id].append(person_id)
        owners = session.exec(select(Task.owner_id).where(Task.id.in_(task_ids))).all()
        wanted = ({p for _, p in co} | set(owners)) - self._people.keys()
        if wanted:
            self._people.update((p.id, p) for p in session.exec(select(Person).where(Person.id.in_(wanted))).all())

    def person(self, session: Session, person_id: int) -> Person:
        if person_id not in self._people:
            self._people[person_id] = session.get(Person, person_id)
        return self._people[person_id]

    def owners(self, session: Session, task: Task) -> list[Person]:
        """The owner and the co-owners (协办人) of a task."""
        if task.id not in self._co_owners:
            self.load_people(session, {task.id})
        co = [self.person(session, p) for p in sorted(self._co_owners[task.id]) if p != task.owner_id]
        return [self.person(session, task.owner_id), *co]

    def all_policies(self, session: Session) -> list[Policy]:
        """Every policy in force (the default and each task force's), to bound the candidate queries."""
        for force_id, overrides in session.exec(select(TaskForce.id, TaskForce.policy)).all():
            if force_id not in self._policies:
                self._policies[force_id] = effective(overrides)
        return [DEFAULT, *self._policies.values()]

    def read_on(self, send_at: datetime) -> date:
        """The day a message goes out: day counts in its text are counted to it, not to the sweep."""
        return local_today(max(self.now, send_at), self.tz)

    def send_at(self, session: Session, task: Task, policy: Policy) -> datetime:
        """When a sweep's message about ``task`` may go out (quiet hours, days off, high priority)."""
        return send_time(self.now, tz=self.tz, calendar=self.calendar(session, task.workspace_id), policy=policy,
                         high=task.priority == "high", morning_hour=policy.remind_hour)


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
            for item in chunk:
                try:
                    with session_scope(conn) as session:
                        written += handle(session, item)
                except Exception:  # noqa: BLE001 - one bad item must not stop the sweep
                    log.exception("%s sweep: item %r failed; the next run tries again", what, item)
    return written


def _lock(session: Session, model: Any, row_id: int) -> Any:
    """The row, locked for this transaction; None if missing or (PostgreSQL) another worker holds it."""
    return session.exec(skip_locked(session, select(model).where(model.id == row_id))).first()


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
    with session_scope(engine) as session:
        targets = _reminder_targets(session, run)
    return _each(run, targets, partial(_remind, run), "reminders", untaken=partial(_untaken_steps, run))


def _reminder_targets(session: Session, run: _Run) -> list[_Target]:
    max_days = max(max(p.remind_days, default=0) for p in run.all_policies(session))
    found: list[_Target] = []
    for ws_id in session.exec(select(Workspace.id)).all():
        cal = run.calendar(session, ws_id)
        horizon = reminder_horizon(run.today, calendar=cal, max_days=max_days)
        in_window = lambda col: and_(col >= run.today, col <= horizon)  # noqa: E731
        deadlines = [(task_id, None, *rest) for task_id, *rest in session.exec(
            select(Task.id, Task.force_id, Task.due, Task.created_at, Task.priority)
            .where(Task.workspace_id == ws_id, literal_in(Task.status, *LIVE), Task.status != "done_requested",
                   in_window(Task.due))
        ).all()]
        nodes = session.exec(
            select(TimeNode.task_id, TimeNode.id, Task.force_id, TimeNode.due, TimeNode.created_at, Task.priority)
            .join(Task, Task.id == TimeNode.task_id)
            .where(TimeNode.done_at.is_(None), in_window(TimeNode.due), Task.workspace_id == ws_id,
                   literal_in(Task.status, *OPEN))
        ).all()
        for task_id, node_id, force_id, due, since, priority in [*deadlines, *nodes]:
            step = due_reminder(due, since=since, now=run.now, tz=run.tz, calendar=cal,
                                policy=run.policy(session, force_id), high=priority == "high")
            if step is not None:
                found.append(_Target(task_id, node_id, due, step.days))
    return sorted(found, key=lambda t: (t.task_id, t.node_id or 0))


def _untaken_steps(run: _Run, session: Session, targets: list[_Target]) -> list[_Target]:
    """Drops the steps already taken (by an earlier run, or another process), in one query, and
    loads the people the others will be sent to."""
    taken = set(session.exec(
        select(SweepLog.task_id, SweepLog.target, SweepLog.due, SweepLog.step)
        .where(SweepLog.kind == "remind", SweepLog.task_id.in_({t.task_id for t in targets}),
               SweepLog.due >= run.today)
    ).all())
    todo = [t for t in targets if (t.task_id, t.name, t.due, t.days) not in taken]
    run.load_people(session, {t.task_id for t in todo})
    return todo


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
    not_before = run.send_at(session, task, policy)
    msg = _reminder_message(task, node_name, due, today=run.read_on(not_before), calendar=cal)
    return sum(
        outbox.to_person(session, person, msg, key=f"remind:{task.id}:{target.name}:{due}:{step.days}:{person.id}",
                         kind="reminder", now=run.now, default_lang=run.lang, task_id=task.id, not_before=not_before)
        for person in run.owners(session, task)
    )


def _reminder_message(task: Task, node: str | None, due: date, *, today: date, calendar: WorkCalendar) -> Msg:
    left = calendar.working_days_between(today, due)
    when = "today" if due == today else ("last" if left == 0 else "days")
    what = "deadline" if node is None else "node"
    return Msg(f"remind.{what}.{when}", id=task.id, title=task.title, node=node, due=due.isoformat(), days=left,
               progress=task.progress)


# ---------------------------------------------------------------- nudges


def sweep_nudges(engine: Engine, *, now: datetime, tz: ZoneInfo = DEFAULT_TZ,
                 default_lang: str = DEFAULT_LANG) -> int:
    """Nudges the owner of a live task without a progress report for policy.stale_days working days.
    Once per silence: only a new report starts a new one."""
    run = _Run(engine, now, tz, default_lang)
    with session_scope(engine) as session:
        ids = _silent_tasks(session, run)
    return _each(run, ids, partial(_nudge, run), "nudges")


def _silent_tasks(session: Session, run: _Run) -> list[int]:
    policies = run.all_policies(session)
    found: set[int] = set()
    for ws_id in session.exec(select(Workspace.id)).all():
        cal = run.calendar(session, ws_id)
        # The shortest stale_days in force gives the latest cutoff: a superset, checked per task below.
        upper = silence_cutoff(run.now, tz=run.tz, calendar=cal, stale_days=min(p.stale_days for p in policies))
        lower = upper - NUDGE_LOOKBACK
        common = (Task.workspace_id == ws_id, Task.start_date <= run.today, Task.due >= run.today)
        # Two halves, each through its partial index: tasks reported on, and tasks never reported on.
        reported = session.exec(
            select(Task.id, Task.force_id, Task.last_progress_at)
            .where(literal_in(Task.status, *OPEN), Task.last_progress_at >= lower, Task.last_progress_at < upper,
                   *common, ~_nudged_since(Task.last_progress_at))
        ).all()
        unreported = session.exec(
            select(Task.id, Task.force_id, Task.created_at)
            .where(literal_in(Task.status, *OPEN), Task.last_progress_at.is_(None), Task.created_at >= lower,
                   Task.created_at < upper, *common, ~_nudged_since(Task.created_at))
        ).all()
        for task_id, force_id, silent_since in [*reported, *unreported]:
            stale = run.policy(session, force_id).stale_days
            if silent_since < silence_cutoff(run.now, tz=run.tz, calendar=cal, stale_days=stale):
                found.add(task_id)
    return sorted(found)


def _nudged_since(moment: Any) -> Any:
    return exists().where(SweepLog.task_id == Task.id, SweepLog.kind == "nudge", SweepLog.created_at >= moment)


def _nudge(run: _Run, session: Session, task_id: int) -> int:
    task = _lock(session, Task, task_id)
    if task is None or task.status not in OPEN or not task.start_date <= run.today <= task.due:
        return 0
    cal = run.calendar(session, task.workspace_id)
    policy = run.policy(session, task.force_id)
    silent_since = task.last_progress_at or task.created_at
    if silent_since >= silence_cutoff(run.now, tz=run.tz, calendar=cal, stale_days=policy.stale_days):
        return 0  # a report arrived since the query
    first_day = local_today(silent_since, run.tz)
    # One nudge per silence, whatever the policy says later: the silence is named by its first day.
    if not insert_ignore(session, SweepLog, dict(
            workspace_id=task.workspace_id, task_id=task.id, kind="nudge", target="silence", due=first_day, step=0,
            created_at=run.now), conflict=["task_id", "kind", "target", "due", "step"]):
        return 0
    owner = run.person(session, task.owner_id)
    not_before = run.send_at(session, task, policy)
    days = cal.working_days_between(first_day, run.read_on(not_before))
    msg = Msg("nudge.silent", id=task.id, title=task.title, days=days, last=first_day.isoformat(),
              progress=task.progress)
    return int(outbox.to_person(session, owner, msg, key=f"nudge:{task.id}:{silent_since.isoformat()}", kind="nudge",
                                now=run.now, default_lang=run.lang, task_id=task.id, not_before=not_before))


# ---------------------------------------------------------------- escalations


def sweep_escalations(engine: Engine, *, now: datetime, tz: ZoneInfo = DEFAULT_TZ,
                      default_lang: str = DEFAULT_LANG) -> int:
    """Climbs the 督办 ladder of overdue tasks: owner on day 0 (the first working day after the
    deadline), then the task force's lead(s), the leader in charge and the chief after
    policy.escalate working days, with the policy frozen when the task turned red. Each level fires
    once per episode; an acknowledgement stops the ladder; progress or an approved extension ends
    the episode, and a task still overdue starts a new one."""
    run = _Run(engine, now, tz, default_lang)
    with session_scope(engine) as session:
        ended = _ended_episodes(session)
    _each(run, ended, partial(_settle, run), "escalations")
    with session_scope(engine) as session:
        red = _red_without_episode(session, run)
    _each(run, red, partial(_open_episode, run), "escalations")
    with session_scope(engine) as session:
        due = session.exec(
            select(EscalationState.id)
            .where(literal_in(EscalationState.status, "open"), EscalationState.next_at.is_not(None),
                   EscalationState.next_at <= run.now)
            .order_by(EscalationState.next_at, EscalationState.id)
        ).all()
    return _each(run, due, partial(_climb, run), "escalations")


def _why_ended(task: Task | None, state: EscalationState) -> str | None:
    """Why an episode is over: the task is no longer overdue work, or new facts reset the ladder."""
    if task is None or task.status not in OPEN:
        return "closed"
    if task.due != state.due:
        return "extension"
    seen = state.progress_seen
    if task.last_progress_at is not None and (seen is None or task.last_progress_at > seen):
        return "progress"
    return None


def _ended_episodes(session: Session) -> list[int]:
    return list(session.exec(
        select(EscalationState.id).join(Task, Task.id == EscalationState.task_id)
        .where(literal_in(EscalationState.status, *escalation.LIVE_STATES), or_(
            Task.status.not_in(OPEN),
            Task.due != EscalationState.due,
            and_(Task.last_progress_at.is_not(None),
                 or_(EscalationState.progress_seen.is_(None), Task.last_progress_at > EscalationState.progress_seen)),
        )).order_by(EscalationState.id)
    ).all())


def _end(state: EscalationState, reason: str, now: datetime) -> None:
    state.status = "closed" if reason == "closed" else "reset"
    state.close_reason = reason
    state.closed_at = now
    state.next_at = None


def _settle(run: _Run, session: Session, state_id: int) -> int:
    state = _lock(session, EscalationState, state_id)
    if state is None or state.status not in escalation.LIVE_STATES:
        return 0
    reason = _why_ended(session.get(Task, state.task_id), state)
    if reason is not None:
        _end(state, reason, run.now)
    return 0


def _red_without_episode(session: Session, run: _Run) -> list[int]:
    live = exists().where(EscalationState.task_id == Task.id,
                          literal_in(EscalationState.status, *escalation.LIVE_STATES))
    return list(session.exec(
        select(Task.id).where(literal_in(Task.status, *LIVE), Task.status != "done_requested",
                              Task.due < run.today, ~live).order_by(Task.id)
    ).all())


def _open_episode(run: _Run, session: Session, task_id: int) -> int:
    task = _lock(session, Task, task_id)
    if task is None or task.status not in OPEN or task.due >= run.today:
        return 0
    if escalation.live_state(session, task.id) is not None:
        return 0
    policy = run.policy(session, task.force_id)
    anchor = ladder_start(task.due, task.last_progress_at, tz=run.tz)
    moments = level_moments(anchor, policy.escalate, remind_hour=policy.remind_hour, tz=run.tz,
                            calendar=run.calendar(session, task.workspace_id))
    last = session.exec(select(func.max(EscalationState.episode)).where(EscalationState.task_id == task.id)).one()
    # The unique (task, episode) and the one-live-episode index make a concurrent insert a no-op.
    insert_ignore(session, EscalationState, dict(
        workspace_id=task.workspace_id, task_id=task.id, episode=(last or 0) + 1, due=task.due, anchor=anchor,
        policy=policy.model_dump(), progress_seen=task.last_progress_at, level=-1,
        next_at=moments[0] if moments else None, status="open", created_at=run.now))
    return 0


def _climb(run: _Run, session: Session, state_id: int) -> int:
    state = _lock(session, EscalationState, state_id)
    if state is None or state.status != "open" or state.next_at is None or state.next_at > run.now:
        return 0
    task = session.get(Task, state.task_id)
    reason = _why_ended(task, state)
    if reason is not None:
        _end(state, reason, run.now)
        return 0
    policy = Policy(**state.policy)  # frozen when the episode began
    cal = run.calendar(session, task.workspace_id)
    moments = level_moments(state.anchor, policy.escalate, remind_hour=policy.remind_hour, tz=run.tz, calendar=cal)
    level = due_level(moments, state.level, run.now)
    if level is None:
        upcoming = [m for m in moments[state.level + 1:] if m > run.now]
        state.next_at = upcoming[0] if upcoming else None
        return 0
    if session.exec(select(EscalationStep.id).where(EscalationStep.state_id == state.id,
                                                    EscalationStep.level == level)).first() is not None:
        return 0
    people = escalation.recipients(session, task, level)
    step = EscalationStep(workspace_id=task.workspace_id, state_id=state.id, task_id=task.id, level=level,
                          recipients=[p.id for p in people], created_at=run.now)
    if people:  # a level with nobody to tell (no leader chain) is passed without using up a number
        step.series = escalation.SERIES[level]
        step.year = local_today(run.now, run.tz).year
        step.no = escalation.next_number(session, task.workspace_id, step.series, step.year)
    session.add(step)
    state.level = level
    state.next_at = moments[level + 1] if level + 1 < len(moments) else None
    not_before = run.send_at(session, task, policy)
    msg = escalation.level_message(session, task, state, step, tz=run.tz,
                                   days_overdue=cal.working_days_between(state.due, run.read_on(not_before)))
    return sum(
        outbox.to_person(session, person, msg, key=f"esc:{task.id}:{state.episode}:{level}:{person.id}",
                         kind="escalation", now=run.now, default_lang=run.lang, task_id=task.id, not_before=not_before)
        for person in people
    )


# ---------------------------------------------------------------- notices


def sweep_notices(engine: Engine, *, now: datetime, tz: ZoneInfo = DEFAULT_TZ,
                  default_lang: str = DEFAULT_LANG) -> int:
    """Tells members who have not confirmed a notice (收到) again, at most once every
    policy.renotice_hours and at most policy.renotice_limit times. Never doubles: one key per send."""
    run = _Run(engine, now, tz, default_lang)
    with session_scope(engine) as session:
        ids = session.exec(
            select(NoticeReceipt.id)
            .where(NoticeReceipt.confirmed_at.is_(None), NoticeReceipt.next_renotice_at.is_not(None),
                   NoticeReceipt.next_renotice_at <= run.now)
            .order_by(NoticeReceipt.next_renotice_at, NoticeReceipt.id)
        ).all()
    return _each(run, ids, partial(_renotice, run), "notices")


def _renotice(run: _Run, session: Session, receipt_id: int) -> int:
    receipt = _lock(session, NoticeReceipt, receipt_id)
    if receipt is None or receipt.confirmed_at is not None or receipt.next_renotice_at is None \
            or receipt.next_renotice_at > run.now:
        return 0
    notice = session.get(Notice, receipt.notice_id)
    force = session.get(TaskForce, notice.force_id)
    member = session.exec(select(ForceMember.id).where(ForceMember.force_id == force.id,
                                                       ForceMember.person_id == receipt.person_id)).first()
    policy = run.policy(session, force.id)
    if force.status != "open" or member is None or receipt.sent_count - 1 >= policy.renotice_limit:
        receipt.next_renotice_at = None  # closed force, member gone, or told often enough
        return 0
    person = session.get(Person, receipt.person_id)
    author = session.get(Person, notice.author_id)
    nth = receipt.sent_count + 1
    not_before = send_time(run.now, tz=run.tz, calendar=run.calendar(session, notice.workspace_id), policy=policy)
    written = outbox.to_person(session, person, notices.message(notice, force, author, nth=nth),
                               key=notices.receipt_key(notice.id, person.id, nth), kind="notice", now=run.now,
                               default_lang=run.lang, not_before=not_before, notice_id=notice.id)
    receipt.sent_count = nth
    receipt.next_renotice_at = notices.next_renotice(not_before, nth, policy)
    return int(written)


# ---------------------------------------------------------------- once-only jobs


@contextmanager
def once_only(engine: Engine, job: str) -> Iterator[Session | None]:
    """A transaction only one process gets at a time for ``job``: on PostgreSQL it holds an advisory
    lock until it ends, and other processes get None and skip the run. SQLite deployments run one
    scheduling process, which always gets the session."""
    with session_scope(engine) as session:
        if is_postgres(session):
            got = session.execute(text("SELECT pg_try_advisory_xact_lock(hashtext(:job))"),
                                  {"job": f"guatu:{job}"}).scalar()
            if not got:
                yield None
                return
        yield session


i18n.register(
    {
        "remind.deadline.days": {
            "zh": "⏰ 任务 #{id}「{title}」将于 {due} 截止，还有 {days} 个工作日，当前进度 {progress}%。"
                  "请按时推进并更新进展：/task progress {id} <n>%",
            "en": "⏰ Task #{id} “{title}” is due {due}, in {days} working day(s); progress {progress}%. "
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
            "zh": "⏰ 任务 #{id}「{title}」今天（{due}）截止，当前进度 {progress}%。"
                  "完成后请报完成：/task done {id}；需要更多时间请申请延期：/task extend {id} <日期> <原因>",
            "en": "⏰ Task #{id} “{title}” is due today ({due}); progress {progress}%. Report it done: "
                  "/task done {id}, or ask for more time: /task extend {id} <date> <reason>",
        },
        "remind.node.days": {
            "zh": "⏰ 任务 #{id}「{title}」的节点「{node}」将于 {due} 到期，还有 {days} 个工作日。"
                  "完成后请更新进展：/task progress {id} <n>%",
            "en": "⏰ Node “{node}” of task #{id} “{title}” is due {due}, in {days} working day(s). "
                  "Report progress when it is reached: /task progress {id} <n>%",
        },
        "remind.node.last": {
            "zh": "⏰ 任务 #{id}「{title}」的节点「{node}」将于 {due}（非工作日）到期，今天是到期前最后一个工作日。",
            "en": "⏰ Node “{node}” of task #{id} “{title}” is due {due} (a day off): today is the last working "
                  "day before it.",
        },
        "remind.node.today": {
            "zh": "⏰ 任务 #{id}「{title}」的节点「{node}」今天（{due}）到期。完成后请更新进展：/task progress {id} <n>%",
            "en": "⏰ Node “{node}” of task #{id} “{title}” is due today ({due}). "
                  "Report progress when it is reached: /task progress {id} <n>%",
        },
        "nudge.silent": {
            "zh": "💬 任务 #{id}「{title}」已 {days} 个工作日没有更新进展（自 {last} 起，当前 {progress}%）。"
                  "请花一分钟报一下进展：/task progress {id} <n>% <说明>；遇到困难可报受阻：/task block {id} <原因>",
            "en": "💬 Task #{id} “{title}” has had no progress report for {days} working day(s) (since {last}; "
                  "at {progress}%). Take a minute to report: /task progress {id} <n>% <note>, or flag a blocker: "
                  "/task block {id} <reason>",
        },
    }
)
