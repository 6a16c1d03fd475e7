"""The wall screen (大屏) as HTML: Jinja2 templates, charts as server-drawn SVG, every user text escaped.

A fixed 1920×1080 canvas (the page's script scales it to the display); Chinese first, English with
``lang="en"``. ``page`` is the whole document; ``body`` is the canvas's content, which the change feed
pushes to open screens so they update without a reload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

import models.warmap  # noqa: F401  (registers warmap.no_dept, which the lanes reuse)
from models import i18n
from models.i18n import t
from models.lights import GREEN, GREY, RED, YELLOW
from models.screen import Bar, ForceScreen, ProvinceScreen

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
COLORS = (RED, YELLOW, GREEN, GREY)

# The chart's geometry on the canvas (px).
CHART_W, CHART_H = 1180, 530
LABEL_W = 300
TOP = 40  # the date axis
ROW_MAX = 30


@lru_cache(maxsize=1)
def env() -> Environment:
    e = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True,
                    default_for_string=True), trim_blocks=True, lstrip_blocks=True)
    e.globals["t"] = t
    e.filters["day"] = short_day
    e.filters["clip"] = clip
    return e


def short_day(d: date, lang: str) -> str:
    return i18n.format_short_day(d, lang)


def clip(s: str, n: int = 18) -> str:
    """At most ``n`` characters, with an ellipsis: a line of a wall screen never wraps."""
    return s if len(s) <= n else s[: n - 1] + "…"


@dataclass(frozen=True)
class Shape:
    """One drawn thing of the chart; ``kind`` picks the SVG element in the template."""

    kind: str  # lane | label | bar | fill | baseline | node | end
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0
    cls: str = ""
    text: str = ""
    points: str = ""
    task: int = 0


def gantt(s: ForceScreen, lang: str) -> tuple[list[Shape], list[Shape], float | None]:
    """The chart of lanes and bars: shapes, the date axis ticks (as ``label`` shapes), today's x."""
    lo, hi = s.window
    span = max(1, (hi - lo).days)
    x0, x1 = LABEL_W, CHART_W - 120  # room right of the last bar for its percent and owner

    def x(d: date) -> float:
        d = min(max(d, lo), hi)
        return round(x0 + (x1 - x0) * (d - lo).days / span, 1)

    rows = sum(1 + len(lane.bars) for lane in s.lanes)
    row = min(ROW_MAX, (CHART_H - TOP - 10) / max(1, rows))
    shapes: list[Shape] = []
    y = float(TOP)
    for lane in s.lanes:
        c = lane.counts
        name = lane.dept or t("warmap.no_dept", lang)
        summary = t("screen.lane", lang, n=sum(c.values()), red=c[RED], yellow=c[YELLOW], green=c[GREEN],
                    grey=c[GREY])
        more = t("screen.lane_more", lang, n=lane.more) if lane.more else ""
        shapes.append(Shape("lane", 0, round(y, 1), CHART_W, round(row, 1), text=f"{clip(name, 12)}  {summary}{more}"))
        y += row
        for b in lane.bars:
            shapes += _bar(b, y, row, x, lang)
            y += row
    ticks = []
    step = _tick_step(span)
    d = lo + timedelta(days=(7 - lo.weekday()) % 7) if step >= 7 else lo
    while d <= hi:
        ticks.append(Shape("label", x(d), TOP - 12, text=short_day(d, lang)))
        d += timedelta(days=step)
    today = x(s.today) if lo <= s.today <= hi else None
    return shapes, ticks, today


def _tick_step(span: int) -> int:
    for step in (1, 2, 7, 14, 28, 56, 91, 182):
        if span / step <= 10:
            return step
    return 365


def _bar(b: Bar, y: float, row: float, x, lang: str) -> list[Shape]:
    h = row * 0.62
    top = y + (row - h) / 2
    start, end = x(b.start), x(b.due + timedelta(days=1))
    w = max(4.0, end - start)
    out = [Shape("label", 12, y + row * 0.72, text=f"#{b.id} {clip(b.title, 12)}"),
           Shape("bar", start, top, w, h, cls=b.color, task=b.id)]
    if b.progress:
        out.append(Shape("fill", start, top, round(w * b.progress / 100, 1), h, cls=b.color))
    if b.baseline is not None:
        bx = x(b.baseline + timedelta(days=1))
        out.append(Shape("baseline", bx, y + 2, 0, row - 4))
    for due, done in b.nodes:
        nx, ny, r = x(due), top + h / 2, h / 2 + 2
        out.append(Shape("node", cls="done" if done else "open",
                         points=f"{nx},{ny - r} {nx + r},{ny} {nx},{ny + r} {nx - r},{ny}"))
    out.append(Shape("end", start + w + 8, y + row * 0.72, text=f"{b.progress}% {clip(b.owner, 6)}"))
    return out


def _clock(now: datetime, tz: ZoneInfo) -> str:
    return now.astimezone(tz).strftime("%H:%M")


