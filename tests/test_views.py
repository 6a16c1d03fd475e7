"""The card says everything once, history is told in words, one definition of live/open/overdue,
and a catalogue that cannot leak: golden cards per state (zh + en), history sentences, status sets."""

from __future__ import annotations

import ast
import importlib
import logging
import pathlib
import re
from datetime import date
from types import SimpleNamespace

import pytest
from sqlmodel import Session

from bot import render
from models import i18n, org, rank, status, tasks
from models.org import PersonRef
from models.status import LIVE, OPEN, TaskStatus
from models.tables import TASK_LIVE_SQL, TASK_OPEN_SQL, Task
from present import rank as rank_text
from tests.conftest import at
from tests.factories import d, standard_world

NOW = at("2026-11-23 10:00")  # a Monday
LATER = at("2026-12-03 09:30")  # a Thursday: the first node (12-01) has passed


def _world(session):
    w = standard_world(session, NOW)
    org.dept_add(session, w.people["root"], w.ws, "省大数据局", now=NOW)
    org.dept_set_person(session, w.people["root"], w.ws, PersonRef(name="zhang"), "省大数据局", now=NOW)
    return w


@pytest.fixture
def world(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = _world(s)
        s.commit()
        yield w


def _task(world, title="编制数据目录", due="2026-12-31", **kw):
    return world.task("lin", title, due=d(due), owner="zhang", force="数据共享专班", **kw)


def _rich(world):
    """Every part of a card: co-owner, two nodes (one done), a sub-task, a note, a moved deadline."""
    t = _task(world, nodes=[(d("2026-12-01"), "初稿"), (d("2026-12-02"), "评审"), (d("2026-12-15"), "定稿")])
    tasks.set_co_owners(world.ctx("lin"), t.id, [PersonRef(name="wang")])
    world.task("lin", "子任务：接口清单", due=d("2026-12-20"), owner="wang", force="数据共享专班", parent_id=t.id)
    tasks.complete_node(world.ctx("zhang", now=at("2026-11-30 16:00")), t.id, 1)
    tasks.progress(world.ctx("zhang", now=at("2026-12-01 10:00")), t.id, 40, "初稿已交")
    tasks.request_extension(world.ctx("zhang", now=at("2026-12-01 11:00")), t.id, d("2027-01-15"), "等接口")
    tasks.decide_extension(world.ctx("lin", now=at("2026-12-01 12:00")), t.id, approve=True)
    return t


def _state(world, state: str):
    """A task in ``state``, built through the domain functions, and the moment to look at it."""
    if state == "todo":
        t = _task(world)
        tasks.request_extension(world.ctx("zhang"), t.id, d("2027-01-15"), "等接口")
        return t, NOW
    t = _rich(world)
    if state == "blocked":
        tasks.block(world.ctx("zhang", now=at("2026-12-02 09:00")), t.id, "数据接口未开放")
    elif state == "done_requested":
        tasks.request_done(world.ctx("zhang", now=at("2026-12-02 09:00")), t.id, "目录已发布")
    elif state == "done":
        tasks.request_done(world.ctx("zhang", now=at("2026-12-02 09:00")), t.id, "目录已发布")
        tasks.verify(world.ctx("lin", now=at("2026-12-02 15:00")), t.id, confirm=True)  # its sub-task and a node are still open
    elif state == "cancelled":
        tasks.cancel(world.ctx("lin", now=at("2026-12-02 09:00")), t.id, "并入 #1")
    return t, LATER


def card_text(world, state: str, lang: str) -> str:
    t, when = _state(world, state)
    return render.task_card(tasks.show(world.ctx("lin", now=when), t.id), lang)


GOLDEN = {
    ('todo', 'zh'): (
        '⚪ #1 编制数据目录\n'
        '状态：未开始 · 进度 ░░░░░░░░░░ 0%\n'
        '责任人：zhang\u3000责任单位：省大数据局\u3000专班：数据共享专班\n'
        '截止：2026年12月31日（周四）\n'
        '⏳ zhang 申请延期至 2027年1月15日（周五）：等接口（待审批）'
    ),
    ('todo', 'en'): (
        '⚪ #1 编制数据目录\n'
        'State: not started · progress ░░░░░░░░░░ 0%\n'
        'Owner: zhang  Department: 省大数据局  Task force: 数据共享专班\n'
        'Due: Thu 31 Dec 2026\n'
        '⏳ zhang asks to move it to Fri 15 Jan 2027: 等接口 (awaiting decision)'
    ),
    ('active', 'zh'): (
        '🔴 #1 编制数据目录\n'
        '状态：进行中 · 🔴 红灯（见时间节点） · 进度 ▓▓▓▓░░░░░░ 40%\n'
        '责任人：zhang\u3000协办：wang\u3000责任单位：省大数据局\u3000专班：数据共享专班\n'
        '截止：原定 2026年12月31日（周四） → 现 2027年1月15日（周五）\n'
        '时间节点：\n'
        '   ✓ 1. 初稿 · 2026年12月1日（周二） · 11月30日完成\n'
        '   ⚠ 2. 评审 · 2026年12月2日（周三） · 已逾期\n'
        '   ○ 3. 定稿 · 2026年12月15日（周二） · 未到期\n'
        '子任务 1 项：\n'
        '   🟡 #2 子任务：接口清单 · wang · 未开始 · 0%\n'
        '最新进展：初稿已交（zhang，12月1日 10:00，40%）'
    ),
    ('active', 'en'): (
        '🔴 #1 编制数据目录\n'
        'State: in progress · 🔴 red (see the time nodes) · progress ▓▓▓▓░░░░░░ 40%\n'
        'Owner: zhang  Co-owners: wang  Department: 省大数据局  Task force: 数据共享专班\n'
        'Due: baseline Thu 31 Dec 2026 → now Fri 15 Jan 2027\n'
        'Time nodes:\n'
        '   ✓ 1. 初稿 · Tue 1 Dec 2026 · done 30 Nov\n'
        '   ⚠ 2. 评审 · Wed 2 Dec 2026 · overdue\n'
        '   ○ 3. 定稿 · Tue 15 Dec 2026 · upcoming\n'
        '1 sub-task:\n'
        '   🟡 #2 子任务：接口清单 · wang · not started · 0%\n'
        'Latest note: 初稿已交 (zhang, 1 Dec 10:00, 40%)'
    ),
    ('blocked', 'zh'): (
        '🔴 #1 编制数据目录\n'
        '状态：受阻（数据接口未开放） · 🔴 红灯（见时间节点） · 进度 ▓▓▓▓░░░░░░ 40%\n'
        '责任人：zhang\u3000协办：wang\u3000责任单位：省大数据局\u3000专班：数据共享专班\n'
        '截止：原定 2026年12月31日（周四） → 现 2027年1月15日（周五）\n'
        '时间节点：\n'
        '   ✓ 1. 初稿 · 2026年12月1日（周二） · 11月30日完成\n'
        '   ⚠ 2. 评审 · 2026年12月2日（周三） · 已逾期\n'
        '   ○ 3. 定稿 · 2026年12月15日（周二） · 未到期\n'
        '子任务 1 项：\n'
        '   🟡 #2 子任务：接口清单 · wang · 未开始 · 0%\n'
        '最新进展：初稿已交（zhang，12月1日 10:00，40%）'
    ),
    ('blocked', 'en'): (
        '🔴 #1 编制数据目录\n'
        'State: blocked (数据接口未开放) · 🔴 red (see the time nodes) · progress ▓▓▓▓░░░░░░ 40%\n'
        'Owner: zhang  Co-owners: wang  Department: 省大数据局  Task force: 数据共享专班\n'
        'Due: baseline Thu 31 Dec 2026 → now Fri 15 Jan 2027\n'
        'Time nodes:\n'
        '   ✓ 1. 初稿 · Tue 1 Dec 2026 · done 30 Nov\n'
        '   ⚠ 2. 评审 · Wed 2 Dec 2026 · overdue\n'
        '   ○ 3. 定稿 · Tue 15 Dec 2026 · upcoming\n'
        '1 sub-task:\n'
        '   🟡 #2 子任务：接口清单 · wang · not started · 0%\n'
        'Latest note: 初稿已交 (zhang, 1 Dec 10:00, 40%)'
    ),
    ('done_requested', 'zh'): (
        '🟢 #1 编制数据目录\n'
        '状态：待销号 · 进度 ▓▓▓▓▓▓▓▓▓▓ 100%\n'
        '责任人：zhang\u3000协办：wang\u3000责任单位：省大数据局\u3000专班：数据共享专班\n'
        '截止：原定 2026年12月31日（周四） → 现 2027年1月15日（周五）\n'
        '时间节点：\n'
        '   ✓ 1. 初稿 · 2026年12月1日（周二） · 11月30日完成\n'
        '   ○ 2. 评审 · 2026年12月2日（周三） · 未完成\n'
        '   ○ 3. 定稿 · 2026年12月15日（周二） · 未到期\n'
        '子任务 1 项：\n'
        '   🟡 #2 子任务：接口清单 · wang · 未开始 · 0%\n'
        '最新进展：目录已发布（zhang，12月2日 09:00，100%）'
    ),
    ('done_requested', 'en'): (
        '🟢 #1 编制数据目录\n'
        'State: awaiting verification · progress ▓▓▓▓▓▓▓▓▓▓ 100%\n'
        'Owner: zhang  Co-owners: wang  Department: 省大数据局  Task force: 数据共享专班\n'
        'Due: baseline Thu 31 Dec 2026 → now Fri 15 Jan 2027\n'
        'Time nodes:\n'
        '   ✓ 1. 初稿 · Tue 1 Dec 2026 · done 30 Nov\n'
        '   ○ 2. 评审 · Wed 2 Dec 2026 · not done\n'
        '   ○ 3. 定稿 · Tue 15 Dec 2026 · upcoming\n'
        '1 sub-task:\n'
        '   🟡 #2 子任务：接口清单 · wang · not started · 0%\n'
        'Latest note: 目录已发布 (zhang, 2 Dec 09:00, 100%)'
    ),
    ('done', 'zh'): (
        '✅ #1 编制数据目录\n'
        '状态：已销号（lin，12月2日） · 进度 ▓▓▓▓▓▓▓▓▓▓ 100%\n'
        '责任人：zhang\u3000协办：wang\u3000责任单位：省大数据局\u3000专班：数据共享专班\n'
        '截止：原定 2026年12月31日（周四） → 现 2027年1月15日（周五）\n'
        '时间节点：\n'
        '   ✓ 1. 初稿 · 2026年12月1日（周二） · 11月30日完成\n'
        '   ✓ 2. 评审 · 2026年12月2日（周三） · 12月2日完成\n'
        '   ✓ 3. 定稿 · 2026年12月15日（周二） · 12月2日完成\n'
        '子任务 1 项：\n'
        '   🟡 #2 子任务：接口清单 · wang · 未开始 · 0%\n'
        '最新进展：目录已发布（zhang，12月2日 09:00，100%）'
    ),
    ('done', 'en'): (
        '✅ #1 编制数据目录\n'
        'State: done, verified by lin on 2 Dec · progress ▓▓▓▓▓▓▓▓▓▓ 100%\n'
        'Owner: zhang  Co-owners: wang  Department: 省大数据局  Task force: 数据共享专班\n'
        'Due: baseline Thu 31 Dec 2026 → now Fri 15 Jan 2027\n'
        'Time nodes:\n'
        '   ✓ 1. 初稿 · Tue 1 Dec 2026 · done 30 Nov\n'
        '   ✓ 2. 评审 · Wed 2 Dec 2026 · done 2 Dec\n'
        '   ✓ 3. 定稿 · Tue 15 Dec 2026 · done 2 Dec\n'
        '1 sub-task:\n'
        '   🟡 #2 子任务：接口清单 · wang · not started · 0%\n'
        'Latest note: 目录已发布 (zhang, 2 Dec 09:00, 100%)'
    ),
    ('cancelled', 'zh'): (
        '🚫 #1 编制数据目录\n'
        '状态：已撤销（并入 #1） · 进度 ▓▓▓▓░░░░░░ 40%\n'
        '责任人：zhang\u3000协办：wang\u3000责任单位：省大数据局\u3000专班：数据共享专班\n'
        '截止：原定 2026年12月31日（周四） → 现 2027年1月15日（周五）\n'
        '时间节点：\n'
        '   ✓ 1. 初稿 · 2026年12月1日（周二） · 11月30日完成\n'
        '   ○ 2. 评审 · 2026年12月2日（周三） · 未完成\n'
        '   ○ 3. 定稿 · 2026年12月15日（周二） · 未到期\n'
        '子任务 1 项：\n'
        '   🟡 #2 子任务：接口清单 · wang · 未开始 · 0%\n'
        '最新进展：初稿已交（zhang，12月1日 10:00，40%）'
    ),
    ('cancelled', 'en'): (
        '🚫 #1 编制数据目录\n'
        'State: cancelled (并入 #1) · progress ▓▓▓▓░░░░░░ 40%\n'
        'Owner: zhang  Co-owners: wang  Department: 省大数据局  Task force: 数据共享专班\n'
        'Due: baseline Thu 31 Dec 2026 → now Fri 15 Jan 2027\n'
        'Time nodes:\n'
        '   ✓ 1. 初稿 · Tue 1 Dec 2026 · done 30 Nov\n'
        '   ○ 2. 评审 · Wed 2 Dec 2026 · not done\n'
        '   ○ 3. 定稿 · Tue 15 Dec 2026 · upcoming\n'
        '1 sub-task:\n'
        '   🟡 #2 子任务：接口清单 · wang · not started · 0%\n'
        'Latest note: 初稿已交 (zhang, 1 Dec 10:00, 40%)'
    ),
}


@pytest.mark.parametrize("state", ["todo", "active", "blocked", "done_requested", "done", "cancelled"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_card_of_each_state_says_everything_once(world, state, lang):
    text = card_text(world, state, lang)
    assert text == GOLDEN[state, lang]
    lines = text.split("\n")
    assert len(lines) == len(set(lines)), "no line twice"


def test_a_cancelled_task_says_so_with_its_reason_and_no_light(world):
    t = _task(world)
    tasks.cancel(world.ctx("lin"), t.id, "并入 #1")
    text = render.task_card(tasks.show(world.ctx("lin"), t.id), "zh")
    assert text.startswith("🚫 #") and "已撤销（并入 #1）" in text
    assert "未开始" not in text and "⚪" not in text and "绿灯" not in text


def test_a_verified_task_shows_who_verified_it_and_no_light(world):
    t = _task(world)
    tasks.verify(world.ctx("lin"), t.id)
    text = render.task_card(tasks.show(world.ctx("lin"), t.id), "en")
    assert text.startswith("✅ #") and "done, verified by lin on 23 Nov" in text and "green" not in text



def test_the_slack_card_of_a_closed_task_shows_its_state_not_a_light(world):
    from bot.slack import blocks

    t = _task(world)
    tasks.cancel(world.ctx("lin"), t.id, "并入 #1")
    built = blocks.task_card(tasks.show(world.ctx("lin"), t.id), "zh")
    assert built[0]["text"]["text"].startswith("🚫 *#") and built[1]["elements"][0]["text"].startswith("已撤销（并入 #1）")
    assert "未开始" not in str(built)


# ---------------------------------------------------------------- history in words


def _history(world):
    t = _task(world, due="2026-12-10")
    c = world.ctx
    tasks.assign(c("lin", now=at("2026-11-23 11:00")), t.id, PersonRef(name="wang"))
    tasks.set_co_owners(c("lin", now=at("2026-11-23 11:05")), t.id, [PersonRef(name="zhang"), PersonRef(name="boss")])
    tasks.set_co_owners(c("lin", now=at("2026-11-23 11:06")), t.id, [PersonRef(name="boss")], remove=True)
    tasks.add_node(c("wang", now=at("2026-11-24 09:00")), t.id, d("2026-12-01"), "初稿")
    tasks.progress(c("wang", now=at("2026-11-25 10:00")), t.id, 30, "开始")
    tasks.complete_node(c("wang", now=at("2026-11-26 10:00")), t.id, 1)
    tasks.block(c("wang", now=at("2026-11-26 11:00")), t.id, "等接口")
    tasks.unblock(c("wang", now=at("2026-11-27 11:00")), t.id)
    tasks.request_extension(c("wang", now=at("2026-11-30 10:00")), t.id, d("2026-12-20"), "需要更多时间")
    tasks.decide_extension(c("lin", now=at("2026-11-30 15:00")), t.id, approve=True)
    tasks.request_extension(c("wang", now=at("2026-12-01 10:00")), t.id, d("2026-12-25"), "再宽限")
    tasks.decide_extension(c("lin", now=at("2026-12-01 15:00")), t.id, approve=False, reason="不行")
    tasks.request_done(c("wang", now=at("2026-12-02 10:00")), t.id, "已发布")
    tasks.reopen(c("lin", now=at("2026-12-02 11:00")), t.id, "缺附件")
    tasks.cancel(c("lin", now=at("2026-12-03 09:00")), t.id, "并入 #9")
    return render.history(tasks.history(c("lin"), t.id), "zh", world.ctx("lin").tz), \
        render.history(tasks.history(c("lin"), t.id), "en", world.ctx("lin").tz)


HISTORY_ZH = """\
11月23日 10:00  lin 新建任务「编制数据目录」，责任人 zhang，截止 2026年12月10日（周四），责任单位 省大数据局，专班「数据共享专班」
11月23日 11:00  lin 把任务从 zhang 改派给 wang
11月23日 11:05  lin 请 zhang、boss 协办
11月23日 11:06  lin 不再请 boss 协办
11月24日 09:00  wang 添加时间节点 1「初稿」，2026年12月1日（周二）
11月25日 10:00  wang 更新进展 0% → 30%：开始
11月26日 10:00  wang 完成时间节点 1「初稿」
11月26日 11:00  wang 报告受阻：等接口
11月27日 11:00  wang 解除受阻
11月30日 10:00  wang 申请延期至 2026年12月20日（周日），理由：需要更多时间
11月30日 15:00  lin 批准延期，截止日期由 2026年12月10日（周四） 改为 2026年12月20日（周日）
12月1日 10:00  wang 申请延期至 2026年12月25日（周五），理由：再宽限
12月1日 15:00  lin 驳回延期申请，理由：不行
12月2日 10:00  wang 报告完成：已发布
12月2日 11:00  lin 退回任务，原因：缺附件
12月3日 09:00  lin 撤销任务，原因：并入 #9"""

HISTORY_EN = """\
23 Nov 10:00  lin created the task “编制数据目录”, owner zhang, due Thu 10 Dec 2026, department 省大数据局, task force “数据共享专班”
23 Nov 11:00  lin reassigned the task from zhang to wang
23 Nov 11:05  lin added zhang, boss as co-owners
23 Nov 11:06  lin removed boss as co-owner
24 Nov 09:00  wang added time node 1 “初稿”, due Tue 1 Dec 2026
25 Nov 10:00  wang updated progress 0% → 30%: 开始
26 Nov 10:00  wang completed time node 1 “初稿”
26 Nov 11:00  wang reported it blocked: 等接口
27 Nov 11:00  wang cleared the blocker
30 Nov 10:00  wang asked to move the deadline to Sun 20 Dec 2026: 需要更多时间
30 Nov 15:00  lin approved the extension: due Thu 10 Dec 2026 → Sun 20 Dec 2026
1 Dec 10:00  wang asked to move the deadline to Fri 25 Dec 2026: 再宽限
1 Dec 15:00  lin rejected the extension: 不行
2 Dec 10:00  wang reported it done: 已发布
2 Dec 11:00  lin sent it back: 缺附件
3 Dec 09:00  lin cancelled the task: 并入 #9"""


def test_history_tells_each_change_as_a_sentence_with_names(world):
    zh, en = _history(world)
    assert zh == HISTORY_ZH
    assert en == HISTORY_EN
    for text in (zh, en):
        assert "=" not in text and "[" not in text and "{" not in text
        assert not re.search(r"(owner|force|people|dept|负责人|责任人)[ =:：]?\d", text), "no ids"


def test_verify_receive_and_acknowledge_have_sentences_too(world):
    t = _task(world)
    tasks.acknowledge(world.ctx("zhang"), t.id)  # given by lin: confirms receiving it
    tasks.verify(world.ctx("lin", now=at("2026-11-23 12:00")), t.id)
    zh = render.history(tasks.history(world.ctx("lin"), t.id), "zh", world.ctx("lin").tz)
    assert zh.endswith("11月23日 10:00  zhang 确认收到任务\n11月23日 12:00  lin 销号")


def test_every_task_action_the_code_records_has_its_own_sentence():
    source = pathlib.Path(tasks.__file__).read_text()
    actions = set(re.findall(r'_log\(ctx, task, "(task\.\w+)"', source)) | {"task.co_owners_added", "task.co_owners_removed"}
    assert {"task.acknowledged", "task.received", "task.created", "task.cancelled"} <= actions
    names = tasks.Names({}, {}, {})
    for action in actions:
        said = tasks.sentence(action, {}, "林芳", names)
        assert said.key != "history.other", action
        assert said.render("zh").startswith("林芳 ") and said.render("en").startswith("林芳 ")


def test_an_unknown_action_reads_as_a_neutral_sentence_not_a_dict():
    said = tasks.sentence("task.teleported", {"owner": 3, "force": 1}, "林芳", tasks.Names({}, {}, {}))
    assert said.render("zh") == "林芳 更改了任务" and said.render("en") == "林芳 changed the task"


# ---------------------------------------------------------------- status


def test_status_sets_and_predicates_are_one_definition():
    assert [s.value for s in TaskStatus] == ["todo", "active", "blocked", "done_requested", "done", "cancelled"]
    assert LIVE == ("todo", "active", "blocked", "done_requested") and OPEN == ("todo", "active", "blocked")
    assert [status.is_live(s) for s in TaskStatus] == [True, True, True, True, False, False]
    assert [status.is_open(s) for s in TaskStatus] == [True, True, True, False, False, False]
    assert TaskStatus.DONE == "done" and f"{TaskStatus.BLOCKED}" == "blocked"


def test_the_partial_index_sql_is_unchanged_byte_for_byte():
    assert status.sql_in("status", OPEN) == "status IN ('todo','active','blocked')"
    assert TASK_OPEN_SQL == "status IN ('todo','active','blocked')"
    assert TASK_LIVE_SQL == "status IN ('todo','active','blocked','done_requested')"
    index = next(i for i in Task.__table__.indexes if i.name == "ix_task_live_due")
    assert str(index.dialect_options["postgresql"]["where"]) == "status IN ('todo','active','blocked','done_requested')"


def test_overdue_means_an_open_task_past_its_deadline_or_an_open_node():
    today = date(2026, 12, 3)
    node = SimpleNamespace(due=date(2026, 12, 2), done_at=None)
    met = SimpleNamespace(due=date(2026, 12, 2), done_at=NOW)
    task = SimpleNamespace(status="active", due=date(2026, 12, 31))
    assert status.is_overdue(task, [node], today) and not status.is_overdue(task, [met], today)
    assert status.is_overdue(SimpleNamespace(status="todo", due=date(2026, 12, 2)), [], today)
    assert not status.is_overdue(SimpleNamespace(status="active", due=today), [], today)  # the day itself is not late
    for closed in ("done_requested", "done", "cancelled"):
        assert not status.is_overdue(SimpleNamespace(status=closed, due=date(2026, 1, 1)), [node], today)


# ---------------------------------------------------------------- the catalogue


def test_an_unknown_key_or_a_missing_parameter_raises_in_tests():
    with pytest.raises(i18n.MissingMessage):
        i18n.t("digest.nothing_like_this", "zh")
    with pytest.raises(i18n.MissingMessage):
        i18n.t("task.unknown", "en")  # needs {id}


def test_in_production_a_leak_is_logged_and_the_text_degrades(monkeypatch, caplog):
    monkeypatch.delenv("GUATU_STRICT_I18N")
    with caplog.at_level(logging.WARNING, logger="models.i18n"):
        assert i18n.t("no.such.key", "zh") == "no.such.key"
        assert i18n.t("task.unknown", "en") == "No task #—. See /task list."
    assert "no.such.key" in caplog.text and "needs parameter 'id'" in caplog.text


def test_english_counts_agree_with_their_nouns():
    assert i18n.t("light.why.overdue", "en", days=1) == "overdue by 1 working day"
    assert i18n.t("light.why.overdue", "en", days=2) == "overdue by 2 working days"
    assert i18n.t("light.why.overdue", "zh", days=1) == "已逾期 1 个工作日"
    assert i18n.t("reply.force.exported", "en", n=1, name="x.xlsx") == "Exported 1 task: x.xlsx"
    assert i18n.t("reply.force.exported", "en", n=3, name="x.xlsx") == "Exported 3 tasks: x.xlsx"
    assert i18n.t("reply.task.co_added", "en", who="wang", n=1, id=3) == "wang now co-owns task #3."
    assert i18n.t("reply.task.co_added", "en", who="wang、li", n=2, id=3) == "wang、li now co-own task #3."
    assert i18n.t("render.dept_people", "en", n=1) == " · 1 person"


def test_no_english_template_hedges_its_plural():
    hedged = [k for k, texts in i18n._CATALOG.items() if "(s)" in texts["en"] ]
    assert hedged == []


def test_every_literal_key_is_registered_by_its_module_or_what_it_imports():
    """No key works only because some other module happened to be imported first (digest.more did)."""
    files = {}
    for top in ("models", "bot", "jobs", "present"):
        for path in sorted(pathlib.Path(top).rglob("*.py")):
            if "migrations" not in path.parts:
                files[".".join(path.with_suffix("").parts).removesuffix(".__init__")] = path
    origin: dict[str, set[str]] = {}
    for name in files:
        importlib.import_module(name)
        for key in re.findall(r'^\s+"([a-z_]+\.[\w.]*\w)": \{', files[name].read_text(), re.M):
            origin.setdefault(key, set()).add(name)
    origin.setdefault("status.todo", set()).add("models.tasks")

    def imports(name: str) -> set[str]:
        out = set()
        for node in ast.walk(ast.parse(files[name].read_text())):
            if isinstance(node, ast.Import):
                out |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        return {m for m in out if m in files}

    def closure(name: str) -> set[str]:
        seen, todo = set(), [name]
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo += [*imports(m), *(p for p in (m.rsplit(".", 1)[0],) if p in files)]
        return seen

    used = re.compile(r'(?<![\w.])(?:t|Msg|i18n\.t|InvalidInput|Conflict|NotFound|UsageError)\(\s*"([a-z_]+\.[\w.]*\w)"')
    leaks = []
    for name, path in files.items():
        reach = closure(name)
        for key in used.findall(path.read_text()):
            if not i18n.has(key):
                leaks.append(f"{name}: {key} is not in the catalogue")
            elif key in origin and not origin[key] & reach:
                leaks.append(f"{name}: {key} is registered only by {sorted(origin[key])}")
    assert leaks == []


def test_the_ranking_shows_its_formula_in_full():
    for lang in ("zh", "en"):
        text = rank_text.render([rank.RankRow(1, "省大数据局", 0, 0, 2, 0, 2, 75.0)], "dept", lang)
        assert "0.5" in text and "50" in text and "30" in text and "20" in text
    assert "nothing verified yet scores 0.5 (neutral)" in rank_text.render([rank.RankRow(1, "x", 0, 0, 1, 0, 1, 75.0)], "dept", "en")
    assert "尚无销号的单位按 0.5（中性）计" in i18n.t("rank.legend", "zh", days=365)
