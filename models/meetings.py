"""Meetings: the bimonthly 专题会议 and the monthly 工作例会, agendas from live data, minutes, and
decisions that become tracked tasks followed up at the next meeting."""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_
from sqlmodel import col, select

from models import audit, horizon, i18n, org, outbox, permissions, rank
from models.context import Ctx
from models.errors import Conflict, InvalidInput, NotFound
from models.i18n import Day, Msg
from models.lights import ORDER
from models.policy import DEFAULT
from models.status import OPEN
from models.tables import AgendaItem, Decision, ForceMember, Meeting, MeetingSeries, Person, Task, TaskForce, TimeNode
from models.tasks import LIVE, TaskView, create, views
from models.timing import send_time

DEFAULT_LENGTH = {"thematic": 120, "monthly": 90, "other": 60}
DEFAULT_TIME = time(9, 0)
CUTOFF_WORKING_DAYS = 2  # topics proposed later than this before the meeting are marked late
HORIZON_OCCURRENCES = 2  # a series keeps this many future meetings on the calendar
MAX_TOPIC = 500


def _pk(value: int | None) -> int:
    """A stored row's id (a flushed row always has one)."""
    assert value is not None
    return value


def _require_secretary(ctx: Ctx, action: str) -> None:
    permissions.require(ctx, action)


def get_meeting(ctx: Ctx, meeting_id: int) -> Meeting:
    m = ctx.session.get(Meeting, meeting_id)
    if m is None or m.workspace_id != ctx.ws.id:
        raise NotFound("meeting.unknown", id=meeting_id)
    return m


def _stored(msg: Msg, lang: str) -> str:
    """Text the domain stores (a meeting's default title, a decision task's description): written once,
    in the workspace's language, like any title a person types. Nothing else here is worded."""
    return msg.render(lang)


def _title(kind: str, day: date, lang: str) -> str:
    return _stored(Msg(f"meeting.title.{kind}", year=day.year, month=day.month), lang)


def _cutoff(ctx: Ctx, day: date) -> date:
    return ctx.calendar.add_working_days(day, -CUTOFF_WORKING_DAYS)


def new_meeting(
    ctx: Ctx, kind: str, day: date, *, title: str | None = None, at: time | None = None,
    chair: org.PersonRef | None = None, length: int | None = None,
) -> Meeting:
    """Secretary: schedules one meeting; its agenda cut-off is two working days before."""
    _require_secretary(ctx, "meeting.new")
    horizon.check_day(day, ctx.today)
    chair_person = org.find_person(ctx.session, ctx.ws, chair, now=ctx.now) if chair else None
    m = _insert(ctx, kind, day, title=(title or "").strip() or None, at=at, chair_id=chair_person.id if chair_person else None,
                length=length)
    audit.record(ctx.session, workspace_id=_pk(ctx.ws.id), actor=ctx.actor, action="meeting.created", entity="meeting",
                 entity_id=m.id, now=ctx.now, kind=kind, day=day.isoformat(), title=m.title)
    return m


def _insert(ctx: Ctx, kind: str, day: date, *, title: str | None, at: time | None, chair_id: int | None,
            length: int | None, series: MeetingSeries | None = None, seq: int | None = None) -> Meeting:
    m = Meeting(workspace_id=_pk(ctx.ws.id), series_id=series.id if series else None, seq=seq, kind=kind,
                title=(title or _title(kind, day, ctx.default_lang))[:300], day=day, at_time=at or DEFAULT_TIME,
                length_min=length or DEFAULT_LENGTH.get(kind, 60), cutoff=_cutoff(ctx, day), chair_id=chair_id,
                channel_id=ctx.channel_id, created_by_id=ctx.actor.id, created_at=ctx.now)
    ctx.session.add(m)
    ctx.session.flush()
    return m


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, _cal.monthrange(year, month)[1]))


def occurrence_day(ctx: Ctx, series: MeetingSeries, seq: int) -> date:
    """The seq-th meeting of a series, moved to the next working day if it falls on a day off."""
    return ctx.calendar.next_working_day(add_months(series.start, seq * series.every_months), include_self=True)


