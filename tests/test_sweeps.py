"""Reminders, nudges and the 督办 ladder, swept at controlled times across 调休 and public holidays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from jobs.briefings import sweep_briefings
from jobs.deliver import deliver
from jobs.sweeps import sweep_escalations, sweep_nudges, sweep_reminders
from models import forces, org, tasks
from models.org import PersonRef
from models.tables import EscalationState, EscalationStep, Outbox, SweepLog, TaskCoOwner
from tests.conftest import at
from tests.factories import World, d, standard_world
from tests.outbox_fakes import Recorder

START = at("2026-02-02 10:00")  # a Monday, well before the Spring Festival
AUTUMN = at("2026-09-14 10:00")


def make_world(engine, now):
    """The standard world plus a leader chain: zhang → chu (leader in charge) → ting (chief)."""
    s = Session(engine, expire_on_commit=False)
    try:
        w = standard_world(s, now)
        w.person("chu", "leader")  # 分管领导
        w.person("ting", "leader")  # 主要领导
        root = w.people["root"]
        org.set_reports_to(s, root, w.ws, PersonRef(name="zhang"), PersonRef(name="chu"), now=now)
        org.set_reports_to(s, root, w.ws, PersonRef(name="chu"), PersonRef(name="ting"), now=now)
        w.people["ting"].lang = "en"
        s.commit()
    except BaseException:
        s.close()  # an open write transaction would lock SQLite for the next test
        raise
    return w


@pytest.fixture
def world(engine):
    w = make_world(engine, START)
    yield w
    w.session.close()


@pytest.fixture
def autumn(engine):
    w = make_world(engine, AUTUMN)
    yield w
    w.session.close()


def new_task(w: World, due: str, *, title="编制数据目录", owner="zhang", **kw):
    t = w.task("lin", title, due=d(due), owner=owner, force="数据共享专班", **kw)
    w.session.commit()
    return t


def messages(engine, kind: str, recipient: str | None = None) -> list[Outbox]:
    with Session(engine) as s:
        q = select(Outbox).where(Outbox.kind == kind)
        if recipient:
            q = q.where(Outbox.recipient == recipient)
        return list(s.exec(q.order_by(Outbox.id)).all())


def sweep_days(engine, sweep, first: str, last: str, hour: str = "09:00") -> dict[str, int]:
    """Runs ``sweep`` every day from ``first`` to ``last`` at ``hour`` (and once more, to show
    repeats write nothing); returns the messages written per day."""
    out = {}
    day = d(first)
    while day <= d(last):
        now = at(f"{day} {hour}")
        out[day.isoformat()] = sweep(engine, now=now)
        assert sweep(engine, now=now + timedelta(minutes=5)) == 0
        day += timedelta(days=1)
    return {k: v for k, v in out.items() if v}


# ---------------------------------------------------------------- reminders


def test_deadline_reminders_count_working_days_across_the_spring_festival(engine, world):
    t = new_task(world, "2026-02-24")
    written = sweep_days(engine, sweep_reminders, "2026-02-09", "2026-02-28")
    # 3 working days before Tue 02-24 is Thu 02-12; 1 day before is the 调休 Saturday 02-14.
    assert written == {"2026-02-12": 1, "2026-02-14": 1, "2026-02-24": 1}
    texts = [m.text for m in messages(engine, "reminder", "zhang")]
    assert "还有 3 个工作日" in texts[0] and "还有 1 个工作日" in texts[1] and "今天截止（2026年2月24日（周二））" in texts[2]
    assert all(f"#{t.id}" in x for x in texts)


def test_node_and_deadline_reminders_across_national_day(engine, autumn):
    t = autumn.task("lin", "平台上线", due=d("2026-10-12"), owner="zhang", force="数据共享专班",
                    nodes=[(d("2026-10-09"), "完成初稿")])
    autumn.session.commit()
    written = sweep_days(engine, sweep_reminders, "2026-09-25", "2026-10-13")
    assert written == {
        "2026-09-29": 1,  # node: 3 working days before Fri 10-09 (10-08, 09-30, 09-29)
        "2026-10-08": 2,  # node: 1 day before; deadline: 3 days before Mon 10-12 (10-10, 10-09, 10-08)
        "2026-10-09": 1,  # node: the day
        "2026-10-10": 1,  # deadline: 1 day before, a Saturday worked (调休)
        "2026-10-12": 1,  # deadline: the day
    }
    texts = [m.text for m in messages(engine, "reminder")]
    assert "节点「完成初稿」将于 2026年10月9日（周五）到期，还有 3 个工作日" in texts[0]
    assert sum("完成初稿" in x for x in texts) == 3 and all(f"#{t.id}" in x for x in texts)


def test_reminders_speak_the_owners_language_and_reach_co_owners(engine, world):
    world.people["zhang"].lang = "en"
    t = new_task(world, "2026-02-26")
    world.session.add(TaskCoOwner(task_id=t.id, person_id=world.people["wang"].id))
    world.session.commit()
    assert sweep_reminders(engine, now=at("2026-02-25 09:00")) == 2  # 1 working day before Thu 02-26
    [mine] = messages(engine, "reminder", "zhang")
    [theirs] = messages(engine, "reminder", "wang")
    assert "in 1 working day;" in mine.text and "还有 1 个工作日" in theirs.text


def test_a_moved_deadline_is_reminded_of_again_and_repeat_sweeps_never_double(engine, world):
    t = new_task(world, "2026-03-05")
    assert sweep_reminders(engine, now=at("2026-03-04 09:00")) == 1  # 1 working day before
    assert sweep_reminders(engine, now=at("2026-03-04 09:00")) == 0
    tasks.request_extension(world.ctx("zhang", now=at("2026-03-04 10:00")), t.id, d("2026-03-10"), "数据未到")
    tasks.decide_extension(world.ctx("lin", now=at("2026-03-04 11:00")), t.id, approve=True)
    world.session.commit()
    assert sweep_reminders(engine, now=at("2026-03-05 09:00")) == 1  # 3 working days before 03-10
    assert sweep_reminders(engine, now=at("2026-03-09 09:00")) == 1
    logs = world.session.exec(select(SweepLog.due, SweepLog.step).order_by(SweepLog.id)).all()
    assert logs == [(d("2026-03-05"), 1), (d("2026-03-10"), 3), (d("2026-03-10"), 1)]


def test_after_downtime_one_catch_up_sends_the_latest_step_only(engine, world):
    new_task(world, "2026-03-05")  # Thursday: steps Mon 03-02, Wed 03-04, Thu 03-05
    assert sweep_reminders(engine, now=at("2026-03-04 15:00")) == 1  # missed 09:00 (and Monday's)
    assert sweep_reminders(engine, now=at("2026-03-04 15:05")) == 0
    [only] = messages(engine, "reminder")
    assert "还有 1 个工作日" in only.text
    assert sweep_reminders(engine, now=at("2026-03-06 09:00")) == 0  # the deadline passed: nothing late


def test_a_failing_reminder_stops_no_other_in_its_chunk_and_the_next_run_sends_it_once(engine, world, monkeypatch):
    import jobs.sweeps as sweeps

    new_task(world, "2026-03-05", title="好任务")
    bad = new_task(world, "2026-03-05", title="坏任务")
    real = sweeps._reminder_message

    def broken(task, *args, **kwargs):
        if task.id == bad.id:
            raise RuntimeError("boom")
        return real(task, *args, **kwargs)

    monkeypatch.setattr(sweeps, "_reminder_message", broken)
    assert sweep_reminders(engine, now=at("2026-03-04 09:00")) == 1  # the chunk failed, redone item by item
    monkeypatch.setattr(sweeps, "_reminder_message", real)
    assert sweep_reminders(engine, now=at("2026-03-04 09:05")) == 1  # the failed one, once
    assert sweep_reminders(engine, now=at("2026-03-04 09:10")) == 0
    assert sorted("坏任务" in m.text for m in messages(engine, "reminder")) == [False, True]


def test_done_requested_and_finished_nodes_are_not_reminded(engine, world):
    t = world.task("lin", "x", due=d("2026-03-05"), owner="zhang", force="数据共享专班",
                   nodes=[(d("2026-03-04"), "节点")])
    tasks.complete_node(world.ctx("zhang"), t.id, 1)
    tasks.request_done(world.ctx("zhang"), t.id)
    world.session.commit()
    assert sweep_reminders(engine, now=at("2026-03-04 09:00")) == 0


def test_quiet_hours_defer_reminders_to_the_morning_except_for_high_priority(engine, world):
    normal = new_task(world, "2026-03-10", title="普通任务")  # Tue: 3 days before is Thu 03-05
    urgent = new_task(world, "2026-03-10", title="紧急任务", priority="high")
    late = at("2026-03-05 21:00")  # the bot was down at 09:00 and catches up at night
    assert sweep_reminders(engine, now=late) == 2
    by_task = {m.task_id: m for m in messages(engine, "reminder")}
    assert by_task[urgent.id].next_attempt_at == late
    assert by_task[normal.id].next_attempt_at == at("2026-03-06 09:00")
    sink = Recorder(min_interval=0)
    deliver(engine, sink, now=late)
    assert [x for x in sink.texts("zhang") if "⏰" in x] == [by_task[urgent.id].text]
    # Held for the morning's briefing; alone in it, it goes as it was written.
    assert by_task[normal.id].status == "held"
    sweep_briefings(engine, at("2026-03-06 09:00"))
    deliver(engine, sink, now=at("2026-03-06 09:00"))
    assert [x for x in sink.texts("zhang") if "⏰" in x][-1] == by_task[normal.id].text


def test_a_step_deferred_past_the_next_step_is_skipped_for_the_next(engine, autumn):
    new_task(autumn, "2026-10-09")  # Fri; 1 day before is Thu 10-08; 3 days before is Tue 09-29
    # Caught up at night before National Day, the 3-day step could only go out on 10-08 at 09:00,
    # when the 1-day step is due: it is skipped and the 1-day step speaks alone.
    assert sweep_reminders(engine, now=at("2026-09-30 20:30")) == 0
    assert sweep_reminders(engine, now=at("2026-10-08 09:00")) == 1
    [msg] = messages(engine, "reminder")
    assert "还有 1 个工作日" in msg.text and msg.next_attempt_at == at("2026-10-08 09:00")


def test_a_step_caught_up_at_night_waits_for_the_working_morning(engine, autumn):
    new_task(autumn, "2026-10-13")  # Tue; 3 days before is Fri 10-09, 1 day before is Mon 10-12
    assert sweep_reminders(engine, now=at("2026-10-09 22:00")) == 1
    [msg] = messages(engine, "reminder")
    assert "还有 2 个工作日" in msg.text  # counted to the day it is read: Mon 10-12 and Tue 10-13 remain
    assert msg.next_attempt_at == at("2026-10-10 09:00")  # the Saturday worked (调休), not Monday


# ---------------------------------------------------------------- nudges


def test_a_silent_task_is_nudged_once_per_silence(engine, world):
    t = world.task("lin", "接口联调", due=d("2026-03-31"), owner="zhang", force="数据共享专班",
                   now=at("2026-02-09 10:00"))
    world.session.commit()
    # Created Mon 02-09: 10, 11, 12, 13 and the 调休 Saturday 02-14 make five working days.
    assert sweep_days(engine, sweep_nudges, "2026-02-10", "2026-02-27") == {"2026-02-14": 1}
    tasks.progress(world.ctx("zhang", now=at("2026-02-25 10:00")), t.id, 30, "完成一半接口")
    world.session.commit()
    # A new silence: 26, 27, 28 (Saturday, worked), 03-02, 03-03.
    assert sweep_days(engine, sweep_nudges, "2026-02-25", "2026-03-06") == {"2026-03-03": 1}
    nudges = messages(engine, "nudge", "zhang")
    assert len(nudges) == 2 and "已 5 个工作日没有更新进展" in nudges[0].text
    assert nudges[0].next_attempt_at == at("2026-02-14 09:00")


def test_a_failing_nudge_stops_no_other_in_its_chunk_and_the_next_run_sends_it_once(engine, world, monkeypatch):
    import jobs.sweeps as sweeps

    for title in ("接口联调", "坏任务"):
        world.task("lin", title, due=d("2026-03-31"), owner="zhang", force="数据共享专班", now=at("2026-02-09 10:00"))
    world.session.commit()
    real = sweeps._nudge_row

    def broken(run, session, task, silent_since):
        if task.title == "坏任务":
            raise RuntimeError("boom")
        return real(run, session, task, silent_since)

    monkeypatch.setattr(sweeps, "_nudge_row", broken)
    assert sweep_nudges(engine, now=at("2026-02-14 09:00")) == 1  # the chunk failed, redone item by item
    monkeypatch.setattr(sweeps, "_nudge_row", real)
    assert sweep_nudges(engine, now=at("2026-02-14 09:15")) == 1  # the failed one, once
    assert sweep_nudges(engine, now=at("2026-02-14 09:30")) == 0
    assert sorted("坏任务" in m.text for m in messages(engine, "nudge")) == [False, True]


def test_overdue_and_unstarted_tasks_are_not_nudged(engine, world):
    world.task("lin", "later", due=d("2026-04-30"), owner="zhang", force="数据共享专班", start=d("2026-03-20"),
               now=at("2026-02-09 10:00"))
    world.task("lin", "late", due=d("2026-02-10"), owner="zhang", force="数据共享专班", now=at("2026-02-09 10:00"))
    world.session.commit()
    assert sweep_nudges(engine, now=at("2026-02-26 10:00")) == 0


# ---------------------------------------------------------------- escalations


def steps(engine) -> list[tuple[int, str | None, int | None, list]]:
    with Session(engine) as s:
        return [(x.level, x.series, x.no, x.recipients)
                for x in s.exec(select(EscalationStep).order_by(EscalationStep.id)).all()]


def ids(w: World, *names: str) -> list[int]:
    return [w.people[n].id for n in names]


def who_got(engine, w: World) -> dict[str, list[str]]:
    """Each person's escalation notices, as their first lines."""
    by_id = {p.chat_user_id: n for n, p in w.people.items()}
    out: dict[str, list[str]] = {}
    for m in messages(engine, "escalation"):
        out.setdefault(by_id.get(m.recipient, m.recipient), []).append(m.text.split("\n")[0])
    return out


