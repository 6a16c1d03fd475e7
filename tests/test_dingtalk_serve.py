"""DingTalk end to end: the real surface, its Stream connection and its notifier against a fake DingTalk."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from bot import cli
from bot.dingtalk.server import DingTalk, serve_alone, start
from bot.dispatch import Service
from bot.settings import Settings
from models.tables import ExtensionRequest, Outbox, Person, ProcessedEvent, Task, TaskForce, Workspace
from tests.conftest import TZ, _wipe, at, pg_url_with_schema
from tests.dingtalk_fake import CLIENT_ID, CLIENT_SECRET, CORP, ROBOT_CODE, FakeDingTalk, Pushed, dingtalk_fake
from tests.slack_fake import Harness, fake

NOW = at("2026-11-23 10:00")  # a Monday
GROUP = "cidGroupDataSharing01"
TEMPLATE = "tpl-guatu-task.schema"
TEAM = f"dt:{CORP}"
LEAD, MEMBER = "lead01", "member02"


def settings_for(fake_dt: FakeDingTalk, **extra: Any) -> Settings:
    values: dict[str, Any] = dict(_env_file=None, DINGTALK_CLIENT_ID=CLIENT_ID, DINGTALK_CLIENT_SECRET=CLIENT_SECRET,
                                  DINGTALK_ROBOT_CODE=ROBOT_CODE, DINGTALK_OPENAPI_ENDPOINT=fake_dt.endpoint,
                                  DINGTALK_CARD_TEMPLATE_ID=TEMPLATE, GUATU_SCHEDULER="off", **extra)
    return Settings(**values)


def progress(session: Session, task_id: int) -> int:
    task = session.get(Task, task_id)
    assert task is not None, f"no task #{task_id}"
    return task.progress


class Ding:
    """Our DingTalk surface, wired as ``serve`` wires it, connected to the fake gateway."""

    def __init__(self, engine: Any, fake_dt: FakeDingTalk) -> None:
        self.engine = engine
        self.fake = fake_dt
        self.settings = settings_for(fake_dt)
        self.service = Service(engine, tz=TZ, default_lang="zh", clock=lambda: NOW)
        self.dt: DingTalk = start(self.settings, self.service)
        fake_dt.wait_connected()

    def close(self) -> None:
        self.dt.stop()

    def say(self, text: str, *, staff: str, group: str | None = None, ats: tuple[tuple[str, str], ...] = (),
            **kw: Any) -> Pushed:
        """Types ``text`` to the robot and waits until the gateway has its ack (sent once handled)."""
        p = self.fake.message(text, staff=staff, nick={"lead01": "王五", "member02": "李四"}.get(staff, staff),
                              group=group, ats=ats, **kw)
        self.fake.wait_acked(p)
        return p

    def world(self) -> None:
        """王五 (lead01, first contact: admin) creates 数据共享专班 in the group, adds 李四 (member02), and gives
        李四 three tasks, #3 due Thursday 11-26."""
        self.say("force new 数据共享专班", staff=LEAD, group=GROUP)
        self.say("/force add @李四", staff=LEAD, group=GROUP, ats=((MEMBER, "李四"),))
        for title, due in (("编制数据目录", "2026-12-31"), ("梳理共享清单", "2026-12-31"), ("完成接口联调", "2026-11-26")):
            self.say(f"task add {title} @李四 due:{due}", staff=LEAD, group=GROUP, ats=((MEMBER, "李四"),))
        self.fake.reset()

    def count(self, model: type, *where: Any) -> int:
        with Session(self.engine) as s:
            return len(s.exec(select(model).where(*where)).all())


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def ding_module(request: pytest.FixtureRequest, dingtalk_fake: FakeDingTalk) -> Iterator[Ding]:
    engine = request.getfixturevalue("pg_engine" if request.param == "postgres" else "sqlite_engine")
    _wipe(engine)
    d = Ding(engine, dingtalk_fake)
    yield d
    d.close()


@pytest.fixture
def ding(ding_module: Ding) -> Ding:
    _wipe(ding_module.engine)
    ding_module.dt.surface._known.clear()
    ding_module.fake.reset()
    return ding_module


def _card_to(fake_dt: FakeDingTalk, staff: str) -> dict[str, Any]:
    [call] = fake_dt.wait_for("/v1.0/card/instances/createAndDeliver",
                              where=lambda c: c.body.get("openSpaceId") == f"dtv1.card//IM_ROBOT.{staff}")
    return call.body


