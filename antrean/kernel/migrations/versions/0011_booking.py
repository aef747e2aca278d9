"""Booking: booking, booking_count; ticket.booked_slot

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0008"  # chain: … → 0009 → 0010 → 0008 → 0011
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("service_code", sa.String(length=60), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("nik", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("cancel_token", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cancel_token"),
        sa.UniqueConstraint("office_id", "code", name="uq_booking_code"),
        sa.UniqueConstraint("office_id", "service_code", "day", "nik", "active", name="uq_booking_nik_active"),
    )
    op.create_index("ix_booking_day", "booking", ["office_id", "day", "status"])
    op.create_table(
        "booking_count",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=60), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("bucket", sa.String(length=5), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"]),
        sa.PrimaryKeyConstraint("office_id", "service_code", "day", "bucket"),
    )
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("booked_slot", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("booked_slot")
    op.drop_table("booking_count")
    op.drop_index("ix_booking_day", table_name="booking")
    op.drop_table("booking")