@pytest.mark.parametrize("scenario", ["spring festival", "national day"])
def test_each_level_of_the_ladder_fires_once_on_working_days(engine, scenario, request):
    fixture, due, last, expected = {
        # Due Fri 02-13: day 0 is the 调休 Saturday 02-14; +2, +3, +5 working days after the festival.
        "spring festival": ("world", "2026-02-13", "2026-03-03",
                            {"2026-02-14": 1, "2026-02-25": 1, "2026-02-26": 1, "2026-02-28": 1}),
        # Due 09-30: day 0 is 10-08 after the holiday; Saturday 10-10 is worked.
        "national day": ("autumn", "2026-09-30", "2026-10-16",
                         {"2026-10-08": 1, "2026-10-10": 1, "2026-10-12": 1, "2026-10-14": 1}),
    }[scenario]
    w = request.getfixturevalue(fixture)
    new_task(w, due, title="数据归集")
    assert sweep_days(engine, sweep_escalations, due, last) == expected
    assert steps(engine) == [
        (0, "tishi", 1, ids(w, "zhang")), (1, "tishi", 2, ids(w, "lin")),
        (2, "duban", 1, ids(w, "chu")), (3, "tongbao", 1, ids(w, "ting")),
    ]
    owner, lead, leader, chief = (messages(engine, "escalation", n)[0].text for n in ("zhang", "lin", "chu", "ting"))
    assert owner.startswith("🔴 提示单 提示〔2026〕1号") and "已逾期 1 个工作日" in owner and "送：zhang" in owner
    assert lead.startswith("🔴 提示单 提示〔2026〕2号") and "责任人 zhang" in lead and "尚无人签收" in lead
    assert "经 提示〔2026〕1号 仍未解决" in lead
    # Day 0 is one working day overdue; the leader in charge hears at day 0 + 3, the chief at + 5.
    assert leader.startswith("🟥 督办单 督办〔2026〕1号") and "已逾期 4 个工作日" in leader
    assert "经 提示〔2026〕1号、提示〔2026〕2号 仍未解决" in leader and "送：chu" in leader
    assert chief.startswith("📣 Circular circular 1/2026") and "6 working days overdue" in chief


