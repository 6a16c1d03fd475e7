"""Buttons and menus on task cards, lists and App Home: each builds a typed request from its task id."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot import commands as C
from bot.slack.blocks import FORM_VERBS, RUN_VERBS
from bot.slack.origin import Origin
from bot.slack.surface import Surface

REQUESTS = {"done": C.TaskDone, "approve": C.TaskApprove, "verify": C.TaskVerify, "ack": C.TaskAck,
            "show": C.TaskShow}


def register(app: App, surface: Surface) -> None:
    def on_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        ack()
        with surface.guard(ack, body, context):
            act(surface, body, context, action["action_id"].removeprefix("task."), int(action["value"]))

    def on_menu(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        ack()
        with surface.guard(ack, body, context):
            verb, _, task_id = action["selected_option"]["value"].partition(":")
            act(surface, body, context, verb, int(task_id))

    def on_other(ack: Ack) -> None:
        ack()  # a button of an older version of a card: acknowledge, so Slack shows no error

    def on_notice_ack(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        ack()
        with surface.guard(ack, body, context):
            origin = Origin.of_action(body, context.team_id, context.user_id)
            caller = surface.caller(origin.team_id, origin.user_id, origin.channel_id)
            surface.answer(surface.service.run(caller, C.ForceNoticeAck(notice_id=int(action["value"]))), origin)

    for verb in FORM_VERBS + RUN_VERBS:
        app.action(f"task.{verb}")(on_button)
    def on_edit_due(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        ack()
        with surface.guard(ack, body, context):
            origin = Origin.of_action(body, context.team_id, context.user_id)
            caller = surface.caller(origin.team_id, origin.user_id, origin.channel_id)
            surface.answer(surface.service.run(caller, edit_due_request(action["value"])), origin)

    app.action("notice.ack")(on_notice_ack)
    app.action("task.edit_due")(on_edit_due)
    app.action("task.menu")(on_menu)
    app.action(re.compile(".*"))(on_other)


def edit_due_request(value: str) -> C.TaskEdit:
    """The "use the working day before" button: ``<task>:<YYYY-MM-DD>:<node or 0>``, checked like a command."""
    task_id, day, node = value.split(":")
    return C.TaskEdit(task_id=int(task_id), due=date.fromisoformat(day), node_no=int(node) or None)


def act(surface: Surface, body: dict[str, Any], context: BoltContext, verb: str, task_id: int) -> None:
    """Opens the verb's form, or runs it at once and answers where the user clicked."""
    origin = Origin.of_action(body, context.team_id, context.user_id)
    caller = surface.caller(origin.team_id, origin.user_id, origin.channel_id)
    if verb == "notice.ack":  # a notice's line in a briefing
        surface.answer(surface.service.run(caller, C.ForceNoticeAck(notice_id=task_id)), origin)
    elif verb in FORM_VERBS:
        form = C.OpenForm(form=f"task_{verb}", task_id=task_id)
        surface.open_form(caller, body["trigger_id"], form, origin, lang=surface.service.default_lang)
    elif verb in REQUESTS:
        surface.answer(surface.service.run(caller, REQUESTS[verb](task_id=task_id)), origin)
