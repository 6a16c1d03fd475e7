"""``guatu serve`` with Slack settings: a real process over HTTP, Socket Mode, the scheduler, a refused token."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import inspect

from bot.settings import Settings
from bot.slack import server
from bot.slack.notifier import SlackNotifier
from models.db import make_engine
from tests.slack_fake import SECRET, TOKEN, fake, sign

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30) -> httpx.Response:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("guatu serve did not come up")


def test_guatu_serve_migrates_serves_slack_over_http_and_stops_cleanly(fake, tmp_path) -> None:
    fake.reset()
    port, db = _free_port(), tmp_path / "guatu.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": fake.api_url, "PORT": str(port), "DATABASE_URL": f"sqlite:///{db}",
           "GUATU_SCHEDULER": "off", "GUATU_LOG": "INFO"}
    env.pop("SLACK_APP_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_healthy(f"http://127.0.0.1:{port}/healthz", proc).json() == {"ok": True}
        assert "task" in inspect(make_engine(f"sqlite:///{db}")).get_table_names()  # migrated first
        body = urlencode({"team_id": "T1", "user_id": "U1", "channel_id": "C1", "command": "/guatu",
                          "text": "whoami", "response_url": fake.response_url(), "trigger_id": "1.1.t"}).encode()
        ts = int(time.time())
        r = httpx.post(f"http://127.0.0.1:{port}/slack/events", content=body, timeout=10, headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": sign(body, ts)})
        assert r.status_code == 200 and "用户U1" in r.json()["text"]
        assert fake.calls_to("auth.test")[0].headers["authorization"] == f"Bearer {TOKEN}"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Slack over HTTP on port" in err
    assert TOKEN not in out + err and SECRET not in out + err


class _SocketMode:
    """Stands in for bolt's SocketModeHandler: records what it was given and returns at once."""

    started: ClassVar[list[_SocketMode]] = []

    def __init__(self, app, app_token: str) -> None:
        self.app, self.app_token = app, app_token

    def start(self) -> None:
        _SocketMode.started.append(self)


@pytest.fixture
def socket_mode(monkeypatch):
    import slack_bolt.adapter.socket_mode as adapter

    _SocketMode.started.clear()
    monkeypatch.setattr(adapter, "SocketModeHandler", _SocketMode)
    return _SocketMode.started


def _settings(fake, tmp_path, **extra: str) -> Settings:
    values = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": "xapp-1-test", "SLACK_API_URL": fake.api_url,
              "DATABASE_URL": f"sqlite:///{tmp_path / 'guatu.db'}", "GUATU_SCHEDULER": "off", **extra}
    return Settings(_env_file=None, **values)


def test_with_an_app_token_serve_runs_socket_mode_against_the_configured_api(fake, tmp_path, socket_mode) -> None:
    fake.reset()
    assert server.serve(_settings(fake, tmp_path)) == 0
    (handler,) = socket_mode
    assert handler.app_token == "xapp-1-test"
    assert handler.app.client.base_url == fake.api_url
    # Socket Mode payloads are unsigned: no signing secret is needed, none is checked.
    assert "RequestVerification" not in [type(m).__name__ for m in handler.app._middleware_list]
    assert fake.calls_to("auth.test")


def test_the_scheduler_runs_alongside_unless_switched_off(fake, tmp_path, socket_mode, monkeypatch) -> None:
    built: list[dict] = []

    class Scheduler:
        def start(self) -> None:
            built[-1]["started"] = True

        def shutdown(self, wait: bool = True) -> None:
            built[-1]["stopped"] = True

    def build_scheduler(engine, notifier, *, tz, default_lang, now_fn=None):
        built.append({"notifier": notifier, "tz": tz, "lang": default_lang})
        return Scheduler()

    monkeypatch.setitem(sys.modules, "jobs.scheduler", types.SimpleNamespace(build_scheduler=build_scheduler))
    assert server.serve(_settings(fake, tmp_path, GUATU_SCHEDULER="on", GUATU_TZ="Asia/Shanghai", GUATU_LANG="en")) == 0
    (run,) = built
    assert isinstance(run["notifier"], SlackNotifier) and str(run["tz"]) == "Asia/Shanghai" and run["lang"] == "en"
    assert run["started"] and run["stopped"]
    server.serve(_settings(fake, tmp_path))
    assert len(built) == 1


def test_a_refused_token_stops_serve_with_a_message_and_no_secret(fake, tmp_path, socket_mode, caplog) -> None:
    fake.reset()
    fake.fail("auth.test", status=200, error="invalid_auth")
    assert server.serve(_settings(fake, tmp_path)) == 1
    assert "invalid_auth" in caplog.text and TOKEN not in caplog.text
    assert not socket_mode


