"""The hardware plugin's part of one core: ``core.extensions["hardware"]``.

Registered by the ``init_core`` hook (hardware/plugin.py) when a core is built, so the CLI and scripts have it
as well as the app. It holds the core's printer drivers (the built-in schemes plus the plugins'
``register_printer_drivers``: per core, never module-global) and what faces and the core's services read of
the plugin's tables without importing it: the printers, today's print trouble, the registered kiosks, the
``/-/health`` sections. The core itself knows no printer.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from antrean.kernel.actors import SYSTEM, Actor
from antrean.kernel.models import Ticket
from antrean.kernel.timeutil import iso, office_day, utcnow
from hardware import devices
from hardware.models import Printer, PrintJob
from hardware.printers import Drivers

EXTENSION = "hardware"
#: core.extensions key of the core's print spooler (hardware/spooler.py)
SPOOLER_KEY = "hardware.spooler"
#: a pending print job older than this is reported as a spooler problem in /-/health
BACKLOG_AGE = timedelta(minutes=2)
_BAD_PRINTER = ("offline", "error", "paper_out")


def of(core) -> Hardware:
    """The core's hardware service; made here (with the core's plugin drivers) if the core was built without
    the hardware plugin registered (a bare core in a test or a script that still uses the hardware modules)."""
    hw = core.extensions.get(EXTENSION)
    if hw is None:
        hw = core.extensions[EXTENSION] = Hardware(core)
        hw.drivers.install(core.hook.register_printer_drivers())
    return hw


class Devices:
    """The registered kiosks of one core (hardware/devices.py): the kiosk face's CLI goes through here."""

    def __init__(self, core):
        self._core = core

    def add(self, name: str, actor: Actor = SYSTEM) -> str:
        return devices.add(self._core, name, actor)

    def remove(self, name: str, actor: Actor = SYSTEM) -> None:
        devices.remove(self._core, name, actor)

    def registered(self) -> list[dict]:
        return devices.registered(self._core)

    def name_for_key(self, key: str | None) -> str | None:
        return devices.name_for_key(self._core, key)


class Hardware:
    def __init__(self, core):
        self.core = core
        #: scheme -> driver factory, this core's own (hardware.printers.Drivers)
        self.drivers = Drivers()
        self.devices = Devices(core)

    def printers(self) -> list[dict]:
        """The office's printers with their last known state."""
        core = self.core
        with core.db.read() as s:
            rows = (
                s.execute(select(Printer).where(Printer.office_id == core.office_id).order_by(Printer.name))
                .scalars()
                .all()
            )
            return [
                {
                    "id": p.id,
                    "name": p.name,
                    "url": p.url,
                    "profile": p.profile,
                    "state": p.state,
                    "detail": p.detail,
                    "checked_at": iso(p.checked_at),
                }
                for p in rows
            ]

    def print_trouble(self, day=None) -> dict:
        """What the front desk must see: printers that are offline, out of paper or in error, and print jobs
        of the office ``day``'s tickets (default today) that did not surely print (``uncertain``/``failed``)
        and were not reprinted since (no later job for the ticket). Reads today's tickets through their
        (office, day) index, not the whole job history."""
        core = self.core
        with core.db.read() as s:
            printers = [
                {"name": p.name, "state": p.state, "detail": p.detail, "checked_at": iso(p.checked_at)}
                for p in s.execute(
                    select(Printer)
                    .where(
                        Printer.office_id == core.office_id,
                        Printer.state.in_(("offline", "paper_out", "error")),
                        func.lower(Printer.url) != "none",
                    )
                    .order_by(Printer.name)
                ).scalars()
            ]
            rows = s.execute(
                select(PrintJob, Ticket.number)
                .join(Ticket, Ticket.id == PrintJob.ticket_id)
                .where(
                    Ticket.office_id == core.office_id,
                    Ticket.day == (day or office_day(core.tz)),
                    PrintJob.status.in_(("uncertain", "failed")),
                )
                .order_by(PrintJob.id)
            ).all()
            latest = (
                dict(
                    s.execute(
                        select(PrintJob.ticket_id, func.max(PrintJob.id))
                        .where(PrintJob.ticket_id.in_({j.ticket_id for j, _ in rows}))
                        .group_by(PrintJob.ticket_id)
                    ).all()
                )
                if rows
                else {}
            )
            jobs = [
                {
                    "id": j.id,
                    "ticket_id": j.ticket_id,
                    "number": number,
                    "printer": j.printer_name,
                    "kind": j.kind,
                    "status": j.status,
                    "last_error": j.last_error,
                    "created_at": iso(j.created_at),
                }
                for j, number in rows
                if latest.get(j.ticket_id) == j.id
            ]
        return {"printers": printers, "jobs": jobs}

    def health(self, database: dict) -> dict:
        """``/-/health``'s ``printers`` and ``spooler`` sections, and their problems (never fatal)."""
        if not database.get("ok"):
            return {"printers": [], "spooler": None}
        core = self.core
        office_id = core.office_id
        now = utcnow()
        with core.db.read() as s:
            rows = (
                s.execute(select(Printer).where(Printer.office_id == office_id).order_by(Printer.name)).scalars().all()
            )
            counts = {
                (name, status): n
                for name, status, n in s.execute(
                    select(PrintJob.printer_name, PrintJob.status, func.count())
                    .where(PrintJob.office_id == office_id, PrintJob.status.in_(("pending", "printing", "uncertain")))
                    .group_by(PrintJob.printer_name, PrintJob.status)
                )
            }
            oldest = s.execute(
                select(func.min(PrintJob.created_at)).where(
                    PrintJob.office_id == office_id, PrintJob.status == "pending"
                )
            ).scalar()
        printers = [
            {
                "name": p.name,
                "enabled": p.url.strip().lower() != "none",
                "state": p.state,
                "checked_at": iso(p.checked_at),
                "jobs": {k: counts.get((p.name, k), 0) for k in ("pending", "printing", "uncertain")},
            }
            for p in rows
        ]
        pending = sum(n for (_, status), n in counts.items() if status == "pending")
        spooler = {
            "pending": pending,
            "printing": sum(n for (_, status), n in counts.items() if status == "printing"),
            "uncertain": sum(n for (_, status), n in counts.items() if status == "uncertain"),
            "oldest_pending_seconds": None if oldest is None else max(0, int((now - oldest).total_seconds())),
            "running": SPOOLER_KEY in core.extensions and core.settings.start_workers,
        }
        problems = [
            f"printer {p['name']}: {p['state']}" for p in printers if p["enabled"] and p["state"] in _BAD_PRINTER
        ]
        if (
            spooler["oldest_pending_seconds"] is not None
            and spooler["oldest_pending_seconds"] > BACKLOG_AGE.total_seconds()
        ):
            problems.append(
                f"spooler: {spooler['pending']} job(s) waiting, oldest {spooler['oldest_pending_seconds']} s"
            )
        return {"printers": printers, "spooler": spooler, "problems": problems}
