"""What the DingTalk surface does with a pushed bot message or a card button: one ``bot.dispatch`` call each.

A message typed to the robot (1:1, or with an @ in a group) is a command line with or without its ``/``;
the reply goes back through the message's sessionWebhook while it is valid, else through the robot API.
A reply about one task brings its interactive card (with ``DINGTALK_CARD_TEMPLATE_ID``) or an action card
whose buttons send the command. A card button comes back on the card callback topic, runs as the person
who clicked, and the card is redrawn in place.

The gateway may push an event twice, and pushes again what was not acknowledged: each is claimed once in
``processedevent`` (shared by every process holding a connection) before it is acted on.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bot import commands as C
from bot.console import split_command
from bot.dingtalk import PLATFORM, team_of
from bot.dingtalk.api import ApiError, OpenApi
from bot.dingtalk.render import card_params, command_of, head, label, md, plain, robot_message, send_link, webhook_text
from bot.dispatch import Caller, Reply, Service
from bot.slack.events import first_delivery
from models import i18n, org
from models.db import session_scope
from models.i18n import t
from models.tasks import in_card_order

log = logging.getLogger("guatu.dingtalk")

_AT = re.compile(r"@(\S+)")
# Buttons that run at once; the others need words and answer with the command to type (or take them
# from the card's inputs: ``percent`` / ``note`` / ``reason``).
RUN = {"done": C.TaskDone, "approve": C.TaskApprove, "verify": C.TaskVerify, "ack": C.TaskAck, "show": C.TaskShow}


@dataclass(frozen=True)
class Incoming:
    """A bot message as pushed on ``/v1.0/im/bot/messages/get`` (the fields Guatu reads)."""

    msg_id: str
    corp_id: str
    staff_id: str
    nick: str
    text: str
    group_id: str | None  # openConversationId of a group chat; None in a 1:1 chat
    webhook: str | None
    webhook_expires_ms: int
    at_staff_ids: list[str] = field(default_factory=list)  # others @-ed, in order (not the robot)

    @classmethod
    def of(cls, data: dict[str, Any]) -> Incoming:
        text = data.get("text") if isinstance(data.get("text"), dict) else {}
        robot = data.get("chatbotUserId")
        ats = [str(a.get("staffId")) for a in data.get("atUsers") or []
               if isinstance(a, dict) and a.get("staffId") and a.get("dingtalkId") != robot]
        group = str(data.get("conversationId") or "") if str(data.get("conversationType")) == "2" else None
        return cls(
            msg_id=str(data.get("msgId") or ""), corp_id=str(data.get("senderCorpId") or data.get("chatbotCorpId") or ""),
            staff_id=str(data.get("senderStaffId") or data.get("senderId") or ""), nick=str(data.get("senderNick") or ""),
            text=str((text or {}).get("content") or ""), group_id=group or None,
            webhook=data.get("sessionWebhook") or None, webhook_expires_ms=_int(data.get("sessionWebhookExpiredTime")),
            at_staff_ids=ats,
        )


def _int(value: object) -> int:
    """A number DingTalk sent as a number or a string; 0 for anything else (a webhook then counts as expired)."""
    try:
        return int(str(value))
    except ValueError:
        return 0


def command_line(text: str, at_staff_ids: list[str]) -> tuple[str, str] | None:
    """``task progress 3 60%`` or ``/task …`` (a full-width ／ too) → ("/task", "progress 3 60%"); the people
    @-ed in the text become ``<@staffId>`` in the order DingTalk lists them. None if it is no command."""
    line = text.strip().replace("\u3000", " ")
    if line.startswith("／"):
        line = "/" + line[1:]
    ats = iter(at_staff_ids)
    if at_staff_ids and len(_AT.findall(line)) == len(at_staff_ids):
        line = _AT.sub(lambda m: f"<@{next(ats)}>", line)
    return split_command(line)


class DingTalkSurface:
    """Turns pushes into ``Service`` calls and replies; thread-safe (each call its own unit of work)."""

    def __init__(self, service: Service, api: OpenApi, *, card_template_id: str | None = None,
                 clock_ms: Any = None) -> None:
        self.service = service
        self.api = api
        self.card_template_id = card_template_id
        self._clock_ms = clock_ms or (lambda: int(time.time() * 1000))
        self._known: set[str] = set()

    # ------------------------------------------------------------ pushes

    def on_message(self, data: dict[str, Any], frame_id: str = "") -> None:
        """A bot message: acted on once, however often the gateway pushes it."""
        msg = Incoming.of(data)
        if not msg.staff_id or not msg.corp_id:
            log.warning("DingTalk message %s without a sender or organisation: ignored", msg.msg_id or frame_id)
            return
        team = team_of(msg.corp_id)
        with first_delivery(self.service.engine, {"event_id": "dt:" + (msg.msg_id or frame_id), "team_id": team}) as first:
            if not first:
                return
            self._workspace(team)
            caller = Caller(team, msg.staff_id, msg.group_id, name=msg.nick or None)
            parsed = command_line(msg.text, msg.at_staff_ids)
            if parsed is None:
                self._say(msg, t("dingtalk.hint", self.service.default_lang))
                return
            reply = self.service.handle(caller, *parsed)
            self.answer(reply, msg)

    def on_card(self, data: dict[str, Any], frame_id: str) -> dict[str, Any]:
        """A card button: runs as the person who clicked, then redraws the card in place. Returns the ack's
        response (empty: the card is updated through the OpenAPI)."""
        corp, user, track = str(data.get("corpId") or ""), str(data.get("userId") or ""), str(data.get("outTrackId") or "")
        params = _card_params(data.get("content"))
        verb, task = str(params.get("verb") or ""), str(params.get("task") or "")
        if not (corp and user and track and task.isdigit() and len(task) <= 18):
            log.warning("DingTalk card callback %s without a user, card or task: ignored", frame_id)
            return {}
        team = team_of(corp)
        with first_delivery(self.service.engine, {"event_id": "dtcard:" + frame_id, "team_id": team}) as first:
            if not first:
                return {}
            self._workspace(team)
            caller = Caller(team, user)
            request = _request(verb, int(task), params)
            if request is None:  # it needs words: say what to type, like a command typed without them
                reply = self.service.handle(caller, "/task", f"{verb} {task}")
            else:
                reply = self.service.run(caller, request)
            self._redraw(caller, track, int(task), reply)
            if request is None or not reply.ok:
                self._robot(user, None, head(reply))
        return {}

    # ------------------------------------------------------------ answers

    def answer(self, reply: Reply, msg: Incoming) -> None:
        """The reply where the message came from: one task's card as a card, the rest as text."""
        if len(reply.cards) == 1:
            view = reply.cards[0]
            words = head(reply)
            if self.card_template_id:
                if words:
                    self._say(msg, words)
                self._deliver_card(view, reply.lang, msg)
                return
            buttons = [{"title": label(v, reply.lang), "actionURL": send_link(command_of(v, view.id))}
                       for v in in_card_order(view.actions)]
            self._say_rich(msg, reply.text, {"msgtype": "actionCard", "actionCard": {
                "title": plain(view.title)[:60], "text": md(reply.text), "btnOrientation": "0", "btns": buttons}})
            return
        text = reply.text if not reply.footer or reply.footer in reply.text else f"{reply.text}\n{reply.footer}"
        if reply.attachments:
            text += "\n" + t("dingtalk.no_files", reply.lang, n=len(reply.attachments))
        self._say(msg, text)

    def _say(self, msg: Incoming, text: str) -> None:
        self._say_rich(msg, text, webhook_text(text))

    def _say_rich(self, msg: Incoming, text: str, body: dict[str, Any]) -> None:
        if msg.webhook and self._clock_ms() < msg.webhook_expires_ms - 5000:
            try:
                self.api.webhook(msg.webhook, body)
                return
            except ApiError as exc:
                log.warning("DingTalk session webhook refused (%s): answering through the robot API", exc)
        self._robot(msg.staff_id, msg.group_id, text)

    def _robot(self, staff_id: str, group_id: str | None, text: str) -> None:
        msg_key, param = robot_message(text)
        try:
            if group_id:
                self.api.send_to_group(group_id, msg_key, param)
            else:
                self.api.send_to_users([staff_id], msg_key, param)
        except ApiError as exc:
            log.warning("DingTalk robot message to %s failed: %s", group_id or staff_id, exc)

    def _deliver_card(self, view: Any, lang: str, msg: Incoming) -> None:
        track = f"guatu-{view.id}-{uuid.uuid4().hex[:16]}"
        try:
            self.api.deliver_card(track, self.card_template_id or "", card_params(view, lang),
                                  user_id=None if msg.group_id else msg.staff_id, group_id=msg.group_id)
        except ApiError as exc:
            log.warning("DingTalk card for #%s could not be delivered (%s): sent as text", view.id, exc)
            self._robot(msg.staff_id, msg.group_id, t("dingtalk.card_text", lang) + "\n" + plain(head_of(view, lang)))

    def _redraw(self, caller: Caller, track: str, task_id: int, reply: Reply) -> None:
        """The card again, as the task now stands, with what the click did as its note."""
        view = reply.cards[0] if reply.cards else None
        if view is None:
            shown = self.service.run(caller, C.TaskShow(task_id=task_id))
            view = shown.cards[0] if shown.cards else None
        if view is None:
            return
        note = head(reply) if reply.cards else reply.text
        try:
            self.api.update_card(track, card_params(view, reply.lang, note=note))
        except ApiError as exc:
            log.warning("DingTalk card %s could not be updated: %s", track, exc)

    def _workspace(self, team: str) -> None:
        """The organisation's workspace exists and is marked as DingTalk's, so its outbox goes there."""
        if team in self._known:
            return
        with session_scope(self.service.engine) as session:
            org.mark_platform(session, team, PLATFORM)
        self._known.add(team)