def new_series(ctx: Ctx, kind: str, every_months: int, start: date, *, at: time | None = None,
               chair: org.PersonRef | None = None) -> tuple[MeetingSeries, list[Meeting]]:
    """Secretary: a recurring meeting (专题会议 every 2 months, 例会 monthly); the next ones are scheduled."""
    _require_secretary(ctx, "meeting.series")
    horizon.check_day(start, ctx.today)
    if not 1 <= every_months <= 12:
        raise InvalidInput("meeting.bad_every")
    chair_person = org.find_person(ctx.session, ctx.ws, chair, now=ctx.now) if chair else None
    series = MeetingSeries(workspace_id=_pk(ctx.ws.id), kind=kind, every_months=every_months, start=start, at_time=at,
                           chair_id=chair_person.id if chair_person else None, created_by_id=ctx.actor.id,
                           created_at=ctx.now)
    ctx.session.add(series)
    ctx.session.flush()
    audit.record(ctx.session, workspace_id=_pk(ctx.ws.id), actor=ctx.actor, action="meeting.series_created",
                 entity="meeting_series", entity_id=series.id, now=ctx.now, kind=kind, every=every_months,
                 start=start.isoformat())
    return series, ensure_occurrences(ctx, series)


def ensure_occurrences(ctx: Ctx, series: MeetingSeries) -> list[Meeting]:
    """Idempotent: schedules the series' next meetings up to the horizon; returns those it added."""
    existing = {m.seq: m for m in ctx.session.exec(select(Meeting).where(Meeting.series_id == series.id)).all()
                if m.seq is not None}
    added: list[Meeting] = []
    upcoming = sum(1 for m in existing.values() if m.day >= ctx.today)
    seq = max(existing, default=-1) + 1
    while upcoming < HORIZON_OCCURRENCES and seq < 1000:
        day = occurrence_day(ctx, series, seq)
        if day >= ctx.today:
            added.append(_insert(ctx, series.kind, day, title=None, at=series.at_time, chair_id=series.chair_id,
                                 length=None, series=series, seq=seq))
            upcoming += 1
        seq += 1
    return added


def propose(ctx: Ctx, meeting_id: int, topic: str, *, presenter: org.PersonRef | None = None,
            length: int | None = None) -> AgendaItem:
    """A member of a task force (or a lead, secretary, leader): proposes a topic; after the cut-off it is
    accepted but marked late."""
    m = get_meeting(ctx, meeting_id)
    permissions.require(ctx, "meeting.propose", meeting=m)
    if m.day < ctx.today:
        raise Conflict("meeting.past", id=m.id)
    topic = " ".join(topic.split())
    if not topic:
        raise InvalidInput("meeting.no_topic")
    if len(topic) > MAX_TOPIC:
        raise InvalidInput("task.title_long", max=MAX_TOPIC)
    who = org.find_person(ctx.session, ctx.ws, presenter, now=ctx.now) if presenter else ctx.actor
    item = AgendaItem(meeting_id=_pk(m.id), topic=topic, proposer_id=_pk(ctx.actor.id), presenter_id=who.id,
                      length_min=length or 10, late=ctx.today > m.cutoff, created_at=ctx.now)
    ctx.session.add(item)
    ctx.session.flush()
    audit.record(ctx.session, workspace_id=_pk(ctx.ws.id), actor=ctx.actor, action="meeting.proposed", entity="meeting",
                 entity_id=m.id, now=ctx.now, item=item.id, topic=topic, late=item.late)
    return item


@dataclass
class AgendaLine:
    """One line of an agenda, as data (``present.agenda`` words it): its section and kind, its length and
    start, who presents it, and what it is about — a task's card, a decision's or a topic's text, a task
    force's counts, the race's names, or how many items it does not list."""

    section: str  # one of SECTIONS
    kind: str  # followup, hot, more_hot, report, written_reports, topic, race
    length: int
    presenter: str = ""
    start: time | None = None
    task: TaskView | None = None  # followup, hot
    text: str = ""  # a decision's text (followup), a topic, a task force's name (report)
    origin: tuple[int, str] | None = None  # followup: the meeting that decided it, when there are several
    count: int = 0  # more_hot, written_reports: how many are not listed
    live: int = 0
    overdue: int = 0
    blocked: int = 0
    late: bool = False  # topic: proposed after the cut-off
    ahead: tuple[str, ...] = ()  # race
    behind: tuple[str, ...] = ()


@dataclass
class Agenda:
    meeting: Meeting
    lines: list[AgendaLine] = field(default_factory=list)
    total: int = 0

    @property
    def overrun(self) -> int:
        return max(0, self.total - self.meeting.length_min)


