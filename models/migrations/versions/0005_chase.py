"""督办 that an organisation trusts: a ladder per overdue deadline and time node, paused by 收到;
briefings (一人一单) from held outbox rows.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.db

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('escalationstate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False,
                                      server_default='deadline'))
        batch_op.add_column(sa.Column('node_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('schedule', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('paused_until', models.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key('fk_escalationstate_node', 'timenode', ['node_id'], ['id'])
        batch_op.drop_index('ix_escalation_live_task', postgresql_where=sa.text("status IN ('open','acked')"),
                            sqlite_where=sa.text("status IN ('open','acked')"))
    # An acknowledged episode used to stop for good; now 收到 pauses it. Old ones resume after a pause.
    op.execute("UPDATE escalationstate SET status = 'open', paused_until = acked_at, next_at = acked_at "
               "WHERE status = 'acked'")
    with op.batch_alter_table('escalationstate', schema=None) as batch_op:
        batch_op.alter_column('target', server_default=None)
        batch_op.create_index('ix_escalation_live_target', ['task_id', 'target'], unique=True,
                              postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('brief', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('merged_into', sa.Integer(), nullable=True))
        batch_op.create_index('ix_outbox_held_due', ['next_attempt_at'], unique=False,
                              postgresql_where=sa.text("status = 'held'"), sqlite_where=sa.text("status = 'held'"))
        batch_op.create_index('ix_outbox_held_person', ['person_id', 'next_attempt_at'], unique=False,
                              postgresql_where=sa.text("status = 'held'"), sqlite_where=sa.text("status = 'held'"))


def downgrade() -> None:
    op.execute("UPDATE outbox SET status = 'pending' WHERE status = 'held'")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_held_person', postgresql_where=sa.text("status = 'held'"),
                            sqlite_where=sa.text("status = 'held'"))
        batch_op.drop_index('ix_outbox_held_due', postgresql_where=sa.text("status = 'held'"),
                            sqlite_where=sa.text("status = 'held'"))
        batch_op.drop_column('merged_into')
        batch_op.drop_column('brief')
    with op.batch_alter_table('escalationstate', schema=None) as batch_op:
        batch_op.drop_index('ix_escalation_live_target', postgresql_where=sa.text("status = 'open'"),
                            sqlite_where=sa.text("status = 'open'"))
    # Two live episodes of one task (deadline and a node) cannot both stay live under the old index.
    op.execute("UPDATE escalationstate SET status = 'closed', close_reason = 'downgrade' "
               "WHERE status = 'open' AND target <> 'deadline'")
    with op.batch_alter_table('escalationstate', schema=None) as batch_op:
        batch_op.create_index('ix_escalation_live_task', ['task_id'], unique=True,
                              postgresql_where=sa.text("status IN ('open','acked')"),
                              sqlite_where=sa.text("status IN ('open','acked')"))
        batch_op.drop_constraint('fk_escalationstate_node', type_='foreignkey')
        batch_op.drop_column('paused_until')
        batch_op.drop_column('schedule')
        batch_op.drop_column('node_id')
        batch_op.drop_column('target')
