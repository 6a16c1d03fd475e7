"""DingTalk's pure parts and its notifier's reading of DingTalk's errors, against the fake's OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

import pytest

from bot.dingtalk.api import ApiError, OpenApi
from bot.dingtalk.notifier import DAILY_WAIT, DingTalkNotifier, delivery_error
from bot.dingtalk.render import md, robot_message, webhook_text
from bot.dingtalk.surface import command_line
from models import i18n
from models.outbox import DeliveryError, Routed
from tests.dingtalk_fake import CLIENT_ID, CLIENT_SECRET, ROBOT_CODE, FakeDingTalk, dingtalk_fake


@pytest.fixture
def api(dingtalk_fake: FakeDingTalk) -> Iterator[OpenApi]:
    dingtalk_fake.reset()
    client = OpenApi(dingtalk_fake.endpoint, CLIENT_ID, CLIENT_SECRET, ROBOT_CODE)
    yield client
    client.close()


# ---------------------------------------------------------------- the command line


def test_a_command_is_read_with_or_without_its_slash_and_in_chinese() -> None:
    assert command_line("task progress 3 60% 完成联调", []) == ("/task", "progress 3 60% 完成联调")
    assert command_line(" /task progress 3 60%", []) == ("/task", "progress 3 60%")
    assert command_line("／任务 列表", []) == ("/task", "列表")
    assert command_line("帮助", []) == ("/guatu", "帮助")
    assert command_line("今天天气不错", []) is None


def test_people_at_ed_in_a_group_become_mentions_in_the_order_dingtalk_lists_them() -> None:
    assert command_line("force add @李四 @赵六", ["s2", "s6"]) == ("/force", "add <@s2> <@s6>")
    # When the @s in the text and DingTalk's list disagree, nothing is guessed: the names stay as typed.
    assert command_line("force add @李四 @赵六", ["s2"]) == ("/force", "add @李四 @赵六")


# ---------------------------------------------------------------- rendering


def test_user_text_in_markdown_is_literal_and_a_typed_at_pings_no_one() -> None:
    assert md("[点我](http://evil) **粗** # 标题") == r"\[点我\]\(http://evil\) \*\*粗\*\* \# 标题"
    body = webhook_text("请 " + i18n.mention("lead01") + " 审批；@所有人 看看")
    assert body["msgtype"] == "text" and body["at"]["atUserIds"] == ["lead01"]
    assert body["text"]["content"] == "请 @lead01 审批；@所有人 看看"


def test_an_outbox_row_with_actions_becomes_an_action_card_whose_buttons_send_the_command() -> None:
    key, param = robot_message("任务 #3 临近截止", [{"action": "task.ack", "value": "3", "lang": "zh"},
                                                  {"action": "task.progress", "value": "3", "lang": "zh"}])
    assert key == "sampleActionCard2" and param["actionTitle1"] == "收到"
    assert unquote(param["actionURL1"]).endswith("content=task ack 3")
    assert robot_message("纯文本", None) == ("sampleText", {"content": "纯文本"})


# ---------------------------------------------------------------- the OpenAPI and the notifier


def test_the_access_token_is_fetched_once_and_refreshed_when_refused(api, dingtalk_fake) -> None:
    notifier = DingTalkNotifier(api)
    notifier.send("member02", "一")
    notifier.send("member02", "二")
    assert len(dingtalk_fake.calls_to("/v1.0/oauth2/accessToken")) == 1
    dingtalk_fake.tokens.clear()  # DingTalk forgot the token (expired early, app secret reset …)
    notifier.send("member02", "三")
    assert len(dingtalk_fake.calls_to("/v1.0/oauth2/accessToken")) == 2
    assert [c.param()["content"] for c in dingtalk_fake.calls_to("/v1.0/robot/oToMessages/batchSend")][-1] == "三"


def test_a_group_recipient_goes_through_the_group_api(api, dingtalk_fake) -> None:
    DingTalkNotifier(api).send("cidGroup01", "群消息")
    [call] = dingtalk_fake.calls_to("/v1.0/robot/groupMessages/send")
    assert call.body["openConversationId"] == "cidGroup01" and call.body["robotCode"] == ROBOT_CODE


@pytest.mark.parametrize(("status", "code", "message", "expect"), [
    (429, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "", "retry_after"),
    (403, "Throttling.Api", "", "retry_after"),
    (403, "Forbidden.ExceedDailyQuota", "今日发送已达上限", "daily"),
    (400, "invalidParameter.userIds.invalid", "", "permanent"),
    (403, "Forbidden.AccessDenied.AccessTokenPermissionDenied", "没有调用该接口的权限", "permanent"),
    (503, "", "", "uncertain"),
    (500, "ServiceUnavailable", "", "retry"),
])
def test_dingtalks_errors_are_told_apart_for_the_worker(status, code, message, expect) -> None:
    err = delivery_error(ApiError(status, code, message, unanswered=not code))
    if expect == "retry_after":
        assert err.retry_after is not None and err.retry_after < 10 and not err.permanent
    elif expect == "daily":
        assert err.retry_after == DAILY_WAIT
    elif expect == "permanent":
        assert err.permanent and err.retry_after is None
    elif expect == "uncertain":
        assert err.uncertain and not err.permanent
    else:
        assert not err.permanent and err.retry_after is None


def test_a_flow_controlled_person_is_held_back_and_an_unknown_staff_id_is_parked(api, dingtalk_fake) -> None:
    notifier = DingTalkNotifier(api)
    dingtalk_fake.answers["/v1.0/robot/oToMessages/batchSend"] = {"flowControlledStaffIdList": ["s1"]}
    with pytest.raises(DeliveryError) as held:
        notifier.send("s1", "x")
    assert held.value.retry_after == DAILY_WAIT
    dingtalk_fake.answers["/v1.0/robot/oToMessages/batchSend"] = {"invalidStaffIdList": ["s1"]}
    with pytest.raises(DeliveryError) as parked:
        notifier.send("s1", "x")
    assert parked.value.permanent


def test_a_duplicate_content_refusal_counts_as_already_delivered(api, dingtalk_fake) -> None:
    dingtalk_fake.fail("/v1.0/robot/oToMessages/batchSend", status=400, code="duplicateMessage",
                       message="重复的消息")
    assert DingTalkNotifier(api).send("s1", "同一条") == "duplicate"


def test_ding_is_off_by_default_and_a_failed_list_falls_back_to_a_message(api, dingtalk_fake) -> None:
    assert DingTalkNotifier(api).send_ding("s1", "通报") is False
    assert not dingtalk_fake.calls_to("/v1.0/robot/ding/send")
    assert DingTalkNotifier(api, ding="app").send_ding("s1", "通报") is True
    assert dingtalk_fake.calls_to("/v1.0/robot/ding/send")[-1].body["remindType"] == 1
    dingtalk_fake.answers["/v1.0/robot/ding/send"] = {"failedList": {"s1": "quota"}}
    assert DingTalkNotifier(api, ding="sms").send_ding("s1", "通报") is False


def test_the_router_sends_each_platform_through_its_own_notifier() -> None:
    sent: list[tuple[str, str]] = []

    class Sink:
        def __init__(self, name: str) -> None:
            self.name = name

        def send(self, recipient: str, text: str, blocks: list | None = None) -> str | None:
            sent.append((self.name, recipient))
            return None

    routed = Routed({"slack": Sink("slack"), "dingtalk": Sink("dingtalk")})
    routed.route("dingtalk").send("s1", "x")
    routed.route(None).send("U1", "x")
    routed.route("feishu").send("U2", "x")  # unknown: the default
    assert sent == [("dingtalk", "s1"), ("slack", "U1"), ("slack", "U2")]


def test_a_message_with_a_malformed_expiry_counts_its_webhook_as_expired() -> None:
    from bot.dingtalk.surface import Incoming

    msg = Incoming.of({"msgId": "m1", "senderCorpId": "c", "senderStaffId": "s1", "text": {"content": "x"},
                       "sessionWebhook": "http://h/w", "sessionWebhookExpiredTime": "soon"})
    assert msg.webhook_expires_ms == 0 and msg.group_id is None and msg.staff_id == "s1"
