"""The outbox's way into Slack: chat.postMessage, with every failure told apart for the delivery worker."""

from __future__ import annotations

import re
from datetime import datetime
from http.client import HTTPException
from typing import Any
from urllib.error import URLError

from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

from bot.settings import Settings
from bot.slack.blocks import chat_text, outbox_blocks
from bot.slack.clients import web_client
from models.outbox import DeliveryError, Notifier, retry_after_seconds

# Errors that no retry can cure: the message is dropped (and shown as failed in /guatu outbox).
PERMANENT = frozenset({
    "channel_not_found", "user_not_found", "account_inactive", "not_in_channel", "is_archived",
    "cannot_dm_bot", "user_disabled", "msg_too_long", "no_text", "invalid_blocks", "restricted_action",
})
# Slack's own words for these: "it's possible some aspect of the operation succeeded".
MAYBE_DONE = frozenset({"internal_error", "fatal_error"})
# The history cannot be read (a scope or a membership missing): whether a message arrived is unknown.
CANNOT_READ = frozenset({
    "missing_scope", "not_in_channel", "channel_not_found", "not_authed", "invalid_auth", "not_allowed_token_type",
    "no_permission", "user_not_found", "cannot_dm_bot",
})
METADATA_EVENT = "guatu_outbox"  # message metadata event_type; event_payload {"id": <outbox id>}
HISTORY_PAGE = 200
_CODE = re.compile(r"[a-z0-9_]+")
HISTORY_PAGES = 5  # beyond 1,000 messages since the first attempt: cannot tell (and the worker sends again)
# chat.postMessage across a whole workspace, messages a second: Slack allows about one a second per channel
# and "several hundred a minute" per workspace; the delivery worker's bucket starts here and slows on a 429.
WORKSPACE_RATE = 10.0


class SlackNotifier(Notifier):
    """Posts to a channel id, or to a user id (Slack delivers that as a direct message from the bot).

    Never sleeps and never retries: a 429 becomes ``DeliveryError(retry_after=…)`` and the delivery
    worker reschedules that recipient while it goes on with the others. ``workspace_rate`` paces the
    whole workspace (``jobs.deliver.WorkspaceBuckets``); with several workers, each paces itself to it.
    """

    workspace_rate: float | None = WORKSPACE_RATE

    def __init__(self, settings: Settings) -> None:
        self.client = web_client(settings, "outbox")
        self._dm: dict[str, str] = {}
        self._settings = settings
        self._services: dict[int, Any] = {}  # id(engine) → the Service that builds homes from it

    def publish_home(self, engine: Engine, team_id: str, user_id: str, *, now: datetime) -> None:
        """Builds ``user_id``'s App Home at ``now`` and publishes it (views.publish); the delivery loop calls this for
        each home a change made stale (``models.homequeue``). Raises ``DeliveryError`` like ``send``."""
        from bot.dispatch import Caller
        from bot.slack.home import home_view

        view = home_view(self._service(engine), Caller(team_id, user_id), now=now)
        try:
            self.client.views_publish(user_id=user_id, view=view)
        except SlackApiError as exc:
            raise delivery_error(exc) from None
        except (OSError, HTTPException) as exc:  # publishing again is harmless: the same view replaces itself
            raise DeliveryError(f"Slack unreachable: {type(exc).__name__}: {exc}") from None

    def _service(self, engine: Engine) -> Any:
        from bot.dispatch import Service

        service = self._services.get(id(engine))
        if service is None or service.engine is not engine:
            service = self._services[id(engine)] = Service(engine, tz=self._settings.tz,
                                                           default_lang=self._settings.lang,
                                                           public_url=self._settings.public_base)
        return service

    def send(self, recipient: str, text: str, blocks: list | None = None, *, outbox_id: int | None = None) -> str | None:
        """Posts the message, tagged with ``outbox_id`` in its metadata so ``was_delivered`` can find it.
        Raises ``DeliveryError(uncertain=True)`` when Slack may have posted it without our knowing."""
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"id": outbox_id}} if outbox_id is not None else None
        try:
            # ``text`` is mrkdwn: what people typed (a title, a reason) must not ping the channel
            # (<!channel>) or disguise a link, so it is escaped like every reply.
            response = self.client.chat_postMessage(channel=recipient, text=chat_text(text),
                                                    blocks=outbox_blocks(text, blocks), metadata=metadata)
        except SlackApiError as exc:
            raise delivery_error(exc) from None
        except URLError as exc:  # raised while connecting or writing the request: Slack never had all of it
            raise DeliveryError(f"Slack unreachable: {type(exc).__name__}: {exc}") from None
        except (OSError, HTTPException) as exc:  # timed out or cut off while waiting for the answer
            raise DeliveryError(f"no answer from Slack: {type(exc).__name__}: {exc}", uncertain=True) from None
        return response.get("ts")

    def was_delivered(self, recipient: str, outbox_id: int, since: datetime) -> bool | None:
        """True if a message tagged with ``outbox_id`` was posted to ``recipient`` since ``since``; False if
        the whole history since then was read and it is not there; None if that cannot be told (no access
        to the history, or too much of it). Raises ``DeliveryError`` when Slack could not be asked now."""
        try:
            channel = self._conversation(recipient)
            cursor = None
            for _ in range(HISTORY_PAGES):
                page = self.client.conversations_history(channel=channel, oldest=f"{since.timestamp():.6f}",
                                                         limit=HISTORY_PAGE, include_all_metadata=True, cursor=cursor)
                for message in page.get("messages") or []:
                    meta = message.get("metadata") or {}
                    if meta.get("event_type") == METADATA_EVENT and \
                            str((meta.get("event_payload") or {}).get("id")) == str(outbox_id):
                        return True
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not page.get("has_more") or not cursor:
                    return False
            return None
        except SlackApiError as exc:
            if _error_code(exc) in CANNOT_READ:
                return None
            raise delivery_error(exc) from None
        except (OSError, HTTPException) as exc:
            raise DeliveryError(f"Slack unreachable: {type(exc).__name__}: {exc}") from None

    def _conversation(self, recipient: str) -> str:
        """The channel whose history holds what we posted: a user id's is their DM with the bot."""
        if not recipient.startswith(("U", "W")):
            return recipient
        if recipient not in self._dm:
            self._dm[recipient] = self.client.conversations_open(users=recipient)["channel"]["id"]
        return self._dm[recipient]


def _error_code(exc: SlackApiError) -> str | None:
    return exc.response.data.get("error") if isinstance(exc.response.data, dict) else None


def delivery_error(exc: SlackApiError) -> DeliveryError:
    status = exc.response.status_code
    error = _error_code(exc)
    if status == 429:
        return DeliveryError("rate limited (429)", retry_after=_retry_after(exc.response.headers))
    if error in PERMANENT:
        return DeliveryError(f"Slack refused: {error}", permanent=True)
    # A 5xx without a clear refusal (a bare gateway page, internal_error) may come after the post was made;
    # slack_sdk puts its own sentence in ``error`` when the body is not JSON, never a snake_case code.
    clear = error is not None and _CODE.fullmatch(error) is not None
    uncertain = error in MAYBE_DONE or (status >= 500 and not clear)
    return DeliveryError(f"Slack error: HTTP {status} {error or ''}".strip(), uncertain=uncertain)


def _retry_after(headers) -> float:
    """Retry-After in seconds, bounded (see ``models.outbox.retry_after_seconds``)."""
    try:
        value = headers.get("Retry-After") or headers.get("retry-after")
    except AttributeError:
        value = None
    return retry_after_seconds(value)