def chain_world(engine, now):
    """A four-level chain: 科员 kai (member) → 处长 chuzhang (member) → 副厅长 fu (leader) → 厅长 ting (leader);
    lin leads the task force."""
    s = Session(engine, expire_on_commit=False)
    w = World(s, now)
    w.person("root")
    w.person("lin", "lead")
    for name in ("kai", "chuzhang"):
        w.person(name)
    w.person("fu", "leader")
    w.person("ting", "leader")
    root = w.people["root"]
    for a, b in (("kai", "chuzhang"), ("chuzhang", "fu"), ("fu", "ting")):
        org.set_reports_to(s, root, w.ws, PersonRef(name=a), PersonRef(name=b), now=now)
    w.force("数据共享专班", "lin", "kai", "chuzhang")
    s.commit()
    return w


@pytest.fixture
def chain(engine):
    w = chain_world(engine, AUTUMN)
    yield w
    w.session.close()


def test_a_four_level_chain_gets_each_level_on_its_day_and_a_peer_without_the_role_gets_nothing(engine, chain):
    new_task(chain, "2026-09-30", owner="kai")
    assert sweep_days(engine, sweep_escalations, "2026-09-30", "2026-10-20") == {
        "2026-10-08": 1, "2026-10-10": 1, "2026-10-12": 1, "2026-10-14": 1}
    assert steps(engine) == [(0, "tishi", 1, ids(chain, "kai")), (1, "tishi", 2, ids(chain, "lin")),
                             (2, "duban", 1, ids(chain, "fu")), (3, "tongbao", 1, ids(chain, "ting"))]
    got = who_got(engine, chain)
    assert "chuzhang" not in got  # the 处长 holds no leader role: a peer never gets a 督办单
    assert {k: len(v) for k, v in got.items()} == {"kai": 1, "lin": 1, "fu": 1, "ting": 1}


