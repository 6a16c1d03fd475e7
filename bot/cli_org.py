"""CLI commands that bring an organisation in: import-org, export-org, sync-directory, calendar import.

Every message is in the operator's language (``GUATU_LANG``); every refusal exits non-zero.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from models import i18n
from models.i18n import t


def add_parsers(sub) -> None:
    """Adds this module's subcommands to the ``guatu`` parser."""
    i = sub.add_parser("import-org", help="import departments and people from Excel (单位 / 人员 sheets)")
    i.add_argument("file")
    i.add_argument("--skip-bad", action="store_true", help="import the good rows, report the bad ones")
    i.add_argument("--team", default=None, help="the workspace (chat team id); default: the only one")
    i.set_defaults(fn=cmd_import_org)
    e = sub.add_parser("export-org", help="export departments and people to Excel (imports back unchanged)")
    e.add_argument("--out", default="org.xlsx")
    e.add_argument("--team", default=None)
    e.set_defaults(fn=cmd_export_org)
    s = sub.add_parser("sync-directory", help="map people to Slack accounts (users.list) and refresh their profiles")
    s.add_argument("--team", default=None, help="the workspace's Slack team id (default: the token's team)")
    s.set_defaults(fn=cmd_sync_directory)
    c = sub.add_parser("calendar", help="the working-day calendar")
    csub = c.add_subparsers(dest="action", required=True)
    ci = csub.add_parser("import", help="read the State Council's holiday notice (a file, or - for stdin)")
    ci.add_argument("file")
    ci.add_argument("--dry-run", action="store_true", help="print what the notice says; write nothing")
    ci.add_argument("--team", default=None)
    c.set_defaults(fn=cmd_calendar)


def _engine(settings):
    from bot.cli import _engine as engine

    return engine(settings)


def cmd_import_org(args, settings) -> int:
    from bot.orgexchange import import_org_file

    path = Path(args.file)
    if not path.exists():
        print(t("cli.error", settings.lang, error=t("cli.no_file", settings.lang, path=str(path))), file=sys.stderr)
        return 2
    return import_org_file(_engine(settings), path, lang=settings.lang, skip_bad=args.skip_bad, team=args.team)


def cmd_export_org(args, settings) -> int:
    from bot.orgexchange import export_org_file

    return export_org_file(_engine(settings), Path(args.out), lang=settings.lang, team=args.team)


def cmd_sync_directory(args, settings) -> int:
    lang = settings.lang
    if settings.slack_bot_token is None:
        print(t("cli.error", lang, error=t("sync.no_token", lang)), file=sys.stderr)
        return 2
    from bot.slack.clients import web_client
    from bot.slack.directory import SyncError, sync_directory

    client = web_client(settings, "directory")
    try:
        result = sync_directory(client, _engine(settings), team_id=args.team, now=datetime.now(UTC),
                                progress=lambda n: print(t("sync.progress", lang, n=n), file=sys.stderr))
    except SyncError as exc:
        print(t("cli.error", lang, error=exc.msg.render(lang)), file=sys.stderr)
        return 1
    print(t("sync.done", lang, users=result.users, mapped=result.mapped, refreshed=result.refreshed,
            unmatched=len(result.unmatched), team=result.team_id))
    for name in result.unmatched[:50]:
        print("  " + t("sync.unmatched", lang, who=name), file=sys.stderr)
    return 0


def cmd_calendar(args, settings) -> int:
    from bot.dispatch_org import notice_report
    from bot.orgexchange import _Refusal, workspace_for_cli
    from models.db import session_scope
    from models.holiday_notice import apply_notice, parse_notice

    lang = settings.lang
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(t("cli.error", lang, error=t("cli.no_file", lang, path=f"{args.file} ({exc})")), file=sys.stderr)
        return 2
    notice = parse_notice(text)
    for line in notice_report(notice.__class__(notice.year, notice.days, []), lang):
        print(line)
    for p in notice.problems:
        print(t("cli.error", lang, error=p.render(lang)), file=sys.stderr)
    if not notice.ok:
        print(t("notice.not_ok", lang, n=len(notice.problems) or 1), file=sys.stderr)
        return 1
    if args.dry_run:
        print(t("cli.dry_run", lang))
        return 0
    try:
        with session_scope(_engine(settings)) as session:
            ws = workspace_for_cli(session, args.team)
            added, changed = apply_notice(session, None, ws, notice, now=datetime.now(UTC))
    except _Refusal as r:
        print(t("cli.error", lang, error=r.msg.render(lang)), file=sys.stderr)
        return 2
    print(t("notice.written", lang, added=added, changed=changed))
    return 0


