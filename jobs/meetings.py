"""The meetings job: keeps series scheduled, calls for topics before the cut-off, and sends the
secretaries and the chair an agenda draft built from live data once the cut-off has passed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import select

from jobs.sweeps import DEFAULT_LANG, DEFAULT_TZ, once_only
from models import forces, meetings, outbox
from models.calendar import local_today, to_local
from models.context import Ctx
from models.i18n import Day, Msg
from models.org import calendar_for
from models.tables import Meeting, MeetingSeries, Outbox, Person, RoleGrant, TaskForce, Workspace

CALL_WORKING_DAYS = 3  # the call for topics goes out this many working days before the cut-off
MORNING = 9
LOOKAHEAD = timedelta(days=62)


def sweep_meetings(engine: Engine, now: datetime, *, tz: ZoneInfo = DEFAULT_TZ, default_lang: str = DEFAULT_LANG) -> int:
    """Never twice: each call and each draft has its own key per meeting and person; run by one
    process at a time; a late run catches up once (a draft after the meeting is not sent)."""
    written = 0
    with once_only(engine, "meetings") as session:
        if session is None:
            return 0
        today = local_today(now, tz)
        if to_local(now, tz).hour < MORNING:
            return 0
        for ws in session.exec(select(Workspace).order_by(Workspace.id)).all():
            calendar = calendar_for(session, ws.id)
            if not calendar.is_working_day(today):
                continue
            for series in session.exec(select(MeetingSeries).where(MeetingSeries.workspace_id == ws.id,
                                                                   MeetingSeries.active == True)).all():  # noqa: E712
                owner = session.get(Person, series.created_by_id)
                if owner is not None:
                    meetings.ensure_occurrences(Ctx(session, ws, owner, now, tz=tz, default_lang=default_lang), series)
            upcoming = session.exec(select(Meeting).where(Meeting.workspace_id == ws.id, Meeting.day >= today,
                                                         Meeting.day <= today + LOOKAHEAD)).all()
            for m in upcoming:
                creator = session.get(Person, m.created_by_id) if m.created_by_id else None
                if creator is None:
                    continue
                ctx = Ctx(session, ws, creator, now, tz=tz, default_lang=default_lang)
                call_from = calendar.add_working_days(m.cutoff, -CALL_WORKING_DAYS)
                if call_from <= today <= m.cutoff:
                    written += meetings.call_for_topics(ctx, m, _force_leads(session, ws))
                if m.cutoff < today <= m.day:
                    written += _send_draft(ctx, m, _secretaries_and_chair(session, ws, m))
    return written


def _force_leads(session, ws: Workspace) -> list[Person]:
    seen: dict[int, Person] = {}
    for f in session.exec(select(TaskForce).where(TaskForce.workspace_id == ws.id, TaskForce.status == "open")).all():
        for p in forces.leads_of(session, f):
            seen.setdefault(p.id, p)
    return list(seen.values())


def _secretaries_and_chair(session, ws: Workspace, m: Meeting) -> list[Person]:
    ids = set(session.exec(select(RoleGrant.person_id).where(RoleGrant.workspace_id == ws.id,
                                                             RoleGrant.role == "secretary")).all())
    if m.chair_id:
        ids.add(m.chair_id)
    return list(session.exec(select(Person).where(Person.id.in_(ids)).order_by(Person.id)).all()) if ids else []


def _send_draft(ctx: Ctx, m: Meeting, people: list[Person]) -> int:
    n = 0
    agendas: dict[str, str] = {}  # built once per language
    for p in people:
        key = f"meeting:{m.id}:draft:{p.id}"
        if ctx.session.exec(select(Outbox.id).where(Outbox.idempotency_key == key)).first() is not None:
            continue  # sent on an earlier run: skip building the agenda again
        lang = p.lang or ctx.default_lang
        if lang not in agendas:
            reader = Ctx(ctx.session, ctx.ws, p, ctx.now, tz=ctx.tz, default_lang=ctx.default_lang)
            agendas[lang] = meetings.render_agenda(meetings.build_agenda(reader, m.id), lang)
        agenda = agendas[lang]
        text = Msg("meeting.draft", id=m.id, day=Day(m.day)).render(lang) + "\n" + agenda
        n += outbox.enqueue(ctx.session, workspace_id=ctx.ws.id, key=key, recipient=p.chat_user_id, text=text,
                            kind="meeting", now=ctx.now, person_id=p.id)
    return n
