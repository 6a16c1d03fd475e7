"""督办: the escalation ladder of an overdue deadline or time node, its numbered notices and 收到.

Recipients are chosen by role, never by position alone:

* level 0 (提示单): the owner, and the co-owners (协办人);
* level 1 (提示单): the task force's leads;
* level 2 (督办单): the 分管领导, the first person up the owner's leader chain (``reports_to``) who
  holds the ``leader`` role; without one, the head of the owner's department, then of its parents;
* level 3 (通报): the chief, the topmost ``leader`` in that chain (or the topmost department head),
  if someone else than level 2's.

Nobody gets two levels of one episode; a level with nobody left is skipped (no number used) and the
next notice says so. Each notice is numbered per workspace and year (督办〔2026〕7号). The sweep that
climbs the ladder lives in ``jobs/sweeps.py``; this module holds what it and the commands share.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Table, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from models import i18n, org, outbox
from models.calendar import WorkCalendar, to_local
from models.context import Ctx
from models.i18n import Day, Join, Msg
from models.outbox import Brief
from models.policy import Policy
from models.sqlutil import insert_ignore
from models.tables import (
    Department,
    EscalationState,
    EscalationStep,
    ForceMember,
    NoticeCounter,
    Person,
    RoleGrant,
    Task,
    TaskCoOwner,
    TaskForce,
    TimeNode,
)
from models.timing import paused_moments, resume_moment, send_time

LIVE_STATES = ("open",)
T = TypeVar("T")
SERIES = {0: "tishi", 1: "tishi", 2: "duban", 3: "tongbao"}
LEVEL_NAMES = {0: "esc.who.0", 1: "esc.who.1", 2: "esc.who.2", 3: "esc.who.3"}


_COUNTERS: Table = NoticeCounter.__table__  # type: ignore[attr-defined]


def must(row: T | None, what: str = "row") -> T:
    """The row, which the caller's data guarantees exists (a foreign key); a clear error if not."""
    if row is None:
        raise LookupError(f"{what} missing")
    return row


def target_name(node_id: int | None) -> str:
    """An episode's target: the deadline, or one time node."""
    return "deadline" if node_id is None else f"node:{node_id}"


def next_number(session: Session, workspace_id: int, series: str, year: int) -> int:
    """The next number of a notice series in a year. Gapless and never doubled: the counter row
    stays locked until the caller's transaction ends, and a rollback returns the number."""
    insert_ignore(session, NoticeCounter, dict(workspace_id=workspace_id, series=series, year=year, last_no=0),
                  conflict=["workspace_id", "series", "year"])
    t = _COUNTERS
    return session.execute(
        update(t).where(t.c.workspace_id == workspace_id, t.c.series == series, t.c.year == year)
        .values(last_no=t.c.last_no + 1).returning(t.c.last_no)
    ).scalar_one()


def reserve_numbers(session: Session, wanted: dict[tuple[int, str, int], int]) -> dict[tuple[int, str, int], int]:
    """Reserves ``count`` consecutive numbers of each (workspace, series, year) in one statement and
    returns the first of each block. Gapless and never doubled, like :func:`next_number`: the counter
    rows stay locked until the caller's transaction ends (taken in key order, so two sweepers cannot
    deadlock), and a rollback returns the numbers. Reserve exactly what will be used."""
    wanted = {k: n for k, n in wanted.items() if n > 0}
    if not wanted:
        return {}
    t = _COUNTERS
    insert = pg_insert(t) if session.get_bind().dialect.name == "postgresql" else sqlite_insert(t)
    stmt = insert.on_conflict_do_update(
        index_elements=["workspace_id", "series", "year"], set_={"last_no": t.c.last_no + insert.excluded.last_no},
    ).returning(t.c.workspace_id, t.c.series, t.c.year, t.c.last_no)
    rows = [dict(workspace_id=ws, series=series, year=year, last_no=n)
            for (ws, series, year), n in sorted(wanted.items())]
    last = {(ws, series, year): no for ws, series, year, no in session.execute(stmt.values(rows)).all()}
    return {k: last[k] - n + 1 for k, n in wanted.items()}


