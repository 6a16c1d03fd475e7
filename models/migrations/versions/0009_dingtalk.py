"""dingtalk: each workspace and outbox row knows its chat platform, so delivery routes it to the right notifier

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default='slack'))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    # Workspaces the DingTalk surface created before this column existed (team ids "dt:<corpId>").
    op.execute("UPDATE workspace SET platform = 'dingtalk' WHERE team_id LIKE 'dt:%'")


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('platform')
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('platform')
