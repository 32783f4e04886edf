"""billing: plan interval and features, subscription changes, trial claims

Revision ID: 9306862b98e6
Revises: b41c7e9a2d05
Create Date: 2026-12-03 22:30:18.762913
"""

import hashlib

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "9306862b98e6"
down_revision = "b41c7e9a2d05"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "trial_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url_digest", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_claims")),
        sa.UniqueConstraint("url_digest", name=op.f("uq_trial_claims_url_digest")),
    )
    op.create_table(
        "subscription_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_status", sa.String(length=24), nullable=True),
        sa.Column("to_status", sa.String(length=24), nullable=False),
        sa.Column("from_plan", sa.String(length=32), nullable=False),
        sa.Column("to_plan", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column(
            "details", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_changes_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_changes")),
    )
    with op.batch_alter_table("subscription_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subscription_changes_subscription", ["subscription_id", "id"], unique=False
        )

    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "billing_interval", sa.String(length=24), server_default="month", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "features",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                server_default="[]",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("provider_price_id", sa.String(length=255), server_default="", nullable=False)
        )
    _claim_the_trials_already_had()


def _claim_the_trials_already_had():
    """Every store with a subscription had its trial: its address gets no second one after
    its data is erased. The key is server.billing.trial.url_digest's, as it is today."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT stores.url, subscriptions.created_at, "
            "COALESCE(subscriptions.trial_ends_at, subscriptions.created_at) "
            "FROM subscriptions JOIN stores ON stores.id = subscriptions.store_id"
        )
    ).all()
    claimed = set()
    for url, started, ends in rows:
        digest = hashlib.sha256(url.strip().rstrip("/").lower().encode()).hexdigest()
        if digest in claimed:
            continue
        claimed.add(digest)
        connection.execute(
            sa.text(
                "INSERT INTO trial_claims (url_digest, started_at, ends_at) "
                "VALUES (:digest, :started, :ends)"
            ),
            {"digest": digest, "started": started, "ends": ends},
        )


def downgrade():
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("provider_price_id")
        batch_op.drop_column("features")
        batch_op.drop_column("billing_interval")

    with op.batch_alter_table("subscription_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_subscription_changes_subscription")

    op.drop_table("subscription_changes")
    op.drop_table("trial_claims")
