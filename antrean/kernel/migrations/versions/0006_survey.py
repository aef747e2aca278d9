"""SKM survey: survey_response, survey_answer, survey_followup

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=60), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("age_group", sa.String(length=8), nullable=True),
        sa.Column("education", sa.String(length=8), nullable=True),
        sa.Column("occupation", sa.String(length=20), nullable=True),
        sa.Column("suggestion", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id"),
    )
    op.create_index("ix_survey_response_period", "survey_response", ["office_id", "day", "service_code"])
    op.create_table(
        "survey_answer",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("element", sa.String(length=12), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("service_code", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"]),
        sa.ForeignKeyConstraint(["response_id"], ["survey_response.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("response_id", "element"),
    )
    op.create_index(
        "ix_survey_answer_period", "survey_answer", ["office_id", "day", "service_code", "element", "value"]
    )
    op.create_index(
        "ix_survey_answer_service", "survey_answer", ["office_id", "service_code", "day", "element", "value"]
    )
    op.create_table(
        "survey_followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("element", sa.String(length=12), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"]),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("office_id", "period", "element"),
    )


def downgrade() -> None:
    op.drop_table("survey_followup")
    op.drop_index("ix_survey_answer_service", table_name="survey_answer")
    op.drop_index("ix_survey_answer_period", table_name="survey_answer")
    op.drop_table("survey_answer")
    op.drop_index("ix_survey_response_period", table_name="survey_response")
    op.drop_table("survey_response")
