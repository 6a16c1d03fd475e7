"""Buttons, menus and their modals end to end: each builds a typed request and runs it through the Service."""

from __future__ import annotations

import json

from models.tables import ExtensionRequest, Task
from tests.slack_fake import Harness, fake, harness, slack


def _buttons(message: dict) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_update_progress_opens_a_prefilled_modal_whose_answer_replaces_the_card(slack: Harness) -> None:
    slack.world()
    assert slack.click("task.progress", "1", user="U2").status_code == 200
    view = slack.opened_view()
    assert view["callback_id"] == "task_progress" and "#1 编制数据目录" in view["blocks"][0]["text"]["text"]
    percent = next(b for b in view["blocks"] if b.get("block_id") == "percent")
    assert percent["element"]["initial_value"] == "0"
    meta = json.loads(view["private_metadata"])
    assert meta["t"] == 1 and meta["o"]["replace"] is True and "/response/act" in meta["o"]["response_url"]
    assert slack.submit(view, {"percent": "45", "note": "完成调研"}, user="U2").text == ""
    answer = slack.fake.wait_for("response_url")[0].body
    assert answer["replace_original"] is True and answer["text"].startswith("已更新任务 #1 进度为 45%")
    assert slack.task(1).progress == 45


def test_extension_request_then_the_lead_approves_and_the_baseline_stays(slack: Harness) -> None:
    slack.world()
    slack.click("task.extend", "1", user="U2")
    view = slack.opened_view()
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == ["new_due", "reason"]
    assert slack.submit(view, {"new_due": "2027-01-15", "reason": "等待省大数据局接口"}, user="U2").text == ""
    requested = slack.fake.wait_for("response_url")[0].body
    assert "已申请将任务 #1 延期至" in requested["text"]
    slack.fake.reset()

    card = slack.command("show 1").json()  # the lead's view of the card
    assert _buttons(card)[-2:] == ["task.approve", "task.reject"]
    slack.click("task.approve", "1", user="U1")
    approved = slack.fake.wait_for("response_url")[0].body
    assert approved["text"].startswith("已批准任务 #1 延期至")
    assert "原定 2026年12月31日" in json.dumps(approved["blocks"], ensure_ascii=False)
    task = slack.task(1)
    assert (task.due.isoformat(), task.baseline_due.isoformat()) == ("2027-01-15", "2026-12-31")


def test_reject_asks_for_a_reason_first(slack: Harness) -> None:
    slack.world()
    slack.command("extend 1 2027-01-15 需要更多时间", user="U2")
    slack.click("task.reject", "1", user="U1")
    view = slack.opened_view()
    assert view["callback_id"] == "task_reject"
    assert slack.submit(view, {}, user="U1").json()["errors"] == {"reason": "请填写这一项。"}
    assert slack.submit(view, {"reason": "节点不能后移"}, user="U1").text == ""
    assert "已驳回任务 #1 的延期申请" in slack.fake.wait_for("response_url")[0].body["text"]
    assert slack.count(ExtensionRequest, ExtensionRequest.status == "rejected") == 1


def test_a_refusal_in_a_form_stays_in_the_form(slack: Harness) -> None:
    slack.world()
    slack.click("task.extend", "1", user="U2")
    body = slack.submit(slack.opened_view(), {"new_due": "12-20", "reason": "提前"}, user="U2").json()
    assert body["response_action"] == "errors" and "必须晚于当前截止日期" in body["errors"]["new_due"]


def test_report_a_blocker_through_its_modal(slack: Harness) -> None:
    slack.world()
    slack.click("task.block", "1", user="U2")
    view = slack.opened_view()
    assert view["callback_id"] == "task_block"
    slack.submit(view, {"reason": "数据接口未开放"}, user="U2")
    answer = slack.fake.wait_for("response_url")[0].body
    assert "受阻（数据接口未开放）" in json.dumps(answer["blocks"], ensure_ascii=False)
    assert slack.task(1).status == "blocked"


def test_mark_done_then_the_lead_verifies_from_app_home(slack: Harness) -> None:
    slack.world()
    slack.click("task.done", "1", user="U2")
    done = slack.fake.wait_for("response_url")[0].body
    assert done["replace_original"] is True and "等待负责人销号" in done["text"]
    assert "task.done" not in _buttons(done)  # nothing left for the owner to do but wait
    slack.settle()

    slack.home_opened("U1", event_id="EvLead")
    home = json.dumps(slack.published_home("U1"), ensure_ascii=False)
    assert "待我审批*　1" in home and "报告已完成，请销号" in home and '"task.verify"' in home
    slack.fake.reset()

    slack.click("task.verify", "1", user="U1", where="home")
    notice = json.dumps(slack.published_home("U1"), ensure_ascii=False)
    assert "任务 #1 已销号" in notice
    assert slack.task(1).status == "done"
    assert not slack.fake.calls_to("response_url")  # App Home has no response URL: the home shows the answer


