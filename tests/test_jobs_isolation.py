"""The digest and meeting jobs, item by item: one task force's digest or one meeting's draft that
fails is logged, kept out of the outbox, retried by the next run, and stops no other."""

from __future__ import annotations

import logging
from datetime import time, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from jobs.digests import sweep_digests
from jobs.registry import run_job
from models import digest, forces, meetings
from models.org import PersonRef
from models.tables import Outbox
from present import digest as digest_text
from tests.conftest import TZ, at
from tests.factories import d, standard_world
from tests.outbox_fakes import Recorder

DIGEST_MORNING = at("2026-11-23 09:00")  # Monday: this week's digests are due
WEEK = "2026-W48"


@pytest.fixture
def world(engine):
    """Two task forces: 数据共享专班 (lead lin) and 营商环境专班 (leads chen and zhou, zhou reading English)."""
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, at("2026-11-16 10:00"))
        w.person("wu", "secretary")
        w.person("chen", "lead")
        w.person("zhou")
        w.people["zhou"].lang = "en"
        w.force("营商环境专班", "chen")
        forces.force_add(w.ctx("chen"), [PersonRef(name="zhou")], force_name="营商环境专班")
        forces.add_member(w.ctx("chen"), forces.find_force(w.ctx("chen"), "营商环境专班"), w.people["zhou"],
                          dept_id=None, lead=True)
        w.task("lin", "公安人口数据接入", due=d("2026-11-20"), owner="zhang", force="数据共享专班")
        s.commit()
        w.forces = {name: forces.find_force(w.ctx("root"), name) for name in ("数据共享专班", "营商环境专班")}
        yield w


def rows(engine, kind: str) -> list[Outbox]:
    with Session(engine) as s:
        return list(s.exec(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id)).all())


def run(name: str, engine, sink: Recorder, now):
    return run_job(name, engine, sink, now=now, tz=TZ, sleep=lambda _: None)


def failures(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]


def test_a_failing_digest_stops_no_other_and_the_next_run_sends_it_once(world, engine, monkeypatch, caplog):
    broken = world.forces["数据共享专班"].id
    real_build = digest.build

    def build(ctx, force, **kw):
        if force.id == broken:
            raise RuntimeError("digest source unavailable")
        return real_build(ctx, force, **kw)

    monkeypatch.setattr(digest, "build", build)
    sink = Recorder(min_interval=0)
    with caplog.at_level(logging.ERROR):
        first = run("digests", engine, sink, DIGEST_MORNING)
    assert first["digests"] == 2  # the other force's two leads
    assert sorted(r.recipient for r in rows(engine, "digest")) == ["chen", "zhou"]
    assert all(r.status == "sent" for r in rows(engine, "digest"))  # delivered in the same run
    [logged] = failures(caplog)
    assert f"digest force={broken} ws={world.ws.id} week={WEEK} ref=" in logged
    assert "RuntimeError" in caplog.text and "digest source unavailable" in caplog.text

    monkeypatch.setattr(digest, "build", real_build)  # the fault is gone
    second = run("digests", engine, sink, DIGEST_MORNING + timedelta(minutes=15))
    assert second["digests"] == 1
    assert run("digests", engine, sink, DIGEST_MORNING + timedelta(minutes=30))["digests"] == 0
    assert sorted(r.recipient for r in rows(engine, "digest")) == ["chen", "lin", "zhou"]
    assert [r for r, t in sink.sent if "周报" in t or "Weekly digest" in t].count("lin") == 1


def test_a_digest_failing_for_its_second_lead_keeps_nothing_of_the_first(world, engine, monkeypatch, caplog):
    real_render = digest_text.render

    def render(built, lang, tz):
        if lang == "en":  # zhou, the second lead of 营商环境专班: chen's row was written already
            raise RuntimeError("no English template")
        return real_render(built, lang, tz)

    monkeypatch.setattr(digest_text, "render", render)
    with caplog.at_level(logging.ERROR):
        assert sweep_digests(engine, DIGEST_MORNING, tz=TZ) == 1  # lin's; chen's rolled back with zhou's
    assert [r.recipient for r in rows(engine, "digest")] == ["lin"]
    assert f"digest force={world.forces['营商环境专班'].id} " in failures(caplog)[0]
    monkeypatch.setattr(digest_text, "render", real_render)
    assert sweep_digests(engine, DIGEST_MORNING + timedelta(minutes=15), tz=TZ) == 2
    assert sorted(r.recipient for r in rows(engine, "digest")) == ["chen", "lin", "zhou"]


def test_a_failing_draft_agenda_stops_no_other_meeting_and_is_sent_once_later(world, engine, monkeypatch, caplog):
    # Cut-offs Mon 12-14 and Tue 12-15: on Wed 12-16 both drafts are due.
    first = meetings.new_meeting(world.ctx("wu"), "monthly", d("2026-12-16"), at=time(15, 0))
    second = meetings.new_meeting(world.ctx("wu"), "thematic", d("2026-12-17"))
    world.session.commit()
    real_build = meetings.build_agenda

    def build_agenda(ctx, meeting_id, **kw):
        if meeting_id == first.id:
            raise RuntimeError("agenda query timed out")
        return real_build(ctx, meeting_id, **kw)

    monkeypatch.setattr(meetings, "build_agenda", build_agenda)
    sink = Recorder(min_interval=0)
    now = at("2026-12-16 10:00")
    with caplog.at_level(logging.ERROR):
        assert run("meetings", engine, sink, now)["meetings"] == 1
    [draft] = rows(engine, "meeting")
    assert draft.recipient == "wu" and f"#{second.id}" in draft.text and draft.status == "sent"
    assert f"meeting draft meeting={first.id} ws={world.ws.id} ref=" in failures(caplog)[0]

    monkeypatch.setattr(meetings, "build_agenda", real_build)
    assert run("meetings", engine, sink, now + timedelta(minutes=15))["meetings"] == 1
    assert run("meetings", engine, sink, now + timedelta(minutes=30))["meetings"] == 0
    drafts = [t for r, t in sink.sent if r == "wu" and "议程" in t]
    assert len(drafts) == 2 and sum(f"#{first.id}" in t.splitlines()[0] for t in drafts) == 1


# Advisory locks are PostgreSQL's; SQLite deployments run one scheduling process.
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_digest_another_process_is_building_is_skipped_not_doubled(world, engine):
    held = world.forces["数据共享专班"].id
    with engine.connect() as other, other.begin():  # another process is building this force's digest
        assert other.execute(text("SELECT pg_try_advisory_xact_lock(hashtext(:k))"),
                             {"k": f"guatu:digest:{held}:{WEEK}"}).scalar()
        assert sweep_digests(engine, DIGEST_MORNING, tz=TZ) == 2  # the other force's, not the held one
        assert "lin" not in [r.recipient for r in rows(engine, "digest")]
    assert sweep_digests(engine, DIGEST_MORNING + timedelta(minutes=15), tz=TZ) == 1  # released: taken now
    assert sweep_digests(engine, DIGEST_MORNING + timedelta(minutes=30), tz=TZ) == 0
