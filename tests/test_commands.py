"""The command language: every subcommand in both languages, every malformed form, any text at all."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from bot.commands import (
    COMMANDS,
    CalendarImport,
    CalendarSet,
    CalendarShow,
    ChannelRef,
    CommandError,
    DeptAdd,
    DeptList,
    DeptSetPerson,
    ForceAddMembers,
    ForceClose,
    ForceDigest,
    ForceExport,
    ForceList,
    ForceMap,
    ForceNew,
    ForceNotice,
    ForcePolicy,
    ForceRemoveMembers,
    ForceScreenLink,
    HelpRequest,
    MeetingAgenda,
    MeetingDecide,
    MeetingList,
    MeetingMinutes,
    MeetingNew,
    MeetingPropose,
    MeetingSeries,
    OpenForm,
    OutboxRetry,
    OutboxShow,
    PeopleLeave,
    PeopleList,
    PeopleRename,
    Rank,
    ReportsTo,
    Request,
    RoleRemove,
    RoleSet,
    RoleShow,
    ScreenLink,
    SetLang,
    TaskAck,
    TaskAdd,
    TaskApprove,
    TaskAssign,
    TaskBlock,
    TaskCancel,
    TaskCoOwners,
    TaskDone,
    TaskEdit,
    TaskExtend,
    TaskHistory,
    TaskList,
    TaskNodeAdd,
    TaskNodeDone,
    TaskProgress,
    TaskReject,
    TaskReopen,
    TaskShow,
    TaskUnblock,
    TaskVerify,
    UserRef,
    WhoAmI,
    help_text,
    parse,
    parse_channel,
    parse_user,
)
from models import i18n
from models.calendar import WorkCalendar
from models.errors import UsageError

TODAY = dt.date(2026, 11, 22)  # a Sunday
CAL = WorkCalendar()
D = dt.date

U1 = UserRef(user_id="U123ABC")
ZHANG = UserRef(user_id="U123", name="zhang")
ALICE = UserRef(name="alice")


def p(command: str, text: str) -> Any:
    return parse(command, text, today=TODAY, calendar=CAL)


# Chinese names, written out here (not read from the table) so a typo there is caught.
ZH = {
    "task": {
        "add": "新建", "list": "列表", "show": "查看", "history": "历史", "progress": "进展", "done": "完成",
        "verify": "销号", "reopen": "退回", "block": "受阻", "unblock": "解除", "extend": "延期",
        "approve": "批准", "reject": "驳回", "assign": "指派", "coowner": "协办", "node": "节点", "ack": "收到", "cancel": "撤销",
        "edit": "修改",
    },
    "force": {
        "new": "新建", "add": "加入", "remove": "移出", "list": "列表", "map": "挂图", "digest": "周报",
        "export": "导出", "close": "结束", "policy": "规则", "notice": "通知", "screen": "大屏",
    },
    "meeting": {
        "new": "新建", "series": "周期", "propose": "申报", "agenda": "议程", "decide": "议定",
        "minutes": "纪要", "list": "列表",
    },
    "guatu": {
        "help": "帮助", "whoami": "我", "rank": "赛马", "lang": "语言", "dept": "部门", "role": "角色",
        "calendar": "日历", "outbox": "发送队列", "people": "人员", "screen": "大屏",
    },
}  # fmt: skip

# (command, text, expected) — the first word is an English subcommand name.
VALID: list[tuple[str, str, Any]] = [
    # /task add
    ("/task", "add", OpenForm(form="task_add")),
    ("/task", "add 起草数据共享方案 <@U123ABC> due:2026-12-31",
     TaskAdd(title="起草数据共享方案", owner=U1, due=D(2026, 12, 31))),
    ("/task", "add Draft the plan due:12-31 force:数据共享 dept:发改委 prio:urgent parent:#7",
     TaskAdd(title="Draft the plan", due=D(2026, 12, 31), force="数据共享", dept="发改委", priority="high",
             parent_id=7)),
    ("/task", "add 写方案 截止：12月31日 专班：数据共享 部门：省大数据局 优先级：紧急 上级：7",
     TaskAdd(title="写方案", due=D(2026, 12, 31), force="数据共享", dept="省大数据局", priority="high", parent_id=7)),
    ("/task", "add 写方案 期限:明天 单位:发改委 prio:高", TaskAdd(title="写方案", due=D(2026, 11, 23), dept="发改委",
                                                          priority="high")),
    ("/task", "add 写方案 due:明天 prio:normal", TaskAdd(title="写方案", due=D(2026, 11, 23))),
    ("/task", "add 写方案 due:明天 优先级:普通", TaskAdd(title="写方案", due=D(2026, 11, 23))),
    ("/task", "add 写方案 @alice DUE:tomorrow", TaskAdd(title="写方案", owner=ALICE, due=D(2026, 11, 23))),
    ("/task", "add 写方案 责任人:<@U123|zhang> due:tomorrow", TaskAdd(title="写方案", owner=ZHANG, due=D(2026, 11, 23))),
    ("/task", "add 写方案 负责人:@alice due:tomorrow", TaskAdd(title="写方案", owner=ALICE, due=D(2026, 11, 23))),
    ("/task", "add 写 方案　初稿 due:next friday", TaskAdd(title="写 方案　初稿", due=D(2026, 11, 27))),
    ("/task", "add 写方案 due: 下周五", TaskAdd(title="写方案", due=D(2026, 11, 27))),
    ("/task", 'add 对接 force:"Data Sharing" due:月底', TaskAdd(title="对接", force="Data Sharing", due=D(2026, 11, 30))),
    ("/task", "add R&amp;D 方案 due:月底", TaskAdd(title="R&D 方案", due=D(2026, 11, 30))),
    ("/task", "add 材料 note:见附件 due:月底", TaskAdd(title="材料 note:见附件", due=D(2026, 11, 30))),
    # /task list
    ("/task", "list", TaskList(scope="mine")),
    ("/task", "list mine", TaskList(scope="mine")),
    ("/task", "list 我的", TaskList(scope="mine")),
    ("/task", "list overdue", TaskList(scope="overdue")),
    ("/task", "list 逾期", TaskList(scope="overdue")),
    ("/task", "list all", TaskList(scope="all")),
    ("/task", "list 全部", TaskList(scope="all")),
    ("/task", "list <@U123ABC>", TaskList(scope="user", user=U1)),
    ("/task", "list @alice", TaskList(scope="user", user=ALICE)),
    ("/task", "list force:数据共享", TaskList(scope="force", force="数据共享")),
    ("/task", "list 专班：数据共享", TaskList(scope="force", force="数据共享")),
    # id-only subcommands
    ("/task", "show 12", TaskShow(task_id=12)),
    ("/task", "show #12", TaskShow(task_id=12)),
    ("/task", "show ＃１２", TaskShow(task_id=12)),
    ("/task", "history #3", TaskHistory(task_id=3)),
    ("/task", "verify 5", TaskVerify(task_id=5)),
    ("/task", "approve #5", TaskApprove(task_id=5)),
    ("/task", "ack 9", TaskAck(task_id=9)),
    # progress
    ("/task", "progress", OpenForm(form="task_progress")),
    ("/task", "progress #12", OpenForm(form="task_progress", task_id=12)),
    ("/task", "progress 12 60%", TaskProgress(task_id=12, percent=60)),
    ("/task", "progress #12 60％ 初稿完成，等待会签", TaskProgress(task_id=12, percent=60, note="初稿完成，等待会签")),
    ("/task", "progress 12 0", TaskProgress(task_id=12, percent=0)),
    ("/task", "progress 12 100 done:yes", TaskProgress(task_id=12, percent=100, note="done:yes")),
    # done / reopen / block / unblock / reject / cancel
    ("/task", "done 12", TaskDone(task_id=12)),
    ("/task", "done #12 已上线", TaskDone(task_id=12, note="已上线")),
    ("/task", "reopen 12 缺少验收报告", TaskReopen(task_id=12, reason="缺少验收报告")),
    ("/task", "block 12", OpenForm(form="task_block", task_id=12)),
    ("/task", "block #12 等待公安厅接口", TaskBlock(task_id=12, reason="等待公安厅接口")),
    ("/task", "unblock 12", TaskUnblock(task_id=12)),
    ("/task", "unblock 12 接口已开通", TaskUnblock(task_id=12, note="接口已开通")),
    ("/task", "reject 12 理由不充分", TaskReject(task_id=12, reason="理由不充分")),
    ("/task", "cancel #12 已并入 #13", TaskCancel(task_id=12, reason="已并入 #13")),
    ("/task", "edit 12 title:公共数据目录（修订） due:2027-01-29 prio:紧急",
     TaskEdit(task_id=12, title="公共数据目录（修订）", due=dt.date(2027, 1, 29), priority="high")),
    ("/task", "修改 12 节点:2 截止:2027-01-22", TaskEdit(task_id=12, due=dt.date(2027, 1, 22), node_no=2)),
    ("/task", "edit 12 dept:省数据局", TaskEdit(task_id=12, dept="省数据局")),
    # extend
    ("/task", "extend 12", OpenForm(form="task_extend", task_id=12)),
    ("/task", "extend 12 12-31 需要等待省里批复", TaskExtend(task_id=12, new_due=D(2026, 12, 31), reason="需要等待省里批复")),
    ("/task", "extend #12 下周五 接口未就绪", TaskExtend(task_id=12, new_due=D(2026, 11, 27), reason="接口未就绪")),
    ("/task", "extend 12 3天后 等数据", TaskExtend(task_id=12, new_due=D(2026, 11, 25), reason="等数据")),
    ("/task", "extend 12 12月31日 等数据", TaskExtend(task_id=12, new_due=D(2026, 12, 31), reason="等数据")),
    ("/task", "extend 12 next friday waiting for data",
     TaskExtend(task_id=12, new_due=D(2026, 11, 27), reason="waiting for data")),
    # assign
    ("/task", "assign 12 <@U123ABC>", TaskAssign(task_id=12, owner=U1)),
    ("/task", "assign #12 <@U123|zhang>", TaskAssign(task_id=12, owner=ZHANG)),
    ("/task", "assign 12 @alice", TaskAssign(task_id=12, owner=ALICE)),
    ("/task", "coowner 12 <@U123ABC> @alice", TaskCoOwners(task_id=12, users=[U1, ALICE])),
    ("/task", "coowner #12 remove @alice", TaskCoOwners(task_id=12, users=[ALICE], remove=True)),
    # node
    ("/task", "node 12 12-15 完成初稿", TaskNodeAdd(task_id=12, due=D(2026, 12, 15), name="完成初稿")),
    ("/task", "node #12 下周五 专家评审 会", TaskNodeAdd(task_id=12, due=D(2026, 11, 27), name="专家评审 会")),
    ("/task", "node 12 done 2", TaskNodeDone(task_id=12, node_no=2)),
    ("/task", "node 12 完成 #2", TaskNodeDone(task_id=12, node_no=2)),
    ("/task", "node 12 DONE 1", TaskNodeDone(task_id=12, node_no=1)),
    # /force
    ("/force", "new 数据共享专班", ForceNew(name="数据共享专班")),
    ("/force", "new Data Sharing lead:<@U123ABC>", ForceNew(name="Data Sharing", lead=U1)),
    ("/force", "new 数据共享专班 负责人：@alice", ForceNew(name="数据共享专班", lead=ALICE)),
    ("/force", "add <@U123ABC> <@U123|zhang> @alice",
     ForceAddMembers(users=[U1, ZHANG, ALICE])),
    ("/force", "add <@U123ABC> dept:发改委 force:数据共享", ForceAddMembers(users=[U1], dept="发改委", force="数据共享")),
    ("/force", "add @alice 部门:省大数据局", ForceAddMembers(users=[ALICE], dept="省大数据局")),
    ("/force", "remove <@U123ABC>", ForceRemoveMembers(users=[U1])),
    ("/force", "remove @alice 专班:数据共享", ForceRemoveMembers(users=[ALICE], force="数据共享")),
    ("/force", "list", ForceList()),
    ("/force", "map", ForceMap()),
    ("/force", "map 数据共享", ForceMap(force="数据共享")),
    ("/force", "digest", ForceDigest()),
    ("/force", "digest force:数据共享", ForceDigest(force="数据共享")),
    ("/force", "export 数据共享", ForceExport(force="数据共享")),
    ("/force", "close Data Sharing", ForceClose(force="Data Sharing")),
    ("/force", "policy", ForcePolicy()),
    ("/force", "policy force:数据共享", ForcePolicy(force="数据共享")),
    ("/force", "policy yellow_days:3 stale_days:5 remind_days:3,1 escalate:0,2,3,5 quiet:20-8",
     ForcePolicy(changes={"yellow_days": 3, "stale_days": 5, "remind_days": [3, 1], "escalate": [0, 2, 3, 5],
                          "quiet_start": 20, "quiet_end": 8})),
    ("/force", "policy 专班：数据共享 临期天数：2 沉默天数：4 提醒：5，2，1 督办：0、1 免打扰：21-7",
     ForcePolicy(force="数据共享", changes={"yellow_days": 2, "stale_days": 4, "remind_days": [5, 2, 1],
                                         "escalate": [0, 1], "quiet_start": 21, "quiet_end": 7})),
    ("/force", "policy Yellow-Days:0 lag_pct:30 remind_hour:9",
     ForcePolicy(changes={"yellow_days": 0, "lag_pct": 30, "remind_hour": 9})),
    ("/force", "notice 周五前报送材料", ForceNotice(text="周五前报送材料")),
    ("/force", "notice force:数据共享 各位：\n明天 9:00 开会\n截止:周五", ForceNotice(
        force="数据共享", text="各位：\n明天 9:00 开会\n截止:周五")),
    # /meeting
    ("/meeting", "new 专题会议 2026-12-31 14:30 chair:<@U123ABC> mins:90",
     MeetingNew(meeting_kind="thematic", date=D(2026, 12, 31), time=dt.time(14, 30), chair=U1, minutes=90)),
    ("/meeting", "new 专题 12-31", MeetingNew(meeting_kind="thematic", date=D(2026, 12, 31))),
    ("/meeting", "new thematic 12-31", MeetingNew(meeting_kind="thematic", date=D(2026, 12, 31))),
    ("/meeting", "new 例会 下周五 9:00", MeetingNew(meeting_kind="monthly", date=D(2026, 11, 27), time=dt.time(9, 0))),
    ("/meeting", "new 工作例会 12月1日 14：00 主持：@alice 时长：60分钟",
     MeetingNew(meeting_kind="monthly", date=D(2026, 12, 1), time=dt.time(14), chair=ALICE, minutes=60)),
    ("/meeting", "new monthly 12-01 time:9:30", MeetingNew(meeting_kind="monthly", date=D(2026, 12, 1),
                                                           time=dt.time(9, 30))),
    ("/meeting", "new 专题会议 第三次 12-31", MeetingNew(meeting_kind="thematic", title="第三次", date=D(2026, 12, 31))),
    ("/meeting", "new 数据共享推进会 明天 下午3点", MeetingNew(meeting_kind="other", title="数据共享推进会",
                                                        date=D(2026, 11, 23), time=dt.time(15))),
    ("/meeting", "new Q3 review next friday", MeetingNew(meeting_kind="other", title="Q3 review", date=D(2026, 11, 27))),
    ("/meeting", "series 专题会议 every:2m from:2027-01-05",
     MeetingSeries(meeting_kind="thematic", every_months=2, start=D(2027, 1, 5))),
    ("/meeting", "series 例会 每：每月 从：下月初", MeetingSeries(meeting_kind="monthly", every_months=1,
                                                          start=D(2026, 12, 1))),
    ("/meeting", "series 专题会议 每:两个月 从:12-01", MeetingSeries(meeting_kind="thematic", every_months=2,
                                                             start=D(2026, 12, 1))),
    ("/meeting", "series monthly every:1m from:12-01", MeetingSeries(meeting_kind="monthly", every_months=1,
                                                                     start=D(2026, 12, 1))),
    ("/meeting", "series 专题会议 from:12-01", MeetingSeries(meeting_kind="thematic", every_months=2,
                                                         start=D(2026, 12, 1))),
    ("/meeting", "propose 3 数据共享进展 presenter:<@U123ABC> mins:15",
     MeetingPropose(meeting_id=3, topic="数据共享进展", presenter=U1, minutes=15)),
    ("/meeting", "propose #3 一网通办 汇报人：@alice 时长：10", MeetingPropose(meeting_id=3, topic="一网通办",
                                                                      presenter=ALICE, minutes=10)),
    ("/meeting", "propose 3 一网通办 <@U123|zhang>", MeetingPropose(meeting_id=3, topic="一网通办", presenter=ZHANG)),
    ("/meeting", "agenda #3", MeetingAgenda(meeting_id=3)),
    ("/meeting", "decide 3 由发改委牵头 <@U123ABC> due:月底",
     MeetingDecide(meeting_id=3, text="由发改委牵头", owner=U1, due=D(2026, 11, 30))),
    ("/meeting", "decide #3 接口联调 @alice 截止：12月31日",
     MeetingDecide(meeting_id=3, text="接口联调", owner=ALICE, due=D(2026, 12, 31))),
    ("/meeting", "minutes 3", MeetingMinutes(meeting_id=3)),
    ("/meeting", "minutes #3 一、会议听取了汇报\n二、会议议定", MeetingMinutes(meeting_id=3, text="一、会议听取了汇报\n二、会议议定")),
    ("/meeting", "list", MeetingList()),
    # /guatu
    ("/guatu", "help", HelpRequest()),
    ("/guatu", "help task", HelpRequest(command="task")),
    ("/guatu", "help 会议", HelpRequest(command="meeting")),
    ("/guatu", "help /force", HelpRequest(command="force")),
    ("/guatu", "help guatu", HelpRequest(command="guatu")),
    ("/guatu", "help task add", HelpRequest(command="task", subcommand="add")),
    ("/guatu", "whoami", WhoAmI()),
    ("/guatu", "rank", Rank(scope="dept")),
    ("/guatu", "rank force", Rank(scope="force")),
    ("/guatu", "rank 部门", Rank(scope="dept")),
    ("/guatu", "rank 专班", Rank(scope="force")),
    ("/guatu", "lang en", SetLang(lang="en")),
    ("/guatu", "lang 中文", SetLang(lang="zh")),
    ("/guatu", "lang ZH", SetLang(lang="zh")),
    ("/guatu", "lang 英文", SetLang(lang="en")),
    ("/guatu", "dept", DeptList()),
    ("/guatu", "dept list", DeptList()),
    ("/guatu", "dept 列表", DeptList()),
    ("/guatu", "dept add 省大数据局", DeptAdd(name="省大数据局")),
    ("/guatu", "dept 新建 杭州市数据局 上级:省大数据局 负责人:<@U123ABC>",
     DeptAdd(name="杭州市数据局", parent="省大数据局", head=U1)),
    ("/guatu", "dept add Data Bureau parent:Province head:@alice", DeptAdd(name="Data Bureau", parent="Province",
                                                                           head=ALICE)),
    ("/guatu", "dept set <@U123ABC> 发改委", DeptSetPerson(user=U1, dept="发改委")),
    ("/guatu", "dept 设置 @alice 省大数据局", DeptSetPerson(user=ALICE, dept="省大数据局")),
    ("/guatu", "role <@U123ABC> lead", RoleSet(user=U1, role="lead")),
    ("/guatu", "role <@U123|zhang> 秘书", RoleSet(user=ZHANG, role="secretary")),
    ("/guatu", "role @alice 成员", RoleSet(user=ALICE, role="member")),
    ("/guatu", "role @alice 负责人", RoleSet(user=ALICE, role="lead")),
    ("/guatu", "role @alice 领导", RoleSet(user=ALICE, role="leader")),
    ("/guatu", "role @alice 管理员", RoleSet(user=ALICE, role="admin")),
    ("/guatu", "role @alice Admin", RoleSet(user=ALICE, role="admin")),
    ("/guatu", "role <@U123ABC>", RoleShow(user=U1)),
    ("/guatu", "role <@U123ABC> -lead", RoleRemove(user=U1, role="lead")),
    ("/guatu", "role @alice -负责人", RoleRemove(user=ALICE, role="lead")),
    ("/guatu", "people", PeopleList()),
    ("/guatu", "people dept:省大数据局 张 page:2", PeopleList(dept="省大数据局", text="张", page=2)),
    ("/guatu", "people rename <@U123ABC> 张 伟", PeopleRename(user=U1, name="张 伟")),
    ("/guatu", "people leave @alice", PeopleLeave(user=ALICE)),
    ("/guatu", "calendar import 一、元旦：1月1日放假。", CalendarImport(text="一、元旦：1月1日放假。")),
    ("/guatu", "calendar import 确认 一、元旦：1月1日放假。", CalendarImport(text="一、元旦：1月1日放假。", confirm=True)),
    ("/guatu", "role <@U123ABC> reports-to:<@U123|zhang>", ReportsTo(user=U1, leader=ZHANG)),
    ("/guatu", "role @alice reports_to:@bob", ReportsTo(user=ALICE, leader=UserRef(name="bob"))),
    ("/guatu", "role @alice 汇报给：<@U123ABC>", ReportsTo(user=ALICE, leader=U1)),
    ("/guatu", "role @alice 上级:<@U123ABC>", ReportsTo(user=ALICE, leader=U1)),
    ("/guatu", "calendar", CalendarShow(year=2026, month=11)),
    ("/guatu", "calendar show", CalendarShow(year=2026, month=11)),
    ("/guatu", "calendar show 2027-02", CalendarShow(year=2027, month=2)),
    ("/guatu", "calendar 查看 2月", CalendarShow(year=2026, month=2)),
    ("/guatu", "calendar show 2027年2月", CalendarShow(year=2027, month=2)),
    ("/guatu", "calendar show 下月", CalendarShow(year=2026, month=12)),
    ("/guatu", "calendar show next month", CalendarShow(year=2026, month=12)),
    ("/guatu", "calendar show Dec", CalendarShow(year=2026, month=12)),
    ("/guatu", "calendar 12月", CalendarShow(year=2026, month=12)),
    ("/guatu", "calendar set 2027-02-06 work", CalendarSet(day=D(2027, 2, 6), working=True)),
    ("/guatu", "calendar 设置 2027-02-06 上班 春节调休", CalendarSet(day=D(2027, 2, 6), working=True, reason="春节调休")),
    ("/guatu", "calendar set 2027-02-08 off 春节", CalendarSet(day=D(2027, 2, 8), working=False, reason="春节")),
    ("/guatu", "calendar set 12月31日 放假", CalendarSet(day=D(2026, 12, 31), working=False)),
    ("/guatu", "outbox", OutboxShow(status="pending")),
    ("/guatu", "outbox failed", OutboxShow(status="failed")),
    ("/guatu", "outbox 失败", OutboxShow(status="failed")),
    ("/guatu", "outbox retry 5", OutboxRetry(outbox_id=5)),
    ("/guatu", "outbox 重试 #5", OutboxRetry(outbox_id=5)),
    ("/force", "screen", ForceScreenLink()),
    ("/force", "screen revoke 数据共享专班", ForceScreenLink(force="数据共享专班", revoke=True)),
    ("/guatu", "screen", ScreenLink()),
    ("/guatu", "screen 撤销", ScreenLink(revoke=True)),
]  # fmt: skip


def _ids(case: tuple[str, str, Any]) -> str:
    return f"{case[0]} {case[1]}"[:60]


@pytest.mark.parametrize("case", VALID, ids=_ids)
def test_each_well_formed_command_gives_its_typed_request(case: tuple[str, str, Any]) -> None:
    command, text, expected = case
    assert p(command, text) == expected


def _in_chinese(command: str, text: str) -> str:
    first, sep, rest = text.partition(" ")
    return ZH[command.lstrip("/")][first] + sep + rest


@pytest.mark.parametrize("case", [c for c in VALID if c[1].split(" ")[0] in ZH[c[0].lstrip("/")]], ids=_ids)
def test_chinese_subcommand_names_give_the_same_request(case: tuple[str, str, Any]) -> None:
    command, text, expected = case
    assert p(command, _in_chinese(command, text)) == expected


@pytest.mark.parametrize("case", VALID[:40], ids=_ids)
def test_command_and_subcommand_names_ignore_case_and_slash(case: tuple[str, str, Any]) -> None:
    command, text, expected = case
    assert p(command.lstrip("/").upper(), text[:1].upper() + text[1:]) == expected


def test_every_subcommand_in_the_table_is_exercised_in_both_languages() -> None:
    covered = {(c[0].lstrip("/"), c[1].split(" ")[0]) for c in VALID}
    for command, subs in COMMANDS.items():
        for sub in subs:
            assert (command, sub.name) in covered, sub.name
            assert ZH[command][sub.name] == sub.zh
    assert {k: set(v) for k, v in ZH.items()} == {k: {s.name for s in v} for k, v in COMMANDS.items()}


def test_chinese_command_names_are_accepted_too() -> None:
    assert p("任务", "查看 12") == TaskShow(task_id=12)
    assert p("/专班", "列表") == ForceList()
    assert p("会议", "列表") == MeetingList()
    assert p("／guatu", "我") == WhoAmI()


# --- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("<@U123ABC>", UserRef(user_id="U123ABC")),
        ("<@U123|zhang>", UserRef(user_id="U123", name="zhang")),
        ("<@W42|>", UserRef(user_id="W42")),
        ("@alice", UserRef(name="alice")),
        ("＠张三", UserRef(name="张三")),
        ("alice", None),
        ("@", None),
        ("<#C123|general>", None),
        ("<!here>", None),
    ],
)
def test_mentions_in_all_three_forms(token: str, expected: UserRef | None) -> None:
    assert parse_user(token) == expected


def test_channel_escapes_give_channel_refs() -> None:
    assert parse_channel("<#C123|general>") == ChannelRef(channel_id="C123", name="general")
    assert parse_channel("<#C123>") == ChannelRef(channel_id="C123")
    assert parse_channel("#general") is None


@pytest.mark.parametrize("mention", ["<@U123ABC>", "<@U123|zhang>", "@alice"])
@pytest.mark.parametrize("task_id", ["12", "#12"])
def test_mentions_and_ids_combine_in_every_form(mention: str, task_id: str) -> None:
    user = parse_user(mention)
    assert p("/task", f"assign {task_id} {mention}") == TaskAssign(task_id=12, owner=user)
    assert p("/task", f"add 写方案 {mention} due:明天").owner == user
    assert p("/force", f"add {mention}") == ForceAddMembers(users=[user])
    assert p("/guatu", f"role {mention} 秘书") == RoleSet(user=user, role="secretary")


def test_slack_escapes_stay_whole_even_with_spaces_inside() -> None:
    assert p("/task", "assign 12 <@U9|zhang san>").owner == UserRef(user_id="U9", name="zhang san")
    assert p("/task", "add 见 <https://example.org/a b|the plan> due:明天").title == "见 <https://example.org/a b|the plan>"


def test_full_width_space_and_colon_separate_like_ascii() -> None:
    assert p("/task", "新建　写方案　截止：明天　优先级：紧急") == TaskAdd(title="写方案", due=D(2026, 11, 23), priority="high")
    assert p("/task", "进展　＃12　６０％") == TaskProgress(task_id=12, percent=60)


DATE_FORMS = [
    ("2026-12-31", D(2026, 12, 31)),
    ("12-31", D(2026, 12, 31)),
    ("12月31日", D(2026, 12, 31)),
    ("明天", D(2026, 11, 23)),
    ("下周五", D(2026, 11, 27)),
    ("3天后", D(2026, 11, 25)),
    ("月底", D(2026, 11, 30)),
    ("tomorrow", D(2026, 11, 23)),
    ("next friday", D(2026, 11, 27)),
    ("in 3 days", D(2026, 11, 25)),
]


@pytest.mark.parametrize(("written", "day"), DATE_FORMS, ids=[d[0] for d in DATE_FORMS])
def test_every_date_form_passes_through_every_date_position(written: str, day: dt.date) -> None:
    assert p("/task", f"add 写方案 due:{written} 初稿").due == day
    assert p("/task", f"add 写方案 截止：{written}").due == day
    assert p("/task", f"extend 12 {written} 等待批复") == TaskExtend(task_id=12, new_due=day, reason="等待批复")
    assert p("/task", f"node 12 {written} 评审") == TaskNodeAdd(task_id=12, due=day, name="评审")
    assert p("/meeting", f"new 专题会议 {written}").date == day
    assert p("/meeting", f"new 专题会议 {written} 14:30").date == day
    assert p("/meeting", f"decide 3 联调 @alice due:{written}").due == day
    assert p("/meeting", f"series 例会 from:{written}").start == day
    assert p("/guatu", f"calendar set {written} 放假").day == day


# --- malformed input --------------------------------------------------------------------------

# (command, text, problem key, usage key)
MALFORMED: list[tuple[str, str, str, str]] = [
    ("/task", "add 写方案", "cmd.missing_due", "usage.task.add"),
    ("/task", "add due:明天", "cmd.missing_title", "usage.task.add"),
    ("/task", "add <@U1> due:明天", "cmd.missing_title", "usage.task.add"),
    ("/task", "add 写方案 due:明天 prio:low", "cmd.bad_priority", "usage.task.add"),
    ("/task", "add 写方案 due:someday", "date.invalid", "usage.task.add"),
    ("/task", "add 写方案 due:2月30日", "date.invalid", "usage.task.add"),
    ("/task", "add 写方案 due:明天 due:后天", "cmd.duplicate_option", "usage.task.add"),
    ("/task", "add 写方案 due:", "cmd.empty_option", "usage.task.add"),
    ("/task", "add 写方案 <@U1> <@U2> due:明天", "cmd.too_many_users", "usage.task.add"),
    ("/task", "add 写方案 due:明天 parent:abc", "cmd.bad_id", "usage.task.add"),
    ("/task", "add 写方案 due:明天 负责人:alice", "cmd.bad_user", "usage.task.add"),
    ("/task", "list foo", "cmd.bad_list_scope", "usage.task.list"),
    ("/task", "list mine overdue", "cmd.unexpected", "usage.task.list"),
    ("/task", "show", "cmd.missing_task_id", "usage.task.show"),
    ("/task", "show abc", "cmd.bad_id", "usage.task.show"),
    ("/task", "show 0", "cmd.bad_id", "usage.task.show"),
    ("/task", "show #", "cmd.bad_id", "usage.task.show"),
    ("/task", "show -3", "cmd.bad_id", "usage.task.show"),
    ("/task", "show 99999999999999999999999", "cmd.bad_id", "usage.task.show"),
    ("/task", "show 12 13", "cmd.unexpected", "usage.task.show"),
    ("/task", "history", "cmd.missing_task_id", "usage.task.history"),
    ("/task", "progress abc 50%", "cmd.bad_id", "usage.task.progress"),
    ("/task", "progress 12 101", "cmd.bad_percent", "usage.task.progress"),
    ("/task", "progress 12 101%", "cmd.bad_percent", "usage.task.progress"),
    ("/task", "progress 12 -1", "cmd.bad_percent", "usage.task.progress"),
    ("/task", "progress 12 abc", "cmd.bad_percent", "usage.task.progress"),
    ("/task", "progress 12 12.5%", "cmd.bad_percent", "usage.task.progress"),
    ("/task", "done", "cmd.missing_task_id", "usage.task.done"),
    ("/task", "done x1", "cmd.bad_id", "usage.task.done"),
    ("/task", "verify", "cmd.missing_task_id", "usage.task.verify"),
    ("/task", "verify 12 ok", "cmd.unexpected", "usage.task.verify"),
    ("/task", "reopen 12", "cmd.missing_reason", "usage.task.reopen"),
    ("/task", "block", "cmd.missing_task_id", "usage.task.block"),
    ("/task", "block abc 原因", "cmd.bad_id", "usage.task.block"),
    ("/task", "unblock", "cmd.missing_task_id", "usage.task.unblock"),
    ("/task", "extend", "cmd.missing_task_id", "usage.task.extend"),
    ("/task", "extend 12 12-31", "cmd.missing_reason", "usage.task.extend"),
    ("/task", "extend 12 someday 原因", "date.invalid", "usage.task.extend"),
    ("/task", "extend 12 13月1日 原因", "date.invalid", "usage.task.extend"),
    ("/task", "approve", "cmd.missing_task_id", "usage.task.approve"),
    ("/task", "reject 12", "cmd.missing_reason", "usage.task.reject"),
    ("/task", "assign 12", "cmd.missing_user", "usage.task.assign"),
    ("/task", "coowner 12", "cmd.missing_user", "usage.task.coowner"),
    ("/task", "coowner 12 remove", "cmd.missing_user", "usage.task.coowner"),
    ("/task", "assign 12 alice", "cmd.bad_user", "usage.task.assign"),
    ("/task", "assign <@U1> 12", "cmd.bad_id", "usage.task.assign"),
    ("/task", "assign 12 <@U1> <@U2>", "cmd.unexpected", "usage.task.assign"),
    ("/task", "node 12", "cmd.missing_date", "usage.task.node"),
    ("/task", "node 12 12-31", "cmd.missing_node_name", "usage.task.node"),
    ("/task", "node 12 someday 评审", "date.invalid", "usage.task.node"),
    ("/task", "node 12 done", "cmd.missing_node_no", "usage.task.node"),
    ("/task", "node 12 done x", "cmd.bad_node_no", "usage.task.node"),
    ("/task", "ack", "cmd.missing_task_id", "usage.task.ack"),
    ("/task", "cancel 12", "cmd.missing_reason", "usage.task.cancel"),
    ("/task", "edit 12", "cmd.edit_nothing", "usage.task.edit"),
    ("/task", "edit 12 node:2", "cmd.edit_node_due", "usage.task.edit"),
    ("/task", "edit 12 prio:超级紧急", "cmd.bad_priority", "usage.task.edit"),
    ("/task", "cancel", "cmd.missing_task_id", "usage.task.cancel"),
    ("/task", "frobnicate 12", "cmd.unknown_sub", "usage.task"),
    ("/force", "new", "cmd.missing_force_name", "usage.force.new"),
    ("/force", "new lead:<@U1>", "cmd.missing_force_name", "usage.force.new"),
    ("/force", "new 专班 lead:alice", "cmd.bad_user", "usage.force.new"),
    ("/force", "add", "cmd.missing_user", "usage.force.add"),
    ("/force", "add alice", "cmd.bad_user", "usage.force.add"),
    ("/force", "add dept:发改委", "cmd.missing_user", "usage.force.add"),
    ("/force", "remove", "cmd.missing_user", "usage.force.remove"),
    ("/force", "list all", "cmd.unexpected", "usage.force.list"),
    ("/force", "map x force:y", "cmd.unexpected", "usage.force.map"),
    ("/force", "policy yellow_days:99", "cmd.bad_policy_number", "usage.force.policy"),
    ("/force", "policy yellow_days:-1", "cmd.bad_policy_number", "usage.force.policy"),
    ("/force", "policy stale_days:0", "cmd.bad_policy_number", "usage.force.policy"),
    ("/force", "policy 临期天数:abc", "cmd.bad_policy_number", "usage.force.policy"),
    ("/force", "policy remind_days:3,x", "cmd.bad_remind_days", "usage.force.policy"),
    ("/force", "policy remind_days:100", "cmd.bad_remind_days", "usage.force.policy"),
    ("/force", "policy escalate:0,-2", "cmd.bad_escalate", "usage.force.policy"),
    ("/force", "policy escalate:1,1,1,1,1,1,1,1,1,1,1", "cmd.bad_escalate", "usage.force.policy"),
    ("/force", "policy quiet:25-8", "cmd.bad_quiet", "usage.force.policy"),
    ("/force", "policy quiet:night", "cmd.bad_quiet", "usage.force.policy"),
    ("/force", "policy colour:red", "cmd.bad_policy_key", "usage.force.policy"),
    ("/force", "policy loud", "cmd.unexpected", "usage.force.policy"),
    ("/force", "notice", "cmd.missing_text", "usage.force.notice"),
    ("/force", "notice force:数据共享", "cmd.missing_text", "usage.force.notice"),
    ("/force", "disband", "cmd.unknown_sub", "usage.force"),
    ("/meeting", "new", "cmd.missing_meeting_title", "usage.meeting.new"),
    ("/meeting", "new 专题会议", "cmd.missing_date", "usage.meeting.new"),
    ("/meeting", "new 12-31", "cmd.missing_meeting_title", "usage.meeting.new"),
    ("/meeting", "new 专题会议 someday", "date.invalid", "usage.meeting.new"),
    ("/meeting", "new 专题会议 12-31 mins:0", "cmd.bad_minutes", "usage.meeting.new"),
    ("/meeting", "new 专题会议 12-31 mins:999", "cmd.bad_minutes", "usage.meeting.new"),
    ("/meeting", "new 专题会议 12-31 time:25:00", "cmd.bad_time", "usage.meeting.new"),
    ("/meeting", "new 专题会议 12-31 chair:bob", "cmd.bad_user", "usage.meeting.new"),
    ("/meeting", "series", "cmd.missing_series_kind", "usage.meeting.series"),
    ("/meeting", "series 周会 every:1m from:12-01", "cmd.bad_series_kind", "usage.meeting.series"),
    ("/meeting", "series 例会 every:1m", "cmd.missing_start", "usage.meeting.series"),
    ("/meeting", "series 例会 every:13m from:12-01", "cmd.bad_every", "usage.meeting.series"),
    ("/meeting", "series 例会 every:weekly from:12-01", "cmd.bad_every", "usage.meeting.series"),
    ("/meeting", "series 例会 every:1m from:someday", "date.invalid", "usage.meeting.series"),
    ("/meeting", "propose", "cmd.missing_meeting_id", "usage.meeting.propose"),
    ("/meeting", "propose 3", "cmd.missing_topic", "usage.meeting.propose"),
    ("/meeting", "propose three 议题", "cmd.bad_id", "usage.meeting.propose"),
    ("/meeting", "propose 3 议题 mins:abc", "cmd.bad_minutes", "usage.meeting.propose"),
    ("/meeting", "agenda", "cmd.missing_meeting_id", "usage.meeting.agenda"),
    ("/meeting", "decide 3 联调 due:月底", "cmd.missing_owner", "usage.meeting.decide"),
    ("/meeting", "decide 3 联调 <@U1>", "cmd.missing_due", "usage.meeting.decide"),
    ("/meeting", "decide 3 <@U1> due:月底", "cmd.missing_text", "usage.meeting.decide"),
    ("/meeting", "decide", "cmd.missing_meeting_id", "usage.meeting.decide"),
    ("/meeting", "minutes", "cmd.missing_meeting_id", "usage.meeting.minutes"),
    ("/meeting", "list x", "cmd.unexpected", "usage.meeting.list"),
    ("/meeting", "cancel 3", "cmd.unknown_sub", "usage.meeting"),
    ("/guatu", "help astrology", "cmd.bad_help_topic", "usage.guatu.help"),
    ("/guatu", "whoami please", "cmd.unexpected", "usage.guatu.whoami"),
    ("/guatu", "rank city", "cmd.bad_rank_scope", "usage.guatu.rank"),
    ("/guatu", "lang", "cmd.missing_lang", "usage.guatu.lang"),
    ("/guatu", "lang fr", "cmd.bad_lang", "usage.guatu.lang"),
    ("/guatu", "dept add", "cmd.missing_dept_name", "usage.guatu.dept"),
    ("/guatu", "dept set", "cmd.missing_user", "usage.guatu.dept"),
    ("/guatu", "dept set <@U1>", "cmd.missing_dept_name", "usage.guatu.dept"),
    ("/guatu", "dept set 发改委 <@U1>", "cmd.bad_user", "usage.guatu.dept"),
    ("/guatu", "dept merge", "cmd.bad_action", "usage.guatu.dept"),
    ("/guatu", "role", "cmd.missing_user", "usage.guatu.role"),
    ("/guatu", "role alice lead", "cmd.bad_user", "usage.guatu.role"),
    ("/guatu", "role <@U1> boss", "cmd.bad_role", "usage.guatu.role"),
    ("/guatu", "role <@U1> 老板", "cmd.bad_role", "usage.guatu.role"),
    ("/guatu", "role <@U1> lead admin", "cmd.unexpected", "usage.guatu.role"),
    ("/guatu", "role <@U1> reports-to:bob", "cmd.bad_user", "usage.guatu.role"),
    ("/guatu", "calendar set", "cmd.missing_date", "usage.guatu.calendar"),
    ("/guatu", "calendar set 2027-02-06", "cmd.missing_work_off", "usage.guatu.calendar"),
    ("/guatu", "calendar set 2027-02-06 maybe", "cmd.bad_work_off", "usage.guatu.calendar"),
    ("/guatu", "calendar set someday off", "date.invalid", "usage.guatu.calendar"),
    ("/guatu", "calendar show 13月", "cmd.bad_month", "usage.guatu.calendar"),
    ("/guatu", "calendar show 2027-00", "cmd.bad_month", "usage.guatu.calendar"),
    ("/guatu", "calendar delete", "cmd.bad_action", "usage.guatu.calendar"),
    ("/guatu", "outbox retry", "cmd.missing_outbox_id", "usage.guatu.outbox"),
    ("/guatu", "outbox retry x", "cmd.bad_id", "usage.guatu.outbox"),
    ("/guatu", "outbox purge", "cmd.bad_outbox", "usage.guatu.outbox"),
    ("/guatu", "sudo", "cmd.unknown_sub", "usage.guatu"),
    ("/deploy", "now", "cmd.unknown_command", "usage.commands"),
]


@pytest.mark.parametrize("case", MALFORMED, ids=lambda c: f"{c[0]} {c[1]}"[:60])
def test_malformed_command_says_what_is_wrong_and_shows_the_right_form(case: tuple[str, str, str, str]) -> None:
    command, text, problem, usage = case
    with pytest.raises(UsageError) as caught:
        p(command, text)
    error = caught.value
    assert isinstance(error, CommandError)
    assert error.key == problem
    assert error.usage == usage
    for lang in ("zh", "en"):
        rendered = error.render(lang)
        usage_line = i18n.t(usage, lang)
        assert usage_line != usage, "usage line is in the catalogue"
        assert usage_line in rendered
        assert rendered.index(usage_line) > 0, "the problem comes first"
        assert i18n.has(problem) or problem == "date.invalid"
    assert error.render("zh") != error.render("en")


@pytest.mark.parametrize("case", [c for c in MALFORMED if c[0] != "/deploy" and c[1].split(" ")[0] in ZH[c[0][1:]]],
                         ids=lambda c: f"{c[0]} {c[1]}"[:60])
def test_malformed_command_in_chinese_fails_the_same_way(case: tuple[str, str, str, str]) -> None:
    command, text, problem, usage = case
    with pytest.raises(CommandError) as caught:
        p(command, _in_chinese(command, text))
    assert (caught.value.key, caught.value.usage) == (problem, usage)


def test_unknown_subcommand_lists_the_subcommands_in_both_languages() -> None:
    with pytest.raises(CommandError) as caught:
        p("/task", "frobnicate")
    zh, en = caught.value.render("zh"), caught.value.render("en")
    assert "frobnicate" in zh and "frobnicate" in en
    for sub in COMMANDS["task"]:
        assert sub.zh in zh and sub.name in zh
        assert sub.name in en


def test_a_bad_date_names_the_text_and_the_accepted_forms() -> None:
    with pytest.raises(CommandError) as caught:
        p("/task", "extend 12 someday 原因")
    assert "someday" in caught.value.render("zh")
    assert "12-31" in caught.value.render("en")
    assert "/task extend <id> <date> <reason…>" in caught.value.render("en")


# --- help -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    [
        ("/task", "", HelpRequest(command="task")),
        ("/task", "help", HelpRequest(command="task")),
        ("/task", "帮助", HelpRequest(command="task")),
        ("/task", "add help", HelpRequest(command="task", subcommand="add")),
        ("/task", "新建 帮助", HelpRequest(command="task", subcommand="add")),
        ("/task", "help extend", HelpRequest(command="task", subcommand="extend")),
        ("/task", "extend 12 ?", HelpRequest(command="task", subcommand="extend")),
        ("/task", "frobnicate help", HelpRequest(command="task")),
        ("/force", "  ", HelpRequest(command="force")),
        ("/meeting", "decide --help", HelpRequest(command="meeting", subcommand="decide")),
        ("/guatu", "", HelpRequest()),
        ("/guatu", "帮助 任务", HelpRequest(command="task")),
        ("/guatu", "help dept", HelpRequest(command="guatu", subcommand="dept")),
        ("/guatu", "role help", HelpRequest(command="guatu", subcommand="role")),
    ],
)
def test_help_anywhere_asks_for_help(command: str, text: str, expected: HelpRequest) -> None:
    assert p(command, text) == expected


def test_help_text_is_built_from_the_same_usage_lines_as_the_errors() -> None:
    for lang in ("zh", "en"):
        everything = help_text(lang)
        for command, subs in COMMANDS.items():
            one = help_text(lang, command)
            for sub in subs:
                usage = i18n.t(sub.usage_key, lang)
                assert usage != sub.usage_key
                for line in usage.splitlines():
                    assert line in one and line in everything
                    assert line in help_text(lang, command, sub.name)
                assert i18n.t(sub.summary_key, lang) in one
    assert help_text("en", "task", "add").count("/task ") == 1
    assert "新建" in help_text("zh", "/task") and "add" in help_text("zh", "/task")


def test_usage_lines_use_each_language_own_subcommand_names() -> None:
    for command, subs in COMMANDS.items():
        for sub in subs:
            assert i18n.t(sub.usage_key, "zh").startswith(f"/{command} {sub.zh}")
            assert i18n.t(sub.usage_key, "en").startswith(f"/{command} {sub.name}")


# --- the requests themselves ------------------------------------------------------------------


def test_requests_round_trip_through_the_discriminated_union() -> None:
    adapter = TypeAdapter(Request)
    kinds = set()
    for command, text, _ in VALID:
        request = p(command, text)
        kinds.add(request.kind)
        assert adapter.validate_python(request.model_dump()) == request
        assert adapter.validate_json(request.model_dump_json()) == request
    assert len(kinds) >= 45


def test_requests_are_frozen() -> None:
    request = p("/task", "show 12")
    with pytest.raises(ValidationError):
        request.task_id = 13


def test_free_text_keeps_line_breaks_and_inner_spacing() -> None:
    assert p("/task", "done 12 第一行\n第二行   第三段").note == "第一行\n第二行   第三段"


def test_unknown_keys_stay_in_free_text_and_known_ones_are_taken_out() -> None:
    assert p("/task", "add 研究 https://x.org 方案 截止:明天 部门:发改委") == TaskAdd(
        title="研究 https://x.org 方案", due=D(2026, 11, 23), dept="发改委"
    )


def test_a_space_after_the_colon_is_forgiven() -> None:
    assert p("/task", "add 写方案 截止： 明天").due == D(2026, 11, 23)
    assert p("/force", "new 专班 lead: <@U123ABC>").lead == U1


def test_a_bare_mention_fills_the_single_person_option() -> None:
    assert p("/force", "new 专班 <@U123ABC>").lead == U1
    assert p("/meeting", "new 例会 12-01 @alice").chair == ALICE
    with pytest.raises(CommandError):
        p("/force", "new 专班 <@U1> lead:<@U2>")


# --- any text at all --------------------------------------------------------------------------

VOCAB = sorted(
    {s.name for subs in COMMANDS.values() for s in subs}
    | {s.zh for subs in COMMANDS.values() for s in subs}
    | {"help", "帮助", "?", "mine", "我的", "overdue", "逾期", "all", "done", "完成", "work", "off", "上班",
       "放假", "retry", "重试", "failed", "专题会议", "例会", "thematic", "monthly", "lead", "秘书", "admin",
       "zh", "英文", "dept", "force", "add", "set", "show", "list", "next", "friday", "in", "3", "days",
       "<@U123ABC>", "<@U1|zhang>", "@alice", "＠", "@", "<#C1|general>", "<!here>", "<", ">", "<@", "&lt;",
       "#", "#0", "#12", "12", "0", "-1", "101", "60%", "60％", "abc", "99999999999999999999", "１２",
       "2026-12-31", "12-31", "12月31日", "明天", "下周五", "3天后", "月底", "tomorrow", "2月30日", "13月",
       "14:30", "25:99", "下午3点", "20-8", "3,1", "0,2,3,5", "2m", "两个月", "每月", "2027-02", "\"", "“",
       "「", "」", ":", "：", "\n", "\u3000"}
)  # fmt: skip
KEYS = sorted(
    {"due", "截止", "期限", "force", "专班", "dept", "部门", "单位", "prio", "优先级", "lead", "负责人", "parent",
     "上级", "chair", "主持", "mins", "时长", "presenter", "汇报人", "every", "每", "from", "从", "time", "owner",
     "head", "reports-to", "汇报给", "yellow_days", "临期天数", "stale_days", "remind_days", "提醒", "escalate",
     "督办", "quiet", "免打扰", "lag_pct", "remind_hour", "renotice_limit", "foo"}
)  # fmt: skip
WORD = st.one_of(
    st.sampled_from(VOCAB),
    st.builds(lambda k, c, v: f"{k}{c}{v}", st.sampled_from(KEYS), st.sampled_from([":", "："]),
              st.one_of(st.sampled_from(VOCAB), st.just(""), st.text(max_size=6))),
    st.integers(min_value=-5, max_value=10**20).map(str),
    st.text(max_size=8),
)  # fmt: skip
LINE = st.lists(WORD, max_size=10).flatmap(
    lambda words: st.lists(st.sampled_from([" ", "\u3000", "  ", "\t", ""]), min_size=len(words), max_size=len(words))
    .map(lambda seps: "".join(w + s for w, s in zip(words, seps, strict=True)))
)
COMMAND = st.sampled_from(["/task", "/force", "/meeting", "/guatu", "task", "guatu", "/TASK", "任务"])
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parses_or_refuses(command: str, text: str) -> None:
    try:
        request = p(command, text)
    except UsageError as error:
        assert error.render("zh") and error.render("en")
        return
    assert TypeAdapter(Request).validate_python(request.model_dump()) == request


@FUZZ
@given(command=COMMAND, text=st.text())
def test_any_text_gives_a_request_or_a_usage_error(command: str, text: str) -> None:
    _parses_or_refuses(command, text)


@FUZZ
@given(command=COMMAND, text=LINE)
def test_any_vocabulary_soup_gives_a_request_or_a_usage_error(command: str, text: str) -> None:
    _parses_or_refuses(command, text)


@FUZZ
@given(case=st.sampled_from(VALID), extra=LINE)
def test_valid_commands_with_junk_appended_still_give_a_request_or_a_usage_error(
    case: tuple[str, str, Any], extra: str
) -> None:
    _parses_or_refuses(case[0], f"{case[1]} {extra}")


@FUZZ
@given(command=st.text(max_size=10), text=st.text(max_size=20))
def test_any_command_name_gives_a_request_or_a_usage_error(command: str, text: str) -> None:
    _parses_or_refuses(command, text)
