"""一人一单: what the sweeps decide for a person on a working morning reaches them as one briefing."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from bot.slack.blocks import outbox_blocks
from jobs import briefings
from jobs.briefings import sweep_briefings
from jobs.registry import run_job
from jobs.sweeps import sweep_escalations, sweep_reminders
from models import tasks
from models.tables import Outbox
from tests.conftest import at
from tests.factories import d, standard_world
from tests.outbox_fakes import Recorder
from tests.test_sweeps import make_world

MONDAY = at("2026-11-23 09:00")


@pytest.fixture
def busy(engine):
    """zhang on Monday 11-23: 4 tasks due Thursday (reminders; silent too), 4 due last Friday
    (overdue: 提示单), 4 due at year's end and silent since they were given on 11-02 (nudges)."""
    s = Session(engine, expire_on_commit=False)
    w = standard_world(s, at("2026-11-02 10:00"))
    groups = {"due": "2026-11-26", "late": "2026-11-20", "quiet": "2026-12-31"}
    w.ids = {g: [w.task("lin", f"{g}任务{i}", due=d(day), owner="zhang", force="数据共享专班").id for i in range(4)]
             for g, day in groups.items()}
    s.commit()
    yield w
    s.close()


def briefings_to(sink: Recorder, who: str) -> list[str]:
    return [x for x in sink.texts(who) if "督办晨报" in x or "briefing for" in x]


def test_twelve_things_due_for_one_person_arrive_as_one_message_naming_all_twelve(engine, busy):
    sink = Recorder(min_interval=0)
    run_job("all", engine, sink, now=MONDAY, sleep=lambda _: None)
    [brief] = briefings_to(sink, "zhang")
    named = re.findall(r"#(\d+)[「 ]", brief)
    every = busy.ids["due"] + busy.ids["late"] + busy.ids["quiet"]
    assert sorted({int(x) for x in named}) == sorted(every)
    # A task reminded of is not also nudged the same morning: each due task is named once.
    assert all(named.count(str(i)) == 1 for i in busy.ids["due"])
    assert "共 12 项" in brief and brief.index("提示单（已逾期）") < brief.index("临近截止") < brief.index("久未更新")
    assert "提示〔2026〕1号" in brief and "/task ack <编号>" in brief
    # Nothing else from the sweeps reached zhang that morning.
    with Session(engine) as s:
        swept = s.exec(select(Outbox).where(Outbox.person_id == busy.people["zhang"].id,
                                            Outbox.kind.in_(("reminder", "nudge", "escalation")))).all()
    # 4 reminders, 4 提示单, 4 nudges: the due tasks' nudges wait for a day without a reminder.
    assert {r.status for r in swept} == {"merged"} and len(swept) == 12
    # Run again that morning: nothing new, nothing twice.
    sink.sent.clear()
    run_job("all", engine, sink, now=at("2026-11-23 09:05"), sleep=lambda _: None)
    assert briefings_to(sink, "zhang") == []


def test_a_briefing_in_slack_has_a_menu_of_actions_on_every_line(engine, busy):
    run_job("all", engine, Recorder(min_interval=0), now=MONDAY, sleep=lambda _: None)
    with Session(engine) as s:
        row = s.exec(select(Outbox).where(Outbox.kind == "briefing", Outbox.recipient == "zhang")).one()
    blocks = outbox_blocks(row.text, row.blocks)
    menus = [b["accessory"] for b in blocks if b["type"] == "section" and "accessory" in b]
    assert len(menus) == 12 and len(blocks) <= 50
    late = busy.ids["late"][0]
    options = next(m["options"] for m in menus if any(o["value"] == f"ack:{late}" for o in m["options"]))
    assert [o["value"] for o in options] == [f"ack:{late}", f"progress:{late}", f"extend:{late}"]
    assert "<!channel>" not in str(blocks)


def test_a_lone_item_goes_as_it_was_written_with_its_own_buttons(engine, autumn):
    autumn.task("lin", "单独一件", due=d("2026-10-12"), owner="zhang", force="数据共享专班")
    autumn.session.commit()
    sweep_reminders(engine, now=at("2026-10-08 09:00"))
    assert sweep_briefings(engine, at("2026-10-08 09:00")) == 1
    with Session(engine) as s:
        [row] = s.exec(select(Outbox).where(Outbox.kind == "reminder")).all()
        assert row.status == "pending" and row.text.startswith("⏰ 任务 #1「单独一件」")
        assert s.exec(select(Outbox).where(Outbox.kind == "briefing")).all() == []


