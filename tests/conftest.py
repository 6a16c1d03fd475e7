"""Fixtures: each domain test runs on SQLite and on PostgreSQL, on a fresh schema, at a fixed ``now``."""

from __future__ import annotations

import os
import uuid

# The catalogue cannot leak: in the suite (and the processes it starts) an unknown message key or a
# missing template parameter raises instead of printing the key (models.i18n.strict).
os.environ["GUATU_STRICT_I18N"] = "1"
import time
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

from models.db import make_engine
from models.migrate import upgrade

TZ = ZoneInfo("Asia/Shanghai")
IN_CI = os.environ.get("GUATU_CI") == "1"


def at(s: str) -> datetime:
    """A Shanghai wall-clock time as an aware datetime, e.g. at("2026-11-23 10:00")."""
    return datetime.fromisoformat(s).replace(tzinfo=TZ)


def _pg_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url and IN_CI:
        pytest.fail("GUATU_CI=1 but TEST_DATABASE_URL is not set: the PostgreSQL run must not be skipped in CI")
    return url


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """A fresh schema on TEST_DATABASE_URL, migrated with Alembic, dropped at the end."""
    url = _pg_url()
    if not url:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped (CI sets it)")
    schema = f"guatu_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # an unreachable server must fail, never silently skip
        pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc}")
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    upgrade(engine)
    os.environ["GUATU_TEST_PG_SCHEMA"] = schema
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def pg_url_with_schema(engine: Engine) -> str:
    """The URL a subprocess needs to reach the same fresh schema."""
    schema = os.environ["GUATU_TEST_PG_SCHEMA"]
    url = make_url(engine.url.render_as_string(hide_password=False)).update_query_dict(
        {"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("db") / "guatu.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _wipe(engine: Engine) -> None:
    import models.tables

    tables = list(reversed(SQLModel.metadata.sorted_tables))
    if engine.dialect.name == "postgresql":
        # A thread a previous test left behind (a Slack home refresh, say) may still hold a lock
        # for a moment: TRUNCATE then deadlocks or waits; try again briefly rather than fail.
        for attempt in range(5):
            try:
                with engine.begin() as conn:
                    conn.execute(text("SET LOCAL lock_timeout = '5s'"))
                    conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
                return
            except OperationalError:
                if attempt == 4:
                    raise
                time.sleep(0.5)
    with engine.begin() as conn:
        conn.execute(text("PRAGMA foreign_keys=OFF"))
        for t in tables:
            conn.execute(t.delete())
        if _has_seq(conn):
            conn.execute(text("DELETE FROM sqlite_sequence"))
        conn.execute(text("PRAGMA foreign_keys=ON"))


def _has_seq(conn) -> bool:
    return bool(conn.execute(text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first())


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The database under test, emptied before each test."""
    eng = request.getfixturevalue(f"{'pg' if request.param == 'postgres' else 'sqlite'}_engine")
    _wipe(eng)
    yield eng
