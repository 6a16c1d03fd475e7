"""Slash commands: /task /force /meeting /guatu, each answered ephemerally to the caller."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.slack import blocks
from bot.slack.origin import Origin
from bot.slack.surface import Deadline, Surface, signed_ids

SLASH_COMMANDS = ("/task", "/force", "/meeting", "/guatu")


def register(app: App, surface: Surface) -> None:
    def on_command(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        with surface.guard(ack, body, context):
            answer_command(surface, ack, body, context)

    for name in SLASH_COMMANDS:
        app.command(name)(on_command)


def answer_command(surface: Surface, ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """The reply goes in the acknowledgement when it is ready in time, else through the response URL."""
    origin = Origin(*signed_ids(context), body.get("channel_id"), body.get("response_url"))
    with Deadline(surface.ack_budget, lambda: ack(text=surface.holding_text(), response_type="ephemeral")) as deadline:
        caller = surface.caller(origin.team_id, origin.user_id, origin.channel_id)
        reply = surface.service.handle(caller, body["command"], body.get("text", ""))
        in_time = deadline.settle()
    if reply.form is not None:
        if in_time:
            ack()
        surface.open_form(caller, body["trigger_id"], reply.form, origin, lang=reply.lang)
        return
    message = blocks.reply_message(reply)
    if in_time:
        ack(**message)
    else:
        surface.post(message, origin)
    surface.follow_up(reply, origin)
    if reply.ok:
        # A person first named in a mention is looked up like one who types (after the answer: no delay).
        from bot.slack.directory import look_up_mentions

        look_up_mentions(surface.background, surface.engine, origin.team_id, body.get("text", ""))
