"""woocommerce connections: the refund check's round, last run and failures

Revision ID: d468884c3652
Revises: c4e7a9b2d310
Create Date: 2026-12-03 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = 'd468884c3652'
down_revision = 'c4e7a9b2d310'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('woo_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_check_cursor', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('refund_checked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('refund_check_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('refund_check_failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('refund_check_error', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('woo_connections', schema=None) as batch_op:
        batch_op.drop_column('refund_check_error')
        batch_op.drop_column('refund_check_failed_at')
        batch_op.drop_column('refund_check_failures')
        batch_op.drop_column('refund_checked_at')
        batch_op.drop_column('refund_check_cursor')
