"""``guatu serve`` with Slack: Starlette + uvicorn over HTTP (or Socket Mode), the scheduler alongside.

Bolt's own Starlette handler calls the synchronous ``app.dispatch`` on the event loop, so one slow
request holds up all the others; here every request is dispatched in a worker thread instead.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import uvicorn
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.dispatch import Service
from bot.settings import Settings
from bot.slack import EVENTS_PATH
from bot.slack.app import build_app
from bot.slack.clients import web_client
from bot.slack.edge import MAX_BODY, WINDOW, Refused, ReplayGuard, read_body, verify
from bot.slack.people import Directory
from bot.slack.surface import Surface

if TYPE_CHECKING:
    from bot.bootstrap import App as AppRoot

log = logging.getLogger("guatu.slack")

# Waits between attempts to reach Slack at start: 1, 2, 4 … seconds, then every minute.
START_BACKOFF = (1, 2, 4, 8, 16, 32, 60)
SWITCH_INTERVAL = 0.001  # seconds (sys.setswitchinterval), see create_asgi


@dataclass
class Slack:
    """The wired Slack side: the bolt app and what its listeners share."""

    app: App
    surface: Surface
    signing_secret: str = ""

    def close(self) -> None:
        self.surface.close()
        self.app.listener_runner.listener_executor.shutdown(wait=False)


def build(settings: Settings, service: Service, *, verify_token: bool = True) -> Slack:
    """Wires clients, directory, surface and listeners once; raises BoltError if Slack refuses the token."""
    client = web_client(settings, "interactive")
    # Changes queue the App Homes they make stale, with the change; a worker publishes them (models.homequeue).
    service.queue_homes = True
    surface = Surface(service, client, Directory(client, service.engine), background=web_client(settings, "background"))
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    try:
        app = build_app(surface, signing_secret=secret, verify_token=verify_token, socket_mode=settings.socket_mode)
    except BaseException:
        surface.close()
        raise
    return Slack(app, surface, signing_secret=secret or "")


class SlackUnreachable(Exception):
    """Slack did not answer at start (no connection, a timeout, a 5xx or 429): worth trying again, unlike a refusal."""


def build_when_reachable(settings: Settings, service: Service, *,
                         sleep: Callable[[float], None] | None = None) -> Slack:
    """``build``, retried with backoff while Slack is unreachable; SlackUnreachable after GUATU_START_RETRIES retries
    (never, when unset). A refused token still raises BoltError at once: waiting will not fix it."""
    attempt = 0
    while True:
        try:
            with _quiet_sdk_failures():
                return build(settings, service)
        except (OSError, BoltError) as exc:
            reason = _unreachable(exc)
            if reason is None:
                raise
        if settings.start_retries is not None and attempt >= settings.start_retries:
            raise SlackUnreachable(reason)
        wait = START_BACKOFF[min(attempt, len(START_BACKOFF) - 1)]
        log.warning("Slack is unreachable at %s (auth.test: %s); trying again in %s s", settings.slack_api_url, reason,
                    wait)
        (sleep or _pause)(wait)
        attempt += 1


def _pause(seconds: float) -> None:
    time.sleep(seconds)


class _NoSendFailures(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Failed to send a request to Slack API server" not in record.getMessage()


@contextlib.contextmanager
def _quiet_sdk_failures() -> Iterator[None]:
    """At start, slack_sdk's own ERROR line per failed attempt would double ours: our one line says it all."""
    sdk_log, quiet = logging.getLogger("slack_sdk.web.base_client"), _NoSendFailures()
    sdk_log.addFilter(quiet)
    try:
        yield
    finally:
        sdk_log.removeFilter(quiet)


def _unreachable(exc: BaseException) -> str | None:
    """Why Slack could not be reached, or None when it answered (and refused)."""
    if isinstance(exc, OSError):  # URLError, a refused connection, a timeout
        return str(getattr(exc, "reason", None) or exc) or type(exc).__name__
    cause = exc.__context__  # bolt wraps the auth.test failure in a BoltError
    if isinstance(cause, SlackApiError) and (cause.response.status_code >= 500 or cause.response.status_code == 429):
        return f"HTTP {cause.response.status_code}"
    return None