def test_after_five_missed_working_days_the_owner_hears_before_the_leader_in_charge(engine, chain):
    new_task(chain, "2026-09-30", owner="kai")
    assert sweep_escalations(engine, now=at("2026-10-13 09:00")) == 3  # down since 10-08: levels 0, 1, 2 at once
    assert [x[0] for x in steps(engine)] == [0, 1, 2]
    with Session(engine) as s:
        order = [m.recipient for m in s.exec(select(Outbox).where(Outbox.kind == "escalation").order_by(Outbox.id))]
    assert order == ["kai", "lin", "fu"]
    leader = messages(engine, "escalation", "fu")[0].text
    assert "经 提示〔2026〕1号、提示〔2026〕2号 仍未解决" in leader
    assert sweep_escalations(engine, now=at("2026-10-14 09:00")) == 1  # the chief, on his own day
    assert sweep_escalations(engine, now=at("2026-10-14 09:05")) == 0


def test_an_overdue_time_node_climbs_the_ladder_like_a_deadline(engine, chain):
    t = chain.task("lin", "平台上线", due=d("2026-10-30"), owner="kai", force="数据共享专班",
                   nodes=[(d("2026-09-30"), "完成初稿")])
    chain.session.commit()
    assert sweep_escalations(engine, now=at("2026-10-08 09:00")) == 1
    [owner] = messages(engine, "escalation", "kai")
    assert "任务 #1「平台上线」的节点「完成初稿」截止 2026年9月30日（周三），已逾期 1 个工作日" in owner.text
    assert sweep_escalations(engine, now=at("2026-10-12 09:00")) == 2  # missed 10-10: the lead, then fu
    state = chain.session.exec(select(EscalationState)).one()
    assert (state.target, state.level) == (f"node:{state.node_id}", 2)
    tasks.complete_node(chain.ctx("kai", now=at("2026-10-12 15:00")), t.id, 1)
    chain.session.commit()
    assert sweep_days(engine, sweep_escalations, "2026-10-13", "2026-10-20") == {}
    chain.session.refresh(state)
    assert (state.status, state.close_reason) == ("closed", "node_done")


