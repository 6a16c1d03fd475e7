"""督办: the escalation ladder of an overdue task, its numbered notices and acknowledgements (收到).

Level 0 tells the owner, level 1 the task force's lead(s), level 2 the owner's leader in charge
(first in the leader chain), level 3 the chief (top of the chain). Levels 0 and 1 issue a 提示单,
level 2 a 督办单, level 3 a 通报, each numbered per workspace and year (督办〔2026〕7号). The sweep
that climbs the ladder lives in ``jobs/sweeps.py``; this module holds what a command also needs.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, select

from models import i18n, org, outbox
from models.calendar import to_local
from models.context import Ctx
from models.i18n import Msg
from models.policy import Policy
from models.sqlutil import insert_ignore
from models.tables import (
    Department, EscalationState, EscalationStep, ForceMember, NoticeCounter, Person, Task, TaskForce,
)
from models.timing import send_time

LIVE_STATES = ("open", "acked")
SERIES = {0: "tishi", 1: "tishi", 2: "duban", 3: "tongbao"}


def next_number(session: Session, workspace_id: int, series: str, year: int) -> int:
    """The next number of a notice series in a year. Gapless and never doubled: the counter row
    stays locked until the caller's transaction ends, and a rollback returns the number."""
    insert_ignore(session, NoticeCounter, dict(workspace_id=workspace_id, series=series, year=year, last_no=0),
                  conflict=["workspace_id", "series", "year"])
    t = NoticeCounter.__table__
    return session.execute(
        update(t).where(t.c.workspace_id == workspace_id, t.c.series == series, t.c.year == year)
        .values(last_no=t.c.last_no + 1).returning(t.c.last_no)
    ).scalar_one()


def ref(step: EscalationStep) -> Msg:
    """The notice's reference, e.g. 督办〔2026〕7号."""
    return Msg(f"esc.ref.{step.series}", year=step.year, no=step.no)


def live_state(session: Session, task_id: int, *, lock: bool = False) -> EscalationState | None:
    """The task's current episode (open or acknowledged), if any."""
    q = select(EscalationState).where(EscalationState.task_id == task_id, EscalationState.status.in_(LIVE_STATES))
    if lock and session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()  # wait for a sweep firing a level right now, then see its result
    return session.exec(q).first()


def recipients(session: Session, task: Task, level: int) -> list[Person]:
    """Who a level goes to: the owner; the force's leads (not the owner); the owner's leader in
    charge; the chief at the top of the chain (if someone else than the leader in charge)."""
    owner = session.get(Person, task.owner_id)
    if level == 0:
        return [owner]
    if level == 1:
        if task.force_id is None:
            return []
        return list(session.exec(
            select(Person).join(ForceMember, ForceMember.person_id == Person.id)
            .where(ForceMember.force_id == task.force_id, ForceMember.is_lead == True,  # noqa: E712
                   Person.id != task.owner_id)
            .order_by(Person.id)
        ).all())
    chain = org.leader_chain(session, owner)
    if level == 2:
        return chain[:1]
    if level == 3 and len(chain) >= 2:
        return chain[-1:]
    return []


def was_notified(session: Session, task: Task, person: Person) -> bool:
    """Whether any escalation of this task went to ``person`` (they may acknowledge it)."""
    steps = session.exec(select(EscalationStep.recipients).where(EscalationStep.task_id == task.id)).all()
    return any(person.id in (r or []) for r in steps)


def owner_label(session: Session, task: Task) -> Msg:
    """The owner with their department, e.g. 张三（省数据局）."""
    owner = session.get(Person, task.owner_id)
    dept = session.get(Department, task.department_id) if task.department_id else None
    if dept is None:
        return Msg("esc.owner", name=owner.name)
    return Msg("esc.owner_dept", name=owner.name, dept=dept.name)


def level_message(session: Session, task: Task, state: EscalationState, step: EscalationStep, *,
                  days_overdue: int, tz: ZoneInfo) -> Msg:
    """The numbered notice for one level: task, owner, deadline, days overdue, progress, acknowledgement."""
    force = session.get(TaskForce, task.force_id) if task.force_id else None
    return Msg(
        f"esc.level.{step.level}", ref=ref(step), id=task.id, title=task.title, owner=owner_label(session, task),
        force=force.name if force else "—", due=task.due.isoformat(), days=days_overdue, progress=task.progress,
        acked=acked_label(session, state, tz),
    )


def acked_label(session: Session, state: EscalationState, tz: ZoneInfo) -> Msg:
    if state.acked_by_id is None or state.acked_at is None:
        return Msg("esc.acked.none")
    who = session.get(Person, state.acked_by_id)
    return Msg("esc.acked.by", who=who.name if who else "?", at=_short(state.acked_at, tz))


def _short(moment: datetime, tz: ZoneInfo) -> str:
    return to_local(moment, tz).strftime("%m-%d %H:%M")


