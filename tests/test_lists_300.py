"""Lists tell the truth at 300 tasks: headers count everything, pages are explicit, nothing is cut silently."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlmodel import Session

from bot import commands as C
from bot.dispatch import Caller, Service
from bot.slack import blocks
from models import digest, forces, lists, tasks
from models.calendar import WorkCalendar
from models.home import home
from models.tables import TaskForce
from present import digest as digest_text
from tests.conftest import TZ, at
from tests.factories import d, standard_world

NOW = at("2026-11-23 10:00")  # a Monday
FORCE = "数据共享专班"


@pytest.fixture
def big(engine):
    """standard_world with 300 live tasks in 数据共享专班 (every light, some red only by a passed node)."""
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, NOW)
        w.bulk_tasks(FORCE, 300, by="lin")
        s.commit()
        yield w


def say(engine, user: str, line: str):
    command, _, rest = line.partition(" ")
    return Service(engine, tz=TZ, default_lang="zh").handle(Caller("T1", user, "C1", name=user), command, rest, now=NOW)


def _all_lights(w) -> Counter:
    ctx = w.ctx("lin")
    return Counter(v.light.color for v in tasks.force_tasks(ctx, forces.find_force(ctx, FORCE), live_only=True))


def test_pages_of_a_300_task_force_count_everything_and_cover_every_task_once(big) -> None:
    ctx = big.ctx("lin")
    lights = _all_lights(big)
    assert lights["red"] and lights["yellow"] and lights["green"] and lights["grey"]
    seen: list[tasks.TaskView] = []
    for n in range(1, 9):
        page = lists.task_page(ctx, "force", force_name=FORCE, page=n)
        assert page.total == 300 and page.pages == 8
        assert page.counts == {c: lights[c] for c in ("red", "yellow", "green", "grey")}  # over all 300, every page
        assert len(page.items) == (40 if n < 8 else 20)
        assert page.after == 300 - 40 * (n - 1) - len(page.items)
        seen += page.items
    assert len({v.id for v in seen}) == 300
    order = [(lists.ORDER[v.light.color], v.due, v.id) for v in seen]
    assert order == sorted(order)  # red first, then by deadline, across pages
    assert lists.task_page(ctx, "force", force_name=FORCE, page=9).beyond


def test_the_list_reply_says_what_it_left_out_and_slack_shows_the_same(big, engine) -> None:
    lights = _all_lights(big)
    first = say(engine, "lin", f"/task list force:{FORCE}")
    head = first.text.split("\n")[0]
    assert f"🔴{lights['red']}" in head and f"🟡{lights['yellow']}" in head and "共 300 项" in head and "第 1/8 页" in head
    assert first.text.endswith(f"另有 260 项 · /task list force:{FORCE} page:2")
    message = blocks.reply_message(first)
    rows = [b for b in message["blocks"] if b["type"] == "section" and "accessory" in b]
    assert len(rows) == 40 and len(message["blocks"]) <= 50
    assert message["blocks"][-1]["elements"][0]["text"] == f"另有 260 项 · /task list force:{FORCE} page:2"

    second = say(engine, "lin", f"/task list force:{FORCE} 第2页")
    assert [v.id for v in second.cards] == [v.id for v in lists.task_page(big.ctx("lin"), "force", force_name=FORCE,
                                                                           page=2).items]
    assert "另有 220 项" in second.text and "page:3" in second.text

    last = say(engine, "lin", f"/task list force:{FORCE} page:8")
    assert len(last.cards) == 20 and "另有" not in last.text and last.footer is None
    beyond = say(engine, "lin", f"/task list force:{FORCE} 页:9")
    assert beyond.ok and not beyond.cards and "没有第 9 页" in beyond.text and "page:8" in beyond.text


def test_a_bad_page_is_answered_with_the_right_form() -> None:
    def parse(text: str):
        return C.parse("/task", text, today=dt.date(2026, 11, 23), calendar=WorkCalendar())

    assert parse("list page:2").page == 2 and parse("list 第3页").page == 3 and parse("列表 逾期 页:4").page == 4
    assert parse("list force:数据共享专班 page:10000").page == 10000
    for bad in ("list page:0", "list page:10001", "list page:two", "list 第3页 page:2"):
        with pytest.raises(C.CommandError) as err:
            parse(bad)
        assert "/task list" in err.value.render("en")
    assert C.parse("/force", "list page:2", today=dt.date(2026, 11, 23), calendar=WorkCalendar()).page == 2


def test_overdue_includes_tasks_red_only_by_a_passed_time_node(big) -> None:
    t = big.task("lin", "节点已过的任务", due=d("2027-03-31"), owner="zhang", force=FORCE, now=at("2026-11-02 10:00"))
    tasks.add_node(big.ctx("zhang", now=at("2026-11-02 10:00")), t.id, d("2026-11-10"), "初稿")
    ctx = big.ctx("lin")
    overdue = lists.task_page(ctx, "overdue", size=1000)
    assert t.id in [v.id for v in overdue.items]
    assert {v.light.color for v in overdue.items} == {"red"}
    assert overdue.total == overdue.counts["red"] == _all_lights(big)["red"]
    mine = lists.task_page(big.ctx("zhang"), "mine")
    assert mine.items[0].id == t.id and mine.counts["red"] == 1


def test_app_home_counts_all_my_tasks_and_says_what_it_left_out(big) -> None:
    ctx = big.ctx("owner1")
    mine = lists.task_page(ctx, "mine", size=1000)
    h = home(ctx, tasks=10)
    assert h.mine_total == mine.total == 25 and len(h.mine) == 10
    assert h.mine_counts == mine.counts and sum(h.mine_counts.values()) == 25
    assert [v.id for v in h.mine] == [v.id for v in mine.items[:10]]
    text = str(blocks.home_view(h, "zh", updated="now"))
    assert "还有 15 个任务，用 /task list 查看。" in text


def test_the_digest_counts_every_task_and_points_to_the_rest(big) -> None:
    ctx = big.ctx("lin")
    dg = digest.build(ctx, forces.find_force(ctx, FORCE))
    lights = _all_lights(big)
    assert dg.counts == {c: lights[c] for c in ("red", "yellow", "green", "grey")}
    text = digest_text.render(dg, "zh", TZ)
    assert f"红灯 {lights['red']} 项" in text
    assert f"另有 {lights['red'] - digest.MAX_LINES} 项 · /task list force:{FORCE} light:red" in text
    assert f"{lights['yellow'] - digest.MAX_LINES} more · /task list force:{FORCE} light:yellow" in digest_text.render(dg, "en", TZ)


def test_force_list_counts_every_force_and_pages(big) -> None:
    ctx = big.ctx("boss")  # a leader sees every task force
    big.session.add_all([TaskForce(workspace_id=big.ws.id, name=f"专班{i:02d}", status="closed" if i % 5 == 0 else "open")
                         for i in range(44)])
    big.session.flush()
    first = forces.force_list(ctx)
    assert first.total == 45 and first.counts == {"open": 36, "closed": 9} and len(first.items) == 40
    assert len(forces.force_list(ctx, page=2).items) == 5
    member = forces.force_list(big.ctx("zhang"))
    assert member.total == 1 and [f.name for f in member.items] == [FORCE]


def test_light_filter_narrows_the_list_but_the_header_still_counts_the_scope(big) -> None:
    ctx = big.ctx("lin")
    lights = _all_lights(big)
    red = lists.task_page(ctx, "force", force_name=FORCE, light="red", size=1000)
    assert red.total == lights["red"] and {v.light.color for v in red.items} == {"red"}
    assert red.counts["green"] == lights["green"]
