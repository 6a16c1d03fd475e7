"""挂图 (the war map): a task force's tasks against time, grouped by owning department (责任单位),
lit by status, in as many PNG pages as it takes to stay readable on a phone."""

from __future__ import annotations

import io
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from models import i18n
from models.lights import ORDER
from models.tasks import TaskView

COLORS = {"red": "#d9363e", "yellow": "#f0ad00", "green": "#2e9e4f", "grey": "#9aa0a6"}
CJK_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
                "Noto Sans CJK JP", "WenQuanYi Zen Hei", "AR PL UMing CN")
BARS_PER_PAGE = 40  # a page is read on a phone: more bars and the labels get too small
# pyplot's state is global: one chart at a time per process.
_LOCK = threading.Lock()


class NoCJKFont(RuntimeError):
    """No font with Chinese glyphs is installed; charts would show empty boxes."""


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """The first installed CJK font family; fails loudly rather than drawing empty boxes."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    raise NoCJKFont("no CJK font installed (Debian: apt-get install fonts-wqy-microhei)")


@lru_cache(maxsize=4)
def _glyphs(family: str) -> frozenset[int]:
    """The code points the font can draw (emoji and rare characters in user text are not among them)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    return frozenset(FT2Font(path).get_charmap())


def drawable(text: str, family: str | None = None) -> str:
    """``text`` without the characters the font lacks, so the PNG has no empty boxes and matplotlib no warnings."""
    glyphs = _glyphs(family or cjk_family())
    return " ".join("".join(c for c in text if ord(c) in glyphs).split())


@dataclass(frozen=True)
class Row:
    """One line of a page: a department's heading (``task`` None) or a task's bar."""

    dept: str
    task: TaskView | None = None
    continued: bool = False


@dataclass(frozen=True)
class MapPage:
    """One PNG of the map; ``task_ids`` are the bars drawn on it, top to bottom."""

    no: int
    of: int
    png: bytes
    task_ids: tuple[int, ...]


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


def render_pages(views: list[TaskView], *, title: str, today: date, lang: str,
                 per_page: int = BARS_PER_PAGE) -> list[MapPage]:
    """Every task as one bar on exactly one page, from start to deadline, filled to its progress, lit by its
    light; time nodes as diamonds, a moved deadline's baseline as a dashed tick, today as a line; the legend
    counts every task of the map, not the page's."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    family = cjk_family()
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
    with _LOCK, plt.rc_context({"font.family": family, "axes.unicode_minus": False}):
        for no, rows in enumerate(pages, 1):
            head = title if len(pages) == 1 else f"{title} · " + i18n.t("warmap.page", lang, no=no, of=len(pages))
            png, drawn = _page(plt, rows, title=drawable(head, family), today=today, lang=lang, lo=lo, hi=hi,
                               counts=counts, dept_counts=dept_counts, family=family)
            out.append(MapPage(no, len(pages), png, drawn))
    return out


def _page(plt, rows: list[Row], *, title: str, today: date, lang: str, lo: date, hi: date, counts: Counter,
          dept_counts: dict[str, Counter], family: str) -> tuple[bytes, tuple[int, ...]]:
    from matplotlib import dates as mdates
    from matplotlib.colors import to_rgba
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    clip = _clipper(today)

    height = max(3.0, 0.34 * len(rows) + 2.4)
    fig, ax = plt.subplots(figsize=(10, height), dpi=100)
    drawn: list[int] = []
    try:
        labels = []
        for y, row in enumerate(rows):
            if row.task is None:
                ax.axhspan(y - 0.5, y + 0.5, color="#eef1f5", zorder=0)
                c = dept_counts.get(row.dept, Counter())
                summary = i18n.t("warmap.dept", lang, n=sum(c.values()), red=c["red"], yellow=c["yellow"],
                                 green=c["green"], grey=c["grey"])
                labels.append(drawable(f"{row.dept}{i18n.t('warmap.continued', lang) if row.continued else ''} · {summary}",
                                       family))
                continue
            v = row.task
            start = mdates.date2num(clip(v.start_date))
            end = mdates.date2num(clip(v.due) + timedelta(days=1))
            color = COLORS[v.light.color]
            # The plan in a pale tint with a solid edge: a 0 % bar is still drawn, in its light's colour.
            ax.barh(y, end - start, left=start, height=0.6, color=to_rgba(color, 0.22), edgecolor=color, linewidth=1)
            if v.progress:
                ax.barh(y, (end - start) * v.progress / 100, left=start, height=0.6, color=color)
            if v.moved:
                b = mdates.date2num(clip(v.baseline_due) + timedelta(days=1))
                ax.plot([b, b], [y - 0.42, y + 0.42], linestyle="--", color="#555555", linewidth=1.2)
            for n in v.nodes:
                ax.plot(mdates.date2num(clip(n.due)), y, marker="D", markersize=5.5, linestyle="none",
                        color="#ffffff" if n.done else "#333333", markeredgecolor="#333333")
            ax.text(end + 0.5, y, drawable(f"{v.progress}%  {v.owner_name}", family), va="center", fontsize=8)
            labels.append(drawable(f"#{v.id} {_clip(v.title)}", family))
            drawn.append(v.id)
        ax.axvline(mdates.date2num(today), color="#1f6feb", linewidth=1.5)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(labels, fontsize=9)
        for tick, row in zip(ax.get_yticklabels(), rows):
            if row.task is None:
                tick.set_color("#1f3a5f")
        ax.set_ylim(len(rows) - 0.5 if rows else 0.5, -0.5)
        ax.set_xlim(mdates.date2num(lo), mdates.date2num(hi))
        ax.xaxis_date()
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
        ax.tick_params(axis="x", labeltop=True, top=True, labelsize=8)
        ax.grid(axis="x", color="#eeeeee")
        ax.set_title(title, fontsize=12, loc="left", pad=28)
        handles = [Patch(facecolor=COLORS[c], edgecolor=COLORS[c], label=f"{i18n.t('light.' + c, lang)} {counts[c]}")
                   for c in COLORS]
        handles += [
            Line2D([], [], marker="D", linestyle="none", color="#333333", label=i18n.t("warmap.legend.node", lang)),
            Line2D([], [], marker="D", linestyle="none", color="#ffffff", markeredgecolor="#333333",
                   label=i18n.t("warmap.legend.node_done", lang)),
            Line2D([], [], linestyle="--", color="#555555", label=i18n.t("warmap.legend.baseline", lang)),
            Line2D([], [], color="#1f6feb", label=i18n.t("warmap.legend.today", lang)),
        ]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02 - 0.5 / height), ncols=4,
                  fontsize=8, frameon=False)
        if not rows:
            ax.text(0.5, 0.5, i18n.t("render.no_tasks", lang), transform=ax.transAxes, ha="center")
        fig.text(0.01, 0.003, i18n.t("warmap.legend.bar", lang), fontsize=7, color="#555555", va="bottom")
        fig.tight_layout(rect=(0, 0.02, 1, 1))
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue(), tuple(drawn)
    finally:
        plt.close(fig)


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
