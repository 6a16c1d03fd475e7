"""Fresh, empty databases for a benchmark run: a SQLite file, or a new PostgreSQL schema."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextlib.contextmanager
def fresh_db(kind: str) -> Iterator[str]:
    """Yields the URL of an empty database of ``kind`` (sqlite | postgres), removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="guatu-bench-") as d:
            yield f"sqlite:///{Path(d) / 'bench.db'}"
        return
    from models.db import make_engine

    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG
    schema = f"guatu_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