class StepLike(Protocol):
    """What a notice needs of a step: an ``EscalationStep`` row, or one about to be written."""

    @property
    def level(self) -> int: ...
    @property
    def series(self) -> str | None: ...
    @property
    def year(self) -> int | None: ...
    @property
    def no(self) -> int | None: ...


class StateLike(Protocol):
    """What a notice needs of an episode: an ``EscalationState`` row, or one written in this transaction."""

    @property
    def due(self) -> date: ...
    @property
    def acked_by_id(self) -> int | None: ...
    @property
    def acked_at(self) -> datetime | None: ...


def ref(step: StepLike) -> Msg:
    """The notice's reference, e.g. 督办〔2026〕7号."""
    return Msg(f"esc.ref.{step.series}", year=step.year, no=step.no)


def live_states(session: Session, task_id: int, *, lock: bool = False) -> list[EscalationState]:
    """The task's live episodes (the deadline's and each overdue node's), oldest first."""
    q = select(EscalationState).where(EscalationState.task_id == task_id, EscalationState.status == "open")
    if lock and session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()  # wait for a sweep firing a level right now, then see its result
    return list(session.exec(q.order_by(col(EscalationState.id))).all())


def schedule_of(state: EscalationState) -> list[datetime]:
    return [datetime.fromisoformat(m) for m in state.schedule or []]


# ---------------------------------------------------------------- who hears


def _leader_ids(session: Session, people: list[Person]) -> set[int]:
    ids = [p.id for p in people]
    if not ids:
        return set()
    return set(session.exec(select(RoleGrant.person_id).where(col(RoleGrant.person_id).in_(ids),
                                                              RoleGrant.role == "leader")).all())


def _department_heads(session: Session, owner: Person, task: Task) -> list[Person]:
    """The heads of the owner's department and of its parents, nearest first (not the owner)."""
    heads: list[Person] = []
    dept_id, seen = owner.department_id or task.department_id, set[int]()
    while dept_id is not None and dept_id not in seen and len(seen) < 20:
        seen.add(dept_id)
        dept = session.get(Department, dept_id)
        if dept is None:
            break
        if dept.head_id and dept.head_id != owner.id and all(h.id != dept.head_id for h in heads):
            head = session.get(Person, dept.head_id)
            if head is not None:
                heads.append(head)
        dept_id = dept.parent_id
    return heads


def leaders_of(session: Session, task: Task, leader_ids: set[int] | None = None) -> tuple[Person | None, Person | None]:
    """The owner's 分管领导 (level 2) and chief (level 3, None when the same person or nobody).
    ``leader_ids``: the holders of the leader role among the chain, if already known
    (:func:`preload_chains` makes the whole walk run on rows already in the session)."""
    owner = must(session.get(Person, task.owner_id), "owner")
    chain = org.leader_chain(session, owner)
    leaders = _leader_ids(session, chain) if leader_ids is None else leader_ids
    ranked = [p for p in chain if p.id in leaders] or _department_heads(session, owner, task)
    if not ranked:
        return None, None
    return ranked[0], (ranked[-1] if ranked[-1].id != ranked[0].id else None)


@dataclass(frozen=True)
class Chains:
    """What :func:`preload_chains` loaded: the leader role's holders, and the rows themselves (the
    session holds rows weakly: keep this while ``leaders_of`` runs, and it finds them all)."""

    leader_ids: set[int]
    rows: tuple[object, ...]


