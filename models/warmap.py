"""挂图 (the war map): a task force's tasks against time, grouped by owning department (责任单位),
lit by status, in as many pages as it takes to stay readable on a phone.

The read model only: which rows go on which page, and every text and date each row shows, as plain
JSON-ready data (``model``). Drawing it (PNG) is ``present.warmap_png``'s, in a subprocess, so no
process serving requests keeps a plotting library resident.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from models import i18n
from models.lights import ORDER
from models.tasks import TaskView

LIGHTS = ("red", "yellow", "green", "grey")  # the legend's order
BARS_PER_PAGE = 40  # a page is read on a phone: more bars and the labels get too small


@dataclass(frozen=True)
class Row:
    """One line of a page: a department's heading (``task`` None) or a task's bar."""

    dept: str
    task: TaskView | None = None
    continued: bool = False


def dept_of(v: TaskView, lang: str) -> str:
    return v.dept_name or i18n.t("warmap.no_dept", lang)


def layout(views: list[TaskView], lang: str, *, per_page: int = BARS_PER_PAGE) -> list[list[Row]]:
    """Pages of rows: departments with the most red first, each headed, its tasks red first then by deadline;
    at most ``per_page`` bars a page; every task exactly once; a department cut by a page is headed again."""
    by_dept: dict[str, list[TaskView]] = {}
    for v in views:
        by_dept.setdefault(dept_of(v, lang), []).append(v)

    def weight(name: str) -> tuple:
        c = Counter(v.light.color for v in by_dept[name])
        return -c["red"], -c["yellow"], name == i18n.t("warmap.no_dept", lang), name

    pages: list[list[Row]] = []
    page: list[Row] = []
    bars = 0
    for name in sorted(by_dept, key=weight):
        heading = False
        for v in sorted(by_dept[name], key=lambda v: (ORDER[v.light.color], v.due, v.id)):
            if bars == per_page:
                pages.append(page)
                page, bars, heading = [], 0, False
            if not heading:
                page.append(Row(name, continued=any(r.dept == name for p in pages for r in p)))
                heading = True
            page.append(Row(name, v))
            bars += 1
    if page or not pages:
        pages.append(page)
    return pages


def _clipper(today: date):
    """Dates as the chart may draw them: within three years before and six after today, so a legacy
    row due in 9999 (or year 1) is drawn at the chart's edge instead of stretching or breaking it."""
    lo, hi = today - timedelta(days=3 * 366), today + timedelta(days=6 * 366)
    return lambda d: min(max(d, lo), hi)


def model(views: list[TaskView], *, title: str, today: date, lang: str,
          per_page: int = BARS_PER_PAGE) -> dict[str, Any]:
    """The war map as plain JSON-ready data, every text already in ``lang``: each page's rows (a department's
    heading, or a task's bar from start to deadline with its progress, light, time nodes and moved baseline),
    the time axis, and the legend counting every task of the map. Drawing it is ``present.warmap_png``'s."""
    pages = layout(views, lang, per_page=per_page)
    counts = Counter(v.light.color for v in views)
    dept_counts: dict[str, Counter] = {}
    for v in views:
        dept_counts.setdefault(dept_of(v, lang), Counter())[v.light.color] += 1
    clip = _clipper(today)
    if views:
        lo = min(min(clip(v.start_date) for v in views), today) - timedelta(days=3)
        hi = max(max(clip(max(v.due, v.baseline_due)) for v in views), today)
        hi += timedelta(days=max(14, (hi - lo).days // 5))  # room for the labels right of the bars
    else:
        lo, hi = today - timedelta(days=7), today + timedelta(days=30)
    out = []
    for no, rows in enumerate(pages, 1):
        head = title if len(pages) == 1 else f"{title} · " + i18n.t("warmap.page", lang, no=no, of=len(pages))
        out.append({"no": no, "of": len(pages), "title": head,
                    "rows": [_row(row, lang, clip, dept_counts) for row in rows]})
    legend = {c: f"{i18n.t('light.' + c, lang)} {counts[c]}" for c in LIGHTS}
    texts = {k: i18n.t(f"warmap.legend.{k}", lang) for k in ("node", "node_done", "baseline", "today", "bar")}
    return {"today": today.isoformat(), "lo": lo.isoformat(), "hi": hi.isoformat(),
            "legend": legend, "texts": {**texts, "no_tasks": i18n.t("render.no_tasks", lang)}, "pages": out}


def _row(row: Row, lang: str, clip, dept_counts: dict[str, Counter]) -> dict[str, Any]:
    if row.task is None:
        c = dept_counts.get(row.dept, Counter())
        summary = i18n.t("warmap.dept", lang, n=sum(c.values()), red=c["red"], yellow=c["yellow"],
                         green=c["green"], grey=c["grey"])
        return {"dept": f"{row.dept}{i18n.t('warmap.continued', lang) if row.continued else ''} · {summary}"}
    v = row.task
    return {"id": v.id, "label": f"#{v.id} {_clip(v.title)}", "note": f"{v.progress}%  {v.owner_name}",
            "start": clip(v.start_date).isoformat(), "end": (clip(v.due) + timedelta(days=1)).isoformat(),
            "color": v.light.color, "progress": v.progress,
            "baseline": (clip(v.baseline_due) + timedelta(days=1)).isoformat() if v.moved else None,
            "nodes": [[clip(n.due).isoformat(), bool(n.done)] for n in v.nodes]}


def _clip(s: str, n: int = 22) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


i18n.register(
    {
        "warmap.page": {"zh": "第 {no}/{of} 页", "en": "page {no}/{of}"},
        "warmap.no_dept": {"zh": "未定责任单位", "en": "No department"},
        "warmap.continued": {"zh": "（续）", "en": " (cont.)"},
        "warmap.dept": {"zh": "{n} 项：红 {red} 黄 {yellow} 绿 {green} 未开始 {grey}",
                        "en": "{n}: red {red} yellow {yellow} green {green} not started {grey}"},
        "warmap.legend.node": {"zh": "时间节点", "en": "time node"},
        "warmap.legend.node_done": {"zh": "已完成节点", "en": "node reached"},
        "warmap.legend.baseline": {"zh": "原定截止（已延期）", "en": "baseline deadline (moved)"},
        "warmap.legend.today": {"zh": "今天", "en": "today"},
        "warmap.legend.bar": {"zh": "浅色条：开始至当前截止；深色：已完成进度。图例计数为全图任务。",
                              "en": "Pale bar: start to current deadline; solid: progress. Legend counts cover the whole map."},
    }
)
