"""Digests and agendas cost what they show: working days by prefix sums equal the day-by-day count (调休
overrides, the 20-year saturation and the calendar's edges included), a digests run reads the task forces'
policies once and runs a constant number of statements per force, and models/ renders nothing."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlmodel import Session

from jobs.digests import sweep_digests
from models.calendar import FAR, WorkCalendar
from tests.conftest import TZ, at
from tests.factories import d, standard_world

PROPERTY = settings(derandomize=True, database=None, deadline=None, max_examples=300)
ROOT = Path(__file__).resolve().parents[1]


# --- the prefix-sum calendar against the day-by-day definition ---------------------------------

def _between_by_day(cal: WorkCalendar, start: date, end: date) -> int:
    """Working days in (start, end], counted one day at a time (the definition)."""
    if end < start:
        return -_between_by_day(cal, end, start)
    end = min(end, start + FAR)
    n, cur = 0, start + timedelta(days=1)
    while cur <= end:
        n += cal.is_working_day(cur)
        cur += timedelta(days=1)
    return n


def _add_by_day(cal: WorkCalendar, start: date, n: int) -> date:
    if n == 0:
        return cal.next_working_day(start, include_self=True)
    step, left, cur = timedelta(days=1 if n > 0 else -1), abs(n), start
    while left:
        cur += step
        left -= cal.is_working_day(cur)
    return cur


DAYS = st.dates(min_value=date(1988, 1, 1), max_value=date(2103, 12, 31))
OVERRIDES = st.dictionaries(st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
                            st.tuples(st.booleans(), st.sampled_from(["调休", "放假", ""])), max_size=12)
NEAR = st.dates(min_value=date(2025, 6, 1), max_value=date(2028, 6, 30))


@PROPERTY
@given(overrides=OVERRIDES, start=NEAR, length=st.integers(min_value=-900, max_value=900))
def test_prefix_sums_count_as_the_day_by_day_walk_with_tiaoxiu_overrides(overrides, start, length):
    cal = WorkCalendar(overrides)
    end = start + timedelta(days=length)
    assert cal.working_days_between(start, end) == _between_by_day(cal, start, end)


@PROPERTY
@given(overrides=OVERRIDES, start=NEAR, n=st.integers(min_value=-300, max_value=300))
def test_adding_working_days_lands_where_the_day_by_day_walk_does(overrides, start, n):
    cal = WorkCalendar(overrides)
    assert cal.add_working_days(start, n) == _add_by_day(cal, start, n)


@settings(derandomize=True, database=None, deadline=None, max_examples=60)
@given(start=DAYS, length=st.integers(min_value=-3000, max_value=3000))
def test_prefix_sums_agree_across_the_bounds_of_the_known_years(start, length):
    cal = WorkCalendar()
    end = start + timedelta(days=length)
    assert cal.working_days_between(start, end) == _between_by_day(cal, start, end)


def test_counts_saturate_past_twenty_years_and_reach_the_ends_of_the_calendar():
    cal = WorkCalendar()
    start = date(2026, 11, 23)
    far = cal.working_days_between(start, date(9999, 12, 31))
    assert far == cal.working_days_between(start, start + FAR) == _between_by_day(cal, start, start + FAR)
    assert cal.working_days_between(date(9999, 12, 31), start) == -far
    assert cal.working_days_between(date(1, 1, 1), date(1, 1, 10)) == _between_by_day(cal, date(1, 1, 1), date(1, 1, 10))
    assert cal.add_working_days(date(9999, 12, 20), 5) == _add_by_day(cal, date(9999, 12, 20), 5)
    assert cal.add_working_days(date(1, 1, 12), -5) == _add_by_day(cal, date(1, 1, 12), -5)
    with pytest.raises(OverflowError):
        cal.add_working_days(date(9999, 12, 30), 5)
    with pytest.raises(OverflowError):
        cal.add_working_days(date(1, 1, 2), -5)


# --- a digests run: policies read once, statements a constant per force -------------------------

MONDAY = at("2026-11-23 09:00")


def _world(engine, forces: int):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, at("2026-11-16 10:00"))
        for i in range(forces):
            lead = f"lead{i}"
            w.person(lead, "lead")
            w.force(f"专班{i}", lead, "zhang")
            for k in range(3):
                w.task(lead, f"任务{i}-{k}", due=d("2026-11-20") + timedelta(days=10 * k), owner="zhang", force=f"专班{i}")
        s.commit()


def _statements(engine, now) -> list[str]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert sweep_digests(engine, now, tz=TZ) > 0
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def _reads_every_policy(sql: str) -> bool:
    """A statement that reads the policy of every task force of a workspace (not one force's row)."""
    flat = " ".join(sql.split()).lower()
    return "taskforce.policy" in flat and "from taskforce" in flat and "taskforce.id =" not in flat \
        and "taskforce.id in" not in flat


def test_a_digests_run_reads_the_policies_once_and_a_constant_number_of_statements_per_force(engine):
    from tests.conftest import _wipe

    counted = {}
    for forces in (2, 4, 8):
        _wipe(engine)
        _world(engine, forces)
        counted[forces] = _statements(engine, MONDAY)
    for statements in counted.values():
        assert sum(map(_reads_every_policy, statements)) == 1  # the plan's, whatever the number of forces
    n = {k: len(v) for k, v in counted.items()}
    per_force = (n[4] - n[2]) / 2
    assert n[8] - n[4] == 4 * per_force, n  # linear: the same statements for every further force
    assert per_force <= 15 and n[2] - 3 * per_force <= 12, n  # (3 forces: 数据共享专班 and two more)


# --- models/ renders nothing ----------------------------------------------------------------------

@pytest.mark.parametrize("module", ["digest", "rank", "meetings"])
def test_the_digest_rank_and_meetings_models_word_nothing(module):
    source = (ROOT / "models" / f"{module}.py").read_text(encoding="utf-8")
    imported = " ".join(re.findall(r"^from models\.i18n import (.+)$", source, re.M))
    assert not re.search(r"\bt\b|format_", imported), imported  # Msg and Day are data: worded at delivery
    for sign in ("i18n.t(", "EMOJI", "icalendar", "strftime", "explain(", "def render", '"# ', "### "):
        assert sign not in source, f"models/{module}.py: {sign}"
    # The only words models/meetings.py writes are those it stores: a default title, a decision's description.
    renders = re.findall(r"\.render\(", source)
    assert len(renders) == (1 if module == "meetings" else 0)
    if module == "meetings":
        assert "def _stored(msg: Msg, lang: str) -> str:\n" in source
