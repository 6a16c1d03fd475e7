"""SlackNotifier against the fake Slack: what the delivery worker needs to tell failures apart."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.settings import Settings
from bot.slack.notifier import SlackNotifier
from models.outbox import DeliveryError
from tests.slack_fake import TOKEN, fake


@pytest.fixture
def notifier(fake) -> SlackNotifier:
    fake.reset()
    return SlackNotifier(Settings(SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=fake.api_url, _env_file=None))


def test_a_message_to_a_channel_returns_its_ts(fake, notifier) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "🆕 新任务 #1"}}]
    ts = notifier.send("C1", "🆕 新任务 #1", blocks)
    (call,) = fake.calls_to("chat.postMessage")
    assert ts and float(ts) > 1_700_000_000
    assert call.body["channel"] == "C1" and call.body["blocks"] == blocks
    assert call.headers["authorization"] == f"Bearer {TOKEN}"


def test_a_message_to_a_person_is_a_direct_message_from_the_bot(fake, notifier) -> None:
    notifier.send("U2", "📋 你有新任务")
    assert fake.calls_to("chat.postMessage")[0].body["channel"] == "U2"


def test_a_rate_limit_is_reported_with_retry_after_and_never_slept_on(fake, notifier) -> None:
    fake.fail("chat.postMessage", status=429, retry_after=30)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as raised:
        notifier.send("C1", "催办")
    assert time.monotonic() - started < 2
    assert raised.value.retry_after == 30 and not raised.value.permanent
    assert len(fake.calls_to("chat.postMessage")) == 1  # no retry: the worker reschedules


def test_a_server_error_is_worth_retrying_later(fake, notifier) -> None:
    fake.fail("chat.postMessage", status=500)
    with pytest.raises(DeliveryError) as raised:
        notifier.send("C1", "催办")
    assert not raised.value.permanent and raised.value.retry_after is None
    assert len(fake.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize("error", ["channel_not_found", "user_not_found", "account_inactive", "not_in_channel",
                                   "is_archived"])
def test_errors_no_retry_can_cure_are_permanent(fake, notifier, error) -> None:
    fake.fail("chat.postMessage", status=200, error=error)
    with pytest.raises(DeliveryError) as raised:
        notifier.send("C1", "通知")
    assert raised.value.permanent and error in str(raised.value)


def test_other_api_errors_are_retried_later(fake, notifier) -> None:
    fake.fail("chat.postMessage", status=200, error="internal_error")
    with pytest.raises(DeliveryError) as raised:
        notifier.send("C1", "通知")
    assert not raised.value.permanent


def test_an_unreachable_slack_is_a_delivery_error_without_the_token(fake) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again at once: nothing listens there
    notifier = SlackNotifier(Settings(SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=f"http://127.0.0.1:{port}/api/",
                                      _env_file=None))
    with pytest.raises(DeliveryError) as raised:
        notifier.send("C1", "通知")
    assert not raised.value.permanent and TOKEN not in str(raised.value)


def test_outbox_actions_become_buttons_under_the_text(fake, notifier) -> None:
    from models.outbox import actions

    notifier.send("U2", "🟥 督办单 #7 已逾期", actions("zh", ("task.ack", 7), ("task.progress", 7)))
    body = fake.calls_to("chat.postMessage")[0].body
    assert body["text"] == "🟥 督办单 #7 已逾期"
    buttons = body["blocks"][-1]["elements"]
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [
        ("task.ack", "7", "收到"), ("task.progress", "7", "更新进展")]


def test_a_notice_offers_its_receipt_button(fake, notifier) -> None:
    from models.outbox import actions

    notifier.send("U2", "📢 通知", actions("en", ("notice.ack", 3)))
    (button,) = fake.calls_to("chat.postMessage")[0].body["blocks"][-1]["elements"]
    assert (button["action_id"], button["value"], button["text"]["text"]) == ("notice.ack", "3", "Got it")


def test_what_people_typed_cannot_ping_the_channel_or_disguise_a_link_in_an_outbox_message():
    from bot.slack.blocks import chat_text

    typed = "<!channel> 请全员立即处理 <https://evil.example/login|点此重新登录挂图> <@U123|张伟>"
    shown = chat_text(typed)
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    assert "<https://evil.example/login|" not in shown and "&lt;@U123|张伟&gt;" in shown  # typed: text, not a ping


@pytest.mark.parametrize("header, wait", [("30", 30.0), ("1e9", 3600.0), ("inf", 30.0), ("1e20", 3600.0),
                                          ("-1", 30.0), ("nan", 30.0), ("soon", 30.0), (None, 30.0)])
def test_a_hostile_retry_after_is_bounded_to_an_hour_and_nonsense_waits_thirty_seconds(fake, notifier, header, wait):
    from tests.slack_fake import _Failure

    with fake._cond:
        fake._failures["chat.postMessage"] = [_Failure(429, {"ok": False, "error": "ratelimited"},
                                                       {"Retry-After": header} if header is not None else {})]
    with pytest.raises(DeliveryError) as raised:
        notifier.send("C1", "催办")
    assert raised.value.retry_after == wait and not raised.value.uncertain


def test_each_message_carries_its_outbox_id_in_metadata(fake, notifier) -> None:
    notifier.send("C1", "催办", outbox_id=42)
    body = fake.calls_to("chat.postMessage")[0].body
    assert body["metadata"] == {"event_type": "guatu_outbox", "event_payload": {"id": 42}}
    notifier.send("C1", "无编号")
    assert "metadata" not in fake.calls_to("chat.postMessage")[1].body


def test_an_answer_lost_after_slack_posted_is_uncertain_and_found_in_the_history(fake, notifier) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    fake.drop("chat.postMessage")
    with pytest.raises(DeliveryError) as raised:
        notifier.send("C1", "催办", outbox_id=7)
    assert raised.value.uncertain and not raised.value.permanent
    assert [m["metadata"]["event_payload"]["id"] for m in fake.posted("C1")] == [7]  # Slack did post it
    assert notifier.was_delivered("C1", 7, since) is True
    assert notifier.was_delivered("C1", 8, since) is False
    (call,) = fake.calls_to("conversations.history")[:1]
    assert call.body["channel"] == "C1" and call.body["include_all_metadata"] in ("1", "true")


def test_a_direct_message_is_looked_for_in_the_dm_with_the_bot_across_pages(fake, notifier) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    notifier.send("U2", "第一条", outbox_id=1)
    for i in range(450):  # more than two pages of later messages
        notifier.send("U2", f"后来的 {i}")
    assert notifier.was_delivered("U2", 1, since) is True
    assert fake.calls_to("conversations.open")[0].body["users"] == "U2"
    assert {c.body["channel"] for c in fake.calls_to("conversations.history")} == {"DU2"}
    assert len(fake.calls_to("conversations.history")) == 3


def test_a_timeout_waiting_for_the_answer_is_uncertain(fake) -> None:
    notifier = SlackNotifier(Settings(SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=fake.api_url, _env_file=None))
    notifier.client.timeout = 0.3
    fake.delay("chat.postMessage", 0.8)
    with pytest.raises(DeliveryError) as raised:
        notifier.send("C1", "催办", outbox_id=3)
    assert raised.value.uncertain
    # The fake still carries the call out after our timeout: let it finish, or it lands in the next test.
    deadline = time.monotonic() + 5
    while not fake.posted("C1") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake.posted("C1")  # Slack did post it: exactly the case reconciliation is for


@pytest.mark.parametrize("status, error, uncertain", [(500, None, True), (503, None, True), (200, "internal_error", True),
                                                      (200, "fatal_error", True), (200, "invalid_arguments", False)])
def test_a_server_error_without_a_clear_refusal_is_uncertain(fake, notifier, status, error, uncertain) -> None:
    fake.fail("chat.postMessage", status=status, error=error)
    with pytest.raises(DeliveryError) as raised:
        notifier.send("C1", "催办")
    assert raised.value.uncertain is uncertain and not raised.value.permanent


def test_a_refused_connection_is_certainly_not_delivered(fake) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    notifier = SlackNotifier(Settings(SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=f"http://127.0.0.1:{port}/api/",
                                      _env_file=None))
    with pytest.raises(DeliveryError) as raised:
        notifier.send("C1", "通知")
    assert not raised.value.uncertain


def test_without_access_to_the_history_it_cannot_tell(fake, notifier) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    fake.fail("conversations.history", status=200, error="missing_scope")
    assert notifier.was_delivered("C1", 1, since) is None
    fake.fail("conversations.history", status=500)
    with pytest.raises(DeliveryError):
        notifier.was_delivered("C1", 1, since)  # cannot ask now: the worker tries again later


def test_the_delivery_worker_and_slack_reconcile_a_lost_answer_end_to_end(fake, engine) -> None:
    """Through the real notifier and the fake Web API: Slack posts the message, the answer is lost, and the
    next attempt finds it in the history instead of posting it again."""
    from jobs.deliver import deliver
    from tests.outbox_fakes import queue, rows

    fake.reset()
    now = datetime.now(UTC)
    queue(engine, [("C1", "逐级督办"), ("U2", "提醒")], now=now)
    notifier = SlackNotifier(Settings(SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=fake.api_url, _env_file=None))
    notifier.min_interval = 0.0
    fake.drop("chat.postMessage", times=2)
    first = deliver(engine, notifier, now=now)
    assert first.uncertain == 2 and all(r.last_error.startswith("uncertain: ") for r in rows(engine))
    second = deliver(engine, notifier, now=now + timedelta(minutes=1))
    assert second.reconciled == 2 and len(fake.calls_to("chat.postMessage")) == 2
    assert [r.status for r in rows(engine)] == ["sent", "sent"]
    assert len(fake.posted("C1")) == 1 and len(fake.posted("U2")) == 1
