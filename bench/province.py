"""A province-sized dataset for the benchmarks: ``seed(engine, tasks=…, today=…)``.

What it loads, into an empty database (ids assigned here, sequences moved past them after):

* one workspace; a 3-level tree of ~100 departments: 省厅 → 处室 and 市局 → 科, each with a head;
* ~20,000 people with ``reports_to`` chains 科员 → 处长 → 副厅长 → 厅长 (科长 → 处长 too), roles as
  ``models`` stores them (RoleGrant rows: ``leader`` for 厅长 and 副厅长, ``lead`` for task-force
  leads, ``admin`` for two office staff; everyone else a plain member);
* ~1,000 task forces with realistic policy overrides, a lead (sometimes two) and members;
* tasks spread over the forces Zipf-like (a few forces hold thousands, the tail a few hundred at
  1M), owners from the force's members, co-owners, time nodes, progress notes over past weeks,
  extension requests, and every light: grey (not started, cancelled), green (on track, done,
  done_requested), yellow (due soon, silent, behind, blocked), red (overdue deadline or node);
* the history the sweeps would have left: the reminder steps and nudges already taken (SweepLog
  with their sent outbox rows), a 督办 episode for every red task at the level its ladder has
  reached (some paused by 收到), closed episodes of done tasks, numbered notices and counters;
* exactly ``due_each`` items due now for each sweep: reminders (a deadline 3 working days ahead),
  silent tasks (a nudge due) and overdue tasks (督办 level 0 due), nothing else due.

PostgreSQL is loaded with COPY, SQLite with multi-row inserts, in batches; ``ANALYZE`` at the end.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel, col

from models import markers
from models.calendar import WorkCalendar
from models.escalation import SERIES
from models.policy import Policy, effective
from models.tables import (
    Department,
    EscalationState,
    EscalationStep,
    ExtensionRequest,
    ForceMember,
    NoticeCounter,
    Outbox,
    Person,
    ProgressUpdate,
    RoleGrant,
    SweepLog,
    Task,
    TaskCoOwner,
    TaskForce,
    TimeNode,
    Workspace,
)
from models.timing import (
    at_hour,
    due_reminder,
    entry_delays,
    level_moments,
    paused_moments,
    reminder_horizon,
    resume_moment,
    silence_cutoff,
)

TZ = ZoneInfo("Asia/Shanghai")
BATCH = 10_000
TEAM = "T-PROVINCE"

CITIES = ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水"]
OFFICES = ["办公室", "政策法规处", "规划处", "财务处", "人事处", "数据资源处", "督查处", "信息中心"]
SECTIONS = ["综合科", "业务一科", "业务二科", "数据科", "督办科", "法规科"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉力斌宇浩凯晨欣怡雪琳婷晶鹏飞龙海波宁嘉俊峰亮"
TOPICS = ["数字化改革", "营商环境", "共同富裕", "乡村振兴", "安全生产", "生态环保", "招商引资", "民生实事",
          "亚运保障", "山区海岛", "基层治理", "重大项目", "数据共享", "放管服", "文明城市", "疫后恢复"]
# Task forces' stored overrides (most keep the defaults; the due items live in those).
POLICIES: list[tuple[dict, int]] = [
    ({}, 70),
    ({"stale_days": 7}, 10),
    ({"remind_days": [5, 1]}, 8),
    ({"escalate": [0, 1, 2, 3]}, 6),
    ({"yellow_days": 5, "lag_pct": 30}, 6),
]
# Share of the ordinary tasks in each state (per cent).
STATES: list[tuple[str, int]] = [
    ("done", 24), ("cancelled", 4), ("done_requested", 4), ("grey", 8), ("green", 33), ("soon", 3),
    ("silent", 6), ("behind", 5), ("blocked", 3), ("extension", 2), ("red", 6), ("red_node", 2),
]


@dataclass
class Province:
    """The ids the suites need."""

    workspace_id: int
    team_id: str
    today: date
    now: datetime  # when exactly ``due_each`` items are due for each sweep (09:00 of ``today``)
    tasks: int
    departments: dict[int, list[int]]  # level (1, 2, 3) → department ids
    people: int
    chief_id: int  # 厅长
    leader_ids: list[int]  # 厅长 and 副厅长 (role leader)
    admin_id: int
    force_ids: list[int]
    default_force_ids: list[int]  # forces keeping the default policy
    force_sizes: dict[int, int]  # force id → tasks
    map_force_id: int  # the force whose size is nearest 300 tasks
    map_force_lead: str  # its lead's chat user id
    member_user: str  # a member's chat user id, with live tasks of their own (for /task list, /task progress)
    member_task_id: int  # one of that member's live tasks
    due_reminders: list[int] = field(default_factory=list)
    due_silent: list[int] = field(default_factory=list)
    due_overdue: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # rows per table, tasks per state
    seconds: float = 0.0


class _Loader:
    """Bulk rows into tables: COPY on PostgreSQL, multi-row inserts elsewhere; ids are ours."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.pending: dict[Any, list[dict]] = {}
        self.counts: dict[str, int] = {}
        self.next_id: dict[str, int] = {}

    def new_id(self, model: Any) -> int:
        name = _NAMES.get(model) or _NAMES.setdefault(model, model.__table__.name)
        if name not in self.next_id:
            self.next_id[name] = (self.conn.execute(select(func.max(model.id))).scalar() or 0) + 1
        self.next_id[name] += 1
        return self.next_id[name] - 1

    def add(self, model: Any, row: dict) -> None:
        rows = self.pending.setdefault(model, [])
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        # Parents before children, whatever order the rows came in.
        for model, rows in sorted(self.pending.items(), key=lambda kv: _ORDER[kv[0].__table__.name]):
            if rows:
                self._write(model, rows)
        self.pending = {m: [] for m in self.pending}

    def _write(self, model: Any, rows: list[dict]) -> None:
        table = model.__table__
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        if not self.pg:
            self.conn.execute(insert(table), rows)
            return
        cols = list(rows[0])
        as_json = {c for c in cols if isinstance(table.c[c].type, JSON)}
        names = ", ".join(f'"{c}"' for c in cols)
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for r in rows:
                copy.write_row([json.dumps(r[c], ensure_ascii=False) if c in as_json and r[c] is not None else r[c]
                                for c in cols])
        cursor.close()

    def finish(self) -> None:
        self.flush()
        if self.pg:
            for name in self.next_id:
                self.conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), (SELECT max(id) FROM \"{name}\"))"))