def create_asgi(app: App, engine: Engine, *, signing_secret: str, max_body: int = MAX_BODY,
                clock: Callable[[], float] = time.time, routes: list[BaseRoute] | None = None) -> Starlette:
    """``POST /slack/events`` for commands, interactivity and events; ``GET /healthz`` for the load balancer.

    Verify first, then parse: a body is read up to ``max_body`` only, its signature and timestamp checked on the raw
    bytes, a replay of a request already seen acknowledged without running it, and only then handed to bolt.
    """
    if not signing_secret:
        raise ValueError("serving Slack over HTTP needs the signing secret")
    # A request's thread that comes back from the database waits for the GIL until a busy thread (a home being
    # built) is made to let go, up to the switch interval: 5 ms by default, paid at each of its ~20 statements.
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
    # What is loaded by now (modules, the app, ~160k objects) lives as long as the process: out of the collector's
    # reach, a full collection stops every thread for ~3 ms instead of 110-160 ms (measured in the web process
    # at 1M tasks, a few times a minute under load: the p99 of the acks).
    gc.collect()
    gc.freeze()
    replays = ReplayGuard(engine)

    async def slack_events(request: Request) -> Response:
        try:
            body = await read_body(request, max_body)
            signature, timestamp = verify(signing_secret, body, request.headers, now=clock())
        except Refused as refused:
            return _refuse(request, refused)
        except ClientDisconnect:  # a client that gave up is not our failure, and nobody reads the answer
            log.info("Slack request from %s: the client went away mid-body", _client(request))
            return Response(status_code=400)
        # One worker thread for the replay check and bolt (each hop between threads is a wake-up that waits for a
        # core on a busy machine): verified, then checked for a replay, then parsed and dispatched.
        answer = await run_in_threadpool(_checked_dispatch, app, replays, request, body, signature, timestamp)
        if isinstance(answer, Refused):
            return _refuse(request, answer)
        if answer is None:
            log.info("Slack request replayed (its signature was seen in the last %s s): acknowledged, not run", WINDOW)
            return Response(status_code=200)
        return to_starlette_response(answer)

    async def healthz(request: Request) -> Response:
        try:
            await run_in_threadpool(_ping, engine)
        except Exception as exc:
            log.warning("health check: database unreachable: %s", type(exc).__name__)
            return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route(EVENTS_PATH, slack_events, methods=["POST"]),
                             Route("/healthz", healthz, methods=["GET"]), *(routes or [])])


def _checked_dispatch(app: App, replays: ReplayGuard, request: Request, body: bytes, signature: str,
                      timestamp: int) -> BoltResponse | Refused | None:
    """Bolt's answer to a verified request; None for a replay (not run); Refused if the body is no Slack payload."""
    if not _first_time(replays, signature, timestamp):
        return None
    try:
        bolt_request = _bolt_request(request, body)
    except Refused as refused:
        return refused
    return app.dispatch(bolt_request)


def _first_time(replays: ReplayGuard, signature: str, timestamp: int) -> bool:
    try:
        return replays.first(signature, timestamp)
    except Exception as exc:
        log.warning("replay check: database unavailable (%s); running the request", type(exc).__name__)
        return True


def _bolt_request(request: Request, body: bytes) -> BoltRequest:
    """Bolt's request for a verified body; Refused(400) if the body is not a Slack payload at all."""
    try:
        bolt_request = to_bolt_request(request, body)
    except UnicodeDecodeError:
        raise Refused(400, "signed body is not UTF-8") from None
    except Exception:
        raise Refused(400, "signed body is not a Slack payload") from None
    if not isinstance(bolt_request.body, dict) or not bolt_request.body:
        raise Refused(400, "signed body is not a Slack payload")
    return bolt_request


def _refuse(request: Request, refused: Refused) -> Response:
    # One line, from the headers and the connection only: an unverified body may say anything.
    log.warning("Slack request from %s refused with %s: %s", _client(request), refused.status, refused.reason)
    # Close the connection: after a 413 the rest of the body is still on its way, and nobody should send it.
    return PlainTextResponse(_REFUSALS.get(refused.status, "refused"), status_code=refused.status,
                             headers={"Connection": "close"})


_REFUSALS = {400: "malformed request", 401: "invalid request", 413: "request body too large"}


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def serve(settings: Settings, *, app: AppRoot | None = None) -> int:
    """Runs the Slack bot until stopped: migrations first, then the scheduler (unless off), then Slack."""
    from bot.bootstrap import bootstrap

    root = app or bootstrap(settings)
    engine, service = root.engine, root.service
    try:
        with _signal_handler(_interrupt):  # SIGTERM while waiting for Slack stops like Ctrl-C
            slack = build_when_reachable(settings, service)
    except BoltError as exc:
        log.error("Slack refused to start the bot: %s", exc)
        return 1
    except SlackUnreachable as exc:
        log.error("Slack is still unreachable after %s retries (%s): giving up", settings.start_retries, exc)
        return 1
    except KeyboardInterrupt:
        log.warning("Guatu: stopped before Slack could be reached")
        return 0
    scheduler = root.start_scheduler()
    dingtalk = None
    if settings.dingtalk:  # beside Slack, in a thread of its own (Stream mode)
        from bot.dingtalk.server import start as start_dingtalk

        dingtalk = start_dingtalk(settings, service)
    try:
        if settings.socket_mode and settings.slack_app_token is not None:
            _run_socket_mode(slack.app, settings.slack_app_token.get_secret_value())
        else:
            from bot.web.screen import routes as screen_routes

            _run_http(create_asgi(slack.app, engine, signing_secret=slack.signing_secret,
                                  routes=screen_routes(engine, settings)), settings)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if dingtalk is not None:
            dingtalk.stop()
        slack.close()
        root.close()
    return 0


def _run_http(asgi: Starlette, settings: Settings) -> None:
    log.warning("Guatu: Slack over HTTP on port %s of %s (%s); database %s", settings.port, settings.host, EVENTS_PATH,
                settings.safe_database_url)
    # Open wall screens hold event streams that never end by themselves: give them 3 s, then close them.
    server = uvicorn.Server(uvicorn.Config(asgi, host=settings.host, port=settings.port, log_config=None,
                                           timeout_graceful_shutdown=3))
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
