"""The weekly digest shows what changed, what is red, who is silent and what waits for the lead."""

from __future__ import annotations

from sqlmodel import Session

from models import digest, tasks
from models.forces import find_force
from present import digest as digest_text
from tests.conftest import TZ, at
from tests.factories import d, standard_world


def test_digest_sections(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, at("2026-11-02 10:00"))
        late = w.task("lin", "公安人口数据接入", due=d("2026-11-13"), owner="zhang", force="数据共享专班")
        quiet = w.task("lin", "数据回流方案", due=d("2026-12-31"), owner="wang", force="数据共享专班")
        done = w.task("lin", "工作机制印发", due=d("2026-11-20"), owner="zhang", force="数据共享专班")
        ext = w.task("lin", "目录编制", due=d("2026-11-30"), owner="wang", force="数据共享专班")
        tasks.request_done(w.ctx("zhang", now=at("2026-11-17 10:00")), done.id)
        tasks.verify(w.ctx("lin", now=at("2026-11-18 10:00")), done.id)
        tasks.progress(w.ctx("wang", now=at("2026-11-19 10:00")), ext.id, 60)
        tasks.request_extension(w.ctx("wang", now=at("2026-11-19 11:00")), ext.id, d("2026-12-15"), "等待接口")
        tasks.block(w.ctx("zhang", now=at("2026-11-19 10:00")), late.id, "网闸审批")
        new = w.task("lin", "新任务", due=d("2026-12-20"), owner="zhang", force="数据共享专班", now=at("2026-11-20 10:00"))
        ctx = w.ctx("lin", now=at("2026-11-23 09:00"))
        dg = digest.build(ctx, find_force(ctx, "数据共享专班"))
        assert [v.id for v in dg.red] == [late.id]
        assert [v.id for v in dg.blocked] == [late.id]
        assert [v.id for v in dg.done] == [done.id]
        assert [v.id for v in dg.new] == [new.id]
        assert quiet.id in [v.id for v in dg.silent]
        assert [v.id for v in dg.approvals] == [ext.id]
        text = digest_text.render(dg, "zh", TZ)
        assert "红灯 1 项" in text and "网闸审批" in text and "申请延期至 2026年12月15日" in text
        assert "Weekly digest" in digest_text.render(dg, "en", TZ)


def test_from_november_the_digest_and_an_admins_home_say_next_years_calendar_is_missing(engine):
    from sqlmodel import Session

    from bot.slack.blocks import home_view
    from models import digest, forces
    from models.home import home
    from tests.conftest import at
    from tests.factories import standard_world

    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, at("2026-11-23 10:00"))
        s.commit()
        force = forces.find_force(w.ctx("lin"), "数据共享专班")
        d = digest.build(w.ctx("lin"), force)
        assert d.calendar_missing == 2027 and "2027 年的节假日安排还没有录入" in digest_text.render(d, "zh", w.ctx("lin").tz)
        admin_home = home(w.ctx("root"))
        assert admin_home.calendar_missing == 2027
        assert "2027 年的节假日安排还没有录入" in str(home_view(admin_home, "zh", updated="10:00"))
        assert home(w.ctx("zhang")).calendar_missing is None  # only admins are asked to act
