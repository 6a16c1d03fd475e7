"""The outbox delivery worker: claims due messages, sends each through the notifier, marks it sent.

Guarantees, with any number of worker processes on PostgreSQL (one process on SQLite):

* **Never lost.** A message stays in the outbox until it is marked sent or parked as failed after
  ``MAX_ATTEMPTS`` failed attempts; a permanent error (channel not found …) parks it at once.
  Admins list and retry parked messages (``models.outbox.list_messages`` / ``retry_message``).
* **Not doubled by workers.** A worker claims rows with ``FOR UPDATE SKIP LOCKED`` and a lease
  (``status='sending'``, ``claimed_by``, ``claimed_until``); others skip them. A worker stops
  sending from a claim when half its lease has passed and hands the rest back, so a live claim
  never expires under it.
* **In order per recipient.** A message waits while an earlier one to the same recipient is in
  flight or being retried; other recipients are not held up. (A message deferred to the morning
  by quiet hours does not hold back a later one that may go now.)
* **Paced.** About one message per second per recipient (``Notifier.min_interval``), and after an
  HTTP 429 nothing to that recipient until Retry-After has passed, through a gate row per recipient
  that all workers share.

The one window that cannot be closed: a worker that dies *after* the platform accepted a message
and *before* its "sent" mark committed. Its lease expires, another worker claims the row again and
cannot know whether the first send happened. We choose to send again (at-least-once in that
window) rather than to drop it (at-most-once), because the same re-claim is what makes a worker
killed *before* sending deliver the message exactly once. The window is narrowed to one network
round trip: the mark is its own short transaction right after each send, never batched.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import func

from models.db import UTCDateTime
from models.outbox import DeliveryError, Notifier
from models.sqlutil import literal_in
from models.tables import Outbox, OutboxPace

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)
MAX_ATTEMPTS = 8
BACKOFF_BASE = 15.0  # seconds; doubled per failed attempt: 15 s, 30 s, 1 min … about 30 min in all
BACKOFF_CAP = 1800.0
BATCH = 100
DEFAULT_INTERVAL = 1.0  # Slack: about one chat.postMessage per second per channel

_o = Outbox.__table__
_gate = OutboxPace.__table__


@dataclass
class DeliveryStats:
    """What one ``deliver`` call did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0  # transient failure (connection, 5xx): tried again later with backoff
    rate_limited: int = 0  # HTTP 429: tried again after Retry-After, the recipient held back
    failed: int = 0  # parked: permanent error, or attempts used up
    released: int = 0  # claimed but handed back unsent (the time budget ran out)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Claimed:
    """A claimed outbox row, detached: what the worker needs to send it and to mark it."""

    id: int
    workspace_id: int
    recipient: str
    text: str
    blocks: list | None
    attempts: int


def worker_name() -> str:
    """A claim owner unique to this call: host, process and a random part."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: exponential, capped."""
    return timedelta(seconds=min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1)))


def _is_pg(conn: Connection | Engine) -> bool:
    return conn.dialect.name == "postgresql"


def _status(table: Any, *values: str) -> Any:
    return literal_in(table.c.status, *values)


@contextmanager
def _tx(bind: Engine | Connection) -> Iterator[Connection]:
    """A transaction on an engine (a pooled connection) or on a connection held by the caller."""
    if isinstance(bind, Engine):
        with bind.begin() as conn:
            yield conn
    else:
        with bind.begin():
            yield bind


def claim(bind: Engine | Connection, *, now: datetime, limit: int, worker_id: str,
          lease: timedelta = LEASE) -> list[Claimed]:
    """Claims up to ``limit`` due messages for ``worker_id`` in id order, at most one per recipient:
    first rows whose lease expired (a worker died), then pending rows through the partial index.
    Never hands a row to two live workers."""
    out: list[Claimed] = []
    with _tx(bind) as conn:
        # A row abandoned again and again (a worker dies on it each time) is parked, not retried forever.
        conn.execute(
            update(_o).where(_status(_o, "sending"), _o.c.claimed_until < now, _o.c.attempts >= MAX_ATTEMPTS)
            .values(status="failed", claimed_by=None, claimed_until=None,
                    last_error="abandoned: the worker holding it stopped before finishing")
        )
        out += _claim(conn, lambda c: and_(_status(c, "sending"), c.c.claimed_until < now),
                      now=now, limit=limit, worker_id=worker_id, lease=lease)
    if len(out) < limit:
        with _tx(bind) as conn:
            out += _claim(conn, lambda c: and_(_status(c, "pending"), c.c.next_attempt_at <= now),
                          now=now, limit=limit - len(out), worker_id=worker_id, lease=lease)
    return sorted(out, key=lambda c: c.id)


