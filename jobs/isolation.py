"""One item of a job, one transaction: the digest and meeting jobs run each task force's digest, each
meeting's call for topics and draft agenda, and each series' scheduling on its own, so that one
failing item is logged and retried by the next run instead of stopping every other item.

On PostgreSQL an item is taken under a transaction-level advisory lock on its own key
(``guatu:digest:<force>:<week>``): a process that finds the key held skips the item, which the
holder is handling. SQLite deployments run one scheduling process. The lock only keeps two
processes from building the same item at once; the outbox idempotency keys still keep a message
from being written twice.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from models.db import is_postgres, session_scope

log = logging.getLogger(__name__)

T = TypeVar("T")


def run_item(bind: Engine | Connection, what: str, work: Callable[[Session], int], *, lock: str | None = None) -> int:
    """Runs ``work`` in its own transaction and returns what it returns (outbox rows written); 0
    when another process holds ``lock`` (PostgreSQL), or when it failed: then nothing it wrote is
    kept, the failure is logged with ``what`` and a short reference, and the next run tries again."""
    try:
        with session_scope(bind) as session:
            if lock is not None and not _try_lock(session, lock):
                return 0
            return work(session)
    except Exception:
        log.exception("%s ref=%s failed; the next run tries again", what, _ref())
        return 0


def read_items(bind: Engine | Connection, what: str, read: Callable[[Session], list[T]]) -> list[T]:
    """What ``read`` lists, in a short transaction of its own; nothing (logged with a reference) if
    it fails, so that a workspace that cannot be planned does not stop the others."""
    try:
        with session_scope(bind) as session:
            return read(session)
    except Exception:
        log.exception("%s ref=%s failed; the next run tries again", what, _ref())
        return []


def _try_lock(session: Session, key: str) -> bool:
    """True if this transaction now holds ``key`` (until it ends); always True off PostgreSQL."""
    if not is_postgres(session):
        return True
    return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(hashtext(:key))"), {"key": key}).scalar())


def _ref() -> str:
    # Short enough to quote over the phone, unique enough to find the one traceback in the log.
    return secrets.token_hex(4)
