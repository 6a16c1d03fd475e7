"""``guatu serve`` with Slack: Starlette + uvicorn over HTTP (or Socket Mode), the scheduler alongside.

Bolt's own Starlette handler calls the synchronous ``app.dispatch`` on the event loop, so one slow
request holds up all the others; here every request is dispatched in a worker thread instead.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.error import BoltError
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.dispatch import Service
from bot.settings import Settings
from bot.slack import EVENTS_PATH
from bot.slack.app import build_app
from bot.slack.clients import web_client
from bot.slack.people import Directory
from bot.slack.surface import Surface

log = logging.getLogger("guatu.slack")

HOST = "0.0.0.0"


@dataclass
class Slack:
    """The wired Slack side: the bolt app and what its listeners share."""

    app: App
    surface: Surface

    def close(self) -> None:
        self.surface.close()
        self.app.listener_runner.listener_executor.shutdown(wait=False)


def build(settings: Settings, service: Service, *, verify_token: bool = True) -> Slack:
    """Wires clients, directory, surface and listeners once; raises BoltError if Slack refuses the token."""
    client = web_client(settings, "interactive")
    surface = Surface(service, client, Directory(client, service.engine), background=web_client(settings, "background"))
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    try:
        app = build_app(surface, signing_secret=secret, verify_token=verify_token, socket_mode=settings.socket_mode)
    except BaseException:
        surface.close()
        raise
    return Slack(app, surface)


def create_asgi(app: App, engine: Engine) -> Starlette:
    """``POST /slack/events`` for commands, interactivity and events; ``GET /healthz`` for the load balancer."""

    async def slack_events(request: Request) -> Response:
        body = await request.body()
        try:
            bolt_request = to_bolt_request(request, body)
        except UnicodeDecodeError:
            return PlainTextResponse("request body is not UTF-8", status_code=400)
        return to_starlette_response(await run_in_threadpool(app.dispatch, bolt_request))

    async def healthz(request: Request) -> Response:
        try:
            await run_in_threadpool(_ping, engine)
        except Exception as exc:  # noqa: BLE001 - any database failure makes this instance unhealthy
            log.warning("health check: database unreachable: %s", type(exc).__name__)
            return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route(EVENTS_PATH, slack_events, methods=["POST"]),
                             Route("/healthz", healthz, methods=["GET"])])


def _ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def serve(settings: Settings) -> int:
    """Runs the Slack bot until stopped: migrations first, then the scheduler (unless off), then Slack."""
    from models.db import make_engine
    from models.migrate import upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    service = Service(engine, tz=settings.tz, default_lang=settings.lang)
    try:
        slack = build(settings, service)
    except BoltError as exc:
        log.error("Slack refused to start the bot: %s", exc)
        return 1
    scheduler = start_scheduler(settings, engine)
    try:
        if settings.socket_mode:
            _run_socket_mode(slack.app, settings.slack_app_token.get_secret_value())
        else:
            _run_http(create_asgi(slack.app, engine), settings.port)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        slack.close()
        engine.dispose()
    return 0


def _run_http(asgi: Starlette, port: int) -> None:
    log.warning("Guatu: Slack over HTTP on port %s (%s)", port, EVENTS_PATH)
    server = uvicorn.Server(uvicorn.Config(asgi, host=HOST, port=port, log_config=None))
    # uvicorn shuts down gracefully on SIGTERM / SIGINT, then raises the signal again for the handler
    # it found: with a no-op there, serve's own clean-up runs and the process exits 0.
    with _signal_handler(lambda *_: None):
        server.run()


def _run_socket_mode(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    log.warning("Guatu: Slack over Socket Mode")
    handler = SocketModeHandler(app, app_token)
    try:
        with _signal_handler(_interrupt):  # SIGTERM (how containers stop us) ends it like Ctrl-C
            handler.start()
    except KeyboardInterrupt:
        handler.close()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _signal_handler(handler: Callable[..., None]) -> Iterator[None]:
    """``handler`` for SIGTERM and SIGINT while the block runs (signals reach the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def start_scheduler(settings: Settings, engine: Engine):
    """The periodic sweeps and the outbox delivery, delivering through Slack; None with GUATU_SCHEDULER=off."""
    if not settings.scheduler_on:
        return None
    from bot.slack.notifier import SlackNotifier
    from jobs.scheduler import build_scheduler

    scheduler = build_scheduler(engine, SlackNotifier(settings), tz=settings.tz, default_lang=settings.lang)
    scheduler.start()
    return scheduler
