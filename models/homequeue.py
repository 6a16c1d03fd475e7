"""App Homes published off the request path: the web process records that a home is stale, a worker publishes it.

* **Recorded with the change.** ``mark`` writes one row per person in the transaction of the change that made
  their home stale (``bot.dispatch.Service``): a change that commits has its homes queued, one rolled back has
  not, and a crash in between loses nothing.
* **Coalesced.** One row per (workspace, user): a burst of changes bumps its ``version``, and the home is built
  and published once, showing the latest state.
* **Never lost.** The publisher (the delivery loop, ``jobs.deliver.deliver``: a ``guatu worker``, or the
  scheduler inside ``guatu serve``) claims rows with a lease on the real clock (``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL, so workers never build the same home at once), builds each home after its claim committed, and
  deletes the row only if its version is still the one it claimed: a change committed meanwhile keeps the
  row, and the home is published again with it. A worker that dies leaves a lease that runs out.
* **Bounded.** A 429 puts the row back after Retry-After (``retry_after_seconds``: at most an hour); another
  failure after a backoff, up to ``MAX_ATTEMPTS``; a permanent refusal (the user is gone) drops it. A home is a
  view, not a message: the next change queues it again. Each call builds homes for at most ``BUDGET`` seconds,
  so messages are not held up behind a crowd of homes.

No lock is held while a home is built (0.2-0.3 s of Python for a member of three large task forces): the web
process's upsert waits at most for a claim's own short transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from models.db import utcnow
from models.outbox import DeliveryError, retry_after_seconds
from models.tables import HomeQueue, Workspace

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
BATCH = 20  # homes claimed at once
BUDGET = 2.0  # seconds of building and publishing per call; what is left waits for the next call
MAX_ATTEMPTS = 5
BACKOFF = 15.0  # seconds after a failed publish, doubled per attempt
PLATFORM = "slack"  # only Slack has an App Home

_q: Any = HomeQueue.__table__  # type: ignore[attr-defined]
_ws: Any = Workspace.__table__  # type: ignore[attr-defined]


class HomePublisher(Protocol):
    """What publishes one person's home (``bot.slack.notifier.SlackNotifier``): raises ``DeliveryError`` when it
    could not (``retry_after`` for a 429, ``permanent`` when no retry can help)."""

    def publish_home(self, engine: Engine, team_id: str, user_id: str, *, now: datetime) -> None: ...


def publisher_of(notifier: object) -> HomePublisher | None:
    """The notifier's home publisher: itself, or (a routing notifier) the Slack one; None if it has none."""
    if callable(getattr(notifier, "publish_home", None)):
        return notifier  # type: ignore[return-value]
    routed = getattr(notifier, "notifiers", None)
    if isinstance(routed, dict) and callable(getattr(routed.get(PLATFORM), "publish_home", None)):
        return routed[PLATFORM]
    return None


def mark(session: Session, workspace_id: int, users: Iterable[str], *, now: datetime) -> None:
    """Records, in the caller's transaction, that these users' homes are stale. One multi-row upsert; users in a
    fixed order, so two transactions marking the same people cannot deadlock."""
    chosen = sorted({u for u in users if u and len(u) <= 64})
    if not chosen:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(_q).values([dict(workspace_id=workspace_id, user_id=u, version=1, requested_at=now, attempts=0)
                              for u in chosen])
    session.execute(stmt.on_conflict_do_update(index_elements=["workspace_id", "user_id"],
                                               set_={"version": _q.c.version + 1}))


def pending(engine: Engine, *, ready_at: datetime | None = None) -> int:
    """Homes waiting to be published (claimed or not); with ``ready_at`` (the real time) not those waiting out a
    failure until later."""
    q = select(func.count()).select_from(_q)
    if ready_at is not None:
        q = q.where(or_(_q.c.not_before.is_(None), _q.c.not_before <= ready_at, _q.c.claimed_by.is_not(None)))
    with engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


@dataclass
class HomeStats:
    claimed: int = 0
    published: int = 0
    again: int = 0  # published, but changed meanwhile: queued again
    retried: int = 0  # failed (429 or transient): back after a wait
    dropped: int = 0  # refused for good, or attempts used up
    released: int = 0  # claimed but not built (the time budget ran out)


@dataclass(frozen=True)
class _Claimed:
    id: int
    team_id: str
    user_id: str
    version: int
    attempts: int


