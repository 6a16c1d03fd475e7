"""The outbox delivery worker: claims due messages, sends each through the notifier, marks it sent.

Guarantees, with any number of worker processes on PostgreSQL (one process on SQLite):

* **Never lost.** A message stays in the outbox until it is marked sent or parked as failed after
  ``MAX_ATTEMPTS`` failed attempts; a permanent error (channel not found …) parks it at once.
  Admins list and retry parked messages (``models.outbox.list_messages`` / ``retry_message``).
* **Not doubled by workers.** A worker claims rows with ``FOR UPDATE SKIP LOCKED`` and a lease
  (``status='sending'``, ``claimed_by``, ``claimed_until``); others skip them. A worker stops
  sending from a claim when half its lease has passed and hands the rest back, so a live claim
  never expires under it (and renews the lease of the one message in flight).
* **In order per recipient.** A message waits while an earlier one to the same recipient is in
  flight or being retried; other recipients are not held up. (A message deferred to the morning
  by quiet hours does not hold back a later one that may go now.)
* **Paced.** About one message per second per recipient (``Notifier.min_interval``), and after an
  HTTP 429 nothing to that recipient until Retry-After has passed, through a gate row per recipient
  that all workers share.
* **Paced per workspace.** A notifier with ``workspace_rate`` (messages per second the platform allows
  a whole workspace) gets a token bucket per workspace in front of the per-recipient gate: sends are
  spaced to that rate, and a 429 pauses the whole workspace for its Retry-After (a gate row shared by
  every worker, recipient ``*``) and lowers the rate a little (raised again by each success), so a
  platform-wide limit costs about one 429 per storm instead of one per recipient. The rows of a paused
  workspace already claimed are handed back in one transaction, their attempts not counted.
* **Bounded.** A platform's Retry-After is clamped to an hour (a non-number, ``inf`` or a negative
  value waits 30 s); a recipient's gate further ahead than that is ignored as stale. A message whose
  next attempt is more than ``MAX_HOLD`` after it was queued, or whose claim ends absurdly far beyond
  the real clock (a run at a simulated future time that was killed), is parked as failed with a clear
  ``last_error``, so an admin sees it in ``/guatu outbox failed``.
* **Leases on the real clock.** ``now`` (``--at``) decides which messages are due and stamps what is
  written about them; claims (``claimed_until``) and their expiry always use the real clock
  (``clock``), so a run at a simulated time never steals or strands a live worker's rows. While a
  send is in flight its lease is renewed (up to ``MAX_IN_FLIGHT``): a slow answer is not sent twice.

Uncertain sends are reconciled. When a send's outcome is unknown (no answer, connection cut while
waiting for it, a bare 5xx; or a claim whose worker died), the row is marked ``uncertain:`` in
``last_error`` and, before it is sent again, the worker asks the notifier whether it arrived
(``Notifier.was_delivered``: Slack tags each message with its outbox id in ``metadata`` and reads the
conversation's history). Found: marked sent, not sent again. The window that remains: a notifier
that cannot tell (the console; Slack without history access to that conversation, or more history
since the first attempt than it pages through) re-sends, at least once rather than never; and a
worker that dies mid-send leaves a request Slack may still be processing when its lease runs out.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import func
from sqlmodel import col

from models import homequeue
from models.db import UTCDateTime, utcnow
from models.outbox import RETRY_AFTER_MAX, DeliveryError, Notifier, retry_after_seconds
from models.sqlutil import literal_in
from models.tables import Outbox, OutboxPace, Workspace

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

LEASE = timedelta(seconds=120)
MAX_ATTEMPTS = 8
BACKOFF_BASE = 15.0  # seconds; doubled per failed attempt: 15 s, 30 s, 1 min … about 30 min in all
BACKOFF_CAP = 1800.0
BATCH = 100
DEFAULT_INTERVAL = 1.0  # Slack: about one chat.postMessage per second per channel
# Longer than any legitimate wait: a message deferred on the eve of the 国庆 or Spring Festival
# holidays waits up to 9 days for the first working morning.
MAX_HOLD = timedelta(days=14)
# A gate or a claim further ahead than this cannot have been set by a live worker on the real clock.
GATE_HORIZON = timedelta(seconds=RETRY_AFTER_MAX + 60)
LEASE_HORIZON = timedelta(hours=1)
# A send still in flight after this stops being renewed: its lease may run out and the row is then
# reconciled by whoever claims it next.
MAX_IN_FLIGHT = timedelta(minutes=10)
# How far back the history is searched for an uncertain message whose own clock may be simulated.
LOOKBACK = timedelta(days=1)
UNCERTAIN = "uncertain: "  # last_error prefix: an earlier send may have arrived; ask before sending again
WORKSPACE = "*"  # the recipient of a workspace-wide gate row (no chat id is "*")
# The longest a worker sleeps for its workspace's bucket before a send; beyond it the row is handed back.
PACE_WAIT = 2.0

_o: Any = Outbox.__table__  # type: ignore[attr-defined]
_gate: Any = OutboxPace.__table__  # type: ignore[attr-defined]


@dataclass
class DeliveryStats:
    """What one ``deliver`` call did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0  # transient failure (connection, 5xx): tried again later with backoff
    rate_limited: int = 0  # HTTP 429: tried again after Retry-After, the recipient held back
    failed: int = 0  # parked: permanent error, or attempts used up
    released: int = 0  # claimed but handed back unsent (the time budget ran out)
    uncertain: int = 0  # sends whose outcome was unknown, to be reconciled before any re-send (also in retried)
    reconciled: int = 0  # uncertain earlier sends found delivered: marked sent without sending again
    parked: int = 0  # stuck beyond a bound (held too long, a stray claim): parked as failed
    homes: int = 0  # App Homes published (models.homequeue)

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
    created_at: datetime | None = None
    # An earlier send may have arrived (its outcome was unknown, or its worker died holding it).
    uncertain: bool = False
    platform: str | None = None  # None: the workspace's own (resolved by ``_routed``)


