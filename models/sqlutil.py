"""Portable SQL building blocks for PostgreSQL and SQLite: insert-if-absent and row claims."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import ColumnClause, Select, literal_column
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
    stmt = _insert_ignore_many_stmt(session.get_bind().dialect.name, model.__table__, tuple(conflict),
                                    tuple(returning))
    # A list of parameter sets runs as SQLAlchemy's "insertmanyvalues": INSERT … VALUES (…), (…) … RETURNING,
    # in pages sized to the driver's parameter limit.
    return [tuple(r) for r in session.execute(stmt, rows).all()]


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
