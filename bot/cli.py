"""The ``guatu`` command: serve, console, db, jobs, manifest, seed, import / export."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import Settings
from models import i18n

log = logging.getLogger("guatu")


# Libraries whose DEBUG records carry request and event bodies — what people type, message texts — which must
# not reach a log: GUATU_LOG=DEBUG is Guatu's own detail; these stay at INFO at most.
_QUIET_LIBRARIES = ("slack_sdk", "slack_bolt", "dingtalk_stream", "websockets", "urllib3")


def _setup_logging() -> None:
    level = os.environ.get("GUATU_LOG", "WARNING").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in _QUIET_LIBRARIES:
        library = logging.getLogger(name)
        if library.getEffectiveLevel() < logging.INFO:
            library.setLevel(logging.INFO)


def _engine(settings: Settings, *, migrate: bool = True):
    from bot.bootstrap import make_engine

    return make_engine(settings, migrate=migrate)


def _parse_at(value: str | None, settings: Settings) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        from models.i18n import t

        print(t("cli.bad_at", settings.lang, value=value), file=sys.stderr)
        raise SystemExit(2) from None
    return at if at.tzinfo else at.replace(tzinfo=settings.tz)


def cmd_db(args, settings: Settings) -> int:
    from models.migrate import current

    engine = _engine(settings, migrate=args.action == "upgrade")
    print(f"schema revision: {current(engine)}")
    return 0


def run_console(settings: Settings, user: str, *, channel: str | None = None, stdin=sys.stdin,
                at: datetime | None = None) -> int:
    """The console backend, with the scheduler printing messages as they fire (unless off).

    ``at`` freezes the clock (``--at``): to rehearse a day, or to test without waiting for it."""
    from bot.bootstrap import bootstrap
    from bot.console import DEFAULT_CHANNEL, Console

    clock = (lambda: at) if at else (lambda: datetime.now(UTC))
    app = bootstrap(settings, console=sys.stdout)
    scheduler = app.start_scheduler() if at is None else None
    console = Console(app.service, user, out=sys.stdout, channel=channel or DEFAULT_CHANNEL, clock=clock,
                      deliver=lambda: app.deliver(now=clock()))
    try:
        console.loop(stdin)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


def _start_web(settings: Settings):
    """Console mode's HTTP server (the wall screen, /healthz) in a background thread; None if the port is taken."""
    import socket

    from bot.bootstrap import make_engine
    from bot.web.screen import start_in_thread
    from models.i18n import t

    with socket.socket() as probe:  # uvicorn in a thread would log and exit quietly; say it once instead
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.host, settings.port))
        except OSError as exc:
            print(t("cli.web_port_taken", settings.lang, host=settings.host, port=settings.port, why=exc.strerror or exc),
                  file=sys.stderr)
            return None
    print(t("cli.web_started", settings.lang, url=settings.public_base), file=sys.stderr)
    return start_in_thread(make_engine(settings, migrate=False), settings)


def cmd_console(args, settings: Settings) -> int:
    at = _parse_at(args.at, settings) if args.at else None
    return run_console(settings, args.as_user, channel=args.channel, at=at)


def cmd_serve(args, settings: Settings) -> int:
    from bot.cli_org import log_calendar_gap

    log_calendar_gap(settings)
    if settings.slack_http or settings.socket_mode:
        from bot.slack.server import serve

        return serve(settings)
    if settings.dingtalk:
        from bot.dingtalk.server import serve_alone

        return serve_alone(settings)
    user = os.environ.get("GUATU_CONSOLE_USER") or _os_user()
    from models.i18n import t

    print(t("cli.console_backend", settings.lang, user=user, url=settings.safe_database_url), file=sys.stderr)
    web = _start_web(settings)  # the wall screen's pages, so /force screen's link opens in console mode too
    try:
        return run_console(settings, user)
    finally:
        if web is not None:
            web.should_exit = True


def cmd_worker(args, settings: Settings, *, stop=None) -> int:
    """The scheduler and the delivery worker with no HTTP server (the production split: web processes
    with GUATU_SCHEDULER=off, plus workers; any number of them on PostgreSQL, where the sweeps and the
    outbox claim rows with SKIP LOCKED). Runs until SIGTERM / SIGINT (or ``stop`` is set), then shuts
    the scheduler down, letting the job in progress finish."""
    import signal
    import threading

    from bot.bootstrap import bootstrap

    app = bootstrap(settings)
    scheduler = app.scheduler()
    stop = stop or threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    from models.i18n import t

    print(t("cli.worker", settings.lang, url=settings.safe_database_url,
            where=("Slack" if settings.slack_bot_token is not None else "console")
            + (" + DingTalk" if settings.dingtalk else "")), file=sys.stderr)
    scheduler.start()
    try:
        while not stop.wait(1.0):  # a BackgroundScheduler dies with the main thread: keep it alive
            pass
    finally:
        scheduler.shutdown(wait=True)
        app.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "admin"