class WorkspaceBuckets:
    """A token bucket per workspace (one process's view; the 429 gate row is every worker's).

    ``rate`` tokens a second up to ``burst``; ``wait`` says how long until the next send may go. After a
    429 the rate drops to ``BACKOFF`` of what it was (not below ``floor``); each success raises it by
    ``STEP`` of the configured rate, back up to it (AIMD, as TCP does), so a rate set a little too high
    finds the platform's own. Retry-After itself is kept by the workspace's gate row, on ``now``."""

    BACKOFF = 0.85
    STEP = 0.02

    def __init__(self, rate: float, *, burst: float = 1.0, floor: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not rate > 0:
            raise ValueError("workspace_rate must be a positive number of messages per second")
        self.rate, self.burst, self.clock = float(rate), max(1.0, float(burst)), clock
        self.floor = floor if floor is not None else self.rate / 10
        self._state: dict[int, list[float]] = {}  # workspace → [tokens, refilled at, rate]
        self._lock = threading.Lock()

    def _get(self, ws: int, now: float) -> list[float]:
        st = self._state.setdefault(ws, [self.burst, now, self.rate])
        st[0] = min(self.burst, st[0] + (now - st[1]) * st[2])
        st[1] = now
        return st

    def wait(self, ws: int) -> float:
        """Seconds until ``ws`` may send (0: now)."""
        with self._lock:
            now = self.clock()
            st = self._get(ws, now)
            return max(0.0, (1.0 - st[0]) / st[2])

    def take(self, ws: int) -> None:
        """One send to ``ws`` is going out."""
        with self._lock:
            st = self._get(ws, self.clock())
            st[0] -= 1.0

    def sent(self, ws: int) -> None:
        with self._lock:
            st = self._get(ws, self.clock())
            st[2] = min(self.rate, st[2] + self.rate * self.STEP)

    def limited(self, ws: int) -> None:
        """A 429: a little slower from now on, starting from an empty bucket."""
        with self._lock:
            st = self._get(ws, self.clock())
            st[2] = max(self.floor, st[2] * self.BACKOFF)
            st[0] = min(st[0], 0.0)


# Per notifier object, for as long as it lives (a new notifier starts a fresh bucket).
_BUCKETS: weakref.WeakKeyDictionary[Any, WorkspaceBuckets] = weakref.WeakKeyDictionary()
_BUCKETS_LOCK = threading.Lock()


def buckets_for(notifier: Notifier) -> WorkspaceBuckets | None:
    """The process's buckets for ``notifier`` (kept across ``deliver`` calls), or None when it sets no
    ``workspace_rate``."""
    rate = getattr(notifier, "workspace_rate", None)
    if rate is None:
        return None
    with _BUCKETS_LOCK:
        buckets = _BUCKETS.get(notifier)
        if buckets is None or buckets.rate != float(rate):
            buckets = WorkspaceBuckets(float(rate), burst=float(getattr(notifier, "workspace_burst", 1.0)))
            _BUCKETS[notifier] = buckets
        return buckets


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


def _ts(value: datetime) -> Any:
    return literal(value, UTCDateTime)


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
          lease: timedelta = LEASE, clock: Clock = utcnow) -> list[Claimed]:
    """Claims up to ``limit`` due messages for ``worker_id`` in id order, at most one per recipient:
    first rows whose lease expired (a worker died), then pending rows through the partial index.
    Due means due at ``now``; leases are taken and judged on the real ``clock``, whatever ``now`` says.
    Never hands a row to two live workers."""
    real = clock()
    out: list[Claimed] = []
    with _tx(bind) as conn:
        # A row abandoned again and again (a worker dies on it each time) is parked, not retried forever.
        conn.execute(
            update(_o).where(_status(_o, "sending"), _o.c.claimed_until < real, _o.c.attempts >= MAX_ATTEMPTS)
            .values(status="failed", claimed_by=None, claimed_until=None,
                    last_error=UNCERTAIN + "abandoned: the worker holding it stopped before finishing")
        )
        # Its worker died holding it, maybe after the platform accepted it: reconciled before any re-send.
        out += _claim(conn, lambda c: and_(_status(c, "sending"), c.c.claimed_until < real),
                      now=now, real=real, limit=limit, worker_id=worker_id, lease=lease, expired=True)
    if len(out) < limit:
        with _tx(bind) as conn:
            out += _claim(conn, lambda c: and_(_status(c, "pending"), c.c.next_attempt_at <= now),
                          now=now, real=real, limit=limit - len(out), worker_id=worker_id, lease=lease)
    return sorted(out, key=lambda c: c.id)


