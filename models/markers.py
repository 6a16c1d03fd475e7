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

# Set-based: each statement joins one aggregate of a log to the rows it marks (``{only}`` narrows the
# aggregate to the tasks named), so a migration of a million tasks touches only the rows the logs name.
_SET = (
    # The deadline's latest step taken (fewest days before), for its current date, on open tasks.
    f"""UPDATE task SET remind_due = task.due, remind_step = agg.step
        FROM (SELECT task_id, due, min(step) AS step FROM sweeplog WHERE kind = 'remind' AND target = 'deadline'
              {{only}} GROUP BY task_id, due) AS agg
        WHERE agg.task_id = task.id AND agg.due = task.due AND task.{_OPEN}""",
    """UPDATE task SET reminded_at = agg.at
        FROM (SELECT task_id, max(created_at) AS at FROM sweeplog WHERE kind = 'remind' {only} GROUP BY task_id) AS agg
        WHERE agg.task_id = task.id""",
    """UPDATE task SET nudged_at = agg.at
        FROM (SELECT task_id, max(created_at) AS at FROM sweeplog WHERE kind = 'nudge' {only} GROUP BY task_id) AS agg
        WHERE agg.task_id = task.id""",
    """UPDATE task SET esc_live = TRUE
        FROM (SELECT DISTINCT task_id FROM escalationstate WHERE status = 'open' {only}) AS agg
        WHERE agg.task_id = task.id""",
    """UPDATE task SET esc_due = agg.due
        FROM (SELECT task_id, max(due) AS due FROM escalationstate WHERE status = 'open' AND node_id IS NULL {only}
              GROUP BY task_id) AS agg
        WHERE agg.task_id = task.id""",
    """UPDATE timenode SET remind_due = timenode.due, remind_step = agg.step
        FROM (SELECT target, due, min(step) AS step FROM sweeplog WHERE kind = 'remind' AND target LIKE 'node:%' {only}
              GROUP BY target, due) AS agg
        WHERE agg.target = 'node:' || CAST(timenode.id AS VARCHAR) AND agg.due = timenode.due
          AND timenode.done_at IS NULL""",
    """UPDATE timenode SET esc_due = agg.due
        FROM (SELECT node_id, max(due) AS due FROM escalationstate WHERE status = 'open' AND node_id IS NOT NULL {only}
              GROUP BY node_id) AS agg
        WHERE agg.node_id = timenode.id""",
)
_RESET = ("""UPDATE task SET remind_due = NULL, remind_step = NULL, reminded_at = NULL, nudged_at = NULL,
               esc_due = NULL, esc_live = FALSE WHERE id IN :ids""",
          "UPDATE timenode SET remind_due = NULL, remind_step = NULL, esc_due = NULL WHERE task_id IN :ids")


def refresh(conn: Connection, task_ids: Iterable[int] | None = None) -> None:
    """Recomputes the markers of every task and node (or of these tasks and their nodes) from the logs.
    Every marker starts out empty, so the whole refresh only sets; a partial one empties those tasks' first."""
    if task_ids is None:
        for sql in _SET:
            conn.execute(text(sql.format(only="")))
        return
    ids = sorted(set(task_ids))
    for i in range(0, len(ids), 10_000):
        chunk = {"ids": ids[i:i + 10_000]}
        for sql in (*_RESET, *(s.format(only="AND task_id IN :ids") for s in _SET)):
            conn.execute(text(sql).bindparams(bindparam("ids", expanding=True)), chunk)
