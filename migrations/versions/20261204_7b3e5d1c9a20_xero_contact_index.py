"""xero contacts: a store's copy of its organisation's contacts for lookups

Revision ID: 7b3e5d1c9a20
Revises: 5c1e7d9a3b42
Create Date: 2026-12-04 04:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "7b3e5d1c9a20"
down_revision = "5c1e7d9a3b42"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "xero_contact_indexes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_through", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_xero_contact_indexes_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xero_contact_indexes")),
        sa.UniqueConstraint(
            "store_id", "tenant_id", name=op.f("uq_xero_contact_indexes_store_id_tenant_id")
        ),
    )
    op.create_table(
        "xero_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("index_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.Column("contact_number", sa.String(length=50), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["index_id"],
            ["xero_contact_indexes.id"],
            name=op.f("fk_xero_contacts_index_id_xero_contact_indexes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xero_contacts")),
        sa.UniqueConstraint(
            "index_id", "contact_id", name=op.f("uq_xero_contacts_index_id_contact_id")
        ),
    )
    with op.batch_alter_table("xero_contacts", schema=None) as batch_op:
        batch_op.create_index("ix_xero_contacts_number", ["index_id", "contact_number"])
        batch_op.create_index("ix_xero_contacts_email", ["index_id", "email"])


def downgrade():
    with op.batch_alter_table("xero_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_xero_contacts_email")
        batch_op.drop_index("ix_xero_contacts_number")
    op.drop_table("xero_contacts")
    op.drop_table("xero_contact_indexes")