def test_a_small_progress_update_does_not_restart_the_ladder(engine, chain):
    t = new_task(chain, "2026-09-30", owner="kai")
    sweep_escalations(engine, now=at("2026-10-08 09:00"))
    tasks.progress(chain.ctx("kai", now=at("2026-10-09 15:00")), t.id, 30, "在推进")
    chain.session.commit()
    assert sweep_days(engine, sweep_escalations, "2026-10-09", "2026-10-14") == {
        "2026-10-10": 1, "2026-10-12": 1, "2026-10-14": 1}
    assert [x[0] for x in steps(engine)] == [0, 1, 2, 3]
    state = chain.session.exec(select(EscalationState)).one()
    assert (state.episode, state.status) == (1, "open")
    assert "进度 30%" in messages(engine, "escalation", "fu")[0].text


def test_an_acknowledgement_pauses_the_climb_and_it_resumes_while_still_overdue(engine, chain):
    t = new_task(chain, "2026-09-30", owner="kai")
    sweep_escalations(engine, now=at("2026-10-08 09:00"))
    sweep_escalations(engine, now=at("2026-10-10 09:00"))  # the lead has a 提示单 too
    done = tasks.acknowledge(chain.ctx("kai", now=at("2026-10-10 10:30")), t.id)
    chain.session.commit()
    # Paused three working days from Sat 10-10 (worked, 调休): resumes Wed 10-14 at 09:00.
    assert done.escalation.resume == at("2026-10-14 09:00")
    [told] = [m for m in messages(engine, "escalation", "lin") if "✅" in m.text]
    assert "提示〔2026〕2号" in told.text and "kai 于 10-10 10:30 签收" in told.text and "暂停至 2026年10月14日" in told.text
    assert not [m for m in messages(engine, "escalation", "kai") if "✅" in m.text]
    # Level 2 was due 10-12: it waits for the pause; the chief keeps his two working days after it.
    assert sweep_days(engine, sweep_escalations, "2026-10-11", "2026-10-20") == {"2026-10-14": 1, "2026-10-16": 1}
    state = chain.session.exec(select(EscalationState)).one()
    chain.session.refresh(state)
    assert (state.status, state.acked_by_id, state.level) == ("open", chain.people["kai"].id, 3)
    assert "kai 已于 10-10 10:30 签收" in messages(engine, "escalation", "fu")[0].text


