"""The jobs by name, for the scheduler and for operators (``guatu jobs list`` / ``guatu jobs run``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from jobs import briefings, digests, meetings, sweeps
from jobs.deliver import DeliveryStats, deliver, next_ready
from models.calendar import local_today
from models.outbox import Notifier
from models.timing import at_hour

Job = Callable[..., int]


def _positional(sweep: Callable[..., int]) -> Job:
    """``sweep(engine, *, now, …)`` as ``job(engine, now, …)``."""

    def job(engine: Engine, now: datetime, **options: Any) -> int:
        return sweep(engine, now=now, **options)

    job.__name__, job.__doc__ = sweep.__name__, sweep.__doc__
    return job


# name → callable(engine, now, *, tz=…, default_lang=…) returning the number of messages written.
# In ``all`` they run in this order.
JOBS: dict[str, Job] = {
    "reminders": _positional(sweeps.sweep_reminders),
    "nudges": _positional(sweeps.sweep_nudges),
    "escalations": _positional(sweeps.sweep_escalations),
    "notices": _positional(sweeps.sweep_notices),
    "digests": digests.sweep_digests,
    "meetings": meetings.sweep_meetings,
    # Last: it gathers what the sweeps above held for each person into one briefing (一人一单).
    "briefings": briefings.sweep_briefings,
}
JOB_IDS: tuple[str, ...] = (*JOBS, "deliver")

# Options the scheduler adds to a job's call: briefings wait for the same minute's sweeps to finish.
SCHEDULED_OPTIONS: dict[str, dict[str, Any]] = {"briefings": {"settle": briefings.SETTLE}}

# How often each job runs. Sweeps are cheap when nothing is due; delivery runs often so a reply
# or a reminder goes out within seconds.
EVERY: dict[str, timedelta] = {
    "reminders": timedelta(minutes=5),
    "nudges": timedelta(minutes=15),
    "escalations": timedelta(minutes=5),
    "notices": timedelta(minutes=5),
    "digests": timedelta(minutes=15),
    "meetings": timedelta(minutes=15),
    "briefings": timedelta(minutes=1),
    "deliver": timedelta(seconds=3),
}


def trigger(job_id: str, tz: ZoneInfo, now: datetime) -> IntervalTrigger:
    """The job's interval, aligned to local midnight, so a 5-minute sweep runs at 09:00:00 sharp."""
    start = at_hour(local_today(now, tz), 0, tz)
    return IntervalTrigger(seconds=EVERY[job_id].total_seconds(), start_date=start, timezone=tz)


def list_jobs(scheduler: Any | None, now: datetime, *, tz: ZoneInfo = sweeps.DEFAULT_TZ) -> list[tuple[str, datetime]]:
    """Every job id with its next run time: the scheduler's, or (without one) when a scheduler
    started at ``now`` would run it."""
    out: list[tuple[str, datetime]] = []
    for job_id in JOB_IDS:
        job = scheduler.get_job(job_id) if scheduler is not None else None
        next_run = getattr(job, "next_run_time", None) if job is not None else None
        if next_run is None:
            next_run = trigger(job_id, tz, now).get_next_fire_time(None, now)
        out.append((job_id, next_run))
    return out


def run_job(
    name: str, engine: Engine, notifier: Notifier, *, now: datetime, tz: ZoneInfo = sweeps.DEFAULT_TZ,
    default_lang: str = sweeps.DEFAULT_LANG, sleep: Callable[[float], None] = time.sleep, max_wait: float = 30.0,
) -> dict[str, Any]:
    """Runs one job once as if it were ``now`` (``all``: every sweep, then delivery; a sweep is followed
    by the briefings job, which gathers what it held for each person) and delivers
    what is due before returning, paced as in production: it waits up to ``max_wait`` seconds in
    all for a recipient's gate or a retry. Messages deferred to the working morning stay queued."""
    if name != "all" and name not in JOB_IDS:
        raise ValueError(f"unknown job {name!r}; choose one of: all, {', '.join(JOB_IDS)}")
    result: dict[str, Any] = {}
    chosen = list(JOBS) if name == "all" else [n for n in (name,) if n in JOBS]
    if chosen and "briefings" not in chosen:
        chosen.append("briefings")  # what a sweep held for a briefing goes out with this run, as in production
    for job_id in chosen:
        result[job_id] = JOBS[job_id](engine, now, tz=tz, default_lang=default_lang)
    result["deliver"] = drain(engine, notifier, now=now, sleep=sleep, max_wait=max_wait).as_dict()
    return result


def drain(engine: Engine, notifier: Notifier, *, now: datetime, sleep: Callable[[float], None] = time.sleep,
          max_wait: float = 30.0) -> DeliveryStats:
    """Delivers until nothing due is left, waiting (``sleep``) for gates and retries that open
    within ``max_wait`` seconds in all; time advances by what it waited."""
    total = DeliveryStats()
    at, waited = now, 0.0
    while True:
        stats = deliver(engine, notifier, now=at)
        for key, value in stats.as_dict().items():
            setattr(total, key, getattr(total, key) + value)
        ready = next_ready(engine, now=at)
        if ready is None:
            break
        wait = (ready - at).total_seconds()
        if wait <= 0:
            if stats.claimed == 0:
                break  # due but held back by a message in flight in another process
            continue
        if waited + wait > max_wait:
            break
        sleep(wait)
        waited += wait
        at += timedelta(seconds=wait)
    return total
