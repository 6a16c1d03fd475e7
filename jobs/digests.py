"""The weekly digest job: each task-force lead gets the week's digest once, on the first working
morning of the week (周报)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jobs.isolation import read_items, run_item
from jobs.sweeps import DEFAULT_LANG, DEFAULT_TZ
from models import digest, forces, outbox
from models.calendar import WorkCalendar, local_today
from models.context import Ctx
from models.db import is_postgres
from models.org import calendar_for
from models.policy import Policy, effective
from models.tables import ForceMember, Outbox, Person, TaskForce, Workspace
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


CHUNK = 1000  # task forces whose digests are read together, set-based (a few statements per chunk)


def sweep_digests(engine: Engine, now: datetime, *, tz: ZoneInfo = DEFAULT_TZ, default_lang: str = DEFAULT_LANG) -> int:
    """Never twice: one digest per lead, task force and ISO week (idempotency key). Each task force's
    digest is written in its own transaction, by one process at a time (advisory lock per force and
    week): one that fails is logged with its reference, retried by the next run and stops no other. The
    plan reads the forces' policies and the calendar once per workspace and run; what the digests show is
    then read set-based, for a chunk of forces at a time (``digest.build_many``: a few grouped statements,
    whatever the number of forces), and only for the forces with a lead still waiting for this week's. A
    chunk that cannot be read costs nothing but time: its forces are built one by one, each in its own
    transaction, as before. A restart later in the week catches up once; a digest decided in quiet hours
    or on a day off waits for the next working morning."""
    written = 0
    with engine.connect() as conn:
        for ws_id in read_items(conn, "digests", _workspaces):
            plan = read_items(conn, f"digest ws={ws_id}", partial(_due_forces, ws_id=ws_id, now=now, tz=tz))
            for start in range(0, len(plan), CHUNK):
                chunk = plan[start:start + CHUNK]
                what = f"digest ws={ws_id} forces={chunk[0][0].id}..{chunk[-1][0].id}"
                read = read_items(conn, what, partial(_read_chunk, ws_id=ws_id, chunk=chunk, now=now, tz=tz,
                                                      default_lang=default_lang))
                batch = read[0] if read else None
                for force, week, calendar, policy in chunk:
                    waiting = batch.waiting.get(force.id) if batch is not None else None
                    if batch is not None and not waiting:
                        continue  # every lead has this week's already (or the force has no lead)
                    # The advisory lock is taken by _send_force together with the force's current status.
                    written += run_item(conn, f"digest force={force.id} ws={ws_id} week={week}",
                                        partial(_send_force, ws_id=ws_id, force=force, week=week, calendar=calendar,
                                                policy=policy, now=now, tz=tz, default_lang=default_lang,
                                                batch=batch))
    return written


def _workspaces(session: Session) -> list[int]:
    return [i for i in session.exec(select(Workspace.id).order_by(col(Workspace.id))).all() if i is not None]


def _due_forces(session: Session, *, ws_id: int, now: datetime, tz: ZoneInfo
                ) -> list[tuple[TaskForce, str, WorkCalendar, Policy]]:
    """The open task forces of a workspace whose digest is due this week, with the week, the calendar
    and each force's policy: one query for every force (and its policy), once per run."""
    calendar = calendar_for(session, ws_id)
    due = digest_moment(now, tz, calendar)
    if due is None:
        return []
    week, _moment = due
    rows = session.exec(select(TaskForce).where(TaskForce.workspace_id == ws_id, TaskForce.status == "open")
                        .order_by(col(TaskForce.id))).all()
    return [(force, week, calendar, effective(force.policy)) for force in rows]


@dataclass(frozen=True)
class Lead:
    """A lead as a digest's recipient."""

    id: int
    chat_user_id: str
    lang: str | None


@dataclass
class _Chunk:
    """What one chunk of forces' digests need, read set-based: the leads still waiting for this week's
    digest (by force) and the digests of those forces."""

    waiting: dict[int, list[Lead]]
    digests: dict[int, digest.Digest]
    workspace: Workspace


