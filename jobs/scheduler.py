"""The in-process scheduler: a few fixed periodic jobs (sweeps and delivery), never one job per reminder.

State lives in our tables, so the job store is in memory and every process may run its own
scheduler: PostgreSQL row locks (SKIP LOCKED) and unique step keys keep parallel sweeps from
doubling anything. A ``BackgroundScheduler`` dies with the main thread: the caller keeps the
process alive (``guatu serve`` does).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine

from jobs import registry
from jobs.deliver import deliver
from models.outbox import Notifier

log = logging.getLogger(__name__)

# A run that could not start on time is still worth doing within this many seconds; later, the
# next interval comes first (and sweeps catch up on their own: what is due stays due).
MISFIRE_GRACE = {"deliver": 10}
DEFAULT_GRACE = 120


def _utcnow() -> datetime:
    return datetime.now(UTC)


def build_scheduler(
    engine: Engine, notifier: Notifier, *, tz: ZoneInfo, now_fn: Callable[[], datetime] = _utcnow,
    default_lang: str = "zh",
) -> BackgroundScheduler:
    """A scheduler (not started) with the fixed jobs of ``registry.JOB_IDS``: coalesced, one
    instance each, replaced on re-registration; each run asks ``now_fn`` for the time."""
    scheduler = BackgroundScheduler(
        timezone=tz,
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": DEFAULT_GRACE},
    )
    now = now_fn()
    for job_id in registry.JOB_IDS:
        scheduler.add_job(
            _tick, trigger=registry.trigger(job_id, tz, now), id=job_id, name=job_id, replace_existing=True,
            misfire_grace_time=MISFIRE_GRACE.get(job_id, DEFAULT_GRACE),
            kwargs=dict(job_id=job_id, engine=engine, notifier=notifier, tz=tz, now_fn=now_fn,
                        default_lang=default_lang),
        )
    return scheduler


def _tick(*, job_id: str, engine: Engine, notifier: Notifier, tz: ZoneInfo, now_fn: Callable[[], datetime],
          default_lang: str) -> None:
    """One scheduled run; errors are logged by APScheduler and the next interval tries again."""
    now = now_fn()
    if job_id == "deliver":
        stats = deliver(engine, notifier, now=now)
        if stats.claimed:
            log.info("deliver: %s", stats.as_dict())
        return
    written = registry.JOBS[job_id](engine, now, tz=tz, default_lang=default_lang,
                                    **registry.SCHEDULED_OPTIONS.get(job_id, {}))
    if written:
        log.info("%s: %d message(s) queued", job_id, written)
