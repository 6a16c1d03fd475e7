"""The wall screen (大屏): its links, its read model against the chat views, its pages and headers, its feed."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot import commands as C
from bot.dispatch import Caller, Service
from bot.settings import Settings
from bot.web.feed import Feed
from bot.web.screen import CSP, web_app
from models import forces, lists, screen
from models.calendar import WorkCalendar
from models.context import Ctx
from models.errors import PermissionDenied
from models.tables import AuditEvent, ScreenToken
from tests.conftest import TZ, at
from tests.factories import d, standard_world

NOW = at("2026-11-23 10:00")  # a Monday
FORCE = "数据共享专班"


def say(engine, user: str, line: str, *, now=NOW, url: str = "https://guatu.example.gov"):
    command, _, rest = line.partition(" ")
    return Service(engine, tz=TZ, default_lang="zh", public_url=url).handle(
        Caller("T1", user, "C-" + FORCE, name=user), command, rest, now=now)


def token_of(text: str) -> str:
    m = re.search(r"/screen/([A-Za-z0-9_\-]+)", text)
    assert m, text
    return m.group(1)


@pytest.fixture
def world(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, NOW)
        w.task("lin", "公安数据接入", due=d("2026-11-20"), owner="zhang", force=FORCE, now=at("2026-11-10 10:00"))  # red
        w.task("lin", "目录编制", due=d("2026-12-30"), owner="wang", force=FORCE)
        w.force("营商环境专班", "lin", "wang", channel="C-biz")
        w.task("lin", "一件事上线", due=d("2026-12-15"), owner="wang", force="营商环境专班")
        s.commit()
        yield w


def _client(engine) -> TestClient:
    feed = Feed(engine, tz=TZ, clock=lambda: NOW)  # links expire: the pages read the test's time, not the machine's
    return TestClient(web_app(engine, Settings(_env_file=None, GUATU_TZ="Asia/Shanghai"), feed))


# ---------------------------------------------------------------- links


def test_a_force_lead_gets_a_link_whose_token_is_kept_only_as_its_sha256(engine, world) -> None:
    reply = say(engine, "lin", "/force screen")
    assert reply.ok and "https://guatu.example.gov/screen/" in reply.text and "2026年12月23日" in reply.text
    raw = token_of(reply.text)
    assert len(raw) >= 43  # secrets.token_urlsafe(32)
    with Session(engine) as s:
        row = s.exec(select(ScreenToken)).one()
        assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest() and raw not in row.token_hash
        assert row.expires_at == NOW + timedelta(days=30)
        grant = screen.resolve(s, raw, now=NOW)
        assert grant is not None and grant.workspace_id == world.ws.id
        assert grant.force_id == forces.find_force(world.ctx("lin"), FORCE).id
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "screen.issue")).one().entity_id == row.id


def test_a_link_expires_after_thirty_days(engine, world) -> None:
    raw = token_of(say(engine, "lin", "/force screen").text)
    with Session(engine) as s:
        assert screen.resolve(s, raw, now=NOW + timedelta(days=29, hours=23)) is not None
        assert screen.resolve(s, raw, now=NOW + timedelta(days=30)) is None


def test_a_bad_token_resolves_to_nothing(engine, world) -> None:
    raw = token_of(say(engine, "lin", "/force screen").text)
    with Session(engine) as s:
        for bad in ("", raw[:-1], raw + "x", hashlib.sha256(raw.encode()).hexdigest(), "x" * 500):
            assert screen.resolve(s, bad, now=NOW) is None


def test_revoking_a_forces_links_leaves_other_forces_and_the_province_links_working(engine, world) -> None:
    mine = token_of(say(engine, "lin", "/force screen").text)
    other = token_of(say(engine, "lin", "/force screen 营商环境专班").text)
    province = token_of(say(engine, "root", "/guatu screen").text)
    reply = say(engine, "lin", "/force 大屏 撤销")
    assert reply.ok and "1 个大屏链接" in reply.text
    with Session(engine) as s:
        assert screen.resolve(s, mine, now=NOW) is None
        assert screen.resolve(s, other, now=NOW) is not None
        assert screen.resolve(s, province, now=NOW) is not None
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "screen.revoke")).one().detail["revoked"] == 1
    assert say(engine, "root", "/guatu screen revoke").ok
    with Session(engine) as s:
        assert screen.resolve(s, province, now=NOW) is None and screen.resolve(s, other, now=NOW) is not None


def test_a_link_of_one_workspace_reads_nothing_of_another(engine, world) -> None:
    raw = token_of(say(engine, "lin", "/force screen").text)
    other = Service(engine, tz=TZ, public_url="http://x").handle(Caller("T2", "eve", "C9"), "/guatu", "whoami", now=NOW)
    assert other.ok
    with Session(engine) as s:
        grant = screen.resolve(s, raw, now=NOW)
        assert grant is not None
        ctx = screen.context(s, grant, now=NOW, tz=TZ)
        model = screen.screen_for(ctx, grant)
        assert isinstance(model, screen.ForceScreen) and model.name == FORCE
    html = _client(engine).get(f"/screen/{raw}").text
    assert "营商环境专班" not in html and "一件事上线" not in html  # another force of the same workspace neither


def test_only_the_lead_gets_a_force_link_and_only_a_leader_or_admin_the_province_link(engine, world) -> None:
    refused = say(engine, "zhang", "/force screen")
    assert not refused.ok and "负责人" in refused.text
    refused = say(engine, "lin", "/guatu screen")
    assert not refused.ok and "领导" in refused.text
    assert say(engine, "boss", "/guatu screen").ok and say(engine, "root", "/guatu 大屏").ok
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(ScreenToken)).one() == 2  # refusals wrote nothing
    with Session(engine, expire_on_commit=False) as s, pytest.raises(PermissionDenied):
        screen.issue(Ctx(s, world.ws, world.people["wang"], NOW, tz=TZ), None, province=True)


def test_screen_commands_parse_in_both_languages_and_refuse_leftovers() -> None:
    today, cal = NOW.date(), WorkCalendar()
    assert C.parse("/force", "screen", today=today, calendar=cal) == C.ForceScreenLink()
    assert C.parse("/force", "大屏 撤销 营商环境专班", today=today, calendar=cal) == C.ForceScreenLink(force="营商环境专班", revoke=True)
    assert C.parse("/force", "screen force:数据共享专班", today=today, calendar=cal) == C.ForceScreenLink(force="数据共享专班")
    assert C.parse("/guatu", "大屏 撤销", today=today, calendar=cal) == C.ScreenLink(revoke=True)
    with pytest.raises(C.CommandError) as bad:
        C.parse("/guatu", "screen now please", today=today, calendar=cal)
    assert "/guatu screen" in bad.value.render("en")


# ---------------------------------------------------------------- the read model vs the chat views


def test_the_screen_of_a_300_task_force_counts_exactly_what_task_list_counts(engine) -> None:
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, NOW)
        w.bulk_tasks(FORCE, 300, by="lin")
        s.commit()
        ctx = w.ctx("lin")
        page = lists.task_page(ctx, "force", force_name=FORCE)
        model = screen.force_screen(ctx, forces.find_force(ctx, FORCE))
    assert model.counts == page.counts and model.total == page.total == 300
    assert model.lanes_more == 0 and sum(sum(lane.counts.values()) for lane in model.lanes) == 300  # every department
    assert model.black_total == page.counts["red"]
    assert sum(len(lane.bars) for lane in model.lanes) <= screen.MAX_BARS
    reply = say(engine, "lin", f"/task list force:{FORCE}")
    assert f"🔴{page.counts['red']} 🟡{page.counts['yellow']} 🟢{page.counts['green']} ⚪{page.counts['grey']}" in \
        reply.text.replace("  ", " ")


def test_the_province_tiles_count_each_force_as_its_own_screen_does(engine, world) -> None:
    with Session(engine, expire_on_commit=False) as s:
        ctx = Ctx(s, world.ws, world.people["root"], NOW, tz=TZ)
        overview = screen.province_screen(ctx)
        for tile in overview.tiles:
            own = screen.force_screen(ctx, s.get(forces.TaskForce, tile.force_id))
            assert tile.counts == own.counts
        assert overview.total == 3 and {t.name for t in overview.tiles} == {FORCE, "营商环境专班"}
        assert overview.tiles[0].name == FORCE  # the force with red first


# ---------------------------------------------------------------- pages and headers


def _assert_strict_headers(r) -> None:
    assert r.headers["content-security-policy"] == CSP
    assert "default-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"


def test_pages_carry_a_strict_csp_and_no_inline_script_or_style(engine, world) -> None:
    raw = token_of(say(engine, "lin", "/force screen").text)
    c = _client(engine)
    for path in (f"/screen/{raw}", f"/screen/{raw}?lang=en", f"/screen/{raw}/fragment", "/screen/static/screen.css",
                 "/screen/static/screen.js", "/screen/not-a-token"):
        _assert_strict_headers(c.get(path))
    page = c.get(f"/screen/{raw}").text
    assert '<script src="/screen/static/screen.js"' in page and "<script>" not in page
    assert "<style" not in page and "style=" not in page and "onload=" not in page
    assert "数据共享专班" in page and 'data-light="red"' in page
    assert "not started" not in page and "not started" in c.get(f"/screen/{raw}?lang=en").text


def test_a_bad_expired_or_revoked_link_gets_404_and_no_data(engine, world) -> None:
    raw = token_of(say(engine, "lin", "/force screen").text)
    c = _client(engine)
    assert c.get(f"/screen/{raw}").status_code == 200
    for path in ("/screen/nope", "/screen/nope/events", "/screen/nope/fragment", "/screen/static/../../x.py",
                 "/screen/static/other.js"):
        r = c.get(path)
        assert r.status_code == 404 and FORCE not in r.text
    say(engine, "lin", "/force screen revoke")
    for suffix in ("", "/fragment", "/events"):
        r = c.get(f"/screen/{raw}{suffix}")
        assert r.status_code == 404 and FORCE not in r.text and "公安数据接入" not in r.text
    expired = token_of(say(engine, "lin", "/force screen", now=NOW - timedelta(days=31)).text)
    assert c.get(f"/screen/{expired}").status_code == 404


def test_user_text_on_the_screen_is_escaped(engine, world) -> None:
    world.task("lin", "<script>alert(1)</script>", due=d("2026-12-01"), owner="zhang", force=FORCE)
    world.session.commit()
    assert say(engine, "zhang", "/task progress 4 20% <img src=x onerror=alert(1)>").ok
    raw = token_of(say(engine, "lin", "/force screen").text)
    page = _client(engine).get(f"/screen/{raw}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page and "&lt;img" in page


# ---------------------------------------------------------------- the change feed


class _Statements:
    """Counts the statements the engine runs while ``on`` (the feed's ticks, not the commands)."""

    def __init__(self, engine) -> None:
        self.engine, self.n, self.on = engine, 0, False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        if self.on:
            self.n += 1

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def test_a_change_reaches_every_open_screen_and_a_hundred_screens_cost_what_one_does(engine, world) -> None:
    raw = token_of(say(engine, "lin", "/force screen").text)
    with Session(engine) as s:
        grant = screen.resolve(s, raw, now=NOW)
    assert grant is not None

    async def run(screens: int, percents: range) -> tuple[int, list]:
        feed = Feed(engine, tz=TZ, clock=lambda: NOW, poll=3600)  # ticks only when the test says
        subs = [feed.subscribe(grant, "zh") for _ in range(screens)]
        await feed.tick()  # starts watching
        counter = _Statements(engine)
        try:
            for p in percents:
                await asyncio.to_thread(say, engine, "zhang", f"/task progress 1 {p}% 第{p}步")
                counter.on = True
                assert await feed.tick() == {world.ws.id}
                counter.on = False
        finally:
            counter.close()
        last = [s.queue.get_nowait() for s in subs]
        assert feed._task is not None
        feed._task.cancel()
        return counter.n, last

    one, last_one = asyncio.run(run(1, range(10, 15)))
    hundred, last_hundred = asyncio.run(run(100, range(20, 25)))
    assert all("第14步" in html for html in last_one)
    assert len(last_hundred) == 100 and all("第24步" in html and "24%" in html for html in last_hundred)
    assert hundred == one  # the same statements: 100 screens cost the database what one does


def test_a_revoked_link_goes_dark_on_the_next_change(engine, world) -> None:
    raw = token_of(say(engine, "lin", "/force screen").text)
    with Session(engine) as s:
        grant = screen.resolve(s, raw, now=NOW)
    assert grant is not None

    async def run() -> str | None:
        feed = Feed(engine, tz=TZ, clock=lambda: NOW, poll=3600)
        sub = feed.subscribe(grant, "zh")
        await feed.tick()
        await asyncio.to_thread(say, engine, "lin", "/force screen revoke")
        await feed.tick()
        assert feed._task is not None
        feed._task.cancel()
        assert sub not in feed.subscribers
        return sub.queue.get_nowait()

    assert asyncio.run(run()) is None  # "gone": the page clears itself


def test_the_day_turning_refreshes_every_screen_without_any_change(engine, world) -> None:
    raw = token_of(say(engine, "lin", "/force screen").text)
    with Session(engine) as s:
        grant = screen.resolve(s, raw, now=NOW)
    assert grant is not None
    clock = {"now": at("2026-11-23 23:59")}

    async def run() -> tuple[set[int], set[int]]:
        feed = Feed(engine, tz=TZ, clock=lambda: clock["now"], poll=3600)
        feed.subscribe(grant, "zh")
        await feed.tick()
        quiet = await feed.tick()
        clock["now"] = at("2026-11-24 00:00")
        turned = await feed.tick()
        assert feed._task is not None
        feed._task.cancel()
        return quiet, turned

    quiet, turned = asyncio.run(run())
    assert quiet == set() and turned == {world.ws.id}


def test_a_hundred_screens_reconnecting_at_once_after_a_restart_cost_one_render(engine, world) -> None:
    raw = token_of(say(engine, "lin", "/force screen").text)
    with Session(engine) as s:
        grant = screen.resolve(s, raw, now=NOW)
    assert grant is not None

    async def run() -> tuple[int, set[str]]:
        feed = Feed(engine, tz=TZ, clock=lambda: NOW, poll=3600)
        for _ in range(100):
            feed.subscribe(grant, "zh")
        bodies = await asyncio.gather(*(feed.body(grant, "zh") for _ in range(100)))
        assert feed._task is not None
        feed._task.cancel()
        return feed.renders, set(bodies)

    renders, bodies = asyncio.run(run())
    assert renders == 1 and len(bodies) == 1 and FORCE in bodies.pop()


def test_a_closed_forces_link_shows_nothing(engine, world) -> None:
    raw = token_of(say(engine, "lin", "/force screen").text)
    with Session(engine) as s:
        force = s.exec(select(forces.TaskForce).where(forces.TaskForce.name == FORCE)).one()
        force.status = "closed"
        s.add(force)
        s.commit()
        assert screen.resolve(s, raw, now=NOW) is None
    r = _client(engine).get(f"/screen/{raw}")
    assert r.status_code == 404 and FORCE not in r.text


def test_help_lists_the_screen_commands_in_both_languages(engine, world) -> None:
    zh = say(engine, "lin", "/guatu help force").text
    assert "/force 大屏" in zh and "撤销" in zh
    en = Service(engine, tz=TZ, default_lang="en").handle(Caller("T1", "lin", "C1"), "/guatu", "help guatu", now=NOW)
    assert "/guatu screen" in en.text


def test_a_supervision_notice_from_the_sweep_reaches_the_screen_with_its_number(engine, world) -> None:
    from models.tables import EscalationState, EscalationStep

    raw = token_of(say(engine, "lin", "/force screen").text)
    with Session(engine) as s:
        grant = screen.resolve(s, raw, now=NOW)
    assert grant is not None

    def sweep_writes_a_step() -> None:  # what the escalations sweep writes: no audit row
        with Session(engine) as s:
            state = EscalationState(workspace_id=world.ws.id, task_id=1, episode=1, due=d("2026-11-20"),
                                    anchor=d("2026-11-20"), level=2)
            s.add(state)
            s.flush()
            s.add(EscalationStep(workspace_id=world.ws.id, state_id=state.id, task_id=1, level=2, series="duban",
                                 year=2026, no=7, recipients=[]))
            s.commit()

    async def run() -> str | None:
        feed = Feed(engine, tz=TZ, clock=lambda: NOW, poll=3600)
        sub = feed.subscribe(grant, "zh")
        await feed.tick()
        await asyncio.to_thread(sweep_writes_a_step)
        assert await feed.tick() == {world.ws.id}
        assert feed._task is not None
        feed._task.cancel()
        return sub.queue.get_nowait()

    html = asyncio.run(run())
    assert html is not None and "督办〔2026〕7号" in html and "督办中 1" in html