def _read_chunk(session: Session, *, ws_id: int, chunk: list[tuple[TaskForce, str, WorkCalendar, Policy]],
                now: datetime, tz: ZoneInfo, default_lang: str) -> list[_Chunk]:
    ws = session.get(Workspace, ws_id)
    if ws is None or not chunk:
        return []
    week, calendar = chunk[0][1], chunk[0][2]
    by_id = {force.id: force for force, *_rest in chunk}
    leads: dict[int, list[Lead]] = {}
    for force_id, person_id, chat_user_id, lang in session.execute(
        sa_select(col(ForceMember.force_id), col(Person.id), col(Person.chat_user_id), col(Person.lang))
        .join(Person, col(Person.id) == ForceMember.person_id)
        .where(col(ForceMember.force_id).in_(list(by_id)), col(ForceMember.is_lead) == True)  # noqa: E712
        .order_by(col(ForceMember.force_id), col(Person.id))
    ).all():
        if not any(lead.id == person_id for lead in leads.get(force_id, ())):
            leads.setdefault(force_id, []).append(Lead(person_id, chat_user_id, lang))
    keys = [_key(fid, week, lead.id) for fid, these in leads.items() for lead in these]
    sent: set[str] = set()
    for i in range(0, len(keys), 1000):
        sent.update(session.exec(select(Outbox.idempotency_key)
                                 .where(col(Outbox.idempotency_key).in_(keys[i:i + 1000]))).all())
    waiting = {fid: [lead for lead in these if _key(fid, week, lead.id) not in sent] for fid, these in leads.items()}
    waiting = {fid: these for fid, these in waiting.items() if these}
    if not waiting:
        return [_Chunk({}, {}, ws)]
    reader = next(iter(waiting.values()))[0]
    ctx = Ctx(session, ws, Person(id=reader.id, workspace_id=ws_id, chat_user_id=reader.chat_user_id, name=""),
              now, tz=tz, default_lang=default_lang)
    ctx.calendar = calendar  # the run's calendar: read once, not once per digest
    policies = {force.id: policy for force, _w, _c, policy in chunk if force.id in waiting}
    built = digest.build_many(ctx, [by_id[fid] for fid in waiting], policies=policies)
    return [_Chunk(waiting, built, ws)]


def _key(force_id: int, week: str, person_id: int) -> str:
    return f"digest:{force_id}:{week}:{person_id}"


def _claim(session: Session, force_id: int, week: str) -> bool:
    """True if this transaction now builds the force's digest: it holds the force's advisory lock for the
    week (PostgreSQL; another process holding it is building it) and the force is still open (it may have
    been closed since the plan was read). One statement."""
    status = sa_select(col(TaskForce.status)).where(col(TaskForce.id) == force_id).scalar_subquery()
    if not is_postgres(session):
        return session.execute(sa_select(status)).scalar() == "open"
    locked, current = session.execute(sa_select(
        func.pg_try_advisory_xact_lock(func.hashtext(f"guatu:digest:{force_id}:{week}")), status)).one()
    return bool(locked) and current == "open"


def _send_force(session: Session, *, ws_id: int, force: TaskForce, week: str, calendar: WorkCalendar, policy: Policy,
                now: datetime, tz: ZoneInfo, default_lang: str, batch: _Chunk | None) -> int:
    assert force.id is not None
    if not _claim(session, force.id, week):
        return 0  # another process is building it, or the force was closed since the plan was read
    if batch is not None:
        return _send_built(session, ws=batch.workspace, force=force, leads=batch.waiting[force.id], week=week,
                           calendar=calendar, policy=policy, now=now, tz=tz, default_lang=default_lang,
                           built=batch.digests)
    # The chunk could not be read: this force alone, everything read in its own transaction.
    ws = session.get(Workspace, ws_id)
    current = session.get(TaskForce, force.id)
    if ws is None or ws.id is None or current is None:
        return 0  # gone since the plan was read
    leads = [Lead(p.id, p.chat_user_id, p.lang) for p in forces.leads_of(session, current) if p.id is not None]
    sent = set(session.exec(select(Outbox.idempotency_key).where(
        col(Outbox.idempotency_key).in_([_key(current.id, week, lead.id) for lead in leads]))).all()) if leads else set()
    waiting = [lead for lead in leads if _key(current.id, week, lead.id) not in sent]
    return _send_built(session, ws=ws, force=current, leads=waiting, week=week, calendar=calendar, policy=policy,
                       now=now, tz=tz, default_lang=default_lang, built=None)


def _send_built(session: Session, *, ws: Workspace, force: TaskForce, leads: list[Lead], week: str,
                calendar: WorkCalendar, policy: Policy, now: datetime, tz: ZoneInfo, default_lang: str,
                built: dict[int, digest.Digest] | None) -> int:
    """Writes the force's digest to each waiting lead, in the lead's language, in one multi-row insert
    (a lead whose row is there already is skipped: never twice)."""
    if not leads or ws.id is None or force.id is None:
        return 0
    not_before = send_time(now, tz=tz, calendar=calendar, policy=policy)
    rows = []
    texts: dict[str, str] = {}  # built once per force, rendered once per language
    d: digest.Digest | None = None
    for lead in leads:
        ctx = Ctx(session, ws, Person(id=lead.id, workspace_id=ws.id, chat_user_id=lead.chat_user_id, name="",
                                      lang=lead.lang), now, tz=tz, default_lang=default_lang)
        ctx.calendar = calendar
        d = d or digest.build(ctx, force, policy=policy, batch=built)
        lang = ctx.lang
        if lang not in texts:
            texts[lang] = digest_text.render(d, lang, tz)
        rows.append(outbox.row(workspace_id=ws.id, key=_key(force.id, week, lead.id), recipient=lead.chat_user_id,
                               text=texts[lang], kind="digest", now=now, person_id=lead.id, not_before=not_before))
    return outbox.insert_many(session, rows)