def park_stuck(bind: Engine | Connection, *, now: datetime, clock: Clock = utcnow, lease: timedelta = LEASE) -> int:
    """Parks as failed, with a ``last_error`` saying why, what no worker would otherwise take for years:
    a pending message whose next attempt is more than ``MAX_HOLD`` after it was queued, and a claim that
    ends far beyond the real clock (taken on a simulated future clock by a run that was killed). Returns
    how many; an admin retries them with ``/guatu outbox retry``."""
    real = clock()
    parked = 0
    with _tx(bind) as conn:
        parked += conn.execute(
            update(_o).where(_status(_o, "sending"), _o.c.claimed_until > real + lease + LEASE_HORIZON)
            .values(status="failed", claimed_by=None, claimed_until=None,
                    last_error=UNCERTAIN + "stranded: its claim ran far beyond the real clock (a run at a simulated "
                                           "time stopped while holding it); check the recipient, then retry")
        ).rowcount
        # Through the partial index: only rows due more than MAX_HOLD from now can be candidates worth parking.
        late = conn.execute(
            select(_o.c.id, _o.c.created_at, _o.c.next_attempt_at, _o.c.last_error)
            .where(_status(_o, "pending"), _o.c.next_attempt_at > now + MAX_HOLD)
        ).all()
        for row_id, created, next_at, error in late:
            if next_at - created <= MAX_HOLD:
                continue  # written for later on purpose (by a run at a future time): it waits its turn
            why = (f"held too long: next attempt {next_at:%Y-%m-%d %H:%M} UTC is more than {MAX_HOLD.days} days "
                   f"after it was queued ({created:%Y-%m-%d %H:%M} UTC)")
            prefix = UNCERTAIN if (error or "").startswith(UNCERTAIN) else ""
            parked += conn.execute(
                update(_o).where(_o.c.id == row_id, _status(_o, "pending")).values(status="failed", last_error=prefix + why)
            ).rowcount
    if parked:
        log.warning("outbox: %d message(s) stuck beyond a bound parked as failed", parked)
    return parked


