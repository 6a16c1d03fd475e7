"""赛马 (horse race): departments and task forces ranked openly on results.

Score out of 100 = 50 × on-time completion rate + 30 × (1 − overdue share of live tasks)
+ 20 × update timeliness (share of live tasks updated within their task force's silence window).
A unit with nothing finished yet scores its on-time part as neutral (0.5) rather than perfect,
so an idle department does not top the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import and_, case, func, literal
from sqlmodel import select

from models import i18n
from models.context import Ctx
from models.db import UTCDateTime
from models.policy import DEFAULT
from models.status import LIVE, OPEN
from models.tables import Department, Task, TaskForce


@dataclass(frozen=True)
class RankRow:
    rank: int
    name: str
    done: int
    done_on_time: int
    live: int
    overdue: int
    fresh: int
    score: float

    @property
    def on_time_rate(self) -> float | None:
        return self.done_on_time / self.done if self.done else None


def _score(done: int, on_time: int, live: int, overdue: int, fresh: int) -> float:
    on_time_rate = on_time / done if done else 0.5
    overdue_share = overdue / live if live else 0.0
    fresh_rate = fresh / live if live else 1.0
    return round(50 * on_time_rate + 30 * (1 - overdue_share) + 20 * fresh_rate, 1)


SINCE_DAYS = 365  # completions counted: the last year


def ranking(ctx: Ctx, by: str = "dept", *, since_days: int = SINCE_DAYS, force_id: int | None = None) -> list[RankRow]:
    """The table, best first; one aggregate query, so its cost does not grow with a loop over units."""
    today = ctx.today
    fresh_cutoff = _fresh_cutoff(ctx)
    since = ctx.now - timedelta(days=since_days)
    key = Task.department_id if by == "dept" else Task.force_id
    live = Task.status.in_(LIVE)
    done = Task.status == "done"
    # done_at is a UTC timestamp and the deadline a local day: compare the day it was done on.
    q = (
        select(
            key,
            func.sum(case((and_(done, Task.done_at >= since), 1), else_=0)),
            func.sum(case((and_(done, Task.done_at >= since, _local_date(Task.done_at, ctx) <= Task.due), 1), else_=0)),
            func.sum(case((live, 1), else_=0)),
            func.sum(case((and_(Task.status.in_(OPEN), Task.due < today), 1), else_=0)),  # overdue: models.status
            func.sum(case((and_(live, func.coalesce(Task.last_progress_at, Task.created_at) >= fresh_cutoff), 1), else_=0)),
        )
        .where(Task.workspace_id == ctx.ws.id, key.is_not(None))
        .group_by(key)
    )
    if force_id is not None:
        q = q.where(Task.force_id == force_id)
    rows = ctx.session.exec(q).all()
    model = Department if by == "dept" else TaskForce
    names = {m.id: m.name for m in ctx.session.exec(select(model).where(model.workspace_id == ctx.ws.id)).all()}
    scored = []
    for unit_id, n_done, n_on_time, n_live, n_overdue, n_fresh in rows:
        n_done, n_on_time, n_live, n_overdue, n_fresh = (int(x or 0) for x in (n_done, n_on_time, n_live, n_overdue, n_fresh))
        if n_done + n_live == 0:
            continue
        scored.append((names.get(unit_id, "?"), n_done, n_on_time, n_live, n_overdue, n_fresh,
                       _score(n_done, n_on_time, n_live, n_overdue, n_fresh)))
    scored.sort(key=lambda r: (-r[6], r[4], r[0]))
    out: list[RankRow] = []
    for i, r in enumerate(scored):
        rank = out[-1].rank if out and out[-1].score == r[6] else i + 1
        out.append(RankRow(rank, *r))
    return out


def _fresh_cutoff(ctx: Ctx):
    """SQL for "updated recently enough", per task force: each force's own ``stale_days`` (most use
    the default, so this is a CASE over the few forces that override it)."""
    def cutoff(days: int) -> datetime:
        return datetime.combine(ctx.calendar.add_working_days(ctx.today, -days), time(0, 0), tzinfo=ctx.tz)

    by_days: dict[int, list[int]] = {}
    for fid, policy in ctx.session.exec(select(TaskForce.id, TaskForce.policy).where(TaskForce.workspace_id == ctx.ws.id)).all():
        days = (policy or {}).get("stale_days")
        if days and days != DEFAULT.stale_days:
            by_days.setdefault(int(days), []).append(fid)
    default = literal(cutoff(DEFAULT.stale_days), UTCDateTime())
    if not by_days:
        return default
    return case(*((Task.force_id.in_(ids), literal(cutoff(days), UTCDateTime())) for days, ids in by_days.items()),
                else_=default)


def _local_date(col, ctx: Ctx):
    """SQL for the org-zone calendar day of a UTC timestamp column.

    PostgreSQL converts with the zone's rules; SQLite has no zone database, so it shifts by the
    zone's current offset (exact for China, which has no daylight saving time)."""
    if ctx.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(ctx.tz.key, col))
    minutes = int((ctx.now.astimezone(ctx.tz).utcoffset() or timedelta(0)).total_seconds() // 60)
    return func.date(col, f"{minutes:+d} minutes")


def render(rows: list[RankRow], by: str, lang: str, *, since_days: int = SINCE_DAYS) -> str:
    """The table with its formula in full, including the neutral 0.5 of a unit with nothing completed."""
    title = i18n.t(f"rank.title.{by}", lang)
    if not rows:
        return title + "\n" + i18n.t("rank.empty", lang)
    medal = {1: "🥇", 2: "🥈", 3: "🥉"}
    lines = [title, i18n.t("rank.legend", lang, days=since_days)]
    for r in rows:
        rate = f"{round(100 * r.on_time_rate)}%" if r.on_time_rate is not None else "—"
        lines.append(i18n.t("rank.row", lang, medal=medal.get(r.rank, f"{r.rank}."), name=r.name, score=r.score,
                            rate=rate, done=r.done, live=r.live, overdue=r.overdue, fresh=r.fresh))
    return "\n".join(lines)


i18n.register(
    {
        "rank.title.dept": {"zh": "🏇 赛马 · 部门排名", "en": "🏇 Horse race · departments"},
        "rank.title.force": {"zh": "🏇 赛马 · 专班排名", "en": "🏇 Horse race · task forces"},
        "rank.empty": {"zh": "（还没有可排名的任务）", "en": "(nothing to rank yet)"},
        "rank.legend": {
            "zh": "得分（满分 100）= 50 × 按期完成率 + 30 × (1 − 逾期占比) + 20 × 及时更新率。"
                  "按期完成率 = 按期销号数 ÷ 近 {days} 天销号数，尚无销号的单位按 0.5（中性）计，不算满分；"
                  "逾期占比 = 逾期的在办任务 ÷ 在办任务（没有在办任务计 0）；"
                  "及时更新率 = 在专班沉默期限内有更新的在办任务 ÷ 在办任务（没有在办任务计 1）。",
            "en": "score (out of 100) = 50 × on-time rate + 30 × (1 − overdue share) + 20 × update timeliness. "
                  "On-time rate = tasks verified by their deadline ÷ tasks verified in the last {days} days; a unit "
                  "with nothing verified yet scores 0.5 (neutral), not full marks. Overdue share = overdue live "
                  "tasks ÷ live tasks (0 with none live). Update timeliness = live tasks updated within their task "
                  "force's silence window ÷ live tasks (1 with none live).",
        },
        "rank.row": {
            "zh": "{medal} {name} · {score} 分 · 按期 {rate}（完成 {done}）· 在办 {live} · 逾期 {overdue} · 及时更新 {fresh}",
            "en": "{medal} {name} · {score} · on time {rate} ({done} done) · {live} live · {overdue} overdue · {fresh} updated",
        },
    }
)
