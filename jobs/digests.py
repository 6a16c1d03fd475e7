"""The weekly digest job: each task-force lead gets the week's digest once, on the first working
morning of the week (周报)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobs.isolation import read_items, run_item
from jobs.sweeps import DEFAULT_LANG, DEFAULT_TZ
from models import digest, forces, outbox
from models.calendar import WorkCalendar, local_today
from models.context import Ctx
from models.org import calendar_for
from models.policy import effective
from models.tables import Outbox, TaskForce, Workspace
from models.timing import at_hour, send_time

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
    """Never twice: one digest per lead, task force and ISO week (idempotency key). Each task force's
    digest is built in its own transaction, by one process at a time (advisory lock per force and
    week): one that fails is retried by the next run and stops no other. A restart later in the
    week catches up once; a digest decided in quiet hours or on a day off waits for the next
    working morning."""
    written = 0
    with engine.connect() as conn:
        for ws_id in read_items(conn, "digests", _workspaces):
            for force_id, week, calendar in read_items(conn, f"digest ws={ws_id}",
                                                       partial(_due_forces, ws_id=ws_id, now=now, tz=tz)):
                written += run_item(conn, f"digest force={force_id} ws={ws_id} week={week}",
                                    partial(_send_force, ws_id=ws_id, force_id=force_id, week=week, calendar=calendar,
                                            now=now, tz=tz, default_lang=default_lang),
                                    lock=f"guatu:digest:{force_id}:{week}")
    return written


def _workspaces(session: Session) -> list[int]:
    return list(session.exec(select(Workspace.id).order_by(Workspace.id)).all())


def _due_forces(session: Session, *, ws_id: int, now: datetime, tz: ZoneInfo) -> list[tuple[int, str, WorkCalendar]]:
    """The open task forces of a workspace whose digest is due this week, with the week and the calendar."""
    calendar = calendar_for(session, ws_id)
    due = digest_moment(now, tz, calendar)
    if due is None:
        return []
    week, _moment = due
    ids = session.exec(select(TaskForce.id).where(TaskForce.workspace_id == ws_id, TaskForce.status == "open")
                       .order_by(TaskForce.id)).all()
    return [(force_id, week, calendar) for force_id in ids]


def _send_force(session: Session, *, ws_id: int, force_id: int, week: str, calendar: WorkCalendar, now: datetime,
                tz: ZoneInfo, default_lang: str) -> int:
    ws = session.get(Workspace, ws_id)
    force = session.get(TaskForce, force_id)
    if ws is None or force is None or force.status != "open":
        return 0  # closed or gone since the plan was read
    not_before = send_time(now, tz=tz, calendar=calendar, policy=effective(force.policy))
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
                                  text=digest.render(built, ctx.lang, tz), kind="digest", now=now, person_id=lead.id,
                                  not_before=not_before)
    return written
