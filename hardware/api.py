"""Staff endpoints for printers, print jobs and reprints (``/api/v1/printers``).

Every endpoint needs a staff login (bearer token, or console session plus
``X-CSRFToken`` for POST), checked by :func:`antrean.web.api.current_actor`;
roles are checked in :mod:`hardware.store`.  Documented in docs/hardware.md.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from antrean.web.api import body, current_actor, field, staff
from antrean.web.app import get_core
from antrean.web.limits import public as rate_limited

from hardware import store

bp = Blueprint("hardware_api", __name__, url_prefix="/api/v1/printers")
#: public: a ticket's own print status, for the kiosk that issued it (the ticket's token is the key)
public = Blueprint("hardware_public", __name__)


@public.get("/api/v1/tickets/<token>/print")
@rate_limited("status")  # a registered kiosk (X-Device-Key) polls it per device; others per address
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
    if (ticket is not None and not ticket.isdecimal()) or not limit.isdecimal():
        from antrean.kernel.errors import Invalid
        raise Invalid("Parameter tidak sah.", detail="ticket_id and limit must be integers")
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


def openapi_paths() -> dict:
    """These routes in OpenAPI (merged into /api/v1/openapi.json through the hook ``openapi_paths``)."""
    from antrean.web.openapi import I, NI, NS, S, B, _errors, _obj, _post, _resp

    printer = _obj({"name": S, "url": S, "profile": S, "state": S, "detail": S, "checked_at": NS, "enabled": B,
                    "jobs": _obj({k: I for k in ("pending", "printing", "uncertain", "failed")})},
                   ["name", "url", "profile", "state"])
    device = _obj({"device_id": S, "name": S, "printer": S, "last_seen": NS}, ["device_id", "printer"])
    job = _obj({"id": I, "ticket_id": NI, "number": NS, "printer": S, "kind": S, "status": S, "attempts": I,
                "last_error": NS, "created_at": NS, "printed_at": NS, "next_attempt_at": NS}, ["id", "status"])
    secure = [{"bearer": []}]
    print_status = _obj({"status": S, "printer": NS, "job": NI, "printer_state": NS}, ["status"])
    return {
        "/tickets/{token}/print": {"get": {
            "summary": "A ticket's print status, for the kiosk that issued it (public, rate-limited as status)",
            "parameters": [{"name": "token", "in": "path", "required": True, "schema": S},
                           {"name": "X-Device-Key", "in": "header", "required": False, "schema": S}],
            "responses": {"200": _resp("Print status", print_status), **_errors(404, 429)}}},
        "/printers": {
            "get": {"summary": "Printers with their state and job counts, and kiosk assignments", "security": secure,
                    "responses": {"200": _resp("Printers", _obj({"printers": {"type": "array", "items": printer},
                                                                 "devices": {"type": "array", "items": device}})),
                                  **_errors(401)}},
            **_post("Add or change a printer (admin). file:// and serial:// must name a character device or a "
                    "path in the setting printer_files", _obj({"name": S, "url": S, "profile": S}, ["name", "url"]),
                    _resp("Printer", _obj({"printer": printer})), 401, 403, 422),
        },
        "/printers/jobs": {"get": {
            "summary": "Recent print jobs", "security": secure,
            "parameters": [{"name": "status", "in": "query", "schema": S}, {"name": "printer", "in": "query", "schema": S},
                           {"name": "ticket_id", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"}},
                           {"name": "limit", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{1,4}$"}}],
            "responses": {"200": _resp("Jobs", _obj({"jobs": {"type": "array", "items": job}})), **_errors(400, 401, 422)}}},
        "/printers/reprint": _post("Print a ticket again", _obj({"ticket_id": I, "printer": S}, ["ticket_id"]),
                                   _resp("Job", _obj({"job": job})), 401, 403, 404, 409, 422, status="201"),
        "/printers/devices": _post("Assign a kiosk to a printer", _obj({"device_id": S, "printer": S, "name": S},
                                                                       ["device_id"]),
                                   _resp("Device", _obj({"device": device})), 401, 403, 404, 422),
    }
