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

import inspect
import logging

from antrean.kernel.hookspecs import hookimpl

from hardware import store

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
def init_app(app, core):
    install_drivers(core)
    store.check_settings(core)
    store.ensure_default_printer(core)
    from hardware.api import bp, public

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
    from hardware.spooler import Spooler

    spooler = core.extensions.get(SPOOLER_KEY)
    if spooler is None:
        spooler = core.extensions[SPOOLER_KEY] = Spooler(core)
    return spooler


def install_drivers(core) -> None:
    """Add the schemes other plugins register (``register_printer_drivers``) to DRIVERS.

    A factory may take ``(url, profile)`` as the hook spec says, or
    ``(url, profile, timeout)`` like the built-in drivers.
    """
    from hardware.printers import DRIVERS

    for result in core.hook.register_printer_drivers():
        if not isinstance(result, dict):
            log.error("register_printer_drivers must return a dict, got %r", type(result).__name__)
            continue
        for scheme, factory in result.items():
            if not isinstance(scheme, str) or not scheme.isalnum() or not callable(factory):
                log.error("printer driver %r ignored: needs an alphanumeric scheme and a callable", scheme)
                continue
            DRIVERS[scheme.lower()] = _three_args(factory)


def _three_args(factory):
    try:
        params = inspect.signature(factory).parameters.values()
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        takes_var = any(p.kind == p.VAR_POSITIONAL for p in params)
    except (TypeError, ValueError):
        return factory
    if takes_var or len(positional) >= 3:
        return factory
    return lambda url, profile, timeout: factory(url, profile)
