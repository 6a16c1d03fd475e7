"""The outbox: every message to a person or channel is a row written with the change that caused it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import audit, i18n, permissions
from models.context import Ctx
from models.errors import Conflict, NotFound
from models.i18n import Msg
from models.sqlutil import insert_ignore, insert_ignore_many
from models.tables import Outbox, Person


class DeliveryError(Exception):
    """A send that failed. ``retry_after`` (seconds) when the platform asked us to wait (HTTP 429);
    ``permanent`` when retrying cannot help (channel not found, account inactive …); ``uncertain`` when
    the platform may have accepted the message anyway (no answer, cut off while answering, a bare 5xx)."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False,
                 uncertain: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
        self.uncertain = uncertain


# A platform's Retry-After is obeyed within reason: a hostile or broken value (1e9, inf, -1, an HTTP
# date) must neither hold a recipient for years nor crash the worker.
RETRY_AFTER_DEFAULT = 30.0
RETRY_AFTER_MAX = 3600.0


def retry_after_seconds(value: object) -> float:
    """Seconds to wait for a Retry-After value, always finite and within [0, ``RETRY_AFTER_MAX``]; anything
    that is not a finite, non-negative number (missing, 'inf', 'nan', -5, a date) waits ``RETRY_AFTER_DEFAULT``."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return RETRY_AFTER_DEFAULT
    if not math.isfinite(seconds) or seconds < 0:
        return RETRY_AFTER_DEFAULT
    return min(seconds, RETRY_AFTER_MAX)


class Notifier(Protocol):
    """Where delivered messages go: Slack's Web API, or the console. Returns a message ts/id.

    Raises :class:`DeliveryError` on failure; must not sleep on rate limits itself (the delivery
    worker reschedules that recipient and goes on with the others). Each send must time out well
    within the worker's claim lease (see ``jobs/deliver.py``). A notifier may set ``min_interval``
    (seconds between two messages to one recipient): 1.0 when absent, Slack's pace for
    chat.postMessage; a console can set 0.

    Optional (callers use ``getattr``): a notifier that can tell whether a message arrived has
    ``was_delivered(recipient, outbox_id, since) -> bool | None`` (True: it is there; False: it is
    certainly not; None: cannot tell), and then its ``send`` also takes ``outbox_id=`` to tag the
    message with it. The worker asks before re-sending a message whose earlier send was uncertain."""

    def send(self, recipient: str, text: str, blocks: list | None = None) -> str | None: ...


class Routed:
    """One notifier per chat platform ("slack", "dingtalk"): the delivery worker sends each row through
    the notifier of its platform (the row's own, else its workspace's); an unknown platform falls back
    to ``default``."""

    min_interval = 1.0

    def __init__(self, notifiers: dict[str, Notifier], *, default: str = "slack") -> None:
        if default not in notifiers:
            raise ValueError(f"no notifier for the default platform {default!r}")
        self.notifiers = notifiers
        self.default = default

    def route(self, platform: str | None) -> Notifier:
        return self.notifiers.get(platform or self.default) or self.notifiers[self.default]

    def send(self, recipient: str, text: str, blocks: list | None = None) -> str | None:
        return self.notifiers[self.default].send(recipient, text, blocks)


def enqueue(
    session: Session,
    *,
    workspace_id: int,
    key: str,
    recipient: str,
    text: str,
    kind: str,
    now: datetime,
    person_id: int | None = None,
    task_id: int | None = None,
    blocks: list | None = None,
    not_before: datetime | None = None,
    brief: dict | None = None,
) -> bool:
    """Never doubles: a second enqueue with the same idempotency key is a no-op. True if written.
    With ``brief`` the row is held for the person's briefing (see ``jobs/briefings.py``)."""
    values = row(workspace_id=workspace_id, key=key, recipient=recipient, text=text, kind=kind, now=now,
                 person_id=person_id, task_id=task_id, blocks=blocks, not_before=not_before, brief=brief)
    return insert_ignore(session, Outbox, values, conflict=["idempotency_key"])