def log_calendar_gap(settings, today=None) -> list[int]:
    """At start-up from 1 November: a warning for each workspace whose next year has no official schedule."""
    import logging

    from sqlmodel import Session, select

    from bot.bootstrap import make_engine
    from models.calendar import local_today
    from models.holiday_notice import next_year_missing
    from models.tables import Workspace

    log = logging.getLogger("guatu")
    try:
        engine = make_engine(settings, migrate=False)
        today = today or local_today(datetime.now(UTC), settings.tz)
        with Session(engine) as session:
            ids: list[int | None] = [*session.exec(select(Workspace.id)).all()] or [None]
            years = {next_year_missing(session, ws_id, today) for ws_id in ids}
            missing = {year for year in years if year is not None}
        engine.dispose()
    except Exception:
        return []
    for year in sorted(missing):
        log.warning(t("cli.calendar_gap", settings.lang, year=year))
    return sorted(missing)


i18n.register(
    {
        "cli.calendar_gap": {
            "zh": "提醒：{year} 年的官方节假日安排还没有录入（holidays 包只是推测，没有调休）。通知发布后运行 guatu calendar import <通知文件>。",
            "en": "Reminder: {year}'s official holiday schedule is not in yet (the holidays package only guesses, without "
                  "make-up days). When the notice is out: guatu calendar import <notice file>.",
        },
        "cli.unknown_job": {"zh": "没有「{job}」这个任务；可选：all, {jobs}", "en": "unknown job {job!r}; choose one of: all, {jobs}"},
        "cli.bad_at": {"zh": "--at：「{value}」不是 ISO-8601 时间（例如 2026-12-01T09:00+08:00）",
                       "en": "--at: not an ISO-8601 time: {value} (e.g. 2026-12-01T09:00+08:00)"},
        "cli.seed_usage": {"zh": "用法：guatu seed --demo", "en": "usage: guatu seed --demo"},
        "cli.seed_used": {
            "zh": "控制台工作区已经有人员，seed --demo 只填充空数据库，什么也没有改动。要从头开始：删除 SQLite 文件（默认 ./guatu.db）"
                  "或把 DATABASE_URL 指向一个空数据库，再运行 guatu seed --demo。（当前：{url}）",
            "en": "The console workspace already has people; seed --demo only fills an empty database, so nothing was "
                  "changed. To start afresh, delete the SQLite file (./guatu.db by default) or point DATABASE_URL at an "
                  "empty database, then run guatu seed --demo again. (Now: {url})",
        },
        "cli.seeded": {
            "zh": "已载入示例：10 位人员、6 个部门，专班「数据共享工作专班」绑定 #C-console，9 个任务覆盖各种灯色。\n"
                  "试试：guatu console --as linfang，然后 /task list force:数据共享工作专班 或 /force list\n"
                  "      guatu console --as zhangwei，然后 /task list",
            "en": "Loaded the demo.",
        },
        "cli.console_backend": {"zh": "未配置 Slack：以 {user!r} 身份运行控制台后端，数据库 {url}",
                                "en": "No Slack settings: running the console backend as {user!r} on {url}"},
        "cli.bad_settings": {"zh": "guatu：设置有误：{error}", "en": "guatu: invalid settings: {error}"},
        "cli.no_file": {"zh": "找不到文件 {path}", "en": "no such file: {path}"},
        "cli.dry_run": {"zh": "（--dry-run：只显示，没有写入。）", "en": "(--dry-run: shown only, nothing written.)"},
        "sync.no_token": {"zh": "sync-directory 需要 SLACK_BOT_TOKEN（以及 users:read、users:read.email 权限）。",
                          "en": "sync-directory needs SLACK_BOT_TOKEN (with the users:read and users:read.email scopes)."},
        "sync.progress": {"zh": "已读取 {n} 个 Slack 用户……", "en": "read {n} Slack users…"},
        "sync.done": {
            "zh": "目录同步完成（{team}）：Slack 用户 {users} 个，新对应账号 {mapped} 人，更新资料 {refreshed} 人，未找到账号 {unmatched} 人。",
            "en": "Directory synced ({team}): {users} Slack users, {mapped} people mapped to an account, {refreshed} "
                  "refreshed, {unmatched} without an account.",
        },
        "sync.unmatched": {"zh": "未找到 Slack 账号：{who}", "en": "no Slack account: {who}"},
    }
)