def preload_chains(session: Session, tasks: Iterable[Task]) -> Chains:
    """Loads into the session, a few statements in all, what :func:`leaders_of` walks for these tasks:
    the owners, their leader chains (one query per rung), the leader roles among them, and the
    departments and heads of the fallback. Pass ``.leader_ids`` to ``leaders_of``."""
    tasks = list(tasks)
    people: dict[int, Person] = {}
    wanted = {t.owner_id for t in tasks}
    for _ in range(12):  # the owner and org.leader_chain's ten rungs, with room to spare
        wanted -= people.keys()
        if not wanted:
            break
        found = session.exec(select(Person).where(col(Person.id).in_(wanted))).all()
        people.update((p.id, p) for p in found if p.id is not None)
        wanted = {p.reports_to_id for p in found if p.reports_to_id is not None}
    leader_ids = set(session.exec(select(RoleGrant.person_id).where(
        col(RoleGrant.person_id).in_(people.keys()), RoleGrant.role == "leader")).all()) if people else set()
    workspaces = {t.workspace_id for t in tasks}
    rows: list[object] = list(people.values())
    if workspaces:  # the department tree is the organisation's size, not the tasks'
        depts = session.exec(select(Department).where(col(Department.workspace_id).in_(workspaces))).all()
        heads = {d.head_id for d in depts if d.head_id is not None} - people.keys()
        rows += depts
        if heads:
            rows += session.exec(select(Person).where(col(Person.id).in_(heads))).all()
    return Chains(leader_ids, tuple(rows))


def choose(level: int, owner: Person, co_owners: list[Person], leads: list[Person],
           leaders: tuple[Person | None, Person | None]) -> list[Person]:
    """Who a level goes to, from rows already loaded (see :func:`recipients`): ``co_owners`` and the
    task force's ``leads`` in id order."""
    if level == 0:
        return [owner, *[p for p in co_owners if p.id != owner.id]]
    if level == 1:
        return [p for p in leads if p.id != owner.id]
    in_charge, chief = leaders
    person = in_charge if level == 2 else chief if level == 3 else None
    return [person] if person is not None else []


def recipients(session: Session, task: Task, level: int,
               leaders: tuple[Person | None, Person | None] | None = None) -> list[Person]:
    """Who a level goes to, by role (see the module's docstring), before removing anyone an
    earlier level of the episode already reached. ``leaders``: :func:`leaders_of`, if already known."""
    if level == 0:
        co = session.exec(select(Person).join(TaskCoOwner, col(TaskCoOwner.person_id) == col(Person.id))
                          .where(TaskCoOwner.task_id == task.id).order_by(col(Person.id))).all()
        return [must(session.get(Person, task.owner_id), "owner"), *[p for p in co if p.id != task.owner_id]]
    if level == 1:
        if task.force_id is None:
            return []
        return list(session.exec(
            select(Person).join(ForceMember, col(ForceMember.person_id) == col(Person.id))
            .where(ForceMember.force_id == task.force_id, col(ForceMember.is_lead) == True,  # noqa: E712
                   col(Person.id) != task.owner_id)
            .order_by(col(Person.id))
        ).all())
    in_charge, chief = leaders if leaders is not None else leaders_of(session, task)
    person = in_charge if level == 2 else chief if level == 3 else None
    return [person] if person is not None else []


def steps_of(session: Session, state_id: int) -> list[EscalationStep]:
    return list(session.exec(select(EscalationStep).where(EscalationStep.state_id == state_id)
                             .order_by(col(EscalationStep.level))).all())


def was_notified(session: Session, task: Task, person: Person) -> bool:
    """Whether any escalation of this task went to ``person`` (they may read and acknowledge it)."""
    steps = session.exec(select(EscalationStep.recipients).where(EscalationStep.task_id == task.id)).all()
    return any(person.id in (r or []) for r in steps)


# ---------------------------------------------------------------- what they read


def owner_label(session: Session, task: Task) -> Msg:
    """The owner with their department, e.g. 张三（省数据局）."""
    owner = must(session.get(Person, task.owner_id), "owner")
    dept = session.get(Department, task.department_id) if task.department_id else None
    if dept is None:
        return Msg("esc.owner", name=owner.name)
    return Msg("esc.owner_dept", name=owner.name, dept=dept.name)


def subject(task: Task, node: TimeNode | None) -> Msg:
    """What is overdue: the task, or one of its time nodes."""
    if node is None:
        return Msg("esc.subject.task", id=task.id, title=task.title)
    return Msg("esc.subject.node", id=task.id, title=task.title, node=node.name)


