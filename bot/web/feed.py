"""One change feed per process for every open wall screen.

The feed polls one cheap marker, the newest audit rows (every change in Guatu writes one, in the
change's own transaction), so it sees changes made by any process: a web process, a worker, the
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

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from models import screen
from models.calendar import local_today
from models.db import session_scope
from models.tables import AuditEvent
from present import screen as html

log = logging.getLogger("guatu.screen")

POLL_SECONDS = 1.0
LOOKBACK = 64  # audit ids re-read each poll: a transaction that took its id earlier may commit later (PostgreSQL)
Scope = tuple[int, int | None, str]  # workspace, task force (None: the province overview), language


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
        self._seen: set[int] | None = None  # audit ids of the look-back window; None while idle
        self._floor = 0
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
                top = conn.execute(select(func.max(AuditEvent.id))).scalar() or 0
                self._floor, self._day = max(0, top - LOOKBACK), day
                self._seen = set(conn.execute(select(AuditEvent.id).where(col(AuditEvent.id) > self._floor)).scalars())
                return set()
            rows = conn.execute(select(AuditEvent.id, AuditEvent.workspace_id)
                                .where(col(AuditEvent.id) > self._floor)).all()
        changed = {ws for aid, ws in rows if aid not in self._seen}
        ids = sorted(aid for aid, _ in rows)
        if ids:
            self._floor = max(self._floor, ids[-1] - LOOKBACK)
            self._seen = {i for i in ids if i > self._floor}
        if day != self._day:
            self._day = day
            changed |= watched
        for ws in changed:
            self._stamp[ws] = self._stamp.get(ws, 0) + 1
        return changed & watched

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
