"""The wall screen's HTTP side: ``GET /screen/<token>`` (the page), ``…/events`` (server-sent events),
``…/fragment`` (the canvas's content) and ``/screen/static/…`` (its stylesheet and script).

Every answer is read-only and carries a strict Content-Security-Policy (nothing inline, nothing from
elsewhere), no caching and no referrer. A bad, expired or revoked token gets a 404 that shows nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from bot.settings import Settings
from bot.web.feed import Feed
from models import i18n, screen
from models.db import session_scope
from present import screen as html

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
STATIC = {"screen.css": "text/css; charset=utf-8", "screen.js": "text/javascript; charset=utf-8"}
KEEPALIVE_SECONDS = 15.0


def screen_path(token: str) -> str:
    return f"/screen/{token}"


def routes(engine: Engine, settings: Settings, feed: Feed | None = None) -> list[BaseRoute]:
    """The screen's routes, sharing one change feed (``feed``, or a new one) for the whole process."""
    feed = feed or Feed(engine, tz=settings.tz, default_lang=settings.lang)

    def lang_of(request: Request) -> str:
        asked = request.query_params.get("lang")
        return i18n.normalise_lang(asked if asked in ("zh", "en") else settings.lang)

    def lookup(token: str) -> screen.Grant | None:
        with session_scope(engine) as session:
            return screen.resolve(session, token, now=feed.clock())

    async def grant_of(request: Request) -> screen.Grant | None:
        return await run_in_threadpool(lookup, request.path_params["token"])

    def not_found(lang: str) -> Response:
        return HTMLResponse(html.gone(lang), status_code=404, headers=HEADERS)

    async def page(request: Request) -> Response:
        lang = lang_of(request)
        grant = await grant_of(request)
        if grant is None:
            return not_found(lang)
        try:
            body = await feed.body(grant, lang)
        except LookupError:
            return not_found(lang)
        base = screen_path(request.path_params["token"])
        query = f"?lang={lang}"
        doc = html.document(body, lang, events=base + "/events" + query, fragment=base + "/fragment" + query)
        return HTMLResponse(doc, headers=HEADERS)

    async def fragment(request: Request) -> Response:
        lang = lang_of(request)
        grant = await grant_of(request)
        if grant is None:
            return not_found(lang)
        try:
            return HTMLResponse(await feed.body(grant, lang), headers=HEADERS)
        except LookupError:
            return not_found(lang)

    async def events(request: Request) -> Response:
        lang = lang_of(request)
        grant = await grant_of(request)
        if grant is None:
            return not_found(lang)
        sub = feed.subscribe(grant, lang)

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 3000\n\n"
                try:
                    yield _event("screen", await feed.body(grant, lang))  # after a reconnect: what changed meanwhile
                except LookupError:
                    yield _event("gone", "")
                    return
                while True:
                    try:
                        item = await asyncio.wait_for(sub.queue.get(), timeout=KEEPALIVE_SECONDS)
                    except TimeoutError:
                        yield ": keep-alive\n\n"  # finds a dropped connection, keeps proxies from closing it
                        continue
                    if item is None:
                        yield _event("gone", "")
                        return
                    yield _event("screen", item)
            finally:
                feed.unsubscribe(sub)

        headers = {**HEADERS, "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Response(status_code=404, headers=HEADERS)
        data = (html.STATIC / name).read_bytes()
        return Response(data, media_type=STATIC[name], headers=HEADERS)

    return [
        Route("/screen/static/{name}", static, methods=["GET"]),
        Route("/screen/{token}", page, methods=["GET"]),
        Route("/screen/{token}/fragment", fragment, methods=["GET"]),
        Route("/screen/{token}/events", events, methods=["GET"]),
    ]


def _event(name: str, data: str) -> str:
    """One server-sent event; every line of the data gets its own ``data:`` field."""
    lines = "".join(f"data: {line}\n" for line in (data.splitlines() or [""]))
    return f"event: {name}\n{lines}\n"


def web_app(engine: Engine, settings: Settings, feed: Feed | None = None):
    """The HTTP app of console mode (no Slack): the wall screen and ``GET /healthz``."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(routes=[*routes(engine, settings, feed), Route("/healthz", healthz, methods=["GET"])])


def start_in_thread(engine: Engine, settings: Settings):
    """Runs the web server on HOST:PORT in a daemon thread (console mode); returns the uvicorn server."""
    import threading

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(web_app(engine, settings), host=settings.host, port=settings.port,
                                           log_config=None, log_level="warning", timeout_graceful_shutdown=3))
    thread = threading.Thread(target=server.run, name="guatu-web", daemon=True)
    thread.start()
    return server


i18n.register(
    {
        "cli.web_started": {"zh": "大屏：{url}/screen/<令牌>（用 /force screen 获取链接）",
                            "en": "wall screen: {url}/screen/<token> (/force screen gives a link)"},
        "cli.web_port_taken": {"zh": "大屏网页服务未启动：{host}:{port} 不可用（{why}）",
                               "en": "wall screen web server not started: {host}:{port} is unavailable ({why})"},
    }
)
