"""The briefings job (一人一单): one message a person a morning instead of one per reminder.

The sweeps hold what they decide for a person (reminders, nudges, 督办 notices, re-sent notices,
acknowledgements) as outbox rows in status ``held``, each with its line for a briefing
(``Outbox.brief``). This job takes, per person, every held row that is due, and in one
transaction either releases a lone row as it is (status ``pending``: it goes with its own text and
buttons) or writes one briefing that gathers them, grouped by urgency, each line with its buttons,
with the approvals waiting for the person (extension requests, done reports) appended, and marks
the rows ``merged`` into it. A task that is reminded of is not also nudged in the same briefing.

Never lost, never doubled: the rows are locked while they are gathered (``FOR UPDATE SKIP LOCKED``
on PostgreSQL), the briefing's idempotency key is derived from the first row it gathers, and the
rows change status in the same transaction as the briefing is written. Messages that need an answer
now (an assignment, an approval request, anything about a 紧急 task) are never held.

In the scheduler the job looks only at rows due ``settle`` ago or more (two minutes), so that the
09:00 sweeps have written all of a morning's rows before they are gathered; ``guatu jobs run all``
runs it after the sweeps with no settling.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jobs.sweeps import DEFAULT_LANG, DEFAULT_TZ, _each, _Run
from models import i18n, outbox
from models.calendar import local_today
from models.db import session_scope
from models.i18n import Day, Msg, t
from models.sqlutil import insert_ignore, literal_in, skip_locked
from models.tables import ExtensionRequest, ForceMember, Outbox, Person, Task

log = logging.getLogger(__name__)

SETTLE = timedelta(minutes=2)  # the scheduler's margin for the sweeps of the same minute to finish
MAX_LINES = 40  # lines with buttons in one briefing (Slack: 50 blocks a message); the rest are counted
REMINDER_GROUPS = ("due_today", "due_soon")
GROUP_ICONS = {
    "tongbao": "📣", "duban": "🟥", "tishi": "🔴", "due_today": "⏰", "due_soon": "⏳", "silent": "💬",
    "notice": "📢", "ack": "✅", "approvals": "🗳",
}


@dataclass(frozen=True)
class Line:
    """One line of a briefing: its text (already in the reader's language) and its buttons."""

    group: str
    text: str
    task_id: int | None
    notice_id: int | None
    verbs: tuple[str, ...]


def sweep_briefings(engine: Engine, now: datetime, *, tz: ZoneInfo = DEFAULT_TZ, default_lang: str = DEFAULT_LANG,
                    settle: timedelta = timedelta(0)) -> int:
    """Gathers each person's due held messages into one briefing (or releases a lone one). Returns
    the number of messages made ready to send. Idempotent; a failing person is logged and retried by
    the next run without holding up the others."""
    run = _Run(engine, now, tz, default_lang)
    cutoff = now - settle
    with session_scope(engine) as session:
        people = sorted({pid for pid in session.exec(
            select(Outbox.person_id).where(literal_in(Outbox.status, "held"), Outbox.next_attempt_at <= cutoff)
        ).all() if pid is not None})
    return _each(run, people, partial(_brief_person, run, cutoff), "briefings")


def _brief_person(run: _Run, cutoff: datetime, session: Session, person_id: int) -> int:
    rows = list(session.exec(skip_locked(session, select(Outbox).where(
        literal_in(Outbox.status, "held"), Outbox.person_id == person_id, Outbox.next_attempt_at <= cutoff,
    ).order_by(col(Outbox.id)))).all())
    if not rows:
        return 0  # gathered by another process meanwhile
    person = session.get(Person, person_id)
    lang = outbox.lang_of(person, run.lang)
    kept, folded = _fold(rows)
    approvals = _approvals(session, person, lang) if person is not None else []
    if len(kept) == 1 and not approvals:
        only = kept[0]
        only.status = "pending"  # alone, it goes as it was written, with its own buttons
        for row in folded:
            _merge(row, only.id)
        return 1
    lines = [_line(r) for r in kept] + approvals
    text, blocks = compose(lines, lang=lang, name=person.name if person else "", day=local_today(run.now, run.tz))
    key = f"brief:{person_id}:{rows[0].id}"
    insert_ignore(session, Outbox, dict(
        workspace_id=rows[0].workspace_id, idempotency_key=key, recipient=rows[0].recipient, person_id=person_id,
        kind="briefing", text=text, blocks=blocks, status="pending", attempts=0,
        next_attempt_at=max(r.next_attempt_at for r in rows), created_at=run.now), conflict=["idempotency_key"])
    brief_id = session.exec(select(Outbox.id).where(Outbox.idempotency_key == key)).one()
    for row in rows:
        _merge(row, brief_id)
    return 1


def _merge(row: Outbox, into: int) -> None:
    row.status = "merged"
    row.merged_into = into


def _fold(rows: list[Outbox]) -> tuple[list[Outbox], list[Outbox]]:
    """The rows a briefing shows, and those it folds away: a nudge about a task that is reminded of
    in the same briefing (one message about a task a day)."""
    reminded = {r.task_id for r in rows if (r.brief or {}).get("group") in REMINDER_GROUPS}
    kept, folded = [], []
    for r in rows:
        if (r.brief or {}).get("group") == "silent" and r.task_id in reminded:
            folded.append(r)
        else:
            kept.append(r)
    return kept, folded


def _line(row: Outbox) -> Line:
    b = row.brief or {}
    return Line(group=b.get("group") or "tishi", text=b.get("line") or row.text, task_id=b.get("task") or row.task_id,
                notice_id=b.get("notice"), verbs=tuple(b.get("verbs") or ()))


def _approvals(session: Session, person: Person, lang: str) -> list[Line]:
    """What waits for this person's decision in the task forces they lead: extension requests
    (批准 / 驳回) and done reports (销号 / 退回)."""
    led = list(session.exec(select(ForceMember.force_id).where(ForceMember.person_id == person.id,
                                                               ForceMember.is_lead == True)).all())  # noqa: E712
    if not led:
        return []
    requests = session.exec(
        select(ExtensionRequest, Task).join(Task, col(Task.id) == ExtensionRequest.task_id)
        .where(col(Task.force_id).in_(led), ExtensionRequest.status == "pending").order_by(col(Task.id))
    ).all()
    reported = session.exec(select(Task).where(col(Task.force_id).in_(led), literal_in(Task.status, "done_requested"))
                            .order_by(col(Task.id))).all()
    wanted = {req.requested_by_id for req, _ in requests} | {task.owner_id for task in reported}
    names = dict(session.exec(select(Person.id, Person.name).where(col(Person.id).in_(wanted))).all()) if wanted else {}
    out: list[Line] = []
    for req, task in requests:
        out.append(Line("approvals", Msg("brief.approve.extension", id=task.id, title=task.title,
                                         who=names.get(req.requested_by_id, "?"), old=Day(req.old_due),
                                         new=Day(req.new_due), reason=req.reason).render(lang),
                        task.id, None, ("approve", "reject")))
    for task in reported:
        out.append(Line("approvals", Msg("brief.approve.done", id=task.id, title=task.title,
                                         who=names.get(task.owner_id, "?")).render(lang),
                        task.id, None, ("verify", "reopen")))
    return out


def compose(lines: list[Line], *, lang: str, name: str, day) -> tuple[str, list[dict]]:
    """A briefing's text (complete, with the commands to type, for the console and as Slack's
    fallback) and its surface-neutral blocks (a heading, group titles, one line each with buttons)."""
    order = {g: i for i, g in enumerate((*outbox.BRIEF_GROUPS, "approvals"))}
    lines = sorted(lines, key=lambda x: (order.get(x.group, 99), x.task_id or 0, x.notice_id or 0))
    counts: dict[str, int] = {}
    for x in lines:
        counts[x.group] = counts.get(x.group, 0) + 1
    summary = " · ".join(f"{GROUP_ICONS.get(g, '•')} {t(f'brief.group.{g}', lang)} {n}" for g, n in counts.items())
    head = t("brief.head", lang, name=name, day=Day(day).render(lang), n=len(lines), summary=summary)
    text_lines: list[str] = [head]
    blocks: list[dict[str, object]] = [{"brief": "head", "text": head}]
    shown = 0
    for group in counts:
        title = f"{GROUP_ICONS.get(group, '•')} {t(f'brief.group.{group}', lang)}（{counts[group]}）" if lang == "zh" \
            else f"{GROUP_ICONS.get(group, '•')} {t(f'brief.group.{group}', lang)} ({counts[group]})"
        text_lines.append(title)
        blocks.append({"brief": "group", "text": title})
        for x in (y for y in lines if y.group == group):
            text_lines.append(f"• {x.text}")
            if shown < MAX_LINES:
                blocks.append({"brief": "line", "text": x.text, "task": x.task_id, "notice": x.notice_id,
                               "verbs": list(x.verbs), "lang": lang})
            shown += 1
    if shown > MAX_LINES:
        more = t("brief.more", lang, n=shown - MAX_LINES)
        blocks.append({"brief": "more", "text": more})
    foot = footer({v for x in lines for v in x.verbs}, lang)
    if foot:
        text_lines.append(foot)
        blocks.append({"brief": "foot", "text": foot})
    return "\n".join(text_lines), blocks


# The commands a briefing's footer names, in this order, for the verbs its lines carry.
FOOT_VERBS = ("ack", "progress", "extend", "done", "block", "approve", "reject", "verify", "reopen", "notice.ack",
              "show")


def footer(verbs: set[str], lang: str) -> str:
    """The commands to type for what this briefing's lines offer (the console has no buttons)."""
    hints = [t(f"brief.cmd.{v}", lang) for v in FOOT_VERBS if v in verbs]
    return t("brief.foot", lang, commands=" · ".join(hints)) if hints else ""


i18n.register(
    {
        "brief.cmd.ack": {"zh": "收到 /task ack <编号>", "en": "acknowledge /task ack <id>"},
        "brief.cmd.progress": {"zh": "更新进展 /task progress <编号> <n>%", "en": "report /task progress <id> <n>%"},
        "brief.cmd.extend": {"zh": "申请延期 /task extend <编号> <日期> <原因>", "en": "more time /task extend <id> <date> <reason>"},
        "brief.cmd.done": {"zh": "报完成 /task done <编号>", "en": "report done /task done <id>"},
        "brief.cmd.block": {"zh": "报受阻 /task block <编号> <原因>", "en": "blocked /task block <id> <reason>"},
        "brief.cmd.approve": {"zh": "批准 /task approve <编号>", "en": "approve /task approve <id>"},
        "brief.cmd.reject": {"zh": "驳回 /task reject <编号> <原因>", "en": "reject /task reject <id> <reason>"},
        "brief.cmd.verify": {"zh": "销号 /task verify <编号>", "en": "verify /task verify <id>"},
        "brief.cmd.reopen": {"zh": "退回 /task reopen <编号> <原因>", "en": "send back /task reopen <id> <reason>"},
        "brief.cmd.notice.ack": {"zh": "确认通知 /force notice ack <编号>", "en": "confirm a notice /force notice ack <id>"},
        "brief.cmd.show": {"zh": "查看 /task show <编号>", "en": "see /task show <id>"},
        "brief.head": {
            "zh": "📋 {name}，{day}督办晨报：共 {n} 项（{summary}）",
            "en": "📋 {name}, your briefing for {day}: {n} {n:item|items} ({summary})",
        },
        "brief.group.tongbao": {"zh": "通报", "en": "Circulars"},
        "brief.group.duban": {"zh": "督办单", "en": "Supervision notices"},
        "brief.group.tishi": {"zh": "提示单（已逾期）", "en": "Reminder notices (overdue)"},
        "brief.group.overdue_node": {"zh": "节点逾期", "en": "Overdue nodes"},
        "brief.group.due_today": {"zh": "今日到期", "en": "Due today"},
        "brief.group.due_soon": {"zh": "临近截止", "en": "Due soon"},
        "brief.group.silent": {"zh": "久未更新", "en": "No recent progress"},
        "brief.group.notice": {"zh": "待确认通知", "en": "Notices to confirm"},
        "brief.group.ack": {"zh": "签收情况", "en": "Acknowledgements"},
        "brief.group.approvals": {"zh": "待你审批", "en": "Waiting for your decision"},
        "brief.more": {"zh": "……另有 {n} 项，见 /task list mine", "en": "… and {n} more: /task list mine"},
        "brief.foot": {"zh": "操作：{commands}", "en": "Act: {commands}"},
        "brief.approve.extension": {
            "zh": "#{id}「{title}」{who} 申请延期：{old} → {new}，理由：{reason}",
            "en": "#{id} “{title}”: {who} asks to move {old} → {new}: {reason}",
        },
        "brief.approve.done": {
            "zh": "#{id}「{title}」{who} 报完成，待销号",
            "en": "#{id} “{title}”: {who} reports it done, awaiting verification",
        },
    }
)