def test_a_member_types_task_progress_without_a_slash_and_gets_the_task_card_back(ding) -> None:
    ding.world()
    ding.say("task progress 3 60% 完成联调", staff=MEMBER)
    card = _card_to(ding.fake, MEMBER)
    params = card["cardData"]["cardParamMap"]
    assert card["cardTemplateId"] == TEMPLATE and card["callbackType"] == "STREAM"
    assert params["title"] == "#3 完成接口联调" and params["progress"] == "60" and params["owner"] == "李四"
    assert {b["verb"] for b in json.loads(params["buttons"])} >= {"progress", "extend", "done", "ack"}
    assert all(isinstance(v, str) for v in params.values())  # DingTalk's cardParamMap holds strings only
    assert ding.fake.said() and "60%" in ding.fake.said()[0]  # the words through the session webhook
    with Session(ding.engine) as s:
        assert progress(s, 3) == 60
        ws = s.exec(select(Workspace).where(Workspace.team_id == TEAM)).one()
        assert ws.platform == "dingtalk"
        assert {p.chat_user_id: p.name for p in s.exec(select(Person)).all()} == {LEAD: "王五", MEMBER: "李四"}
        assert s.exec(select(TaskForce)).one().channel_id == GROUP  # the group is bound like a channel


def test_the_leading_slash_and_a_full_width_slash_work_the_same(ding) -> None:
    ding.world()
    ding.say("/task progress 3 30%", staff=MEMBER)
    ding.say("／task progress 3 40%", staff=MEMBER)
    with Session(ding.engine) as s:
        assert progress(s, 3) == 40


def test_a_lead_approves_an_extension_from_the_cards_button_and_the_card_updates_in_place(ding) -> None:
    ding.world()
    ding.say("task extend 3 2026-12-04 需要协调省厅接口", staff=MEMBER)
    ding.fake.reset()
    ding.say("task show 3", staff=LEAD)
    card = _card_to(ding.fake, LEAD)
    verbs = {b["verb"] for b in json.loads(card["cardData"]["cardParamMap"]["buttons"])}
    assert {"approve", "reject"} <= verbs
    click = ding.fake.click(card["outTrackId"], staff=LEAD, verb="approve", task=3)
    ding.fake.wait_acked(click)
    [update] = ding.fake.wait_for("/v1.0/card/instances")
    assert update.method == "PUT" and update.body["outTrackId"] == card["outTrackId"]
    params = update.body["cardData"]["cardParamMap"]
    assert "approve" not in {b["verb"] for b in json.loads(params["buttons"])}
    assert "12-04" in params["due"] or "12月4日" in params["due"]
    with Session(ding.engine) as s:
        assert s.exec(select(ExtensionRequest)).one().status == "approved"


def test_a_member_clicking_approve_is_refused_by_role_and_nothing_changes(ding) -> None:
    ding.world()
    ding.say("task extend 3 2026-12-04 需要协调", staff=MEMBER)
    ding.fake.reset()
    ding.say("task show 3", staff=MEMBER)
    card = _card_to(ding.fake, MEMBER)
    ding.fake.wait_acked(ding.fake.click(card["outTrackId"], staff=MEMBER, verb="approve", task=3))
    ding.fake.wait_for("/v1.0/robot/oToMessages/batchSend")
    assert any("⚠️" in x for x in ding.fake.said())
    with Session(ding.engine) as s:
        assert s.exec(select(ExtensionRequest)).one().status == "pending"


def test_a_form_button_answers_with_the_command_to_type(ding) -> None:
    ding.world()
    ding.say("task show 3", staff=MEMBER)
    card = _card_to(ding.fake, MEMBER)
    ding.fake.wait_acked(ding.fake.click(card["outTrackId"], staff=MEMBER, verb="progress", task=3))
    [dm] = ding.fake.wait_for("/v1.0/robot/oToMessages/batchSend")
    assert dm.body["userIds"] == [MEMBER] and "/task 进展 <编号> <n>%" in dm.param()["content"]


def test_a_duplicated_push_is_handled_once(ding) -> None:
    ding.world()
    p = ding.say("task progress 3 50% 一次", staff=MEMBER, twice=True)
    time.sleep(0.3)  # the second copy's ack, if it were handled again, would come with a second card
    assert p.pushes == 2
    assert len(ding.fake.calls_to("/v1.0/card/instances/createAndDeliver")) == 1
    with Session(ding.engine) as s:
        assert len(s.exec(select(ProcessedEvent)).all()) >= 1
        assert progress(s, 3) == 50


def test_an_unacknowledged_push_is_pushed_again_and_handled_once(ding) -> None:
    ding.world()
    p = ding.fake.message("task progress 3 70% 再推", staff=MEMBER, lose_acks=1)
    _card_to(ding.fake, MEMBER)
    assert not p.acks  # our ack was lost on its way
    assert ding.fake.repush_unacked() == 1
    ding.fake.wait_acked(p)
    assert p.pushes == 2 and len(ding.fake.calls_to("/v1.0/card/instances/createAndDeliver")) == 1


