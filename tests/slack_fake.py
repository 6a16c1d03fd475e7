"""A fake Slack for end-to-end tests: its Web API, response URLs and file uploads, and a user agent.

``FakeSlack`` (modelled on bolt-python's ``tests/mock_web_api_server``) runs on a free port in a
thread, records every call (method, headers, body) and answers like Slack does; failures (429 with
Retry-After, 500, ``ok: false`` errors), slowness and lost answers (the call is carried out, then the
connection is closed unanswered) can be programmed per method. What ``chat.postMessage`` posted, with its
metadata, is kept per conversation and read back by ``conversations.history``.

``Harness`` runs *our* app (the real Starlette + bolt stack) on another free port with its Web API
pointed at the fake, and sends it signed requests in Slack's real payload shapes. Beside it, as in
production, a worker thread publishes the App Homes that changes queued (``models.homequeue``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import httpx
import pytest
import uvicorn
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.dispatch import Service
from bot.settings import Settings
from bot.slack.notifier import SlackNotifier
from bot.slack.server import build, create_asgi
from jobs.deliver import deliver
from models import homequeue
from models.db import utcnow
from models.tables import Task
from tests.conftest import TZ, _wipe, at

TOKEN = "xoxb-test-0000-guatu-secret-token"
SECRET = "test-signing-secret-never-logged"
BOT_USER = "UBOT"
NOW = at("2026-11-23 10:00")  # a Monday


# ---------------------------------------------------------------- the fake Web API


@dataclass
class Call:
    """One request Slack received from us."""

    method: str  # "chat.postMessage", … or "response_url" / "upload"
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    def json(self, name: str) -> Any:
        """A field that form-encoded calls carry as a JSON string (view, blocks)."""
        value = self.body.get(name)
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class _Failure:
    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    """Slack's Web API as far as Guatu uses it, on 127.0.0.1 and a free port."""

    def __init__(self, port: int = 0) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._delays: dict[str, float] = {}
        self._drops: dict[str, int] = {}
        # Per conversation (a user id's posts land in their DM "D<user>"), oldest first.
        self.history: dict[str, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str = "cmd") -> str:
        return f"http://127.0.0.1:{self.port}/response/{key}"

    # -- programming

    def reset(self) -> None:
        with self._cond:
            self.calls.clear()
            self._failures.clear()
            self._delays.clear()
            self._drops.clear()
            self.history.clear()
            self.users.clear()

    def fail(self, method: str, *, status: int = 500, error: str | None = None, retry_after: int | None = None,
             times: int = 1) -> None:
        """The next ``times`` calls of ``method`` fail: HTTP ``status``, or ``ok: false`` with ``error``."""
        body: dict[str, Any] | str = {"ok": False, "error": error} if error else "Internal Server Error"
        if status == 429:
            body = {"ok": False, "error": "ratelimited"}
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self._cond:
            self._failures.setdefault(method, []).extend(_Failure(status, body, headers) for _ in range(times))

    def delay(self, method: str, seconds: float) -> None:
        self._delays[method] = seconds

    def drop(self, method: str, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` are carried out, then the connection is closed unanswered."""
        with self._cond:
            self._drops[method] = self._drops.get(method, 0) + times

    def _dropping(self, method: str) -> bool:
        with self._cond:
            if self._drops.get(method):
                self._drops[method] -= 1
                return True
            return False

    def posted(self, conversation: str) -> list[dict[str, Any]]:
        """What chat.postMessage put in ``conversation`` (a channel id, or a user id for their DM)."""
        with self._cond:
            return list(self.history.get(_conversation(conversation), []))

    # -- reading

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0,
                 where: Callable[[Call], bool] = lambda call: True) -> list[Call]:
        """The calls of ``method`` (matching ``where``) once there are ``count``; fails after ``timeout``."""
        end = time.monotonic() + timeout
        with self._cond:
            while len(found := [c for c in self.calls if c.method == method and where(c)]) < count:
                left = end - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"expected {count} call(s) to {method}; Slack saw {seen}")
                self._cond.wait(left)
            return found

    def quiet(self, period: float = 0.3, timeout: float = 5.0) -> None:
        """Waits until no call arrived for ``period`` seconds (before asserting that something did not happen)."""
        end = time.monotonic() + timeout
        seen = -1
        while time.monotonic() < end:
            with self._cond:
                n = len(self.calls)
            if n == seen:
                return
            seen = n
            time.sleep(period)

    # -- answering

    def _record(self, call: Call) -> _Failure | None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()
            queue = self._failures.get(call.method)
            return queue.pop(0) if queue else None

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        n = next(self._ids)
        if method == "auth.test":
            return {"ok": True, "url": "https://gov.slack.com/", "team": "浙江省", "user": "guatu", "team_id": "T1",
                    "user_id": BOT_USER, "bot_id": "BGUATU"}
        if method == "users.list":
            # Slack's cursor paging: next_cursor names the next page, empty on the last.
            limit = int(body.get("limit") or 100)
            start = int(body.get("cursor") or 0)
            everyone = list(self.users.values())
            page = everyone[start:start + limit]
            more = start + limit < len(everyone)
            return {"ok": True, "members": page, "response_metadata": {"next_cursor": str(start + limit) if more else ""}}
        if method == "users.info":
            user = body.get("user", "")
            return {"ok": True, "user": self.users.get(user) or default_user(user)}
        if method == "chat.postMessage":
            # Real seconds, like Slack's: conversations.history's ``oldest`` is compared with them.
            ts = f"{int(time.time())}.{n:06d}"
            message = {"type": "message", "ts": ts, "text": body.get("text"), "bot_id": "BGUATU"}
            if body.get("metadata"):
                message["metadata"] = body["metadata"]
            with self._cond:
                self.history.setdefault(_conversation(str(body.get("channel"))), []).append(message)
            return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": message}
        if method == "conversations.history":
            return self._history(body)
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{n:06d}"}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            view = body.get("view")
            view = json.loads(view) if isinstance(view, str) else view or {}
            return {"ok": True, "view": {**view, "id": f"V{n:05d}"}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(body.get("users", "")).split(",")[0]}}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/F{n}", "file_id": f"F{n}"}
        if method == "files.completeUploadExternal":
            files = body.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}
        return {"ok": True}


    def _history(self, body: dict[str, Any]) -> dict[str, Any]:
        """Newest first, from ``oldest`` on, ``limit`` a page, metadata only with include_all_metadata."""
        with self._cond:
            found = [m for m in self.history.get(str(body.get("channel")), [])
                     if float(m["ts"]) >= float(body.get("oldest") or 0)][::-1]
        start, limit = int(body.get("cursor") or 0), int(body.get("limit") or 100)
        with_meta = str(body.get("include_all_metadata")).lower() in ("true", "1")
        page = [m if with_meta else {k: v for k, v in m.items() if k != "metadata"} for m in found[start:start + limit]]
        more = start + limit < len(found)
        return {"ok": True, "messages": page, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}


def _conversation(channel: str) -> str:
    """Where a post lands: a user id means the DM with the bot (as conversations.open answers)."""
    return "D" + channel if channel.startswith(("U", "W")) else channel


def default_user(user_id: str, *, locale: str = "zh-CN", name: str | None = None) -> dict[str, Any]:
    """A users.info user object as Slack returns it (``include_locale=true``)."""
    return {"id": user_id, "team_id": "T1", "name": user_id.lower(), "real_name": name or f"用户{user_id}",
            "tz": "Asia/Shanghai", "tz_offset": 28800, "locale": locale,
            "profile": {"real_name": name or f"用户{user_id}", "display_name": user_id.lower()}}


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.do_POST()

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            path, _, query = self.path.partition("?")
            kind, _, rest = path.lstrip("/").partition("/")
            method = {"api": rest, "response": "response_url", "upload": "upload"}.get(kind, path)
            if kind == "upload":  # the file itself, whatever content type urllib gave it
                body: dict[str, Any] = {"bytes": len(raw)}
            else:
                body = {**dict(parse_qsl(query)), **_parse(raw, headers.get("content-type", ""))}
            failure = fake._record(Call(method, self.path, headers, body))
            time.sleep(fake._delays.get(method, 0))
            if failure is not None:
                return self._send(failure.status, failure.body, failure.headers)
            if kind != "api":
                return self._send(200, "ok")
            if not headers.get("authorization", "").startswith("Bearer xoxb-"):
                return self._send(200, {"ok": False, "error": "not_authed"})
            answer = fake._answer(method, body)
            if fake._dropping(method):  # done, but the answer is lost: the caller cannot know
                self.close_connection = True
                return
            self._send(200, answer)

        def _send(self, status: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None) -> None:
            data = (json.dumps(body) if isinstance(body, dict) else body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8" if isinstance(body, dict) else "text/plain")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            try:
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the caller gave up waiting (a client timeout under test)

    return Handler


def _parse(raw: bytes, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        return json.loads(raw or b"{}")
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(raw.decode()))
    return {"bytes": len(raw)}


# ---------------------------------------------------------------- Slack's side of our app


def sign(body: bytes, timestamp: int, secret: str = SECRET) -> str:
    """Slack's v0 request signature: HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    digest = hmac.new(secret.encode(), b"v0:" + str(timestamp).encode() + b":" + body, hashlib.sha256).hexdigest()
    return "v0=" + digest


class _Uvicorn(threading.Thread):
    def __init__(self, asgi: Any) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket()
        # uvicorn sets no TCP_NODELAY on a socket it is handed: without it each answer waits ~40 ms for a delayed ACK.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(asgi, log_config=None, lifespan="off"))

    def run(self) -> None:
        self.server.run(sockets=[self.sock])

    def start_and_wait(self) -> None:
        self.start()
        end = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > end:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.join(5)


class _TrackedPool(ThreadPoolExecutor):
    """Bolt's listener pool, counting work in flight: a test can wait for what follows an acknowledgement."""

    def __init__(self) -> None:
        super().__init__(max_workers=32, thread_name_prefix="guatu-listener")
        self._busy = 0
        self._cond = threading.Condition()

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        with self._cond:
            self._busy += 1

        def tracked():
            try:
                return fn(*args, **kwargs)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

        return super().submit(tracked)

    def idle(self, timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._busy == 0, timeout)


class _HomeWorker(threading.Thread):
    """The worker's part that publishes queued App Homes, polling every few milliseconds (``guatu worker`` does
    it in each delivery run)."""

    def __init__(self, engine: Engine, publisher: SlackNotifier) -> None:
        super().__init__(name="test-home-worker", daemon=True)
        self.engine, self.publisher = engine, publisher
        self._halt = threading.Event()
        self._busy = threading.Lock()
        self.start()

    def run(self) -> None:
        while not self._halt.wait(0.01):
            # A wiped table mid-claim, a test's fault injection: the next round goes on.
            with self._busy, contextlib.suppress(Exception):
                homequeue.publish(self.engine, self.publisher, now=NOW)

    def idle(self, timeout: float = 10.0) -> bool:
        """Nothing queued, nothing being published (a publish failed for good counts as done)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._busy:
                if homequeue.pending(self.engine, ready_at=utcnow()) == 0:
                    return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        self._halt.set()
        self.join(5)


class Harness:
    """Our real app on a free port, its Web API at ``fake``, driven with signed requests."""

    def __init__(self, engine: Engine, fake: FakeSlack, *, lang: str = "zh") -> None:
        self.engine = engine
        self.fake = fake
        self.settings = Settings(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.api_url.rstrip("/"),
                                 GUATU_LANG=lang, GUATU_SCHEDULER="off", _env_file=None)
        self.service = Service(engine, tz=TZ, default_lang=lang, clock=lambda: NOW)
        self.slack = build(self.settings, self.service)
        self.surface = self.slack.surface
        self.listeners = _TrackedPool()
        self.slack.app.listener_runner.listener_executor = self.listeners
        self.server = _Uvicorn(create_asgi(self.slack.app, engine, signing_secret=self.slack.signing_secret))
        self.server.start_and_wait()
        self.homes = _HomeWorker(engine, SlackNotifier(self.settings))
        self.url = f"http://127.0.0.1:{self.server.port}"
        self.http = httpx.Client(base_url=self.url, timeout=15)
        self._ids = itertools.count(1)

    def close(self) -> None:
        self.http.close()
        self.server.stop()
        self.homes.close()
        self.slack.close()

    def reset(self) -> None:
        """A clean slate between tests: empty database, no recorded calls, no cached profiles."""
        self.settle()
        _wipe(self.engine)
        self.fake.reset()
        self.surface.people.clear()

    def settle(self) -> None:
        """Waits for work that goes on after the acknowledgement (late answers, home publishing)."""
        end = time.monotonic() + 15
        while time.monotonic() < end:
            if self.listeners.idle() and self.homes.idle() and self.listeners.idle(0):
                return
        raise AssertionError("work after the acknowledgement did not finish")

    # -- raw

    def post(self, body: bytes, content_type: str, *, signed: bool = True, timestamp: int | None = None,
             secret: str = SECRET, headers: dict[str, str] | None = None) -> httpx.Response:
        ts = int(time.time()) if timestamp is None else timestamp
        h = {"Content-Type": content_type, **(headers or {})}
        if signed:
            h |= {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sign(body, ts, secret)}
        return self.http.post("/slack/events", content=body, headers=h)

    # -- Slack's payloads

    def command(self, text: str, *, command: str = "/task", user: str = "U1", team: str = "T1", channel: str = "C1",
                **kw: Any) -> httpx.Response:
        """A slash command, form-encoded as Slack sends it."""
        n = next(self._ids)
        form = {"token": "legacy-verification-token", "team_id": team, "team_domain": team.lower(), "channel_id": channel,
                "channel_name": "zhuanban", "user_id": user, "user_name": user.lower(), "command": command, "text": text,
                "api_app_id": "AGUATU", "is_enterprise_install": "false",
                "response_url": self.fake.response_url(f"cmd{n}"), "trigger_id": f"{n}.1.trigger"}
        return self.post(urlencode(form).encode(), "application/x-www-form-urlencoded", **kw)

    def payload(self, data: dict[str, Any], **kw: Any) -> httpx.Response:
        """Interactivity: ``payload=<json>``, form-encoded."""
        return self.post(("payload=" + quote(json.dumps(data))).encode(), "application/x-www-form-urlencoded", **kw)

    def click(self, action_id: str, value: str, *, user: str = "U1", team: str = "T1", where: str = "ephemeral",
              overflow: bool = False) -> httpx.Response:
        """A block_actions payload: a button (or overflow choice) on an ephemeral card, a channel message, the
        user's direct messages with the bot (``where="dm"``: a message the outbox delivered) or App Home."""
        n = next(self._ids)
        action: dict[str, Any] = {"action_id": action_id, "block_id": f"b{n}", "action_ts": f"1700000000.{n}"}
        if overflow:
            action |= {"type": "overflow", "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value}}
        else:
            action |= {"type": "button", "value": value, "text": {"type": "plain_text", "text": "x", "emoji": True}}
        data: dict[str, Any] = {
            "type": "block_actions", "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
            "api_app_id": "AGUATU", "token": "legacy-verification-token", "trigger_id": f"{n}.2.trigger",
            "team": {"id": team, "domain": team.lower()}, "enterprise": None, "is_enterprise_install": False,
            "actions": [action], "state": {"values": {}},
        }
        if where == "home":
            data |= {"container": {"type": "view", "view_id": "VHOME"},
                     "view": {"id": "VHOME", "team_id": team, "type": "home", "blocks": [], "callback_id": ""}}
        else:
            channel = {"id": f"D{user}", "name": "directmessage"} if where == "dm" else {"id": "C1", "name": "zhuanban"}
            data |= {"container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": channel["id"],
                                   "is_ephemeral": where == "ephemeral"},
                     "channel": channel, "response_url": self.fake.response_url(f"act{n}")}
        return self.payload(data)

    def submit(self, view: dict[str, Any], values: dict[str, str], *, user: str = "U1", team: str = "T1") -> httpx.Response:
        """A view_submission of ``view`` (as our app opened it) with ``values`` typed into its inputs."""
        state: dict[str, dict[str, Any]] = {}
        for block in view["blocks"]:
            if block.get("type") != "input" or block["block_id"] not in values:
                continue
            element, value = block["element"], values[block["block_id"]]
            typed: dict[str, Any] = {"type": element["type"]}
            if element["type"] == "users_select":
                typed["selected_user"] = value
            elif element["type"] == "static_select":
                typed["selected_option"] = {"text": {"type": "plain_text", "text": value}, "value": value}
            else:
                typed["value"] = value
            state[block["block_id"]] = {element["action_id"]: typed}
        n = next(self._ids)
        submitted = {**view, "id": f"V{n}", "team_id": team, "state": {"values": state}, "hash": f"{n}.hash",
                     "root_view_id": f"V{n}", "app_id": "AGUATU", "bot_id": "BGUATU"}
        data = {"type": "view_submission", "team": {"id": team, "domain": team.lower()},
                "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
                "api_app_id": "AGUATU", "token": "legacy-verification-token", "trigger_id": f"{n}.3.trigger",
                "view": submitted, "response_urls": [], "is_enterprise_install": False}
        return self.payload(data)

    def event(self, event: dict[str, Any], *, event_id: str, team: str = "T1", retry: int | None = None) -> httpx.Response:
        """An Events API event_callback; ``retry`` sets X-Slack-Retry-Num as Slack's retries do."""
        data = {"token": "legacy-verification-token", "team_id": team, "api_app_id": "AGUATU", "event": event,
                "type": "event_callback", "event_id": event_id, "event_time": 1700000000,
                "authorizations": [{"enterprise_id": None, "team_id": team, "user_id": BOT_USER, "is_bot": True,
                                    "is_enterprise_install": False}],
                "is_ext_shared_channel": False, "event_context": f"ctx-{event_id}"}
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        # Slack signs each delivery when it sends it: a retry goes out later, so its timestamp and signature differ
        # (the edge drops a byte-identical request as a replay).
        timestamp = int(time.time()) + (retry or 0)
        return self.post(json.dumps(data).encode(), "application/json", headers=headers, timestamp=timestamp)

    def home_opened(self, user: str = "U1", *, team: str = "T1", event_id: str = "Ev1", retry: int | None = None):
        event = {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home",
                 "event_ts": "1700000000.000100"}
        return self.event(event, event_id=event_id, team=team, retry=retry)

    # -- the database and a small world

    def count(self, model: type, *where: Any) -> int:
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(model).where(*where)).one()

    def task(self, task_id: int) -> Task:
        with Session(self.engine) as session:
            return session.get(Task, task_id)

    def world(self) -> None:
        """U1 (first contact: admin) leads 数据共享专班 in C1 with member U2, who owns task #1 due 12-31."""
        # zhang's Slack profile names them zhang: a mention is looked up, and the profile's name wins.
        self.fake.users.setdefault("U2", default_user("U2", name="zhang"))
        for text, command in (("new 数据共享专班", "/force"), ("add <@U2|zhang>", "/force"),
                              ("add 编制数据目录 <@U2|zhang> due:12-31", "/task")):
            reply = self.command(text, command=command)
            assert reply.status_code == 200 and "⚠️" not in reply.text, reply.text
        self.settle()
        self.fake.reset()

    def deliver(self) -> None:
        """Sends what the outbox holds through the real Slack notifier, unpaced, as the delivery worker would."""
        notifier = SlackNotifier(self.settings)
        notifier.min_interval = 0.0  # the worker's 1 s per recipient would hold back a second message
        deliver(self.engine, notifier, now=NOW + timedelta(minutes=1))

    # -- what came back

    def direct_messages(self, user: str) -> list[dict[str, Any]]:
        """The messages the bot posted to ``user`` (chat.postMessage to their user id), oldest first."""
        return [c.body for c in self.fake.calls_to("chat.postMessage") if c.body.get("channel") == user]

    def opened_view(self, index: int = -1) -> dict[str, Any]:
        """The last modal our app opened (views.open), as Slack received it."""
        return self.fake.wait_for("views.open")[index].json("view")

    def published_home(self, user: str = "U1", count: int = 1) -> dict[str, Any]:
        """The home last published for ``user``, once ``count`` were."""
        return self.fake.wait_for("views.publish", count, where=lambda c: c.body.get("user_id") == user)[-1].json("view")


# ---------------------------------------------------------------- fixtures (import them into a test module)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    """One fake Slack per test module."""
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def harness(request: pytest.FixtureRequest, fake: FakeSlack) -> Iterator[Harness]:
    """One running app per test module and database; tests share it and reset it."""
    engine = request.getfixturevalue("pg_engine" if request.param == "postgres" else "sqlite_engine")
    h = Harness(engine, fake)
    yield h
    h.close()


@pytest.fixture
def slack(harness: Harness) -> Harness:
    """The running app with an empty database and a fake Slack that has seen nothing yet."""
    harness.reset()
    return harness