def _held_back(cand: Any, now: datetime) -> Any:
    """An earlier message to the same recipient is in flight or owed (due now, or being retried)."""
    earlier = _o.alias("earlier")
    # OFFSET 0 keeps this a subplan run per candidate through (workspace_id, recipient) of
    # ix_outbox_recipient_live. As an anti-join, PostgreSQL trusted statistics taken before a burst
    # (autoanalyze waits for 10 % of the table to change): with "1 pending row" it chose a nested loop
    # whose inner side scanned every live row for each candidate, 6 s a claim at 4,000 pending.
    return select(earlier.c.id).where(
        earlier.c.workspace_id == cand.c.workspace_id,
        earlier.c.recipient == cand.c.recipient,
        earlier.c.id < cand.c.id,
        _status(earlier, "pending", "sending"),
        or_(earlier.c.status == "sending", earlier.c.attempts > 0, earlier.c.next_attempt_at <= now),
    ).offset(0).exists()


def _gate_closed(cand: Any, now: datetime) -> Any:
    """The recipient's own gate is closed (an index lookup on (workspace_id, recipient)). The
    workspace-wide gate a 429 closes is read once per claim (``_paused_workspaces``): as a second
    EXISTS per candidate it made PostgreSQL's claim of 5,000 rows take seconds."""
    # A gate further ahead than any Retry-After we obey was set on a simulated future clock (or by an
    # older, unbounded worker): it holds nothing back.
    return exists().where(_gate.c.workspace_id == cand.c.workspace_id, _gate.c.recipient == cand.c.recipient,
                          _gate.c.not_before > now, _gate.c.not_before <= now + GATE_HORIZON)


def _paused_workspaces(conn: Connection, now: datetime) -> list[int]:
    """Workspaces whose platform answered 429 to the whole workspace and whose gate is still closed."""
    return list(conn.execute(
        select(_gate.c.workspace_id).where(_gate.c.recipient == WORKSPACE, _gate.c.not_before > now,
                                           _gate.c.not_before <= now + GATE_HORIZON)).scalars())


def _claim(conn: Connection, claimable: Callable[[Any], Any], *, now: datetime, real: datetime, limit: int,
           worker_id: str, lease: timedelta, expired: bool = False) -> list[Claimed]:
    # Candidates come from an alias: a subquery on the UPDATE's own table would be correlated to it.
    cand = _o.alias("cand")
    pick = (select(cand.c.id).where(claimable(cand), ~_held_back(cand, now), ~_gate_closed(cand, now))
            .order_by(cand.c.id).limit(limit))
    paused = _paused_workspaces(conn, now)
    if paused:
        pick = pick.where(cand.c.workspace_id.not_in(paused))
    if _is_pg(conn):
        pick = pick.with_for_update(of=cand, skip_locked=True)
    # A materialized CTE picks (and locks) the rows once; as ``WHERE id IN (subquery)`` PostgreSQL
    # may run the subquery again for each row it updates (seconds, at a few hundred pending rows).
    picked = pick.cte("picked").prefix_with("MATERIALIZED")
    rows = conn.execute(
        update(_o).where(_o.c.id == picked.c.id)
        .values(status="sending", claimed_by=worker_id, claimed_until=real + lease, attempts=_o.c.attempts + 1)
        .returning(_o.c.id, _o.c.workspace_id, _o.c.recipient, _o.c.text, _o.c.blocks, _o.c.attempts,
                   _o.c.created_at, _o.c.last_error, _o.c.platform)
    ).all()
    return [Claimed(r[0], r[1], r[2], r[3], r[4], r[5], r[6], uncertain=expired or (r[7] or "").startswith(UNCERTAIN),
                    platform=r[8]) for r in rows]


def _routed(bind: Engine | Connection, notifier: Notifier, row: Claimed, platforms: dict[int, str]) -> Notifier:
    """The notifier of the row's platform when ``notifier`` routes by platform (``models.outbox.Routed``)."""
    route = getattr(notifier, "route", None)
    if route is None:
        return notifier
    platform = row.platform
    if platform is None:
        if row.workspace_id not in platforms:
            with _tx(bind) as conn:
                platforms[row.workspace_id] = conn.execute(
                    select(col(Workspace.platform)).where(col(Workspace.id) == row.workspace_id)).scalar() or "slack"
        platform = platforms[row.workspace_id]
    return route(platform)