# ---------------------------------------------------------------- start-up: an unreachable Slack, HOST, the banner


def test_serve_waits_for_an_unreachable_slack_in_one_line_a_try_and_starts_when_it_answers(tmp_path) -> None:
    from tests.slack_fake import FakeSlack

    api_port, port, db = _free_port(), _free_port(), tmp_path / "guatu.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": f"http://127.0.0.1:{api_port}/api/", "PORT": str(port), "HOST": "127.0.0.2",
           "DATABASE_URL": f"sqlite:///{db}", "GUATU_SCHEDULER": "off", "GUATU_LOG": "WARNING"}
    env.pop("SLACK_APP_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    slack = None
    try:
        first = proc.stderr.readline()
        assert "Slack is unreachable" in first and "trying again in 1 s" in first, first
        slack = FakeSlack(api_port).start()  # Slack comes back
        assert _wait_healthy(f"http://127.0.0.2:{port}/healthz", proc).json() == {"ok": True}
        with pytest.raises(httpx.TransportError):  # HOST=127.0.0.2: nothing listens on 127.0.0.1
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        assert slack.calls_to("auth.test")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
        if slack is not None:
            slack.stop()
    assert proc.returncode == 0, err
    log = first + err
    assert "Traceback" not in log and "Slack over HTTP on port" in log and "of 127.0.0.2" in log
    assert TOKEN not in log and SECRET not in log


def test_with_start_retries_set_serve_gives_up_after_them_with_exit_1(tmp_path, caplog, monkeypatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(server, "_pause", waits.append)
    monkeypatch.setattr(server.time, "sleep", lambda s: None)  # the client's own connection retry waits too
    settings = Settings(_env_file=None, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET,
                        SLACK_API_URL=f"http://127.0.0.1:{_free_port()}/api/", GUATU_START_RETRIES="3",
                        DATABASE_URL=f"sqlite:///{tmp_path / 'guatu.db'}", GUATU_SCHEDULER="off")
    assert server.serve(settings) == 1
    assert waits == [1, 2, 4]
    lines = [r for r in caplog.records if r.name == "guatu.slack"]
    assert [r.levelname for r in lines] == ["WARNING"] * 3 + ["ERROR"] and not any(r.exc_info for r in lines)
    assert not [r for r in caplog.records if r.name.startswith("slack_sdk")]  # one line a try, ours
    assert "after 3 retries" in lines[-1].getMessage()


def test_the_backoff_doubles_up_to_a_minute_and_keeps_trying_by_default(fake, tmp_path, monkeypatch) -> None:
    from urllib.error import URLError

    attempts, waits = iter(range(12)), []

    def build(settings, service, **kw):
        if next(attempts) < 10:
            raise URLError(ConnectionRefusedError(111, "Connection refused"))
        return "slack"

    monkeypatch.setattr(server, "build", build)
    assert server.build_when_reachable(_settings(fake, tmp_path), None, sleep=waits.append) == "slack"
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]


def test_a_slack_5xx_at_start_is_waited_out_but_a_refused_token_is_not(fake, tmp_path, socket_mode, caplog,
                                                                       monkeypatch) -> None:
    monkeypatch.setattr(server, "_pause", lambda s: None)
    fake.reset()
    fake.fail("auth.test", status=503, times=2)  # the client retries a 5xx once itself: two failures, one wait
    assert server.serve(_settings(fake, tmp_path)) == 0
    assert "HTTP 503" in caplog.text and socket_mode


def test_the_banner_shows_the_database_without_its_password(tmp_path, capsys, caplog, monkeypatch) -> None:
    from bot import cli

    url = "postgresql+psycopg://guatu:hunter2-secret@db.example.gov:5432/guatu"
    monkeypatch.setattr(cli, "run_console", lambda settings, user: 0)
    cli.cmd_serve(None, Settings(_env_file=None, DATABASE_URL=url))
    banner = capsys.readouterr().err
    assert "guatu:***@db.example.gov" in banner and "hunter2" not in banner

    configs = []
    monkeypatch.setattr(server.uvicorn, "Server",
                        lambda config: types.SimpleNamespace(run=lambda: configs.append(config)))
    server._run_http(None, Settings(_env_file=None, DATABASE_URL=url, HOST="0.0.0.0", PORT="8080"))
    assert configs[0].host == "0.0.0.0" and configs[0].port == 8080
    assert "***" in caplog.text and "hunter2" not in caplog.text


def test_host_defaults_to_loopback() -> None:
    assert Settings(_env_file=None).host == "127.0.0.1"
