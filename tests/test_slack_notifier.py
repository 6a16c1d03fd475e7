"""SlackNotifier against the fake Slack: what the delivery worker needs to tell failures apart."""

from __future__ import annotations

import socket
import time

import pytest

from bot.settings import Settings
from bot.slack.notifier import SlackNotifier
from models.outbox import DeliveryError
from tests.slack_fake import TOKEN, fake  # noqa: F401 - fixture


@pytest.fixture
def notifier(fake) -> SlackNotifier:
    fake.reset()
    return SlackNotifier(Settings(SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=fake.api_url, _env_file=None))


def test_a_message_to_a_channel_returns_its_ts(fake, notifier) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "🆕 新任务 #1"}}]
    ts = notifier.send("C1", "🆕 新任务 #1", blocks)
    (call,) = fake.calls_to("chat.postMessage")
    assert ts and ts.startswith("1700000000.")
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
    assert "<https://evil.example/login|" not in shown and "<@U123|张伟>" in shown
