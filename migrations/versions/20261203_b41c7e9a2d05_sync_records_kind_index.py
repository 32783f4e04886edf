"""sync records: an index by store, kind and time, for the Activity page's kind filter

Revision ID: b41c7e9a2d05
Revises: f3b9d2a7c418
Create Date: 2026-12-03 18:45:00.000000
"""

from alembic import op

revision = 'b41c7e9a2d05'
down_revision = 'f3b9d2a7c418'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_records', schema=None) as batch_op:
        batch_op.create_index(
            'ix_sync_records_store_kind', ['store_id', 'kind', 'started_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('sync_records', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_records_store_kind')
