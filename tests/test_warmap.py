"""The war map renders a real PNG with Chinese glyphs (no empty boxes), lit by status."""

from __future__ import annotations

import warnings
from datetime import date

import pytest
from sqlmodel import Session

from models import tasks, warmap
from tests.conftest import at
from tests.factories import d, standard_world


def test_war_map_is_a_png_with_every_task_and_no_missing_glyphs(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, at("2026-11-02 10:00"))
        a = w.task("lin", "公安人口数据接入", due=d("2026-11-10"), owner="zhang", force="数据共享专班")
        w.task("lin", "企业信用数据共享接口", due=d("2026-12-10"), owner="wang", force="数据共享专班")
        tasks.add_node(w.ctx("zhang"), a.id, d("2026-11-05"), "联调")
        ctx = w.ctx("lin", now=at("2026-11-20 10:00"))
        views = tasks.force_tasks(ctx, tasks._force_of(ctx, a), live_only=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "Glyph missing" would be a UserWarning
            png = warmap.render_png(views, title="数据共享专班 · 挂图", today=date(2026, 11, 20), lang="zh")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert [v.light.color for v in views] == ["red", "yellow"]


def test_empty_force_still_renders():
    png = warmap.render_png([], title="空专班", today=date(2026, 11, 20), lang="zh")
    assert png.startswith(b"\x89PNG")


def test_missing_cjk_font_fails_loudly(monkeypatch):
    warmap.cjk_family.cache_clear()
    monkeypatch.setattr(warmap, "CJK_FAMILIES", ("No Such Font",))
    try:
        with pytest.raises(warmap.NoCJKFont, match="fonts-wqy-microhei"):
            warmap.cjk_family()
    finally:
        warmap.cjk_family.cache_clear()