@dataclass(frozen=True)
class Notice:
    """One level's notice as sent: the full message, and its line in a briefing."""

    message: Msg
    brief: Brief


def level_notice(session: Session, task: Task, state: StateLike, step: StepLike, *,
                 node: TimeNode | None, days_overdue: int, tz: ZoneInfo, earlier: Sequence[StepLike],
                 skipped: list[int], people: list[Person]) -> Notice:
    """The numbered notice for one level: what is overdue, by whom, since when, how far along; the
    notices sent before it (only those really sent), levels skipped for want of anyone, who it goes
    to, and whether anyone has acknowledged."""
    force = session.get(TaskForce, task.force_id) if task.force_id else None
    sent_before = [ref(s) for s in earlier if s.no is not None]
    before = Msg("esc.before", refs=Join(sent_before)) if sent_before else ""
    route = Msg("esc.route", names=Join(p.name for p in people))
    if skipped:
        route = Msg("esc.route_skipped", route=route, levels=Join(Msg(LEVEL_NAMES[x]) for x in skipped))
    what = subject(task, node)
    common = dict(ref=ref(step), id=task.id, what=what, owner=owner_label(session, task), force=force.name if force else "—",
                  due=Day(state.due), days=days_overdue, progress=task.progress, before=before, route=route,
                  acked=acked_label(session, state, tz))
    line = Msg("brief.esc.own" if step.level == 0 else "brief.esc", **common)
    verbs = ("ack", "progress", "extend") if step.level == 0 else ("ack", "show")
    return Notice(Msg(f"esc.level.{step.level}", **common),
                  Brief(group=step.series or "tishi", line=line, verbs=verbs, ref=ref(step).render("zh")))


def acked_label(session: Session, state: StateLike, tz: ZoneInfo) -> Msg:
    if state.acked_by_id is None or state.acked_at is None:
        return Msg("esc.acked.none")
    who = session.get(Person, state.acked_by_id)
    return Msg("esc.acked.by", who=who.name if who else "?", at=_short(state.acked_at, tz))


def _short(moment: datetime, tz: ZoneInfo) -> str:
    return to_local(moment, tz).strftime("%m-%d %H:%M")


# ---------------------------------------------------------------- 收到


@dataclass(frozen=True)
class Acknowledged:
    """What a 收到 did: the notices it answered and when the climb resumes (None: the ladder is done)."""

    refs: list[Msg]
    resume: datetime | None
    already: bool = False


def acknowledge(ctx: Ctx, task: Task) -> Acknowledged | None:
    """收到 from someone who received a level of a live episode: pauses that ladder for
    policy.ack_pause_days working days (it then climbs on while the task is still overdue) and tells
    everyone notified at a level above the acknowledger who acknowledged, once each. None when no
    live episode reached this person: the caller says so and writes nothing. Idempotent: a second
    收到 during a pause changes nothing."""
    states = live_states(ctx.session, must(task.id), lock=True)
    mine: list[tuple[EscalationState, list[EscalationStep], int]] = []
    for state in states:
        steps = steps_of(ctx.session, must(state.id))
        levels = [s.level for s in steps if ctx.actor.id in (s.recipients or [])]
        if levels:
            mine.append((state, steps, max(levels)))
    if not mine:
        return None
    refs: list[Msg] = []
    resumes: list[datetime] = []
    changed = False
    for state, steps, own in mine:
        refs += [ref(s) for s in steps if ctx.actor.id in (s.recipients or []) and s.no is not None]
        if state.paused_until is not None and state.paused_until > ctx.now:
            if state.next_at is not None:
                resumes.append(state.next_at)
            continue  # paused already: the first 收到 stands
        changed = True
        _pause(ctx, task, state, steps, own)
        if state.next_at is not None:
            resumes.append(state.next_at)
    return Acknowledged(refs=refs, resume=min(resumes) if resumes else None, already=not changed)


