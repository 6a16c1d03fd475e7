"""The outbox's way into DingTalk: the robot's 1:1 (``oToMessages/batchSend``) and group
(``groupMessages/send``) messages, with every failure told apart for the delivery worker.

DingTalk's limits, and what the worker does about each:

* **QPS per app and API** (HTTP 429, codes ``…QpsLimit…`` / ``Throttling…``): retried after a second or two,
  that recipient held back, the others going on.
* **Flow control per user** (a staff id in ``flowControlledStaffIdList``; codes naming a daily quota): the
  person has had their day's share of robot messages: held back an hour at a time, never dropped.
* **Duplicate content** (the same text to the same chat again within a short time is refused): the outbox
  never sends a row twice, so a refusal for duplicate content means this row's text is already there (an
  uncertain earlier attempt arrived): marked sent.
* **No such user / not in the group / no permission** (``invalidStaffIdList``; ``invalidParameter…``,
  ``Forbidden.AccessDenied…``, 400/403/404): parked at once, shown in ``/guatu outbox failed``.
* **No answer, a 5xx without a code**: uncertain; DingTalk cannot be asked whether it arrived, so it is sent
  again (at least once rather than never).
"""

from __future__ import annotations

import logging

from bot.dingtalk import is_group
from bot.dingtalk.api import ApiError, OpenApi
from bot.dingtalk.render import plain, robot_message
from models.outbox import DeliveryError

log = logging.getLogger("guatu.dingtalk")

QPS_WAIT = 2.0  # seconds after a QPS refusal
DAILY_WAIT = 3600.0  # an hour at a time (the worker's Retry-After bound) while a person's daily quota is used up
# DING's remindType: in-app, SMS, phone call.
REMIND_TYPES = {"app": 1, "sms": 2, "call": 3}


def _is_qps(exc: ApiError) -> bool:
    code = exc.code.lower()
    return exc.status == 429 or "qpslimit" in code or "throttl" in code or "ratelimit" in code


def _is_quota(exc: ApiError) -> bool:
    code, message = exc.code.lower(), exc.message.lower()
    return "quota" in code or "daylimit" in code or "dailylimit" in code or "上限" in exc.message or "quota" in message


def _is_duplicate(exc: ApiError) -> bool:
    return "duplicate" in exc.code.lower() or "重复" in exc.message


def delivery_error(exc: ApiError) -> DeliveryError:
    """How the worker treats a failed OpenAPI call (see the module docstring)."""
    what = f"DingTalk: {exc}"
    if _is_qps(exc):
        return DeliveryError(what, retry_after=QPS_WAIT)
    if _is_quota(exc):
        return DeliveryError(what, retry_after=DAILY_WAIT)
    if exc.status == 0:
        return DeliveryError(what, uncertain=exc.unanswered)
    if exc.status >= 500:
        return DeliveryError(what, uncertain=exc.unanswered or exc.status >= 500)
    if exc.status == 401:
        return DeliveryError(what)  # a token refused twice: the credentials changed; tried again later
    return DeliveryError(what, permanent=True)


class DingTalkNotifier:
    """Posts an outbox row to a staff id (the robot's 1:1 chat) or an openConversationId (a group).

    Never sleeps and never retries itself: a throttle becomes ``DeliveryError(retry_after=…)``.
    """

    min_interval = 1.0  # DingTalk's robot: about 20 messages a minute into one group; keep one a second

    def __init__(self, api: OpenApi, *, ding: str = "off") -> None:
        self.api = api
        self.ding = ding

    def send(self, recipient: str, text: str, blocks: list | None = None) -> str | None:
        msg_key, param = robot_message(text, blocks)
        try:
            if is_group(recipient):
                answer = self.api.send_to_group(recipient, msg_key, param)
            else:
                answer = self.api.send_to_users([recipient], msg_key, param)
        except ApiError as exc:
            if _is_duplicate(exc):
                log.info("DingTalk refused a duplicate of what is already in %s's chat: marked sent", recipient)
                return "duplicate"
            raise delivery_error(exc) from None
        if recipient in (answer.get("invalidStaffIdList") or []):
            raise DeliveryError(f"DingTalk: {recipient} is not a staff id of this organisation", permanent=True)
        if recipient in (answer.get("flowControlledStaffIdList") or []):
            raise DeliveryError(f"DingTalk: {recipient} is flow-controlled (their daily share of robot messages)",
                                retry_after=DAILY_WAIT)
        return str(answer.get("processQueryKey") or "") or None

    def send_ding(self, user_id: str, text: str) -> bool:
        """DING (钉一下) to one person as the DINGTALK_DING setting says; False when it is off or DingTalk
        could not DING them (``failedList``, no quota, no permission): the caller sends a message instead."""
        remind = REMIND_TYPES.get(self.ding)
        if remind is None:
            return False
        try:
            answer = self.api.ding([user_id], plain(text)[:500], remind)
        except ApiError as exc:
            log.warning("DING to %s failed (%s): sending a message instead", user_id, exc)
            return False
        failed = answer.get("failedList") or {}
        if user_id in failed or (isinstance(failed, list) and failed):
            log.warning("DING to %s was refused (%s): sending a message instead", user_id, failed)
            return False
        return True
