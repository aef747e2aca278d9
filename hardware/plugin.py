"""The hardware plugin: print jobs for new tickets, the spooler, printer endpoints.

Hooks (see docs/hardware.md):

* ``ticket_issuing`` - inside the ticket's transaction: choose the kiosk's
  printer and insert a ``PrintJob`` (it commits or rolls back with the
  ticket); sets ``ticket["print"]`` for the kiosk.
* ``ticket_issued`` - after commit: wake that printer's worker.
* ``init_app`` - default printer row, printer drivers from plugins,
  ``/api/v1/printers`` endpoints, spooler start (``settings.start_workers``).
* ``shutdown`` - stop the workers.
"""
from __future__ import annotations

import logging

from antrean import hookimpl
from hardware import store
from hardware.api import bp, public
from hardware.api import openapi_paths as paths
from hardware.cli import printer as printer_cli
from hardware.printers import install_drivers
from hardware.spooler import Spooler

__version__ = "1.0"

log = logging.getLogger(__name__)

SPOOLER_KEY = "hardware.spooler"


@hookimpl
def ticket_issuing(core, conn, ticket):
    printer = store.printer_for_device(core, conn, ticket.get("device_id"))
    if not store.enabled(printer):
        ticket["print"] = {"status": "disabled"}
        return
    job = store.enqueue(core, conn, ticket, printer, "ticket", store.public_base(core))
    ticket["print"] = {"status": "queued", "printer": printer.name, "job": job.id, "printer_state": printer.state}


@hookimpl
def ticket_replayed(core, conn, ticket):
    """A retried tap gets the same ``print`` field as the first answer (read from its job)."""
    ticket["print"] = store.print_status(conn, ticket["id"])


@hookimpl
def ticket_issued(core, ticket):
    info = ticket.get("print") or {}
    if info.get("status") != "queued":
        return
    spooler = core.extensions.get(SPOOLER_KEY)
    if spooler is not None:
        spooler.wake(info["printer"])


@hookimpl
def register_commands(cli):
    cli.add_command(printer_cli)  # antrean printer test|status|add|assign


@hookimpl
def openapi_paths(core):
    return paths()


@hookimpl
def init_app(app, core):
    install_drivers(core)
    store.check_settings(core)
    store.ensure_default_printer(core)
    app.extensions["antrean.csrf"].exempt(bp)  # staff calls are checked by antrean.web.api.current_actor
    app.register_blueprint(bp)
    app.register_blueprint(public)
    spooler = get_spooler(core)
    if core.settings.start_workers:
        spooler.start()


@hookimpl
def shutdown(core):
    spooler = core.extensions.get(SPOOLER_KEY)
    if spooler is not None:
        spooler.stop()


def get_spooler(core):
    """The core's spooler (created, not started, on first use)."""
    spooler = core.extensions.get(SPOOLER_KEY)
    if spooler is None:
        spooler = core.extensions[SPOOLER_KEY] = Spooler(core)
    return spooler