def test_a_second_acknowledgement_during_the_pause_changes_nothing(engine, chain):
    t = new_task(chain, "2026-09-30", owner="kai")
    sweep_escalations(engine, now=at("2026-10-10 09:00"))
    tasks.acknowledge(chain.ctx("kai", now=at("2026-10-10 10:30")), t.id)
    chain.session.commit()
    again = tasks.acknowledge(chain.ctx("lin", now=at("2026-10-12 10:00")), t.id)
    chain.session.commit()
    assert again.escalation.already
    assert chain.session.exec(select(EscalationState)).one().acked_by_id == chain.people["kai"].id


def test_acknowledging_with_nothing_open_or_nothing_received_is_refused_and_writes_nothing(engine, chain):
    from models.errors import Conflict
    from models.tables import AuditEvent

    t = new_task(chain, "2026-12-30", owner="kai")
    tasks.acknowledge(chain.ctx("kai"), t.id)  # the owner confirms receiving the new task
    chain.session.commit()
    before = len(chain.session.exec(select(AuditEvent)).all())
    with pytest.raises(Conflict) as refused:
        tasks.acknowledge(chain.ctx("kai"), t.id)  # received already, and no 督办 is open
    assert refused.value.key == "esc.ack.none"
    late = new_task(chain, "2026-09-30", owner="chuzhang", title="迟了")
    sweep_escalations(engine, now=at("2026-10-08 09:00"))
    with pytest.raises(Conflict) as refused:
        tasks.acknowledge(chain.ctx("lin", now=at("2026-10-08 10:00")), late.id)  # the lead got no level yet
    assert refused.value.key == "esc.ack.not_yours"
    chain.session.rollback()
    assert len(chain.session.exec(select(AuditEvent)).all()) == before + 1  # the new task's only
    assert chain.session.exec(select(EscalationState)).one().acked_by_id is None


