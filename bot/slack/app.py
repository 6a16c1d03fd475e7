"""The bolt app: the listeners registered once, and one error handler, so Slack never sees a 500."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.context.ack import Ack
from slack_bolt.listener import thread_runner
from slack_bolt.middleware import Middleware

from bot.slack import actions, commands, events, views
from bot.slack.surface import Surface

# Each request in flight holds a listener thread until it has answered: size for bursts, not cores.
LISTENER_THREADS = 32


class _NoTokenWarning(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN is unused whenever it is set next to a client: it is, by the client."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


class _NoBodies(logging.Filter):
    """Drops bolt's dumps of request and response bodies ("Invalid request signature detected (… body: …)",
    "Responding with status: 200 body: …", a middleware's "for the request ({…})"), whatever the level."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "body" not in message.lower() and "for the request (" not in message


_BOLT_LOG = logging.getLogger("guatu.slack.bolt")
_BOLT_LOG.addFilter(_NoTokenWarning())
_BOLT_LOG.addFilter(_NoBodies())
# Bolt copies this logger's level and filters to each of its own loggers ("slack_bolt.*") when an App is built;
# below WARNING they mostly repeat request bodies. Our own listeners log what matters under "guatu.slack".
_BOLT_LOG.setLevel(logging.WARNING)
logging.getLogger("slack_bolt").setLevel(logging.WARNING)


class _SignallingAck(Ack):
    """bolt's ``ack``, which also wakes the thread waiting to answer Slack the moment it is called."""

    def __init__(self) -> None:
        super().__init__()
        self.done = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = super().__call__(*args, **kwargs)
        self.done.set()
        return response


_WAITING = threading.local()  # the ack the request thread is waiting for


def _sleep_until_acked(seconds: float) -> None:
    """bolt's thread runner waits for ``ack()`` with ``while ack.response is None: time.sleep(0.01)``: 12 ms
    from ack() to the answer at the median, 42 ms at p99 under load, measured on this machine. Its
    ``time.sleep`` is this, so the wait ends when the request's ack is called (still at most ``seconds``)."""
    ack = getattr(_WAITING, "ack", None)
    if isinstance(ack, _SignallingAck):
        ack.done.wait(seconds)
    else:
        time.sleep(seconds)


class _SignallingAcks(Middleware):
    """Gives each request an ack that wakes its waiting thread (this one: bolt runs middleware there). A class,
    not a function middleware: bolt builds a function's arguments from the payload first, which can raise."""

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        ack = _SignallingAck()
        req.context["ack"] = ack
        _WAITING.ack = ack
        return next()


# Only bolt's listener runner sees this ``time``: everything else in the process keeps the real module.
thread_runner.time = SimpleNamespace(time=time.time, sleep=_sleep_until_acked)  # type: ignore[assignment]


def build_app(surface: Surface, *, signing_secret: str | None, verify_token: bool = True,
              socket_mode: bool = False) -> App:
    """The bolt app; with ``verify_token`` it checks the bot token with auth.test right away."""
    app = App(
        client=surface.client,
        signing_secret=signing_secret or "",
        token_verification_enabled=verify_token,
        # Socket Mode requests arrive over an authenticated WebSocket, unsigned.
        request_verification_enabled=not socket_mode,
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="guatu-listener"),
        logger=_BOLT_LOG,
        name="guatu",
    )
    app.error(_error_handler(surface))
    app.use(_SignallingAcks())
    app.use(_UsablePayloads(surface))
    for module in (commands, actions, views, events):
        module.register(app, surface)
    return app


def payload_problem(body: dict[str, Any]) -> str | None:
    """What makes a signed payload unusable before any listener sees it (bolt's own matching would raise), or None."""
    kind = body.get("type")
    if kind == "block_actions":
        actions = body.get("actions")
        if not (isinstance(actions, list) and actions and isinstance(actions[0], dict)
                and isinstance(actions[0].get("action_id"), str)):
            return "block_actions without an action"
    elif kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not (isinstance(view, dict) and isinstance(view.get("callback_id"), str)):
            return f"{kind} without a view"
    elif kind == "event_callback":
        event = body.get("event")
        if not (isinstance(event, dict) and isinstance(event.get("type"), str)):
            return "event_callback without an event"
    return None


class _UsablePayloads(Middleware):
    """Acknowledges a payload no listener can act on, with an apology where the user acted; never raises.

    A class, not a function middleware: bolt builds a function middleware's arguments first, and building
    ``action`` from a block_actions payload without actions raises before the function could look.
    """

    def __init__(self, surface: Surface) -> None:
        self.surface = surface

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        body, context = req.body, req.context
        problem = payload_problem(body)
        acted = body.get("type") in ("block_actions", "view_submission") or "command" in body
        if problem is None and acted and not (context.team_id and context.user_id):
            problem = "no team or user to answer"  # someone acted, so Slack names them; events are checked by listeners
        if problem is None:
            return next()
        ref = self.surface.log_unusable(problem, body, context)
        self.surface.apologise_later(body, context.team_id, context.user_id, ref)
        return BoltResponse(status=200, body="")


def _error_handler(surface: Surface):
    def on_error(error: Exception, body: dict[str, Any], response: BoltResponse | None,
                 context: BoltContext) -> BoltResponse | None:
        """The last resort, for failures outside a listener's guard (middleware, bolt itself)."""
        ref = surface.log_failure(error, body, context)
        if body.get("type") == "event_callback":
            # A 200 stops Slack's retries of something that failed here, not on Slack's side.
            return BoltResponse(status=200, body="") if response is not None else None
        if response is not None:  # not acknowledged yet: the apology is the acknowledgement
            return BoltResponse(status=200, body=json.dumps(surface.apology(body, ref), ensure_ascii=False),
                                headers={"content-type": "application/json;charset=utf-8"})
        surface.apologise(body, context.team_id, context.user_id, ref)
        return None

    return on_error