def _before(ctx: Ctx, m: Meeting):
    """Meetings of the same kind held before ``m`` (same day: created before it)."""
    day, mid = col(Meeting.day), col(Meeting.id)
    return select(Meeting).where(Meeting.workspace_id == ctx.ws.id, Meeting.kind == m.kind,
                                 or_(day < m.day, and_(day == m.day, mid < _pk(m.id))))


def previous_meeting(ctx: Ctx, m: Meeting) -> Meeting | None:
    """The last meeting of the same kind before this one, in a series or not."""
    return ctx.session.exec(_before(ctx, m).order_by(col(Meeting.day).desc(), col(Meeting.id).desc())).first()


def followed_up(ctx: Ctx, m: Meeting) -> list[Meeting]:
    """The meetings whose decisions this one follows up, oldest first. A series' meeting: the series'
    previous meeting and the ad-hoc meetings of its kind held since; an ad-hoc meeting (or a series'
    first): the previous meeting of its kind."""
    if m.series_id is not None:
        day, mid = col(Meeting.day), col(Meeting.id)
        prev = ctx.session.exec(_before(ctx, m).where(col(Meeting.series_id) == m.series_id)
                                .order_by(day.desc(), mid.desc())).first()
        if prev is not None:
            adhoc = ctx.session.exec(_before(ctx, m).where(
                col(Meeting.series_id).is_(None),
                or_(day > prev.day, and_(day == prev.day, mid > _pk(prev.id))),
            ).order_by(day, mid)).all()
            return [prev, *adhoc]
    prev = previous_meeting(ctx, m)
    return [prev] if prev is not None else []


def decisions_of(ctx: Ctx, m: Meeting) -> list[tuple[Decision, TaskView]]:
    rows = ctx.session.exec(select(Decision).where(Decision.meeting_id == m.id).order_by(col(Decision.id))).all()
    tasks = {tk.id: tk for tk in ctx.session.exec(select(Task).where(col(Task.id).in_([d.task_id for d in rows]))).all()} if rows else {}
    vs = {v.id: v for v in views(ctx, list(tasks.values()))}
    return [(d, vs[d.task_id]) for d in rows if d.task_id in vs]


def _red_or_blocked(ctx: Ctx):
    """The SQL form of "red or blocked": a live task whose deadline or an open time node has passed (the
    light's red rule; a done report is green), or one flagged blocked."""
    node_passed = select(TimeNode.task_id).where(col(TimeNode.done_at).is_(None), col(TimeNode.due) < ctx.today)
    red = and_(col(Task.status).in_(OPEN), or_(col(Task.due) < ctx.today, col(Task.id).in_(node_passed)))
    return red, or_(red, col(Task.status) == "blocked")