def test_an_urgent_task_enters_at_the_supervision_notice_with_the_owner_and_lead_told_the_same_morning(engine, chain):
    new_task(chain, "2026-09-30", owner="kai", priority="high")
    assert sweep_escalations(engine, now=at("2026-10-08 09:00")) == 3
    assert [(x[0], x[1]) for x in steps(engine)] == [(0, "tishi"), (1, "tishi"), (2, "duban")]
    assert sweep_escalations(engine, now=at("2026-10-12 09:00")) == 1  # the chief: the gap 5 − 3 = 2 days


def test_without_a_leader_in_the_chain_the_department_head_is_told_and_an_empty_level_is_skipped(engine):
    s = Session(engine, expire_on_commit=False)
    try:
        w = World(s, AUTUMN)
        w.person("root")
        w.person("lin", "lead")
        w.person("kai", "lead")
        w.person("head")
        root = w.people["root"]
        org.dept_add(s, root, w.ws, "省数据局", now=AUTUMN, head=PersonRef(name="head"))
        org.dept_set_person(s, root, w.ws, PersonRef(name="kai"), "省数据局", now=AUTUMN)
        w.force("数据共享专班", "kai")  # kai leads it himself: level 1 has nobody else
        s.commit()
        w.task("kai", "自己的任务", due=d("2026-09-30"), force="数据共享专班")
        s.commit()
        assert sweep_days(engine, sweep_escalations, "2026-09-30", "2026-10-20") == {
            "2026-10-08": 1, "2026-10-12": 1}
        assert [(x[0], x[1], x[3]) for x in steps(engine)] == [
            (0, "tishi", ids(w, "kai")), (1, None, []), (2, "duban", ids(w, "head")), (3, None, [])]
        head = messages(engine, "escalation", "head")[0].text
        assert "送：head（专班负责人无人可送，已跳过）" in head
    finally:
        s.close()


def test_nobody_gets_two_levels_of_one_episode(engine, chain):
    # The lead is also the owner's 分管领导: he hears as the lead, and level 2 finds nobody left.
    org.set_reports_to(chain.session, chain.people["root"], chain.ws, PersonRef(name="kai"), PersonRef(name="lin"),
                       now=AUTUMN)
    org.role_set(chain.session, chain.people["root"], chain.ws, PersonRef(name="lin"), "leader", now=AUTUMN)
    org.set_reports_to(chain.session, chain.people["root"], chain.ws, PersonRef(name="lin"), PersonRef(name="ting"),
                       now=AUTUMN)
    chain.session.commit()
    new_task(chain, "2026-09-30", owner="kai")
    sweep_days(engine, sweep_escalations, "2026-09-30", "2026-10-20")
    got = who_got(engine, chain)
    assert {k: len(v) for k, v in got.items()} == {"kai": 1, "lin": 1, "ting": 1}
    assert [(x[0], x[3]) for x in steps(engine)] == [(0, ids(chain, "kai")), (1, ids(chain, "lin")), (2, []),
                                                     (3, ids(chain, "ting"))]


