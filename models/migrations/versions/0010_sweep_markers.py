"""sweep markers: what the sweeps did to a task or node, on the row, read through covering partial indexes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 16:00:00

See models/markers.py. The columns are filled from the sweep log and the 督办 episodes here, once.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status IN ('todo','active','blocked')"
NUDGE = ["id", "workspace_id", "force_id", "start_date", "due", "nudged_at", "reminded_at"]
TASK_CHECK = f"esc_live AND (NOT ({OPEN}) OR due <> esc_due)"
NODE_CHECK = "esc_due IS NOT NULL AND (done_at IS NOT NULL OR due <> esc_due)"


def _where(sql: str) -> dict:
    return {"postgresql_where": sa.text(sql), "sqlite_where": sa.text(sql)}


def upgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remind_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('remind_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', models.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('nudged_at', models.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('esc_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('esc_live', sa.Boolean(), nullable=False, server_default='0'))
    with op.batch_alter_table('timenode', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remind_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('remind_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('esc_due', sa.Date(), nullable=True))

    from models.markers import refresh  # the markers' one definition, used by the bench's loader too

    refresh(op.get_bind())

    # The sweeps' candidate indexes, covering what each decision reads (INCLUDE is PostgreSQL's; SQLite
    # builds the same partial indexes without it).
    op.drop_index('ix_task_open_progress', table_name='task', **_where(OPEN))
    op.drop_index('ix_task_open_unreported', table_name='task', **_where(f"{OPEN} AND last_progress_at IS NULL"))
    op.drop_index('ix_timenode_open_due', table_name='timenode', **_where("done_at IS NULL"))
    op.create_index('ix_task_open_progress', 'task', ['last_progress_at'], postgresql_include=NUDGE, **_where(OPEN))
    op.create_index('ix_task_open_unreported', 'task', ['created_at'], postgresql_include=NUDGE,
                    **_where(f"{OPEN} AND last_progress_at IS NULL"))
    op.create_index('ix_task_remind', 'task', ['due'], postgresql_include=[
        "id", "workspace_id", "force_id", "priority", "created_at", "remind_due", "remind_step"], **_where(OPEN))
    op.create_index('ix_task_open_policy', 'task', ['id'], postgresql_include=["workspace_id", "force_id", "priority"],
                    **_where(OPEN))
    op.create_index('ix_task_unescalated', 'task', ['due'], postgresql_include=["id"],
                    **_where(f"{OPEN} AND esc_due IS NULL"))
    op.create_index('ix_task_esc_check', 'task', ['id'], **_where(TASK_CHECK))
    op.create_index('ix_timenode_open_due', 'timenode', ['due'], postgresql_include=[
        "task_id", "id", "created_at", "remind_due", "remind_step"], **_where("done_at IS NULL"))
    op.create_index('ix_timenode_unescalated', 'timenode', ['due'], postgresql_include=["task_id", "id"],
                    **_where("done_at IS NULL AND esc_due IS NULL"))
    op.create_index('ix_timenode_esc_check', 'timenode', ['id'], **_where(NODE_CHECK))


def downgrade() -> None:
    op.drop_index('ix_timenode_esc_check', table_name='timenode', **_where(NODE_CHECK))
    op.drop_index('ix_timenode_unescalated', table_name='timenode', **_where("done_at IS NULL AND esc_due IS NULL"))
    op.drop_index('ix_timenode_open_due', table_name='timenode', **_where("done_at IS NULL"))
    op.drop_index('ix_task_esc_check', table_name='task', **_where(TASK_CHECK))
    op.drop_index('ix_task_open_policy', table_name='task', **_where(OPEN))
    op.drop_index('ix_task_unescalated', table_name='task', **_where(f"{OPEN} AND esc_due IS NULL"))
    op.drop_index('ix_task_remind', table_name='task', **_where(OPEN))
    op.drop_index('ix_task_open_unreported', table_name='task', **_where(f"{OPEN} AND last_progress_at IS NULL"))
    op.drop_index('ix_task_open_progress', table_name='task', **_where(OPEN))
    op.create_index('ix_task_open_progress', 'task', ['last_progress_at'], **_where(OPEN))
    op.create_index('ix_task_open_unreported', 'task', ['created_at'], **_where(f"{OPEN} AND last_progress_at IS NULL"))
    op.create_index('ix_timenode_open_due', 'timenode', ['due'], **_where("done_at IS NULL"))
    with op.batch_alter_table('timenode', schema=None) as batch_op:
        batch_op.drop_column('esc_due')
        batch_op.drop_column('remind_step')
        batch_op.drop_column('remind_due')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('esc_live')
        batch_op.drop_column('esc_due')
        batch_op.drop_column('nudged_at')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('remind_step')
        batch_op.drop_column('remind_due')
