"""Sweep markers: what the sweeps already did to a task or a time node, kept on the row itself.

The sweeps' logs are the guarantee that nothing is sent twice (a unique ``SweepLog`` row per reminder
step and nudge, one live ``EscalationState`` per deadline or node). But asking the log, row by row, whether
each task near its deadline has had today's step reads every task in the reminder window — tens of
thousands at province scale — to find the thousand that are due. The markers answer the same question
from the row: the sweeps write them in the transaction that writes the log row they stand for, and the
candidate queries read them through covering partial indexes, so a sweep reads what is due.

| column | written when | read by |
|---|---|---|
| ``task.remind_due`` / ``remind_step`` | a deadline reminder step is taken | reminders: the step due is not the one taken (or a later one) |
| ``timenode.remind_due`` / ``remind_step`` | a node reminder step is taken | reminders, for nodes |
| ``task.reminded_at`` | any reminder about the task is taken | nudges: not reminded today |
| ``task.nudged_at`` | a nudge is taken | nudges: not nudged since the silence began |
| ``task.esc_due`` / ``timenode.esc_due`` | a 督办 episode opens (cleared when it ends) | escalations: overdue without an episode; episodes to check |
| ``task.esc_live`` | any episode of the task opens (recomputed when one ends) | escalations: episodes of a task no longer open |

A marker only ever keeps rows out of a candidate query when the log says the same; the sweeps still lock
and re-check every candidate against the log. A marker that is missing (rows written before the markers
existed, or by hand) costs a candidate that the re-check drops, never a message. ``refresh`` recomputes them
from the logs: migration 0010 runs it once, the bench after loading a province.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from models.status import OPEN, sql_in

_OPEN = sql_in("status", OPEN)

_TASK_REMINDED = "EXISTS (SELECT 1 FROM sweeplog s WHERE s.task_id = task.id AND s.kind = 'remind')"
_TASK_NUDGED = "EXISTS (SELECT 1 FROM sweeplog s WHERE s.task_id = task.id AND s.kind = 'nudge')"
_TASK_EPISODES = "EXISTS (SELECT 1 FROM escalationstate e WHERE e.task_id = task.id AND e.status = 'open')"
_NODE_MARKED = ("(EXISTS (SELECT 1 FROM sweeplog s WHERE s.task_id = timenode.task_id AND s.kind = 'remind') "
                "OR EXISTS (SELECT 1 FROM escalationstate e WHERE e.node_id = timenode.id AND e.status = 'open'))")

# Each statement recomputes markers from the log, with the rows it may set when all are refreshed (the others
# keep their NULLs, so a migration of a million tasks rewrites only those the logs name).
_REFRESH: tuple[tuple[str, str], ...] = (
    # The deadline's latest step taken (fewest days before), for its current date.
    (f"""UPDATE task SET remind_due = CASE WHEN {_OPEN} THEN due END, remind_step = CASE WHEN {_OPEN} THEN (
          SELECT min(s.step) FROM sweeplog s WHERE s.task_id = task.id AND s.kind = 'remind'
          AND s.target = 'deadline' AND s.due = task.due) END,
        reminded_at = (SELECT max(s.created_at) FROM sweeplog s WHERE s.task_id = task.id AND s.kind = 'remind')""",
     _TASK_REMINDED),
    ("""UPDATE task SET nudged_at = (SELECT max(s.created_at) FROM sweeplog s
          WHERE s.task_id = task.id AND s.kind = 'nudge')""", _TASK_NUDGED),
    ("""UPDATE task SET esc_due = (SELECT max(e.due) FROM escalationstate e WHERE e.task_id = task.id
          AND e.status = 'open' AND e.node_id IS NULL),
        esc_live = EXISTS (SELECT 1 FROM escalationstate e WHERE e.task_id = task.id AND e.status = 'open')""",
     _TASK_EPISODES),
    ("""UPDATE timenode SET remind_due = CASE WHEN done_at IS NULL THEN due END, remind_step = CASE
          WHEN done_at IS NULL THEN (SELECT min(s.step) FROM sweeplog s WHERE s.task_id = timenode.task_id
          AND s.kind = 'remind' AND s.target = 'node:' || CAST(timenode.id AS VARCHAR) AND s.due = timenode.due) END,
        esc_due = (SELECT max(e.due) FROM escalationstate e WHERE e.node_id = timenode.id AND e.status = 'open')""",
     _NODE_MARKED),
)
# A step the log does not hold for the current date leaves no marker.
_TIDY = ("UPDATE task SET remind_due = NULL WHERE remind_step IS NULL AND remind_due IS NOT NULL",
         "UPDATE timenode SET remind_due = NULL WHERE remind_step IS NULL AND remind_due IS NOT NULL")


def refresh(conn: Connection, task_ids: Iterable[int] | None = None) -> None:
    """Recomputes the markers of every task and node (or of these tasks and their nodes) from the logs."""
    if task_ids is None:
        for sql, rows in _REFRESH:
            conn.execute(text(f"{sql} WHERE {rows}"))
        for sql in _TIDY:
            conn.execute(text(sql))
        return
    ids = sorted(set(task_ids))
    for i in range(0, len(ids), 10_000):
        chunk = {"ids": ids[i:i + 10_000]}
        for sql, _ in _REFRESH:
            where = "task_id IN :ids" if sql.lstrip().startswith("UPDATE timenode") else "id IN :ids"
            conn.execute(text(f"{sql} WHERE {where}").bindparams(bindparam("ids", expanding=True)), chunk)
        for sql in _TIDY:
            where = "task_id IN :ids" if sql.startswith("UPDATE timenode") else "id IN :ids"
            conn.execute(text(f"{sql} AND {where}").bindparams(bindparam("ids", expanding=True)), chunk)