def body(s: ForceScreen | ProvinceScreen, lang: str, tz: ZoneInfo) -> str:
    """The canvas's content: what the change feed pushes to every open screen of this scope."""
    lang = i18n.normalise_lang(lang)
    common = dict(s=s, lang=lang, colors=COLORS, today=i18n.format_day(s.today, lang), clock=_clock(s.now, tz))
    if isinstance(s, ForceScreen):
        shapes, ticks, today_x = gantt(s, lang)
        return env().get_template("screen_force.html").render(**common, shapes=shapes, ticks=ticks, today_x=today_x,
                                                               chart_w=CHART_W, chart_h=CHART_H)
    return env().get_template("screen_province.html").render(**common)


def document(body_html: str, lang: str, *, events: str, fragment: str, static: str = "/screen/static") -> str:
    """The whole page around a rendered ``body``: the stylesheet and the script by URL, no inline code."""
    lang = i18n.normalise_lang(lang)
    return env().get_template("screen_page.html").render(
        lang=lang, title=t("screen.title", lang), body=Markup(body_html), events=events, fragment=fragment,
        static=static)


def gone(lang: str) -> str:
    """What a bad, expired or revoked link shows: nothing of the data."""
    return env().get_template("screen_gone.html").render(lang=i18n.normalise_lang(lang))


i18n.register(
    {
        "screen.title": {"zh": "挂图作战 · 大屏", "en": "War map · wall screen"},
        "screen.title.force": {"zh": "{name} · 挂图作战", "en": "{name} · war map"},
        "screen.title.province": {"zh": "全省工作专班 · 挂图作战总览", "en": "All task forces · war map overview"},
        "screen.updated": {"zh": "更新于 {time}", "en": "updated {time}"},
        "screen.live": {"zh": "实时", "en": "live"},
        "screen.total": {"zh": "在办 {n} 项", "en": "{n} live"},
        "screen.week": {"zh": "本周（{since}起）：新增 {new} · 完成 {done} · 新逾期 {overdue} · 延期 {extended}",
                        "en": "This week (since {since}): {new} new · {done} done · {overdue} newly overdue · "
                              "{extended} extended"},
        "screen.lane": {"zh": "{n} 项 红{red} 黄{yellow} 绿{green} 灰{grey}",
                        "en": "{n}: R{red} Y{yellow} G{green} ·{grey}"},
        "screen.lane_more": {"zh": " · 另 {n} 项", "en": " · {n} more"},
        "screen.lanes_more": {"zh": "另有 {n} 个责任单位未列出", "en": "{n} more departments not shown"},
        "screen.chart": {"zh": "任务挂图（按责任单位）", "en": "Tasks by owning department"},
        "screen.legend": {"zh": "◆ 时间节点 ◇ 已完成节点 ┆ 原定截止 │ 今天",
                          "en": "◆ time node ◇ node reached ┆ baseline deadline │ today"},
        "screen.red_flags": {"zh": "红旗 · 本周完成 {n}", "en": "Red flags · done this week {n}"},
        "screen.black_flags": {"zh": "黑旗 · 逾期 {n}", "en": "Black flags · overdue {n}"},
        "screen.overdue_days": {"zh": "逾期{days}个工作日", "en": "{days} {days:working day|working days} late"},
        "screen.node_late": {"zh": "节点逾期", "en": "node late"},
        "screen.rank": {"zh": "赛马 · 部门排名", "en": "Horse race · departments"},
        "screen.rank_force": {"zh": "赛马 · 专班排名", "en": "Horse race · task forces"},
        "screen.rank_row": {"zh": "{score} 分 · 在办 {live} · 逾期 {overdue}",
                            "en": "{score} · {live} live · {overdue} overdue"},
        "screen.escalations": {"zh": "督办中 {n}", "en": "Escalations in progress {n}"},
        "screen.coming": {"zh": "未来{days}个工作日 · 至{until}", "en": "Next {days} working days (to {until})"},
        "screen.deadline": {"zh": "截止", "en": "deadline"},
        "screen.notes": {"zh": "最新进展", "en": "Latest progress"},
        "screen.none": {"zh": "（无）", "en": "(none)"},
        "screen.forces": {"zh": "专班 {n} 个 · 在办任务 {total} 项", "en": "{n} task forces · {total} live tasks"},
        "screen.tile": {"zh": "本周完成 {done} · 督办 {esc}", "en": "done this week {done} · escalations {esc}"},
        "screen.focus": {"zh": "轮播 · {name}", "en": "Spotlight · {name}"},
        "screen.gone": {"zh": "此大屏链接无效、已过期或已撤销。", "en": "This screen link is invalid, expired or revoked."},
        "screen.gone_hint": {"zh": "请专班负责人用 /force screen 生成新链接。",
                             "en": "Ask the task force's lead for a new one: /force screen."},
    }
)
