"""Slack Web API clients, all pointed at ``SLACK_API_URL``; they differ in who retries what."""

from __future__ import annotations

from typing import Literal

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.settings import Settings

Kind = Literal["interactive", "background", "outbox", "directory"]
TIMEOUT = 10


def retry_handlers(kind: Kind) -> list[RetryHandler]:
    """Interactive calls retry everything once (a 429 sleeps Retry-After: a person is waiting for this
    very call); background calls reschedule on 429 rather than block a thread; the outbox notifier
    retries nothing, because its delivery worker owns retries and pacing."""
    if kind == "interactive":
        return [ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(max_retry_count=1), ServerErrorRetryHandler()]
    if kind == "directory":
        # sync-directory pages through users.list (Tier 2: ~20 calls a minute): wait out each 429.
        return [ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(max_retry_count=10), ServerErrorRetryHandler()]
    if kind == "background":
        return [ConnectionErrorRetryHandler(), ServerErrorRetryHandler()]
    return []


def web_client(settings: Settings, kind: Kind) -> WebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(token=token, base_url=settings.slack_api_url, timeout=TIMEOUT, retry_handlers=retry_handlers(kind))


def webhook(url: str) -> WebhookClient:
    """A response URL (absolute: it comes from Slack, or from the fake Slack in tests)."""
    return WebhookClient(url, timeout=TIMEOUT, retry_handlers=retry_handlers("interactive"))
