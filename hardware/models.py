"""The hardware plugin's tables: printers, kiosk devices, print jobs.

Declared on the core's declarative ``Base`` (one database, one ``MetaData``): the foreign keys to the
core's ``office`` and ``ticket`` resolve by name, and the schema check (tests/unit/test_config_cli.py)
compares the whole database with one metadata. The tables are created by the plugin's own migrations
(hardware/migrations, Alembic branch ``hardware``), not by the core's chain. Timestamps are naive UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from antrean.kernel.models import Base
from antrean.kernel.timeutil import utcnow


class Printer(Base):
    __tablename__ = "printer"
    __table_args__ = (UniqueConstraint("office_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    name: Mapped[str] = mapped_column(String(60))
    url: Mapped[str] = mapped_column(String(300))
    profile: Mapped[str] = mapped_column(String(10), default="80mm")
    state: Mapped[str] = mapped_column(String(20), default="unknown")  # online | offline | error | paper_out | unknown
    detail: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class KioskDevice(Base):
    __tablename__ = "kiosk_device"
    __table_args__ = (UniqueConstraint("office_id", "device_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    device_id: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(80), default="")
    printer_name: Mapped[str | None] = mapped_column(String(60), nullable=True)
    last_seen: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    #: sha256 of the device key ``antrean kiosk add`` printed (NULL: not registered); the key itself is never stored
    key_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    registered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class PrintJob(Base):
    """Written in the ticket's transaction; printed after commit by the printer's worker."""

    __tablename__ = "print_job"
    __table_args__ = (Index("ix_print_job_pending", "office_id", "printer_name", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True, index=True)
    printer_name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(12), default="ticket")  # ticket | reprint | slip | test
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | printing | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    printed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
