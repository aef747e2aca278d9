"""Staff endpoints for printers, print jobs and reprints (``/api/v1/printers``).

Every endpoint needs a staff login (bearer token, or console session plus
``X-CSRFToken`` for POST), checked by :func:`antrean.web.api.current_actor`;
roles are checked in :mod:`hardware.store`.  Documented in docs/hardware.md.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from pydantic import Field

from antrean.kernel.schema import Int64, Strict
from antrean.web.api import current_actor, staff
from antrean.web.context import get_core
from antrean.web.limits import public as rate_limited
from antrean.web.openapi import Out, Query, api
from hardware import store

bp = Blueprint("hardware_api", __name__, url_prefix="/api/v1/printers")
#: public: a ticket's own print status, for the kiosk that issued it (the ticket's token is the key)
public = Blueprint("hardware_public", __name__)


# -- schemas (listed in /api/v1/openapi.json with the core's) -------------------------------------------------------
class PrintStatus(Out):
    status: str = Field(description="disabled, queued, pending, printing, done, failed, uncertain or none")
    printer: str | None = None
    job: int | None = None
    printer_state: str | None = None


class PrinterJobs(Out):
    pending: int = 0
    printing: int = 0
    uncertain: int = 0
    failed: int = 0


class PrinterOut(Out):
    name: str
    url: str
    profile: str
    state: str
    detail: str
    checked_at: str | None
    enabled: bool
    jobs: PrinterJobs


class DeviceOut(Out):
    device_id: str
    name: str
    printer: str
    last_seen: str | None


class JobOut(Out):
    id: int
    ticket_id: int | None
    number: str | None
    printer: str
    kind: str
    status: str
    attempts: int
    last_error: str | None
    created_at: str | None
    printed_at: str | None
    next_attempt_at: str | None


class Printers(Out):
    printers: list[PrinterOut]
    devices: list[DeviceOut]


class Jobs(Out):
    jobs: list[JobOut]


class JobResult(Out):
    job: JobOut


class PrinterResult(Out):
    printer: PrinterOut


class DeviceResult(Out):
    device: DeviceOut


class JobsQuery(Query):
    status: str | None = Field(None, description="pending, printing, done, failed or uncertain")
    printer: str | None = None
    ticket_id: str | None = Field(None, pattern=r"^[0-9]{1,18}$")
    limit: str = Field("50", pattern=r"^[0-9]{1,18}$")


class ReprintIn(Strict):
    ticket_id: Int64
    printer: str | None = Field(None, description="default: the ticket's kiosk's printer")


class PrinterIn(Strict):
    name: str
    url: str = Field(description="tcp://, usb://, file://, serial:// or none")
    profile: str = "80mm"


class DeviceIn(Strict):
    device_id: str
    printer: str | None = None
    name: str | None = None


# -- routes ---------------------------------------------------------------------------------------------------------
@public.get("/api/v1/tickets/<token>/print")
@rate_limited("status")  # a registered kiosk (X-Device-Key) polls it per device; others per address
@api("A ticket's print status, for the kiosk that issued it (public, rate-limited as status)", ok=PrintStatus)
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
@api("Printers with their state and job counts, and kiosk assignments", ok=Printers)
def printers():
    core = get_core()
    return jsonify({"printers": store.list_printers(core), "devices": store.list_devices(core)})


@bp.get("/jobs")
@staff("printer.read")
@api("Recent print jobs", query=JobsQuery, ok=Jobs)
def jobs(query: JobsQuery):
    return jsonify(
        {
            "jobs": store.list_jobs(
                get_core(),
                status=query.status,
                printer=query.printer,
                ticket_id=int(query.ticket_id) if query.ticket_id is not None else None,
                limit=int(query.limit),
            )
        }
    )


@bp.post("/reprint")
@staff("ticket.reprint")
@api("Print a ticket again", body=ReprintIn, ok=JobResult, status=201, errors=(404, 409))
def reprint(body: ReprintIn):
    actor = current_actor()
    job = store.reprint(get_core(), actor, body.ticket_id, body.printer)
    return jsonify({"job": job}), 201


@bp.post("")
@staff("printer.manage")
@api(
    "Add or change a printer (admin). file:// and serial:// must name a character device or a path in the "
    "setting printer_files",
    body=PrinterIn,
    ok=PrinterResult,
)
def save_printer(body: PrinterIn):
    actor = current_actor()
    printer = store.save_printer(get_core(), actor, body.name, body.url, body.profile)
    _wake(printer["name"])
    return jsonify({"printer": printer}), 200


@bp.post("/devices")
@staff("printer.manage")
@api("Assign a kiosk to a printer", body=DeviceIn, ok=DeviceResult, errors=(404,))
def assign_device(body: DeviceIn):
    actor = current_actor()
    device = store.assign_device(get_core(), actor, body.device_id, body.printer, body.name)
    return jsonify({"device": device}), 200


def _wake(name: str) -> None:
    spooler = get_core().extensions.get("hardware.spooler")
    if spooler is not None:
        spooler.wake(name)