def test_a_chief_gets_one_summary_instead_of_a_circular_per_task(engine, autumn):
    for i in range(6):
        autumn.task("lin", f"专项{i}", due=d("2026-09-30"), owner="zhang", force="数据共享专班")
    autumn.session.commit()
    sink = Recorder(min_interval=0)
    for day in ("2026-10-08", "2026-10-10", "2026-10-12", "2026-10-14"):
        run_job("all", engine, sink, now=at(f"{day} 09:00"), sleep=lambda _: None)
    chief = [x for x in sink.texts("ting") if "Circular" in x or "circular" in x]
    assert len(chief) == 1  # ting reads English: one briefing with six circulars
    assert chief[0].startswith("📋 ting, your briefing for") and chief[0].count("circular ") == 6
    assert len([x for x in sink.texts("chu") if "督办〔2026〕" in x]) == 1


def test_a_leads_briefing_lists_the_approvals_waiting_for_them(engine, autumn):
    t1 = autumn.task("lin", "要延期", due=d("2026-10-20"), owner="zhang", force="数据共享专班")
    t2 = autumn.task("lin", "报完成", due=d("2026-10-20"), owner="wang", force="数据共享专班")
    late = autumn.task("lin", "lin 自己的", due=d("2026-09-30"), force="数据共享专班")
    autumn.session.commit()
    tasks.request_extension(autumn.ctx("zhang", now=at("2026-10-08 08:30")), t1.id, d("2026-10-30"), "等数据")
    tasks.request_done(autumn.ctx("wang", now=at("2026-10-08 08:40")), t2.id, "已上线")
    autumn.session.commit()
    sink = Recorder(min_interval=0)
    run_job("all", engine, sink, now=at("2026-10-08 09:00"), sleep=lambda _: None)
    [brief] = briefings_to(sink, "lin")
    assert f"#{late.id}" in brief and "待你审批（2）" in brief
    assert f"#{t1.id}「要延期」zhang 申请延期" in brief and f"#{t2.id}「报完成」wang 报完成，待销号" in brief
    with Session(engine) as s:
        row = s.exec(select(Outbox).where(Outbox.kind == "briefing", Outbox.recipient == "lin")).one()
    values = {o["value"] for b in outbox_blocks(row.text, row.blocks) if "accessory" in b
              for o in b["accessory"]["options"]}
    assert {f"approve:{t1.id}", f"reject:{t1.id}", f"verify:{t2.id}", f"reopen:{t2.id}"} <= values


def test_one_persons_failing_briefing_does_not_stop_the_others_and_is_sent_on_the_next_run(engine, busy, monkeypatch):
    busy.task("lin", "王的任务", due=d("2026-11-26"), owner="wang", force="数据共享专班")
    busy.task("lin", "王的任务二", due=d("2026-11-26"), owner="wang", force="数据共享专班")
    busy.session.commit()
    for sweep in (sweep_reminders, sweep_escalations):
        sweep(engine, now=MONDAY)
    real = briefings.compose

    def broken(lines, *, lang, name, day):
        if name == "zhang":
            raise RuntimeError("injected")
        return real(lines, lang=lang, name=name, day=day)

    monkeypatch.setattr(briefings, "compose", broken)
    assert sweep_briefings(engine, MONDAY) == 1  # wang's
    with Session(engine) as s:
        held = s.exec(select(Outbox).where(Outbox.status == "held")).all()
        assert held and {r.recipient for r in held} == {"zhang"}
    monkeypatch.setattr(briefings, "compose", real)
    assert sweep_briefings(engine, at("2026-11-23 09:03")) == 1
    assert sweep_briefings(engine, at("2026-11-23 09:04")) == 0
    with Session(engine) as s:
        assert len(s.exec(select(Outbox).where(Outbox.kind == "briefing")).all()) == 2


def test_the_scheduler_waits_for_the_mornings_sweeps_before_gathering(engine, busy):
    sweep_reminders(engine, now=MONDAY)
    assert sweep_briefings(engine, at("2026-11-23 09:01"), settle=briefings.SETTLE) == 0
    assert sweep_briefings(engine, at("2026-11-23 09:02"), settle=briefings.SETTLE) == 1


@pytest.fixture
def autumn(engine):
    w = make_world(engine, at("2026-09-14 10:00"))
    yield w
    w.session.close()


def test_a_nudge_found_in_the_afternoon_waits_for_the_next_mornings_briefing(engine, autumn):
    autumn.task("lin", "下午才发现沉默", due=d("2026-11-30"), owner="zhang", force="数据共享专班")
    autumn.session.commit()
    from jobs.sweeps import sweep_nudges

    assert sweep_nudges(engine, now=at("2026-10-12 14:00")) == 1  # silent since 09-14: found at 14:00
    with Session(engine) as s:
        [row] = s.exec(select(Outbox).where(Outbox.kind == "nudge")).all()
    assert row.next_attempt_at == at("2026-10-13 09:00") and row.status == "held"
