"""The Stream-mode connection: the official SDK's frames and acks, in a thread of its own with its own
asyncio loop, stopping cleanly.

What the SDK's own ``start()`` loop does not do, done here: the endpoint comes from the settings (the SDK
reads ``DINGTALK_OPENAPI_ENDPOINT`` once, at import); every (re)connection opens a fresh connection,
because a ticket is single-use; a ``disconnect`` frame (sent before the gateway closes) is acknowledged
and followed by a new connection at once; failures back off 1, 2, 4 … 30 s instead of a fixed 10 s; and
``stop()`` ends it from another thread. Work runs in a thread pool, and a push is acknowledged only after
it was handled, so a push whose process died is pushed again (and claimed once, see ``surface``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote_plus

import requests
import websockets
from dingtalk_stream import AckMessage, CallbackHandler, CallbackMessage, Credential, DingTalkStreamClient

from bot.dingtalk import BOT_TOPIC, CARD_TOPIC
from bot.dingtalk.api import TIMEOUT, OpenApi
from bot.dingtalk.surface import DingTalkSurface

log = logging.getLogger("guatu.dingtalk")

BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)


class _Handler(CallbackHandler):
    """One callback topic: the surface's work in the pool, the ack after it."""

    def __init__(self, runner: StreamRunner, topic: str) -> None:
        super().__init__()
        self.runner = runner
        self.topic = topic

    async def process(self, message: CallbackMessage) -> tuple[int, Any]:
        loop = asyncio.get_running_loop()
        frame_id = str(message.headers.message_id or "")
        data = message.data if isinstance(message.data, dict) else {}
        try:
            if self.topic == BOT_TOPIC:
                await loop.run_in_executor(self.runner.pool, self.runner.surface.on_message, data, frame_id)
                return AckMessage.STATUS_OK, "OK"
            response = await loop.run_in_executor(self.runner.pool, self.runner.surface.on_card, data, frame_id)
            return AckMessage.STATUS_OK, response
        except Exception:
            log.exception("DingTalk push %s on %s failed: not acknowledged, the gateway pushes it again", frame_id,
                          self.topic)
            return AckMessage.STATUS_SYSTEM_EXCEPTION, "error"


class _Client(DingTalkStreamClient):
    """The SDK's client with the endpoint and the token from Guatu's settings."""

    def __init__(self, api: OpenApi, client_secret: str) -> None:
        super().__init__(Credential(api.client_id, client_secret), logger=log)
        self.api = api
        self._secret = client_secret

    def open_connection(self) -> dict[str, Any] | None:
        body: dict[str, Any] = {"clientId": self.api.client_id, "clientSecret": self._secret,
                "subscriptions": [{"type": "CALLBACK", "topic": t} for t in self.callback_handler_map],
                "ua": "guatu", "localIp": ""}
        try:
            response = requests.post(self.api.endpoint + "/v1.0/gateway/connections/open", json=body, timeout=TIMEOUT)
            response.raise_for_status()
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("DingTalk: could not open a Stream connection: %s", exc)
            return None
        return answer if isinstance(answer, dict) and answer.get("endpoint") and answer.get("ticket") else None

    def get_access_token(self) -> str | None:
        return self.api.access_token()


class StreamRunner:
    """Holds one Stream connection open (reconnecting with a fresh ticket) until ``stop()``."""

    def __init__(self, surface: DingTalkSurface, api: OpenApi, client_secret: str, *, workers: int = 5) -> None:
        self.surface = surface
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="guatu-dingtalk")
        self.client = _Client(api, client_secret)
        for topic in (BOT_TOPIC, CARD_TOPIC):
            self.client.register_callback_handler(topic, _Handler(self, topic))
        self.connections = 0  # how many connections were opened (each with its own ticket)
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Runs the connection in a daemon thread of its own."""
        self._thread = threading.Thread(target=self._run, name="guatu-dingtalk-stream", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._main = loop.create_task(self._connect_forever())
            loop.run_until_complete(self._main)
        except asyncio.CancelledError:
            pass
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _connect_forever(self) -> None:
        failures = 0
        while not self._stop.is_set():
            loop = asyncio.get_running_loop()
            connection = await loop.run_in_executor(None, self.client.open_connection)
            if connection is None:
                await self._pause(BACKOFF[min(failures, len(BACKOFF) - 1)])
                failures += 1
                continue
            uri = f'{connection["endpoint"]}?ticket={quote_plus(connection["ticket"])}'
            try:
                async with websockets.connect(uri) as ws:
                    self.client.websocket = ws
                    self.connections += 1
                    self.connected.set()
                    failures = 0
                    log.info("DingTalk: Stream connection %s open", self.connections)
                    tasks: set[asyncio.Task[None]] = set()
                    async for raw in ws:
                        task = asyncio.create_task(self._route(raw))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
            except (OSError, websockets.exceptions.WebSocketException) as exc:
                if self._stop.is_set():
                    break
                log.warning("DingTalk: Stream connection lost (%s): reconnecting", exc)
                await self._pause(BACKOFF[min(failures, len(BACKOFF) - 1)])
                failures += 1
            finally:
                self.connected.clear()

    async def _route(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
            if message.get("type") == "SYSTEM" and (message.get("headers") or {}).get("topic") == "ping":
                await self._ack_system(message)
                return
            await self.client.background_task(message)  # routes, acks; closes the socket after ``disconnect``
        except Exception:
            log.exception("DingTalk: a pushed frame could not be handled")

    async def _ack_system(self, message: dict[str, Any]) -> None:
        headers = message.get("headers") or {}
        ack = {"code": 200, "headers": {"messageId": headers.get("messageId"), "contentType": "application/json"},
               "message": "OK", "data": message.get("data") or "{}"}
        if self.client.websocket is not None:
            await self.client.websocket.send(json.dumps(ack))

    async def _pause(self, seconds: float) -> None:
        for _ in range(int(seconds * 10)):
            if self._stop.is_set():
                return
            await asyncio.sleep(0.1)

    def stop(self, timeout: float = 10.0) -> None:
        """Closes the connection, lets the work in hand finish, ends the thread."""
        self._stop.set()
        loop, main = self._loop, self._main
        if loop is not None and main is not None and not loop.is_closed():
            ws = self.client.websocket
            if ws is not None:  # a normal close (1000), so the gateway stops pushing to this connection
                try:
                    asyncio.run_coroutine_threadsafe(ws.close(), loop).result(timeout)
                except Exception:
                    log.debug("DingTalk: closing the Stream connection failed", exc_info=True)
            with contextlib.suppress(RuntimeError):  # the loop may have ended by itself once the socket closed
                loop.call_soon_threadsafe(main.cancel)
        if self._thread is not None:
            self._thread.join(timeout)
        self.pool.shutdown(wait=True)
