"""Block Kit builders and form parsing: pure functions, checked against Slack's limits."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot import commands as C
from bot import render
from bot.dispatch import Reply
from bot.slack import blocks, forms
from bot.slack.origin import FormState, Origin
from models import i18n
from models.calendar import WorkCalendar
from models.home import ForceLights, Home
from models.i18n import Msg
from models.lights import Light
from models.tasks import ExtensionView, NodeView, TaskView

TODAY = date(2026, 11, 23)


def card(task_id: int = 12, **kw) -> TaskView:
    base = dict(id=task_id, title="编制数据目录", status="active", progress=40, priority="normal", owner_name="张伟",
                owner_chat_id="U2", dept_name="省大数据局", force_id=1, force_name="数据共享专班",
                start_date=date(2026, 11, 1), due=date(2026, 12, 31), baseline_due=date(2026, 12, 31),
                light=Light("green", (Msg("light.why.on_track"),)), blocked_reason=None, pending_extension=None,
                nodes=(), parent_id=None, viewer_is_lead=False, viewer_is_owner=True)
    return TaskView(**{**base, **kw})


def actions(built: list[dict]) -> list[str]:
    return [e["action_id"] for b in built if b["type"] == "actions" for e in b["elements"]]


def test_an_owner_works_the_task_and_anyone_acknowledges() -> None:
    assert actions(blocks.task_card(card(), "zh")) == ["task.progress", "task.extend", "task.done", "task.block", "task.ack"]
    assert actions(blocks.task_card(card(viewer_is_owner=False), "zh")) == ["task.ack"]


def test_a_lead_decides_a_pending_extension_and_a_done_report() -> None:
    ext = ExtensionView(3, date(2027, 1, 15), date(2026, 12, 31), "接口未开放", "张伟")
    lead = card(viewer_is_owner=False, viewer_is_lead=True, pending_extension=ext)
    assert actions(blocks.task_card(lead, "zh"))[-2:] == ["task.approve", "task.reject"]
    assert "task.extend" not in actions(blocks.task_card(lead, "zh"))  # one request at a time
    waiting = card(viewer_is_lead=True, status="done_requested", progress=100)
    assert actions(blocks.task_card(waiting, "zh")) == ["task.ack", "task.verify"]


def test_a_closed_task_has_no_buttons() -> None:
    for status in ("done", "cancelled"):
        assert actions(blocks.task_card(card(status=status, viewer_is_lead=True), "zh")) == []


def test_the_card_shows_deadline_baseline_department_light_and_progress() -> None:
    moved = card(due=date(2027, 1, 15), light=Light("red", (Msg("light.why.overdue", days=2),)), status="blocked",
                 blocked_reason="等接口", nodes=(NodeView(1, "初稿", date(2026, 12, 1), True, date(2026, 11, 30), "done"),))
    text = json.dumps(blocks.task_card(moved, "zh"), ensure_ascii=False)
    for part in ("🔴 *#12 编制数据目录*", "*责任单位*\\n省大数据局", "原定 2026年12月31日（周四） → 现 2027年1月15日（周五）",
                 "▓▓▓▓░░░░░░ 40%", "受阻（等接口） · 🔴 红灯（已逾期 2 个工作日）", "✓ 1. 初稿 · 2026年12月1日（周二） · 11月30日完成"):
        assert part in text, part
    english = json.dumps(blocks.task_card(moved, "en"), ensure_ascii=False)
    assert "*Department*" in english and "baseline Thu 31 Dec 2026 → now Fri 15 Jan 2027" in english
    assert "overdue by 2 working days" in english and '"Update progress"' in english


def test_user_text_cannot_smuggle_markup_into_a_card() -> None:
    text = blocks.task_card(card(title="<!channel> 紧急 & <https://evil.example|点我>"), "zh")[0]["text"]["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "&amp;" in text


def test_reply_text_keeps_only_the_bots_own_references_live() -> None:
    text = f"绑定频道 {i18n.channel('C123')} 给 {i18n.mention('U1')}：<标题…> & <!here> <@U0ADMIN> <#C0GENERAL>"
    assert blocks.chat_text(text) == ("绑定频道 <#C123> 给 <@U1>：&lt;标题…&gt; &amp; &lt;!here&gt; &lt;@U0ADMIN&gt; "
                                      "&lt;#C0GENERAL&gt;")
    assert i18n.plain_refs(text) == "绑定频道 #C123 给 @U1：<标题…> & <!here> <@U0ADMIN> <#C0GENERAL>"


def test_a_stray_marker_never_makes_a_reference() -> None:
    assert blocks.chat_text("\ue000<@U0ADMIN>\ue001 \ue000@U1 x\ue001") == "&lt;@U0ADMIN&gt; @U1 x"


def test_long_text_is_split_into_sections_slack_accepts() -> None:
    long = "\n".join(f"第 {i} 行：" + "说明" * 40 for i in range(200))
    sections = blocks.text_sections(long)
    assert len(sections) > 1 and all(len(s["text"]["text"]) <= 3000 for s in sections)
    assert "\n".join(s["text"]["text"] for s in sections) == long


def test_a_long_list_stays_within_the_50_blocks_of_a_message() -> None:
    reply = Reply(text="我的任务  🟢60\n…", lang="zh", cards=[card(i) for i in range(1, 61)])
    message = blocks.reply_message(reply)
    assert len(message["blocks"]) <= 50
    assert message["blocks"][-1]["elements"][0]["text"] == "……还有 20 项"


def test_a_single_card_reply_shows_its_words_then_the_card_not_the_card_twice() -> None:
    v = card()
    reply = Reply(text="已更新任务 #12 进度为 40%。\n" + render.task_card(v, "zh"), lang="zh", cards=[v])
    built = blocks.reply_message(reply)["blocks"]
    assert built[0]["text"]["text"] == "已更新任务 #12 进度为 40%。"
    assert built[1]["text"]["text"] == "🟢 *#12 编制数据目录*"


def _home(n_tasks: int, n_approvals: int, n_forces: int) -> Home:
    colors = ["red", "yellow", "green", "grey"]
    mine = tuple(card(i, light=Light(colors[i % 4])) for i in range(1, min(n_tasks, 30) + 1))
    ext = ExtensionView(1, date(2027, 1, 15), date(2026, 12, 31), "理由", "张伟")
    approvals = tuple(card(100 + i, viewer_is_lead=True, pending_extension=ext) for i in range(min(n_approvals, 10)))
    forces = tuple(ForceLights(i, f"专班{i}", i == 0, {"red": 1, "yellow": 2, "green": 3, "grey": 0})
                   for i in range(min(n_forces, 10)))
    counts = {c: sum(1 for v in mine if v.light.color == c) for c in colors}
    return Home(mine, counts, n_tasks, approvals, n_approvals, forces, n_forces)


def test_a_full_home_stays_within_the_100_blocks_of_a_view_and_says_what_is_left_out() -> None:
    notice = blocks.reply_blocks(Reply(text="已销号", lang="zh", cards=[card()]), blocks.NOTICE_BLOCKS)
    view = blocks.home_view(_home(500, 40, 30), "zh", updated="2026-11-23 10:00", notice=notice)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = json.dumps(view, ensure_ascii=False)
    assert "还有 470 个任务" in text and "……还有 30 项" in text and "另有 20 个专班 · /force list" in text
    contexts = [b["elements"][0]["text"] for b in view["blocks"] if b["type"] == "context"]
    groups = [c for c in contexts if c.startswith("*")]
    assert [g.split(" ")[0] for g in groups] == ["*🔴", "*🟡", "*🟢", "*⚪"]  # red first


def test_an_empty_home_says_so() -> None:
    text = json.dumps(blocks.home_view(_home(0, 0, 0), "en", updated="now"), ensure_ascii=False)
    assert "No live tasks" in text and "Nothing waits for your decision" in text and "no task force" in text


def test_every_form_fits_slacks_modal_limits() -> None:
    meta = FormState(Origin("T1", "U1", "C1", "http://x/r"), "zh", 12).dump()
    for form in forms.PARSERS:
        modal = blocks.form_modal(C.OpenForm(form=form, task_id=None if form == "task_add" else 12), "en",
                                  metadata=meta, task=None if form == "task_add" else card(), owner_id="U1")
        assert modal["callback_id"] == form and len(modal["title"]["text"]) <= 24
        assert len(modal["private_metadata"]) <= 3000 and len(modal["blocks"]) <= 100
    assert FormState.load(meta) == FormState(Origin("T1", "U1", "C1", "http://x/r"), "zh", 12)


def _view(**typed: str) -> dict:
    values = {}
    for name, value in typed.items():
        kind = {"owner": "users_select", "prio": "static_select", "task": "static_select"}.get(name, "plain_text_input")
        action = {"type": kind}
        if kind == "users_select":
            action["selected_user"] = value
        elif kind == "static_select":
            action["selected_option"] = {"value": value}
        else:
            action["value"] = value
        values[name] = {name: action}
    return {"state": {"values": values}}


def parse(form: str, task_id: int | None = None, lang: str = "zh", **typed: str):
    return forms.request(form, _view(**typed), task_id=task_id, lang=lang, today=TODAY, calendar=WorkCalendar())


def test_the_add_form_reads_dates_like_the_command_does() -> None:
    r = parse("task_add", title=" 汇总清单 ", owner="U2", due="下周五", prio="high", force="数据共享专班")
    assert r == C.TaskAdd(title="汇总清单", owner=C.UserRef(user_id="U2"), due=date(2026, 12, 4), force="数据共享专班",
                          priority="high")


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(forms.FormErrors) as raised:
        parse("task_add", due="2026-11-20")
    assert set(raised.value.errors) == {"title", "due"}
    assert "已经过去了" in raised.value.errors["due"]


@pytest.mark.parametrize("typed,ok", [("60", 60), ("60%", 60), ("６０％", 60), ("0", 0), ("100", 100),
                                      ("101", None), ("-5", None), ("一半", None), ("6.5", None)])
def test_percent_accepts_what_the_command_accepts(typed: str, ok: int | None) -> None:
    if ok is None:
        with pytest.raises(forms.FormErrors) as raised:
            parse("task_progress", task_id=12, percent=typed)
        assert f"进度「{typed}」无效" in raised.value.errors["percent"]
    else:
        assert parse("task_progress", task_id=12, percent=typed).percent == ok


def test_extension_and_reasons() -> None:
    assert parse("task_extend", 12, new_due="2027-01-15", reason="等接口") == \
        C.TaskExtend(task_id=12, new_due=date(2027, 1, 15), reason="等接口")
    with pytest.raises(forms.FormErrors) as raised:
        parse("task_block", 12, lang="en")
    assert raised.value.errors == {"reason": "Please fill this in."}


def test_the_send_back_form_is_the_typed_reopen_command() -> None:
    typed = C.parse("/task", "reopen 12 缺少确认函", today=TODAY, calendar=WorkCalendar())
    assert parse("task_reopen", 12, reason=" 缺少确认函 ") == typed == C.TaskReopen(task_id=12, reason="缺少确认函")
    with pytest.raises(forms.FormErrors) as raised:
        parse("task_reopen", 12, reason="   ")
    assert raised.value.errors == {"reason": "请填写这一项。"}


def test_a_decision_in_a_message_becomes_buttons_in_the_readers_language() -> None:
    from models.outbox import ACTIONS_BY_KIND
    from models.outbox import actions as neutral

    for kind, labels in (("approval", ["Approve", "Reject"]), ("done_report", ["Verify done", "Send back"]),
                         ("assigned", ["Got it", "Update progress"])):
        built = blocks.outbox_blocks("text", neutral("en", *((verb, 12) for verb in ACTIONS_BY_KIND[kind])))
        buttons = built[-1]["elements"]
        assert [b["action_id"] for b in buttons] == list(ACTIONS_BY_KIND[kind])
        assert [b["text"]["text"] for b in buttons] == labels and {b["value"] for b in buttons} == {"12"}
