"""The HTTP edge in front of bolt: a bounded body, a verified signature, and each signed request acted on once.

Bolt parses a body before it checks the signature, so everything here works on the raw bytes and the
headers alone: nothing from an unverified body is parsed, logged or handed on.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import col
from starlette.requests import Request

from models.db import utcnow
from models.tables import ProcessedRequest

log = logging.getLogger("guatu.slack.edge")

# Slack's largest payloads (a modal's full view state) are tens of kilobytes.
MAX_BODY = 1 << 20
# Slack's documented window: a request whose timestamp is further from now is refused.
WINDOW = 5 * 60
# A timestamp may lie up to WINDOW ahead of our clock, so a replay can come up to 2 × WINDOW after the first.
KEEP_REQUESTS = timedelta(seconds=3 * WINDOW)
SEEN_IN_PROCESS = 20_000


class Refused(Exception):
    """A request the edge will not pass on: the status to answer and the reason for the log (never body content)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body, never holding more than ``limit`` bytes: Refused(413) once the declared or read length exceeds it.

    A client that goes away mid-body raises starlette's ClientDisconnect; the caller treats it as nothing.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isascii() or not declared.strip().isdigit():
            raise Refused(400, "unreadable Content-Length")
        if int(declared) > limit:
            raise Refused(413, f"body of {int(declared)} bytes declared, over the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # chunked, or longer than declared: stop reading here
            raise Refused(413, f"body over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def verify(secret: str, body: bytes, headers: Mapping[str, str], *, now: float) -> tuple[str, int]:
    """The request's signature and timestamp if ``body`` was signed with ``secret`` (Slack's ``v0``) within WINDOW of
    ``now``; Refused(401) otherwise. Constant-time; looks at the headers and the raw bytes only."""
    signature = headers.get("x-slack-signature")
    stamp = headers.get("x-slack-request-timestamp")
    if not signature or not stamp:
        raise Refused(401, "no Slack signature")
    stamp = stamp.strip()
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise Refused(401, "unreadable signature timestamp")
    timestamp = int(stamp)
    if abs(now - timestamp) > WINDOW:
        raise Refused(401, f"signature timestamp {round(now - timestamp)} s away from now")
    expected = "v0=" + hmac.new(secret.encode(), b"v0:%d:" % timestamp + body, hashlib.sha256).hexdigest()
    # Bytes on both sides: compare_digest refuses a str with non-ASCII characters (a TypeError, not False).
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise Refused(401, "bad Slack signature")
    return expected, timestamp


class ReplayGuard:
    """True the first time a signature is seen, False for a byte-identical replay within the window.

    An in-process cache answers repeats cheaply; a unique row decides between processes sharing the database.
    """

    def __init__(self, engine: Engine, *, capacity: int = SEEN_IN_PROCESS) -> None:
        self.engine = engine
        self.capacity = capacity
        self._seen: OrderedDict[str, float] = OrderedDict()  # signature → when its window closes
        self._lock = threading.Lock()

    def first(self, signature: str, timestamp: int, *, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        with self._lock:
            self._forget(now)
            if signature in self._seen:
                return False
            self._seen[signature] = timestamp + WINDOW
        return _claim(self.engine, signature)

    def _forget(self, now: float) -> None:
        # Makes room for one more. Close enough to oldest-first: timestamps arrive in order, give or take the window.
        while self._seen and (len(self._seen) >= self.capacity or next(iter(self._seen.values())) < now):
            self._seen.popitem(last=False)


@lru_cache(maxsize=4)
def _claim_statement(dialect: str) -> Any:
    """The replay guard's insert, built once: the same SQL on every request (PostgreSQL prepares it)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table: Any = ProcessedRequest.__table__  # type: ignore[attr-defined]
    # Ask for the new row back: with PostgreSQL's implicit RETURNING the rowcount is -1, not 0/1.
    return (insert(table).values(signature=bindparam("signature"), created_at=bindparam("created_at"))
            .on_conflict_do_nothing(index_elements=["signature"]).returning(table.c.id))


def _claim(engine: Engine, signature: str) -> bool:
    now = utcnow()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # This commit need not wait for the disk (2 ms at the median, 10 ms at p99 on a loaded machine, on
            # every request): a crash of the database within the WAL writer's delay (< 1 s) can forget a few
            # signatures, and only a byte-identical replay arriving in that moment would then run twice. The
            # command's own transaction still commits synchronously.
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        inserted = conn.execute(_claim_statement(engine.dialect.name),
                                {"signature": signature, "created_at": now}).first() is not None
        if inserted and random.random() < 0.01:
            # Now and then forget requests too old to be replayed, so the table stays minutes long.
            conn.execute(delete(ProcessedRequest).where(col(ProcessedRequest.created_at) < now - KEEP_REQUESTS))
    return inserted
