"""The bolt app: the listeners registered once, and one error handler, so Slack never sees a 500."""

from __future__ import annotations

import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

from bot.slack import actions, blocks, commands, events, views
from bot.slack.surface import Surface
from models.i18n import t

log = logging.getLogger("guatu.slack")

# Each request in flight holds a listener thread until it has answered: size for bursts, not cores.
LISTENER_THREADS = 32


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
        logger=logging.getLogger("guatu.slack.bolt"),
        name="guatu",
    )
    app.error(_error_handler(surface))
    for module in (commands, actions, views, events):
        module.register(app, surface)
    return app


def _error_handler(surface: Surface):
    def on_error(error: Exception, body: dict[str, Any], response: BoltResponse | None,
                 context: BoltContext) -> BoltResponse | None:
        """Logs with a reference; the user gets an apology carrying it, wherever they acted."""
        ref = uuid.uuid4().hex[:8]
        kind = body.get("type") or ("slash_command" if "command" in body else "?")
        log.error("Slack %s failed (ref %s) team=%s user=%s", kind, ref, context.team_id, context.user_id,
                  exc_info=error)
        if kind == "event_callback":
            # Acknowledged before the listener ran; for a failure before that, a 200 stops Slack's
            # retries of something that failed here, not there.
            return BoltResponse(status=200, body="") if response is not None else None
        text = t("error.internal", surface.service.default_lang, ref=ref)
        if response is not None:  # not acknowledged yet: the apology is the acknowledgement
            field = blocks.first_input(body.get("view") or {}) if kind == "view_submission" else None
            answer = {"response_action": "errors", "errors": {field: text}} if field else {
                "response_type": "ephemeral", "text": text}
            return BoltResponse(status=200, body=json.dumps(answer, ensure_ascii=False),
                                headers={"content-type": "application/json;charset=utf-8"})
        try:
            surface.apologise(body, context.team_id, context.user_id, ref)
        except Exception:  # noqa: BLE001 - the failure is logged above; nothing more to tell anyone
            log.exception("the apology for ref %s could not be delivered", ref)
        return None

    return on_error
