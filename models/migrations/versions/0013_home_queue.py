"""home queue: App Homes to publish again, one coalescing row per person, written with the change

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 19:00:00

See models/homequeue.py: the web process records that a home is stale; the worker publishes it.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.db

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('homequeue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('requested_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('not_before', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('claimed_until', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'user_id')
    )
    with op.batch_alter_table('homequeue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_homequeue_requested_at'), ['requested_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('homequeue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_homequeue_requested_at'))
    op.drop_table('homequeue')
