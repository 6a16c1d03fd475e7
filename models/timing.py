"""When to remind, escalate and deliver: pure functions of dates, ``now``, the calendar and the policy.

Nothing here reads the clock or the database, so sweeps and tests decide about time the same way.
All instants are timezone-aware; ``tz`` is the organisation's zone (GUATU_TZ).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from models.calendar import WorkCalendar, local_today, to_local
from models.policy import Policy


def at_hour(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """``hour``:00 local time on ``day``, as an aware datetime."""
    return datetime.combine(day, time(hour), tzinfo=tz)


def is_quiet(local_hour: int, policy: Policy) -> bool:
    """Inside quiet hours (免打扰); a window may wrap midnight (20–8); equal ends mean none."""
    start, end = policy.quiet_start, policy.quiet_end
    if start == end:
        return False
    if start < end:
        return start <= local_hour < end
    return local_hour >= start or local_hour < end


def send_time(
    now: datetime, *, tz: ZoneInfo, calendar: WorkCalendar, policy: Policy, high: bool = False,
    morning_hour: int | None = None,
) -> datetime:
    """When a message decided at ``now`` may go out: ``now`` on a working day outside quiet hours
    (always, for a high-priority task); otherwise the next working morning at ``morning_hour``
    (default: the end of quiet hours)."""
    if high:
        return now
    local = to_local(now, tz)
    today = local.date()
    working = calendar.is_working_day(today)
    if working and not is_quiet(local.hour, policy):
        return now
    hour = policy.quiet_end if morning_hour is None else morning_hour
    if is_quiet(hour, policy):
        hour = policy.quiet_end  # a "morning" inside the quiet window would only be deferred again
    if working:
        for candidate in (at_hour(today, hour, tz), at_hour(today, policy.quiet_end, tz)):
            if candidate > now:
                return candidate  # early on a working day (or inside a midday window): later today
    return at_hour(calendar.next_working_day(today), hour, tz)


# ---------------------------------------------------------------- reminders


@dataclass(frozen=True)
class Step:
    """A reminder step: ``days`` working days before a due date, at ``at``."""

    days: int
    at: datetime


def reminder_steps(due: date, *, tz: ZoneInfo, calendar: WorkCalendar, policy: Policy) -> list[Step]:
    """Every reminder moment for a due date, earliest first: policy.remind_days working days before
    and the day itself (the last working day on or before it when it falls on a day off)."""
    steps: dict[datetime, int] = {}
    for days in sorted(set(policy.remind_days) | {0}):
        day = calendar.add_working_days(due, -days) if days else calendar.previous_working_day(due, include_self=True)
        moment = at_hour(day, policy.remind_hour, tz)
        # Two steps on the same morning (a deadline on a day off): keep the one nearer the deadline.
        steps.setdefault(moment, days)
    return [Step(days, at) for at, days in sorted(steps.items())]


def due_reminder(
    due: date, *, since: datetime, now: datetime, tz: ZoneInfo, calendar: WorkCalendar, policy: Policy,
    high: bool = False,
) -> Step | None:
    """The one reminder step to send now, or None. Catch-up after downtime sends only the latest
    step whose moment has passed; earlier ones are skipped, as is everything once the day is over,
    any step before ``since`` (the task or node did not exist yet), and a step whose delivery would
    be deferred past the next step (that one will speak instead)."""
    if local_today(now, tz) > due:
        return None  # overdue: escalations take over
    steps = reminder_steps(due, tz=tz, calendar=calendar, policy=policy)
    passed = [s for s in steps if since <= s.at <= now]
    if not passed:
        return None
    step = passed[-1]
    later = [s for s in steps if s.at > step.at]
    if later and send_time(now, tz=tz, calendar=calendar, policy=policy, high=high,
                           morning_hour=policy.remind_hour) >= later[0].at:
        return None
    return step


def reminder_horizon(today: date, *, calendar: WorkCalendar, max_days: int) -> date:
    """The last due date that can have a reminder step on or before ``today`` (a superset bound
    for the sweep's query: every step of a later date lies after today)."""
    return calendar.add_working_days(today, max_days + 1)


# ---------------------------------------------------------------- nudges


def silence_cutoff(now: datetime, *, tz: ZoneInfo, calendar: WorkCalendar, stale_days: int) -> datetime:
    """A silence that began before this instant has lasted ``stale_days`` working days by ``now``
    (working days are counted as in :meth:`WorkCalendar.working_days_between`: after the day of the
    last report, up to and including today)."""
    # (d, today] holds n working days exactly when d is before the n-th working day counted back
    # from today, so the cutoff is the start of that day.
    last = calendar.previous_working_day(local_today(now, tz), include_self=True)
    nth = calendar.add_working_days(last, -(stale_days - 1)) if stale_days > 1 else last
    return at_hour(nth, 0, tz)


# ---------------------------------------------------------------- escalations

LEVELS = 4  # owner, task-force lead(s), leader in charge, chief


def entry_delays(delays: list[int], entry: int = 0) -> list[int]:
    """Per-level delays (working days after day 0) for a ladder entered at level ``entry``: the
    levels up to it fire together on day 0 (the owner still hears first), the later ones keep their
    gaps from it. ``entry`` 0 is the ordinary ladder."""
    delays = list(delays[:LEVELS])
    if entry <= 0 or not delays:
        return delays
    e = min(entry, len(delays) - 1)
    return [0 if i <= e else max(0, d - delays[e]) for i, d in enumerate(delays)]


def level_moments(anchor: date, delays: list[int], *, remind_hour: int, tz: ZoneInfo,
                  calendar: WorkCalendar) -> list[datetime]:
    """When each ladder level is due: day 0 is the first working day after ``anchor``; level i
    fires ``delays[i]`` working days after day 0, at ``remind_hour``."""
    day0 = calendar.next_working_day(anchor)
    return [at_hour(calendar.add_working_days(day0, d), remind_hour, tz) for d in delays[:LEVELS]]


def due_levels(moments: list[datetime], fired: int, now: datetime) -> list[int]:
    """Every level above ``fired`` whose moment has passed, lowest first. After downtime the missed
    levels all fire, in order, so no notice claims an earlier level that was never sent."""
    return [i for i, m in enumerate(moments) if i > fired and m <= now]


def paused_moments(moments: list[datetime], fired: int, resume: datetime, *, tz: ZoneInfo,
                   calendar: WorkCalendar) -> list[datetime]:
    """The ladder after a pause (收到) until ``resume``: the next level fires no earlier than
    ``resume``, and each level after it keeps its working-day gap from the one before."""
    nxt = fired + 1
    if nxt >= len(moments) or moments[nxt] >= resume:
        return list(moments)
    out = [*moments[:nxt], resume]
    for i in range(nxt + 1, len(moments)):
        old_prev, old, new_prev = (to_local(m, tz) for m in (moments[i - 1], moments[i], out[i - 1]))
        gap = calendar.working_days_between(old_prev.date(), old.date())
        day = calendar.add_working_days(new_prev.date(), gap) if gap > 0 else new_prev.date()
        out.append(max(out[i - 1], at_hour(day, old.hour, tz)))
    return out


def resume_moment(acked: datetime, pause_days: int, *, remind_hour: int, tz: ZoneInfo,
                  calendar: WorkCalendar) -> datetime:
    """When a ladder paused by 收到 at ``acked`` climbs again: ``pause_days`` working days later, at
    ``remind_hour``."""
    day = local_today(acked, tz)
    if pause_days <= 0:
        return acked
    start = day if calendar.is_working_day(day) else calendar.previous_working_day(day, include_self=True)
    return at_hour(calendar.add_working_days(start, pause_days), remind_hour, tz)
