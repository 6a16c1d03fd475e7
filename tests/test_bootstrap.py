"""The composition root: one bootstrap wires the engine, the Service, the notifiers and the scheduler."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect

from bot.bootstrap import bootstrap, handlers
from bot.console import ConsoleNotifier
from bot.dispatch import Caller, Handlers, Reply, Service
from bot.settings import Settings
from jobs.registry import JOB_IDS
from models.outbox import Routed

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def _settings(tmp_path, **extra) -> Settings:
    return Settings(_env_file=None, DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}", **extra)


def test_bootstrap_migrates_the_database_and_wires_one_service_with_every_handler(tmp_path) -> None:
    app = bootstrap(_settings(tmp_path), clock=lambda: NOW)
    try:
        assert "task" in inspect(app.engine).get_table_names()
        assert set(app.service.handlers) == set(handlers())
        assert {"task.add", "people.list", "calendar.import"} <= set(app.service.handlers)
        reply = app.service.handle(Caller("T1", "lin"), "/guatu", "whoami")
        assert reply.ok and app.service.clock() == NOW
    finally:
        app.close()


def test_without_a_slack_token_messages_go_to_the_console(tmp_path) -> None:
    out = io.StringIO()
    app = bootstrap(_settings(tmp_path), console=out)
    try:
        assert isinstance(app.notifier, ConsoleNotifier)
        app.notifier.send("lin", "你好")
        assert "@lin: 你好" in out.getvalue()
    finally:
        app.close()


def test_with_dingtalk_configured_the_outbox_routes_each_platform_to_its_own_notifier(tmp_path) -> None:
    app = bootstrap(_settings(tmp_path, SLACK_BOT_TOKEN="xoxb-test", DINGTALK_CLIENT_ID="id",
                              DINGTALK_CLIENT_SECRET="secret", DINGTALK_ROBOT_CODE="robot"))
    try:
        assert isinstance(app.notifier, Routed)
        assert set(app.notifiers) == {"slack", "dingtalk"}
        assert type(app.notifiers["slack"]).__name__ == "SlackNotifier"
        assert app.notifier is app.notifier  # one router for the process, not one per look
    finally:
        app.close()


def test_the_scheduler_has_every_fixed_job_and_is_not_built_when_switched_off(tmp_path) -> None:
    app = bootstrap(_settings(tmp_path, GUATU_SCHEDULER="off"), console=io.StringIO())
    try:
        assert app.start_scheduler() is None
        assert {job.id for job in app.scheduler().get_jobs()} == set(JOB_IDS)
    finally:
        app.close()


def test_a_service_runs_only_what_its_table_handles(engine) -> None:
    table = Handlers()

    @table.handles("whoami")
    def whoami(ctx, request) -> Reply:
        return Reply(text="me", lang=ctx.lang)

    service = Service(engine, tz=Settings(_env_file=None).tz, handlers=table)
    assert service.handle(Caller("T1", "lin"), "/guatu", "whoami", now=NOW).text == "me"
    refused = service.handle(Caller("T1", "lin"), "/guatu", "help", now=NOW)
    assert not refused.ok and refused.error_key == "error.not_available"


def test_a_kind_handled_twice_is_a_wiring_mistake_caught_at_start() -> None:
    first, second = Handlers(), Handlers()
    first.handles("whoami")(lambda ctx, r: Reply(text="a", lang="zh"))
    second.handles("whoami")(lambda ctx, r: Reply(text="b", lang="zh"))
    with pytest.raises(ValueError, match="whoami"):
        Handlers.merged(first, second)