def head_of(view: Any, lang: str) -> str:
    from present import text as render

    return render.task_card(view, lang)


def _card_params(content: object) -> dict[str, Any]:
    """The clicked button's params from a card callback's ``content`` (a JSON string)."""
    try:
        parsed = json.loads(content) if isinstance(content, str) else content
    except ValueError:
        return {}
    private = parsed.get("cardPrivateData") if isinstance(parsed, dict) else None
    params = private.get("params") if isinstance(private, dict) else None
    return params if isinstance(params, dict) else {}


def _request(verb: str, task_id: int, params: dict[str, Any]) -> object | None:
    """The typed request a card button stands for; None when it needs words the card did not carry."""
    if verb in RUN:
        return RUN[verb](task_id=task_id)
    reason = str(params.get("reason") or "").strip()
    if verb == "progress" and str(params.get("percent") or "").strip().rstrip("%").isdigit():
        percent = int(str(params["percent"]).strip().rstrip("%"))
        if 0 <= percent <= 100:
            return C.TaskProgress(task_id=task_id, percent=percent, note=str(params.get("note") or "").strip() or None)
    if reason and verb == "reject":
        return C.TaskReject(task_id=task_id, reason=reason)
    if reason and verb == "block":
        return C.TaskBlock(task_id=task_id, reason=reason)
    if reason and verb == "reopen":
        return C.TaskReopen(task_id=task_id, reason=reason)
    return None


i18n.register({
    "dingtalk.hint": {
        "zh": "你好！我是挂图。直接输入命令，例如「task progress 3 60% 完成联调」「task list」「guatu help」（前面的 / 可写可不写）；在群里请先 @我。",
        "en": "Hello! I am Guatu. Type a command, e.g. \"task progress 3 60% done the joint test\", \"task list\" or "
              "\"guatu help\" (the leading / is optional); in a group, @ me first.",
    },
    "dingtalk.no_files": {
        "zh": "（{n} 个文件在钉钉上暂不能发送，请在 Slack 或控制台获取。）",
        "en": "({n} {n:file|files} cannot be sent on DingTalk yet; get them in Slack or the console.)",
    },
    "dingtalk.card_text": {"zh": "任务卡片：", "en": "Task card:"},
})
