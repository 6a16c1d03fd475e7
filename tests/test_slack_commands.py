"""Slash commands end to end: signed HTTP in, the real app, answers to the fake Slack."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

from bot.dispatch import Reply
from models.tables import Person, Task, Workspace
from tests.slack_fake import Harness, default_user, fake, harness, slack


def test_help_is_answered_in_the_acknowledgement_ephemerally(slack: Harness) -> None:
    r = slack.command("help", command="/guatu")
    assert r.status_code == 200
    body = r.json()
    assert body["response_type"] == "ephemeral"
    assert "/task" in body["text"] and "/meeting" in body["text"]
    # The help is longer than one section may be: split, and "<标题…>" shown literally, not as markup.
    assert all(len(b["text"]["text"]) <= 3000 for b in body["blocks"])
    assert "&lt;标题…&gt;" in "".join(b["text"]["text"] for b in body["blocks"])


def test_first_contact_asks_slack_who_the_user_is_and_keeps_their_name(slack: Harness) -> None:
    slack.fake.users["U7"] = default_user("U7", name="王芳")
    r = slack.command("whoami", command="/guatu", user="U7")
    assert "王芳" in r.json()["text"]
    (call,) = slack.fake.calls_to("users.info")
    assert call.body["user"] == "U7" and call.body["include_locale"] in ("1", "true", True)
    slack.command("whoami", command="/guatu", user="U7")
    assert len(slack.fake.calls_to("users.info")) == 1  # known by name now: no second lookup


def test_an_english_slack_locale_gets_english_answers(slack: Harness) -> None:
    slack.fake.users["UEN"] = default_user("UEN", locale="en-US", name="Alice")
    assert "Guatu commands" in slack.command("help", command="/guatu", user="UEN").json()["text"]


def test_task_add_answers_with_the_task_card_and_its_buttons(slack: Harness) -> None:
    slack.command("new 数据共享专班", command="/force")
    body = slack.command("add 编制数据目录 due:12-31 prio:紧急").json()
    assert body["text"].startswith("已新建任务 #1")
    card = body["blocks"][1]
    assert card["text"]["text"] == "⚪ *#1 编制数据目录* ❗"
    fields = " ".join(f["text"] for f in card["fields"])
    assert "*责任人*\n用户U1" in fields and "2026年12月31日" in fields and "0%" in fields
    buttons = [e["action_id"] for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    # U1 was the workspace's first person (admin), so a lead: but nothing awaits a decision yet.
    assert buttons == ["task.progress", "task.extend", "task.done", "task.block", "task.ack"]
    assert all(e["value"] == "1" for b in body["blocks"] if b["type"] == "actions" for e in b["elements"])


def test_a_change_refreshes_the_home_of_everyone_it_touched(slack: Harness) -> None:
    slack.world()
    slack.command("progress 1 40% 初稿完成", user="U2")
    home = slack.published_home("U2")
    assert "#1 编制数据目录" in str(home) and "40%" in str(home)


def test_every_command_family_reaches_the_service(slack: Harness) -> None:
    slack.world()
    assert "数据共享专班" in slack.command("list", command="/force").json()["text"]
    assert slack.command("list", command="/meeting").status_code == 200
    assert "我的任务" in slack.command("list", user="U2").json()["text"]
    assert "用户U1" in slack.command("whoami", command="/guatu").json()["text"]


def test_a_malformed_command_says_what_was_wrong_and_writes_nothing(slack: Harness) -> None:
    slack.world()
    text = slack.command("progress 1 一半", user="U2").json()["text"]
    assert "进度「一半」无效" in text and "/task 进展 &lt;编号&gt; &lt;n&gt;%" in text
    assert slack.task(1).progress == 0


def test_a_list_shows_one_row_per_task_with_a_menu(slack: Harness) -> None:
    slack.world()
    slack.command("add 第二项 <@U2|zhang> due:12-20")
    blocks = slack.command("list", user="U2").json()["blocks"]
    rows = [b for b in blocks if b.get("accessory", {}).get("type") == "overflow"]
    assert [r["text"]["text"].split(" ")[1] for r in rows] == ["#2", "#1"]  # the earlier deadline first
    options = [o["value"] for o in rows[0]["accessory"]["options"]]
    assert options == ["progress:2", "extend:2", "done:2", "ack:2", "show:2"]


def test_workspaces_never_see_each_other(slack: Harness) -> None:
    slack.world()
    other = slack.command("show 1", team="T2", user="U9").json()["text"]
    assert "找不到任务 #1" in other
    slack.home_opened("U9", team="T2", event_id="EvT2")
    assert "编制数据目录" not in str(slack.published_home("U9"))
    assert slack.count(Workspace) == 2
    assert slack.count(Person, Person.chat_user_id == "U9") == 1


def test_a_slow_answer_is_acknowledged_in_time_and_delivered_through_the_response_url(slack: Harness, monkeypatch) -> None:
    real = slack.service.handle

    def slow(*args, **kw):
        time.sleep(0.6)
        return real(*args, **kw)

    monkeypatch.setattr(slack.surface, "ack_budget", 0.2)
    monkeypatch.setattr(slack.service, "handle", slow)
    started = time.monotonic()
    r = slack.command("help", command="/guatu")
    assert time.monotonic() - started < 0.5
    assert r.json()["text"].startswith("⏳")
    (late,) = slack.fake.wait_for("response_url")
    assert "/task" in late.body["text"] and late.body["response_type"] == "ephemeral"


def test_a_slow_users_info_does_not_delay_the_acknowledgement(slack: Harness) -> None:
    slack.fake.delay("users.info", 2.0)
    started = time.monotonic()
    r = slack.command("help", command="/guatu", user="USLOW")
    assert time.monotonic() - started < 1.5
    assert "/task" in r.json()["text"]


def test_five_slow_requests_do_not_wait_for_each_other(slack: Harness, monkeypatch) -> None:
    delay = 1.0
    slack.command("help", command="/guatu")  # the workspace exists before the burst (see the report on first contact)
    real = slack.service.handle

    def slow(*args, **kw):
        time.sleep(delay)
        return real(*args, **kw)

    monkeypatch.setattr(slack.service, "handle", slow)
    started = time.monotonic()
    with ThreadPoolExecutor(5) as pool:
        replies = list(pool.map(lambda i: slack.command("help", command="/guatu", user=f"U{i}"), range(5)))
    elapsed = time.monotonic() - started
    assert all(r.status_code == 200 and "/task" in r.json()["text"] for r in replies)
    assert elapsed < 3 * delay, f"5 concurrent slow requests took {elapsed:.1f}s"


def test_a_failing_listener_still_answers_the_user_with_a_reference(slack: Harness, monkeypatch, caplog) -> None:
    def broken(*args, **kw):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(slack.service, "handle", broken)
    r = slack.command("list")
    assert r.status_code == 200
    text = r.json()["text"]
    assert text.startswith("抱歉，出了点问题（参考编号 ")
    ref = text.split("参考编号 ")[1][:8]
    assert any(ref in rec.getMessage() and rec.exc_info for rec in caplog.records)


def test_a_file_reply_goes_to_the_users_direct_messages(slack: Harness, monkeypatch) -> None:
    xlsx = b"PK\x03\x04 an Excel file"

    def export(caller, command, text, **kw):
        return Reply(text="已导出 2 个任务：tasks.xlsx", lang="zh", file=xlsx, filename="tasks.xlsx")

    monkeypatch.setattr(slack.service, "handle", export)
    body = slack.command("export", command="/force").json()
    assert "已导出" in body["text"] and "📎 文件 tasks.xlsx" in str(body["blocks"])
    (done,) = slack.fake.wait_for("files.completeUploadExternal")
    assert done.body["channel_id"] == "DU1"
    assert slack.fake.calls_to("conversations.open")[0].body["users"] == "U1"
    assert slack.fake.calls_to("upload")[0].body == {"bytes": len(xlsx)}


def test_task_add_without_arguments_opens_the_form(slack: Harness) -> None:
    slack.command("new 数据共享专班", command="/force")
    r = slack.command("add")
    assert r.status_code == 200 and r.text == ""
    call = slack.fake.wait_for("views.open")[0]
    assert call.body["trigger_id"].endswith(".1.trigger")  # the command's own trigger
    view = call.json("view")
    assert view["callback_id"] == "task_add" and view["title"]["text"] == "新建任务"
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == ["title", "owner", "due", "force", "dept", "prio"]
    owner = next(b for b in view["blocks"] if b.get("block_id") == "owner")
    assert owner["element"]["initial_user"] == "U1"


def test_the_add_form_creates_the_task_and_answers_where_the_command_was_typed(slack: Harness) -> None:
    slack.command("new 数据共享专班", command="/force")
    slack.command("add")
    r = slack.submit(slack.opened_view(), {"title": "汇总需求清单", "owner": "U1", "due": "下周五", "prio": "high"})
    assert r.status_code == 200 and r.text == ""  # the modal closes
    (answer,) = slack.fake.wait_for("response_url")
    assert answer.path.startswith("/response/cmd")
    assert answer.body["text"].startswith("已新建任务 #1，截止 2026年12月4日")
    task = slack.task(1)
    assert (task.title, task.priority, task.due.isoformat()) == ("汇总需求清单", "high", "2026-12-04")


def test_a_bad_date_in_the_form_is_shown_next_to_the_field_and_nothing_is_written(slack: Harness) -> None:
    slack.command("new 数据共享专班", command="/force")
    slack.command("add")
    view = slack.opened_view()
    body = slack.submit(view, {"title": "汇总需求清单", "due": "某一天"}).json()
    assert body["response_action"] == "errors" and set(body["errors"]) == {"due"}
    assert "某一天" in body["errors"]["due"]
    body = slack.submit(view, {"title": "汇总需求清单", "due": "2026-01-05"}).json()
    assert "已经过去了" in body["errors"]["due"]
    assert slack.count(Task) == 0


def test_a_refusal_in_the_form_is_shown_next_to_the_field_it_is_about(slack: Harness) -> None:
    slack.command("new 数据共享专班", command="/force")
    slack.command("add")
    body = slack.submit(slack.opened_view(), {"title": "汇总需求清单", "due": "12-31", "force": "不存在的专班"}).json()
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == ["force"] and body["errors"]["force"].startswith("找不到专班「不存在的专班」")
    assert slack.count(Task) == 0


def test_block_and_extend_without_their_arguments_open_their_forms(slack: Harness) -> None:
    slack.world()
    slack.command("block 1", user="U2")
    slack.command("延期 1", user="U2")
    block, extend = slack.fake.wait_for("views.open", 2)
    assert block.json("view")["callback_id"] == "task_block" and extend.json("view")["callback_id"] == "task_extend"
    assert json.loads(extend.json("view")["private_metadata"])["t"] == 1


def test_progress_without_a_task_offers_my_tasks_and_validates_the_percent(slack: Harness) -> None:
    slack.world()
    slack.command("progress", user="U2")
    view = slack.opened_view()
    (choice,) = [b for b in view["blocks"] if b.get("block_id") == "task"]
    assert [o["value"] for o in choice["element"]["options"]] == ["1"]
    body = slack.submit(view, {"task": "1", "percent": "120"}, user="U2").json()
    assert body["errors"]["percent"].startswith("进度「120」无效")
    assert slack.submit(view, {"task": "1", "percent": "６０％", "note": "过半"}, user="U2").text == ""
    assert slack.task(1).progress == 60
    answer = slack.fake.wait_for("response_url")[0].body
    assert "60%" in str(answer["blocks"])
