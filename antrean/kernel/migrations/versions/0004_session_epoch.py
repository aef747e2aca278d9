"""users.session_epoch: logout, a password change, disabling or narrowing an account ends its sessions;
index ix_application_step_order for worklists at 50,000 applications

Revision ID: 0004
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0006"  # re-chained after main's 0006 (survey) on merging main; was "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_application_step_order", "application", ["office_id", "status", "step_started_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_application_step_order", table_name="application")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_epoch")
