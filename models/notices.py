"""Notices (通知): a task-force lead's message to every member, each member confirming receipt (收到).

Unconfirmed members are told again by the notices sweep (``jobs/sweeps.py``), at most once every
policy.renotice_hours and at most policy.renotice_limit times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from models import audit, forces, i18n, outbox, permissions
from models.context import Ctx
from models.errors import Conflict, InvalidInput, NotFound
from models.i18n import Msg
from models.policy import Policy, effective
from models.tables import ForceMember, Notice, NoticeReceipt, Person, TaskForce
from models.timing import send_time

MAX_TEXT = 2000


def _pk(row_id: int | None) -> int:
    """The id of a row already written (flushed): never None."""
    if row_id is None:
        raise ValueError("the row has no id yet")
    return row_id


def receipt_key(notice_id: int, person_id: int, nth: int) -> str:
    """The outbox key of the ``nth`` send (1 = the first) of a notice to one member."""
    return f"notice:{notice_id}:to:{person_id}:{nth}"


def next_renotice(sent_at: datetime, sent_count: int, policy: Policy) -> datetime | None:
    """When an unconfirmed member is told again after ``sent_count`` sends, or None when the limit is reached."""
    if sent_count - 1 >= policy.renotice_limit:
        return None
    return sent_at + timedelta(hours=policy.renotice_hours)


def excerpt(text: str, limit: int = 60) -> str:
    """A notice's first line, shortened for a briefing line."""
    first = " ".join(text.split())
    return first if len(first) <= limit else first[: limit - 1] + "…"


def message(notice: Notice, force: TaskForce, author: Person, *, nth: int) -> Msg:
    key = "notice.message" if nth == 1 else "notice.again"
    return Msg(key, id=notice.id, force=force.name, author=author.name, text=notice.text)


def send_notice(ctx: Ctx, text: str, force_name: str | None = None) -> Notice:
    """Lead of the task force: sends a notice to every other member, each with a receipt to confirm;
    audited. Outside working hours it waits for the next working morning."""
    text = text.strip()
    if not text:
        raise InvalidInput("notice.empty")
    if len(text) > MAX_TEXT:
        raise InvalidInput("notice.too_long", max=MAX_TEXT)
    force = forces.find_force(ctx, force_name)
    permissions.require(ctx, "force.notice", force=force)
    members = list(ctx.session.exec(
        select(Person).join(ForceMember, col(ForceMember.person_id) == col(Person.id))
        .where(ForceMember.force_id == force.id, col(Person.id) != ctx.actor.id).order_by(col(Person.id))
    ).all())
    if not members:
        raise Conflict("notice.no_members", force=force.name)
    notice = Notice(workspace_id=_pk(ctx.ws.id), force_id=_pk(force.id), author_id=_pk(ctx.actor.id), text=text,
                    created_at=ctx.now)
    ctx.session.add(notice)
    ctx.session.flush()
    policy = effective(force.policy)
    first = send_time(ctx.now, tz=ctx.tz, calendar=ctx.calendar, policy=policy)
    msg = message(notice, force, ctx.actor, nth=1)
    notice_id = _pk(notice.id)
    for member in members:
        ctx.session.add(NoticeReceipt(notice_id=notice_id, person_id=_pk(member.id), sent_count=1,
                                      next_renotice_at=next_renotice(first, 1, policy), created_at=ctx.now))
        outbox.to_person(ctx.session, member, msg, key=receipt_key(notice_id, _pk(member.id), 1), kind="notice",
                         now=ctx.now, default_lang=ctx.default_lang, not_before=first, notice_id=notice.id)
    audit.record(ctx.session, workspace_id=_pk(ctx.ws.id), actor=ctx.actor, action="notice.sent", entity="notice",
                 entity_id=notice.id, now=ctx.now, force=force.id, members=len(members))
    ctx.session.flush()
    return notice


def _notice(ctx: Ctx, notice_id: int) -> Notice:
    notice = ctx.session.get(Notice, notice_id)
    if notice is None or notice.workspace_id != ctx.ws.id:
        raise NotFound("notice.unknown", id=notice_id)
    return notice