def test_got_it_on_a_channel_message_answers_without_replacing_it(slack: Harness) -> None:
    slack.world()
    slack.click("task.ack", "1", user="U2", where="channel")
    answer = slack.fake.wait_for("response_url")[0].body
    assert answer["replace_original"] is False and answer["response_type"] == "ephemeral"
    assert "已确认接收任务 #1" in answer["text"]  # the owner confirms the assignment; no 督办 is open


def test_the_row_menu_opens_the_card(slack: Harness) -> None:
    slack.world()
    slack.click("task.menu", "show:1", user="U2", overflow=True)
    answer = slack.fake.wait_for("response_url")[0].body
    assert answer["blocks"][0]["text"]["text"] == "⚪ *#1 编制数据目录*"  # the card itself, nothing before it
    slack.click("task.menu", "progress:1", user="U2", overflow=True)
    assert slack.opened_view()["callback_id"] == "task_progress"


def test_a_refused_click_keeps_the_card_and_says_why(slack: Harness) -> None:
    slack.world()
    slack.click("task.done", "1", user="U3")
    answer = slack.fake.wait_for("response_url")[0].body
    assert answer["replace_original"] is False and answer["text"].startswith("⚠️ 没有权限")
    assert slack.task(1).status == "todo"


def test_a_form_for_a_task_you_may_not_see_is_refused_instead_of_opened(slack: Harness) -> None:
    slack.world()
    slack.click("task.progress", "1", user="U3")
    assert "没有权限" in slack.fake.wait_for("response_url")[0].body["text"]
    assert not slack.fake.calls_to("views.open")


def test_an_expired_trigger_says_how_to_type_it_instead(slack: Harness) -> None:
    slack.world()
    slack.fake.fail("views.open", status=200, error="expired_trigger_id")
    slack.click("task.extend", "1", user="U2")
    answer = slack.fake.wait_for("response_url")[0].body
    assert "/task 延期 &lt;编号&gt; &lt;日期&gt; &lt;原因…&gt;" in answer["text"]


def test_a_button_of_an_older_card_is_acknowledged(slack: Harness) -> None:
    r = slack.click("task.retired_button", "1")
    assert r.status_code == 200
    slack.fake.quiet()
    assert slack.count(Task) == 0


