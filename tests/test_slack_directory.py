"""The Slack directory: sync-directory pages users.list and maps people by e-mail then id; a person first
named in a mention is looked up; user_change refreshes a known person; a 429 waits, then goes on."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timezone

from sqlmodel import Session, select

from bot.orgexchange import import_org_file
from bot.slack.clients import web_client
from bot.slack.directory import sync_directory
from models.tables import AuditEvent, Person
from tests.slack_fake import Harness, default_user, fake, harness, slack
from tests.test_orgfile import DEPTS, PEOPLE, book


def user(uid: str, name: str, email: str | None, locale: str = "zh-CN", tz: str = "Asia/Shanghai") -> dict:
    u = default_user(uid, locale=locale, name=name)
    u["tz"] = tz
    if email:
        u["profile"]["email"] = email
    return u


def person(engine, **where) -> Person:
    with Session(engine) as s:
        q = select(Person)
        for k, v in where.items():
            q = q.where(getattr(Person, k) == v)
        return s.exec(q).one()


def test_sync_maps_imported_people_by_email_across_pages_and_refreshes_them(slack: Harness, tmp_path) -> None:
    assert import_org_file(slack.engine, book(tmp_path / "org.xlsx", DEPTS, PEOPLE), lang="zh", skip_bad=False,
                           team="T1", out=io.StringIO(), err=io.StringIO()) == 0
    fake = slack.fake
    fake.users.update({
        "U100": user("U100", "Chen Jun", "chen@zj.gov.cn", locale="en-US", tz="Europe/London"),
        "U101": user("U101", "王华", "WANG@zj.gov.cn"),
        "U102": user("U102", "林芳", "lin@zj.gov.cn"),
        "UBOT2": {**user("UBOT2", "bot", None), "is_bot": True},
    })
    for i in range(450):  # three pages of 200 and more
        fake.users[f"UX{i}"] = user(f"UX{i}", f"路人{i}", f"x{i}@example.com")
    client = web_client(slack.settings, "directory")
    fake.fail("users.list", status=429, retry_after=1)  # Tier 2: the client waits Retry-After and goes on
    result = sync_directory(client, slack.engine, team_id="T1", now=datetime.now(UTC))
    assert result.users == 453 and result.mapped == 3
    assert len(fake.calls_to("users.list")) == 4  # one 429, then three pages by cursor
    chen = person(slack.engine, chat_user_id="U100")
    assert (chen.name, chen.lang, chen.tz, chen.email) == ("Chen Jun", "en", "Europe/London", "chen@zj.gov.cn")
    assert person(slack.engine, chat_user_id="U101").lang == "zh"
    assert any("张伟" in u for u in result.unmatched)  # no Slack account yet, and said so
    again = sync_directory(client, slack.engine, team_id="T1", now=datetime.now(UTC))
    assert again.mapped == 0 and again.refreshed == 0


def test_a_person_first_named_in_a_mention_is_looked_up_like_one_who_types(slack: Harness) -> None:
    slack.world()
    slack.fake.users["W777"] = user("W777", "Bob Smith", "bob@example.com", locale="en-GB", tz="Europe/London")
    slack.command("add 写方案 <@W777|bob> due:2026-12-31", user="U1")
    slack.settle()
    bob = person(slack.engine, chat_user_id="W777")
    assert (bob.name, bob.lang, bob.tz) == ("Bob Smith", "en", "Europe/London")
    assert any(c.body.get("user") == "W777" for c in slack.fake.calls_to("users.info"))


def test_user_change_refreshes_a_known_person_once(slack: Harness) -> None:
    slack.world()
    changed = user("U2", "张伟（已改名）", None, locale="en-US")
    assert slack.event({"type": "user_change", "user": changed, "event_ts": "1700000000.1"}, event_id="EvU").status_code == 200
    slack.settle()
    zhang = person(slack.engine, chat_user_id="U2")
    assert (zhang.name, zhang.lang) == ("张伟（已改名）", "en")
    slack.event({"type": "user_change", "user": changed}, event_id="EvU", retry=1)
    slack.settle()
    with Session(slack.engine) as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.action == "person.profile")).all()
        assert [r.detail["via"] for r in rows].count("user_change") == 1  # the retry changed nothing
    # Someone Guatu does not know is not created by a profile change.
    slack.event({"type": "user_change", "user": user("U999", "陌生人", None)}, event_id="EvU2")
    slack.settle()
    with Session(slack.engine) as s:
        assert s.exec(select(Person).where(Person.chat_user_id == "U999")).first() is None


def test_a_language_a_person_chose_is_kept(slack: Harness) -> None:
    slack.world()
    slack.command("lang 中文", command="/guatu", user="U2")
    slack.settle()
    slack.event({"type": "user_change", "user": user("U2", "张伟", None, locale="en-US")}, event_id="EvL")
    slack.settle()
    assert person(slack.engine, chat_user_id="U2").lang == "zh"
