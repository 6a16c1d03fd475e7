"""挂图 (the war map): a task force's tasks against time, lit by status, as a PNG."""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta
from functools import lru_cache

from models import i18n
from models.tasks import TaskView

COLORS = {"red": "#d9363e", "yellow": "#f0ad00", "green": "#2e9e4f", "grey": "#9aa0a6"}
CJK_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
                "Noto Sans CJK JP", "WenQuanYi Zen Hei", "AR PL UMing CN")
MAX_ROWS = 60
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


def render_png(views: list[TaskView], *, title: str, today: date, lang: str) -> bytes:
    """One bar per task from start to deadline, filled to its progress, lit by its light; time
    nodes as diamonds, a moved deadline's baseline as a dashed tick, today as a line."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch

    rows = sorted(views, key=lambda v: ({"red": 0, "yellow": 1, "green": 2, "grey": 3}[v.light.color], v.due))[:MAX_ROWS]
    family = cjk_family()
    with _LOCK, plt.rc_context({"font.family": family, "axes.unicode_minus": False}):
        height = max(2.5, 0.42 * len(rows) + 1.6)
        fig, ax = plt.subplots(figsize=(12, height), dpi=110)
        try:
            if rows:
                lo = min(min(v.start_date for v in rows), today) - timedelta(days=3)
                hi = max(max(max(v.due, v.baseline_due) for v in rows), today) + timedelta(days=14)  # room for labels
            else:
                lo, hi = today - timedelta(days=7), today + timedelta(days=30)
            for y, v in enumerate(rows):
                start = matplotlib.dates.date2num(v.start_date)
                end = matplotlib.dates.date2num(v.due + timedelta(days=1))
                color = COLORS[v.light.color]
                ax.barh(y, end - start, left=start, height=0.56, color=color, alpha=0.25, edgecolor=color)
                ax.barh(y, (end - start) * v.progress / 100, left=start, height=0.56, color=color, alpha=0.85)
                if v.moved:
                    b = matplotlib.dates.date2num(v.baseline_due + timedelta(days=1))
                    ax.plot([b, b], [y - 0.38, y + 0.38], linestyle="--", color="#555555", linewidth=1)
                for n in v.nodes:
                    x = matplotlib.dates.date2num(n.due)
                    ax.plot(x, y, marker="D", markersize=6, color="#333333" if not n.done else "#ffffff",
                            markeredgecolor="#333333")
                ax.text(end + 0.4, y, f"{v.progress}%  {v.owner_name}", va="center", fontsize=8)
            ax.axvline(matplotlib.dates.date2num(today), color="#1f6feb", linewidth=1.5)
            ax.set_yticks(range(len(rows)))
            ax.set_yticklabels([f"#{v.id} {_clip(v.title)}" for v in rows], fontsize=9)
            ax.invert_yaxis()
            ax.set_xlim(matplotlib.dates.date2num(lo), matplotlib.dates.date2num(hi))
            ax.xaxis_date()
            ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%m-%d"))
            ax.grid(axis="x", color="#eeeeee")
            ax.set_title(title, fontsize=13, loc="left")
            counts = {c: sum(1 for v in rows if v.light.color == c) for c in COLORS}
            ax.legend(handles=[Patch(color=COLORS[c], label=f"{i18n.t('light.' + c, lang)} {counts[c]}") for c in COLORS],
                      loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=4, fontsize=8, frameon=False)
            if not rows:
                ax.text(0.5, 0.5, i18n.t("render.no_tasks", lang), transform=ax.transAxes, ha="center")
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
            return buf.getvalue()
        finally:
            plt.close(fig)


def _clip(s: str, n: int = 22) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"