def test_a_disconnect_frame_leads_to_a_reconnect_with_a_fresh_ticket(ding) -> None:
    before = dict(ding.fake.tickets)
    opened = ding.dt.runner.connections
    ding.fake.wait_acked(ding.fake.disconnect())
    deadline = time.monotonic() + 10
    while ding.dt.runner.connections == opened and time.monotonic() < deadline:
        time.sleep(0.02)
    ding.fake.wait_connected()
    assert ding.dt.runner.connections == opened + 1
    fresh = set(ding.fake.tickets) - set(before)
    assert len(fresh) == 1 and all(ding.fake.tickets[t] for t in fresh)  # a new ticket, used once
    assert ding.fake.refused_tickets == 0
    ding.say("guatu whoami", staff=MEMBER)  # and the new connection works
    assert ding.fake.said()


def test_a_ping_frame_is_acknowledged(ding) -> None:
    ack = ding.fake.wait_acked(ding.fake.ping())
    assert ack["code"] == 200


def test_text_that_is_no_command_gets_a_hint_and_writes_nothing(ding) -> None:
    ding.say("你好", staff=MEMBER)
    assert "task progress" in ding.fake.said()[0]
    assert ding.count(Task) == 0


def test_an_expired_session_webhook_answers_through_the_robot_api(ding) -> None:
    ding.say("guatu whoami", staff=MEMBER, webhook_valid=False)
    [dm] = ding.fake.wait_for("/v1.0/robot/oToMessages/batchSend")
    assert dm.body["userIds"] == [MEMBER] and dm.body["robotCode"] == ROBOT_CODE
    assert not ding.fake.calls_to("/robot/sendBySession")
    ding.say("guatu whoami", staff=LEAD, group=GROUP, webhook_valid=False)
    [gm] = ding.fake.wait_for("/v1.0/robot/groupMessages/send")
    assert gm.body["openConversationId"] == GROUP


def test_the_next_mornings_briefing_arrives_through_the_robot_api(ding, monkeypatch, capsys) -> None:
    ding.world()
    url = (pg_url_with_schema(ding.engine) if ding.engine.dialect.name == "postgresql"
           else ding.engine.url.render_as_string(hide_password=False))
    for k, v in {"DATABASE_URL": url, "DINGTALK_CLIENT_ID": CLIENT_ID, "DINGTALK_CLIENT_SECRET": CLIENT_SECRET,
                 "DINGTALK_ROBOT_CODE": ROBOT_CODE, "DINGTALK_OPENAPI_ENDPOINT": ding.fake.endpoint,
                 "GUATU_TZ": "Asia/Shanghai", "GUATU_LANG": "zh"}.items():
        monkeypatch.setenv(k, v)
    assert cli.main(["jobs", "run", "all", "--at", "2026-11-24T09:00:00+08:00"]) == 0
    to_member = [c for c in ding.fake.calls_to("/v1.0/robot/oToMessages/batchSend") if c.body["userIds"] == [MEMBER]]
    assert to_member, ding.fake.calls
    text = json.dumps([c.param() for c in to_member], ensure_ascii=False)
    assert "#3" in text
    with Session(ding.engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.recipient == MEMBER, Outbox.status == "sent")).all()
        assert rows
    assert CLIENT_SECRET not in capsys.readouterr().out


def test_a_throttled_send_waits_and_a_refused_staff_id_is_parked(ding) -> None:
    from bot.console import ConsoleNotifier
    from bot.dingtalk.server import notifier as routed
    from jobs.deliver import deliver

    ding.world()
    sink = routed(ding.settings, ConsoleNotifier(io.StringIO()))
    sink.min_interval = 0.0  # type: ignore[attr-defined]  # unpaced: one run sends everything due
    deliver(ding.engine, sink, now=NOW)  # what the world's set-up queued (李四's assignments)
    ding.say("task extend 3 2026-12-04 需要协调", staff=MEMBER)  # an approval request to the lead, through the outbox
    ding.fake.fail("/v1.0/robot/oToMessages/batchSend", status=429,
                   code="Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", message="QPS")
    stats = deliver(ding.engine, sink, now=NOW)
    assert stats.rate_limited == 1 and stats.sent == 0
    ding.fake.answers["/v1.0/robot/oToMessages/batchSend"] = {"invalidStaffIdList": [LEAD]}
    stats = deliver(ding.engine, sink, now=NOW + timedelta(minutes=1))
    assert stats.failed == 1 and stats.sent == 0
    with Session(ding.engine) as s:
        [row] = s.exec(select(Outbox).where(Outbox.recipient == LEAD)).all()
        assert row.status == "failed" and "not a staff id" in (row.last_error or "")


