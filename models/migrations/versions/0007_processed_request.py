"""processed request: signed Slack requests already acted on, so a replay within the window acts once

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('processedrequest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('signature')
    )
    with op.batch_alter_table('processedrequest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processedrequest_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('processedrequest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processedrequest_created_at'))
    op.drop_table('processedrequest')
