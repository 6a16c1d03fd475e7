"""People and roles in chat: find and page people, rename, take one role away, let a person who left go,
and the State Council's notice pasted into /guatu calendar import. Every change audited."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from bot.dispatch import Service
from models import org as org_model
from models.tables import AuditEvent, CalendarOverride, Person, Task
from tests.conftest import TZ, at
from tests.test_dispatch import NOW, org, say, snapshot, svc

DATA = Path(__file__).parent / "data"


def roles(engine, user: str) -> set[str]:
    with Session(engine) as s:
        p = s.exec(select(Person).where(Person.chat_user_id == user)).one()
        return org_model.roles_of(s, p)


def audits(engine, action: str) -> int:
    with Session(engine) as s:
        return len(s.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_naming_member_no_longer_strips_a_lead_and_minus_takes_one_role_away(org, engine):
    assert say(org, "root", "/guatu role @lin secretary").ok
    before = snapshot(engine)
    reply = say(org, "root", "/guatu role @lin member")
    assert not reply.ok and "-负责人" in reply.text
    assert snapshot(engine) == before and roles(engine, "lin") == {"member", "lead", "secretary"}
    reply = say(org, "root", "/guatu role @lin -lead")
    assert reply.ok and "其他角色不变" in reply.text
    assert roles(engine, "lin") == {"member", "secretary"} and audits(engine, "role.removed") == 1
    assert "本来就没有" in say(org, "root", "/guatu role @lin -lead").text


def test_the_last_admin_cannot_take_their_own_admin_role_away(org, engine):
    reply = say(org, "root", "/guatu role @root -admin")
    assert not reply.ok and "唯一的管理员" in reply.text and "admin" in roles(engine, "root")


def test_people_are_listed_found_and_paged_saying_how_many_were_left_out(org, engine):
    for i in range(25):
        assert say(org, f"u{i:02d}", "/guatu whoami").ok
    reply = say(org, "zhang", "/guatu people")
    assert reply.ok and "共 29 人（第 1/2 页）" in reply.text
    assert "另有 9 人未显示" in reply.text and "/guatu people page:2" in reply.text
    assert "共 29 人（第 2/2 页）" in say(org, "zhang", "/guatu people page:2").text
    found = say(org, "zhang", "/guatu people lin").text
    assert "共 1 人" in found and "@lin" in found and "负责人" in found
    assert say(org, "root", "/guatu dept add 省大数据局").ok
    assert say(org, "root", "/guatu dept add 杭州市数据局 parent:省大数据局").ok
    assert say(org, "root", "/guatu dept set @wang 杭州市数据局").ok
    in_dept = say(org, "zhang", "/guatu people dept:省大数据局").text  # sub-departments count
    assert "共 1 人" in in_dept and "@wang" in in_dept


def test_an_admin_renames_a_person_and_only_an_admin(org, engine):
    assert not say(org, "zhang", "/guatu people rename @wang 王五").ok
    reply = say(org, "root", "/guatu people rename @wang 王 五")
    assert reply.ok and "王 五" in reply.text
    assert audits(engine, "person.renamed") == 1


def test_leaving_is_refused_while_live_tasks_would_be_orphaned_then_done_without_deleting(org, engine):
    assert say(org, "lin", "/task add 编制目录 @zhang due:12-31").ok
    before = snapshot(engine)
    reply = say(org, "root", "/guatu people leave @zhang")
    assert not reply.ok and "#1 编制目录" in reply.text and "/task assign" in reply.text
    assert snapshot(engine) == before
    assert say(org, "lin", "/task assign 1 @wang").ok
    reply = say(org, "root", "/guatu people leave @zhang")
    assert reply.ok and "离职" in reply.text
    assert "@zhang" not in say(org, "root", "/guatu people").text
    with Session(engine) as s:
        assert s.exec(select(Person).where(Person.chat_user_id == "zhang")).one()  # never deleted
        assert s.get(Task, 1).owner_id != s.exec(select(Person.id).where(Person.chat_user_id == "zhang")).one()
    assert audits(engine, "person.left") == 1


def test_the_only_lead_of_an_open_force_cannot_leave_until_someone_else_leads(org, engine):
    reply = say(org, "root", "/guatu people leave @lin")
    assert not reply.ok and "数据共享专班" in reply.text


def test_a_notice_pasted_in_chat_is_shown_then_written_only_with_confirm(org, engine):
    notice = (DATA / "notice_2026.txt").read_text(encoding="utf-8")
    assert not say(org, "zhang", "/guatu calendar import " + notice).ok  # admins only
    before = snapshot(engine)
    reply = say(org, "root", "/guatu calendar import " + notice)
    assert reply.ok and "2026年2月" in reply.text and "确认" in reply.text
    assert snapshot(engine) == before
    reply = say(org, "root", "/guatu calendar import 确认 " + notice)
    assert reply.ok and "新增 39 天" in reply.text
    with Session(engine) as s:
        assert len(s.exec(select(CalendarOverride)).all()) == 39
    assert "新增 0 天，修改 0 天" in say(org, "root", "/guatu calendar import 确认 " + notice).text


def test_a_weekday_that_disagrees_with_its_date_is_reported_and_nothing_written(org, engine):
    wrong = "国务院办公厅关于2027年部分节假日安排的通知\n一、元旦：1月1日（周四）放假1天，不调休。"
    before = snapshot(engine)
    reply = say(org, "root", "/guatu calendar import 确认 " + wrong)
    assert not reply.ok and "星期与日期不符" in reply.text and "2027年1月1日（周五）" in reply.text
    assert snapshot(engine) == before


def test_from_november_admins_are_reminded_when_next_year_has_no_official_data(engine):
    svc = Service(engine, tz=TZ, default_lang="zh")
    assert say(svc, "root", "/guatu whoami", now=at("2026-11-02 10:00")).ok
    assert say(svc, "zhang", "/guatu whoami", now=at("2026-11-02 10:00")).ok
    shown = say(svc, "root", "/guatu calendar show", now=at("2026-11-02 10:00")).text
    assert "2027 年的节假日安排还没有录入" in shown
    assert "2027" not in say(svc, "zhang", "/guatu calendar show", now=at("2026-11-02 10:00")).text.split("\n")[0]
    assert "还没有录入" not in say(svc, "root", "/guatu calendar show", now=at("2026-10-30 10:00")).text
    assert say(svc, "root", "/guatu calendar set 2027-02-07 work 调休", now=at("2026-11-02 10:00")).ok
    assert "还没有录入" not in say(svc, "root", "/guatu calendar show", now=at("2026-11-02 10:00")).text
