"""kiosk_device.key_hash (registered kiosks) and login_throttle (atomic login failure counts)

kiosk_device belongs to the hardware plugin now (hardware/migrations creates it with these columns):
its columns are added here only to a database whose older 0001 made the table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"  # re-chained after main's 0004 (session epoch) on merging main; was "0002"
branch_labels = None
depends_on = None


def _old_kiosk_device() -> bool:
    """kiosk_device made by the core's older 0001 (a database from before the hardware plugin owned it)."""
    return sa.inspect(op.get_bind()).has_table("kiosk_device")


def upgrade() -> None:
    if _old_kiosk_device():
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
    if _old_kiosk_device():
        with op.batch_alter_table("kiosk_device") as batch:
            batch.drop_constraint("uq_kiosk_device_key_hash", type_="unique")
            batch.drop_column("registered_at")
            batch.drop_column("key_hash")