@pytest.fixture
def slack_beside(ding: Ding, fake: Any) -> Iterator[Harness]:
    """The real Slack app on the DingTalk test's own database, its Web API at the Slack fake."""
    fake.reset()
    h = Harness(ding.engine, fake)
    yield h
    h.close()


def test_the_same_database_serves_a_slack_workspace_at_the_same_time(ding, slack_beside: Harness) -> None:
    slack = slack_beside
    ding.world()
    slack.world()  # a Slack team T1 in the same database, its own force and task
    with Session(ding.engine) as s:  # ids are one sequence: the Slack team's task is #4
        slack_task = s.exec(select(Task.id).where(Task.title == "编制数据目录", Task.id != 1)).one() or 0
    ding.say("task progress 3 80% 同时", staff=MEMBER)
    reply = slack.command(f"progress {slack_task} 20% slack side", user="U2")
    assert reply.status_code == 200 and "⚠️" not in reply.text
    with Session(ding.engine) as s:
        assert progress(s, slack_task) == 20
        teams = {w.team_id: w.platform for w in s.exec(select(Workspace)).all()}
        assert teams == {TEAM: "dingtalk", "T1": "slack"}
        assert progress(s, 3) == 80
    # Delivery routes each team's messages to its own platform.
    from bot.dingtalk.server import notifier as routed
    from bot.slack.notifier import SlackNotifier
    from jobs.deliver import deliver

    ding.say("task extend 3 2026-12-04 需要协调", staff=MEMBER)
    slack.command(f"extend {slack_task} 2027-01-08 slack reason", user="U2")
    sink = routed(ding.settings, SlackNotifier(slack.settings))
    deliver(ding.engine, sink, now=NOW + timedelta(minutes=1))
    to_dingtalk = {u for c in ding.fake.calls_to("/v1.0/robot/oToMessages/batchSend") for u in c.body["userIds"]}
    assert LEAD in to_dingtalk and to_dingtalk <= {LEAD, MEMBER}  # the approval request reached 王五 on DingTalk
    assert slack.direct_messages("U1")  # and U1's reached them on Slack
    assert not {c.body.get("channel") for c in slack.fake.calls_to("chat.postMessage")} & {LEAD, MEMBER}


def test_guatu_serve_with_dingtalk_only_connects_answers_and_stops_cleanly(dingtalk_fake, tmp_path) -> None:
    settings = settings_for(dingtalk_fake, DATABASE_URL=f"sqlite:///{tmp_path / 'g.db'}")
    stop = threading.Event()
    result: list[int] = []
    before = dingtalk_fake.connections
    t = threading.Thread(target=lambda: result.append(serve_alone(settings, stop=stop)))
    t.start()
    try:
        dingtalk_fake.wait_connected(before + 1)
        p = dingtalk_fake.message("guatu help", staff="someone9")
        dingtalk_fake.wait_acked(p)
        assert dingtalk_fake.said()
    finally:
        stop.set()
        t.join(15)
    assert result == [0] and not t.is_alive()


def test_guatu_serve_with_slack_runs_dingtalk_beside_it_and_stops_both(dingtalk_fake, fake, tmp_path,
                                                                      monkeypatch) -> None:
    """Slack in Socket Mode (a stand-in handler that, while "running", has a DingTalk user type to the robot)."""
    import slack_bolt.adapter.socket_mode as adapter

    from bot.slack import server
    from tests.slack_fake import TOKEN

    seen: dict[str, Any] = {}
    before = dingtalk_fake.connections

    class SocketMode:
        def __init__(self, app: Any, app_token: str) -> None:
            self.app = app

        def start(self) -> None:  # Slack is "up": DingTalk must be too, on the same database
            dingtalk_fake.wait_connected(before + 1)
            p = dingtalk_fake.message("guatu whoami", staff="dual01")
            seen["ack"] = dingtalk_fake.wait_acked(p)

    monkeypatch.setattr(adapter, "SocketModeHandler", SocketMode)
    fake.reset()
    settings = settings_for(dingtalk_fake, SLACK_BOT_TOKEN=TOKEN, SLACK_APP_TOKEN="xapp-1-test",
                            SLACK_API_URL=fake.api_url, DATABASE_URL=f"sqlite:///{tmp_path / 'both.db'}")
    assert server.serve(settings) == 0
    assert seen["ack"]["code"] == 200 and dingtalk_fake.said()
    deadline = time.monotonic() + 5
    while dingtalk_fake.connections > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert dingtalk_fake.connections == before  # the Stream connection was closed on the way out
