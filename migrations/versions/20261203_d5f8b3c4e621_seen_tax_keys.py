"""seen_tax_keys: the tax mapping keys found on each store's orders

Kept from now on as each order is kept; filled here from the orders already kept (their
refunds in full under `_wooxero_refunds`), so the tax mapping status of an existing store
lists the keys its orders carry from the first request. The keys are computed by the pure
`server.mapping.tax_keys.order_keys` as it is in this release.

Revision ID: d5f8b3c4e621
Revises: d468884c3652
Create Date: 2026-12-03 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from server.mapping.tax_keys import order_keys
from server.models.types import utcnow
from server.stores.settings.schema import RATES_KEY

revision = 'd5f8b3c4e621'
down_revision = 'd468884c3652'
branch_labels = None
depends_on = None

BATCH = 500  # orders read at a time: their JSON is the large part


def upgrade():
    seen = op.create_table('seen_tax_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('woo_rates', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('woo_order_id', sa.String(length=64), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_seen_tax_keys_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seen_tax_keys')),
    sa.UniqueConstraint('store_id', 'woo_rates', name=op.f('uq_seen_tax_keys_store_id_woo_rates'))
    )
    op.bulk_insert(seen, list(_keys_of_kept_orders(op.get_bind())))


def _keys_of_kept_orders(connection):
    records = sa.table(
        'woo_records', sa.column('id', sa.Integer), sa.column('store_id', sa.Integer),
        sa.column('resource', sa.String), sa.column('woo_id', sa.String),
        sa.column('deleted', sa.Boolean),
        sa.column('data', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')),
    )
    found = {}  # (store_id, key) → the row; the first order (by id) names it
    last = 0
    while True:
        batch = connection.execute(
            sa.select(records.c.id, records.c.store_id, records.c.woo_id, records.c.data)
            .where(records.c.resource == 'order', records.c.deleted.is_(False), records.c.id > last)
            .order_by(records.c.id)
            .limit(BATCH)
        ).all()
        if not batch:
            return found.values()
        for row_id, store_id, woo_id, data in batch:
            order = data or {}
            for key, label in order_keys(order, order.get('_wooxero_refunds') or []).items():
                if RATES_KEY.fullmatch(key):
                    found.setdefault((store_id, key), {
                        'store_id': store_id, 'woo_rates': key, 'label': label[:200],
                        'woo_order_id': woo_id, 'seen_at': utcnow(),
                    })
            last = row_id


def downgrade():
    op.drop_table('seen_tax_keys')