def _finish(bind: Engine | Connection, row: Claimed, worker_id: str, values: dict[str, Any],
            gate_until: datetime | None = None, *, workspace_gate: bool = False) -> bool:
    """Updates a row this worker still holds, in its own short transaction; optionally closes the
    recipient's gate (and with ``workspace_gate`` the whole workspace's) until ``gate_until``. False if
    the claim was lost."""
    with _tx(bind) as conn:
        done = conn.execute(
            update(_o).where(_o.c.id == row.id, _status(_o, "sending"), _o.c.claimed_by == worker_id)
            .values(claimed_by=None, claimed_until=None, **values)
        ).rowcount == 1
        if gate_until is not None:
            _close_gate(conn, row.workspace_id, row.recipient, gate_until)
            if workspace_gate:
                _close_gate(conn, row.workspace_id, WORKSPACE, gate_until)
    if not done:
        log.warning("outbox %s: claim lost before it was marked (%s)", row.id, values.get("status"))
    return done


def _close_gate(conn: Connection, workspace_id: int, recipient: str, until: datetime) -> None:
    """Nothing more to ``recipient`` before ``until``; a later gate already set stays, unless it is
    further ahead than any real gate can be (then it is replaced)."""
    stmt: Any
    if _is_pg(conn):
        stmt = pg_insert(_gate).values(workspace_id=workspace_id, recipient=recipient, not_before=until)
        later = func.greatest(_gate.c.not_before, stmt.excluded.not_before)
    else:
        stmt = sqlite_insert(_gate).values(workspace_id=workspace_id, recipient=recipient, not_before=until)
        later = func.max(_gate.c.not_before, stmt.excluded.not_before)  # SQLite's two-argument max()
    stale = _gate.c.not_before > _ts(until + GATE_HORIZON)
    conn.execute(stmt.on_conflict_do_update(index_elements=["workspace_id", "recipient"],
                                            set_={"not_before": case((stale, stmt.excluded.not_before), else_=later)}))


def release(bind: Engine | Connection, rows: list[Claimed], worker_id: str) -> int:
    """Hands claimed rows back unsent (not counted as attempts), for any worker to take."""
    if not rows:
        return 0
    with _tx(bind) as conn:
        return conn.execute(
            update(_o).where(_o.c.id.in_([r.id for r in rows]), _status(_o, "sending"), _o.c.claimed_by == worker_id)
            .values(status="pending", claimed_by=None, claimed_until=None, attempts=_o.c.attempts - 1)
        ).rowcount


class _Renewer:
    """Keeps the lease of the one message being sent alive while its send is in flight, so that a
    slow answer never lets another worker take (and send) it again. Its own pooled connection: the
    worker's is the sender's."""

    def __init__(self, engine: Engine, worker_id: str, lease: timedelta, clock: Clock) -> None:
        self._engine, self._worker, self._lease, self._clock = engine, worker_id, lease, clock
        self._every = max(0.05, lease.total_seconds() / 4)
        self._current: tuple[int, float] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def sending(self, row_id: int) -> Iterator[None]:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="guatu-outbox-lease", daemon=True)
            self._thread.start()
        with self._lock:
            self._current = (row_id, time.monotonic())
        try:
            yield
        finally:
            with self._lock:
                self._current = None

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            with self._lock:
                current = self._current
            if current is None or time.monotonic() - current[1] > MAX_IN_FLIGHT.total_seconds():
                continue
            try:
                with self._engine.begin() as conn:
                    conn.execute(update(_o).where(_o.c.id == current[0], _status(_o, "sending"),
                                                  _o.c.claimed_by == self._worker)
                                 .values(claimed_until=self._clock() + self._lease))
            except Exception:
                log.warning("outbox %s: could not renew the lease", current[0], exc_info=True)


