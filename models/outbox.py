"""The outbox: every message to a person or channel is a row written with the change that caused it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from models import i18n
from models.i18n import Msg
from models.tables import Outbox, Person


class DeliveryError(Exception):
    """A send that failed. ``retry_after`` (seconds) when the platform asked us to wait (HTTP 429);
    ``permanent`` when retrying cannot help (channel not found, account inactive …)."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Notifier(Protocol):
    """Where delivered messages go: Slack's Web API, or the console. Returns a message ts/id.

    Raises :class:`DeliveryError` on failure; must not sleep on rate limits itself (the delivery
    worker reschedules that recipient and goes on with the others)."""

    def send(self, recipient: str, text: str, blocks: list | None = None) -> str | None: ...


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
) -> bool:
    """Never doubles: a second enqueue with the same idempotency key is a no-op. True if written."""
    values = dict(
        workspace_id=workspace_id, idempotency_key=key[:200], recipient=recipient, person_id=person_id,
        kind=kind, text=text, blocks=blocks, task_id=task_id, status="pending", attempts=0,
        next_attempt_at=not_before or now, created_at=now,
    )
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(Outbox).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    result = session.execute(stmt)
    return bool(result.rowcount)


def to_person(
    session: Session, person: Person, msg: Msg, *, key: str, kind: str, now: datetime,
    default_lang: str | None = None, task_id: int | None = None, not_before: datetime | None = None,
    blocks: list | None = None,
) -> bool:
    """Enqueues ``msg`` to a person, rendered in their own language."""
    return enqueue(
        session, workspace_id=person.workspace_id, key=key, recipient=person.chat_user_id,
        text=msg.render(person.lang or default_lang), kind=kind, now=now, person_id=person.id,
        task_id=task_id, not_before=not_before, blocks=blocks,
    )


def lang_of(person: Person | None, default: str | None = None) -> str:
    return i18n.normalise_lang((person.lang if person else None) or default)
