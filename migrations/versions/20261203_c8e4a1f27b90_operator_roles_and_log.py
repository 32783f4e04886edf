"""operator roles (admin, support), each operator's timezone, and the operator action log

Revision ID: c8e4a1f27b90
Revises: c8e51a7f03d2
Create Date: 2026-12-03 22:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "c8e4a1f27b90"
down_revision = "c8e51a7f03d2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("operators", schema=None) as batch_op:
        # Every operator before roles could change anything: they stay admins.
        batch_op.add_column(
            sa.Column(
                "role",
                sa.Enum(
                    "admin",
                    "support",
                    name="operatorrole",
                    native_enum=False,
                    length=24,
                    create_constraint=False,
                ),
                server_default="admin",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("timezone", sa.String(length=64), server_default="", nullable=False)
        )
    op.create_table(
        "operator_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("operator_email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("view", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("targets", sa.String(length=500), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "done",
                "failed",
                "refused",
                name="actionoutcome",
                native_enum=False,
                length=24,
                create_constraint=False,
            ),
            nullable=False,
        ),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_operator_actions_operator_id_operators"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_actions")),
    )
    with op.batch_alter_table("operator_actions", schema=None) as batch_op:
        batch_op.create_index("ix_operator_actions_at", ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_operator_actions_operator_id"), ["operator_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("operator_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_actions_operator_id"))
        batch_op.drop_index("ix_operator_actions_at")
    op.drop_table("operator_actions")
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.drop_column("timezone")
        batch_op.drop_column("role")