def cmd_jobs(args, settings: Settings) -> int:
    from bot.bootstrap import bootstrap
    from jobs.registry import JOB_IDS, list_jobs, run_job
    from models.i18n import t

    app = bootstrap(settings)
    if args.action == "list":
        for job_id, next_run in list_jobs(None, _parse_at(None, settings), tz=settings.tz):
            print(f"{job_id:<12} next run {next_run.astimezone(settings.tz).isoformat(timespec='seconds')}")
        return 0
    if args.job not in ("all", *JOB_IDS):
        print(t("cli.unknown_job", settings.lang, job=args.job, jobs=", ".join(JOB_IDS)), file=sys.stderr)
        return 2
    result = run_job(args.job, app.engine, app.notifier, now=_parse_at(args.at, settings), tz=settings.tz,
                     default_lang=settings.lang)
    for key, value in result.items():
        print(f"{key}: {value}")
    return 0


def cmd_manifest(args, settings: Settings) -> int:
    from bot.slack.manifest import render_manifest

    print(render_manifest(args.url, as_json=args.json))
    return 0


def cmd_seed(args, settings: Settings) -> int:
    from bot.seed import ALREADY_SEEDED, seed_demo
    from models.i18n import t

    if not args.demo:
        print(t("cli.seed_usage", settings.lang), file=sys.stderr)
        return 2
    engine = _engine(settings)
    summary = seed_demo(engine, tz=settings.tz, lang=settings.lang)
    if summary == ALREADY_SEEDED:
        print(t("cli.seed_used", settings.lang, url=engine.url.render_as_string(hide_password=True)), file=sys.stderr)
        return 1
    print(t("cli.seeded", settings.lang) if settings.lang == "zh" else summary)
    return 0


def cmd_import(args, settings: Settings) -> int:
    from bot.bootstrap import bootstrap
    from bot.exchange import import_tasks

    return import_tasks(bootstrap(settings).engine, settings, Path(args.file), force=args.force, skip_bad=args.skip_bad, as_user=args.as_user, team=args.team)


def cmd_export(args, settings: Settings) -> int:
    from bot.bootstrap import bootstrap
    from bot.exchange import export_tasks

    return export_tasks(bootstrap(settings).engine, settings, Path(args.out), force=args.force, team=args.team)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="guatu", description="Guatu (挂图): run task forces by chat")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("serve", help="run the bot (Slack over HTTP or Socket Mode, else the console)").set_defaults(fn=cmd_serve)
    sub.add_parser("worker", help="run the scheduler and the delivery worker, no HTTP server").set_defaults(fn=cmd_worker)
    c = sub.add_parser("console", help="type commands as a given user")
    c.add_argument("--as", dest="as_user", required=True, help="the chat user id you type as, e.g. zhangwei")
    c.add_argument("--channel", default=None, help="the channel you type in (binds /force new)")
    c.add_argument("--at", default=None, help="run as if it were this ISO-8601 time (clock frozen, scheduler off)")
    c.set_defaults(fn=cmd_console)
    d = sub.add_parser("db", help="database schema")
    d.add_argument("action", choices=["upgrade", "current"])
    d.set_defaults(fn=cmd_db)
    j = sub.add_parser("jobs", help="scheduled jobs")
    jsub = j.add_subparsers(dest="action", required=True)
    jsub.add_parser("list", help="jobs and their next run times")
    r = jsub.add_parser("run", help="run one job now (or as if at --at), delivering its messages")
    r.add_argument("job")
    r.add_argument("--at", default=None, help="ISO-8601 time to run as, e.g. 2026-12-01T09:00+08:00")
    j.set_defaults(fn=cmd_jobs)
    m = sub.add_parser("manifest", help="print the Slack app manifest")
    m.add_argument("--url", default="https://guatu.example.gov.cn", help="public base URL of the bot")
    m.add_argument("--json", action="store_true", help="JSON instead of YAML")
    m.set_defaults(fn=cmd_manifest)
    s = sub.add_parser("seed", help="load sample data")
    s.add_argument("--demo", action="store_true", help="a realistic sample organisation and task force")
    s.set_defaults(fn=cmd_seed)
    i = sub.add_parser("import", help="import a task list from Excel")
    i.add_argument("file")
    i.add_argument("--force", required=True, help="the task force to import into")
    i.add_argument("--skip-bad", action="store_true", help="import the good rows, report the bad ones")
    i.add_argument("--as", dest="as_user", default=None, help="the lead importing (default: the force's first lead)")
    i.add_argument("--team", default=None, help="the workspace whose task force it is (needed when several have that name)")
    i.set_defaults(fn=cmd_import)
    e = sub.add_parser("export", help="export a task force's tasks to Excel")
    e.add_argument("--force", required=True)
    e.add_argument("--out", default="tasks.xlsx")
    e.add_argument("--team", default=None, help="the workspace whose task force it is (needed when several have that name)")
    e.set_defaults(fn=cmd_export)
    from bot.cli_org import add_parsers

    add_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    _setup_logging()
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except Exception as exc:  # a bad setting is the operator's error: say which, not a traceback
        from models.i18n import t

        lang = "en" if os.environ.get("GUATU_LANG", "").lower().startswith("en") else "zh"
        print(t("cli.bad_settings", lang, error=exc), file=sys.stderr)
        return 2
    import bot.cli_org  # noqa: F401 - registers the CLI's messages

    return args.fn(args, settings) or 0


i18n.register(
    {
        "cli.worker": {
            "zh": "worker：调度与发送运行中（{where}，数据库 {url}）；Ctrl-C 或 SIGTERM 停止。",
            "en": "worker: scheduler and delivery running ({where}, database {url}); stop with Ctrl-C or SIGTERM.",
        },
    }
)


if __name__ == "__main__":
    sys.exit(main())

