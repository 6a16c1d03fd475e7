"""A fake DingTalk for end-to-end tests: its OpenAPI over HTTP and the Stream gateway over WebSocket.

``FakeDingTalk`` runs both on free ports in threads. The OpenAPI answers ``/v1.0/oauth2/accessToken``,
``/v1.0/gateway/connections/open`` (a fresh single-use ticket each time), the robot's 1:1 and group sends,
DING, interactive cards (create, deliver, createAndDeliver, update) and session webhooks, records every call,
and can be told to fail a path (status and DingTalk's error code) a number of times. The gateway accepts a
WebSocket only with an unused ticket, pushes frames in DingTalk's shapes (bot messages and card callbacks on
their callback topics, system ``ping`` and ``disconnect``), records the acks, can push one frame twice, can
lose an ack, and pushes again what was not acknowledged. Point the app at it with DINGTALK_OPENAPI_ENDPOINT.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

CLIENT_ID = "dingguatutest"
CLIENT_SECRET = "dingtalk-test-secret-never-logged"
ROBOT_CODE = "dingguatutest"
CORP = "dingcorp01"
ROBOT_USER = "$:LWCP_v1:$robot"
BOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"


@dataclass
class Call:
    """One OpenAPI request DingTalk received from us."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    def param(self) -> dict[str, Any]:
        """A robot message's ``msgParam``, decoded."""
        return json.loads(self.body.get("msgParam") or "{}")


@dataclass
class Pushed:
    """A frame the gateway pushed, and what became of it."""

    message_id: str
    frame: dict[str, Any]
    acks: list[dict[str, Any]] = field(default_factory=list)
    pushes: int = 0
    lose_acks: int = 0  # acks to pretend never arrived (the gateway then pushes it again)


