"""The meetings job: keeps series scheduled, calls for topics before the cut-off, and sends the
secretaries and the chair an agenda draft built from live data once the cut-off has passed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jobs.isolation import read_items, run_item
from jobs.sweeps import DEFAULT_LANG, DEFAULT_TZ
from models import forces, meetings, outbox
from models.calendar import WorkCalendar, local_today, to_local
from models.context import Ctx
from models.org import calendar_for
from models.policy import DEFAULT
from models.tables import Meeting, MeetingSeries, Outbox, Person, RoleGrant, TaskForce, Workspace
from models.timing import send_time
from present import agenda

CALL_WORKING_DAYS = 3  # the call for topics goes out this many working days before the cut-off
MORNING = 9
LOOKAHEAD = timedelta(days=62)


def sweep_meetings(engine: Engine, now: datetime, *, tz: ZoneInfo = DEFAULT_TZ, default_lang: str = DEFAULT_LANG) -> int:
    """Never twice: each call and each draft has its own key per meeting and person. Each series'
    scheduling, each meeting's call and each draft is one item in its own transaction, taken by one
    process at a time (advisory lock per item): one that fails is retried by the next run and stops
    no other. A late run catches up once (a draft after the meeting is not sent); a message decided
    in quiet hours waits for the next working morning."""
    if to_local(now, tz).hour < MORNING:
        return 0
    today = local_today(now, tz)
    written = 0
    with engine.connect() as conn:
        for ws_id in read_items(conn, "meetings", _workspaces):
            series = read_items(conn, f"meetings ws={ws_id}", partial(_active_series, ws_id=ws_id, today=today))
            for series_id in series:
                run_item(conn, f"meeting series={series_id} ws={ws_id}",
                         partial(_schedule, series_id=series_id, now=now, tz=tz, default_lang=default_lang),
                         lock=f"guatu:series:{series_id}")
            steps = read_items(conn, f"meetings ws={ws_id}", partial(_due_steps, ws_id=ws_id, today=today))
            for meeting_id, step in steps:
                written += run_item(conn, f"meeting {step} meeting={meeting_id} ws={ws_id}",
                                    partial(_STEPS[step], meeting_id=meeting_id, now=now, tz=tz,
                                            default_lang=default_lang),
                                    lock=f"guatu:meeting:{meeting_id}:{step}")
    return written


def _workspaces(session: Session) -> list[int]:
    return [i for i in session.exec(select(Workspace.id).order_by(col(Workspace.id))).all() if i is not None]


def _active_series(session: Session, *, ws_id: int, today: date) -> list[int]:
    """The workspace's active series, on a working day (the job acts on working days only)."""
    if not calendar_for(session, ws_id).is_working_day(today):
        return []
    return [i for i in session.exec(select(MeetingSeries.id).where(MeetingSeries.workspace_id == ws_id,
                                                                   MeetingSeries.active == True)  # noqa: E712
                                    .order_by(col(MeetingSeries.id))).all() if i is not None]


def _due_steps(session: Session, *, ws_id: int, today: date) -> list[tuple[int, str]]:
    """(meeting, "call" | "draft") for the upcoming meetings whose call for topics or draft is due today."""
    calendar = calendar_for(session, ws_id)
    if not calendar.is_working_day(today):
        return []
    steps: list[tuple[int, str]] = []
    for m in session.exec(select(Meeting).where(Meeting.workspace_id == ws_id, Meeting.day >= today,
                                                Meeting.day <= today + LOOKAHEAD).order_by(col(Meeting.id))).all():
        step = _step_due(m, today, calendar)
        if step is not None and m.id is not None:
            steps.append((m.id, step))
    return steps


def _step_due(m: Meeting, today: date, calendar: WorkCalendar) -> str | None:
    if calendar.add_working_days(m.cutoff, -CALL_WORKING_DAYS) <= today <= m.cutoff:
        return "call"
    if m.cutoff < today <= m.day:
        return "draft"
    return None


