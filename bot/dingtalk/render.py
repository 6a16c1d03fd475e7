"""DingTalk rendering, pure: replies and outbox rows to robot messages, task views to card parameters.

User text reaches DingTalk as plain text (``sampleText``: nothing in it is markup) or escaped markdown;
an @ is live only for the ids the bot itself put in ``atUserIds``, so a typed ``@所有人`` pings no one.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from bot.dispatch import Reply
from bot.slack.blocks import FORM_VERBS, RUN_VERBS
from models import i18n
from models.i18n import t
from models.tasks import TaskView, in_card_order
from present import text as render

TEXT_LIMIT = 5000  # characters: DingTalk cuts longer text messages
ACTION_CARD_BUTTONS = 5  # sampleActionCard2 … sampleActionCard5 hold 2 to 5 buttons
_MD = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")
_ID_REF = re.compile("\ue000@([A-Za-z0-9]+)\ue001")


def plain(text: str) -> str:
    """The bot's text as DingTalk plain text: its references readable (``@staffId``), no markers left."""
    return i18n.plain_refs(text)[:TEXT_LIMIT]


def mentioned(text: str) -> list[str]:
    """The chat users the bot itself referred to in ``text`` (``i18n.mention``): the only live @s."""
    return list(dict.fromkeys(_ID_REF.findall(text)))


def md(text: str) -> str:
    """User text as literal DingTalk markdown: no links, headings or emphasis smuggled in; lines kept."""
    return "  \n".join(_MD.sub(r"\\\1", line) for line in plain(text).split("\n"))


def command_of(verb: str, value: int | str) -> str:
    """The command a button stands for, as typed (``task approve 3``; a form verb types its usage)."""
    if verb == "notice.ack":
        return f"force notice ack {value}"
    return f"task {verb.removeprefix('task.')} {value}"


def send_link(command: str) -> str:
    """A link that, tapped in DingTalk, sends ``command`` to the robot as if typed."""
    return "dtmd://dingtalkclient/sendMessage?content=" + quote(command, safe="")


def label(verb: str, lang: str) -> str:
    return t(f"slack.btn.{verb.removeprefix('task.').removeprefix('notice.')}", lang)


def webhook_text(text: str) -> dict[str, Any]:
    """A reply through the message's sessionWebhook: plain text, the bot's own @s live."""
    return {"msgtype": "text", "text": {"content": plain(text)}, "at": {"atUserIds": mentioned(text)}}


def robot_message(text: str, stored: list | None = None) -> tuple[str, dict[str, Any]]:
    """An outbox row (or a reply whose session webhook expired) as a robot message: plain text, or an
    action card whose buttons send the matching command when its row carries actions."""
    buttons = _buttons(stored)
    if not buttons:
        return "sampleText", {"content": plain(text)}
    title = plain(text).split("\n", 1)[0][:60]
    if len(buttons) == 1:
        return "sampleActionCard", {"title": title, "text": md(text), "singleTitle": buttons[0][0],
                                    "singleURL": send_link(buttons[0][1])}
    param: dict[str, Any] = {"title": title, "text": md(text)}
    for i, (name, command) in enumerate(buttons[:ACTION_CARD_BUTTONS], start=1):
        param[f"actionTitle{i}"] = name
        param[f"actionURL{i}"] = send_link(command)
    return f"sampleActionCard{min(len(buttons), ACTION_CARD_BUTTONS)}", param


def _buttons(stored: list | None) -> list[tuple[str, str]]:
    """(label, command) for a row's neutral actions; a briefing's lines offer their own commands in its text."""
    out: list[tuple[str, str]] = []
    for a in stored or []:
        if not isinstance(a, dict) or "action" not in a:
            continue
        verb, value, lang = str(a["action"]), str(a.get("value", "")), str(a.get("lang") or "zh")
        if not value.isdigit():
            continue
        if verb == "notice.ack" or (verb.startswith("task.") and verb.removeprefix("task.") in FORM_VERBS + RUN_VERBS):
            out.append((label(verb, lang), command_of(verb, value)))
    return out


# ---------------------------------------------------------------- task cards


def card_params(v: TaskView, lang: str, *, note: str = "") -> dict[str, str]:
    """A task's interactive card: the same facts as the Slack card, as the template's string parameters.
    ``buttons`` is a JSON list of {"text", "verb", "task"} the template draws; each comes back as the
    callback's params."""
    verbs = in_card_order(v.actions)
    return {
        "title": f"#{v.id} {plain(v.title)}",
        "icon": render.card_icon(v.status, v.light),
        "owner": plain(v.owner_name),
        "dept": plain(v.dept_name or "—"),
        "due": plain(render.card_due(v, lang)),
        "progress": str(v.progress),
        "progress_bar": f"{render.progress_bar(v.progress)} {v.progress}%",
        "state": plain(render.card_state(v, lang)),
        "force": plain(v.force_name or ""),
        "details": md("\n".join(render.card_details(v, lang))),
        "note": md(note),
        "markdown": md(render.task_card(v, lang)),
        "buttons": json.dumps([{"text": label(x, lang), "verb": x, "task": str(v.id)} for x in verbs],
                              ensure_ascii=False),
        "lang": lang,
    }


def head(reply: Reply) -> str:
    """The reply's own words (its card, if any, is drawn as a card)."""
    return reply.headline