def _send_one(engine: Engine | Connection, notifier: Notifier, row: Claimed, worker_id: str, at: datetime,
              interval: timedelta, stats: DeliveryStats, *, clock: Clock = utcnow,
              renewer: _Renewer | None = None, workspace_gate: bool = False,
              platforms: dict[int, str] | None = None) -> float | None:
    """Sends one claimed row and marks it; returns the seconds it must wait when the platform said 429."""
    notifier = _routed(engine, notifier, row, {} if platforms is None else platforms)
    check = getattr(notifier, "was_delivered", None)
    if row.uncertain and check is not None:
        since = min(row.created_at or clock(), clock() - LOOKBACK)
        try:
            found = check(row.recipient, row.id, since)
        except DeliveryError as exc:
            if not exc.permanent:
                return _not_sent(engine, row, worker_id, at, exc, stats, uncertain=True,
                                 what="checking whether it arrived: ", workspace_gate=workspace_gate)
            found = None  # the history cannot be read: cannot tell, so send as before
        except Exception as exc:
            log.exception("outbox %s: unexpected error while checking whether it arrived", row.id)
            _failed_attempt(engine, row, worker_id, at, UNCERTAIN + f"{type(exc).__name__}: {exc}"[:480], stats)
            return None
        if found:
            stats.reconciled += _finish(engine, row, worker_id, dict(status="sent", sent_at=at, last_error=None))
            return None
    try:
        with renewer.sending(row.id) if renewer is not None else _nothing():
            if check is not None:  # it can find the message later only if the message says which it is
                chat_ts = notifier.send(row.recipient, row.text, row.blocks, outbox_id=row.id)  # type: ignore[call-arg]
            else:
                chat_ts = notifier.send(row.recipient, row.text, row.blocks)
    except DeliveryError as exc:
        return _not_sent(engine, row, worker_id, at, exc, stats, uncertain=exc.uncertain, workspace_gate=workspace_gate)
    except Exception as exc:
        log.exception("outbox %s: unexpected error from the notifier", row.id)
        _failed_attempt(engine, row, worker_id, at, f"{type(exc).__name__}: {exc}"[:500], stats)
    else:
        # Its own transaction, right after the send: the window in which a crash re-sends stays one round trip.
        stats.sent += _finish(engine, row, worker_id, dict(status="sent", sent_at=at, chat_ts=chat_ts, last_error=None),
                              gate_until=at + interval if interval else None)
    return None


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _not_sent(engine: Engine | Connection, row: Claimed, worker_id: str, at: datetime, exc: DeliveryError,
              stats: DeliveryStats, *, uncertain: bool, what: str = "", workspace_gate: bool = False) -> float | None:
    prefix = UNCERTAIN if uncertain else ""
    error = (prefix + what + (str(exc) or type(exc).__name__))[:500]
    if exc.permanent and not uncertain:
        stats.failed += _finish(engine, row, worker_id, dict(status="failed", last_error=error))
    elif exc.retry_after is not None:
        # Rate limited: not a failure of this message (the attempt is given back). The gate holds
        # every later message to this recipient; other recipients go on. Clamped again here: the
        # notifier may be anyone's.
        # Paced per workspace (a bucket), the limit is taken as the workspace's: its gate closes too.
        wait = retry_after_seconds(exc.retry_after)
        until = at + timedelta(seconds=wait)
        stats.rate_limited += _finish(engine, row, worker_id, dict(
            status="pending", next_attempt_at=until, attempts=_o.c.attempts - 1, last_error=error),
            gate_until=until, workspace_gate=workspace_gate)
        return wait
    else:
        stats.uncertain += uncertain
        _failed_attempt(engine, row, worker_id, at, error, stats)
    return None


def _failed_attempt(engine: Engine | Connection, row: Claimed, worker_id: str, at: datetime, error: str,
                    stats: DeliveryStats) -> None:
    if row.attempts >= MAX_ATTEMPTS:
        stats.failed += _finish(engine, row, worker_id, dict(status="failed", last_error=error))
    else:
        stats.retried += _finish(engine, row, worker_id, dict(
            status="pending", next_attempt_at=at + backoff(row.attempts), last_error=error))


def deliver(engine: Engine, notifier: Notifier, *, now: datetime, limit: int = 500, worker_id: str | None = None,
            lease: timedelta = LEASE, clock: Clock = utcnow,
            elapsed: Callable[[], float] | None = None) -> DeliveryStats:
    """Sends the due outbox messages, up to ``limit``. Never sends a message twice while its worker
    lives, and before re-sending one whose earlier send was uncertain asks whether it arrived (see
    the module docstring for what remains); never loses one. ``now`` decides what is due, ``clock``
    (the real time) the leases; ``elapsed`` (a monotonic clock) how far this call has advanced ``now``
    and its time budget (tests freeze it so a loaded machine cannot move a send into the next second).

    Then, with a notifier that publishes App Homes (Slack's), the homes that changes made stale
    (``models.homequeue``), for a bounded time: messages first."""
    stats = _deliver_messages(engine, notifier, now=now, limit=limit, worker_id=worker_id, lease=lease, clock=clock,
                              elapsed=elapsed)
    publisher = homequeue.publisher_of(notifier)
    if publisher is not None:
        stats.homes = homequeue.publish(engine, publisher, now=now, clock=clock, worker_id=worker_id or "").published
    return stats


