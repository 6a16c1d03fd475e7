"""Portable SQL building blocks for PostgreSQL and SQLite: insert-if-absent and row claims."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import JSON, ColumnClause, Select, literal_column, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session


def insert_ignore(session: Session, model: Any, values: dict[str, Any], *, conflict: list[str] | None = None) -> bool:
    """Inserts one row unless a unique constraint (``conflict`` columns, or any) already holds it.
    True if written. Concurrent inserts of the same key are safe: exactly one wins."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = model.__table__
    # Ask for the new row back: with PostgreSQL's implicit RETURNING the rowcount is -1, not 0/1.
    stmt = (insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
            .returning(*table.primary_key.columns))
    return session.execute(stmt).first() is not None


@lru_cache(maxsize=64)
def _insert_ignore_many_stmt(dialect: str, table: Any, conflict: tuple[str, ...], returning: tuple[str, ...]) -> Any:
    # Built once per table and shape: building an INSERT costs more Python time than running it.
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (insert(table).on_conflict_do_nothing(index_elements=list(conflict) or None)
            .returning(*(table.c[name] for name in returning)))


def insert_ignore_many(session: Session, model: Any, rows: list[dict[str, Any]], *, conflict: list[str],
                       returning: list[str]) -> list[tuple]:
    """Inserts the rows a unique constraint (``conflict`` columns) does not already hold, in multi-row
    statements; returns the ``returning`` columns of exactly the rows written. Concurrent inserts of the
    same key are safe: exactly one wins. Every row must have the same keys."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return _unnest_insert(session, model.__table__, rows, tuple(conflict), tuple(returning))
    stmt = _insert_ignore_many_stmt(session.get_bind().dialect.name, model.__table__, tuple(conflict),
                                    tuple(returning))
    # A list of parameter sets runs as SQLAlchemy's "insertmanyvalues": INSERT … VALUES (…), (…) … RETURNING,
    # in pages sized to the driver's parameter limit.
    return [tuple(r) for r in session.execute(stmt, rows).all()]


# PostgreSQL: one array per column, whatever the number of rows. A multi-row VALUES list binds
# rows × columns parameters (6,500 for 500 outbox rows), which the server parses and plans anew for each
# page; ``unnest`` binds one parameter per column, so a chunk of rows is one short statement.
_PG = postgresql.dialect()


@lru_cache(maxsize=64)
def _unnest_sql(table: Any, names: tuple[str, ...], conflict: tuple[str, ...], returning: tuple[str, ...]) -> Any:
    casts = []
    for i, name in enumerate(names):
        column = table.c[name]
        if isinstance(column.type, JSON):  # sent as text, turned into JSON by the server
            casts.append((f"CAST(:p{i} AS TEXT[])", f"u.c{i}::json"))
        else:
            casts.append((f"CAST(:p{i} AS {column.type.compile(dialect=_PG)}[])", f"u.c{i}"))
    target = f"({', '.join(conflict)})" if conflict else ""
    sql = (f'INSERT INTO "{table.name}" ({", ".join(names)}) '
           f'SELECT {", ".join(c for _, c in casts)} FROM unnest({", ".join(a for a, _ in casts)}) '
           f'AS u({", ".join(f"c{i}" for i in range(len(names)))}) '
           f'ON CONFLICT {target} DO NOTHING RETURNING {", ".join(returning)}')
    return text(sql), tuple(isinstance(table.c[n].type, JSON) for n in names)


def _unnest_insert(session: Session, table: Any, rows: list[dict[str, Any]], conflict: tuple[str, ...],
                   returning: tuple[str, ...]) -> list[tuple]:
    """``insert_ignore_many`` on PostgreSQL: ``INSERT … SELECT … FROM unnest(arrays) ON CONFLICT DO NOTHING
    RETURNING``, one statement for the rows. JSON values are serialised as SQLAlchemy does (``None`` as JSON
    ``null``), so the rows read back exactly as the ORM's inserts write them."""
    names = tuple(rows[0])
    stmt, is_json = _unnest_sql(table, names, conflict, returning)
    dialect = session.get_bind().dialect
    params = {}
    for i, (name, as_json) in enumerate(zip(names, is_json, strict=True)):
        values = [r[name] for r in rows]
        if as_json:
            values = [json.dumps(v) for v in values]
        elif (process := table.c[name].type.bind_processor(dialect)) is not None:
            values = [process(v) for v in values]  # e.g. UTCDateTime: aware values only, in UTC
        params[f"p{i}"] = values
    return [tuple(r) for r in session.execute(stmt, params).all()]


_Select = TypeVar("_Select", bound=Select[Any])


def skip_locked(session: Session, query: _Select) -> _Select:
    """On PostgreSQL, locks the selected rows and skips rows another transaction holds, so parallel
    workers share items without waiting or doubling; SQLite has one writer at a time and needs none."""
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def literal_in(column: Any, *values: str) -> Any:
    """``column = 'x'`` or ``column IN ('x', 'y')`` with literal values, written exactly like a partial
    index's predicate so the planner can prove the index applies (values are our own constants)."""
    literals: list[ColumnClause[Any]] = [literal_column("'" + v.replace("'", "''") + "'") for v in values]
    return column == literals[0] if len(literals) == 1 else column.in_(literals)
