"""ticket outcomes: outcome, outcome_at, outcome_by, first_called_at, recall_count, cancel_reason, leg,
transferred_from_id; existing closed tickets get the outcome they really had

Revision ID: 0003
Revises: 0004 (chained after main's 0006 survey and 0004 session epoch when merging main)
Create Date: 2026-11-27

Conversion of existing rows (the old records only knew ``status``):
- ``done`` with ``started_at`` -> ``served`` (outcome_at = finished_at);
- ``done`` without ``started_at`` -> ``no_show``: it was called and nobody recorded a start, so it
  cannot be counted as served (the old "call next" marked such tickets done);
- ``first_called_at`` = the ticket's first call, ``recall_count`` = its recalls (from ``call``);
- tickets of past days still waiting/called/serving/held/skipped are left open here: the first
  queue action after the upgrade closes them by the day-end rule (``QueueService.close_past_days``).
``outcome_by`` stays NULL for converted rows (the system decided, not a person).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0005"  # chain: 0002 → 0006 → 0004 → 0005 → 0003
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("first_called_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("recall_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("outcome", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("outcome_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("outcome_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("cancel_reason", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("leg", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("transferred_from_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_ticket_outcome_by_users", "users", ["outcome_by"], ["id"])
        batch.create_foreign_key("fk_ticket_transferred_from", "ticket", ["transferred_from_id"], ["id"])
        batch.create_unique_constraint("uq_ticket_transferred_from", ["transferred_from_id"])
        batch.drop_constraint("uq_ticket_number", type_="unique")
        batch.create_unique_constraint("uq_ticket_number", ["office_id", "letter", "day", "seq", "leg"])
    with op.batch_alter_table("ticket") as batch:
        batch.alter_column("recall_count", server_default=None)
        batch.alter_column("leg", server_default=None)
    op.execute(
        "UPDATE ticket SET first_called_at = (SELECT MIN(call.at) FROM call WHERE call.ticket_id = ticket.id),"
        " recall_count = (SELECT COUNT(*) FROM call WHERE call.ticket_id = ticket.id AND call.kind = 'recall')"
    )
    op.execute(
        "UPDATE ticket SET outcome = 'served', outcome_at = finished_at"
        " WHERE status = 'done' AND started_at IS NOT NULL"
    )
    op.execute(
        "UPDATE ticket SET outcome = 'no_show', outcome_at = COALESCE(finished_at, called_at, issued_at)"
        " WHERE status = 'done' AND started_at IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.drop_constraint("uq_ticket_number", type_="unique")
        batch.create_unique_constraint("uq_ticket_number", ["office_id", "letter", "day", "seq"])
        batch.drop_constraint("uq_ticket_transferred_from", type_="unique")
        batch.drop_constraint("fk_ticket_transferred_from", type_="foreignkey")
        batch.drop_constraint("fk_ticket_outcome_by_users", type_="foreignkey")
        for col in (
            "transferred_from_id",
            "leg",
            "cancel_reason",
            "outcome_by",
            "outcome_at",
            "outcome",
            "recall_count",
            "first_called_at",
        ):
            batch.drop_column(col)
