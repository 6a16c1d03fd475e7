"""``guatu seed --demo``: a realistic 数据共享工作专班 so a newcomer sees the product at once."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.console import CONSOLE_TEAM, DEFAULT_CHANNEL
from models import forces, org, tasks
from models.context import Ctx
from models.db import session_scope
from models.org import PersonRef
from models.tables import Outbox, Person

# (chat id, name, department, roles, reports to)
PEOPLE = [
    ("admin", "系统管理员", "浙江省大数据发展管理局", ["admin"], None),
    ("chenjun", "陈军", "浙江省人民政府办公厅", ["leader"], None),
    ("wanghua", "王华", "浙江省大数据发展管理局", ["leader"], "chenjun"),
    ("linfang", "林芳", "浙江省大数据发展管理局", ["lead"], "wanghua"),
    ("zhangwei", "张伟", "浙江省大数据发展管理局", [], "linfang"),
    ("liuyang", "刘洋", "浙江省公安厅", [], "linfang"),
    ("zhaomin", "赵敏", "浙江省市场监督管理局", [], "linfang"),
    ("sunli", "孙丽", "杭州市数据资源管理局", [], "linfang"),
    ("zhoujie", "周杰", "西湖区数据资源管理局", [], "linfang"),
    ("wuqing", "吴青", "浙江省人民政府办公厅", ["secretary"], "chenjun"),
]

DEPARTMENTS = [
    ("浙江省人民政府办公厅", None),
    ("浙江省大数据发展管理局", None),
    ("浙江省公安厅", None),
    ("浙江省市场监督管理局", None),
    ("杭州市数据资源管理局", "浙江省大数据发展管理局"),
    ("西湖区数据资源管理局", "杭州市数据资源管理局"),
]

FORCE = "数据共享工作专班"


ALREADY_SEEDED = "The console workspace already has people; seed --demo only fills an empty one."


def seed_demo(engine: Engine, *, tz: ZoneInfo, lang: str = "zh", now: datetime | None = None) -> str:
    """Loads the sample into an empty console workspace; refuses to touch one that has people."""
    now = now or datetime.now(UTC)
    with session_scope(engine) as session:
        ws = org.get_or_create_workspace(session, CONSOLE_TEAM, "控制台")
        if session.exec(select(func.count()).select_from(Person).where(Person.workspace_id == ws.id)).one():
            return ALREADY_SEEDED
        people: dict[str, Person] = {}
        past = now - timedelta(days=30)
        for chat_id, name, _dept, _roles, _boss in PEOPLE:
            people[chat_id] = org.ensure_person(session, ws, chat_id, now=past, name=name, lang=lang)
        admin = people["admin"]
        for name, parent in DEPARTMENTS:
            org.dept_add(session, admin, ws, name, now=past, parent=parent)
        for chat_id, _name, dept, roles, boss in PEOPLE:
            org.dept_set_person(session, admin, ws, PersonRef(user_id=chat_id), dept, now=past)
            for role in roles:
                org.role_set(session, admin, ws, PersonRef(user_id=chat_id), role, now=past)
            if boss:
                org.set_reports_to(session, admin, ws, PersonRef(user_id=chat_id), PersonRef(user_id=boss), now=past)

        def ctx(who: str, at: datetime) -> Ctx:
            return Ctx(session, ws, people[who], at, tz=tz, default_lang=lang, channel_id=DEFAULT_CHANNEL)

        lead = ctx("linfang", past)
        forces.force_new(lead, FORCE)
        forces.force_add(lead, [PersonRef(user_id=u) for u in ("zhangwei", "liuyang", "zhaomin", "sunli", "zhoujie")],
                         force_name=FORCE)
        today = lead.today + timedelta(days=30)  # the real today, in the org's zone

        calendar = lead.calendar

        def day(offset: int):
            # Deadlines fall on working days, as real ones do.
            # (backwards for past days, so what should be overdue stays overdue whatever today is).
            d = today + timedelta(days=offset)
            if offset < 0:
                return calendar.previous_working_day(d, include_self=True)
            return calendar.next_working_day(d, include_self=True)

        def when(offset_days: int) -> datetime:
            return datetime.combine(day(offset_days), time(10, 0), tzinfo=tz)

        def add(title: str, owner: str, *, start: int, due: int, prio: str = "normal"):
            c = ctx("linfang", when(start))
            return tasks.add_task(c, title, due=day(due), owner=PersonRef(user_id=owner), force_name=FORCE,
                                  priority=prio, start=day(start))

        # Red: overdue since last week, little progress.
        t1 = add("公安人口数据接入省一体化数据平台", "liuyang", start=-28, due=-5, prio="high")
        tasks.progress(ctx("liuyang", when(-20)), t1.id, 40, "完成字段映射，等待网闸策略")
        tasks.block(ctx("liuyang", when(-8)), t1.id, "网闸策略需省公安厅科信处审批")
        # Red: a time node passed undone.
        t2 = add("企业信用数据共享接口开发", "zhaomin", start=-20, due=20)
        tasks.add_node(ctx("zhaomin", when(-20)), t2.id, day(-2), "接口联调完成")
        tasks.progress(ctx("zhaomin", when(-6)), t2.id, 45, "接口开发完成，联调中")
        # Yellow: due in two days.
        t3 = add("编制省级公共数据目录（2026版）", "zhangwei", start=-25, due=2)
        tasks.progress(ctx("zhangwei", when(-1)), t3.id, 85, "目录初稿已征求各厅局意见")
        # Yellow: silent for more than a week.
        t4 = add("杭州市数据回流试点方案", "sunli", start=-21, due=25)
        tasks.progress(ctx("sunli", when(-14)), t4.id, 30, "完成需求调研")
        # Green: on track, extension approved earlier (baseline kept).
        t5 = add("西湖区“一件事”数据调用清单", "zhoujie", start=-15, due=10)
        tasks.progress(ctx("zhoujie", when(-10)), t5.id, 40, "清单梳理过半")
        tasks.request_extension(ctx("zhoujie", when(-9)), t5.id, day(20), "区级系统改造排期调整")
        tasks.decide_extension(ctx("linfang", when(-8)), t5.id, approve=True)
        tasks.progress(ctx("zhoujie", when(-1)), t5.id, 60, "已与 12 个部门确认调用需求")
        # Green: done and verified.
        t6 = add("数据共享工作专班工作机制印发", "zhangwei", start=-30, due=-10)
        tasks.request_done(ctx("zhangwei", when(-12)), t6.id, "已印发")
        tasks.verify(ctx("linfang", when(-11)), t6.id)
        # Green, awaiting close-out; and grey, starts next week.
        t7 = add("数据安全分类分级指南", "zhangwei", start=-18, due=12)
        tasks.progress(ctx("zhangwei", when(-3)), t7.id, 100, "指南定稿")
        tasks.request_done(ctx("zhangwei", when(-2)), t7.id, "定稿并报送")
        add("2027年数据共享工作要点", "linfang", start=7, due=45)
        # A pending extension request for the lead to decide.
        t9 = add("市场主体登记数据实时共享", "zhaomin", start=-10, due=8)
        tasks.progress(ctx("zhaomin", when(-2)), t9.id, 50, "增量同步已上线")
        tasks.request_extension(ctx("zhaomin", when(-1)), t9.id, day(18), "需等待总局接口升级")
        # The sample's history happened "before" today: its notifications count as delivered then,
        # so starting the bot does not replay a month of them.
        session.execute(update(Outbox).where(col(Outbox.workspace_id) == ws.id, col(Outbox.status) == "pending")
                        .values(status="sent", sent_at=Outbox.created_at))
    return (
        f"Loaded the demo: {len(PEOPLE)} people in {len(DEPARTMENTS)} departments, task force “{FORCE}” "
        f"bound to #{DEFAULT_CHANNEL}, 9 tasks in every light.\n"
        "Try:  guatu console --as linfang   then  /task list force:数据共享工作专班  or  /force list\n"
        "      guatu console --as zhangwei  then  /task list"
    )