def test_a_failure_after_the_acknowledgement_still_reaches_the_user(slack: Harness, monkeypatch) -> None:
    slack.world()

    def broken(*args, **kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(slack.service, "run", broken)
    assert slack.click("task.done", "1", user="U2").status_code == 200
    answer = slack.fake.wait_for("response_url")[0].body
    assert answer["text"].startswith("抱歉，出了点问题（参考编号 ")


def test_the_receipt_button_on_a_notice_confirms_it(slack: Harness) -> None:
    from sqlmodel import Session, select

    from models.tables import NoticeReceipt, Outbox

    slack.world()
    assert "⚠️" not in slack.command("notice 周五前报送材料", command="/force").text
    slack.settle()
    with Session(slack.engine) as s:
        row = s.exec(select(Outbox).where(Outbox.kind == "notice")).one()
    assert row.blocks == [{"action": "notice.ack", "value": "1", "lang": "zh"}]
    slack.click("notice.ack", "1", user="U2", where="channel")
    slack.settle()
    assert slack.count(NoticeReceipt, NoticeReceipt.confirmed_at.is_not(None)) == 1


# ---------------------------------------------------------------- acting from the message itself (a DM the outbox sent)


def _dm(slack: Harness, user: str) -> dict:
    """The one direct message the outbox has for ``user`` now, delivered through the real Slack notifier."""
    slack.settle()
    slack.fake.reset()
    slack.deliver()
    (message,) = slack.direct_messages(user)
    return message


def _pressed(message: dict, action_id: str) -> str:
    """The value of a button in a delivered message: what Slack sends back when it is clicked."""
    return next(e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == action_id)


def test_the_lead_approves_an_extension_from_its_direct_message(slack: Harness) -> None:
    slack.world()
    slack.command("extend 1 2027-01-15 等待省大数据局接口", user="U2")
    dm = _dm(slack, "U1")
    assert _buttons(dm) == ["task.approve", "task.reject"]
    assert "批准：/task approve 1 · 驳回：/task reject 1 &lt;原因&gt;" in json.dumps(dm["blocks"], ensure_ascii=False)
    slack.click("task.approve", _pressed(dm, "task.approve"), user="U1", where="dm")
    answer = slack.fake.wait_for("response_url")[0].body
    assert answer["replace_original"] is False and answer["text"].startswith("已批准任务 #1 延期至")
    task = slack.task(1)
    assert (task.due.isoformat(), task.baseline_due.isoformat()) == ("2027-01-15", "2026-12-31")


def test_a_member_who_clicks_approve_is_refused_with_the_role_named_and_nothing_changes(slack: Harness) -> None:
    slack.world()
    slack.command("extend 1 2027-01-15 等待省大数据局接口", user="U2")
    dm = _dm(slack, "U1")
    slack.click("task.approve", _pressed(dm, "task.approve"), user="U2", where="dm")
    answer = slack.fake.wait_for("response_url")[0].body
    assert answer["text"].startswith("⚠️ 没有权限") and "本专班负责人" in answer["text"]
    assert slack.task(1).due.isoformat() == "2026-12-31"
    assert slack.count(ExtensionRequest, ExtensionRequest.status == "pending") == 1


def test_reject_from_the_direct_message_asks_for_a_reason_in_a_modal(slack: Harness) -> None:
    slack.world()
    slack.command("extend 1 2027-01-15 需要更多时间", user="U2")
    slack.click("task.reject", _pressed(_dm(slack, "U1"), "task.reject"), user="U1", where="dm")
    view = slack.opened_view()
    assert view["callback_id"] == "task_reject" and "#1 编制数据目录" in view["blocks"][0]["text"]["text"]
    assert slack.submit(view, {"reason": "   "}, user="U1").json()["errors"] == {"reason": "请填写这一项。"}
    assert slack.count(ExtensionRequest, ExtensionRequest.status == "pending") == 1
    assert slack.submit(view, {"reason": "节点不能后移"}, user="U1").text == ""
    assert "已驳回任务 #1 的延期申请" in slack.fake.wait_for("response_url")[0].body["text"]
    assert slack.count(ExtensionRequest, ExtensionRequest.status == "rejected") == 1
    assert slack.task(1).due.isoformat() == "2026-12-31"


def test_the_lead_verifies_a_done_report_from_its_direct_message(slack: Harness) -> None:
    slack.world()
    slack.command("done 1 目录已发布", user="U2")
    dm = _dm(slack, "U1")
    assert _buttons(dm) == ["task.verify", "task.reopen"]
    assert "销号：/task verify 1 · 退回：/task reopen 1 &lt;原因&gt;" in json.dumps(dm["blocks"], ensure_ascii=False)
    slack.click("task.verify", _pressed(dm, "task.verify"), user="U1", where="dm")
    assert "任务 #1 已销号" in slack.fake.wait_for("response_url")[0].body["text"]
    assert slack.task(1).status == "done"


def test_send_back_from_the_direct_message_needs_a_reason_then_reopens_the_task(slack: Harness) -> None:
    from models.tables import AuditEvent

    slack.world()
    slack.command("done 1 目录已发布", user="U2")
    slack.click("task.reopen", _pressed(_dm(slack, "U1"), "task.reopen"), user="U1", where="dm")
    view = slack.opened_view()
    assert view["callback_id"] == "task_reopen" and view["title"]["text"] == "退回任务"
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == ["reason"]
    assert slack.submit(view, {}, user="U1").json() == {"response_action": "errors", "errors": {"reason": "请填写这一项。"}}
    assert slack.task(1).status == "done_requested"
    assert slack.count(AuditEvent, AuditEvent.action == "task.reopened") == 0
    assert slack.submit(view, {"reason": "缺少省大数据局的确认函"}, user="U1").text == ""
    assert "已退回任务 #1" in slack.fake.wait_for("response_url")[0].body["text"]
    assert slack.task(1).status == "active"
    back = _dm(slack, "U2")  # the owner hears why, as after /task reopen 1 <reason>
    assert "退回了任务 #1「编制数据目录」：缺少省大数据局的确认函" in back["text"]


def test_the_assignment_reaches_the_owner_with_got_it_and_update_progress(slack: Harness) -> None:
    slack.world()
    dm = _dm(slack, "U2")
    assert _buttons(dm) == ["task.ack", "task.progress"]
    assert "收到：/task ack 1 · 更新进展：/task progress 1 &lt;n&gt;%" in json.dumps(dm["blocks"], ensure_ascii=False)
    slack.click("task.ack", _pressed(dm, "task.ack"), user="U2", where="dm")
    assert "已确认接收任务 #1" in slack.fake.wait_for("response_url")[0].body["text"]
    slack.fake.reset()
    slack.click("task.progress", _pressed(dm, "task.progress"), user="U2", where="dm")
    assert slack.opened_view()["callback_id"] == "task_progress"


def test_a_deadline_on_a_day_off_offers_a_button_that_moves_it_to_the_working_day_before(slack: Harness) -> None:
    slack.world()
    reply = slack.command("add 年度总结 due:2027-01-31", user="U2").json()  # a Sunday
    assert "不是工作日" in reply["text"] and "task.edit_due" in _buttons(reply)
    [button] = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == "task.edit_due"]
    assert button["value"] == "2:2027-01-29:0"
    slack.click("task.edit_due", button["value"], user="U2")
    answer = slack.fake.wait_for("response_url")[0].body
    assert "已修改任务 #2" in answer["text"]
    assert slack.task(2).due.isoformat() == "2027-01-29" and slack.task(2).baseline_due.isoformat() == "2027-01-29"


def test_a_title_cannot_ping_the_channel_through_the_announcement(slack: Harness) -> None:
    slack.world()
    assert slack.command("add <!channel> 请全员立即处理 <https://evil.example/login|点此重新登录> due:12-30").status_code == 200
    slack.deliver()
    posts = [c.body for c in slack.fake.calls_to("chat.postMessage")]
    assert posts and all("<!channel>" not in json.dumps(p, ensure_ascii=False) for p in posts)
    assert all("<https://evil.example/login|" not in json.dumps(p, ensure_ascii=False) for p in posts)