_NAMES: dict[Any, str] = {}
_ORDER = {t.name: i for i, t in enumerate(SQLModel.metadata.sorted_tables)}


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _weighted(rng: random.Random, options: list[tuple[Any, int]]) -> Any:
    names, cum = _CUM.get(id(options)) or _CUM.setdefault(
        id(options), ([o for o, _ in options], list(_accumulate(w for _, w in options))))
    return names[_bisect(cum, rng.random() * cum[-1])]


_CUM: dict[int, tuple[list, list[float]]] = {}


def _ts(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, dtime(hour, minute), tzinfo=TZ)


def seed(engine: Engine, *, tasks: int, today: date, rng_seed: int = 1, people: int = 20_000, forces: int = 1_000,
         due_each: int = 1_000, team: str = TEAM) -> Province:
    """Loads the province into an empty, migrated database at ``engine`` (see the module's docstring)."""
    import time

    started = time.perf_counter()
    rng = random.Random(rng_seed)
    cal = WorkCalendar()
    now = at_hour(today, 9, TZ)
    created0 = now - timedelta(days=400)
    due_each = min(due_each, max(0, tasks // 6))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # The rows are consistent by construction: skip the per-row foreign-key triggers while
            # loading (a superuser setting; without it the load is only slower).
            try:
                with conn.begin_nested():
                    conn.execute(text("SET LOCAL session_replication_role = replica"))
            except DBAPIError:
                pass
        L = _Loader(conn)
        ws = L.new_id(Workspace)
        L.add(Workspace, dict(id=ws, team_id=team, name="浙江省", created_at=created0))
        L.flush()

        # ---- departments: 省厅 → 处室 / 市局 → 科
        def dept(name: str, parent: int | None) -> int:
            i = L.new_id(Department)
            L.add(Department, dict(id=i, workspace_id=ws, name=name, parent_id=parent, head_id=None,
                                   created_at=created0))
            return i

        root = dept("浙江省大数据发展管理局", None)
        level2 = [dept(n, root) for n in OFFICES] + [dept(f"{c}市数据局", root) for c in CITIES]
        level3: list[int] = []
        parent_of: dict[int, int] = {}
        names2 = OFFICES + [f"{c}市数据局" for c in CITIES]
        for k, d2 in enumerate(level2):
            for s in SECTIONS[: 4 + (k % 2)]:
                d3 = dept(f"{names2[k]}{s}", d2)
                level3.append(d3)
                parent_of[d3] = d2
        L.flush()

        # ---- people and the leader chains
        pids: list[int] = []
        info: dict[int, tuple[str, int]] = {}  # person → (chat user id, department)

        def person(position: str, dept_id: int, reports_to: int | None) -> int:
            i = L.new_id(Person)
            user = f"U{i:07d}"
            L.add(Person, dict(id=i, workspace_id=ws, chat_user_id=user, name=_name(rng), department_id=dept_id,
                               reports_to_id=reports_to, lang="en" if rng.random() < 0.03 else None, tz=None,
                               created_at=created0, email=f"{user.lower()}@zj.gov.cn", position=position))
            pids.append(i)
            info[i] = (user, dept_id)
            return i

        chief = person("厅长", root, None)
        deputies = [person("副厅长", root, chief) for _ in range(5)]
        admins = [person("办公室主任科员", root, deputies[0]) for _ in range(2)]
        heads: dict[int, int] = {root: chief}
        for k, d2 in enumerate(level2):
            heads[d2] = person("处长" if k < len(OFFICES) else "局长", d2, deputies[k % len(deputies)])
        for d3 in level3:
            heads[d3] = person("科长", d3, heads[parent_of[d3]])
        staff_total = max(0, people - len(pids))
        senior: list[int] = [heads[d] for d in level2 + level3]
        for n in range(staff_total):
            d3 = level3[n % len(level3)]
            p = person("副科长" if n % 25 == 0 else "科员", d3, heads[parent_of[d3]])
            if n % 25 == 0:
                senior.append(p)
        L.flush()
        for d, h in heads.items():
            conn.execute(update(Department).where(col(Department.id) == d).values(head_id=h))
        for p in [chief, *deputies]:
            L.add(RoleGrant, dict(id=L.new_id(RoleGrant), workspace_id=ws, person_id=p, role="leader",
                                  created_at=created0))
        for p in admins:
            L.add(RoleGrant, dict(id=L.new_id(RoleGrant), workspace_id=ws, person_id=p, role="admin",
                                  created_at=created0))

        # ---- task forces, Zipf-like sizes, members
        weights = [1 / (r + 20) for r in range(forces)]
        total_w = sum(weights)
        sizes_f = [tasks * w / total_w for w in weights]
        staff = pids[len(pids) - staff_total:] if staff_total else pids
        force_ids, default_forces, policy_of = [], [], {}
        members: dict[int, list[int]] = {}
        leads: dict[int, list[int]] = {}
        lead_people: set[int] = set()
        for r in range(forces):
            f = L.new_id(TaskForce)
            overrides = _weighted(rng, POLICIES) if r else {}
            lead = [rng.choice(senior)] + ([rng.choice(senior)] if rng.random() < 0.15 else [])
            lead = list(dict.fromkeys(lead))
            L.add(TaskForce, dict(id=f, workspace_id=ws, name=f"{TOPICS[r % len(TOPICS)]}专班{r + 1:04d}",
                                  channel_id=f"C{f:07d}", status="open", policy=overrides, created_by_id=lead[0],
                                  created_at=created0 + timedelta(days=rng.randint(0, 200)), closed_at=None))
            force_ids.append(f)
            policy_of[f] = effective(overrides)
            if not overrides:
                default_forces.append(f)
            size = int(min(80, 6 + sizes_f[r] / 15))
            ms = list(dict.fromkeys(rng.sample(staff, min(size, len(staff)))))
            ms = [m for m in ms if m not in lead]
            members[f], leads[f] = ms, lead
            lead_people.update(lead)
            for p in lead:
                L.add(ForceMember, dict(id=L.new_id(ForceMember), force_id=f, person_id=p, department_id=info[p][1],
                                        is_lead=True, joined_at=created0))
            for p in ms:
                L.add(ForceMember, dict(id=L.new_id(ForceMember), force_id=f, person_id=p, department_id=info[p][1],
                                        is_lead=False, joined_at=created0))
        for p in sorted(lead_people):
            L.add(RoleGrant, dict(id=L.new_id(RoleGrant), workspace_id=ws, person_id=p, role="lead",
                                  created_at=created0))
        L.flush()

        # ---- tasks
        ctx = _Ctx(L, rng, cal, now, today, ws, info, policy_of, members, leads, deputies, chief)
        cum = list(_accumulate(weights))
        sizes: dict[int, int] = dict.fromkeys(force_ids, 0)
        member_user, member_task = "", 0
        for i in range(tasks):
            if i < 3 * due_each:
                f = default_forces[i % len(default_forces)]
                kind = ("due_remind", "due_silent", "due_overdue")[i // due_each] if due_each else "green"
            else:
                f = force_ids[_bisect(cum, rng.random() * cum[-1])]
                kind = _weighted(rng, STATES)
            sizes[f] += 1
            tid, owner, live = ctx.task(f, kind)
            if kind == "due_remind":
                ctx.due["reminders"].append(tid)
            elif kind == "due_silent":
                ctx.due["silent"].append(tid)
            elif kind == "due_overdue":
                ctx.due["overdue"].append(tid)
            elif kind == "green" and not member_task and live:
                member_user, member_task = info[owner][0], tid
        ctx.finish_counters()
        L.finish()
    with engine.begin() as conn:
        markers.refresh(conn)  # what the history above took, on the rows (models/markers.py)
    analyze(engine)
    map_force = min(force_ids, key=lambda f: (abs(sizes[f] - 300), f))
    counts = {**L.counts, **{f"state:{k}": v for k, v in sorted(ctx.states.items())}}
    return Province(
        workspace_id=ws, team_id=team, today=today, now=now, tasks=tasks,
        departments={1: [root], 2: level2, 3: level3}, people=len(pids), chief_id=chief,
        leader_ids=[chief, *deputies], admin_id=admins[0], force_ids=force_ids, default_force_ids=default_forces,
        force_sizes=sizes, map_force_id=map_force, map_force_lead=info[leads[map_force][0]][0],
        member_user=member_user, member_task_id=member_task, due_reminders=ctx.due["reminders"],
        due_silent=ctx.due["silent"], due_overdue=ctx.due["overdue"], counts=counts,
        seconds=time.perf_counter() - started)


def _accumulate(ws: Iterable[float]) -> Iterable[float]:
    total = 0.0
    for w in ws:
        total += w
        yield total


def _bisect(cum: list[float], x: float) -> int:
    import bisect

    return min(len(cum) - 1, bisect.bisect_right(cum, x))


def analyze(engine: Engine) -> None:
    """Fresh statistics, and (PostgreSQL) the visibility map set, as autovacuum keeps it on a live database:
    without it the sweeps' index-only scans would visit the heap of a freshly loaded table."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # This schema's tables (search_path), not the whole database's.
            conn.execute(text("VACUUM ANALYZE task, timenode, sweeplog, escalationstate, escalationstep, outbox"))
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


class _Ctx:
    """Builds one task and everything hanging off it."""

    def __init__(self, L: _Loader, rng: random.Random, cal: WorkCalendar, now: datetime, today: date, ws: int,
                 info: dict[int, tuple[str, int]], policy_of: dict[int, Policy], members: dict[int, list[int]],
                 leads: dict[int, list[int]], deputies: list[int], chief: int) -> None:
        self.L, self.rng, self.cal, self.now, self.today, self.ws = L, rng, cal, now, today, ws
        self.info, self.policy_of, self.members, self.leads = info, policy_of, members, leads
        self.deputies, self.chief = deputies, chief
        self.due: dict[str, list[int]] = {"reminders": [], "silent": [], "overdue": []}
        self.states: dict[str, int] = {}
        self.counters: dict[tuple[str, int], int] = {}
        self.cutoff = {s: silence_cutoff(now, tz=TZ, calendar=cal, stale_days=s) for s in range(1, 61)}
        self.horizon = {d: reminder_horizon(today, calendar=cal, max_days=d) for d in range(61)}
        self.recent_from = self.cutoff[5] + timedelta(hours=1)  # a report after this is not a silence anywhere
        self.wd = {n: cal.add_working_days(today, n) for n in range(-130, 131)}

    # -------------------------------------------------------------- the task
    def task(self, f: int, kind: str) -> tuple[int, int, bool]:
        rng, today, now, L = self.rng, self.today, self.now, self.L
        self.states[kind] = self.states.get(kind, 0) + 1
        policy = self.policy_of[f]
        pool = self.members[f] or self.leads[f]
        owner = rng.choice(pool)
        tid = L.new_id(Task)
        lead = self.leads[f][0]
        start = today - timedelta(days=rng.randint(10, 120))
        created = _ts(start - timedelta(days=rng.randint(0, 10)), rng.randint(8, 17), rng.randint(0, 59))
        status, progress, due, last, blocked, done_req, done_at, verified, cancelled = (
            "active", 0, today + timedelta(days=rng.randint(20, 300)), None, None, None, None, None, None)
        priority = "high" if rng.random() < 0.05 and not kind.startswith("due_") else "normal"
        reported = True
        if kind == "due_remind":
            due, last = self.wd[3], self._recent()
        elif kind == "due_silent":
            due, last = today + timedelta(days=60), now - timedelta(days=10)
        elif kind == "due_overdue":
            due, last = self.wd[-1], self._recent()
        elif kind == "done":
            due = today - timedelta(days=rng.randint(1, 365))
            start = min(start, due - timedelta(days=20))
            created = min(created, _ts(start))
            done_at = _ts(due - timedelta(days=rng.randint(0, 10)), 16)
            status, progress, last, verified = "done", 100, done_at, lead
        elif kind == "cancelled":
            status, cancelled, last = "cancelled", "任务调整，不再推进", None
            due = today + timedelta(days=rng.randint(-60, 120))
            reported = False
        elif kind == "done_requested":
            due = today + timedelta(days=rng.randint(-20, 20))
            status, progress, last = "done_requested", 100, self._recent()
            done_req = last
        elif kind == "grey":
            start = today + timedelta(days=rng.randint(1, 60))
            due = start + timedelta(days=rng.randint(30, 200))
            created = _ts(today - timedelta(days=rng.randint(1, 30)))
            status, reported = "todo", False
        elif kind == "soon":
            due = self.wd[rng.randint(0, policy.yellow_days)]
            last = self._recent()
        elif kind == "silent":
            if rng.random() < 0.2:
                reported, last = False, None
                created = _ts(today - timedelta(days=rng.randint(20, 60)))
                start = created.date()
            else:
                last = now - timedelta(days=rng.randint(9, 60), hours=rng.randint(0, 12))
        elif kind == "blocked":
            status, blocked, last = "blocked", "等待省级部门数据接口开放", self._recent()
        elif kind == "extension":
            due, last = today + timedelta(days=rng.randint(5, 30)), self._recent()
        elif kind in ("green", "behind", "red_node"):
            last = self._recent()
        elif kind == "red":
            due = self.wd[-rng.randint(2, 80)]
            start = min(start, due - timedelta(days=20))
            status = "blocked" if rng.random() < 0.15 else "active"
            blocked = "跨部门协调未果" if status == "blocked" else None
            last = now - timedelta(days=rng.randint(1, 30)) if rng.random() < 0.7 else self._recent()
        if status in ("active", "blocked") and kind not in ("behind",):
            total = max(1, (due - start).days)
            expected = max(0, min(100, round(100 * (today - start).days / total)))
            progress = max(0, min(95, expected + rng.randint(-10, 5)))
        if kind == "behind":
            total = max(1, (due - start).days)
            expected = max(0, min(100, round(100 * (today - start).days / total)))
            progress = max(0, expected - rng.randint(25, 50))
        if kind == "red":
            progress = rng.randint(20, 80)
        if kind == "grey":
            progress = 0
        created = min(created, last) if last else created
        live = status in ("todo", "active", "blocked", "done_requested")
        self.L.add(Task, dict(
            id=tid, workspace_id=self.ws, force_id=f, parent_id=None, title=f"{self._title(rng)}（{tid}）",
            description="按专班部署推进，按时报送进展。" if rng.random() < 0.5 else "", owner_id=owner,
            department_id=self.info[owner][1], priority=priority, status=status, progress=progress,
            start_date=start, baseline_due=due - timedelta(days=rng.choice((0, 0, 0, 7, 14))) if kind == "extension"
            else due, due=due, blocked_reason=blocked, created_by_id=lead, created_at=created,
            updated_at=last or created, last_progress_at=last, done_requested_at=done_req, done_at=done_at,
            verified_by_id=verified, cancelled_reason=cancelled))
        co = []
        if rng.random() < 0.15 and not kind.startswith("due_") and len(pool) > 1:
            co = [p for p in rng.sample(pool, min(len(pool), rng.randint(1, 2))) if p != owner]
            for p in co:
                self.L.add(TaskCoOwner, dict(id=self.L.new_id(TaskCoOwner), task_id=tid, person_id=p))
        if reported and last is not None:
            self._progress(tid, owner, last, progress, start)
        if kind == "extension":
            self.L.add(ExtensionRequest, dict(
                id=self.L.new_id(ExtensionRequest), task_id=tid, requested_by_id=owner, old_due=due,
                new_due=due + timedelta(days=rng.choice((7, 14, 30))), reason="上级要求补充材料，需延后",
                status="pending", decided_by_id=None, decision_reason=None, created_at=self._recent(), decided_at=None))
        nodes = self._nodes(tid, f, kind, start, due, created) if not kind.startswith("due_") else []
        open_ = status in ("todo", "active", "blocked")
        # The history the sweeps left: reminder steps already taken, nudges for silences, 督办 episodes.
        if open_ or status == "done_requested":
            self._reminded(tid, owner, co, f, "deadline", due, created, priority, kind == "due_remind",
                           skip=status == "done_requested")
        if open_:
            for node_id, node_due in nodes:
                self._reminded(tid, owner, co, f, f"node:{node_id}", node_due, created, priority, False)
            silent_since = last or created
            if (start <= self.today and due >= self.today and silent_since < self.cutoff[policy.stale_days]
                    and kind != "due_silent"):
                self._nudged(tid, owner, silent_since)
        if kind == "red":
            self._episode(tid, owner, co, f, None, due, last, priority, policy)
        if kind == "red_node" and nodes:
            past = [(n, d) for n, d in nodes if d < self.today]
            for node_id, node_due in past:
                self._episode(tid, owner, co, f, node_id, node_due, last, priority, policy)
        if kind == "done" and rng.random() < 0.1:
            self._closed_episode(tid, owner, due, done_at or now, policy)
        return tid, owner, live and kind == "green"

    def _recent(self) -> datetime:
        span = (self.now - self.recent_from).total_seconds()
        return self.recent_from + timedelta(seconds=self.rng.uniform(0, max(60.0, span - 3600)))

    @staticmethod
    def _title(rng: random.Random) -> str:
        verb = rng.choice(["完成", "推进", "制定", "落实", "开展", "建设", "编制", "督促"])
        obj = rng.choice(["数据归集", "平台上线", "实施方案", "专项整治", "政策文件", "试点评估", "年度考核", "系统对接"])
        return verb + obj

    def _progress(self, tid: int, person: int, last: datetime, progress: int, start: date) -> None:
        n = self.rng.choice((1, 1, 2, 2, 3, 4))
        for k in range(n):
            at = last - timedelta(days=7 * k)
            if at.date() < start:
                break
            pct = max(0, progress - 10 * k)
            self.L.add(ProgressUpdate, dict(id=self.L.new_id(ProgressUpdate), task_id=tid, person_id=person,
                                            percent=pct, note=f"已完成{pct}%，按计划推进" if k == 0 else "阶段性进展",
                                            created_at=at))

    def _nodes(self, tid: int, force: int, kind: str, start: date, due: date,
               created: datetime) -> list[tuple[int, date]]:
        """1–3 time nodes for some tasks: past ones done (an overdue one left open for red_node)."""
        rng = self.rng
        if kind == "red_node":
            count = rng.randint(1, 2)
        elif kind in ("grey", "cancelled") or rng.random() > 0.3:
            return []
        else:
            count = rng.randint(1, 3)
        span = max(2, (due - start).days)
        out: list[tuple[int, date]] = []
        open_nodes: list[tuple[int, date]] = []
        for no in range(1, count + 1):
            day = start + timedelta(days=span * no // (count + 1))
            if kind == "red_node" and no == 1:
                day = self.wd[-rng.randint(2, 30)]
            done_at = None
            if kind == "done" or (day < self.today and not (kind == "red_node" and no == 1)):
                done_at = _ts(min(day, self.today - timedelta(days=1)), 15)
            elif kind == "red" and day < self.today:
                done_at = _ts(day, 15)
            node_id = self.L.new_id(TimeNode)
            self.L.add(TimeNode, dict(id=node_id, task_id=tid, no=no, name=f"节点{no}：阶段成果报送", due=day,
                                      done_at=done_at, created_at=created, force_id=force))
            out.append((node_id, day))
            if done_at is None:
                open_nodes.append((node_id, day))
        return open_nodes

    def _sent(self, key: str, person: int, kind: str, text_: str, tid: int, at: datetime) -> None:
        self.L.add(Outbox, dict(
            id=self.L.new_id(Outbox), workspace_id=self.ws, idempotency_key=key, recipient=self.info[person][0],
            person_id=person, kind=kind, text=text_, blocks=None, task_id=tid, status="sent", attempts=1,
            next_attempt_at=at, claimed_until=None, claimed_by=None, last_error=None, created_at=at,
            sent_at=at + timedelta(seconds=2), chat_ts=f"{at.timestamp():.6f}", brief=None, merged_into=None))

    def _reminded(self, tid: int, owner: int, co: list[int], f: int, target: str, due: date, since: datetime,
                  priority: str, intended: bool, skip: bool = False) -> None:
        """Logs the reminder step due now for this deadline or node, as the sweep would have taken it,
        unless it is one of the items meant to be due."""
        policy = self.policy_of[f]
        if skip or intended or due < self.today or due > self.horizon[max(policy.remind_days, default=0)]:
            return
        step = due_reminder(due, since=since, now=self.now, tz=TZ, calendar=self.cal, policy=policy,
                            high=priority == "high")
        if step is None:
            return
        self.L.add(SweepLog, dict(id=self.L.new_id(SweepLog), workspace_id=self.ws, task_id=tid, kind="remind",
                                  target=target, due=due, step=step.days, created_at=step.at))
        for p in [owner, *co]:
            self._sent(f"remind:{tid}:{target}:{due}:{step.days}:{p}", p, "reminder",
                       f"提醒：任务 #{tid} 将于 {due} 到期", tid, step.at)

    def _nudged(self, tid: int, owner: int, silent_since: datetime) -> None:
        at = min(self.now - timedelta(hours=1), silent_since + timedelta(days=7))
        self.L.add(SweepLog, dict(id=self.L.new_id(SweepLog), workspace_id=self.ws, task_id=tid, kind="nudge",
                                  target="silence", due=silent_since.astimezone(TZ).date(), step=0, created_at=at))
        self._sent(f"nudge:{tid}:{silent_since.isoformat()}", owner, "nudge", f"任务 #{tid} 已多日未报送进展", tid, at)

    def _number(self, series: str, year: int) -> int:
        self.counters[(series, year)] = self.counters.get((series, year), 0) + 1
        return self.counters[(series, year)]

    def _episode(self, tid: int, owner: int, co: list[int], f: int, node_id: int | None, due: date,
                 last: datetime | None, priority: str, policy: Policy) -> None:
        """An open 督办 episode caught up to now: every level whose moment passed has fired."""
        rng = self.rng
        entry = policy.urgent_entry if priority == "high" else 0
        moments = level_moments(due, entry_delays(policy.escalate, entry), remind_hour=policy.remind_hour, tz=TZ,
                                calendar=self.cal)
        fired = max((i for i, m in enumerate(moments) if m <= self.now), default=-1)
        acked_by = acked_at = paused = None
        schedule = list(moments)
        if fired >= 0 and fired + 1 < len(moments) and rng.random() < 0.2:
            acked_at = self.now - timedelta(hours=rng.randint(1, 20))
            resume = resume_moment(acked_at, policy.ack_pause_days, remind_hour=policy.remind_hour, tz=TZ,
                                   calendar=self.cal)
            if resume > self.now:
                acked_by, paused = owner, resume
                schedule = paused_moments(moments, fired, resume, tz=TZ, calendar=self.cal)
            else:
                acked_at = None
        nxt = schedule[fired + 1] if fired + 1 < len(schedule) else None
        sid = self.L.new_id(EscalationState)
        target = "deadline" if node_id is None else f"node:{node_id}"
        self.L.add(EscalationState, dict(
            id=sid, workspace_id=self.ws, task_id=tid, episode=1, target=target, node_id=node_id, due=due, anchor=due,
            policy=policy.model_dump(), progress_seen=last, level=fired, next_at=nxt,
            schedule=[m.isoformat() for m in schedule], paused_until=paused, status="open", acked_by_id=acked_by,
            acked_at=acked_at, created_at=moments[0] if moments else self.now, closed_at=None, close_reason=None))
        deputy = self.deputies[owner % len(self.deputies)]
        for level in range(fired + 1):
            who = {0: [owner, *co], 1: [p for p in self.leads[f] if p != owner], 2: [deputy], 3: [self.chief]}[level]
            at = moments[level]
            series = SERIES[level]
            no = self._number(series, at.astimezone(TZ).year)
            self.L.add(EscalationStep, dict(id=self.L.new_id(EscalationStep), workspace_id=self.ws, state_id=sid,
                                            task_id=tid, level=level, series=series, year=at.astimezone(TZ).year,
                                            no=no, recipients=who, created_at=at))
            for p in who:
                self._sent(f"esc:{tid}:1:{level}:{p}", p, "escalation", f"督办：任务 #{tid} 已逾期（{series} {no}号）",
                           tid, at)

    def _closed_episode(self, tid: int, owner: int, due: date, done_at: datetime, policy: Policy) -> None:
        moments = level_moments(due, policy.escalate, remind_hour=policy.remind_hour, tz=TZ, calendar=self.cal)
        self.L.add(EscalationState, dict(
            id=self.L.new_id(EscalationState), workspace_id=self.ws, task_id=tid, episode=1, target="deadline",
            node_id=None, due=due, anchor=due, policy=policy.model_dump(), progress_seen=None, level=0, next_at=None,
            schedule=[m.isoformat() for m in moments], paused_until=None, status="closed", acked_by_id=None,
            acked_at=None, created_at=moments[0] if moments else done_at, closed_at=max(done_at, moments[0])
            if moments else done_at, close_reason="closed"))
        del owner

    def finish_counters(self) -> None:
        for (series, year), last in sorted(self.counters.items()):
            self.L.add(NoticeCounter, dict(id=self.L.new_id(NoticeCounter), workspace_id=self.ws, series=series,
                                           year=year, last_no=last))


# ---------------------------------------------------------------- the "province" suite


def run(*, tasks: int, db_url: str, province: Province) -> list[dict]:
    """On a copy of the seeded province: its shape, the three sweeps over realistic data (each with
    ``due_each`` due, alone and in a row), ``/task list`` through the Service, the war map of the
    force nearest 300 tasks."""
    import statistics
    import time

    from bot.dispatch import Caller, Service
    from jobs.sweeps import sweep_escalations, sweep_nudges, sweep_reminders
    from models.db import make_engine

    engine = make_engine(db_url)
    rows: list[dict] = []
    try:
        rows.append({"name": "province: seed time", "key": "seed_s", "value": round(province.seconds, 1), "unit": "s",
                     "note": f"{province.tasks:,} tasks, {province.people:,} people, {len(province.force_ids):,} forces, "
                             f"{sum(v for k, v in province.counts.items() if not k.startswith('state:')):,} rows"})
        sweeps = {"reminders": sweep_reminders, "nudges": sweep_nudges, "escalations": sweep_escalations}
        times: dict[str, float] = {}
        written: dict[str, int] = {}
        for name, sweep in sweeps.items():  # once each, in a row: the escalations sweep is the slow one
            started = time.perf_counter()
            written[name] = sweep(engine, now=province.now)
            times[name] = 1000 * (time.perf_counter() - started)
        times["all"], written["all"] = sum(times.values()), sum(written.values())
        for name in sweeps:
            rows.append({"name": f"province: {name} sweep", "key": f"province_{name}_ms", "value": round(times[name], 1),
                         "unit": "ms", "note": f"{written[name]:,} messages; realistic history around them"})
        rows.append({"name": "province: the three sweeps in a row", "key": "province_sweep_ms",
                     "value": round(times["all"], 1), "unit": "ms",
                     "note": f"{written['all']:,} messages at {tasks:,} tasks, the three in a row (cf. sweep_ms ≤ 200)"})
        service = Service(engine, tz=TZ, default_lang="zh")
        me = Caller(province.team_id, province.member_user, "C-BENCH", name="bench")
        samples = []
        for _ in range(30):
            started = time.perf_counter()
            reply = service.handle(me, "/task", "list", now=province.now)
            samples.append(1000 * (time.perf_counter() - started))
        assert reply.ok, reply.text
        samples.sort()
        rows.append({"name": "province: /task list (Service, no HTTP)", "key": "province_list_p50_ms",
                     "value": round(statistics.median(samples), 1), "unit": "ms",
                     "note": f"p99 {samples[-1]:.1f} ms over {len(samples)}, a member's own tasks"})
        lead = Caller(province.team_id, province.map_force_lead, "C-BENCH", name="lead")
        with engine.connect() as conn:
            force_name = conn.execute(text("SELECT name FROM taskforce WHERE id = :f"),
                                      {"f": province.map_force_id}).scalar_one()
        started = time.perf_counter()
        reply = service.handle(lead, "/force", f"map {force_name}", now=province.now)
        map_s = time.perf_counter() - started
        pages = (1 if reply.file else 0) + len(reply.files)
        rows.append({"name": "province: war map of a ~300-task force", "key": "map_s", "value": round(map_s, 2),
                     "unit": "s", "note": f"{province.force_sizes[province.map_force_id]:,} tasks, {pages} page(s), "
                                          f"{'ok' if reply.ok else reply.text[:60]}"})
    finally:
        engine.dispose()
    return rows


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.province --tasks N --db URL``: seeds an empty, migrated database and prints its shape."""
    import argparse

    from models.db import make_engine
    from models.migrate import upgrade

    p = argparse.ArgumentParser(prog="python -m bench.province")
    p.add_argument("--tasks", type=int, default=100_000)
    p.add_argument("--db", required=True, help="an empty database URL")
    p.add_argument("--today", default="2026-11-23")
    args = p.parse_args(argv)
    engine = make_engine(args.db)
    upgrade(engine)
    prov = seed(engine, tasks=args.tasks, today=date.fromisoformat(args.today))
    print(f"seeded {prov.tasks:,} tasks in {prov.seconds:.1f} s at {datetime.now(UTC).isoformat()}")
    for k, v in prov.counts.items():
        print(f"  {k:<24} {v:>10,}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
