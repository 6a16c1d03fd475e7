"""The bolt app: the listeners registered once, and one error handler, so Slack never sees a 500."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

from bot.slack import actions, commands, events, views
from bot.slack.surface import Surface

# Each request in flight holds a listener thread until it has answered: size for bursts, not cores.
LISTENER_THREADS = 32


class _NoTokenWarning(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN is unused whenever it is set next to a client: it is, by the client."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


_BOLT_LOG = logging.getLogger("guatu.slack.bolt")
_BOLT_LOG.addFilter(_NoTokenWarning())


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
    for module in (commands, actions, views, events):
        module.register(app, surface)
    return app


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
