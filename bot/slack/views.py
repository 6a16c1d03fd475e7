"""Modal submissions: field problems go back next to the field; a done form closes and answers."""

from __future__ import annotations

import dataclasses
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.slack import blocks, forms
from bot.slack.origin import FormState
from bot.slack.surface import BadPayload, Deadline, Surface, signed_ids


def register(app: App, surface: Surface) -> None:
    def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        with surface.guard(ack, body, context):
            submit(surface, ack, view, context)

    for form in forms.PARSERS:
        app.view(form)(on_submit)


def submit(surface: Surface, ack: Ack, view: dict[str, Any], context: BoltContext) -> None:
    try:
        state = FormState.load(view.get("private_metadata"))
    except ValueError as exc:
        raise BadPayload(str(exc)) from None
    # Who submits comes from Slack's signed payload, never from the metadata the modal carried.
    team_id, user_id = signed_ids(context)
    origin = dataclasses.replace(state.origin, team_id=team_id, user_id=user_id)
    today, calendar = surface.form_context(origin.team_id)
    try:
        request = forms.request(view["callback_id"], view, task_id=state.task_id, lang=state.lang, today=today,
                                calendar=calendar)
    except forms.FormErrors as problems:
        ack(response_action="errors", errors=problems.errors)
        return
    # Too slow for the modal: close it at the deadline and answer where the form was opened from.
    with Deadline(surface.ack_budget, ack) as deadline:
        reply = surface.run(surface.caller(origin.team_id, origin.user_id, origin.channel_id), request, origin)
        in_time = deadline.settle()
    if in_time and not reply.ok:
        # Next to the field it is about; otherwise on the first field, on screen without scrolling.
        where = forms.field_for(view, reply.error_key) or blocks.first_input(view)
        assert where is not None, "every form has an input block"
        ack(response_action="errors", errors={where: blocks.error_text(reply.text)})
        return
    if in_time:
        ack()
    surface.answer(reply, origin)
