"""The dispatcher: every surface's entry. Refusals answer in the caller's language and write nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from bot.dispatch import Caller, Service
from tests.conftest import TZ, at

NOW = at("2026-11-23 10:00")  # Monday


def snapshot(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(text(f'SELECT COUNT(*) FROM "{t.name}"')).scalar_one()
                for t in SQLModel.metadata.sorted_tables}


@pytest.fixture
def svc(engine):
    return Service(engine, tz=TZ, default_lang="zh")


def say(svc: Service, user: str, line: str, *, channel: str = "C1", now=NOW, team: str = "T1"):
    command, _, rest = line.partition(" ")
    return svc.handle(Caller(team, user, channel, name=user), command, rest, now=now)


@pytest.fixture
def org(svc):
    """admin 'root'; lead 'lin' with a force bound to C1; member 'zhang'."""
    for user in ("root", "lin", "zhang", "wang"):
        assert say(svc, user, "/guatu whoami").ok
    assert say(svc, "root", "/guatu role @lin lead").ok
    assert say(svc, "lin", "/force new 数据共享专班").ok
    assert say(svc, "lin", "/force add @zhang").ok
    return svc


BAD = [
    ("zhang", "/task add"),  # opens a form: no write either
    ("zhang", "/task add 没有截止日期的任务"),
    ("zhang", "/task add 过去的任务 due:2026-11-01"),
    ("zhang", "/task add 日期乱写 due:下下下月"),
    ("zhang", "/task progress 1 101%"),
    ("zhang", "/task progress 99 10%"),
    ("zhang", "/task progress abc 10%"),
    ("zhang", "/task extend 1"),
    ("zhang", "/task block 1"),
    ("zhang", "/task frobnicate"),
    ("zhang", "/task add 给别人 @wang due:12-31"),  # member assigning to someone else
    ("zhang", "/force new 我的专班"),  # needs the lead role
    ("zhang", "/guatu role @zhang admin"),  # needs admin
    ("zhang", "/guatu dept add 某局"),
    ("zhang", "/guatu calendar set 2027-02-06 work 调休"),
    ("lin", "/force add @nobody"),  # unknown console user
    ("lin", "/task assign 1 @nobody"),
    ("lin", "/guatu dept set @zhang 不存在的部门"),
    ("zhang", "/task approve 1"),
    ("zhang", "/meeting agenda"),
]


@pytest.mark.parametrize("user,line", BAD)
def test_bad_input_answers_with_the_fix_and_writes_nothing(org, engine, user, line):
    assert say(org, "lin", "/task add 编制数据目录 @zhang due:12-31").ok
    before = snapshot(engine)
    reply = say(org, user, line)
    assert not reply.ok or reply.form is not None, reply.text
    assert reply.text.strip()
    assert snapshot(engine) == before


def test_refusal_names_the_role_needed(org):
    reply = say(org, "zhang", "/guatu dept add 某局")
    assert not reply.ok and "管理员" in reply.text


def test_english_speaker_gets_english(org):
    assert say(org, "zhang", "/guatu lang en").ok
    reply = say(org, "zhang", "/task progress 5 10%")
    assert not reply.ok and "No task #5" in reply.text
    reply = say(org, "zhang", "/task add Draft the catalogue due:tomorrow")
    assert reply.ok and "Tue 24 Nov 2026" in reply.text  # the parsed date is echoed back


def test_every_reply_that_took_a_date_echoes_it(org):
    reply = say(org, "zhang", "/task add 编制目录 截止:下周五")
    assert reply.ok and "2026年12月4日（周五）" in reply.text
    reply = say(org, "zhang", "/task extend 1 年底 等待接口")
    assert reply.ok and "2026年12月31日（周四）" in reply.text
    reply = say(org, "zhang", "/task extend 1 月底 再等等")
    assert not reply.ok and "2026年11月30日（周一）" in reply.text  # refused, and still echoed


def test_unexpected_error_gives_an_apology_with_a_reference(org, monkeypatch):
    from models import lists

    def boom(*a, **k):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(lists, "task_page", boom)
    reply = say(org, "zhang", "/task list")
    assert not reply.ok and "参考编号" in reply.text and "fire" not in reply.text
    assert reply.error_key == "error.internal"


def test_workspaces_are_scoped_by_team(org):
    assert say(org, "lin", "/task add 编制数据目录 @zhang due:12-31").ok
    other = say(org, "zhang", "/task show 1", team="T2")
    assert not other.ok
    assert "admin" in say(org, "zhang", "/guatu whoami", team="T2").text or "管理员" in say(org, "zhang", "/guatu whoami", team="T2").text


def test_chinese_subcommands_work_like_english(org):
    assert say(org, "zhang", "/task 新建 编制目录 截止:12月31日").ok
    assert say(org, "zhang", "/task 进展 1 50% 过半").ok
    reply = say(org, "zhang", "/task 查看 #1")
    assert reply.ok and "50%" in reply.text


def test_every_request_the_parser_can_make_has_a_handler():
    import typing

    from bot import commands as C
    from bot.bootstrap import handlers

    union = typing.get_args(C.Request)[0]
    kinds = {cls.model_fields["kind"].default for cls in typing.get_args(union)}
    assert kinds - set(handlers()) == set()


def test_notice_with_receipts_through_commands(org):
    assert say(org, "lin", "/force notice 周五前报送数据目录").ok
    status = say(org, "lin", "/force 通知 回执 1")
    assert status.ok and "已确认 0/1" in status.text and "zhang" in status.text
    assert say(org, "zhang", "/force notice ack 1").ok
    assert "已确认 1/1" in say(org, "lin", "/force notice status 1").text
    refused = say(org, "zhang", "/force notice status 1")
    assert not refused.ok and "负责人" in refused.text


def test_outbox_is_for_admins(org):
    assert not say(org, "zhang", "/guatu outbox").ok
    shown = say(org, "root", "/guatu outbox failed")
    assert shown.ok and "发送队列" in shown.text


def test_first_contacts_at_once_make_one_workspace_and_exactly_one_admin(engine):
    from concurrent.futures import ThreadPoolExecutor

    from sqlmodel import Session, func, select

    from models.tables import Person, RoleGrant, Workspace

    svc = Service(engine, tz=TZ)
    users = [f"U{i}" for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda u: say(svc, u, "/guatu whoami", team="T-NEW"), users))
    assert all(r.ok for r in replies), [r.text for r in replies if not r.ok]
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Workspace).where(Workspace.team_id == "T-NEW")).one() == 1
        assert s.exec(select(func.count()).select_from(Person)).one() == 8
        assert s.exec(select(func.count()).select_from(RoleGrant).where(RoleGrant.role == "admin")).one() == 1


def test_the_chase_policy_is_shown_and_set_through_force_policy(org):
    shown = say(org, "zhang", "/force policy")
    assert shown.ok and "收到（/task ack）后暂停 3 个工作日" in shown.text and "仅更新进度不重置" in shown.text
    assert "紧急任务从督办单（分管领导）起" in shown.text
    changed = say(org, "lin", "/force policy ack_pause:5 紧急起点:1")
    assert changed.ok and "暂停 5 个工作日" in changed.text and "紧急任务从提示单（专班负责人）起" in changed.text
    refused = say(org, "lin", "/force policy urgent_entry:4")
    assert not refused.ok and "0 到 3" in refused.text


def test_ack_with_nothing_to_acknowledge_says_so_and_writes_nothing(org, engine):
    assert say(org, "lin", "/task add 接口联调 @zhang due:12-31").ok
    assert say(org, "zhang", "/task ack 1").ok  # zhang confirms receiving the task
    before = snapshot(engine)
    again = say(org, "zhang", "/task ack 1")
    assert not again.ok and "没有进行中的督办" in again.text
    other = say(org, "wang", "/task ack 1")
    assert not other.ok
    assert snapshot(engine) == before


def test_a_deadline_on_a_day_off_is_accepted_with_the_working_day_before_it_and_a_fix(org):
    late = at("2026-12-21 10:00")  # Monday
    added = say(org, "zhang", "/task add 年度总结 due:下月底", now=late)
    assert added.ok and "截止 2027年1月31日（周日）" in added.text
    assert "⚠️ 2027年1月31日（周日）不是工作日，前一个工作日是 2027年1月29日（周五）" in added.text
    assert "/task edit 1 due:2027-01-29" in added.text
    assert added.actions == [{"action": "task.edit_due", "value": "1:2027-01-29:0", "label": "改为 2027年1月29日（周五）"}]
    fixed = say(org, "zhang", "/task edit 1 due:2027-01-29", now=late)
    assert fixed.ok and "截止：2027年1月29日（周五）" in fixed.text and "⚠️" not in fixed.text
    # 元旦 is a holiday: the working day before it is the last day of 2026.
    holiday = say(org, "zhang", "/task add 元旦前上线 due:2027-01-01", now=late)
    assert "前一个工作日是 2026年12月31日（周四）" in holiday.text
    node = say(org, "zhang", "/task node 1 2027-01-24 初稿", now=late)  # a Sunday
    assert node.ok and "/task edit 1 node:1 due:2027-01-22" in node.text
    assert say(org, "zhang", "/task edit 1 node:1 due:2027-01-22", now=late).ok


def test_english_dates_that_help(org):
    late = at("2026-12-21 10:00")
    for line, shown in (("due:in 5 working days", "Mon 28 Dec 2026"), ("due:next month", "Thu 21 Jan 2027"),
                        ("due:end of month", "Thu 31 Dec 2026"), ("due:end of quarter", "Thu 31 Dec 2026")):
        assert say(org, "lin", "/guatu lang en", now=late).ok
        reply = say(org, "lin", "/task add Report @wang " + line, now=late)
        assert reply.ok and shown in reply.text, (line, reply.text)


def test_corrections_are_for_the_lead_and_the_creator_and_never_an_extension_in_disguise(org, engine):
    assert say(org, "zhang", "/task add 自己的任务 due:12-31").ok
    assert say(org, "zhang", "/task edit 1 title:自己的任务（修订） prio:紧急").ok
    before = snapshot(engine)
    later = say(org, "zhang", "/task edit 1 due:2027-01-29")
    assert not later.ok and "/task extend 1" in later.text
    assert not say(org, "wang", "/task edit 1 title:别人的").ok
    assert not say(org, "zhang", "/task edit 1").ok
    assert snapshot(engine) == before
    assert not say(org, "lin", "/task edit 1 due:2027-01-29").ok  # not even the lead: an extension
    assert say(org, "lin", "/task edit 1 due:12-30 内容:补充说明").ok
    shown = say(org, "zhang", "/task show 1").text
    assert "自己的任务（修订）" in shown and "2026年12月30日（周三）" in shown


@pytest.mark.parametrize("line", [
    "/task add 远期任务 due:9999-12-30",
    "/task add 远期任务 due:2032-01-01",
    "/meeting new 例会 9999-12-31",
])
def test_a_date_beyond_five_years_is_refused_with_the_latest_allowed_and_writes_nothing(org, engine, line):
    assert say(org, "root", "/guatu role @lin secretary").ok
    before = snapshot(engine)
    reply = say(org, "lin", line)
    assert not reply.ok and "最晚可以定到 2031年11月23日" in reply.text
    assert snapshot(engine) == before


def test_nul_bytes_and_huge_ids_are_usage_errors(org, engine):
    before = snapshot(engine)
    for line in ("/task show 99999999999999", "/task progress 2147483648 10%", "/task add 坏\x00标题 due:12-31",
                 "/force notice \x00"):
        reply = say(org, "zhang", line)
        assert not reply.ok and "抱歉" not in reply.text, (line, reply.text)
    assert snapshot(engine) == before
