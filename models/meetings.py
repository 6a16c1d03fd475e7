"""Meetings: the bimonthly 专题会议 and the monthly 工作例会, agendas from live data, minutes, and
decisions that become tracked tasks followed up at the next meeting."""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_
from sqlmodel import select

from models import audit, horizon, i18n, org, outbox, permissions, rank
from models.context import Ctx
from models.errors import Conflict, InvalidInput, NotFound
from models.i18n import Day, Msg, t
from models.lights import EMOJI, ORDER
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


def _require_secretary(ctx: Ctx, action: str) -> None:
    permissions.require(ctx, action)


def get_meeting(ctx: Ctx, meeting_id: int) -> Meeting:
    m = ctx.session.get(Meeting, meeting_id)
    if m is None or m.workspace_id != ctx.ws.id:
        raise NotFound("meeting.unknown", id=meeting_id)
    return m


def _title(kind: str, day: date, lang: str) -> str:
    return t(f"meeting.title.{kind}", lang, year=day.year, month=day.month)


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
    audit.record(ctx.session, workspace_id=ctx.ws.id, actor=ctx.actor, action="meeting.created", entity="meeting",
                 entity_id=m.id, now=ctx.now, kind=kind, day=day.isoformat(), title=m.title)
    return m


def _insert(ctx: Ctx, kind: str, day: date, *, title: str | None, at: time | None, chair_id: int | None,
            length: int | None, series: MeetingSeries | None = None, seq: int | None = None) -> Meeting:
    m = Meeting(workspace_id=ctx.ws.id, series_id=series.id if series else None, seq=seq, kind=kind,
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
    series = MeetingSeries(workspace_id=ctx.ws.id, kind=kind, every_months=every_months, start=start, at_time=at,
                           chair_id=chair_person.id if chair_person else None, created_by_id=ctx.actor.id,
                           created_at=ctx.now)
    ctx.session.add(series)
    ctx.session.flush()
    audit.record(ctx.session, workspace_id=ctx.ws.id, actor=ctx.actor, action="meeting.series_created",
                 entity="meeting_series", entity_id=series.id, now=ctx.now, kind=kind, every=every_months,
                 start=start.isoformat())
    return series, ensure_occurrences(ctx, series)


def ensure_occurrences(ctx: Ctx, series: MeetingSeries) -> list[Meeting]:
    """Idempotent: schedules the series' next meetings up to the horizon; returns those it added."""
    existing = {m.seq: m for m in ctx.session.exec(select(Meeting).where(Meeting.series_id == series.id)).all()}
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
    item = AgendaItem(meeting_id=m.id, topic=topic, proposer_id=ctx.actor.id, presenter_id=who.id,
                      length_min=length or 10, late=ctx.today > m.cutoff, created_at=ctx.now)
    ctx.session.add(item)
    ctx.session.flush()
    audit.record(ctx.session, workspace_id=ctx.ws.id, actor=ctx.actor, action="meeting.proposed", entity="meeting",
                 entity_id=m.id, now=ctx.now, item=item.id, topic=topic, late=item.late)
    return item


@dataclass
class AgendaLine:
    start: time | None
    length: int
    section: str
    title: str
    presenter: str
    note: str = ""


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
    return select(Meeting).where(Meeting.workspace_id == ctx.ws.id, Meeting.kind == m.kind,
                                 or_(Meeting.day < m.day, and_(Meeting.day == m.day, Meeting.id < m.id)))


def previous_meeting(ctx: Ctx, m: Meeting) -> Meeting | None:
    """The last meeting of the same kind before this one, in a series or not."""
    return ctx.session.exec(_before(ctx, m).order_by(Meeting.day.desc(), Meeting.id.desc())).first()


def followed_up(ctx: Ctx, m: Meeting) -> list[Meeting]:
    """The meetings whose decisions this one follows up, oldest first. A series' meeting: the series'
    previous meeting and the ad-hoc meetings of its kind held since; an ad-hoc meeting (or a series'
    first): the previous meeting of its kind."""
    if m.series_id is not None:
        prev = ctx.session.exec(_before(ctx, m).where(Meeting.series_id == m.series_id)
                                .order_by(Meeting.day.desc(), Meeting.id.desc())).first()
        if prev is not None:
            adhoc = ctx.session.exec(_before(ctx, m).where(
                Meeting.series_id.is_(None),
                or_(Meeting.day > prev.day, and_(Meeting.day == prev.day, Meeting.id > prev.id)),
            ).order_by(Meeting.day, Meeting.id)).all()
            return [prev, *adhoc]
    prev = previous_meeting(ctx, m)
    return [prev] if prev is not None else []


def decisions_of(ctx: Ctx, m: Meeting) -> list[tuple[Decision, TaskView]]:
    rows = ctx.session.exec(select(Decision).where(Decision.meeting_id == m.id).order_by(Decision.id)).all()
    tasks = {tk.id: tk for tk in ctx.session.exec(select(Task).where(Task.id.in_([d.task_id for d in rows]))).all()} if rows else {}
    vs = {v.id: v for v in views(ctx, list(tasks.values()))}
    return [(d, vs[d.task_id]) for d in rows if d.task_id in vs]


def _red_or_blocked(ctx: Ctx):
    """The SQL form of "red or blocked": a live task whose deadline or an open time node has passed (the
    light's red rule; a done report is green), or one flagged blocked."""
    node_passed = select(TimeNode.task_id).where(TimeNode.done_at.is_(None), TimeNode.due < ctx.today)
    red = and_(Task.status.in_(("todo", "active", "blocked")), or_(Task.due < ctx.today, Task.id.in_(node_passed)))
    return red, or_(red, Task.status == "blocked")


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
    Counts are the whole truth: what is not listed is counted."""
    m = get_meeting(ctx, meeting_id)
    permissions.require(ctx, "meeting.agenda", meeting=m)
    lang = ctx.lang
    lines: list[AgendaLine] = []
    sources = followed_up(ctx, m)
    for src in sources:
        origin = t("meeting.from", lang, id=src.id, title=src.title) + " · " if len(sources) > 1 else ""
        for d, v in decisions_of(ctx, src):
            state = t("status." + v.status, lang)
            lines.append(AgendaLine(None, 2, "followup", f"{EMOJI[v.light.color]} #{v.id} {d.text}", v.owner_name,
                                    f"{origin}{state} · {v.progress}% · {v.light.explain(lang)}"))
    red, hot_q = _red_or_blocked(ctx)
    in_ws = and_(Task.workspace_id == ctx.ws.id, hot_q)
    n_hot = ctx.session.exec(select(func.count()).select_from(Task).where(in_ws)).one()
    hot_rows = ctx.session.exec(select(Task).where(in_ws).order_by(case((red, 0), else_=1), Task.due, Task.id)
                                .limit(max_hot)).all()
    hot = sorted(views(ctx, list(hot_rows)), key=lambda v: (ORDER[v.light.color], v.due, v.id))
    for v in hot:
        note = v.blocked_reason or v.light.explain(lang)
        lines.append(AgendaLine(None, 3, "hot", f"{EMOJI[v.light.color]} #{v.id} {v.title}", v.owner_name, note))
    if n_hot > len(hot):
        lines.append(AgendaLine(None, 0, "hot", t("meeting.more_hot", lang, n=n_hot - len(hot)), "", ""))
    report_len = 10 if m.kind == "thematic" else 8
    lines += _force_reports(ctx, report_len, lang)
    items = ctx.session.exec(select(AgendaItem).where(AgendaItem.meeting_id == m.id)
                             .order_by(AgendaItem.late, AgendaItem.created_at, AgendaItem.id)).all()
    wanted = {i.presenter_id for i in items if i.presenter_id} | ({m.chair_id} if m.chair_id else set())
    names = dict(ctx.session.exec(select(Person.id, Person.name).where(Person.id.in_(wanted))).all()) if wanted else {}
    for item in items:
        lines.append(AgendaLine(None, item.length_min, "topic", item.topic, names.get(item.presenter_id, "—"),
                                t("meeting.late", lang) if item.late else ""))
    ranking = rank.ranking(ctx, "dept") or rank.ranking(ctx, "force")
    if ranking:
        n_top, n_bottom = race_sides(len(ranking))
        top = "、".join(r.name for r in ranking[:n_top])
        bottom = "、".join(r.name for r in ranking[len(ranking) - n_bottom:]) if n_bottom else ""
        note = t("meeting.race_note", lang, top=top, bottom=bottom) if bottom else t("meeting.race_note_top", lang, top=top)
        lines.append(AgendaLine(None, 5, "race", t("meeting.race", lang), names.get(m.chair_id, "—") if m.chair_id else "—",
                                note))
    start = datetime.combine(m.day, m.at_time or DEFAULT_TIME)
    total = 0
    for line in lines:
        line.start = (start + timedelta(minutes=total)).time() if line.length else None
        total += line.length
    return Agenda(m, lines, total)


MAX_REPORTS = 8  # oral reports a meeting can hear; the other task forces report in writing


def _force_reports(ctx: Ctx, length: int, lang: str) -> list[AgendaLine]:
    """Task-force reports, those most in trouble first; one aggregate query, not one per force."""
    live = Task.status.in_(LIVE)
    overdue = func.sum(case((and_(Task.due < ctx.today, Task.status.in_(OPEN)), 1), else_=0))
    blocked = func.sum(case((Task.status == "blocked", 1), else_=0))
    rows = ctx.session.exec(
        select(TaskForce.id, TaskForce.name, func.count(Task.id), overdue, blocked)
        .join(Task, Task.force_id == TaskForce.id)
        .where(TaskForce.workspace_id == ctx.ws.id, TaskForce.status == "open", live)
        .group_by(TaskForce.id, TaskForce.name)
        .order_by(overdue.desc(), blocked.desc(), TaskForce.name)
    ).all()
    shown = rows[:MAX_REPORTS]
    leads: dict[int, str] = {}
    if shown:
        for fid, name in ctx.session.exec(
            select(ForceMember.force_id, Person.name).join(Person, Person.id == ForceMember.person_id)
            .where(ForceMember.force_id.in_([r[0] for r in shown]), ForceMember.is_lead == True)  # noqa: E712
            .order_by(ForceMember.id)
        ).all():
            leads.setdefault(fid, name)
    out = [AgendaLine(None, length, "report", t("meeting.report", lang, force=name), leads.get(fid, "—"),
                      t("meeting.report_note", lang, live=int(n or 0), overdue=int(o or 0), blocked=int(b or 0)))
           for fid, name, n, o, b in shown]
    if len(rows) > MAX_REPORTS:
        out.append(AgendaLine(None, 0, "report", t("meeting.written_reports", lang, n=len(rows) - MAX_REPORTS), "", ""))
    return out


SECTIONS = ("followup", "hot", "report", "topic", "race")


def render_agenda(a: Agenda, lang: str) -> str:
    m = a.meeting
    out = [t("meeting.agenda_title", lang, id=m.id, title=m.title, day=Day(m.day), at=(m.at_time or DEFAULT_TIME).strftime("%H:%M"),
             length=m.length_min, cutoff=Day(m.cutoff))]
    n = 0
    for section in SECTIONS:
        lines = [line for line in a.lines if line.section == section]
        if not lines:
            continue
        n += 1
        out.append(t(f"meeting.section.{section}", lang, n=n))
        for line in lines:
            when = line.start.strftime("%H:%M") if line.start else "     "
            mins = t("meeting.mins", lang, n=line.length) if line.length else ""
            extra = f" — {line.note}" if line.note else ""
            who = f"（{line.presenter}）" if line.presenter and lang == "zh" else (f" ({line.presenter})" if line.presenter else "")
            out.append(f"  {when} {mins} {line.title}{who}{extra}")
    if len(out) == 1:
        out.append(t("meeting.agenda_empty", lang))
    out.append(t("meeting.total", lang, total=a.total, length=m.length_min))
    if a.overrun:
        out.append(t("meeting.overrun", lang, n=a.overrun))
    return "\n".join(out)


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
                  description=t("meeting.decision_desc", ctx.default_lang, title=m.title, day=Day(m.day)), source=f"meeting:{m.id}")
    d = Decision(meeting_id=m.id, text=text, owner_id=person.id, due=due, task_id=task.id, created_by_id=ctx.actor.id,
                 created_at=ctx.now)
    ctx.session.add(d)
    ctx.session.flush()
    audit.record(ctx.session, workspace_id=ctx.ws.id, actor=ctx.actor, action="meeting.decided", entity="meeting",
                 entity_id=m.id, now=ctx.now, decision=d.id, task=task.id, owner=person.id, due=due.isoformat())
    return d, task


def set_minutes(ctx: Ctx, meeting_id: int, text: str) -> Meeting:
    """Secretary: records the minutes (会议纪要) text; the decisions are listed with it."""
    _require_secretary(ctx, "meeting.minutes.set")
    m = get_meeting(ctx, meeting_id)
    m.minutes_text = text.strip()
    m.minutes_at = ctx.now
    audit.record(ctx.session, workspace_id=ctx.ws.id, actor=ctx.actor, action="meeting.minutes", entity="meeting",
                 entity_id=m.id, now=ctx.now, length=len(m.minutes_text))
    return m


def minutes_markdown(ctx: Ctx, meeting_id: int) -> str:
    """Attendees, secretaries and leaders: the minutes as Markdown — meeting, topics, decisions with their
    live state, text."""
    m = get_meeting(ctx, meeting_id)
    permissions.require(ctx, "meeting.minutes", meeting=m)
    lang = ctx.lang
    chair = ctx.session.get(Person, m.chair_id).name if m.chair_id else "—"
    out = [f"# {m.title}", "", t("meeting.md_head", lang, day=Day(m.day), at=(m.at_time or DEFAULT_TIME).strftime("%H:%M"), chair=chair), ""]
    items = ctx.session.exec(select(AgendaItem).where(AgendaItem.meeting_id == m.id).order_by(AgendaItem.id)).all()
    if items:
        out += [t("meeting.md_topics", lang), ""] + [f"- {i.topic}" for i in items] + [""]
    decisions = decisions_of(ctx, m)
    out += [t("meeting.md_decisions", lang), ""]
    if decisions:
        for d, v in decisions:
            out.append(f"- {EMOJI[v.light.color]} #{v.id} {d.text} — {v.owner_name}, "
                       + t("meeting.md_due", lang, due=Day(d.due)) + f" · {t('status.' + v.status, lang)}")
    else:
        out.append(t("meeting.md_none", lang))
    out += ["", t("meeting.md_minutes", lang), "", m.minutes_text or t("meeting.md_no_minutes", lang), ""]
    return "\n".join(out)


def ics(ctx: Ctx, meeting_id: int) -> bytes:
    """The meeting as an iCalendar event, to put it in everyone's calendar."""
    from icalendar import Calendar, Event

    m = get_meeting(ctx, meeting_id)
    start = datetime.combine(m.day, m.at_time or DEFAULT_TIME, tzinfo=ctx.tz)
    cal = Calendar()
    cal.add("prodid", "-//Guatu//guatu//ZH")
    cal.add("version", "2.0")
    ev = Event()
    ev.add("uid", f"meeting-{m.id}-{ctx.ws.team_id}@guatu")
    ev.add("summary", m.title)
    ev.add("dtstart", start)
    ev.add("dtend", start + timedelta(minutes=m.length_min))
    ev.add("dtstamp", ctx.now)
    ev.add("description", t("meeting.ics_desc", ctx.lang, id=m.id, cutoff=Day(m.cutoff)))
    cal.add_component(ev)
    return cal.to_ical()


def upcoming(ctx: Ctx, *, limit: int = 20) -> list[Meeting]:
    return list(ctx.session.exec(select(Meeting).where(Meeting.workspace_id == ctx.ws.id,
                                                       Meeting.day >= ctx.today - timedelta(days=31))
                                 .order_by(Meeting.day, Meeting.id).limit(limit)).all())


def render_list(ctx: Ctx, meetings: list[Meeting]) -> str:
    lang = ctx.lang
    if not meetings:
        return t("meeting.none", lang)
    counts = dict(ctx.session.exec(select(AgendaItem.meeting_id, func.count()).where(
        AgendaItem.meeting_id.in_([m.id for m in meetings])).group_by(AgendaItem.meeting_id)).all())
    return "\n".join(
        t("meeting.line", lang, id=m.id, title=m.title, day=Day(m.day), at=(m.at_time or DEFAULT_TIME).strftime("%H:%M"),
          cutoff=Day(m.cutoff), n=counts.get(m.id, 0), past="" if m.day >= ctx.today else t("meeting.held", lang))
        for m in meetings
    )


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
        "meeting.report": {"zh": "{force} 工作汇报", "en": "Report of {force}"},
        "meeting.more": {"zh": "……另有 {n} 项", "en": "… and {n} more"},
        "meeting.report_note": {"zh": "在办 {live} · 逾期 {overdue} · 受阻 {blocked}", "en": "{live} live · {overdue} overdue · {blocked} blocked"},
        "meeting.written_reports": {"zh": "另有 {n} 个专班书面汇报", "en": "{n} more task forces report in writing"},
        "meeting.late": {"zh": "逾期申报", "en": "proposed after the cut-off"},
        "meeting.race": {"zh": "赛马晾晒", "en": "Horse race, shown openly"},
        "meeting.race_note": {"zh": "领先：{top}；靠后：{bottom}", "en": "ahead: {top}; behind: {bottom}"},
        "meeting.race_note_top": {"zh": "领先：{top}", "en": "ahead: {top}"},
        "meeting.more_hot": {"zh": "……另有 {n} 项红灯或受阻事项", "en": "… and {n} more red or blocked items"},
        "meeting.from": {"zh": "会议 #{id}「{title}」", "en": "meeting #{id} “{title}”"},
        "meeting.agenda_title": {
            "zh": "📋 会议 #{id} {title} 议程\n{day} {at} · 时长 {length} 分钟 · 议题申报截止 {cutoff}",
            "en": "📋 Agenda of meeting #{id} {title}\n{day} {at} · {length} minutes · topics due by {cutoff}",
        },
        "meeting.section.followup": {"zh": "{n}、上次会议议定事项落实情况", "en": "{n}. Follow-up of the last meeting's decisions"},
        "meeting.section.hot": {"zh": "{n}、红灯及受阻事项协调", "en": "{n}. Red and blocked items needing coordination"},
        "meeting.section.report": {"zh": "{n}、专班工作汇报", "en": "{n}. Task-force reports"},
        "meeting.section.topic": {"zh": "{n}、申报议题", "en": "{n}. Proposed topics"},
        "meeting.section.race": {"zh": "{n}、赛马晾晒", "en": "{n}. Horse race"},
        "meeting.mins": {"zh": "[{n}分钟]", "en": "[{n} min]"},
        "meeting.agenda_empty": {"zh": "（暂无议程内容）", "en": "(nothing on the agenda yet)"},
        "meeting.total": {"zh": "合计 {total} 分钟 / 会议时长 {length} 分钟", "en": "Total {total} min of {length} min"},
        "meeting.overrun": {"zh": "⚠️ 超出 {n} 分钟，请压缩议题或延长会议。", "en": "⚠️ {n} min over: trim topics or lengthen the meeting."},
        "meeting.decision_desc": {"zh": "{title}（{day}）议定事项", "en": "Decision of {title} ({day})"},
        "meeting.md_head": {"zh": "时间：{day} {at}　主持：{chair}", "en": "When: {day} {at}  Chair: {chair}"},
        "meeting.md_topics": {"zh": "## 议题", "en": "## Topics"},
        "meeting.md_decisions": {"zh": "## 议定事项", "en": "## Decisions"},
        "meeting.md_due": {"zh": "截止 {due}", "en": "due {due}"},
        "meeting.md_none": {"zh": "（无）", "en": "(none)"},
        "meeting.md_minutes": {"zh": "## 纪要", "en": "## Minutes"},
        "meeting.md_no_minutes": {"zh": "（纪要尚未录入：/meeting minutes <编号> <内容>）", "en": "(no minutes yet: /meeting minutes <id> <text>)"},
        "meeting.ics_desc": {"zh": "挂图会议 #{id}，议题申报截止 {cutoff}。", "en": "Guatu meeting #{id}; topics due by {cutoff}."},
        "meeting.none": {"zh": "还没有会议。秘书可用 /meeting new 或 /meeting series 安排。", "en": "No meetings yet. A secretary can add one with /meeting new or /meeting series."},
        "meeting.line": {
            "zh": "• #{id} {title} · {day} {at} · 申报截止 {cutoff} · 已申报 {n} 项{past}",
            "en": "• #{id} {title} · {day} {at} · topics by {cutoff} · {n} proposed{past}",
        },
        "meeting.held": {"zh": "（已召开）", "en": " (held)"},
        "meeting.draft": {
            "zh": "📝 会议 #{id}（{day}）议题申报已截止，议程草案如下，可用 /meeting agenda {id} 随时刷新：",
            "en": "📝 Topics for meeting #{id} ({day}) are closed. The draft agenda (refresh any time with /meeting agenda {id}):",
        },
        "meeting.call": {
            "zh": "📣 会议 #{id}「{title}」将于 {day} 召开，请于 {cutoff} 前申报议题：/meeting propose {id} <议题> mins:<分钟>",
            "en": "📣 Meeting #{id} “{title}” is on {day}. Propose topics by {cutoff}: /meeting propose {id} <topic> mins:<n>",
        },
    }
)
