"""time nodes carry their task's force, so the reminders decide a node's step from its index entry

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 19:30:00

A node's reminder step depends on its task's policy (the task force's), so the reminders' candidate query
read the task of every open node in the window (15,669 index probes at a million tasks, 10,601 of them to
learn that no step was due). A task never changes force: the node keeps a copy, in ``ix_timenode_open_due``.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_DUE = {"postgresql_where": sa.text("done_at IS NULL"), "sqlite_where": sa.text("done_at IS NULL")}
INCLUDE = ["task_id", "id", "created_at", "remind_due", "remind_step"]


def upgrade() -> None:
    with op.batch_alter_table('timenode', schema=None) as batch_op:
        batch_op.add_column(sa.Column('force_id', sa.Integer(), nullable=True))
    op.execute("UPDATE timenode SET force_id = (SELECT task.force_id FROM task WHERE task.id = timenode.task_id)")
    op.drop_index('ix_timenode_open_due', table_name='timenode', **OPEN_DUE)
    op.create_index('ix_timenode_open_due', 'timenode', ['due'], postgresql_include=[*INCLUDE, "force_id"], **OPEN_DUE)


def downgrade() -> None:
    op.drop_index('ix_timenode_open_due', table_name='timenode', **OPEN_DUE)
    op.create_index('ix_timenode_open_due', 'timenode', ['due'], postgresql_include=INCLUDE, **OPEN_DUE)
    with op.batch_alter_table('timenode', schema=None) as batch_op:
        batch_op.drop_column('force_id')
