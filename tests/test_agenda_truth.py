"""Agendas that tell the truth: a series follows up its own previous meeting (and the ad-hoc meetings of
its kind since), red includes passed time nodes and is counted in full, the 赛马 line never names one
unit on both sides, and no raw catalogue key is ever printed."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest
from sqlmodel import Session

from models import meetings, org
from models.org import PersonRef
from present import agenda as agenda_text
from tests.conftest import at
from tests.factories import d, standard_world

NOW = at("2026-11-23 10:00")
F = "数据共享专班"


@pytest.fixture
def world(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, NOW)
        w.person("wu", "secretary")
        yield w


def _followed(agenda) -> list[str]:
    return [line.title for line in agenda_text.lines(agenda, "zh") if line.section == "followup"]


def test_a_series_meeting_follows_up_its_previous_meeting_and_the_ad_hoc_one_between(world):
    sec = world.ctx("wu")
    _series, (first, second) = meetings.new_series(sec, "monthly", 1, d("2026-12-01"))
    adhoc = meetings.new_meeting(sec, "monthly", d("2026-12-02"), title="数据共享专题协调会")
    _, a = meetings.decide(world.ctx("wu", now=at("2026-12-01 11:00")), first.id, "完成数据目录编制",
                           PersonRef(name="zhang"), d("2026-12-20"))
    _, b = meetings.decide(world.ctx("wu", now=at("2026-12-02 11:00")), adhoc.id, "打通人口库接口",
                           PersonRef(name="wang"), d("2026-12-25"))
    later = world.ctx("wu", now=at("2026-12-21 10:00"))
    assert [m.id for m in meetings.followed_up(later, second)] == [first.id, adhoc.id]
    titles = _followed(meetings.build_agenda(later, second.id))
    assert any(f"#{a.id}" in x for x in titles) and any(f"#{b.id}" in x for x in titles)
    text = agenda_text.render(meetings.build_agenda(later, second.id), "zh")
    assert f"会议 #{first.id}" in text and f"会议 #{adhoc.id}" in text  # several sources: each line says which
    # The ad-hoc meeting follows up the previous meeting of its kind: the series' first.
    assert [m.id for m in meetings.followed_up(later, adhoc)] == [first.id]
    adhoc_titles = _followed(meetings.build_agenda(world.ctx("wu", now=at("2026-12-02 08:00")), adhoc.id))
    assert len(adhoc_titles) == 1 and f"#{a.id}" in adhoc_titles[0]


def test_a_series_first_meeting_follows_up_the_previous_meeting_of_its_kind(world):
    sec = world.ctx("wu")
    before = meetings.new_meeting(sec, "monthly", d("2026-11-25"))
    _, (first, _second) = meetings.new_series(sec, "monthly", 1, d("2026-12-01"))
    assert [m.id for m in meetings.followed_up(sec, first)] == [before.id]


def test_a_task_red_because_a_time_node_passed_is_in_the_red_section(world):
    t = world.task("lin", "公共数据平台建设", due=d("2027-01-31"), owner="zhang", force=F,
                   nodes=[(d("2026-11-25"), "完成需求调研")])
    m = meetings.new_meeting(world.ctx("wu"), "monthly", d("2026-12-15"))
    agenda = meetings.build_agenda(world.ctx("wu", now=at("2026-11-27 10:00")), m.id)
    hot = [line for line in agenda_text.lines(agenda, "zh") if line.section == "hot"]
    assert len(hot) == 1 and f"#{t.id}" in hot[0].title and "🔴" in hot[0].title and "完成需求调研" in hot[0].note


def test_the_red_section_counts_everything_it_does_not_list(world):
    made = [world.task("lin", f"任务{i}", due=d("2026-11-24"), owner="zhang", force=F) for i in range(12)]
    m = meetings.new_meeting(world.ctx("wu"), "monthly", d("2026-12-15"))
    agenda = meetings.build_agenda(world.ctx("wu", now=at("2026-11-26 10:00")), m.id, max_hot=5)
    hot = [line for line in agenda_text.lines(agenda, "zh") if line.section == "hot"]
    assert len(hot) == 6 and "另有 7 项" in hot[-1].title
    assert len(made) == 12


@pytest.mark.parametrize("n", range(9))
def test_race_sides_never_overlap(n):
    top, bottom = meetings.race_sides(n)
    assert top + bottom <= n and (n == 0 or top >= 1)


@pytest.mark.parametrize("depts", [2, 3, 4, 5])
def test_the_race_line_never_lists_a_department_as_leading_and_trailing(world, depts):
    root = world.people["root"]
    for i in range(depts):
        org.dept_add(world.session, root, world.ws, f"部门{i}", now=NOW)
        world.task("lin", f"任务{i}", due=d("2026-12-31"), owner="zhang", force=F, dept=f"部门{i}")
    m = meetings.new_meeting(world.ctx("wu"), "monthly", d("2026-12-15"))
    race = next(line for line in agenda_text.lines(meetings.build_agenda(world.ctx("wu"), m.id), "zh") if line.section == "race")
    ahead, _, behind = race.note.partition("；")
    top = set(ahead.removeprefix("领先：").split("、"))
    bottom = set(behind.removeprefix("靠后：").split("、")) if behind else set()
    assert top and not (top & bottom), race.note
    assert len(top | bottom) <= depts


_RAW_KEY = re.compile(r"\b[a-z_]+\.[a-z_]+(?:\.[a-z_]+)*\b")


def test_a_full_agenda_prints_no_raw_catalogue_key(world):
    for i in range(4):
        world.task("lin", f"逾期{i}", due=d("2026-11-24"), owner="zhang", force=F)
    m = meetings.new_meeting(world.ctx("wu"), "thematic", d("2026-12-15"))
    meetings.propose(world.ctx("zhang"), m.id, "议题", length=15)
    agenda = meetings.build_agenda(world.ctx("wu", now=at("2026-11-26 10:00")), m.id, max_hot=2)
    for lang in ("zh", "en"):
        text = agenda_text.render(agenda, lang)
        assert not _RAW_KEY.findall(text), text


@pytest.mark.parametrize("module", ["models.meetings", "present.agenda", "present.minutes", "present.ics"])
def test_every_key_the_meetings_module_uses_is_registered_by_importing_it_alone(module):
    # /meeting agenda once printed "digest.more": a key registered by a module the agenda never imports.
    root = Path(__file__).resolve().parents[1]
    source = (root / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8")
    keys = sorted(k for k in set(re.findall(r'\bt\(\s*"([a-z_.]+)"', source)) | set(re.findall(r'\bMsg\(\s*"([a-z_.]+)"', source))
                  if not k.endswith("."))
    if module == "present.agenda":
        keys += [f"meeting.section.{s}" for s in meetings.SECTIONS]
    keys += [f"meeting.title.{k}" for k in ("thematic", "monthly", "other")]
    keys += [f"status.{s}" for s in ("todo", "active", "blocked", "done_requested", "done", "cancelled")]
    assert len(keys) > 9  # the module's own keys were found
    code = (f"import sys, {module}\nfrom models import i18n\n"
            "missing = [k for k in sys.argv[1:] if not i18n.has(k)]\nprint(' '.join(missing))\n")
    out = subprocess.run([sys.executable, "-c", code, *keys], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"unregistered when {module} is imported alone: {out.stdout}"


def test_the_agenda_starts_at_the_meeting_time(world):
    m = meetings.new_meeting(world.ctx("wu"), "monthly", d("2026-12-15"), at=time(14, 30))
    world.task("lin", "x", due=d("2026-12-31"), owner="zhang", force=F)
    agenda = meetings.build_agenda(world.ctx("wu"), m.id)
    assert agenda.lines[0].start == time(14, 30)