def race_sides(n: int) -> tuple[int, int]:
    """How many units to name as ahead and as behind out of ``n`` ranked: never one unit on both sides
    (few units: fewer names, or only the leaders)."""
    top = min(3, (n + 1) // 2)
    bottom = min(2, n - top) if n >= 3 else 0
    return top, bottom


def build_agenda(ctx: Ctx, meeting_id: int, *, max_hot: int = 8) -> Agenda:
    """Attendees, secretaries and leaders: the agenda from live data — the follow-up of the decisions of
    the meetings it follows up (followed_up), red (deadline or time node passed) and blocked items, task-
    force reports, proposed topics, the horse race — time-boxed from the start time, with presenters.
    Counts are the whole truth: what is not listed is counted. Its aggregates read the meeting's scope
    only: the live tasks of the workspace's open task forces (permissions.reporting_forces), through the
    live-status indexes."""
    m = get_meeting(ctx, meeting_id)
    permissions.require(ctx, "meeting.agenda", meeting=m)
    lines: list[AgendaLine] = []
    sources = followed_up(ctx, m)
    for src in sources:
        origin = (_pk(src.id), src.title) if len(sources) > 1 else None
        for d, v in decisions_of(ctx, src):
            lines.append(AgendaLine("followup", "followup", 2, v.owner_name, task=v, text=d.text, origin=origin))
    red, hot_q = _red_or_blocked(ctx)
    # Every count the agenda shows (red or blocked items, each task force's report, the horse race by
    # department or by task force) from one grouped pass over the workspace's tasks (rank.tallies), not one
    # scan per figure.
    status = col(Task.status)
    live = status.in_(LIVE)
    counted = rank.tallies(ctx, case((and_(live, hot_q), 1), else_=0), case((status == "blocked", 1), else_=0))
    n_hot = sum(t.extra[0] for t in counted.by_force.values())
    # The lines themselves: the first red ones by deadline, then blocked ones, each walking the live tasks'
    # deadline index (ix_task_live_due) in order and stopping at ``max_hot``.
    in_ws = and_(col(Task.workspace_id) == ctx.ws.id, live)
    hot_rows = list(ctx.session.exec(select(Task).where(in_ws, red).order_by(col(Task.due), col(Task.id))
                                     .limit(max_hot)).all())
    if len(hot_rows) < max_hot and len(hot_rows) < n_hot:
        hot_rows += ctx.session.exec(select(Task).where(in_ws, status == "blocked", ~red.self_group())
                                     .order_by(col(Task.due), col(Task.id)).limit(max_hot - len(hot_rows))).all()
    hot = sorted(views(ctx, hot_rows), key=lambda v: (ORDER[v.light.color], v.due, v.id))
    for v in hot:
        lines.append(AgendaLine("hot", "hot", 3, v.owner_name, task=v))
    if n_hot > len(hot):
        lines.append(AgendaLine("hot", "more_hot", 0, count=n_hot - len(hot)))
    report_len = 10 if m.kind == "thematic" else 8
    lines += _force_reports(ctx, report_len, counted)
    items = ctx.session.exec(select(AgendaItem).where(AgendaItem.meeting_id == m.id)
                             .order_by(col(AgendaItem.late), col(AgendaItem.created_at), col(AgendaItem.id))).all()
    wanted = {i.presenter_id for i in items if i.presenter_id} | ({m.chair_id} if m.chair_id else set())
    names = dict(ctx.session.exec(select(Person.id, Person.name).where(col(Person.id).in_(wanted))).all()) if wanted else {}
    for item in items:
        lines.append(AgendaLine("topic", "topic", item.length_min, names.get(item.presenter_id, "—") if item.presenter_id else "—", text=item.topic,
                                late=item.late))
    ranking = rank.table(ctx, "dept", counted) or rank.table(ctx, "force", counted)
    if ranking:
        n_top, n_bottom = race_sides(len(ranking))
        lines.append(AgendaLine("race", "race", 5, names.get(m.chair_id, "—") if m.chair_id else "—",
                                ahead=tuple(r.name for r in ranking[:n_top]),
                                behind=tuple(r.name for r in ranking[len(ranking) - n_bottom:]) if n_bottom else ()))
    start = datetime.combine(m.day, m.at_time or DEFAULT_TIME)
    total = 0
    for line in lines:
        line.start = (start + timedelta(minutes=total)).time() if line.length else None
        total += line.length
    return Agenda(m, lines, total)


MAX_REPORTS = 8  # oral reports a meeting can hear; the other task forces report in writing


def _force_reports(ctx: Ctx, length: int, counted: rank.Tallies) -> list[AgendaLine]:
    """Task-force reports, those most in trouble first: the open task forces with live tasks, their counts
    from ``counted`` (rank.tallies; its extra sums: red or blocked, blocked)."""
    sums = {f: (t.live, t.overdue, t.extra[1]) for f, t in counted.by_force.items() if f is not None and t.live}
    # The open forces by name in the database's own order (its collation), the tie-break of the reports.
    named = ctx.session.exec(select(TaskForce.id, TaskForce.name).where(
        TaskForce.workspace_id == ctx.ws.id, TaskForce.status == "open").order_by(col(TaskForce.name))).all()
    rows: list[tuple[int, str, int, int, int]] = sorted(
        ((int(fid), name, *sums[fid]) for fid, name in named if fid in sums),
        key=lambda r: (-r[3], -r[4]))  # stable: by name within equal counts
    shown = rows[:MAX_REPORTS]
    leads: dict[int, str] = {}
    if shown:
        for fid, name in ctx.session.exec(
            select(ForceMember.force_id, Person.name).join(Person, col(Person.id) == ForceMember.person_id)
            .where(col(ForceMember.force_id).in_([r[0] for r in shown]), ForceMember.is_lead == True)  # noqa: E712
            .order_by(col(ForceMember.id))
        ).all():
            leads.setdefault(fid, name)
    out = [AgendaLine("report", "report", length, leads.get(fid, "—"), text=name, live=n, overdue=o, blocked=b)
           for fid, name, n, o, b in shown]
    if len(rows) > MAX_REPORTS:
        out.append(AgendaLine("report", "written_reports", 0, count=len(rows) - MAX_REPORTS))
    return out


SECTIONS = ("followup", "hot", "report", "topic", "race")


def decide(ctx: Ctx, meeting_id: int, text: str, owner: org.PersonRef, due: date) -> tuple[Decision, Task]:
    """Secretary: records a decision (议定事项); it becomes a task with an owner and a deadline."""
    _require_secretary(ctx, "meeting.decide")
    m = get_meeting(ctx, meeting_id)
    text = " ".join(text.split())
    if not text:
        raise InvalidInput("meeting.no_decision")
    if len(text) > MAX_TOPIC:
        raise InvalidInput("task.title_long", max=MAX_TOPIC)
    horizon.check_day(due, ctx.today)
    person = org.find_person(ctx.session, ctx.ws, owner, now=ctx.now)
    force = None
    if m.channel_id:
        force = ctx.session.exec(select(TaskForce).where(TaskForce.workspace_id == ctx.ws.id,
                                                         TaskForce.channel_id == m.channel_id,
                                                         TaskForce.status == "open")).first()
    task = create(ctx, f"【{m.title}】{text}", due=due, owner=person, force=force, priority="high" if m.kind == "thematic" else "normal",
                  description=_stored(Msg("meeting.decision_desc", title=m.title, day=Day(m.day)), ctx.default_lang), source=f"meeting:{m.id}")
    d = Decision(meeting_id=_pk(m.id), text=text, owner_id=_pk(person.id), due=due, task_id=_pk(task.id), created_by_id=ctx.actor.id,
                 created_at=ctx.now)
    ctx.session.add(d)
    ctx.session.flush()
    audit.record(ctx.session, workspace_id=_pk(ctx.ws.id), actor=ctx.actor, action="meeting.decided", entity="meeting",
                 entity_id=m.id, now=ctx.now, decision=d.id, task=task.id, owner=person.id, due=due.isoformat())
    return d, task


def set_minutes(ctx: Ctx, meeting_id: int, text: str) -> Meeting:
    """Secretary: records the minutes (会议纪要) text; the decisions are listed with it."""
    _require_secretary(ctx, "meeting.minutes.set")
    m = get_meeting(ctx, meeting_id)
    m.minutes_text = text.strip()
    m.minutes_at = ctx.now
    audit.record(ctx.session, workspace_id=_pk(ctx.ws.id), actor=ctx.actor, action="meeting.minutes", entity="meeting",
                 entity_id=m.id, now=ctx.now, length=len(m.minutes_text))
    return m


@dataclass(frozen=True)
class Minutes:
    """会议纪要 as data: the meeting, its chair, its topics, its decisions with their live state, the text."""

    meeting_id: int
    title: str
    day: date
    at: time
    chair: str
    topics: tuple[str, ...]
    decisions: tuple[tuple[Decision, TaskView], ...]
    text: str


def minutes(ctx: Ctx, meeting_id: int) -> Minutes:
    """Attendees, secretaries and leaders: the minutes' content (``present.minutes`` writes the Markdown)."""
    m = get_meeting(ctx, meeting_id)
    permissions.require(ctx, "meeting.minutes", meeting=m)
    chair = ctx.session.get(Person, m.chair_id) if m.chair_id else None
    items = ctx.session.exec(select(AgendaItem.topic).where(AgendaItem.meeting_id == m.id).order_by(col(AgendaItem.id))).all()
    return Minutes(_pk(m.id), m.title, m.day, m.at_time or DEFAULT_TIME, chair.name if chair else "—", tuple(items),
                   tuple(decisions_of(ctx, m)), m.minutes_text or "")


@dataclass(frozen=True)
class Invitation:
    """A meeting as a calendar event's fields (``present.ics`` writes the .ics)."""

    uid: str
    meeting_id: int
    summary: str
    start: datetime
    end: datetime
    stamp: datetime
    cutoff: date


def invitation(ctx: Ctx, meeting: Meeting | int) -> Invitation:
    """The meeting (or the meeting numbered so) as an event, to put it in everyone's calendar."""
    m = meeting if isinstance(meeting, Meeting) else get_meeting(ctx, meeting)
    start = datetime.combine(m.day, m.at_time or DEFAULT_TIME, tzinfo=ctx.tz)
    return Invitation(f"meeting-{m.id}-{ctx.ws.team_id}@guatu", _pk(m.id), m.title, start,
                      start + timedelta(minutes=m.length_min), ctx.now, m.cutoff)


def upcoming(ctx: Ctx, *, limit: int = 20) -> list[Meeting]:
    return list(ctx.session.exec(select(Meeting).where(Meeting.workspace_id == ctx.ws.id,
                                                       Meeting.day >= ctx.today - timedelta(days=31))
                                 .order_by(col(Meeting.day), col(Meeting.id)).limit(limit)).all())


@dataclass(frozen=True)
class MeetingSummary:
    """A meeting as a list shows it: when, its cut-off, how many topics were proposed, whether it was held."""

    id: int
    title: str
    day: date
    at: time
    cutoff: date
    proposed: int
    held: bool


def summaries(ctx: Ctx, meetings: list[Meeting]) -> list[MeetingSummary]:
    """The list's rows, with the topics proposed counted in one grouped query."""
    if not meetings:
        return []
    counts = dict(ctx.session.exec(select(AgendaItem.meeting_id, func.count()).where(
        col(AgendaItem.meeting_id).in_([m.id for m in meetings])).group_by(col(AgendaItem.meeting_id))).all())
    return [MeetingSummary(_pk(m.id), m.title, m.day, m.at_time or DEFAULT_TIME, m.cutoff, int(counts.get(_pk(m.id), 0)),
                           m.day < ctx.today) for m in meetings]


def call_for_topics(ctx: Ctx, m: Meeting, recipients: list[Person]) -> int:
    """Asks task-force leads for topics before the cut-off; once per meeting and person. Decided in
    quiet hours or on a day off, it waits for the next working morning."""
    # A meeting belongs to no one task force: the default quiet hours apply.
    not_before = send_time(ctx.now, tz=ctx.tz, calendar=ctx.calendar, policy=DEFAULT)
    msg = Msg("meeting.call", id=m.id, title=m.title, day=Day(m.day), cutoff=Day(m.cutoff))
    n = 0
    for p in recipients:
        n += outbox.to_person(ctx.session, p, msg, key=f"meeting:{m.id}:call:{p.id}", kind="meeting", now=ctx.now,
                              default_lang=ctx.default_lang, not_before=not_before)
    return n


i18n.register(
    {
        "meeting.unknown": {"zh": "找不到会议 #{id}。用 /meeting list 查看会议。", "en": "No meeting #{id}. See /meeting list."},
        "meeting.past": {"zh": "会议 #{id} 已经开过了，不能再申报议题。", "en": "Meeting #{id} is over; topics can no longer be proposed."},
        "meeting.bad_every": {"zh": "周期应为 1 到 12 个月。", "en": "A series repeats every 1 to 12 months."},
        "meeting.no_topic": {"zh": "请写上议题，例如：/meeting propose 12 公共数据授权运营试点 mins:15", "en": "Give a topic, e.g. /meeting propose 12 Public data licensing pilot mins:15"},
        "meeting.no_decision": {"zh": "请写上议定事项内容。", "en": "Say what was decided."},
        "meeting.title.thematic": {"zh": "{year}年{month}月数字化改革专题会议", "en": "Thematic meeting {year}-{month:02d}"},
        "meeting.title.monthly": {"zh": "{year}年{month}月工作例会", "en": "Monthly work meeting {year}-{month:02d}"},
        "meeting.title.other": {"zh": "{year}年{month}月会议", "en": "Meeting {year}-{month:02d}"},
        "meeting.more": {"zh": "……另有 {n} 项", "en": "… and {n} more"},
        "meeting.decision_desc": {"zh": "{title}（{day}）议定事项", "en": "Decision of {title} ({day})"},
        "meeting.call": {
            "zh": "📣 会议 #{id}「{title}」将于 {day} 召开，请于 {cutoff} 前申报议题：/meeting propose {id} <议题> mins:<分钟>",
            "en": "📣 Meeting #{id} “{title}” is on {day}. Propose topics by {cutoff}: /meeting propose {id} <topic> mins:<n>",
        },
    }
)