def test_an_approved_extension_ends_the_episode(engine, autumn):
    t = new_task(autumn, "2026-09-30")
    sweep_escalations(engine, now=at("2026-10-08 09:00"))
    tasks.request_extension(autumn.ctx("zhang", now=at("2026-10-08 10:00")), t.id, d("2026-10-16"), "等待外部数据")
    tasks.decide_extension(autumn.ctx("lin", now=at("2026-10-08 11:00")), t.id, approve=True)
    autumn.session.commit()
    assert sweep_days(engine, sweep_escalations, "2026-10-08", "2026-10-16") == {}
    state = autumn.session.exec(select(EscalationState)).one()
    assert (state.status, state.close_reason) == ("closed", "extension")
    # The new deadline passes in turn: a new episode, which climbs afresh from the owner.
    assert sweep_escalations(engine, now=at("2026-10-19 09:00")) == 1
    assert [s[0] for s in steps(engine)] == [0, 0]


def test_the_policy_is_frozen_when_the_task_turns_red(engine, autumn):
    new_task(autumn, "2026-09-30")
    sweep_escalations(engine, now=at("2026-10-01 00:05"))  # red: the episode starts, with [0, 2, 3, 5]
    forces.force_policy(autumn.ctx("lin", now=at("2026-10-02 10:00")), {"escalate": [0, 1, 1, 1]},
                        force_name="数据共享专班")
    autumn.session.commit()
    assert sweep_days(engine, sweep_escalations, "2026-10-08", "2026-10-14") == {
        "2026-10-08": 1, "2026-10-10": 1, "2026-10-12": 1, "2026-10-14": 1}
    assert autumn.session.exec(select(EscalationState)).one().policy["escalate"] == [0, 2, 3, 5]


def test_reporting_done_closes_the_episode(engine, autumn):
    t = new_task(autumn, "2026-09-30")
    sweep_escalations(engine, now=at("2026-10-08 09:00"))
    tasks.request_done(autumn.ctx("zhang", now=at("2026-10-08 16:00")), t.id, "已上线")
    autumn.session.commit()
    assert sweep_days(engine, sweep_escalations, "2026-10-09", "2026-10-16") == {}
    state = autumn.session.exec(select(EscalationState)).one()
    assert (state.status, state.close_reason) == ("closed", "closed")


def test_escalation_notices_are_numbered_per_workspace_and_year(engine, autumn):
    for title in ("甲", "乙"):
        new_task(autumn, "2026-09-30", title=title)
    sweep_escalations(engine, now=at("2026-10-08 09:00"))
    assert [(s[1], s[2]) for s in steps(engine)] == [("tishi", 1), ("tishi", 2)]


def test_escalations_written_in_quiet_hours_wait_for_the_morning(engine, autumn):
    urgent = new_task(autumn, "2026-09-30", title="紧急", priority="high")
    normal = new_task(autumn, "2026-09-30", title="普通")
    night = at("2026-10-08 21:00")  # down all day; catches up at night
    assert sweep_escalations(engine, now=night) == 4  # the urgent one enters at the 督办单: 3 levels at once
    by_task: dict[int, set] = {}
    for m in messages(engine, "escalation"):
        by_task.setdefault(m.task_id, set()).add((m.next_attempt_at, m.status))
    assert by_task == {urgent.id: {(night, "pending")}, normal.id: {(at("2026-10-09 09:00"), "held")}}
