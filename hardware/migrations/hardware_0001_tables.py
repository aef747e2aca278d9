"""The hardware plugin's tables: printer, kiosk_device, print_job

The first revision of the plugin's own chain (branch "hardware"). Until then these tables were made by the
core's chain (0001, columns of kiosk_device added in 0005): a database made that way already has them, with
its rows, and this revision adopts them as they are. A new database gets them here.

Revision ID: hardware_0001
Revises: (none: branch "hardware", depends on the core's 0011)
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "hardware_0001"
down_revision = None
branch_labels = ("hardware",)
#: the core's revision whose schema this branch starts from (office and ticket exist; the core's chain has
#: stopped touching these tables)
depends_on = "0011"


def _absent(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if _absent("printer"):
        op.create_table(
            "printer",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("office_id", sa.Integer(), nullable=False),
            sa.Column("name", sa.String(length=60), nullable=False),
            sa.Column("url", sa.String(length=300), nullable=False),
            sa.Column("profile", sa.String(length=10), nullable=False),
            sa.Column("state", sa.String(length=20), nullable=False),
            sa.Column("detail", sa.Text(), nullable=False),
            sa.Column("checked_at", sa.DateTime(), nullable=True),
            sa.ForeignKeyConstraint(["office_id"], ["office.id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("office_id", "name"),
        )
    if _absent("kiosk_device"):
        op.create_table(
            "kiosk_device",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("office_id", sa.Integer(), nullable=False),
            sa.Column("device_id", sa.String(length=80), nullable=False),
            sa.Column("name", sa.String(length=80), nullable=False),
            sa.Column("printer_name", sa.String(length=60), nullable=True),
            sa.Column("last_seen", sa.DateTime(), nullable=True),
            sa.Column("key_hash", sa.String(length=64), nullable=True),
            sa.Column("registered_at", sa.DateTime(), nullable=True),
            sa.ForeignKeyConstraint(["office_id"], ["office.id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("office_id", "device_id"),
            sa.UniqueConstraint("key_hash", name="uq_kiosk_device_key_hash"),
        )
    if _absent("print_job"):
        op.create_table(
            "print_job",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("office_id", sa.Integer(), nullable=False),
            sa.Column("ticket_id", sa.Integer(), nullable=True),
            sa.Column("printer_name", sa.String(length=60), nullable=False),
            sa.Column("kind", sa.String(length=12), nullable=False),
            sa.Column("status", sa.String(length=12), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("last_error", sa.Text(), nullable=False),
            sa.Column("payload", sa.JSON(), nullable=False),
            sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("printed_at", sa.DateTime(), nullable=True),
            sa.ForeignKeyConstraint(["office_id"], ["office.id"]),
            sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_print_job_pending", "print_job", ["office_id", "printer_name", "status"])
        op.create_index("ix_print_job_ticket_id", "print_job", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_print_job_ticket_id", "print_job")
    op.drop_index("ix_print_job_pending", "print_job")
    op.drop_table("print_job")
    op.drop_table("kiosk_device")
    op.drop_table("printer")
