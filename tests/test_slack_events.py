"""Events API and the HTTP edge: App Home, retries acting once, signatures, health, secrets kept out of logs."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

from bot.slack.events import first_delivery
from models.tables import Person, ProcessedEvent, Workspace
from tests.slack_fake import SECRET, TOKEN, Harness, fake, harness, slack


def test_opening_app_home_publishes_my_tasks_approvals_and_task_forces(slack: Harness) -> None:
    slack.world()
    slack.command("extend 1 2027-01-15 等待接口", user="U2")
    slack.settle()
    assert slack.home_opened("U2", event_id="EvOwner").status_code == 200
    owner = json.dumps(slack.published_home("U2"), ensure_ascii=False)
    assert "我的任务*　🔴 0  🟡 0  🟢 0  ⚪ 1" in owner and "#1 编制数据目录" in owner
    assert "待我审批*　0" in owner and "*数据共享专班*\\n" in owner

    slack.home_opened("U1", event_id="EvLead")
    lead = slack.published_home("U1")
    text = json.dumps(lead, ensure_ascii=False)
    assert "待我审批*　1" in text and "zhang 申请延期至 2027年1月15日（周五）：等待接口" in text
    decisions = [e["action_id"] for b in lead["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert decisions == ["task.approve", "task.reject"]
    assert "*数据共享专班*（负责人）" in text


def test_a_retried_event_is_handled_once(slack: Harness) -> None:
    slack.home_opened("U1", event_id="EvSame")
    slack.settle()
    assert slack.home_opened("U1", event_id="EvSame", retry=1).status_code == 200
    slack.settle()
    assert len(slack.fake.calls_to("views.publish")) == 1
    assert slack.count(ProcessedEvent, ProcessedEvent.event_id == "EvSame") == 1


def test_an_event_that_failed_is_handled_again_when_slack_retries_it(slack: Harness) -> None:
    slack.fake.fail("views.publish", status=500, times=2)  # the client retries a 500 once, then gives up
    slack.home_opened("U1", event_id="EvFlaky")
    slack.settle()
    assert slack.count(ProcessedEvent, ProcessedEvent.event_id == "EvFlaky") == 0
    slack.home_opened("U1", event_id="EvFlaky", retry=1)
    slack.settle()
    assert len(slack.fake.calls_to("views.publish")) == 3
    assert slack.count(ProcessedEvent, ProcessedEvent.event_id == "EvFlaky") == 1


def test_the_messages_tab_publishes_nothing(slack: Harness) -> None:
    event = {"type": "app_home_opened", "user": "U1", "channel": "DU1", "tab": "messages", "event_ts": "1.2"}
    assert slack.event(event, event_id="EvMsgTab").status_code == 200
    slack.settle()
    assert not slack.fake.calls_to("views.publish")


def test_a_mention_answers_with_a_hint_only_the_mentioner_sees(slack: Harness) -> None:
    event = {"type": "app_mention", "user": "U1", "channel": "C1", "text": "<@UBOT> 怎么用？", "ts": "1.3",
             "event_ts": "1.3"}
    slack.event(event, event_id="EvMention")
    (hint,) = slack.fake.wait_for("chat.postEphemeral")
    assert hint.body["channel"] == "C1" and hint.body["user"] == "U1" and "/task" in hint.body["text"]


def _form(user: str = "U1") -> bytes:
    return urlencode({"team_id": "T1", "user_id": user, "channel_id": "C1", "command": "/guatu", "text": "whoami",
                      "response_url": "http://127.0.0.1:9/r", "trigger_id": "1.1.t"}).encode()


def _nothing_happened(slack: Harness) -> None:
    slack.settle()
    assert slack.count(Workspace) == 0 and slack.count(Person) == 0
    assert slack.fake.calls == []


def test_an_unsigned_request_is_refused_and_writes_nothing(slack: Harness) -> None:
    assert slack.post(_form(), "application/x-www-form-urlencoded", signed=False).status_code == 401
    _nothing_happened(slack)


def test_a_request_signed_with_another_secret_is_refused(slack: Harness) -> None:
    r = slack.post(_form(), "application/x-www-form-urlencoded", secret="someone-elses-secret")
    assert r.status_code == 401
    _nothing_happened(slack)


def test_a_signed_request_older_than_five_minutes_is_refused(slack: Harness) -> None:
    r = slack.post(_form(), "application/x-www-form-urlencoded", timestamp=int(time.time()) - 6 * 60)
    assert r.status_code == 401
    _nothing_happened(slack)


def test_a_tampered_body_is_refused(slack: Harness) -> None:
    ts = int(time.time())
    good = slack.post(_form(), "application/x-www-form-urlencoded", timestamp=ts).request.headers["X-Slack-Signature"]
    slack.reset()
    r = slack.http.post("/slack/events", content=_form("UEVIL"), headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": good})
    assert r.status_code == 401
    _nothing_happened(slack)


def test_health_check_reports_the_database(slack: Harness) -> None:
    r = slack.http.get("/healthz")
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert slack.http.get("/slack/events").status_code == 405


def test_no_token_or_secret_is_ever_logged(slack: Harness, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    slack.world()
    slack.click("task.done", "1", user="U2")
    slack.home_opened("U1", event_id="EvLog")
    slack.post(_form(), "application/x-www-form-urlencoded", secret="wrong")
    slack.settle()
    assert len(caplog.records) > 20  # debug logging really was on, Web API calls included
    assert TOKEN not in caplog.text and SECRET not in caplog.text


def test_first_delivery_releases_its_claim_only_on_failure(slack: Harness) -> None:
    body = {"event_id": "EvUnit", "team_id": "T1"}
    try:
        with first_delivery(slack.engine, body) as first:
            assert first
            raise RuntimeError("publish failed")
    except RuntimeError:
        pass
    with first_delivery(slack.engine, body) as first:
        assert first
    with first_delivery(slack.engine, body) as again:
        assert not again