def row(*, workspace_id: int, key: str, recipient: str, text: str, kind: str, now: datetime,
        person_id: int | None = None, task_id: int | None = None, blocks: list | None = None,
        not_before: datetime | None = None, brief: dict | None = None) -> dict:
    """The outbox row ``enqueue`` writes, as column values (for callers that insert many at once)."""
    return dict(
        workspace_id=workspace_id, idempotency_key=key[:200], recipient=recipient, person_id=person_id,
        kind=kind, text=text, blocks=blocks, task_id=task_id, status="held" if brief else "pending", attempts=0,
        next_attempt_at=not_before or now, created_at=now, brief=brief,
    )


def insert_many(session: Session, rows: list[dict]) -> int:
    """Writes the rows (from ``row`` / ``person_row``) whose idempotency key is new, in multi-row inserts;
    never doubles. Returns how many were written."""
    return len(insert_ignore_many(session, Outbox, rows, conflict=["idempotency_key"], returning=["id"]))


# Buttons a message offers, surface-neutral: {"action": <verb>, "value": <id>, "lang": <lang>}. A chat
# surface renders them (Slack: buttons that run the same requests as commands); the console ignores them.
ACTIONS_BY_KIND = {
    "reminder": ("task.progress",),
    "nudge": ("task.progress",),
    "escalation": ("task.ack", "task.progress"),
    # A lead decides where the request reaches them; an owner confirms and reports where the task does.
    "approval": ("task.approve", "task.reject"),
    "done_report": ("task.verify", "task.reopen"),
    "assigned": ("task.ack", "task.progress"),
    "co_owner": ("task.ack", "task.progress"),
}


def actions(lang: str, *pairs: tuple[str, int]) -> list[dict]:
    """The neutral action list for (verb, id) pairs, labelled in ``lang``."""
    return [{"action": verb, "value": str(ident), "lang": lang} for verb, ident in pairs]


def to_person(
    session: Session, person: Person, msg: Msg, *, key: str, kind: str, now: datetime,
    default_lang: str | None = None, task_id: int | None = None, not_before: datetime | None = None,
    blocks: list | None = None, notice_id: int | None = None, brief: Brief | None = None,
) -> bool:
    """Enqueues ``msg`` to a person, rendered in their own language, with the buttons its kind offers
    (收到 / 更新进展 on reminders and escalations, 收到 on a notice). With ``brief`` it is held for the
    person's morning briefing (一人一单) instead of going alone."""
    values = person_row(person, msg, key=key, kind=kind, now=now, default_lang=default_lang, task_id=task_id,
                        not_before=not_before, blocks=blocks, notice_id=notice_id, brief=brief)
    return insert_ignore(session, Outbox, values, conflict=["idempotency_key"])


def person_row(
    person: Person, msg: Msg, *, key: str, kind: str, now: datetime, default_lang: str | None = None,
    task_id: int | None = None, not_before: datetime | None = None, blocks: list | None = None,
    notice_id: int | None = None, brief: Brief | None = None,
) -> dict:
    """The outbox row ``to_person`` writes, as column values (for ``insert_many``)."""
    lang = lang_of(person, default_lang)
    if blocks is None:
        if notice_id is not None:
            blocks = actions(lang, ("notice.ack", notice_id))
        elif task_id is not None and kind in ACTIONS_BY_KIND:
            blocks = actions(lang, *((verb, task_id) for verb in ACTIONS_BY_KIND[kind]))
    return row(
        workspace_id=person.workspace_id, key=key, recipient=person.chat_user_id,
        text=msg.render(lang), kind=kind, now=now, person_id=person.id,
        task_id=task_id, not_before=not_before, blocks=blocks,
        brief=brief.render(lang, kind=kind, task_id=task_id, notice_id=notice_id) if brief else None,
    )


# How a briefing orders its groups: what needs an answer first.
BRIEF_GROUPS = ("tongbao", "duban", "tishi", "overdue_node", "due_today", "due_soon", "silent", "notice", "ack")


@dataclass(frozen=True)
class Brief:
    """A held message's line in a briefing: its group (see ``BRIEF_GROUPS``), the line itself, and
    the verbs of its buttons there (``task.<verb>`` or ``notice.ack``); ``ref`` the notice number."""

    group: str
    line: Msg
    verbs: tuple[str, ...] = ()
    ref: str | None = None

    def render(self, lang: str, *, kind: str, task_id: int | None, notice_id: int | None) -> dict:
        return {"group": self.group, "line": self.line.render(lang), "verbs": list(self.verbs), "kind": kind,
                "task": task_id, "notice": notice_id, "lang": lang, "ref": self.ref}


