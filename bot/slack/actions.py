"""Buttons and menus on task cards, lists and App Home: each builds a typed request from its task id."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot import commands as C
from bot.slack.blocks import FORM_VERBS, RUN_VERBS
from bot.slack.origin import Origin
from bot.slack.surface import BadPayload, Surface, signed_ids

REQUESTS = {"done": C.TaskDone, "approve": C.TaskApprove, "verify": C.TaskVerify, "ack": C.TaskAck,
            "show": C.TaskShow}


def register(app: App, surface: Surface) -> None:
    def on_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        ack()
        with surface.guard(ack, body, context):
            act(surface, body, context, action["action_id"].removeprefix("task."), number(action.get("value")))

    def on_menu(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        ack()
        with surface.guard(ack, body, context):
            verb, _, task_id = _text(_field(action.get("selected_option"), "value")).partition(":")
            act(surface, body, context, verb, number(task_id))

    def on_other(ack: Ack) -> None:
        ack()  # a button of an older version of a card: acknowledge, so Slack shows no error

    def on_notice_ack(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        ack()
        with surface.guard(ack, body, context):
            origin = Origin.of_action(body, *signed_ids(context))
            caller = surface.caller(origin.team_id, origin.user_id, origin.channel_id)
            surface.answer(surface.run(caller, C.ForceNoticeAck(notice_id=number(action.get("value"))), origin), origin)

    for verb in FORM_VERBS + RUN_VERBS:
        app.action(f"task.{verb}")(on_button)
    def on_edit_due(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        ack()
        with surface.guard(ack, body, context):
            origin = Origin.of_action(body, *signed_ids(context))
            caller = surface.caller(origin.team_id, origin.user_id, origin.channel_id)
            surface.answer(surface.run(caller, edit_due_request(action["value"]), origin), origin)

    app.action("notice.ack")(on_notice_ack)
    app.action("task.edit_due")(on_edit_due)
    app.action("task.menu")(on_menu)
    app.action(re.compile(".*"))(on_other)


def number(value: object) -> int:
    """A button's task or notice id; BadPayload for anything else (a value from another card, or none)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    raise BadPayload("button value is not an id")


def _field(value: object, key: str) -> object:
    return value.get(key) if isinstance(value, dict) else None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def edit_due_request(value: object) -> C.TaskEdit:
    """The "use the working day before" button: ``<task>:<YYYY-MM-DD>:<node or 0>``, checked like a command."""
    parts = _text(value).split(":")
    if len(parts) != 3:
        raise BadPayload("edit_due value is not <task>:<date>:<node>")
    try:
        day = date.fromisoformat(parts[1])
    except ValueError:
        raise BadPayload("edit_due value has no ISO date") from None
    return C.TaskEdit(task_id=number(parts[0]), due=day, node_no=number(parts[2]) or None)


def act(surface: Surface, body: dict[str, Any], context: BoltContext, verb: str, task_id: int) -> None:
    """Opens the verb's form, or runs it at once and answers where the user clicked."""
    origin = Origin.of_action(body, *signed_ids(context))
    caller = surface.caller(origin.team_id, origin.user_id, origin.channel_id)
    if verb == "notice.ack":  # a notice's line in a briefing
        surface.answer(surface.run(caller, C.ForceNoticeAck(notice_id=task_id), origin), origin)
    elif verb in FORM_VERBS:
        form = C.OpenForm(form=f"task_{verb}", task_id=task_id)
        trigger_id = body.get("trigger_id")
        if not isinstance(trigger_id, str):
            raise BadPayload("block_actions without a trigger_id: no form can open")
        surface.open_form(caller, trigger_id, form, origin, lang=surface.service.default_lang)
    elif verb in REQUESTS:
        surface.answer(surface.run(caller, REQUESTS[verb](task_id=task_id), origin), origin)