def _held_back(cand: Any, now: datetime) -> Any:
    """An earlier message to the same recipient is in flight or owed (due now, or being retried)."""
    earlier = _o.alias("earlier")
    return exists().where(
        earlier.c.workspace_id == cand.c.workspace_id,
        earlier.c.recipient == cand.c.recipient,
        earlier.c.id < cand.c.id,
        _status(earlier, "pending", "sending"),
        or_(earlier.c.status == "sending", earlier.c.attempts > 0, earlier.c.next_attempt_at <= now),
    )


def _gate_of(cand: Any) -> Any:
    return and_(_gate.c.workspace_id == cand.c.workspace_id, _gate.c.recipient == cand.c.recipient)


def _claim(conn: Connection, claimable: Callable[[Any], Any], *, now: datetime, limit: int, worker_id: str,
           lease: timedelta) -> list[Claimed]:
    # Candidates come from an alias: a subquery on the UPDATE's own table would be correlated to it.
    cand = _o.alias("cand")
    gate_closed = exists().where(_gate_of(cand), _gate.c.not_before > now)
    pick = (select(cand.c.id).where(claimable(cand), ~_held_back(cand, now), ~gate_closed)
            .order_by(cand.c.id).limit(limit))
    if _is_pg(conn):
        pick = pick.with_for_update(of=cand, skip_locked=True)
    # A materialized CTE picks (and locks) the rows once; as ``WHERE id IN (subquery)`` PostgreSQL
    # may run the subquery again for each row it updates (seconds, at a few hundred pending rows).
    picked = pick.cte("picked").prefix_with("MATERIALIZED")
    rows = conn.execute(
        update(_o).where(_o.c.id == picked.c.id)
        .values(status="sending", claimed_by=worker_id, claimed_until=now + lease, attempts=_o.c.attempts + 1)
        .returning(_o.c.id, _o.c.workspace_id, _o.c.recipient, _o.c.text, _o.c.blocks, _o.c.attempts)
    ).all()
    return [Claimed(*r) for r in rows]


def _finish(bind: Engine | Connection, row: Claimed, worker_id: str, values: dict[str, Any],
            gate_until: datetime | None = None) -> bool:
    """Updates a row this worker still holds, in its own short transaction; optionally closes the
    recipient's gate until ``gate_until``. False if the claim was lost."""
    with _tx(bind) as conn:
        done = conn.execute(
            update(_o).where(_o.c.id == row.id, _status(_o, "sending"), _o.c.claimed_by == worker_id)
            .values(claimed_by=None, claimed_until=None, **values)
        ).rowcount == 1
        if gate_until is not None:
            _close_gate(conn, row.workspace_id, row.recipient, gate_until)
    if not done:
        log.warning("outbox %s: claim lost before it was marked (%s)", row.id, values.get("status"))
    return done


def _close_gate(conn: Connection, workspace_id: int, recipient: str, until: datetime) -> None:
    """Nothing more to ``recipient`` before ``until``; a later gate already set stays."""
    if _is_pg(conn):
        stmt = pg_insert(_gate).values(workspace_id=workspace_id, recipient=recipient, not_before=until)
        later = func.greatest(_gate.c.not_before, stmt.excluded.not_before)
    else:
        stmt = sqlite_insert(_gate).values(workspace_id=workspace_id, recipient=recipient, not_before=until)
        later = func.max(_gate.c.not_before, stmt.excluded.not_before)  # SQLite's two-argument max()
    conn.execute(stmt.on_conflict_do_update(index_elements=["workspace_id", "recipient"], set_={"not_before": later}))


def release(bind: Engine | Connection, rows: list[Claimed], worker_id: str) -> int:
    """Hands claimed rows back unsent (not counted as attempts), for any worker to take."""
    if not rows:
        return 0
    with _tx(bind) as conn:
        return conn.execute(
            update(_o).where(_o.c.id.in_([r.id for r in rows]), _status(_o, "sending"), _o.c.claimed_by == worker_id)
            .values(status="pending", claimed_by=None, claimed_until=None, attempts=_o.c.attempts - 1)
        ).rowcount


