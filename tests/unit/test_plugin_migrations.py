"""The hardware plugin's tables moved out of the core's migration chain into the plugin's own (branch "hardware").

A database made by the older chain (core 0001…0011 created printer, kiosk_device and print_job) keeps its rows
when upgraded: the plugin's first revision adopts the tables. A new database gets them from the plugin.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from antrean.kernel.db import Database
from antrean.kernel.migrate import current, heads, known_revisions, upgrade
from antrean.kernel.models import Base

HARDWARE_TABLES = {"printer", "kiosk_device", "print_job"}
OLD_KEY = "ak_" + "k" * 43
OLD_DAY = date(2026, 11, 20)


def _old_hardware_tables(conn, *, with_keys: bool) -> None:
    """The three tables exactly as the core's chain made them before the plugin owned them: the old 0001's
    operations, and the old 0005's when the database had reached it."""
    op = Operations(MigrationContext.configure(conn))
    op.create_table(
        "kiosk_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("printer_name", sa.String(length=60), nullable=True),
        sa.Column("last_seen", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["office.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("office_id", "device_id"),
    )
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
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["office.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("office_id", "name"),
    )
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
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["office.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("print_job", schema=None) as batch_op:
        batch_op.create_index("ix_print_job_pending", ["office_id", "printer_name", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_print_job_ticket_id"), ["ticket_id"], unique=False)
    if with_keys:
        with op.batch_alter_table("kiosk_device") as batch:
            batch.add_column(sa.Column("key_hash", sa.String(64), nullable=True))
            batch.add_column(sa.Column("registered_at", sa.DateTime(), nullable=True))
            batch.create_unique_constraint("uq_kiosk_device_key_hash", ["key_hash"])


def _old_database(url: str, revision: str) -> dict:
    """A database at the core's ``revision`` ("0011", the last head of the older chain, or "0004", before 0005
    gave kiosk_device its key columns; the chain runs 0001 → 0002 → 0006 → 0004 → 0005 → 0003 → 0009 → 0010 →
    0008 → 0011) as the older chain left it, with an office, a ticket, a printer, a
    kiosk assigned to it (registered, when the chain had keys) and two print jobs. Returns the rows written."""
    db = Database(url)
    try:
        upgrade(db, revision)
        assert current(db) == (revision,)
        with db.engine.begin() as c:
            _old_hardware_tables(c, with_keys=revision >= "0005")
            office = c.execute(
                sa.text(
                    "INSERT INTO office (code, name, address, timezone) VALUES "
                    "('kecamatan', 'Kantor Lama', '', 'Asia/Jakarta') RETURNING id"
                )
            ).scalar_one()
            outcomes = ", recall_count, leg" if revision == "0011" else ""  # columns of 0003 (after 0005)
            ticket = c.execute(
                sa.text(
                    f"INSERT INTO ticket (office_id, service_code, letter, day, seq, number, status, token, recalls, "
                    f"issued_at{outcomes}) VALUES (:o, 'ktp', 'B', :d, 1, 'B001', 'waiting', 'token-lama-0001', 0, "
                    f"'2026-11-20 01:00:00'{', 0, 0' if outcomes else ''}) RETURNING id"
                ),
                {"o": office, "d": OLD_DAY},
            ).scalar_one()
            c.execute(
                sa.text(
                    "INSERT INTO printer (office_id, name, url, profile, state, detail) VALUES "
                    "(:o, 'lobi', 'tcp://192.0.2.5:9100', '58mm', 'paper_out', 'paper end')"
                ),
                {"o": office},
            )
            if revision >= "0005":
                c.execute(
                    sa.text(
                        "INSERT INTO kiosk_device (office_id, device_id, name, printer_name, key_hash, "
                        "registered_at) VALUES (:o, 'kios-1', 'Kios 1', 'lobi', :h, '2026-11-19 02:00:00')"
                    ),
                    {"o": office, "h": hashlib.sha256(OLD_KEY.encode()).hexdigest()},
                )
            else:
                c.execute(
                    sa.text(
                        "INSERT INTO kiosk_device (office_id, device_id, name, printer_name) VALUES "
                        "(:o, 'kios-1', 'Kios 1', 'lobi')"
                    ),
                    {"o": office},
                )
            for kind, status, tid in (("ticket", "uncertain", ticket), ("test", "done", None)):
                c.execute(
                    sa.text(
                        "INSERT INTO print_job (office_id, ticket_id, printer_name, kind, status, attempts, last_error, "
                        "payload, next_attempt_at, created_at) VALUES (:o, :t, 'lobi', :k, :s, 1, 'timeout: lama', "
                        "'{\"number\": \"B001\"}', '2026-11-20 01:00:00', '2026-11-20 01:00:00')"
                    ),
                    {"o": office, "t": tid, "k": kind, "s": status},
                )
        return {name: _rows(db, name) for name in sorted(HARDWARE_TABLES)}
    finally:
        db.dispose()


def _rows(db, table: str) -> list[tuple]:
    with db.engine.connect() as c:
        return [tuple(r) for r in c.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))]


def _schema_diff(db) -> list:
    """Autogenerate's differences between the database and the models, for the hardware tables."""
    import hardware.models  # noqa: F401  (the plugin's models on Base.metadata)

    def include_object(obj, name, type_, reflected, compare_to):
        return (name if type_ == "table" else obj.table.name) in HARDWARE_TABLES

    with db.engine.connect() as c:
        return compare_metadata(MigrationContext.configure(c, opts={"include_object": include_object}), Base.metadata)


def _upgrade_keeps_every_row(url: str, revision: str, settings_dict) -> None:
    from antrean.core import Antrean
    from plugins import BUILTIN_SOP_MODULES

    before = _old_database(url, revision)
    db = Database(url)
    try:
        upgrade(db)
        assert current(db) == ("hardware_0001",)  # the core's 0011 is implied: hardware_0001 depends on it
        after = {name: _rows(db, name) for name in sorted(HARDWARE_TABLES)}
        if revision < "0005":  # the core's 0005 added the kiosk's key columns to the old table, empty
            after["kiosk_device"] = [r[:-2] for r in after["kiosk_device"]]
            assert all(r[-2:] == (None, None) for r in _rows(db, "kiosk_device"))
        assert after == before and all(before.values())
        assert _schema_diff(db) == []
    finally:
        db.dispose()

    core = Antrean(
        settings_dict | {"database_url": url},
        builtins=tuple(BUILTIN_SOP_MODULES) + ("hardware.plugin",),
        entry_points=False,
    )
    try:
        core.migrate()  # nothing left to do
        hw = core.extensions["hardware"]
        assert [(p["name"], p["state"]) for p in hw.printers()] == [("lobi", "paper_out")]
        trouble = hw.print_trouble(day=OLD_DAY)
        assert [j["number"] for j in trouble["jobs"]] == ["B001"] and trouble["printers"][0]["name"] == "lobi"
        key = OLD_KEY if revision >= "0005" else hw.devices.add("kios-1")
        assert hw.devices.name_for_key(key) == "kios-1"
        ticket, _ = core.tickets.issue("ktp", device_id="kios-1")  # the old kiosk still prints on its printer
        assert ticket["print"]["status"] == "queued" and ticket["print"]["printer"] == "lobi"
        assert ticket["print"]["job"] > max(r[0] for r in before["print_job"])
    finally:
        core.close()


@pytest.mark.parametrize("revision", ["0011", "0004"])
def test_an_old_sqlite_database_keeps_its_printers_kiosks_and_jobs(tmp_path, settings_dict, revision):
    _upgrade_keeps_every_row(f"sqlite:///{tmp_path / 'old.db'}", revision, settings_dict)
    with Database(f"sqlite:///{tmp_path / 'old.db'}").engine.connect() as c:  # the foreign keys still hold
        assert c.execute(sa.text("PRAGMA foreign_key_check")).all() == []


@pytest.mark.postgres
def test_an_old_postgresql_database_keeps_its_printers_kiosks_and_jobs(pg_url, settings_dict):
    _upgrade_keeps_every_row(pg_url, "0011", settings_dict)


def test_a_new_database_gets_the_tables_from_the_plugin(tmp_path):
    """The core's chain alone makes no printer table; the hardware branch does, at the same schema."""
    db = Database(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        upgrade(db, "antrean@head")
        assert current(db) == ("0011",) and not HARDWARE_TABLES & set(sa.inspect(db.engine).get_table_names())
        upgrade(db)
        assert current(db) == ("hardware_0001",) and HARDWARE_TABLES <= set(sa.inspect(db.engine).get_table_names())
        assert _schema_diff(db) == []
        assert heads() == ("0011", "hardware_0001") and {"0001", "hardware_0001"} <= known_revisions()
    finally:
        db.dispose()