def confirm_notice(ctx: Ctx, notice_id: int) -> NoticeReceipt:
    """A member confirms receipt (收到); no more re-sends to them. Idempotent: the first confirmation stands."""
    notice = _notice(ctx, notice_id)
    receipt = ctx.session.exec(select(NoticeReceipt).where(
        NoticeReceipt.notice_id == notice.id, NoticeReceipt.person_id == ctx.actor.id)).first()
    if receipt is None:
        raise NotFound("notice.not_yours", id=notice_id)
    if receipt.confirmed_at is None:
        receipt.confirmed_at = ctx.now
        receipt.next_renotice_at = None
        audit.record(ctx.session, workspace_id=_pk(ctx.ws.id), actor=ctx.actor, action="notice.confirmed",
                     entity="notice", entity_id=notice.id, now=ctx.now)
        ctx.session.flush()
    return receipt


@dataclass(frozen=True)
class NoticeStatus:
    """Who confirmed a notice (and when) and who has not yet (and how often they were told)."""

    id: int
    force_name: str
    author: str
    text: str
    created_at: datetime
    confirmed: tuple[tuple[str, datetime], ...]
    pending: tuple[tuple[str, int], ...]


def notice_status(ctx: Ctx, notice_id: int) -> NoticeStatus:
    """The author, a lead of the task force or an admin: who confirmed the notice, who not yet."""
    notice = _notice(ctx, notice_id)
    force = ctx.session.get(TaskForce, notice.force_id)
    if notice.author_id != ctx.actor.id:
        permissions.require(ctx, "force.notice.status", force=force)
    rows = ctx.session.exec(
        select(NoticeReceipt, Person.name).join(Person, col(Person.id) == col(NoticeReceipt.person_id))
        .where(NoticeReceipt.notice_id == notice.id).order_by(col(Person.name), col(Person.id))
    ).all()
    author = ctx.session.get(Person, notice.author_id)
    return NoticeStatus(
        id=_pk(notice.id), force_name=force.name if force else "?", author=author.name if author else "?", text=notice.text,
        created_at=notice.created_at,
        confirmed=tuple((name, r.confirmed_at) for r, name in rows if r.confirmed_at is not None),
        pending=tuple((name, r.sent_count) for r, name in rows if r.confirmed_at is None),
    )


def is_recipient(ctx: Ctx, notice_id: int) -> bool:
    """Whether the caller received this notice (a surface may offer the 收到 button)."""
    return ctx.session.exec(select(NoticeReceipt.id).where(
        NoticeReceipt.notice_id == notice_id, NoticeReceipt.person_id == ctx.actor.id)).first() is not None


i18n.register(
    {
        "notice.empty": {
            "zh": "通知内容不能为空，例如：/force 通知 周五前报送材料",
            "en": "A notice needs text, e.g. /force notice Send the files by Friday",
        },
        "notice.too_long": {"zh": "通知不能超过 {max} 字。", "en": "A notice may have at most {max} characters."},
        "notice.no_members": {"zh": "专班「{force}」除你之外还没有成员。", "en": "Task force “{force}” has no other members yet."},
        "notice.unknown": {"zh": "找不到编号为 {id} 的通知。", "en": "No notice {id}."},
        "notice.not_yours": {"zh": "通知 {id} 不是发给你的。", "en": "Notice {id} was not sent to you."},
        "notice.message": {
            "zh": "📢 专班「{force}」通知（{id} 号，{author}）：\n{text}\n请点「收到」或输入 /force 通知 收到 {id} 确认。",
            "en": "📢 Notice {id} from {author}, task force “{force}”:\n{text}\n"
                  "Please confirm with 收到 or /force notice ack {id}.",
        },
        "notice.again": {
            "zh": "📢 再次提醒：你尚未确认专班「{force}」的通知（{id} 号，{author}）：\n{text}\n"
                  "请点「收到」或输入 /force 通知 收到 {id} 确认。",
            "en": "📢 Reminder: you have not confirmed notice {id} from {author}, task force “{force}”:\n{text}\n"
                  "Please confirm with 收到 or /force notice ack {id}.",
        },
    }
)
