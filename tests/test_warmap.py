"""The war map: real PNG pages with Chinese glyphs (no empty boxes), grouped by department, every task once."""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from datetime import date

import pytest
from sqlmodel import Session

from bot.dispatch import Caller, Service
from models import forces, lists, tasks, warmap
from models.db import make_engine
from models.errors import NotFound
from models.migrate import upgrade
from models.org import PersonRef
from present import warmap_png
from tests.conftest import TZ, at
from tests.factories import d, standard_world

NOW = at("2026-11-23 10:00")
FORCE = "数据共享专班"


def test_war_map_is_a_png_with_every_task_and_no_missing_glyphs(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, at("2026-11-02 10:00"))
        a = w.task("lin", "公安人口数据接入 🚀", due=d("2026-11-10"), owner="zhang", force=FORCE)
        w.task("lin", "企业信用数据共享接口", due=d("2026-12-10"), owner="wang", force=FORCE)
        tasks.add_node(w.ctx("zhang"), a.id, d("2026-11-05"), "联调")
        ctx = w.ctx("lin", now=at("2026-11-20 10:00"))
        views = tasks.force_tasks(ctx, tasks._force_of(ctx, a), live_only=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "Glyph missing" (the emoji in a title) would be a UserWarning
            (page,) = warmap_png.render_pages(views, title="数据共享专班 · 挂图", today=date(2026, 11, 20), lang="zh")
    assert page.png.startswith(b"\x89PNG\r\n\x1a\n") and len(page.png) > 10_000
    assert [v.light.color for v in views] == ["red", "yellow"] and page.task_ids == (a.id, a.id + 1)


def test_empty_force_still_renders():
    (page,) = warmap_png.render_pages([], title="空专班", today=date(2026, 11, 20), lang="zh")
    assert page.png.startswith(b"\x89PNG") and page.task_ids == ()


def test_drawable_drops_what_the_font_cannot_draw():
    assert warmap_png.drawable("数据 🔴 共享 ✅ #12") == "数据 共享 #12"


@pytest.fixture(scope="module")
def big_views():
    """The live task cards of a 300-task force (in-memory SQLite: rendering does not depend on the database)."""
    engine = make_engine("sqlite://")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, NOW)
        w.bulk_tasks(FORCE, 300, by="lin")
        ctx = w.ctx("lin")
        yield tasks.force_tasks(ctx, forces.find_force(ctx, FORCE), live_only=True)


@pytest.mark.filterwarnings("error")
def test_a_300_task_map_has_readable_pages_that_draw_every_task_exactly_once(big_views, caplog):
    caplog.set_level(logging.WARNING, logger="matplotlib")
    pages = warmap_png.render_pages(big_views, title="数据共享专班 · 挂图作战", today=NOW.date(), lang="zh")
    drawn = [tid for p in pages for tid in p.task_ids]
    assert sorted(drawn) == sorted(v.id for v in big_views) and len(drawn) == 300  # each once
    assert len(pages) == 8 and all(len(p.task_ids) <= warmap.BARS_PER_PAGE for p in pages)
    assert [(p.no, p.of) for p in pages] == [(n, 8) for n in range(1, 9)]
    assert all(p.png.startswith(b"\x89PNG") and len(p.png) < 500_000 for p in pages)
    assert not [r for r in caplog.records if r.name.startswith("matplotlib")]  # e.g. "findfont: …"


def test_the_map_groups_by_department_then_red_first(big_views):
    pages = warmap.layout(big_views, "zh")
    rows = [r for p in pages for r in p]
    depts = [r.dept for r in rows if r.task is None and not r.continued]
    assert len(depts) == len(set(depts)) == len({warmap.dept_of(v, "zh") for v in big_views})
    for p in pages:
        assert p[0].task is None  # every page starts with its department's heading
    for name in depts:
        group = [r.task for r in rows if r.task is not None and r.dept == name]
        order = [(lists.ORDER[v.light.color], v.due, v.id) for v in group]
        assert order == sorted(order)
    reds = [Counter(r.task.light.color for r in rows if r.task and r.dept == name)["red"] for name in depts]
    assert reds[0] == max(reds)  # the department with the most red comes first


def test_map_filters_by_department_owner_and_light(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, NOW)
        w.bulk_tasks(FORCE, 120, by="lin")
        ctx = w.ctx("lin")
        f = forces.find_force(ctx, FORCE)
        every = lists.map_tasks(ctx, f)
        assert len(every) == 120
        dept = lists.map_tasks(ctx, f, dept="第2责任单位")
        assert dept and {v.dept_name for v in dept} == {"第2责任单位"}
        owner = lists.map_tasks(ctx, f, owner=PersonRef(name="owner3"))
        assert len(owner) == 10 and {v.owner_name for v in owner} == {"owner3"}
        lit = next(v.dept_name for v in every if v.light.color == "red" and v.dept_name)
        red = lists.map_tasks(ctx, f, light="red", dept=lit)
        assert red and {v.light.color for v in red} == {"red"} and {v.dept_name for v in red} == {lit}
        assert len(red) == sum(1 for v in every if v.light.color == "red" and v.dept_name == lit)
        with pytest.raises(NotFound):
            lists.map_tasks(ctx, f, dept="不存在的单位")


@pytest.mark.filterwarnings("error")
def test_force_map_replies_with_every_page_attached(sqlite_engine):
    from tests.conftest import _wipe

    _wipe(sqlite_engine)
    with Session(sqlite_engine, expire_on_commit=False) as s:
        w = standard_world(s, NOW)
        w.bulk_tasks(FORCE, 90, by="lin")
        s.commit()
    svc = Service(sqlite_engine, tz=TZ, default_lang="zh")

    def say(text: str):
        return svc.handle(Caller("T1", "lin", "C1", name="lin"), "/force", text, now=NOW)

    reply = say(f"map {FORCE}")
    assert reply.ok and len(reply.files) == 3 and [n for n, _ in reply.files][-1].endswith("-p3.png")
    assert "共 90 项 · 挂图 3 页" in reply.text and "第2责任单位" in reply.text
    red = say(f"挂图 {FORCE} 灯:红 部门:第5责任单位")
    assert red.ok and len(red.files) == 1 and "筛选：dept:第5责任单位 · light:red" in red.text
    assert not say(f"map {FORCE} dept:不存在的单位").ok


def test_missing_cjk_font_fails_loudly(monkeypatch):
    warmap_png.cjk_family.cache_clear()
    monkeypatch.setattr(warmap_png, "CJK_FAMILIES", ("No Such Font",))
    try:
        with pytest.raises(warmap_png.NoCJKFont, match="fonts-wqy-microhei"):
            warmap_png.cjk_family()
    finally:
        warmap_png.cjk_family.cache_clear()