def _schedule(session: Session, *, series_id: int, now: datetime, tz: ZoneInfo, default_lang: str) -> int:
    series = session.get(MeetingSeries, series_id)
    if series is None or not series.active:
        return 0
    ws = session.get(Workspace, series.workspace_id)
    owner = session.get(Person, series.created_by_id)
    if owner is not None and ws is not None:
        meetings.ensure_occurrences(Ctx(session, ws, owner, now, tz=tz, default_lang=default_lang), series)
    return 0  # schedules meetings, writes no messages


def _meeting_ctx(session: Session, meeting_id: int, step: str, *, now: datetime, tz: ZoneInfo,
                 default_lang: str) -> tuple[Ctx, Meeting] | None:
    """The meeting as it is now, with its creator's context, if ``step`` is still due for it."""
    m = session.get(Meeting, meeting_id)
    if m is None:
        return None
    creator = session.get(Person, m.created_by_id) if m.created_by_id else None
    ws = session.get(Workspace, m.workspace_id)
    if creator is None or ws is None:
        return None
    ctx = Ctx(session, ws, creator, now, tz=tz, default_lang=default_lang)
    if _step_due(m, ctx.today, ctx.calendar) != step:
        return None  # moved since the plan was read
    return ctx, m


def _call(session: Session, *, meeting_id: int, now: datetime, tz: ZoneInfo, default_lang: str) -> int:
    found = _meeting_ctx(session, meeting_id, "call", now=now, tz=tz, default_lang=default_lang)
    if found is None:
        return 0
    ctx, m = found
    return meetings.call_for_topics(ctx, m, _force_leads(session, ctx.ws))


def _draft(session: Session, *, meeting_id: int, now: datetime, tz: ZoneInfo, default_lang: str) -> int:
    found = _meeting_ctx(session, meeting_id, "draft", now=now, tz=tz, default_lang=default_lang)
    if found is None:
        return 0
    ctx, m = found
    return _send_draft(ctx, m, _secretaries_and_chair(session, ctx.ws, m))


_STEPS = {"call": _call, "draft": _draft}


def _force_leads(session, ws: Workspace) -> list[Person]:
    seen: dict[int, Person] = {}
    for f in session.exec(select(TaskForce).where(TaskForce.workspace_id == ws.id, TaskForce.status == "open")).all():
        for p in forces.leads_of(session, f):
            if p.id is not None:
                seen.setdefault(p.id, p)
    return list(seen.values())


def _secretaries_and_chair(session, ws: Workspace, m: Meeting) -> list[Person]:
    ids = set(session.exec(select(RoleGrant.person_id).where(RoleGrant.workspace_id == ws.id,
                                                             RoleGrant.role == "secretary")).all())
    if m.chair_id:
        ids.add(m.chair_id)
    return list(session.exec(select(Person).where(col(Person.id).in_(ids)).order_by(col(Person.id))).all()) if ids else []


def _send_draft(ctx: Ctx, m: Meeting, people: list[Person]) -> int:
    assert m.id is not None and ctx.ws.id is not None
    not_before = send_time(ctx.now, tz=ctx.tz, calendar=ctx.calendar, policy=DEFAULT)
    if local_today(not_before, ctx.tz) > m.day:
        return 0  # decided too late in the meeting's day: it would arrive after the meeting
    n = 0
    agendas: dict[str, str] = {}  # built once per language
    for p in people:
        key = f"meeting:{m.id}:draft:{p.id}"
        if ctx.session.exec(select(Outbox.id).where(Outbox.idempotency_key == key)).first() is not None:
            continue  # sent on an earlier run: skip building the agenda again
        lang = p.lang or ctx.default_lang
        if lang not in agendas:
            reader = Ctx(ctx.session, ctx.ws, p, ctx.now, tz=ctx.tz, default_lang=ctx.default_lang)
            agendas[lang] = agenda.draft(meetings.build_agenda(reader, m.id), lang)
        n += outbox.enqueue(ctx.session, workspace_id=ctx.ws.id, key=key, recipient=p.chat_user_id, text=agendas[lang],
                            kind="meeting", now=ctx.now, person_id=p.id, not_before=not_before)
    return n
