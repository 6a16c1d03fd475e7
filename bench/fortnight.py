"""A fortnight of 督办, as a task force lives it: ``guatu jobs run all --at …`` three times a day
(09:00, 14:00 and a 22:30 catch-up) for 14 days, on the demo organisation and on a 150-task force
with a four-level leader chain, with people acting in between (progress, 收到, an extension).

    python -m bench.fortnight [--db sqlite|postgres] [--start 2026-12-07] [--days 14] [--tasks 150] [--quiet]

Prints who got what on which morning, then the checks a good secretary would make: nothing
non-urgent at night, at most one briefing a person a morning, every 督办单 with a 分管领导
(role leader), every 通报 with the chief at the top of the chain.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bench.common import fresh_db
from bot.seed import seed_demo
from jobs.registry import run_job
from models import forces, org, tasks
from models.context import Ctx
from models.db import make_engine, session_scope
from models.migrate import upgrade
from models.org import PersonRef, calendar_for
from models.tables import EscalationStep, Outbox, Person, Task, Workspace

TZ = ZoneInfo("Asia/Shanghai")
RUNS = (time(9, 0), time(14, 0), time(22, 30))


@dataclass
class Delivery:
    at: datetime
    recipient: str
    text: str


@dataclass
class Sink:
    """A chat platform that records what it accepted and when (the simulated clock)."""

    now: datetime | None = None
    min_interval: float = 0
    got: list[Delivery] = field(default_factory=list)

    def send(self, recipient: str, text: str, blocks: list | None = None) -> str:
        self.got.append(Delivery(self.now, recipient, text))
        return str(len(self.got))


# ---------------------------------------------------------------- the 150-task force


def seed_chain_force(engine: Engine, *, start: date, n_tasks: int = 150, seed: int = 7) -> dict[str, list[str]]:
    """省数据局: 厅长 ting (leader) ← 副厅长 fu1, fu2 (leaders) ← 4 处长 (members) ← 12 科员 (members);
    lead lin runs 数据归集专班 with the 处长 and 科员 in it. ``n_tasks`` tasks: some overdue since before
    ``start``, some with a node overdue, the rest due across the fortnight and after; a few urgent."""
    rnd = random.Random(seed)
    past = datetime.combine(start - timedelta(days=40), time(10), tzinfo=TZ)
    with session_scope(engine) as s:
        ws = org.get_or_create_workspace(s, "T-CHAIN", "省数据局")
        people: dict[str, Person] = {}

        def person(cid: str, name: str) -> Person:
            people[cid] = org.ensure_person(s, ws, cid, now=past, name=name, lang="zh")
            return people[cid]

        admin = person("admin", "管理员")
        person("ting", "厅长")
        for i in (1, 2):
            person(f"fu{i}", f"副厅长{i}")
        chus = [person(f"chu{i}", f"处长{i}") for i in range(1, 5)]
        kes = [person(f"ke{i}", f"科员{i}") for i in range(1, 13)]
        person("lin", "林专班")
        org.dept_add(s, admin, ws, "省数据局", now=past, head=PersonRef(user_id="ting"))
        for cid in ("ting", "fu1", "fu2"):
            org.role_set(s, admin, ws, PersonRef(user_id=cid), "leader", now=past)
        org.role_set(s, admin, ws, PersonRef(user_id="lin"), "lead", now=past)
        for cid in ("fu1", "fu2"):
            org.set_reports_to(s, admin, ws, PersonRef(user_id=cid), PersonRef(user_id="ting"), now=past)
        for i, c in enumerate(chus):
            org.set_reports_to(s, admin, ws, PersonRef(user_id=c.chat_user_id),
                               PersonRef(user_id="fu1" if i < 2 else "fu2"), now=past)
        for i, k in enumerate(kes):
            org.set_reports_to(s, admin, ws, PersonRef(user_id=k.chat_user_id),
                               PersonRef(user_id=chus[i // 3].chat_user_id), now=past)
        lead = Ctx(s, ws, people["lin"], past, tz=TZ, channel_id="C-CHAIN")
        forces.force_new(lead, "数据归集专班")
        forces.force_add(lead, [PersonRef(user_id=p.chat_user_id) for p in chus + kes], force_name="数据归集专班")
        cal = calendar_for(s, ws.id)
        owners = kes + chus[:2]
        for i in range(n_tasks):
            kind = rnd.random()
            if kind < 0.12:  # overdue already, by 1–8 working days
                due = cal.add_working_days(start, -rnd.randint(1, 8))
            elif kind < 0.7:  # due within the fortnight
                due = cal.add_working_days(start, rnd.randint(0, 9))
            else:
                due = cal.add_working_days(start, rnd.randint(10, 40))
            made = datetime.combine(min(due, start) - timedelta(days=rnd.randint(12, 30)), time(10), tzinfo=TZ)
            c = Ctx(s, ws, people["lin"], made, tz=TZ, channel_id="C-CHAIN")
            node = None
            if rnd.random() < 0.15 and due > start + timedelta(days=3):
                node = [(cal.add_working_days(start, -1), "方案评审")]
            t = tasks.add_task(c, f"归集任务{i + 1:03d}", due=due,
                               owner=PersonRef(user_id=owners[i % len(owners)].chat_user_id),
                               force_name="数据归集专班", priority="high" if rnd.random() < 0.04 else "normal",
                               start=made.date(), nodes=node)
            if rnd.random() < 0.5:  # half report now and then
                at = made + timedelta(days=rnd.randint(1, 10))
                tasks.progress(Ctx(s, ws, people[owners[i % len(owners)].chat_user_id], at, tz=TZ), t.id,
                               rnd.choice((10, 20, 30, 50)), "推进中")
    _mark_history_sent(engine, before=datetime.combine(start, time(0), tzinfo=TZ))
    return {"leaders_in_charge": ["fu1", "fu2"], "chiefs": ["ting"]}


def _mark_history_sent(engine: Engine, *, before: datetime) -> None:
    """What setting up wrote (assignments, announcements) counts as delivered before the fortnight."""
    from sqlalchemy import update

    with session_scope(engine) as s:
        s.execute(update(Outbox).where(Outbox.created_at < before, Outbox.status.in_(("pending", "held")))
                  .values(status="sent", sent_at=Outbox.created_at))


# ---------------------------------------------------------------- people acting


def act(engine: Engine, team: str, day: date, offset: int) -> list[str]:
    """What people do between runs on the ``offset``-th day: a few progress reports (30 % on an
    overdue task too), the owners of two overdue tasks say 收到, the lead approves an extension."""
    done: list[str] = []
    with session_scope(engine) as s:
        ws = s.exec(select(Workspace).where(Workspace.team_id == team)).one()
        at = datetime.combine(day, time(11), tzinfo=TZ)
        live = s.exec(select(Task).where(Task.workspace_id == ws.id, Task.status.in_(("todo", "active", "blocked")))
                      .order_by(Task.id)).all()
        overdue = [t for t in live if t.due < day]
        lead = s.exec(select(Person).where(Person.workspace_id == ws.id, Person.id == _lead_id(s, ws))).one()
        if offset == 1 and overdue:
            t = overdue[0]
            tasks.progress(Ctx(s, ws, s.get(Person, t.owner_id), at, tz=TZ), t.id, 30, "部分完成")
            done.append(f"{day} #{t.id} owner reports 30% (overdue)")
        if offset in (2, 6):
            for t in overdue[1:3]:
                try:
                    tasks.acknowledge(Ctx(s, ws, s.get(Person, t.owner_id), at, tz=TZ), t.id)
                    done.append(f"{day} #{t.id} owner says 收到")
                except Exception as exc:
                    done.append(f"{day} #{t.id} 收到 refused: {type(exc).__name__}")
        if offset == 3 and len(overdue) > 3:
            t = overdue[3]
            owner = s.get(Person, t.owner_id)
            c = Ctx(s, ws, owner, at, tz=TZ)
            tasks.request_extension(c, t.id, c.calendar.add_working_days(day, 10), "等待外部接口")
            tasks.decide_extension(Ctx(s, ws, lead, at + timedelta(hours=1), tz=TZ), t.id, approve=True)
            done.append(f"{day} #{t.id} extension approved by the lead")
        for t in live[offset::17][:3]:
            if t.due >= day:
                tasks.progress(Ctx(s, ws, s.get(Person, t.owner_id), at, tz=TZ), t.id, min(100, t.progress + 20), "")
    return done


def _lead_id(s: Session, ws: Workspace) -> int:
    from models.tables import ForceMember, TaskForce

    return s.exec(select(ForceMember.person_id).join(TaskForce, TaskForce.id == ForceMember.force_id)
                  .where(TaskForce.workspace_id == ws.id, ForceMember.is_lead == True)).first()  # noqa: E712


# ---------------------------------------------------------------- the fortnight


def fortnight(engine: Engine, *, start: date, days: int, team: str) -> tuple[Sink, list[str]]:
    sink = Sink()
    story: list[str] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        for i, moment in enumerate(RUNS):
            now = datetime.combine(day, moment, tzinfo=TZ)
            sink.now = now
            run_job("all", engine, sink, now=now, tz=TZ, sleep=lambda _: None)
            if i == 0:
                story += act(engine, team, day, offset)
    return sink, story


def report(engine: Engine, sink: Sink, *, team: str, roles: dict[str, list[str]], quiet: bool = False) -> dict:
    """Prints each person's mornings, returns the checks."""
    with Session(engine) as s:
        ws = s.exec(select(Workspace).where(Workspace.team_id == team)).one()
        everyone = s.exec(select(Person).where(Person.workspace_id == ws.id)).all()
        names = {p.chat_user_id: p.name for p in everyone}
        ids = {p.chat_user_id: p.id for p in everyone}
    mine = [x for x in sink.got if x.recipient in names]
    by_day: dict[date, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for x in mine:
        by_day[x.at.astimezone(TZ).date()][x.recipient].append(x.text)
    if not quiet:
        for day in sorted(by_day):
            print(f"\n== {day} ({'一二三四五六日'[day.weekday()]})")
            for who, texts in sorted(by_day[day].items()):
                kinds = ", ".join(_first_line(t) for t in texts)
                print(f"  {names[who]:<8} {len(texts):>2} msg  {kinds[:150]}")
    with Session(engine) as s:
        sent = s.exec(select(Outbox, Task.priority).outerjoin(Task, Task.id == Outbox.task_id)
                      .where(Outbox.workspace_id == ws.id, Outbox.status == "sent",
                             Outbox.sent_at >= mine[0].at if mine else Outbox.sent_at.is_not(None))).all()
        steps = s.exec(select(EscalationStep).where(EscalationStep.workspace_id == ws.id)).all()
    night = [o for o, prio in sent if not 8 <= o.sent_at.astimezone(TZ).hour < 20 and prio != "high"]
    briefs = Counter((x.at.astimezone(TZ).date(), x.recipient) for x in mine if "督办晨报" in x.text)
    cid = {p_id: c for c, p_id in ids.items()}
    duban = {cid[p] for st in steps if st.level == 2 for p in st.recipients or []}
    tongbao = {cid[p] for st in steps if st.level == 3 for p in st.recipients or []}
    checks = {
        "messages": len(mine),
        "people": len({x.recipient for x in mine}),
        "max_per_person_day": max((len(v) for d in by_day.values() for v in d.values()), default=0),
        "non_urgent_at_night": len(night),
        "max_briefings_per_person_morning": max(briefs.values(), default=0),
        "duban_to": sorted(duban),
        "tongbao_to": sorted(tongbao),
        "duban_only_to_leaders_in_charge": duban <= set(roles["leaders_in_charge"]),
        "tongbao_only_to_chiefs": tongbao <= set(roles["chiefs"]),
    }
    return checks


def _first_line(text: str) -> str:
    head = text.split("\n")[0]
    return head if len(head) <= 40 else head[:39] + "…"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.fortnight")
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--start", default="2026-12-07", help="a Monday (default 2026-12-07)")
    p.add_argument("--days", type=int, default=14)
    p.add_argument("--tasks", type=int, default=150)
    p.add_argument("--quiet", action="store_true", help="only the checks")
    args = p.parse_args(argv)
    start = date.fromisoformat(args.start)
    ok = True
    for which in ("demo", "chain"):
        with fresh_db(args.db) as url:
            engine = make_engine(url)
            upgrade(engine)
            if which == "demo":
                seed_demo(engine, tz=TZ, now=datetime.combine(start, time(8), tzinfo=TZ))
                _mark_history_sent(engine, before=datetime.combine(start, time(8, 1), tzinfo=TZ))
                team, roles = "T-CONSOLE", {"leaders_in_charge": ["wanghua"], "chiefs": ["chenjun"]}
            else:
                roles = seed_chain_force(engine, start=start, n_tasks=args.tasks)
                team = "T-CHAIN"
            sink, story = fortnight(engine, start=start, days=args.days, team=team)
            print(f"\n######## {which}: {args.days} days from {start}, `jobs run all` at 09:00, 14:00, 22:30")
            for line in story:
                print("  (acted)", line)
            checks = report(engine, sink, team=team, roles=roles, quiet=args.quiet)
            print(f"\n{which} checks: {checks}")
            ok &= (checks["non_urgent_at_night"] == 0 and checks["max_briefings_per_person_morning"] <= 1
                   and checks["duban_only_to_leaders_in_charge"] and checks["tongbao_only_to_chiefs"])
            engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