def _deliver_messages(engine: Engine, notifier: Notifier, *, now: datetime, limit: int, worker_id: str | None,
                      lease: timedelta, clock: Clock, elapsed: Callable[[], float] | None) -> DeliveryStats:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    worker = worker_id or worker_name()
    interval = timedelta(seconds=float(getattr(notifier, "min_interval", DEFAULT_INTERVAL)))
    elapsed = elapsed or time.monotonic
    started = elapsed()
    budget = lease.total_seconds() / 2  # stop sending from a claim long before its lease can expire

    def at() -> datetime:
        # ``now`` as given (tests drive it), advanced by the real time this call has taken.
        return now + timedelta(seconds=elapsed() - started)

    stats = DeliveryStats()
    renewer = _Renewer(engine, worker, lease, clock)
    platforms: dict[int, str] = {}
    # One connection for the call (a pool checkout per mark would add a ping and a reset round
    # trip); every claim and every mark is still its own short transaction on it.
    try:
        with engine.connect() as conn:
            stats.parked += park_stuck(conn, now=now, clock=clock, lease=lease)
            while stats.claimed < limit:
                rows = claim(conn, now=at(), limit=min(BATCH, limit - stats.claimed), worker_id=worker, lease=lease,
                             clock=clock)
                if not rows:
                    break
                stats.claimed += len(rows)
                held: list[Claimed] = []  # rows of a workspace its bucket holds back: handed back at once
                paused: set[int] = set()  # workspaces that answered 429 in this call (their gate row is closed)
                for i, row in enumerate(rows):
                    if elapsed() - started > budget:
                        stats.released += release(conn, held + rows[i:], worker)
                        return stats
                    # Each platform paces its own workspaces (a routing notifier hands out one per platform).
                    target = _routed(conn, notifier, row, platforms)
                    buckets = buckets_for(target)
                    if buckets is not None:
                        wait = buckets.wait(row.workspace_id)
                        if row.workspace_id in paused or wait > PACE_WAIT:
                            held.append(row)
                            continue
                        if wait > 0:
                            time.sleep(wait)
                        buckets.take(row.workspace_id)
                    limited = _send_one(conn, target, row, worker, at(), interval, stats, clock=clock,
                                        renewer=renewer, workspace_gate=buckets is not None, platforms=platforms)
                    if buckets is not None:
                        if limited is not None:
                            paused.add(row.workspace_id)
                            buckets.limited(row.workspace_id)
                        else:
                            buckets.sent(row.workspace_id)
                if held:
                    # Claiming again would hand the same rows back: the next call takes them when the bucket allows.
                    stats.released += release(conn, held, worker)
                    break
    finally:
        renewer.close()
    return stats


def next_ready(engine: Engine, *, now: datetime) -> datetime | None:
    """The earliest moment a pending message at the head of its recipient's queue may be claimed
    (its own time, or its recipient's gate if later and not stale); None when nothing is pending."""
    cand = _o.alias("cand")
    gate = select(func.max(_gate.c.not_before)).where(
        _gate.c.workspace_id == cand.c.workspace_id, _gate.c.recipient == cand.c.recipient,
        _gate.c.not_before > cand.c.next_attempt_at, _gate.c.not_before <= now + GATE_HORIZON).scalar_subquery()
    ready = func.coalesce(gate, cand.c.next_attempt_at)
    with engine.connect() as conn:
        per_ws = conn.execute(
            select(cand.c.workspace_id, func.min(ready, type_=UTCDateTime))
            .where(_status(cand, "pending"), ~_held_back(cand, now)).group_by(cand.c.workspace_id)).all()
        # A workspace-wide gate (a 429 to the whole workspace) holds back each of its recipients: read once.
        paused: dict[int, datetime] = dict(conn.execute(
            select(_gate.c.workspace_id, _gate.c.not_before).where(
                _gate.c.recipient == WORKSPACE, _gate.c.not_before > now,
                _gate.c.not_before <= now + GATE_HORIZON)).all())
    moments = [max(at, paused[ws]) if ws in paused and paused[ws] > at else at for ws, at in per_ws if at is not None]
    return min(moments, default=None)
