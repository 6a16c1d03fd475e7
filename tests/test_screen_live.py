"""The wall screen live: the real app over HTTP (uvicorn), server-sent events, and Debian's Chromium through
Playwright — the page shows the chat's counts, a command changes it within 5 s without a reload, it survives a
server restart, and a revoked link goes dark. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn

from bot.console import CONSOLE_TEAM
from bot.dispatch import Caller, Reply, Service
from bot.seed import seed_demo
from bot.settings import Settings
from bot.web.feed import Feed
from bot.web.screen import web_app
from models.db import make_engine
from models.migrate import upgrade
from tests.conftest import TZ

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
FORCE = "数据共享工作专班"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Live:
    """A seeded demo database and the real web app on a free port (stoppable and startable again)."""

    def __init__(self, tmp: Path) -> None:
        self.engine = make_engine(f"sqlite:///{tmp / 'guatu.db'}")
        upgrade(self.engine)
        seed_demo(self.engine, tz=TZ)
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.service = Service(self.engine, tz=TZ, public_url=self.base)
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        settings = Settings(_env_file=None, PORT=self.port)
        app = web_app(self.engine, settings, Feed(self.engine, tz=TZ, poll=0.3))
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                                    log_level="warning", timeout_graceful_shutdown=1))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        end = time.monotonic() + 15
        while time.monotonic() < end:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("the web app did not come up")

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(10)
            self.server = self.thread = None

    def say(self, user: str, line: str) -> Reply:
        command, _, rest = line.partition(" ")
        reply = self.service.handle(Caller(CONSOLE_TEAM, user, "C-console"), command, rest,
                                    now=datetime.now(UTC))
        assert reply.ok, reply.text
        return reply

    def link(self, user: str = "linfang", line: str = "/force screen") -> str:
        m = re.search(r"(http://\S+/screen/[A-Za-z0-9_\-]+)", self.say(user, line).text)
        assert m
        return m.group(1)

    def counts(self, who: str = "linfang") -> dict[str, int]:
        text = self.say(who, f"/task list force:{FORCE}").text
        m = re.search(r"🔴(\d+)\s+🟡(\d+)\s+🟢(\d+)\s+⚪(\d+)", text)
        assert m, text
        return dict(zip(("red", "yellow", "green", "grey"), map(int, m.groups()), strict=True))


@pytest.fixture
def live(tmp_path) -> Iterator[Live]:
    app = Live(tmp_path)
    app.start()
    yield app
    app.stop()
    app.engine.dispose()


def test_a_progress_report_reaches_an_open_event_stream_within_five_seconds(live) -> None:
    url = live.link() + "/events"
    with httpx.stream("GET", url, timeout=10) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        assert "default-src 'self'" in r.headers["content-security-policy"]
        lines = r.iter_lines()
        first = _next_event(lines, time.monotonic() + 5)
        assert first[0] == "screen" and FORCE in first[1] and "97%" not in first[1]
        threading.Thread(target=live.say, args=("zhangwei", "/task progress 3 97% 终稿校对")).start()
        started = time.monotonic()
        while True:
            name, data = _next_event(lines, started + 5)
            if "97%" in data:
                break
        assert name == "screen" and "终稿校对" in data and time.monotonic() - started < 5


def _next_event(lines: Iterator[str], deadline: float) -> tuple[str, str]:
    name, data = "", []
    for line in lines:
        assert time.monotonic() < deadline, "no event in time"
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and name:
            return name, "\n".join(data)
    raise AssertionError("the stream ended")


# ---------------------------------------------------------------- in a real browser

chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM) and os.environ.get("GUATU_CI") != "1",
                              reason="Debian's chromium is not installed (apt-get install chromium; CI installs it)")


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def _page(browser, url: str):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    return page, errors


def _shown(page) -> dict[str, int]:
    return {c: int(page.text_content(f"#canvas .count.{c} .n") or "-1") for c in ("red", "yellow", "green", "grey")}


def _save(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


@pytest.mark.browser
@chromium
def test_the_force_screen_shows_the_chat_counts_and_a_command_changes_it_without_a_reload(live, browser) -> None:
    page, errors = _page(browser, live.link())
    assert _shown(page) == live.counts()
    assert page.locator("#canvas svg rect.bar").count() == sum(live.counts().values())
    page.evaluate("window.__noReload = 1")
    before = page.get_attribute('#canvas rect.bar[data-task="3"]', "data-light")
    assert before == "yellow"
    _save(page, "screen-force.png")
    live.say("zhangwei", "/task progress 3 96% 提交审议")
    page.locator("#canvas", has_text="96%").wait_for(timeout=5000)
    live.say("zhangwei", "/task done 3 目录已定稿")  # a member reports done: the bar turns from yellow to green
    page.wait_for_selector('#canvas rect.bar[data-task="3"][data-light="green"]', timeout=5000)
    assert page.evaluate("window.__noReload") == 1  # the same page, updated in place
    assert _shown(page) == live.counts()
    assert page.evaluate("getComputedStyle(document.querySelector('#canvas')).transform") != "none"  # scaled
    assert errors == []
    _save(page, "screen-force-updated.png")


@pytest.mark.browser
@chromium
def test_the_screen_reconnects_by_itself_after_a_server_restart(live, browser) -> None:
    page, _errors = _page(browser, live.link())
    page.evaluate("window.__noReload = 1")
    live.stop()
    live.say("zhangwei", "/task progress 3 93% 停机期间的进展")  # made while the server was down
    live.start()
    page.locator("#canvas", has_text="93%").wait_for(timeout=10000)
    assert page.evaluate("window.__noReload") == 1


@pytest.mark.browser
@chromium
def test_a_revoked_link_goes_dark_and_then_shows_nothing(live, browser) -> None:
    url = live.link()
    page, _errors = _page(browser, url)
    assert FORCE in (page.text_content("#canvas") or "")
    live.say("linfang", "/force screen revoke")
    page.wait_for_selector("body.gone", timeout=5000)
    assert (page.text_content("#canvas") or "") == ""
    again = page.goto(url)
    assert again is not None and again.status == 404
    assert FORCE not in page.content() and "红灯" not in page.content()
    _save(page, "screen-revoked.png")


@pytest.mark.browser
@chromium
def test_the_province_overview_shows_every_force_in_english_too(live, browser) -> None:
    page, errors = _page(browser, live.link("chenjun", "/guatu screen") + "?lang=en")
    assert _shown(page) == live.counts()
    assert page.locator("#canvas .tile").count() == 1 and page.locator("#canvas .tile.focus").count() == 1
    assert "All task forces" in (page.text_content("h1") or "")
    assert errors == []
    _save(page, "screen-province.png")


def test_console_mode_serve_answers_force_screen_with_a_link_that_opens(tmp_path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(root), "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}", "PORT": str(port),
           "GUATU_SCHEDULER": "off", "GUATU_CONSOLE_USER": "linfang"}
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "GUATU_PUBLIC_URL"):
        env.pop(name, None)
    subprocess.run([sys.executable, "-m", "bot.cli", "seed", "--demo"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=tmp_path, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("/force screen\n")
        proc.stdin.flush()
        link = None
        for line in proc.stdout:
            m = re.search(r"(http://127\.0\.0\.1:\d+/screen/[A-Za-z0-9_\-]+)", line)
            if m:
                link = m.group(1)
                break
        assert link is not None and f":{port}/screen/" in link
        # The console answers as soon as it reads stdin; the web server thread may still be binding.
        for _ in range(100):
            try:
                r = httpx.get(link, timeout=10)
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        else:
            raise AssertionError("the console's web server never accepted a connection")
        assert r.status_code == 200 and FORCE in r.text
        assert "default-src 'self'" in r.headers["content-security-policy"]
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=20)
    assert proc.returncode == 0


def test_slack_http_serve_serves_the_screen_and_stops_on_sigterm_with_a_stream_open(tmp_path) -> None:
    import signal
    import subprocess
    import sys

    from tests.slack_fake import SECRET, TOKEN, FakeSlack

    fake = FakeSlack().start()
    root = Path(__file__).resolve().parents[1]
    port, db = _free_port(), tmp_path / "g.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    seed_demo(engine, tz=TZ)
    reply = Service(engine, tz=TZ, public_url="http://x").handle(Caller(CONSOLE_TEAM, "linfang", "C-console"),
                                                                 "/force", "screen")
    engine.dispose()
    token = re.search(r"/screen/([A-Za-z0-9_\-]+)", reply.text)
    assert token
    env = {**os.environ, "PYTHONPATH": str(root), "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": fake.api_url, "PORT": str(port), "DATABASE_URL": f"sqlite:///{db}",
           "GUATU_SCHEDULER": "off"}
    env.pop("SLACK_APP_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        end = time.monotonic() + 30
        while time.monotonic() < end:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        page = httpx.get(f"{base}/screen/{token.group(1)}", timeout=10)
        assert page.status_code == 200 and FORCE in page.text
        opened = threading.Event()

        def watch() -> None:
            try:
                with httpx.stream("GET", f"{base}/screen/{token.group(1)}/events", timeout=30) as r:
                    for line in r.iter_lines():
                        if line.startswith("event: screen"):
                            opened.set()
            except httpx.HTTPError:
                pass

        threading.Thread(target=watch, daemon=True).start()
        assert opened.wait(10)
    finally:
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        _out, err = proc.communicate(timeout=20)
        fake.stop()
    assert proc.returncode == 0, err
    assert time.monotonic() - started < 10  # an open event stream does not hold the shutdown
