"""DingTalk's OpenAPI, the calls Guatu makes: an access token cached until it expires, the robot's 1:1 and
group sends, DING, interactive cards. Every failure becomes an ``ApiError`` the callers classify.

The SDK's own helpers read the endpoint at import and log failures instead of raising them; these calls
take the endpoint from the settings and raise, so the outbox can retry, back off or park.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

log = logging.getLogger("guatu.dingtalk")

TIMEOUT = (5.0, 15.0)  # connect, read: well within the outbox's claim lease
TOKEN_MARGIN = 300  # seconds: a token is renewed five minutes before DingTalk says it expires


class ApiError(Exception):
    """A failed OpenAPI call: HTTP ``status`` (0: no answer at all), DingTalk's ``code`` and message.
    ``sent`` is None when the request may have been carried out without our knowing (no answer)."""

    def __init__(self, status: int, code: str, message: str, *, unanswered: bool = False) -> None:
        super().__init__(f"HTTP {status} {code}: {message}".strip())
        self.status = status
        self.code = code
        self.message = message
        self.unanswered = unanswered


class OpenApi:
    """A small client for ``api.dingtalk.com`` (or ``DINGTALK_OPENAPI_ENDPOINT``); thread-safe."""

    def __init__(self, endpoint: str, client_id: str, client_secret: str, robot_code: str, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self.robot_code = robot_code
        self._clock = clock
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()
        self._http = requests.Session()

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------ token

    def access_token(self) -> str:
        """The app's access token, fetched once and reused until five minutes before it expires."""
        with self._lock:
            if self._token is not None and self._clock() < self._token[1]:
                return self._token[0]
            body = self._call("POST", "/v1.0/oauth2/accessToken", {"appKey": self.client_id, "appSecret": self._secret},
                              token=None)
            token, expires = str(body.get("accessToken") or ""), float(body.get("expireIn") or 7200)
            if not token:
                raise ApiError(200, "NoAccessToken", "the token answer holds no accessToken")
            self._token = (token, self._clock() + max(60.0, expires - TOKEN_MARGIN))
            return token

    def forget_token(self) -> None:
        with self._lock:
            self._token = None

    # ------------------------------------------------------------ calls

    def call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """An authenticated call; a token DingTalk no longer accepts is fetched again once."""
        try:
            return self._call(method, path, body, token=self.access_token())
        except ApiError as exc:
            if exc.status != 401 and "InvalidAuthentication" not in exc.code:
                raise
            self.forget_token()
            return self._call(method, path, body, token=self.access_token())

    def _call(self, method: str, path: str, body: dict[str, Any], *, token: str | None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token is not None:
            headers["x-acs-dingtalk-access-token"] = token
        try:
            response = self._http.request(method, self.endpoint + path, data=json.dumps(body), headers=headers,
                                          timeout=TIMEOUT)
        except requests.ConnectionError as exc:
            # Refused while connecting: DingTalk never had the request. "Connection aborted" is a cut
            # while waiting for the answer: it may have been carried out.
            raise ApiError(0, "Unreachable", type(exc).__name__, unanswered="aborted" in str(exc)) from None
        except requests.Timeout as exc:
            raise ApiError(0, "Timeout", type(exc).__name__, unanswered=isinstance(exc, requests.ReadTimeout)) from None
        try:
            data = response.json() if response.content else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if response.status_code >= 400:
            raise ApiError(response.status_code, str(data.get("code") or ""), str(data.get("message") or ""),
                           unanswered=response.status_code >= 500 and not data.get("code"))
        return data

    def webhook(self, url: str, body: dict[str, Any]) -> None:
        """Posts to a message's sessionWebhook (valid until its ``sessionWebhookExpiredTime``)."""
        try:
            response = self._http.post(url, data=json.dumps(body), headers={"Content-Type": "application/json"},
                                       timeout=TIMEOUT)
            data = response.json() if response.content else {}
        except (requests.RequestException, ValueError) as exc:
            raise ApiError(0, "Webhook", type(exc).__name__) from None
        errcode = data.get("errcode", 0) if isinstance(data, dict) else 0
        if response.status_code >= 400 or errcode:
            raise ApiError(response.status_code, str(errcode), str(data.get("errmsg") if isinstance(data, dict) else ""))

    # ------------------------------------------------------------ robot messages

    def send_to_users(self, user_ids: list[str], msg_key: str, param: dict[str, Any]) -> dict[str, Any]:
        """The robot's 1:1 message (``oToMessages/batchSend``): answers invalid and flow-controlled staff ids."""
        return self.call("POST", "/v1.0/robot/oToMessages/batchSend", {
            "robotCode": self.robot_code, "userIds": user_ids, "msgKey": msg_key,
            "msgParam": json.dumps(param, ensure_ascii=False)})

    def send_to_group(self, open_conversation_id: str, msg_key: str, param: dict[str, Any]) -> dict[str, Any]:
        """The robot's group message (``groupMessages/send``) into a group it is in."""
        return self.call("POST", "/v1.0/robot/groupMessages/send", {
            "robotCode": self.robot_code, "openConversationId": open_conversation_id, "msgKey": msg_key,
            "msgParam": json.dumps(param, ensure_ascii=False)})

    def ding(self, user_ids: list[str], content: str, remind_type: int) -> dict[str, Any]:
        """DING (``robot/ding/send``): 1 in-app, 2 SMS, 3 phone call; answers ``failedList`` per user."""
        return self.call("POST", "/v1.0/robot/ding/send", {
            "robotCode": self.robot_code, "remindType": remind_type, "receiverUserIdList": user_ids,
            "content": content})

    # ------------------------------------------------------------ interactive cards

    def deliver_card(self, out_track_id: str, template_id: str, params: dict[str, str], *, user_id: str | None = None,
                     group_id: str | None = None) -> dict[str, Any]:
        """Creates an interactive card and delivers it to a 1:1 chat with the robot or a group; its buttons
        come back on the Stream card callback topic."""
        body: dict[str, Any] = {
            "cardTemplateId": template_id, "outTrackId": out_track_id, "callbackType": "STREAM",
            "cardData": {"cardParamMap": params},
        }
        if group_id is not None:
            body["openSpaceId"] = f"dtv1.card//IM_GROUP.{group_id}"
            body["imGroupOpenSpaceModel"] = {"supportForward": False}
            body["imGroupOpenDeliverModel"] = {"robotCode": self.robot_code}
        else:
            body["openSpaceId"] = f"dtv1.card//IM_ROBOT.{user_id}"
            body["imRobotOpenSpaceModel"] = {"supportForward": False}
            body["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT", "robotCode": self.robot_code}
        return self.call("POST", "/v1.0/card/instances/createAndDeliver", body)

    def update_card(self, out_track_id: str, params: dict[str, str]) -> dict[str, Any]:
        """Redraws a delivered card in place with new parameters."""
        return self.call("PUT", "/v1.0/card/instances", {
            "outTrackId": out_track_id, "cardData": {"cardParamMap": params},
            "cardUpdateOptions": {"updateCardDataByKey": True}})