def _send_one(engine: Engine | Connection, notifier: Notifier, row: Claimed, worker_id: str, at: datetime,
              interval: timedelta, stats: DeliveryStats) -> None:
    try:
        chat_ts = notifier.send(row.recipient, row.text, row.blocks)
    except DeliveryError as exc:
        error = str(exc)[:500] or type(exc).__name__
        if exc.permanent:
            stats.failed += _finish(engine, row, worker_id, dict(status="failed", last_error=error))
        elif exc.retry_after is not None:
            # Rate limited: not a failure of this message (the attempt is given back). The gate holds
            # every later message to this recipient; other recipients go on.
            until = at + timedelta(seconds=max(0.0, exc.retry_after))
            stats.rate_limited += _finish(engine, row, worker_id, dict(
                status="pending", next_attempt_at=until, attempts=_o.c.attempts - 1, last_error=error),
                gate_until=until)
        else:
            _failed_attempt(engine, row, worker_id, at, error, stats)
    except Exception as exc:  # noqa: BLE001 - a notifier bug must not stop the others; kept with its stack
        log.exception("outbox %s: unexpected error from the notifier", row.id)
        _failed_attempt(engine, row, worker_id, at, f"{type(exc).__name__}: {exc}"[:500], stats)
    else:
        # Its own transaction, right after the send: the window in which a crash re-sends stays one round trip.
        stats.sent += _finish(engine, row, worker_id, dict(status="sent", sent_at=at, chat_ts=chat_ts, last_error=None),
                              gate_until=at + interval if interval else None)


def _failed_attempt(engine: Engine | Connection, row: Claimed, worker_id: str, at: datetime, error: str,
                    stats: DeliveryStats) -> None:
    if row.attempts >= MAX_ATTEMPTS:
        stats.failed += _finish(engine, row, worker_id, dict(status="failed", last_error=error))
    else:
        stats.retried += _finish(engine, row, worker_id, dict(
            status="pending", next_attempt_at=at + backoff(row.attempts), last_error=error))


def deliver(engine: Engine, notifier: Notifier, *, now: datetime, limit: int = 500, worker_id: str | None = None,
            lease: timedelta = LEASE) -> "DeliveryStats":
    """Sends the due outbox messages, up to ``limit``. Never sends a message twice while its worker
    lives (see the module docstring for the one crash window); never loses one."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    worker = worker_id or worker_name()
    interval = timedelta(seconds=float(getattr(notifier, "min_interval", DEFAULT_INTERVAL)))
    started = time.monotonic()
    budget = lease.total_seconds() / 2  # stop sending from a claim long before its lease can expire

    def clock() -> datetime:
        # ``now`` as given (tests drive it), advanced by the real time this call has taken.
        return now + timedelta(seconds=time.monotonic() - started)

    stats = DeliveryStats()
    # One connection for the call (a pool checkout per mark would add a ping and a reset round
    # trip); every claim and every mark is still its own short transaction on it.
    with engine.connect() as conn:
        while stats.claimed < limit:
            rows = claim(conn, now=clock(), limit=min(BATCH, limit - stats.claimed), worker_id=worker, lease=lease)
            if not rows:
                break
            stats.claimed += len(rows)
            for i, row in enumerate(rows):
                if time.monotonic() - started > budget:
                    stats.released += release(conn, rows[i:], worker)
                    return stats
                _send_one(conn, notifier, row, worker, clock(), interval, stats)
    return stats


def next_ready(engine: Engine, *, now: datetime) -> datetime | None:
    """The earliest moment a pending message at the head of its recipient's queue may be claimed
    (its own time, or its recipient's gate if later); None when nothing is pending."""
    cand = _o.alias("cand")
    gate = select(func.max(_gate.c.not_before)).where(_gate_of(cand), _gate.c.not_before > cand.c.next_attempt_at)
    ready = func.coalesce(gate.scalar_subquery(), cand.c.next_attempt_at)
    with engine.connect() as conn:
        return conn.execute(
            select(func.min(ready, type_=UTCDateTime)).where(_status(cand, "pending"), ~_held_back(cand, now))
        ).scalar()
