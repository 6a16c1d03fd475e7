"""the nudges' indexes hold only silences not nudged yet

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:00:00

``ix_task_open_progress`` and ``ix_task_open_unreported`` held every open task, so the nudges' range over
"silent for 10 to 30 days" read every task nudged already for that silence (127,000 index entries for 1,000
due at a million tasks) to drop it. Their predicate now also says "not nudged since the silence began", the
same condition the query has: a nudge takes the task out of the index, a progress report puts it back.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status IN ('todo','active','blocked')"
NUDGE = ["id", "workspace_id", "force_id", "start_date", "due", "nudged_at", "reminded_at"]
REPORTED_OLD = OPEN
UNREPORTED_OLD = f"{OPEN} AND last_progress_at IS NULL"
REPORTED = f"{OPEN} AND (nudged_at IS NULL OR nudged_at < last_progress_at)"
UNREPORTED = f"{OPEN} AND last_progress_at IS NULL AND (nudged_at IS NULL OR nudged_at < created_at)"


def _where(sql: str) -> dict:
    return {"postgresql_where": sa.text(sql), "sqlite_where": sa.text(sql)}


def _swap(old_reported: str, old_unreported: str, reported: str, unreported: str) -> None:
    op.drop_index('ix_task_open_progress', table_name='task', **_where(old_reported))
    op.drop_index('ix_task_open_unreported', table_name='task', **_where(old_unreported))
    op.create_index('ix_task_open_progress', 'task', ['last_progress_at'], postgresql_include=NUDGE, **_where(reported))
    op.create_index('ix_task_open_unreported', 'task', ['created_at'], postgresql_include=NUDGE, **_where(unreported))


def upgrade() -> None:
    _swap(REPORTED_OLD, UNREPORTED_OLD, REPORTED, UNREPORTED)


def downgrade() -> None:
    _swap(REPORTED, UNREPORTED, REPORTED_OLD, UNREPORTED_OLD)
