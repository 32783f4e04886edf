"""store admin url

Revision ID: b3c1d2e4f5a6
Revises: a8fe96524c03
Create Date: 2026-11-22 17:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = 'b3c1d2e4f5a6'
down_revision = 'a8fe96524c03'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('admin_url', sa.String(length=2048), server_default='', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_column('admin_url')
