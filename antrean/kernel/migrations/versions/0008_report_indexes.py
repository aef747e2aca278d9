"""indexes for the reports over a year (issue 10 benchmark): step logs by the time they ended (covering the
step-vs-standard grouping), applications by the time they were opened and closed; the Camat's name and NIP
of the public page's setting ``publik`` (camat_name, camat_nip) move into the one setting ``camat``

Revision ID: 0008
Revises: 0010
Create Date: 2026-11-27
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0010"  # chain: … → 0003 → 0009 → 0010 → 0008 (re-chained on merging main)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_step_log_ended", "step_log", ["ended_at", "application_id", "step_no", "minutes", "standard_minutes"]
    )
    op.create_index("ix_application_closed", "application", ["office_id", "closed_at"])
    op.create_index("ix_application_created", "application", ["office_id", "created_at"])
    _camat_into_one_setting()


def _camat_into_one_setting() -> None:
    """``publik.camat_name``/``camat_nip`` → ``camat`` {"name", "nip", "rank"} (kept when already set)."""
    conn = op.get_bind()
    setting = sa.table(
        "setting", sa.column("office_id", sa.Integer), sa.column("key", sa.String), sa.column("value", sa.JSON)
    )
    rows = conn.execute(
        sa.select(setting.c.office_id, setting.c.key, setting.c.value).where(setting.c.key.in_(("publik", "camat")))
    ).all()
    by_office: dict = {}
    for office_id, key, value in rows:
        if isinstance(value, str):  # JSON read back as text by some drivers
            try:
                value = json.loads(value)
            except ValueError:
                value = None
        by_office.setdefault(office_id, {})[key] = value
    for office_id, values in by_office.items():
        publik = values.get("publik")
        if not isinstance(publik, dict) or not ({"camat_name", "camat_nip"} & set(publik)):
            continue
        camat = values.get("camat") if isinstance(values.get("camat"), dict) else None
        moved = {"name": str(publik.get("camat_name") or ""), "nip": str(publik.get("camat_nip") or ""), "rank": ""}
        rest = {k: v for k, v in publik.items() if k not in ("camat_name", "camat_nip")}
        conn.execute(
            setting.update().where(setting.c.office_id == office_id, setting.c.key == "publik").values(value=rest)
        )
        if camat is None:
            if "camat" in values:
                conn.execute(
                    setting.update()
                    .where(setting.c.office_id == office_id, setting.c.key == "camat")
                    .values(value=moved)
                )
            else:
                conn.execute(setting.insert().values(office_id=office_id, key="camat", value=moved))
        else:  # the report's setting wins; fill only what it lacks
            merged = dict(camat)
            for k in ("name", "nip"):
                if not str(merged.get(k) or "").strip() and moved[k]:
                    merged[k] = moved[k]
            conn.execute(
                setting.update().where(setting.c.office_id == office_id, setting.c.key == "camat").values(value=merged)
            )


def downgrade() -> None:
    op.drop_index("ix_application_created", table_name="application")
    op.drop_index("ix_application_closed", table_name="application")
    op.drop_index("ix_step_log_ended", table_name="step_log")
