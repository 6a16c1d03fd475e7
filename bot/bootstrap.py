"""The composition root: the one place the engine, the Service, the notifiers and the scheduler are wired.

``guatu serve`` (Slack over HTTP or Socket Mode, DingTalk alone or beside it, the console backend),
``guatu worker``, ``guatu console`` and the CLI's jobs / import / export commands all start from
``bootstrap(settings)``; tests pass their own engine, clock or notifiers instead of patching modules
(Cosmic Python's ``bootstrap.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, TextIO

from sqlalchemy.engine import Engine

from bot.dispatch import Handlers, Service
from bot.settings import Settings
from models.outbox import Notifier, Routed

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from jobs.deliver import DeliveryStats


def handlers() -> Handlers:
    """Every request kind the Service runs, and its handler: the tasks', forces', meetings' (bot.dispatch)
    and the organisation's (bot.dispatch_org). A kind handled twice raises here, at start."""
    from bot import dispatch, dispatch_org

    return Handlers.merged(dispatch.HANDLERS, dispatch_org.HANDLERS)


def make_engine(settings: Settings, *, migrate: bool = True) -> Engine:
    """The database engine for ``settings``, its schema migrated to the newest revision first (unless not)."""
    from models.db import make_engine as engine_for
    from models.migrate import upgrade

    engine = engine_for(settings.database_url)
    if migrate:
        upgrade(engine)
    return engine


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    """The wired application: what every entry point shares, built once by ``bootstrap``."""

    settings: Settings
    engine: Engine
    service: Service
    # One notifier per chat platform ("slack" — Slack's, or the console's —, "dingtalk"); the outbox routes by it.
    notifiers: dict[str, Notifier] = field(default_factory=dict)
    clock: Callable[[], datetime] = _utcnow

    @cached_property
    def notifier(self) -> Notifier:
        """The notifier delivery sends through: the only one, or one routing each row to its platform's."""
        if len(self.notifiers) == 1:
            return next(iter(self.notifiers.values()))
        return Routed(self.notifiers)

    def scheduler(self) -> BackgroundScheduler:
        """A new scheduler (not started) with the fixed sweeps and the delivery, sending through ``notifier``."""
        from jobs.scheduler import build_scheduler

        return build_scheduler(self.engine, self.notifier, tz=self.settings.tz, default_lang=self.settings.lang,
                               now_fn=self.clock)

    def start_scheduler(self) -> BackgroundScheduler | None:
        """The scheduler, started; None with GUATU_SCHEDULER=off (web processes beside workers)."""
        if not self.settings.scheduler_on:
            return None
        scheduler = self.scheduler()
        scheduler.start()
        return scheduler

    def deliver(self, *, now: datetime | None = None) -> DeliveryStats:
        """Sends what the outbox holds now (the console after each command, ``guatu jobs run``)."""
        from jobs.deliver import deliver

        return deliver(self.engine, self.notifier, now=now or self.clock())

    def close(self) -> None:
        self.engine.dispose()


def platform_notifiers(settings: Settings, *, console: TextIO | None = None) -> dict[str, Notifier]:
    """Slack's Web API when SLACK_BOT_TOKEN is set, else the console printing to ``console`` (stdout);
    DingTalk's robot beside it when its credentials are set."""
    out: dict[str, Notifier] = {}
    if settings.slack_bot_token is not None:
        from bot.slack.notifier import SlackNotifier

        out["slack"] = SlackNotifier(settings)
    else:
        from bot.console import ConsoleNotifier

        out["slack"] = ConsoleNotifier(console or sys.stdout)
    if settings.dingtalk:
        from bot.dingtalk import PLATFORM
        from bot.dingtalk.notifier import DingTalkNotifier
        from bot.dingtalk.server import open_api

        out[PLATFORM] = DingTalkNotifier(open_api(settings), ding=settings.dingtalk_ding)
    return out


def bootstrap(settings: Settings, *, engine: Engine | None = None, clock: Callable[[], datetime] | None = None,
              migrate: bool = True, notifiers: dict[str, Notifier] | None = None,
              console: TextIO | None = None, table: Handlers | None = None) -> App:
    """Wires the application once: the engine (migrated, unless ``migrate=False`` or one is given), the
    Service with the full handler table, the notifiers per platform (``console``: every message printed
    there instead, as the console backend does), and the clock every part asks for the time."""
    if engine is None:
        engine = make_engine(settings, migrate=migrate)
    clock = clock or _utcnow
    service = Service(engine, tz=settings.tz, default_lang=settings.lang, clock=clock,
                      public_url=settings.public_base, handlers=table or handlers())
    if notifiers is None:
        if console is not None:
            from bot.console import ConsoleNotifier

            notifiers = {"slack": ConsoleNotifier(console)}
        else:
            notifiers = platform_notifiers(settings)
    return App(settings, engine, service, notifiers, clock)
