"""sync records: an index by store, outcome and time, for the Activity page's outcome filter

Revision ID: f3b9d2a7c418
Revises: a5920255d643
Create Date: 2026-12-03 18:00:00.000000
"""

from alembic import op

revision = 'f3b9d2a7c418'
down_revision = 'a5920255d643'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_records', schema=None) as batch_op:
        batch_op.create_index(
            'ix_sync_records_store_outcome', ['store_id', 'outcome', 'started_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('sync_records', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_records_store_outcome')