def _pause(ctx: Ctx, task: Task, state: EscalationState, steps: list[EscalationStep], own: int) -> None:
    policy = Policy(**state.policy)
    resume = resume_moment(ctx.now, policy.ack_pause_days, remind_hour=policy.remind_hour, tz=ctx.tz,
                           calendar=ctx.calendar)
    state.acked_by_id = ctx.actor.id
    state.acked_at = ctx.now
    state.paused_until = resume
    moments = paused_moments(schedule_of(state), state.level, resume, tz=ctx.tz, calendar=ctx.calendar)
    state.schedule = [m.isoformat() for m in moments]
    state.next_at = moments[state.level + 1] if state.level + 1 < len(moments) else None
    not_before = send_time(ctx.now, tz=ctx.tz, calendar=ctx.calendar, policy=policy, high=task.priority == "high")
    told: set[int] = {must(ctx.actor.id)}
    for step in sorted(steps, key=lambda s: -s.level):  # each person hears once, quoting their highest notice
        if step.level <= own or step.no is None:
            continue
        for pid in step.recipients or []:
            if pid in told:
                continue
            told.add(pid)
            person = ctx.session.get(Person, pid)
            if person is None:
                continue
            msg = Msg("esc.ack_notice", ref=ref(step), id=task.id, title=task.title, who=ctx.actor.name,
                      at=_short(ctx.now, ctx.tz), until=Day(to_local(resume, ctx.tz).date()))
            brief = Brief(group="ack", line=Msg("brief.ack", ref=ref(step), id=task.id, title=task.title,
                                                 who=ctx.actor.name), verbs=("show",))
            outbox.to_person(ctx.session, person, msg, key=f"esc:{task.id}:{state.episode}:ack:{pid}:{ctx.now.isoformat()}",
                             kind="escalation", now=ctx.now, default_lang=ctx.default_lang, task_id=task.id,
                             not_before=not_before, brief=None if task.priority == "high" else brief)


def days_overdue(calendar: WorkCalendar, due: date, read_on: date) -> int:
    """Working days overdue on the day a notice is read: (due, read_on]."""
    return max(1, calendar.working_days_between(due, read_on))


