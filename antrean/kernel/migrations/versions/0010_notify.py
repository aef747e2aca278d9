"""Notifications: notify_contact, notify_subscription, notify_message (the outbox)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"  # chain: … → 0005 → 0003 → 0009 → 0010
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=120), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("office_id", "address"),
        sa.UniqueConstraint("token"),
    )
    op.create_table(
        "notify_subscription",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["notify_contact.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    op.create_table(
        "notify_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=160), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["notify_contact.id"]),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("office_id", "dedupe_key", name="uq_notify_dedupe"),
    )
    op.create_index("ix_notify_due", "notify_message", ["status", "next_attempt_at"])
    op.create_index("ix_notify_message_contact_id", "notify_message", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_notify_message_contact_id", table_name="notify_message")
    op.drop_index("ix_notify_due", table_name="notify_message")
    op.drop_table("notify_message")
    op.drop_table("notify_subscription")
    op.drop_table("notify_contact")
