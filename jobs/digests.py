"""The weekly digest job: each task-force lead gets the week's digest once, on the first working
morning of the week (周报)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jobs.isolation import read_items, run_item
from jobs.sweeps import DEFAULT_LANG, DEFAULT_TZ
from models import digest, forces, outbox
from models.calendar import WorkCalendar, local_today
from models.context import Ctx
from models.org import calendar_for
from models.policy import Policy, effective
from models.tables import Outbox, TaskForce, Workspace
from models.timing import at_hour, send_time
from present import digest as digest_text

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
    week): one that fails is retried by the next run and stops no other. The plan reads the forces'
    policies and the calendar once per workspace and run; each digest then costs what it shows. A restart later in the
    week catches up once; a digest decided in quiet hours or on a day off waits for the next
    working morning."""
    written = 0
    with engine.connect() as conn:
        for ws_id in read_items(conn, "digests", _workspaces):
            for force_id, week, calendar, policy in read_items(conn, f"digest ws={ws_id}",
                                                               partial(_due_forces, ws_id=ws_id, now=now, tz=tz)):
                written += run_item(conn, f"digest force={force_id} ws={ws_id} week={week}",
                                    partial(_send_force, ws_id=ws_id, force_id=force_id, week=week, calendar=calendar,
                                            policy=policy, now=now, tz=tz, default_lang=default_lang),
                                    lock=f"guatu:digest:{force_id}:{week}")
    return written


def _workspaces(session: Session) -> list[int]:
    return [i for i in session.exec(select(Workspace.id).order_by(col(Workspace.id))).all() if i is not None]


def _due_forces(session: Session, *, ws_id: int, now: datetime, tz: ZoneInfo
                ) -> list[tuple[int, str, WorkCalendar, Policy]]:
    """The open task forces of a workspace whose digest is due this week, with the week, the calendar
    and each force's policy: one column query for every force's policy, once per run."""
    calendar = calendar_for(session, ws_id)
    due = digest_moment(now, tz, calendar)
    if due is None:
        return []
    week, _moment = due
    rows = session.exec(select(TaskForce.id, TaskForce.policy).where(TaskForce.workspace_id == ws_id,
                                                                     TaskForce.status == "open")
                        .order_by(col(TaskForce.id))).all()
    return [(int(force_id), week, calendar, effective(policy)) for force_id, policy in rows]  # type: ignore[arg-type]


def _send_force(session: Session, *, ws_id: int, force_id: int, week: str, calendar: WorkCalendar, policy: Policy,
                now: datetime, tz: ZoneInfo, default_lang: str) -> int:
    ws = session.get(Workspace, ws_id)
    force = session.get(TaskForce, force_id)
    if ws is None or ws.id is None or force is None or force.status != "open":
        return 0  # closed or gone since the plan was read
    not_before = send_time(now, tz=tz, calendar=calendar, policy=policy)
    leads = forces.leads_of(session, force)
    keys = {lead.id: f"digest:{force.id}:{week}:{lead.id}" for lead in leads}
    # Cheap check before the expensive build: most runs of the week find every lead's sent already.
    sent = set(session.exec(select(Outbox.idempotency_key).where(col(Outbox.idempotency_key).in_(list(keys.values()))))
               .all()) if keys else set()
    written = 0
    built: digest.Digest | None = None  # built once per force, rendered in each lead's language
    for lead in leads:
        key = keys[lead.id]
        if key in sent:
            continue
        ctx = Ctx(session, ws, lead, now, tz=tz, default_lang=default_lang)
        ctx.calendar = calendar  # the run's calendar: read once, not once per digest
        built = built or digest.build(ctx, force, policy=policy)
        written += outbox.enqueue(session, workspace_id=ws.id, key=key, recipient=lead.chat_user_id,
                                  text=digest_text.render(built, ctx.lang, tz), kind="digest", now=now, person_id=lead.id,
                                  not_before=not_before)
    return written
