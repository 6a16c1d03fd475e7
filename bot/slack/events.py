"""Events API: App Home opened, the bot mentioned. Slack's retries of one event act once."""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from slack_bolt import App, BoltContext
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.slack.surface import Surface
from models import i18n
from models.db import session_scope, utcnow
from models.i18n import t
from models.sqlutil import insert_ignore
from models.tables import ProcessedEvent

log = logging.getLogger("guatu.slack.events")

# Slack retries an event for about five minutes (immediately, after 1 min, after 5 min).
KEEP_EVENTS = timedelta(days=1)


def register(app: App, surface: Surface) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab
        team, user = team_of(body, context), _str(event.get("user"))
        if not (team and user):
            log.warning("app_home_opened %s without a team or user: ignored", _str(body.get("event_id")))
            return
        with first_delivery(surface.engine, body) as first:
            if first:
                surface.publish_home(team, user)

    register_directory(app, surface)

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        team, user, channel = team_of(body, context), _str(event.get("user")), _str(event.get("channel"))
        if event.get("bot_id") or not (team and user and channel):
            return  # another bot mentioning us (no user, a bot_id) gets no hint: bots do not read them
        with first_delivery(surface.engine, body) as first:
            if first:
                lang = surface.caller(team, user).locale or surface.service.default_lang
                surface.client.chat_postEphemeral(channel=channel, user=user, text=t("slack.mention", lang))


def team_of(body: dict[str, Any], context: BoltContext) -> str | None:
    """The workspace an event is from. Org-wide installs leave it out of ``authorizations`` (bolt's context then has
    none) and name it in the body's ``team_id`` only; an event's own ``team``/``view.team_id`` come last."""
    event = body["event"] if isinstance(body.get("event"), dict) else {}
    view = event["view"] if isinstance(event.get("view"), dict) else {}
    for candidate in (context.team_id, body.get("team_id"), view.get("team_id"), event.get("team")):
        if _str(candidate):
            return candidate
    return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def register_directory(app: App, surface: Surface) -> None:
    """``user_change``: a known person's name, language and time zone follow their Slack profile."""
    from bot.slack.directory import refresh_person

    @app.event("user_change")
    def on_user_change(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        with first_delivery(surface.engine, body) as first:
            user = event.get("user") or {}
            if first and user.get("id"):
                team = context.team_id or body.get("team_id") or user.get("team_id") or ""
                if refresh_person(surface.engine, team, user, via="user_change"):
                    surface.people.clear()  # a cached profile would hide the change from the next request


@contextlib.contextmanager
def first_delivery(engine: Engine, body: dict[str, Any]) -> Iterator[bool]:
    """Yields True for the first delivery of an event, False for a retry of one already handled.

    The claim is a unique row written before the work; if the work fails, the claim is dropped
    again, so Slack's next retry does the work instead of being ignored.
    """
    event_id = _str(body.get("event_id"))
    if not event_id:
        yield True
        return
    claimed = _claim(engine, event_id, _str(body.get("team_id")) or "")
    if not claimed:
        log.info("event %s already handled: a retry, ignored", event_id)
    try:
        yield claimed
    except BaseException:
        if claimed:
            with session_scope(engine) as session:
                session.execute(delete(ProcessedEvent).where(col(ProcessedEvent.event_id) == event_id))
        raise


def _claim(engine: Engine, event_id: str, team_id: str) -> bool:
    now = utcnow()
    with session_scope(engine) as session:
        # insert_ignore reads the row back: PostgreSQL's implicit RETURNING makes rowcount -1.
        inserted = insert_ignore(session, ProcessedEvent, dict(event_id=event_id[:64], team_id=team_id[:64], created_at=now),
                                 conflict=["event_id"])
        if inserted and random.random() < 0.01:
            # Now and then forget events too old to be retried, so the table stays a day long.
            session.execute(delete(ProcessedEvent).where(col(ProcessedEvent.created_at) < now - KEEP_EVENTS))
    return bool(inserted)


i18n.register(
    {
        "slack.mention": {
            "zh": "你好！我是挂图。输入 /task、/force、/meeting 或 /guatu help 使用我；任务卡片上的按钮也可以直接操作。",
            "en": "Hello! I am Guatu. Type /task, /force, /meeting or /guatu help; the buttons on task cards work too.",
        }
    }
)
