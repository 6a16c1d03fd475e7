"""Wiring the DingTalk surface: built once from the settings, started by ``guatu serve`` alone or beside
Slack, and its notifier put beside the others so the outbox routes each row by platform."""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.dingtalk import PLATFORM
from bot.dingtalk.api import OpenApi
from bot.dingtalk.notifier import DingTalkNotifier
from bot.dingtalk.stream import StreamRunner
from bot.dingtalk.surface import DingTalkSurface
from bot.dispatch import Service
from bot.settings import Settings
from models.outbox import Notifier, Routed

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger("guatu.dingtalk")


def open_api(settings: Settings) -> OpenApi:
    if not settings.dingtalk or settings.dingtalk_client_secret is None:
        raise ValueError("DingTalk needs DINGTALK_CLIENT_ID, DINGTALK_CLIENT_SECRET and DINGTALK_ROBOT_CODE")
    return OpenApi(settings.dingtalk_openapi_endpoint, settings.dingtalk_client_id or "",
                   settings.dingtalk_client_secret.get_secret_value(), settings.dingtalk_robot_code or "")


@dataclass
class DingTalk:
    """The running surface: its Stream connection and what it shares."""

    api: OpenApi
    surface: DingTalkSurface
    runner: StreamRunner

    def stop(self) -> None:
        self.runner.stop()
        self.api.close()


def start(settings: Settings, service: Service) -> DingTalk:
    """Opens the Stream connection in its own thread (no public URL needed) and returns at once."""
    api = open_api(settings)
    surface = DingTalkSurface(service, api, card_template_id=settings.dingtalk_card_template_id)
    runner = StreamRunner(surface, api, settings.dingtalk_client_secret.get_secret_value()
                          if settings.dingtalk_client_secret else "")
    runner.start()
    log.warning("Guatu: DingTalk in Stream mode (robot %s, OpenAPI %s)", settings.dingtalk_robot_code,
                settings.dingtalk_openapi_endpoint)
    return DingTalk(api, surface, runner)


def notifier(settings: Settings, default: Notifier) -> Notifier:
    """``default`` (Slack's or the console's) alone, or routed beside DingTalk's when it is configured
    (``bot.bootstrap.platform_notifiers`` builds the same pair for serve, worker and jobs)."""
    if not settings.dingtalk:
        return default
    return Routed({"slack": default, PLATFORM: DingTalkNotifier(open_api(settings), ding=settings.dingtalk_ding)})


def serve_alone(settings: Settings, *, stop: threading.Event | None = None, app: App | None = None) -> int:
    """``guatu serve`` with DingTalk and no Slack: the Stream connection and the scheduler until SIGTERM / SIGINT."""
    from bot.bootstrap import bootstrap

    root = app or bootstrap(settings)
    stop = stop or threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    dingtalk = start(settings, root.service)
    scheduler = root.start_scheduler()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        dingtalk.stop()
        root.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
