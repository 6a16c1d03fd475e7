"""The digests job reads a chunk of task forces' digests at once (models.digest.build_many) and writes
each force's in its own transaction: a chunk that cannot be read falls back to one force at a time, a force
closed after the chunk was read gets no digest, and a second run of the week reads nothing heavy."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlalchemy import event
from sqlmodel import Session

import jobs.digests as digests_job
from jobs.digests import sweep_digests
from models import digest
from models.tables import TaskForce
from tests.conftest import TZ
from tests.test_jobs_isolation import DIGEST_MORNING, rows, world


def test_a_chunk_that_cannot_be_read_is_sent_force_by_force(world, engine, monkeypatch, caplog):
    real = digest.build_many

    def build_many(ctx, forces, **kw):
        if len(forces) > 1:
            raise RuntimeError("chunk query timed out")
        return real(ctx, forces, **kw)

    monkeypatch.setattr(digest, "build_many", build_many)
    with caplog.at_level(logging.ERROR):
        assert sweep_digests(engine, DIGEST_MORNING, tz=TZ) == 3
    assert sorted(r.recipient for r in rows(engine, "digest")) == ["chen", "lin", "zhou"]
    assert "chunk query timed out" in caplog.text and "forces=" in caplog.text  # logged with its reference
    assert sweep_digests(engine, DIGEST_MORNING + timedelta(minutes=15), tz=TZ) == 0


def test_a_force_closed_after_its_chunk_was_read_gets_no_digest(world, engine, monkeypatch):
    closed = world.forces["数据共享专班"].id
    real = digests_job._read_chunk

    def read_then_close(session, **kw):
        out = real(session, **kw)
        with Session(engine) as other:
            force = other.get(TaskForce, closed)
            assert force is not None
            force.status = "closed"
            other.commit()
        return out

    monkeypatch.setattr(digests_job, "_read_chunk", read_then_close)
    assert sweep_digests(engine, DIGEST_MORNING, tz=TZ) == 2
    assert "lin" not in [r.recipient for r in rows(engine, "digest")]


def test_a_second_run_of_the_week_reads_no_digest(world, engine):
    assert sweep_digests(engine, DIGEST_MORNING, tz=TZ) == 3
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()).lower())

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert sweep_digests(engine, DIGEST_MORNING + timedelta(minutes=15), tz=TZ) == 0
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert not [s for s in seen if re.search(r"\b(from|join) task\b|classified|insert", s)]
    assert len(seen) <= 8, seen  # the plan and the sent check, nothing per force
