"""The war map (挂图) drawn as PNG pages, in a child process.

matplotlib keeps about 125 MB resident once imported; a web process that drew one map would carry
that for the rest of its life. So ``render_pages`` builds the read model (``models.warmap.model``),
hands it as JSON on stdin to ``python -m present.warmap_png``, and reads the pages back from its
stdout; the child exits and gives its memory back. The child's warnings and matplotlib's log
records are passed back and re-raised (re-logged) in the caller, so a "Glyph missing" still shows
where the map was asked for.

Protocol: stdin one JSON object (the model); stdout, per page, a 4-byte big-endian length and the
PNG's bytes; stderr one JSON object per line (``{"warning": …}``, ``{"log": …}``, ``{"error": …}``);
exit status 0, or ``NO_FONT`` when no CJK font is installed, anything else on failure.
"""

from __future__ import annotations

import io
import json
import logging
import os
import struct
import subprocess
import sys
import threading
import warnings
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from models import warmap
from models.tasks import TaskView

COLORS = {"red": "#d9363e", "yellow": "#f0ad00", "green": "#2e9e4f", "grey": "#9aa0a6"}
CJK_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
                "Noto Sans CJK JP", "WenQuanYi Zen Hei", "AR PL UMing CN")
TIMEOUT = 180.0  # seconds for the child to draw every page (a 300-task map: a few on an idle machine, a minute on a loaded one)
NO_FONT = 3  # the child's exit status when no CJK font is installed
# pyplot's state is global: one chart at a time per process (the child draws one map; tests draw in-process).
_LOCK = threading.Lock()
_ROOT = Path(__file__).resolve().parent.parent


class NoCJKFont(RuntimeError):
    """No font with Chinese glyphs is installed; charts would show empty boxes."""


class MapRenderError(RuntimeError):
    """The child drawing the map failed, timed out or answered nonsense; the message says which."""


@dataclass(frozen=True)
class MapPage:
    """One PNG of the map; ``task_ids`` are the bars drawn on it, top to bottom."""

    no: int
    of: int
    png: bytes
    task_ids: tuple[int, ...]


def render_pages(views: list[TaskView], *, title: str, today: date, lang: str,
                 per_page: int = warmap.BARS_PER_PAGE, timeout: float = TIMEOUT) -> list[MapPage]:
    """Every task as one bar on exactly one page (see ``models.warmap``), drawn in a child process.
    Raises ``NoCJKFont`` when no Chinese font is installed, ``MapRenderError`` on any other failure."""
    data = warmap.model(views, title=title, today=today, lang=lang, per_page=per_page)
    pngs = draw_in_child(data, timeout=timeout)
    if len(pngs) != len(data["pages"]):
        raise MapRenderError(f"the map's renderer returned {len(pngs)} pages for {len(data['pages'])}")
    return [MapPage(p["no"], p["of"], png, tuple(r["id"] for r in p["rows"] if "id" in r))
            for p, png in zip(data["pages"], pngs, strict=True)]


def draw_in_child(data: dict[str, Any], *, timeout: float = TIMEOUT) -> list[bytes]:
    """The PNG of each page of ``data``, drawn by ``python -m present.warmap_png``."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": os.pathsep.join(
        p for p in (str(_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    try:
        done = subprocess.run([sys.executable, "-m", "present.warmap_png"], input=json.dumps(data).encode(),
                              capture_output=True, timeout=timeout, env=env, cwd=_ROOT, check=False)
    except subprocess.TimeoutExpired:
        raise MapRenderError(f"drawing the war map took longer than {timeout:g} s; the renderer was stopped") from None
    except OSError as exc:
        raise MapRenderError(f"the war map's renderer could not start: {exc}") from None
    error = _replay(done.stderr)
    if done.returncode == NO_FONT:
        raise NoCJKFont(error or "no CJK font installed")
    if done.returncode != 0:
        raise MapRenderError(f"the war map's renderer failed (exit {done.returncode}): {error or 'no message'}")
    return _unpack(done.stdout)


def _replay(stderr: bytes) -> str:
    """Re-raises the child's warnings and re-logs its log records here; returns its error message, if any."""
    error = ""
    for line in stderr.decode("utf-8", "replace").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            item = {"log": line, "logger": __name__, "level": logging.WARNING}
        if not isinstance(item, dict):
            continue
        if "warning" in item:
            warnings.warn(f"war map renderer: {item['warning']}", UserWarning, stacklevel=3)
        elif "log" in item:
            logging.getLogger(str(item.get("logger") or __name__)).log(int(item.get("level") or 30), "%s", item["log"])
        elif "error" in item:
            error = str(item["error"])
    return error


def _unpack(out: bytes) -> list[bytes]:
    pngs, at = [], 0
    while at < len(out):
        if at + 4 > len(out):
            raise MapRenderError("the war map's renderer answered a truncated page")
        (n,) = struct.unpack(">I", out[at:at + 4])
        png = out[at + 4:at + 4 + n]
        if len(png) != n or not png.startswith(b"\x89PNG"):
            raise MapRenderError("the war map's renderer answered something that is not a PNG")
        pngs.append(png)
        at += 4 + n
    return pngs


