"""drift reports: each run of a store's drift check, its position and findings

Revision ID: e7a2c9d41b85
Revises: d5f8b3c4e621
Create Date: 2026-12-03 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'e7a2c9d41b85'
down_revision = 'd5f8b3c4e621'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('drift_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('checked', sa.Integer(), nullable=False),
    sa.Column('differences', sa.Integer(), nullable=False),
    sa.Column('findings', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_drift_reports_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drift_reports'))
    )
    with op.batch_alter_table('drift_reports', schema=None) as batch_op:
        batch_op.create_index('ix_drift_reports_store', ['store_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('drift_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_drift_reports_store')
    op.drop_table('drift_reports')
