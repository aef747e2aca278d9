"""Staff endpoints for printers, print jobs and reprints (``/api/v1/printers``).

Every endpoint needs a staff login (bearer token, or console session plus
``X-CSRFToken`` for POST), checked by :func:`antrean.api.current_actor`;
roles are checked in :mod:`hardware.store`.  Documented in docs/hardware.md.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from antrean.api import body, current_actor, field, staff
from antrean.app import get_core

from hardware import store

bp = Blueprint("hardware_api", __name__, url_prefix="/api/v1/printers")
#: public: a ticket's own print status, for the kiosk that issued it (the ticket's token is the key)
public = Blueprint("hardware_public", __name__)


@public.get("/api/v1/tickets/<token>/print")
def ticket_print_status(token):
    """``{"status", "printer", "job", "printer_state"}`` of the ticket's print job (no personal data)."""
    core = get_core()
    ticket = core.tickets.by_token(token)  # NotFound for an unknown token
    with core.db.read() as s:
        out = store.print_status(s, ticket["id"])
    resp = jsonify(out)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("")
@staff("printer.read")
def printers():
    core = get_core()
    return jsonify({"printers": store.list_printers(core), "devices": store.list_devices(core)})


@bp.get("/jobs")
@staff("printer.read")
def jobs():
    args = request.args
    ticket = args.get("ticket_id")
    limit = args.get("limit", "50")
    if (ticket is not None and not ticket.isdigit()) or not limit.isdigit():
        from antrean.errors import Invalid
        raise Invalid("Parameter tidak sah.", "Invalid parameter.", detail="ticket_id and limit must be integers")
    return jsonify({"jobs": store.list_jobs(get_core(), status=args.get("status") or None,
                                            printer=args.get("printer") or None,
                                            ticket_id=int(ticket) if ticket is not None else None,
                                            limit=int(limit))})


@bp.post("/reprint")
@staff("ticket.reprint")
def reprint():
    actor = current_actor()
    data = body()
    job = store.reprint(get_core(), actor, field(data, "ticket_id", int),
                        field(data, "printer", str, required=False))
    return jsonify({"job": job}), 201


@bp.post("")
@staff("printer.manage")
def save_printer():
    actor = current_actor()
    data = body()
    printer = store.save_printer(get_core(), actor, field(data, "name", str), field(data, "url", str),
                                 field(data, "profile", str, required=False, default="80mm"))
    _wake(printer["name"])
    return jsonify({"printer": printer}), 200


@bp.post("/devices")
@staff("printer.manage")
def assign_device():
    actor = current_actor()
    data = body()
    device = store.assign_device(get_core(), actor, field(data, "device_id", str),
                                 field(data, "printer", str, required=False),
                                 field(data, "name", str, required=False))
    return jsonify({"device": device}), 200


def _wake(name: str) -> None:
    spooler = get_core().extensions.get("hardware.spooler")
    if spooler is not None:
        spooler.wake(name)