# ---------------------------------------------------------------- drawing (in the child, or in tests)


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


def draw(data: dict[str, Any]) -> list[bytes]:
    """Every page of the model as a PNG: bars from start to deadline, filled to their progress, lit by their
    light; time nodes as diamonds, a moved deadline's baseline as a dashed tick, today as a line."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    family = cjk_family()
    with _LOCK, plt.rc_context({"font.family": family, "axes.unicode_minus": False}):
        return [_page(plt, data, page, family) for page in data["pages"]]


def _page(plt: Any, data: dict[str, Any], page: dict[str, Any], family: str) -> bytes:
    from matplotlib import dates as mdates
    from matplotlib.colors import to_rgba
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    def day(iso: str) -> float:
        return float(mdates.date2num(date.fromisoformat(iso)))

    rows, texts = page["rows"], data["texts"]
    height = max(3.0, 0.34 * len(rows) + 2.4)
    fig, ax = plt.subplots(figsize=(10, height), dpi=100)
    try:
        labels = []
        for y, row in enumerate(rows):
            if "dept" in row:
                ax.axhspan(y - 0.5, y + 0.5, color="#eef1f5", zorder=0)
                labels.append(drawable(row["dept"], family))
                continue
            start, end = day(row["start"]), day(row["end"])
            color = COLORS[row["color"]]
            # The plan in a pale tint with a solid edge: a 0 % bar is still drawn, in its light's colour.
            ax.barh(y, end - start, left=start, height=0.6, color=to_rgba(color, 0.22), edgecolor=color, linewidth=1)
            if row["progress"]:
                ax.barh(y, (end - start) * row["progress"] / 100, left=start, height=0.6, color=color)
            if row["baseline"]:
                b = day(row["baseline"])
                ax.plot([b, b], [y - 0.42, y + 0.42], linestyle="--", color="#555555", linewidth=1.2)
            for due, done in row["nodes"]:
                ax.plot(day(due), y, marker="D", markersize=5.5, linestyle="none",
                        color="#ffffff" if done else "#333333", markeredgecolor="#333333")
            ax.text(end + 0.5, y, drawable(row["note"], family), va="center", fontsize=8)
            labels.append(drawable(row["label"], family))
        ax.axvline(day(data["today"]), color="#1f6feb", linewidth=1.5)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(labels, fontsize=9)
        for tick, row in zip(ax.get_yticklabels(), rows, strict=False):
            if "dept" in row:
                tick.set_color("#1f3a5f")
        ax.set_ylim(len(rows) - 0.5 if rows else 0.5, -0.5)
        ax.set_xlim(day(data["lo"]), day(data["hi"]))
        ax.xaxis_date()
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
        ax.tick_params(axis="x", labeltop=True, top=True, labelsize=8)
        ax.grid(axis="x", color="#eeeeee")
        ax.set_title(drawable(page["title"], family), fontsize=12, loc="left", pad=28)
        handles: list[Any] = [Patch(facecolor=COLORS[c], edgecolor=COLORS[c], label=drawable(data["legend"][c], family))
                              for c in warmap.LIGHTS]
        handles += [
            Line2D([], [], marker="D", linestyle="none", color="#333333", label=drawable(texts["node"], family)),
            Line2D([], [], marker="D", linestyle="none", color="#ffffff", markeredgecolor="#333333",
                   label=drawable(texts["node_done"], family)),
            Line2D([], [], linestyle="--", color="#555555", label=drawable(texts["baseline"], family)),
            Line2D([], [], color="#1f6feb", label=drawable(texts["today"], family)),
        ]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02 - 0.5 / height), ncols=4,
                  fontsize=8, frameon=False)
        if not rows:
            ax.text(0.5, 0.5, drawable(texts["no_tasks"], family), transform=ax.transAxes, ha="center")
        fig.text(0.01, 0.003, drawable(texts["bar"], family), fontsize=7, color="#555555", va="bottom")
        fig.tight_layout(rect=(0, 0.02, 1, 1))
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)


class _JsonLines(logging.Handler):
    """The child's log records, one JSON object a line on stderr, for the parent to re-log."""

    def emit(self, record: logging.LogRecord) -> None:
        _say({"log": record.getMessage(), "logger": record.name, "level": record.levelno})


def _say(item: dict[str, Any]) -> None:
    sys.stderr.write(json.dumps(item, ensure_ascii=False) + "\n")
    sys.stderr.flush()


def main() -> int:
    """The child: a model on stdin, the pages on stdout (see the module docstring)."""
    logging.basicConfig(level=logging.WARNING, handlers=[_JsonLines()])
    warnings.showwarning = lambda message, category, *_a, **_k: _say({"warning": f"{category.__name__}: {message}"})
    try:
        data = json.loads(sys.stdin.buffer.read())
        pngs = draw(data)
    except NoCJKFont as exc:
        _say({"error": str(exc)})
        return NO_FONT
    except Exception as exc:
        _say({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    out = sys.stdout.buffer
    for png in pngs:
        out.write(struct.pack(">I", len(png)) + png)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
