"""woo_connections.retired_key_ids: WooCommerce keys of ours a newer grant replaced, for the
plugin to delete in the store

Revision ID: a5920255d643
Revises: ffddb5e1bc3b
Create Date: 2026-12-03 17:32:10.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'a5920255d643'
down_revision = 'ffddb5e1bc3b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('woo_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_key_ids', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), server_default=sa.text("'[]'"), nullable=False))


def downgrade():
    with op.batch_alter_table('woo_connections', schema=None) as batch_op:
        batch_op.drop_column('retired_key_ids')
