"""outbox: orders waiting for the store's prerequisites get their own status

Until now they were `held` with an error beginning "not sent yet: "; the status is a
VARCHAR, so only the rows change.

Revision ID: c4e7a9b2d310
Revises: b3c1d2e4f5a6
Create Date: 2026-12-03 12:00:00.000000
"""

from alembic import op

revision = 'c4e7a9b2d310'
down_revision = 'b3c1d2e4f5a6'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "UPDATE outbox_entries SET status = 'waiting' "
        "WHERE status = 'held' AND error LIKE 'not sent yet: %'"
    )


def downgrade():
    op.execute("UPDATE outbox_entries SET status = 'held' WHERE status = 'waiting'")
