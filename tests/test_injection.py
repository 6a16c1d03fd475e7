"""Nothing a person types reaches Slack as a live control sequence: replies, outbox messages (alone
or gathered in a briefing), announcements and App Home, over an injection corpus."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.dispatch import Caller, Service
from bot.slack.blocks import chat_text, home_view, outbox_blocks, reply_message
from jobs.briefings import sweep_briefings
from jobs.sweeps import sweep_escalations, sweep_reminders
from models.context import Ctx
from models.home import home
from models.tables import Outbox, Person, Workspace
from tests.conftest import TZ, at

NOW = at("2026-11-23 10:00")  # Monday

CORPUS = [
    "<!channel> 请全员立即处理",
    "<!here|here> 紧急",
    "<!everyone>",
    "<!subteam^S0123ABC|@leaders> 看这里",
    "<@U0ADMIN> 冒充管理员",
    "<#C0GENERAL|general> 转发",
    "<https://evil.example/login|点此重新登录挂图>",
    "<mailto:a@evil.example|邮件>",
    "&lt;!channel&gt; 已转义的也不能还原",
    "A & B <b>粗体</b> *bold* _it_ ~strike~ `code`",
]
# What Slack would act on: a broadcast, a user group, a labelled (disguised) link, and a user or channel
# reference a person typed (only the bot's own, written with models.i18n.mention / channel, stay live).
LIVE = re.compile(r"<!|<https?://[^>]*\|[^>]*>|<mailto:|<@U0ADMIN|<#C0GENERAL")


def say(svc: Service, user: str, line: str, *, now=NOW):
    command, _, rest = line.partition(" ")
    return svc.handle(Caller("T1", user, "C1", name=user), command, rest, now=now)


def payloads(engine) -> list[str]:
    """Every outbox row as the Slack notifier would post it: text and blocks."""
    with Session(engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.status != "merged").order_by(Outbox.id)).all()
    return [json.dumps({"text": chat_text(r.text), "blocks": outbox_blocks(r.text, r.blocks)}, ensure_ascii=False)
            for r in rows]


@pytest.fixture
def svc(engine):
    svc = Service(engine, tz=TZ, default_lang="zh")
    for user in ("root", "lin", "zhang"):
        assert say(svc, user, "/guatu whoami").ok
    assert say(svc, "root", "/guatu role @lin lead").ok
    assert say(svc, "lin", "/force new 数据共享专班").ok
    assert say(svc, "lin", "/force add @zhang").ok
    return svc


def test_no_typed_control_sequence_survives_on_any_surface(svc, engine):
    shown: list[str] = []
    for i, text in enumerate(CORPUS):
        # A mention in a title names the owner (Slack sends what people @-mention as <@U…>).
        title = text if not text.startswith("<@") else f"标题{i}"
        added = say(svc, "lin", f"/task add {title} @zhang due:11-26")
        assert added.ok, added.text
        shown.append(json.dumps(reply_message(added), ensure_ascii=False))
        for line in (f"/task progress {i + 1} 10% {text}", f"/task block {i + 1} {text}",
                     f"/task extend {i + 1} 12-20 {text}"):
            reply = say(svc, "zhang", line)
            shown.append(json.dumps(reply_message(reply), ensure_ascii=False))
    assert say(svc, "lin", "/force notice " + " ".join(CORPUS)).ok
    # The sweeps' messages about these tasks, alone and gathered into briefings.
    sweep_reminders(engine, now=at("2026-11-23 09:00") + timedelta(days=0))
    sweep_escalations(engine, now=at("2026-11-27 09:00"))
    sweep_briefings(engine, at("2026-11-27 09:00"))
    shown += payloads(engine)
    with Session(engine, expire_on_commit=False) as s:
        ws = s.exec(select(Workspace).where(Workspace.team_id == "T1")).one()
        for name in ("lin", "zhang"):
            person = s.exec(select(Person).where(Person.chat_user_id == name)).one()
            shown.append(json.dumps(home_view(home(Ctx(s, ws, person, NOW, tz=TZ)), "zh", updated="10:00"),
                                    ensure_ascii=False))
    leaks = [(m.group(0), x[:200]) for x in shown for m in [LIVE.search(x)] if m]
    assert leaks == []
    # The words themselves still reach people, escaped: nothing is silently dropped.
    assert any("&lt;!channel&gt; 请全员立即处理" in x for x in shown)


def test_the_bots_own_channel_reference_stays_live_and_a_typed_one_does_not(engine):
    svc = Service(engine, tz=TZ, default_lang="zh")
    assert say(svc, "root", "/guatu whoami").ok
    reply = say(svc, "root", "/force new 数据共享专班")
    assert reply.ok, reply.text
    shown = json.dumps(reply_message(reply), ensure_ascii=False)
    assert "<#C1>" in shown  # /force new binds the channel it is typed in and names it
    assert say(svc, "root", "/task add 对接任务 due:11-26").ok
    reply = say(svc, "root", "/task progress 1 10% 已通知 <@U0ADMIN> 和 <#C0GENERAL> 转发")
    assert reply.ok, reply.text
    shown = json.dumps(reply_message(reply), ensure_ascii=False)
    assert not LIVE.search(shown) and "&lt;#C0GENERAL&gt;" in shown


def test_a_typed_reference_marker_is_refused(engine):
    svc = Service(engine, tz=TZ, default_lang="zh")
    reply = say(svc, "root", "/task add \ue000@U0ADMIN\ue001 due:11-26")
    assert not reply.ok and "控制字符" in reply.text, reply.text
