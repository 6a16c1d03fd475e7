"""The weekly digest job: each task-force lead gets the week's digest once, on the first working
morning of the week (周报)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import select

from jobs.sweeps import DEFAULT_LANG, DEFAULT_TZ, once_only
from models import digest, forces, outbox
from models.calendar import WorkCalendar, local_today
from models.context import Ctx
from models.org import calendar_for
from models.tables import Outbox, TaskForce, Workspace
from models.timing import at_hour

DIGEST_HOUR = 9


def digest_moment(now: datetime, tz: ZoneInfo, calendar: WorkCalendar) -> tuple[str, datetime] | None:
    """This week's digest moment (the week's first working day, 09:00) and its week label, once it
    has come; None before it, or in a week without a working day."""
    today = local_today(now, tz)
    monday = today - timedelta(days=today.weekday())
    first = next((monday + timedelta(days=i) for i in range(7) if calendar.is_working_day(monday + timedelta(days=i))), None)
    if first is None:
        return None
    moment = at_hour(first, DIGEST_HOUR, tz)
    if now < moment:
        return None
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}", moment


def sweep_digests(engine: Engine, now: datetime, *, tz: ZoneInfo = DEFAULT_TZ, default_lang: str = DEFAULT_LANG) -> int:
    """Never twice: one digest per lead, task force and ISO week (idempotency key), built by one
    process at a time (advisory lock); a restart later in the week catches up once."""
    written = 0
    with once_only(engine, "digests") as session:
        if session is None:
            return 0
        for ws in session.exec(select(Workspace).order_by(Workspace.id)).all():
            calendar = calendar_for(session, ws.id)
            due = digest_moment(now, tz, calendar)
            if due is None:
                continue
            week, _moment = due
            for force in session.exec(select(TaskForce).where(TaskForce.workspace_id == ws.id,
                                                              TaskForce.status == "open").order_by(TaskForce.id)).all():
                written += _send_force(session, ws, force, week, now=now, tz=tz, default_lang=default_lang)
    return written


def _send_force(session, ws: Workspace, force: TaskForce, week: str, *, now: datetime, tz: ZoneInfo, default_lang: str) -> int:
    written = 0
    built: digest.Digest | None = None  # built once per force, rendered in each lead's language
    for lead in forces.leads_of(session, force):
        key = f"digest:{force.id}:{week}:{lead.id}"
        # Cheap check before the expensive build: most runs of the week find it sent already.
        if session.exec(select(Outbox.id).where(Outbox.idempotency_key == key)).first() is not None:
            continue
        ctx = Ctx(session, ws, lead, now, tz=tz, default_lang=default_lang)
        built = built or digest.build(ctx, force)
        written += outbox.enqueue(session, workspace_id=ws.id, key=key, recipient=lead.chat_user_id,
                                  text=digest.render(built, ctx.lang, tz), kind="digest", now=now, person_id=lead.id)
    return written
