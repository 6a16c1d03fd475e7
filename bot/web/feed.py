"""One change feed per process for every open wall screen.

The feed polls one cheap marker, the newest audit rows (every change in Guatu writes one, in the
change's own transaction) and 督办 steps (written by the escalation sweep), so it sees changes made by any process: a web process, a worker, the
console. It also notices the organisation's day turning (lights turn red at midnight without any
row changing). On a change in a workspace it checks, in one query, which open links still hold,
renders each screen scope (workspace, task force, language) once, and pushes the HTML to every
subscriber of that scope. 100 open screens cost the database what one does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal, union_all
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from models import screen
from models.calendar import local_today
from models.db import session_scope
from models.tables import AuditEvent, EscalationStep
from present import screen as html

log = logging.getLogger("guatu.screen")

POLL_SECONDS = 1.0
LOOKBACK = 64  # audit ids re-read each poll: a transaction that took its id earlier may commit later (PostgreSQL)
Scope = tuple[int, int | None, str]
# Tables whose new rows mean a screen may have changed: every change writes an audit row; the 督办 sweep writes steps.
MARKERS = (AuditEvent.__table__, EscalationStep.__table__)  # type: ignore[attr-defined]  # workspace, task force (None: the province overview), language


@dataclass(eq=False)
class Subscriber:
    """One open screen: its link, its language and the queue its stream reads (HTML, or None: gone)."""

    grant: screen.Grant
    lang: str
    queue: asyncio.Queue[str | None] = field(default_factory=lambda: asyncio.Queue(maxsize=1))

    @property
    def scope(self) -> Scope:
        return self.grant.workspace_id, self.grant.force_id, self.lang

    def push(self, item: str | None) -> None:
        """The newest state only: a screen that lags drops what it has not shown yet."""
        while self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(item)


class Feed:
    """The process's one change feed; started by the first screen that subscribes, idle with none."""

    def __init__(self, engine: Engine, *, tz: ZoneInfo, default_lang: str = "zh", poll: float = POLL_SECONDS,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self.tz = tz
        self.default_lang = default_lang
        self.poll = poll
        self.clock = clock
        self.subscribers: set[Subscriber] = set()
        self._seen: set[tuple[int, int, int]] | None = None  # marker rows of the look-back window; None while idle
        self._floors = [0] * len(MARKERS)
        self._day: date | None = None
        self._stamp: dict[int, int] = {}  # per workspace: bumped on every change seen
        self._cache: dict[Scope, tuple[int, str]] = {}
        self._locks: dict[Scope, asyncio.Lock] = {}
        self._init_lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self.renders = 0  # screens rendered (the bench and tests read it)

    # ------------------------------------------------------------ subscribers

    def subscribe(self, grant: screen.Grant, lang: str) -> Subscriber:
        sub = Subscriber(grant, lang)
        self.subscribers.add(sub)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    # ------------------------------------------------------------ rendering, once per scope and change

    async def body(self, grant: screen.Grant, lang: str) -> str:
        """The scope's current HTML: from the cache while the feed watches for changes, else rendered now."""
        key: Scope = (grant.workspace_id, grant.force_id, lang)
        if not self.subscribers:  # nobody watches for changes: a cached page could be stale
            return await run_in_threadpool(self._render, grant, lang)
        if self._seen is None:  # the first screen (or 100 after a restart): start watching before caching
            async with self._init_lock:
                if self._seen is None:
                    await run_in_threadpool(self._changes)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # 100 screens reconnecting at once: one render, 99 cache hits
            stamp = self._stamp.get(grant.workspace_id, 0)
            cached = self._cache.get(key)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            text = await run_in_threadpool(self._render, grant, lang)
            self._cache[key] = (stamp, text)
            return text

    def _render(self, grant: screen.Grant, lang: str) -> str:
        now = self.clock()
        with session_scope(self.engine) as session:
            ctx = screen.context(session, grant, now=now, tz=self.tz, default_lang=self.default_lang)
            model = screen.screen_for(ctx, grant)
        self.renders += 1
        return html.body(model, lang, self.tz)

    # ------------------------------------------------------------ the poller

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.poll)
            if not self.subscribers:
                self._idle()
                continue
            try:
                await self.tick()
            except Exception:  # a database that is away for a moment: the screens keep what they show
                log.warning("screen feed: poll failed; trying again", exc_info=True)

    async def tick(self) -> set[int]:
        """One poll: the workspaces that changed, each broadcast to its screens (the poller calls this every
        ``poll`` seconds; tests and the bench call it directly)."""
        changed = await run_in_threadpool(self._changes)
        for ws in changed:
            await self._broadcast(ws)
        return changed

    def _idle(self) -> None:
        self._seen, self._cache = None, {}

    def _changes(self) -> set[int]:
        """Workspaces with a change since the last poll (one statement), or all watched ones at a new day."""
        watched = {s.grant.workspace_id for s in self.subscribers}
        day = local_today(self.clock(), self.tz)
        with self.engine.connect() as conn:
            if self._seen is None:
                tops = [conn.execute(select(func.max(t.c.id))).scalar() or 0 for t in MARKERS]
                self._floors = [max(0, top - LOOKBACK) for top in tops]
                self._day = day
                self._seen = set(conn.execute(self._recent()).all())
                return set()
            rows = conn.execute(self._recent()).all()
        changed = {ws for kind, rid, ws in rows if (kind, rid, ws) not in self._seen}
        for k in range(len(MARKERS)):
            ids = [rid for kind, rid, _ws in rows if kind == k]
            if ids:
                self._floors[k] = max(self._floors[k], max(ids) - LOOKBACK)
        self._seen = {(kind, rid, ws) for kind, rid, ws in rows if rid > self._floors[kind]}
        if day != self._day:
            self._day = day
            changed |= watched
        for ws in changed:
            self._stamp[ws] = self._stamp.get(ws, 0) + 1
        return changed & watched

    def _recent(self):
        """The newest audit rows and 督办 steps (a sweep writes no audit row), above each one's floor: one statement
        of two primary-key range scans."""
        return union_all(*(select(literal(k), t.c.id, t.c.workspace_id).where(t.c.id > self._floors[k])
                           for k, t in enumerate(MARKERS)))

    async def _broadcast(self, workspace_id: int) -> None:
        subs = [s for s in self.subscribers if s.grant.workspace_id == workspace_id]
        if not subs:
            return
        now = self.clock()

        def holding() -> set[int]:
            with session_scope(self.engine) as session:
                return screen.live_grants(session, {workspace_id}, now=now)

        live = await run_in_threadpool(holding)
        scopes: dict[Scope, list[Subscriber]] = {}
        for s in subs:
            if s.grant.token_id not in live or s.grant.expires_at <= now:
                s.push(None)  # revoked or expired: the screen goes dark
                self.unsubscribe(s)
            else:
                scopes.setdefault(s.scope, []).append(s)
        for group in scopes.values():
            try:
                text = await self.body(group[0].grant, group[0].lang)
            except LookupError:  # the task force closed: its screens go dark
                text = None
            for s in group:
                s.push(text)
                if text is None:
                    self.unsubscribe(s)
