"""The outbox's way into Slack: chat.postMessage, with every failure told apart for the delivery worker."""

from __future__ import annotations

from urllib.error import URLError

from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from bot.slack.blocks import chat_text, outbox_blocks
from bot.slack.clients import web_client
from models.outbox import DeliveryError, Notifier

# Errors that no retry can cure: the message is dropped (and shown as failed in /guatu outbox).
PERMANENT = frozenset({
    "channel_not_found", "user_not_found", "account_inactive", "not_in_channel", "is_archived",
    "cannot_dm_bot", "user_disabled", "msg_too_long", "no_text", "invalid_blocks", "restricted_action",
})


class SlackNotifier(Notifier):
    """Posts to a channel id, or to a user id (Slack delivers that as a direct message from the bot).

    Never sleeps and never retries: a 429 becomes ``DeliveryError(retry_after=…)`` and the delivery
    worker reschedules that recipient while it goes on with the others.
    """

    def __init__(self, settings: Settings) -> None:
        self.client = web_client(settings, "outbox")

    def send(self, recipient: str, text: str, blocks: list | None = None) -> str | None:
        try:
            # ``text`` is mrkdwn: what people typed (a title, a reason) must not ping the channel
            # (<!channel>) or disguise a link, so it is escaped like every reply.
            response = self.client.chat_postMessage(channel=recipient, text=chat_text(text),
                                                    blocks=outbox_blocks(text, blocks))
        except SlackApiError as exc:
            raise delivery_error(exc) from None
        except (URLError, OSError) as exc:  # connection refused, reset, timed out
            raise DeliveryError(f"Slack unreachable: {type(exc).__name__}: {exc}") from None
        return response.get("ts")


def delivery_error(exc: SlackApiError) -> DeliveryError:
    status = exc.response.status_code
    error = exc.response.data.get("error") if isinstance(exc.response.data, dict) else None
    if status == 429:
        return DeliveryError("rate limited (429)", retry_after=_retry_after(exc.response.headers))
    if error in PERMANENT:
        return DeliveryError(f"Slack refused: {error}", permanent=True)
    return DeliveryError(f"Slack error: HTTP {status} {error or ''}".strip())


def _retry_after(headers) -> float:
    try:
        return float(headers.get("Retry-After") or headers.get("retry-after") or 1)
    except (TypeError, ValueError):
        return 1.0