def publish(engine: Engine, publisher: HomePublisher, *, now: datetime, clock: Callable[[], datetime] = utcnow,
            limit: int = 100, budget: float = BUDGET, worker_id: str = "", lease: timedelta = LEASE,
            elapsed: Callable[[], float] = time.monotonic) -> HomeStats:
    """Publishes stale homes, oldest first, for at most ``budget`` seconds and ``limit`` homes. ``now`` is the
    moment the homes show (lights, "updated"); leases and waits follow ``clock``, the real time."""
    stats = HomeStats()
    worker = worker_id or _worker()
    started = elapsed()
    with engine.connect() as conn:
        while stats.claimed < limit and elapsed() - started < budget:
            rows = _claim(conn, worker, min(BATCH, limit - stats.claimed), clock(), lease)
            if not rows:
                break
            stats.claimed += len(rows)
            for i, row in enumerate(rows):
                if elapsed() - started >= budget:
                    stats.released += _release(conn, rows[i:], worker)
                    return stats
                try:
                    publisher.publish_home(engine, row.team_id, row.user_id, now=now)
                except DeliveryError as exc:
                    _failed(conn, row, worker, exc, clock(), stats)
                except Exception as exc:  # a bug building one home must not stop the others
                    log.exception("publishing the home of %s/%s failed", row.team_id, row.user_id)
                    _failed(conn, row, worker, DeliveryError(f"{type(exc).__name__}: {exc}"), clock(), stats)
                else:
                    stats.published += 1
                    stats.again += not _done(conn, row, worker)
    return stats


def _worker() -> str:
    from jobs.deliver import worker_name  # the outbox's name for this process and thread

    return worker_name()


def _claim(conn: Connection, worker: str, limit: int, real: datetime, lease: timedelta) -> list[_Claimed]:
    free = and_(or_(_q.c.claimed_until.is_(None), _q.c.claimed_until < real),
                or_(_q.c.not_before.is_(None), _q.c.not_before <= real))
    with conn.begin():
        ids = [r[0] for r in conn.execute(select(_q.c.id).where(free).order_by(_q.c.requested_at, _q.c.id)
                                          .limit(limit).with_for_update(skip_locked=True)).all()]
        if not ids:
            return []
        conn.execute(update(_q).where(_q.c.id.in_(ids)).values(claimed_by=worker, claimed_until=real + lease))
        rows = conn.execute(select(_q.c.id, _ws.c.team_id, _q.c.user_id, _q.c.version, _q.c.attempts, _ws.c.platform)
                            .join(_ws, _ws.c.id == _q.c.workspace_id).where(_q.c.id.in_(ids))
                            .order_by(_q.c.requested_at, _q.c.id)).all()
        other = [r[0] for r in rows if (r[5] or PLATFORM) != PLATFORM]
        if other:  # no App Home there (a mark that reached another platform's workspace): nothing to publish
            conn.execute(delete(_q).where(_q.c.id.in_(other)))
    return [_Claimed(r[0], r[1], r[2], r[3], r[4]) for r in rows if (r[5] or PLATFORM) == PLATFORM]


def _mine(row: _Claimed, worker: str) -> Any:
    return and_(_q.c.id == row.id, _q.c.claimed_by == worker)


def _done(conn: Connection, row: _Claimed, worker: str) -> bool:
    """Deletes the row if nothing changed since its claim (True); else hands it back for the next publish."""
    with conn.begin():
        if conn.execute(delete(_q).where(_mine(row, worker), _q.c.version == row.version)).rowcount:
            return True
        conn.execute(update(_q).where(_mine(row, worker)).values(claimed_by=None, claimed_until=None, attempts=0,
                                                                 not_before=None))
    return False


def _release(conn: Connection, rows: list[_Claimed], worker: str) -> int:
    with conn.begin():
        conn.execute(update(_q).where(_q.c.id.in_([r.id for r in rows]), _q.c.claimed_by == worker)
                     .values(claimed_by=None, claimed_until=None))
    return len(rows)


def _failed(conn: Connection, row: _Claimed, worker: str, exc: DeliveryError, real: datetime,
            stats: HomeStats) -> None:
    attempts = row.attempts + 1
    with conn.begin():
        if exc.permanent or (exc.retry_after is None and attempts >= MAX_ATTEMPTS):
            log.warning("the home of %s/%s is not published (%s): dropped until the next change", row.team_id,
                        row.user_id, exc)
            conn.execute(delete(_q).where(_mine(row, worker)))
            stats.dropped += 1
            return
        wait = retry_after_seconds(exc.retry_after) if exc.retry_after is not None \
            else min(BACKOFF * 2 ** (attempts - 1), 1800.0)
        if exc.retry_after is None:
            log.warning("publishing the home of %s/%s failed (%s): again in %.0f s", row.team_id, row.user_id, exc,
                        wait)
        conn.execute(update(_q).where(_mine(row, worker)).values(
            claimed_by=None, claimed_until=None, not_before=real + timedelta(seconds=wait),
            attempts=attempts if exc.retry_after is None else row.attempts))
        stats.retried += 1