i18n.register(
    {
        "esc.ref.tishi": {"zh": "提示〔{year}〕{no}号", "en": "reminder notice {no}/{year}"},
        "esc.ref.duban": {"zh": "督办〔{year}〕{no}号", "en": "supervision notice {no}/{year}"},
        "esc.ref.tongbao": {"zh": "通报〔{year}〕{no}号", "en": "circular {no}/{year}"},
        "esc.who.0": {"zh": "责任人", "en": "the owner"},
        "esc.who.1": {"zh": "专班负责人", "en": "the task force's lead"},
        "esc.who.2": {"zh": "分管领导", "en": "the leader in charge"},
        "esc.who.3": {"zh": "主要领导", "en": "the chief"},
        "esc.owner": {"zh": "{name}", "en": "{name}"},
        "esc.owner_dept": {"zh": "{name}（{dept}）", "en": "{name} ({dept})"},
        "esc.subject.task": {"zh": "任务 #{id}「{title}」", "en": "task #{id} “{title}”"},
        "esc.subject.node": {"zh": "任务 #{id}「{title}」的节点「{node}」", "en": "node “{node}” of task #{id} “{title}”"},
        "esc.acked.none": {"zh": "尚无人签收", "en": "nobody has acknowledged yet"},
        "esc.acked.by": {"zh": "{who} 已于 {at} 签收", "en": "acknowledged by {who} at {at}"},
        "esc.before": {"zh": "，经 {refs} 仍未解决", "en": ", still unresolved after {refs}"},
        "esc.route": {"zh": "送：{names}", "en": "To: {names}"},
        "esc.route_skipped": {"zh": "{route}（{levels}无人可送，已跳过）", "en": "{route} (no one as {levels}: skipped)"},
        "esc.level.0": {
            "zh": "🔴 提示单 {ref}\n你负责的{what}截止 {due}，已逾期 {days} 个工作日，进度 {progress}%。"
                  "请尽快推进并更新进展（/task progress {id} <n>%），或申请延期（/task extend {id} <日期> <原因>）。"
                  "收到请点「收到」或输入 /task ack {id}。\n{route}",
            "en": "🔴 Reminder notice {ref}\nYour {what} was due {due} and is {days} {days:working day|working days} overdue, at "
                  "{progress}%. Please move it forward and report (/task progress {id} <n>%), or ask for more time "
                  "(/task extend {id} <date> <reason>). Acknowledge with 收到 or /task ack {id}.\n{route}",
        },
        "esc.level.1": {
            "zh": "🔴 提示单 {ref}\n专班「{force}」{what}（责任人 {owner}）截止 {due}，已逾期 {days} 个工作日，"
                  "进度 {progress}%{before}。签收情况：{acked}。请督促推进；收到请输入 /task ack {id}。\n{route}",
            "en": "🔴 Reminder notice {ref}\nIn “{force}”, {what} (owner {owner}) was due {due} and is {days} working "
                  "days overdue, at {progress}%{before}. Acknowledgement: {acked}. Please follow it up; acknowledge "
                  "with /task ack {id}.\n{route}",
        },
        "esc.level.2": {
            "zh": "🟥 督办单 {ref}\n{owner} 负责的{what}（专班「{force}」）截止 {due}，已逾期 {days} 个工作日，"
                  "进度 {progress}%{before}。签收情况：{acked}。请督办；收到请输入 /task ack {id}。\n{route}",
            "en": "🟥 Supervision notice {ref}\n{what} ({force}), owned by {owner}, was due {due} and is {days} "
                  "working days overdue, at {progress}%{before}. Acknowledgement: {acked}. Please supervise; "
                  "acknowledge with /task ack {id}.\n{route}",
        },
        "esc.level.3": {
            "zh": "📣 通报 {ref}\n{what}（专班「{force}」，责任人 {owner}）截止 {due}，已逾期 {days} 个工作日，"
                  "进度 {progress}%{before}。签收情况：{acked}。\n{route}",
            "en": "📣 Circular {ref}\n{what} ({force}, owner {owner}) was due {due} and is {days} {days:working day|working days} "
                  "overdue, at {progress}%{before}. Acknowledgement: {acked}.\n{route}",
        },
        "esc.ack_notice": {
            "zh": "✅ {ref}：任务 #{id}「{title}」已由 {who} 于 {at} 签收，督办暂停至 {until}；届时仍逾期将继续升级。",
            "en": "✅ {ref}: task #{id} “{title}” was acknowledged by {who} at {at}; escalation pauses until "
                  "{until} and resumes then if it is still overdue.",
        },
        "brief.esc.own": {
            "zh": "{ref} {what}已逾期 {days} 个工作日 · 进度 {progress}%",
            "en": "{ref} {what}: {days} {days:working day|working days} overdue · {progress}%",
        },
        "brief.esc": {
            "zh": "{ref} {what} · {owner} · 已逾期 {days} 个工作日 · 进度 {progress}% · {acked}",
            "en": "{ref} {what} · {owner} · {days} {days:working day|working days} overdue · {progress}% · {acked}",
        },
        "brief.ack": {
            "zh": "{ref} #{id}「{title}」已由 {who} 签收",
            "en": "{ref} #{id} “{title}” acknowledged by {who}",
        },
        "esc.ack.none": {
            "zh": "任务 #{id} 目前没有进行中的督办（未逾期，或已处理），无需签收；什么也没有记录。",
            "en": "Task #{id} has no escalation in progress (not overdue, or dealt with): nothing to acknowledge; "
                  "nothing was recorded.",
        },
        "esc.ack.not_yours": {
            "zh": "任务 #{id} 的督办没有发给你，无需签收；什么也没有记录。收到督办的人才能签收。",
            "en": "Task #{id}'s escalation was not sent to you: nothing to acknowledge; nothing was recorded. Only "
                  "people who received a notice acknowledge it.",
        },
    }
)
