"""kiosk_device.key_hash (registered kiosks) and login_throttle (atomic login failure counts)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"  # re-chained after main's 0004 (session epoch) on merging main; was "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kiosk_device") as batch:
        batch.add_column(sa.Column("key_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("registered_at", sa.DateTime(), nullable=True))
        batch.create_unique_constraint("uq_kiosk_device_key_hash", ["key_hash"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_login_throttle_username", "login_throttle", ["username"])


def downgrade() -> None:
    op.drop_index("ix_login_throttle_username", "login_throttle")
    op.drop_table("login_throttle")
    with op.batch_alter_table("kiosk_device") as batch:
        batch.drop_constraint("uq_kiosk_device_key_hash", type_="unique")
        batch.drop_column("registered_at")
        batch.drop_column("key_hash")