def lang_of(person: Person | None, default: str | None = None) -> str:
    return i18n.normalise_lang((person.lang if person else None) or default)


# ---------------------------------------------------------------- administration (/guatu outbox)

STATUSES = ("held", "pending", "sending", "sent", "failed", "merged")


@dataclass(frozen=True)
class OutboxLine:
    """One queued message as an admin sees it, detached from the session."""

    id: int
    status: str
    kind: str
    recipient: str
    person_name: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    text: str


def _line(row: Outbox, names: dict[int, str]) -> OutboxLine:
    return OutboxLine(row.id, row.status, row.kind, row.recipient, names.get(row.person_id) if row.person_id else None,
                      row.attempts, row.last_error, row.created_at, row.next_attempt_at, row.sent_at, row.text)


def _lines(ctx: Ctx, rows: list[Outbox]) -> list[OutboxLine]:
    ids = {r.person_id for r in rows if r.person_id}
    names = dict(ctx.session.exec(select(Person.id, Person.name).where(col(Person.id).in_(ids))).all()) if ids else {}
    return [_line(r, names) for r in rows]


def queue_counts(ctx: Ctx) -> dict[str, int]:
    """Admin: how many messages of this workspace are pending, sending, sent and failed."""
    permissions.check(ctx.session, ctx.actor, "outbox")
    rows = ctx.session.exec(select(Outbox.status, func.count()).where(Outbox.workspace_id == ctx.ws.id)
                            .group_by(Outbox.status)).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(dict(rows))
    return counts


def list_messages(ctx: Ctx, which: str = "failed", *, limit: int = 20) -> list[OutboxLine]:
    """Admin: the failed messages (parked after their last attempt), or the latest of any status."""
    permissions.check(ctx.session, ctx.actor, "outbox")
    q = select(Outbox).where(Outbox.workspace_id == ctx.ws.id)
    if which == "failed":
        q = q.where(Outbox.status == "failed")
    return _lines(ctx, list(ctx.session.exec(q.order_by(col(Outbox.id).desc()).limit(limit)).all()))


def retry_message(ctx: Ctx, outbox_id: int) -> OutboxLine:
    """Admin: puts a failed message back in the queue for a fresh round of attempts; audited.
    Never doubles: only a failed message (one the worker gave up on) can be retried."""
    permissions.check(ctx.session, ctx.actor, "outbox")
    row = ctx.session.get(Outbox, outbox_id)
    if row is None or row.workspace_id != ctx.ws.id:
        raise NotFound("outbox.unknown", id=outbox_id)
    if row.status != "failed":
        raise Conflict("outbox.not_failed", id=outbox_id, status=Msg(f"outbox.status.{row.status}"))
    error = row.last_error
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = ctx.now
    row.claimed_by = None
    row.claimed_until = None
    audit.record(ctx.session, workspace_id=ctx.ws.id, actor=ctx.actor, action="outbox.retried", entity="outbox",
                 entity_id=row.id, now=ctx.now, recipient=row.recipient, kind=row.kind, last_error=error)
    ctx.session.flush()
    return _lines(ctx, [row])[0]


i18n.register(
    {
        "outbox.unknown": {"zh": "发送队列中没有编号为 {id} 的消息。", "en": "No queued message {id}."},
        "outbox.not_failed": {
            "zh": "消息 {id} 的状态是「{status}」，只有发送失败的消息可以重试。",
            "en": "Message {id} is {status}; only failed messages can be retried.",
        },
        "outbox.status.pending": {"zh": "待发送", "en": "pending"},
        "outbox.status.sending": {"zh": "发送中", "en": "sending"},
        "outbox.status.sent": {"zh": "已发送", "en": "sent"},
        "outbox.status.failed": {"zh": "发送失败", "en": "failed"},
        "outbox.status.held": {"zh": "待汇总（晨报）", "en": "held for the briefing"},
        "outbox.status.merged": {"zh": "已并入晨报", "en": "merged into a briefing"},
    }
)
