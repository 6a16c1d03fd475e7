"""赛马: the ranking (``models.rank.ranking``) as a message, with its formula in full."""

from __future__ import annotations

from models import i18n
from models.rank import SINCE_DAYS, RankRow


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
