"""outbox: an index on each entry's backfill, so a backfill's progress counts its own
entries only

Revision ID: ffddb5e1bc3b
Revises: e7a2c9d41b85
Create Date: 2026-12-03 17:55:00.000000
"""

from alembic import op

revision = 'ffddb5e1bc3b'
down_revision = 'e7a2c9d41b85'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_entries', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_entries_backfill', ['backfill_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_entries_backfill')