def record_ack(ctx: Ctx, task: Task) -> EscalationState | None:
    """收到: stops the task's escalation ladder and tells everyone notified at a level above the
    acknowledger who acknowledged, once each. Idempotent: the first acknowledgement stands."""
    state = live_state(ctx.session, task.id, lock=True)
    if state is None or state.status == "acked":
        return state
    state.status = "acked"
    state.acked_by_id = ctx.actor.id
    state.acked_at = ctx.now
    state.next_at = None
    steps = list(ctx.session.exec(
        select(EscalationStep).where(EscalationStep.state_id == state.id).order_by(EscalationStep.level.desc())
    ).all())
    own_levels = [s.level for s in steps if ctx.actor.id in (s.recipients or [])]
    own = max(own_levels) if own_levels else (0 if ctx.actor.id == task.owner_id else -1)
    policy = Policy(**state.policy)
    not_before = send_time(ctx.now, tz=ctx.tz, calendar=ctx.calendar, policy=policy, high=task.priority == "high")
    told: set[int] = {ctx.actor.id}
    for step in steps:  # highest level first: each person hears once, quoting the highest notice they got
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
                      at=_short(ctx.now, ctx.tz))
            outbox.to_person(ctx.session, person, msg, key=f"esc:{task.id}:{state.episode}:ack:{pid}",
                             kind="escalation", now=ctx.now, default_lang=ctx.default_lang, task_id=task.id,
                             not_before=not_before)
    return state


i18n.register(
    {
        "esc.ref.tishi": {"zh": "提示〔{year}〕{no}号", "en": "reminder notice {no}/{year}"},
        "esc.ref.duban": {"zh": "督办〔{year}〕{no}号", "en": "supervision notice {no}/{year}"},
        "esc.ref.tongbao": {"zh": "通报〔{year}〕{no}号", "en": "circular {no}/{year}"},
        "esc.owner": {"zh": "{name}", "en": "{name}"},
        "esc.owner_dept": {"zh": "{name}（{dept}）", "en": "{name} ({dept})"},
        "esc.acked.none": {"zh": "尚无人签收", "en": "nobody has acknowledged yet"},
        "esc.acked.by": {"zh": "{who} 已于 {at} 签收", "en": "acknowledged by {who} at {at}"},
        "esc.level.0": {
            "zh": "🔴 提示单 {ref}\n你负责的任务 #{id}「{title}」截止 {due}，已逾期 {days} 个工作日，进度 {progress}%。"
                  "请尽快推进并更新进展（/task progress {id} <n>%），或申请延期（/task extend {id} <日期> <原因>）。"
                  "收到请点「收到」或输入 /task ack {id}。",
            "en": "🔴 Reminder notice {ref}\nYour task #{id} “{title}” was due {due} and is {days} working day(s) "
                  "overdue, at {progress}%. Please move it forward and report (/task progress {id} <n>%), or ask "
                  "for more time (/task extend {id} <date> <reason>). Acknowledge with 收到 or /task ack {id}.",
        },
        "esc.level.1": {
            "zh": "🔴 提示单 {ref}\n专班「{force}」任务 #{id}「{title}」（责任人 {owner}）截止 {due}，已逾期 {days} 个工作日，"
                  "进度 {progress}%。签收情况：{acked}。请督促推进；收到请输入 /task ack {id}。",
            "en": "🔴 Reminder notice {ref}\nTask #{id} “{title}” of “{force}” (owner {owner}) was due {due} and is "
                  "{days} working day(s) overdue, at {progress}%. Acknowledgement: {acked}. Please follow it up; "
                  "acknowledge with /task ack {id}.",
        },
        "esc.level.2": {
            "zh": "🟥 督办单 {ref}\n{owner} 负责的任务 #{id}「{title}」（专班「{force}」）截止 {due}，已逾期 {days} 个工作日，"
                  "进度 {progress}%，提示后仍未解决。签收情况：{acked}。请督办；收到请输入 /task ack {id}。",
            "en": "🟥 Supervision notice {ref}\nTask #{id} “{title}” ({force}), owned by {owner}, was due {due} and is "
                  "{days} working day(s) overdue, at {progress}%, despite reminders. Acknowledgement: {acked}. "
                  "Please supervise; acknowledge with /task ack {id}.",
        },
        "esc.level.3": {
            "zh": "📣 通报 {ref}\n任务 #{id}「{title}」（专班「{force}」，责任人 {owner}）截止 {due}，已逾期 {days} 个工作日，"
                  "进度 {progress}%，经提示、督办仍未解决。签收情况：{acked}。",
            "en": "📣 Circular {ref}\nTask #{id} “{title}” ({force}, owner {owner}) was due {due} and is {days} "
                  "working day(s) overdue, at {progress}%, despite reminders and supervision. "
                  "Acknowledgement: {acked}.",
        },
        "esc.ack_notice": {
            "zh": "✅ {ref}：任务 #{id}「{title}」已由 {who} 于 {at} 签收，督办不再升级。",
            "en": "✅ {ref}: task #{id} “{title}” was acknowledged by {who} at {at}; the escalation stops here.",
        },
    }
)
