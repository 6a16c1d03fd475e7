"""A task's status and the one definition of "live", "open" and "overdue" every module shares.

todo → active → (blocked) → done_requested (待销号) → done (已销号); or cancelled (已撤销).
The partial indexes' SQL is generated from the same sets, so a query, a sweep and an index can
never disagree about which tasks count.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any


class TaskStatus(StrEnum):
    """The stored values (unchanged since the first migration); members compare equal to them."""

    TODO = "todo"
    ACTIVE = "active"
    BLOCKED = "blocked"
    DONE_REQUESTED = "done_requested"
    DONE = "done"
    CANCELLED = "cancelled"


# Ordered tuples, not sets: the generated index SQL must keep its byte-for-byte order.
LIVE: tuple[TaskStatus, ...] = (TaskStatus.TODO, TaskStatus.ACTIVE, TaskStatus.BLOCKED, TaskStatus.DONE_REQUESTED)
"""Not finished: a lead may still act on it."""
OPEN: tuple[TaskStatus, ...] = (TaskStatus.TODO, TaskStatus.ACTIVE, TaskStatus.BLOCKED)
"""Live and not reported done: reminders, nudges, escalations and "overdue" apply."""
FINISHED: tuple[TaskStatus, ...] = (TaskStatus.DONE, TaskStatus.CANCELLED)


def is_live(status: str) -> bool:
    """True for todo, active, blocked and done_requested."""
    return status in LIVE


def is_open(status: str) -> bool:
    """True for todo, active and blocked: a done report stops the clock."""
    return status in OPEN


def sql_in(column: str, statuses: Iterable[str]) -> str:
    """``status IN ('todo','active','blocked')``: literal SQL for a partial index's predicate, written
    exactly as the queries that must match it (models.sqlutil.literal_in) and the migrations spell it."""
    return f"{column} IN (" + ",".join("'" + str(s).replace("'", "''") + "'" for s in statuses) + ")"


def _node_open(node: Any) -> bool:
    # A stored TimeNode has done_at; a card's NodeView has done.
    if hasattr(node, "done_at"):
        return node.done_at is None
    return not node.done


def node_overdue(status: str, node: Any, today: date) -> bool:
    """A time node is overdue when its task is open, it is not done and its day has passed."""
    return is_open(status) and _node_open(node) and node.due < today


def is_overdue(task: Any, nodes: Iterable[Any], today: date) -> bool:
    """An open task whose deadline or an open time node has passed (the day after, ``today`` local).
    A done report, a verified or a cancelled task is never overdue."""
    if not is_open(task.status):
        return False
    return task.due < today or any(node_overdue(task.status, n, today) for n in nodes)