class FakeDingTalk:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.tickets: dict[str, bool] = {}  # ticket -> used
        self.tokens: set[str] = set()
        self.refused_tickets = 0
        self.pushed: dict[str, Pushed] = {}
        self._failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        self._loop = asyncio.new_event_loop()
        self._ws_port = 0
        self._conns: list[ServerConnection] = []
        self._started = threading.Event()
        self._threads: list[threading.Thread] = []
        self.card_params: dict[str, dict[str, str]] = {}  # outTrackId -> current parameters
        self.answers: dict[str, dict[str, Any]] = {}  # path -> extra fields for its successful answers

    # ------------------------------------------------------------ life

    def start(self) -> FakeDingTalk:
        t1 = threading.Thread(target=self._http.serve_forever, name="fake-dingtalk-http", daemon=True)
        t2 = threading.Thread(target=self._run_ws, name="fake-dingtalk-ws", daemon=True)
        self._threads = [t1, t2]
        t1.start()
        t2.start()
        assert self._started.wait(5), "the fake gateway did not start"
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        for t in self._threads:
            t.join(5)

    def _run_ws(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def boot() -> None:
            server = await serve(self._connection, "127.0.0.1", 0)
            self._ws_port = next(iter(server.sockets)).getsockname()[1]
            self._started.set()

        self._loop.run_until_complete(boot())
        self._loop.run_forever()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.pushed.clear()
            self._failures.clear()
            self.card_params.clear()
            self.answers.clear()

    # ------------------------------------------------------------ OpenAPI

    def fail(self, path: str, *, status: int = 500, code: str = "", message: str = "", times: int = 1) -> None:
        """The next ``times`` calls to ``path`` fail with ``status`` and DingTalk's error body."""
        body = {"code": code, "message": message, "requestid": uuid.uuid4().hex} if code else {}
        with self._lock:
            self._failures.setdefault(path, []).extend([(status, body)] * times)

    def calls_to(self, path: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0,
                 where: Callable[[Call], bool] = lambda c: True) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [c for c in self.calls_to(path) if where(c)]
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"{path}: {len(self.calls_to(path))} call(s), wanted {count}; calls: "
                             f"{[c.path for c in self.calls]}")

    def webhook_url(self, key: str = "s") -> str:
        return f"{self.endpoint}/robot/sendBySession?session={key}"

    def said(self) -> list[str]:
        """Every text the robot sent, through session webhooks and the robot API, in order."""
        out = []
        for c in list(self.calls):
            if c.path == "/robot/sendBySession":
                body = c.body
                out.append(str((body.get("text") or {}).get("content") or (body.get("actionCard") or {}).get("text")
                               or (body.get("markdown") or {}).get("text") or ""))
            elif c.path in ("/v1.0/robot/oToMessages/batchSend", "/v1.0/robot/groupMessages/send"):
                p = c.param()
                out.append(str(p.get("content") or p.get("text") or ""))
        return out

    def _answer(self, method: str, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict]:
        with self._lock:
            self.calls.append(Call(method, path, headers, body))
            queue = self._failures.get(path)
            if queue:
                return queue.pop(0)
            extra = self.answers.get(path, {})
        if path == "/v1.0/oauth2/accessToken":
            if body.get("appKey") != CLIENT_ID or body.get("appSecret") != CLIENT_SECRET:
                return 400, {"code": "invalidClientIdOrSecret", "message": "无效的clientId或者clientSecret"}
            token = f"token-{next(self._ids)}"
            self.tokens.add(token)
            return 200, {"accessToken": token, "expireIn": 7200}
        if path == "/v1.0/gateway/connections/open":
            if body.get("clientId") != CLIENT_ID or body.get("clientSecret") != CLIENT_SECRET:
                return 401, {"code": "Unauthorized", "message": "bad credentials"}
            ticket = uuid.uuid4().hex
            self.tickets[ticket] = False
            return 200, {"endpoint": f"ws://127.0.0.1:{self._ws_port}/connect", "ticket": ticket}
        if path == "/robot/sendBySession":
            return 200, {"errcode": 0, "errmsg": "ok"}
        if headers.get("x-acs-dingtalk-access-token") not in self.tokens:
            return 401, {"code": "InvalidAuthentication", "message": "不合法的access_token"}
        if path == "/v1.0/robot/oToMessages/batchSend":
            return 200, {"processQueryKey": uuid.uuid4().hex, "invalidStaffIdList": [], "flowControlledStaffIdList": [],
                         **extra}
        if path == "/v1.0/robot/groupMessages/send":
            return 200, {"processQueryKey": uuid.uuid4().hex, **extra}
        if path == "/v1.0/robot/ding/send":
            return 200, {"openDingId": uuid.uuid4().hex, "failedList": {}, **extra}
        if path in ("/v1.0/card/instances", "/v1.0/card/instances/createAndDeliver"):
            track = str(body.get("outTrackId") or "")
            params = ((body.get("cardData") or {}).get("cardParamMap") or {})
            with self._lock:
                if method == "PUT" and track not in self.card_params:
                    return 404, {"code": "cardNotFound", "message": "卡片不存在"}
                self.card_params.setdefault(track, {}).update(params)
            return 200, {"success": True, "result": {"outTrackId": track}}
        if path == "/v1.0/card/instances/deliver":
            return 200, {"success": True, "result": [{"spaceId": body.get("openSpaceId"), "success": True}]}
        return 404, {"code": "notFound", "message": path}

    # ------------------------------------------------------------ the Stream gateway

    async def _connection(self, ws: ServerConnection) -> None:
        query = (ws.request.path if ws.request else "").partition("?ticket=")[2]
        with self._lock:
            fresh = self.tickets.get(query) is False
            if fresh:
                self.tickets[query] = True
        if not fresh:
            self.refused_tickets += 1
            await ws.close(4001, "ticket invalid or used")
            return
        self._conns.append(ws)
        try:
            async for raw in ws:  # ends quietly when the client closes, however it closes
                ack = json.loads(raw)
                mid = str((ack.get("headers") or {}).get("messageId") or "")
                with self._lock:
                    p = self.pushed.get(mid)
                    if p is None:
                        continue
                    if p.lose_acks > 0:
                        p.lose_acks -= 1
                        continue
                    p.acks.append(ack)
        except ConnectionClosed:
            pass
        finally:
            self._conns.remove(ws)

    @property
    def connections(self) -> int:
        return len(self._conns)

    def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self._conns) >= count and all(self.tickets.values()):
                return
            time.sleep(0.02)
        raise AssertionError(f"{len(self._conns)} Stream connection(s), wanted {count}")

    def _send(self, frame: dict[str, Any]) -> None:
        async def go() -> None:
            if not self._conns:
                raise AssertionError("no Stream connection to push to")
            await self._conns[-1].send(json.dumps(frame, ensure_ascii=False))

        asyncio.run_coroutine_threadsafe(go(), self._loop).result(5)

    def push(self, topic: str, data: dict[str, Any], *, twice: bool = False, lose_acks: int = 0,
             kind: str = "CALLBACK") -> Pushed:
        """Pushes ``data`` on ``topic`` (twice in a row with ``twice``); ``lose_acks`` acks are dropped."""
        mid = f"msg-{uuid.uuid4().hex[:12]}"
        frame = {"specVersion": "1.0", "type": kind,
                 "headers": {"appId": "app", "connectionId": "conn", "contentType": "application/json",
                             "messageId": mid, "time": str(int(time.time() * 1000)), "topic": topic},
                 "data": json.dumps(data, ensure_ascii=False)}
        p = Pushed(mid, frame, lose_acks=lose_acks)
        with self._lock:
            self.pushed[mid] = p
        for _ in range(2 if twice else 1):
            p.pushes += 1
            self._send(frame)
        return p

    def repush_unacked(self) -> int:
        """What the gateway does with frames nobody acknowledged: pushes them again."""
        with self._lock:
            waiting = [p for p in self.pushed.values() if not p.acks and p.frame["type"] != "SYSTEM"]
        for p in waiting:
            p.pushes += 1
            self._send(p.frame)
        return len(waiting)

    def wait_acked(self, p: Pushed, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if p.acks:
                return p.acks[0]
            time.sleep(0.02)
        raise AssertionError(f"frame {p.message_id} was never acknowledged")

    def ping(self) -> Pushed:
        return self.push("ping", {"opaque": uuid.uuid4().hex}, kind="SYSTEM")

    def disconnect(self) -> Pushed:
        """The gateway's notice that it will close this connection (the client should reconnect)."""
        return self.push("disconnect", {"reason": "gateway upgrade"}, kind="SYSTEM")

    # ------------------------------------------------------------ DingTalk's payloads

    def message(self, text: str, *, staff: str, nick: str = "", group: str | None = None,
                ats: tuple[tuple[str, str], ...] = (), webhook_valid: bool = True, msg_id: str | None = None,
                **push: Any) -> Pushed:
        """A bot message as DingTalk pushes it: 1:1, or in ``group`` (an openConversationId) with the robot
        @-ed; ``ats`` are (staffId, nick) of the others @-ed, whose names appear in ``text`` as ``@nick``."""
        now_ms = int(time.time() * 1000)
        at_users = [{"dingtalkId": f"$:LWCP_v1:${s}", "staffId": s} for s, _ in ats]
        if group:
            at_users.insert(0, {"dingtalkId": ROBOT_USER})
        data = {
            "conversationId": group or f"cid-1to1-{staff}", "conversationType": "2" if group else "1",
            "atUsers": at_users, "chatbotCorpId": CORP, "chatbotUserId": ROBOT_USER,
            "msgId": msg_id or f"msg{uuid.uuid4().hex[:20]}", "senderNick": nick or staff,
            "isAdmin": False, "senderStaffId": staff, "sessionWebhookExpiredTime": now_ms + (
                5_400_000 if webhook_valid else -1000),
            "createAt": now_ms, "senderCorpId": CORP, "conversationTitle": "数据共享专班群" if group else "",
            "isInAtList": True, "sessionWebhook": self.webhook_url(uuid.uuid4().hex[:8]),
            "text": {"content": (" " if group else "") + text}, "robotCode": ROBOT_CODE, "msgtype": "text",
            "senderId": f"$:LWCP_v1:${staff}",
        }
        return self.push(BOT_TOPIC, data, **push)

    def click(self, track: str, *, staff: str, verb: str, task: int | str, **push: Any) -> Pushed:
        """A card button, as the card callback topic carries it."""
        content = {"cardPrivateData": {"actionIds": [verb], "params": {"verb": verb, "task": str(task)}}}
        data = {"extension": "{}", "corpId": CORP, "userId": staff, "outTrackId": track, "type": "actionCallback",
                "spaceType": "IM", "spaceId": "space", "userIdType": 1, "content": json.dumps(content)}
        return self.push(CARD_TOPIC, data, **push)


def _handler(fake: FakeDingTalk) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self._do("POST")

        def do_PUT(self) -> None:
            self._do("PUT")

        def _do(self, method: str) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {}
            path = self.path.partition("?")[0]
            status, answer = fake._answer(method, path, {k.lower(): v for k, v in self.headers.items()}, body)
            data = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture(scope="module")
def dingtalk_fake() -> Iterator[FakeDingTalk]:
    server = FakeDingTalk().start()
    yield server
    server.stop()
