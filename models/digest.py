"""周报: the weekly digest for each task-force lead — what changed, what is red, who is silent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlmodel import select

from models import i18n, rank
from models.context import Ctx
from models.i18n import Day, t
from models.lights import EMOJI
from models.tables import ExtensionRequest, Task, TaskForce
from models.tasks import TaskView, force_tasks, views

MAX_LINES = 8  # per section: a digest is read on a phone


@dataclass
class Digest:
    """One task force's week, as data; ``render`` turns it into the message."""

    force: str
    since: datetime
    until: datetime
    done: list[TaskView] = field(default_factory=list)
    new: list[TaskView] = field(default_factory=list)
    red: list[TaskView] = field(default_factory=list)
    yellow: list[TaskView] = field(default_factory=list)
    silent: list[TaskView] = field(default_factory=list)
    blocked: list[TaskView] = field(default_factory=list)
    approvals: list[TaskView] = field(default_factory=list)
    standings: list[rank.RankRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # From 1 November: next year, when its official holiday schedule is not in the calendar yet.
    calendar_missing: int | None = None


def week_start(ctx: Ctx) -> datetime:
    """Monday 00:00 of the current week in the org's zone."""
    today = ctx.today
    return datetime.combine(today - timedelta(days=today.weekday()), time(0, 0), tzinfo=ctx.tz)


def build(ctx: Ctx, force: TaskForce, *, days: int = 7) -> Digest:
    """The digest of the last ``days`` days up to ``ctx.now``; the caller checks who may read it."""
    since = ctx.now - timedelta(days=days)
    live = force_tasks(ctx, force, live_only=True)
    done_rows = ctx.session.exec(select(Task).where(Task.force_id == force.id, Task.status == "done",
                                                    Task.done_at >= since).order_by(Task.done_at)).all()
    new_rows = ctx.session.exec(select(Task).where(Task.force_id == force.id, Task.created_at >= since,
                                                   Task.status != "cancelled").order_by(Task.id)).all()
    pending_ext = set(ctx.session.exec(select(ExtensionRequest.task_id).join(Task, Task.id == ExtensionRequest.task_id)
                                       .where(Task.force_id == force.id, ExtensionRequest.status == "pending")).all())
    d = Digest(force=force.name, since=since, until=ctx.now)
    d.done = views(ctx, list(done_rows))
    d.new = views(ctx, list(new_rows))
    d.red = [v for v in live if v.light.color == "red"]
    d.yellow = [v for v in live if v.light.color == "yellow"]
    d.silent = [v for v in live if any(r.key == "light.why.silent" for r in v.light.reasons)]
    d.blocked = [v for v in live if v.status == "blocked"]
    d.approvals = [v for v in live if v.status == "done_requested" or v.id in pending_ext]
    d.standings = rank.ranking(ctx, "dept", force_id=force.id)
    d.counts = {c: sum(1 for v in live if v.light.color == c) for c in ("red", "yellow", "green", "grey")}
    from models.holiday_notice import next_year_missing

    d.calendar_missing = next_year_missing(ctx.session, ctx.ws.id, ctx.today)
    return d


def _section(title_key: str, items: list[TaskView], lang: str, line, command: str) -> list[str]:
    """A section's first MAX_LINES items; when there are more, how many and the command that lists them."""
    if not items:
        return []
    out = [t(title_key, lang, n=len(items))]
    out += [line(v) for v in items[:MAX_LINES]]
    if len(items) > MAX_LINES:
        out.append(t("digest.more", lang, n=len(items) - MAX_LINES, command=command))
    return out


def _list_command(force: str, light: str | None = None) -> str:
    # /task list shows a force red first, 40 a page: the rows after the first MAX_LINES are on its first page.
    name = f"“{force}”" if any(c.isspace() for c in force) else force
    return f"/task list force:{name}" + (f" light:{light}" if light else "")


def render(d: Digest, lang: str, tz) -> str:
    """The digest as a message: counts first, then each non-empty section, then standings."""
    def basic(v: TaskView) -> str:
        return f"  {EMOJI[v.light.color]} #{v.id} {v.title} · {v.owner_name} · {Day(v.due).render(lang)}"

    def why(v: TaskView) -> str:
        return basic(v) + f" · {v.light.explain(lang)}"

    lines = [t("digest.title", lang, force=d.force, since=Day(d.since.astimezone(tz).date()).render(lang),
               until=Day(d.until.astimezone(tz).date()).render(lang)),
             "  ".join(f"{EMOJI[c]} {t('light.' + c, lang)} {n}" for c, n in d.counts.items())]
    if d.calendar_missing:
        lines.append(t("digest.calendar_missing", lang, year=d.calendar_missing))
    every = _list_command(d.force)
    lines += _section("digest.red", d.red, lang, why, _list_command(d.force, "red"))
    lines += _section("digest.blocked", d.blocked, lang, lambda v: basic(v) + f" · ⛔ {v.blocked_reason}", every)
    lines += _section("digest.approvals", d.approvals, lang, lambda v: basic(v) + " · " + (
        t("digest.ext", lang, date=Day(v.pending_extension.new_due).render(lang)) if v.pending_extension
        else t("status.done_requested", lang)), every)
    lines += _section("digest.yellow", d.yellow, lang, why, _list_command(d.force, "yellow"))
    lines += _section("digest.silent", d.silent, lang, basic, every)
    export = f"/force export {d.force}"  # done tasks are in no list; the export has every task of the force
    lines += _section("digest.done", d.done, lang, basic, export)
    lines += _section("digest.new", d.new, lang, basic, export)
    if d.standings:
        lines.append(t("digest.standings", lang))
        lines += [f"  {r.rank}. {r.name} · {r.score} · " + t("digest.standing", lang, live=r.live, overdue=r.overdue, done=r.done)
                  for r in d.standings[:MAX_LINES]]
    if len(lines) == 2:
        lines.append(t("digest.quiet", lang))
    return "\n".join(lines)


i18n.register(
    {
        "digest.calendar_missing": {
            "zh": "📅 {year} 年的节假日安排还没有录入日历，工作日按推测计算；请管理员在国务院通知发布后用 /guatu calendar import 导入。",
            "en": "📅 {year}'s official holidays are not in the calendar yet (working days are guessed); an admin imports "
                  "the State Council's notice with /guatu calendar import once it is out.",
        },
        "digest.title": {"zh": "📊 专班「{force}」周报（{since} — {until}）", "en": "📊 Weekly digest of “{force}” ({since} — {until})"},
        "digest.red": {"zh": "🔴 红灯 {n} 项：", "en": "🔴 Red ({n}):"},
        "digest.yellow": {"zh": "🟡 黄灯 {n} 项：", "en": "🟡 Yellow ({n}):"},
        "digest.silent": {"zh": "🤐 沉默（长时间无更新）{n} 项：", "en": "🤐 Silent ({n}):"},
        "digest.blocked": {"zh": "⛔ 受阻 {n} 项：", "en": "⛔ Blocked ({n}):"},
        "digest.approvals": {"zh": "📝 待你审批 {n} 项：", "en": "📝 Awaiting your decision ({n}):"},
        "digest.ext": {"zh": "申请延期至 {date}", "en": "extension to {date} requested"},
        "digest.done": {"zh": "✅ 本周销号 {n} 项：", "en": "✅ Done this week ({n}):"},
        "digest.new": {"zh": "🆕 本周新增 {n} 项：", "en": "🆕 New this week ({n}):"},
        "digest.more": {"zh": "  ……另有 {n} 项 · {command}", "en": "  … {n} more · {command}"},
        "digest.standings": {"zh": "🏇 部门赛马：", "en": "🏇 Department standings:"},
        "digest.standing": {"zh": "在办 {live} · 逾期 {overdue} · 完成 {done}", "en": "{live} live · {overdue} overdue · {done} done"},
        "digest.quiet": {"zh": "本周没有需要关注的变化。", "en": "Nothing needs your attention this week."},
    }
)
