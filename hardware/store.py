"""Printers, kiosk assignments and print jobs in the database.

Plain functions over the plugin's tables (``Printer``, ``KioskDevice``,
``PrintJob``: hardware/models.py); the spooler (:mod:`hardware.spooler`), the hooks
(:mod:`hardware.plugin`), the REST endpoints (:mod:`hardware.api`) and the
CLI (:mod:`hardware.cli`) all go through here.  Roles are checked here, not
only in the endpoints.

Job states: ``pending`` (waiting for its printer, maybe backing off) →
``printing`` (claimed by one worker) → ``done``; or ``uncertain`` (the
printer may have printed it, see docs/hardware.md: never reprinted
automatically, staff decide) or ``failed`` (will not be printed: expired,
printing disabled, or an unprintable payload).
"""

from __future__ import annotations

import logging
import socket
from datetime import datetime, timedelta

from flask import has_request_context, request
from sqlalchemy import func, select

from antrean.kernel.actors import SYSTEM, Actor
from antrean.kernel.config import ConfigError
from antrean.kernel.errors import Invalid, NotFound
from antrean.kernel.models import Office, Service, Setting, Ticket
from antrean.kernel.policy import REPRINT_ROLES  # noqa: F401  (kept importable from here)
from antrean.kernel.policy import require as authorize
from antrean.kernel.timeutil import iso, local, utcnow
from hardware import service
from hardware.models import KioskDevice, Printer, PrintJob
from hardware.printers import BUILTIN_DRIVERS, PrinterConfigError, open_printer, parse_printer_url
from hardware.ticket import PAPER_80, TicketPrint, paper_profile

log = logging.getLogger(__name__)

#: the schemes of hardware.printers itself (each core's registry adds the plugins')
_BUILTIN_SCHEMES = frozenset(BUILTIN_DRIVERS) | {"none"}
DEFAULT_PRINTER = "default"
DEFAULT_FOOTER = "Simpan tiket ini sampai layanan Anda selesai. Terima kasih."
#: office setting (core.get_setting) holding the ticket footer text
FOOTER_SETTING = "ticket_footer"
JOB_STATES = ("pending", "printing", "done", "uncertain", "failed")


# -- printers ---------------------------------------------------------------------
def check_url(url: str, files: tuple[str, ...] = (), drivers=None) -> str:
    """Validate a printer URL without connecting; raises Invalid with the precise reason.

    ``files``: the server admin's allow-list (setting ``printer_files``); otherwise ``file://`` and
    ``serial://`` must name a character device (hardware.printers.check_device_path). ``drivers``: the
    core's registry (``service.of(core).drivers``; default the built-in schemes)."""
    try:
        open_printer(
            url, PAPER_80, files=files, drivers=drivers
        )  # builds the driver object (checks host, ids, devices); no I/O
    except PrinterConfigError as exc:
        raise Invalid("Alamat printer tidak sah.", detail=str(exc), field="url") from None
    return url.strip()


def check_profile(profile: str) -> str:
    try:
        return paper_profile(profile).name
    except ValueError as exc:
        raise Invalid("Lebar kertas harus 58mm atau 80mm.", detail=str(exc), field="profile") from None


#: office setting remembering the default printer as it was before ``printer_url`` took it over
SETTINGS_OVERRIDE = "printer.default.before_settings"


def check_settings(core) -> None:
    """``printer_url`` / ``printer_profile`` checked at start-up: ConfigError naming the setting."""
    url = (core.settings.printer_url or "none").strip() or "none"
    try:
        # built-in drivers are built (host, ids, dependencies checked; no I/O); a plugin's scheme
        # is only parsed: its driver object is not ours to make and throw away
        if parse_printer_url(url, service.of(core).drivers).scheme in _BUILTIN_SCHEMES:
            open_printer(url, PAPER_80)
    except PrinterConfigError as exc:
        raise ConfigError(f"printer_url: {exc}") from None
    try:
        paper_profile(core.settings.printer_profile)
    except ValueError as exc:
        raise ConfigError(f"printer_profile: {exc}") from None


def ensure_default_printer(core, session=None) -> Printer:
    """The "default" printer row, created (or updated) from settings.printer_url / printer_profile.

    Missing → created from the settings (also when the URL is ``none``).
    ``printer_url`` set (not ``none``) → the row follows it; the row as it was before the setting
    took it over (the admin's own URL, or ``none``) is remembered in the office setting
    ``printer.default.before_settings``. ``printer_url`` unset again → the row goes back to that
    remembered state. With ``none`` and nothing remembered, the row stays as the admin configured it
    (``antrean printer add default URL``).
    """
    if session is None:
        with core.db.write() as s:
            return ensure_default_printer(core, s)
    st = core.settings
    url = (st.printer_url or "none").strip() or "none"
    profile = paper_profile(st.printer_profile).name  # checked at start-up (check_settings)
    office_id = core.office_id
    row = session.execute(
        select(Printer).where(Printer.office_id == office_id, Printer.name == DEFAULT_PRINTER)
    ).scalar_one_or_none()
    remembered = session.get(Setting, (office_id, SETTINGS_OVERRIDE))
    if url.lower() != "none":
        if row is not None and row.url == url and row.profile == profile:
            return row
        if remembered is None:  # first take-over: remember what the row was
            before = {"url": row.url, "profile": row.profile} if row is not None else {"url": "none", "profile": None}
            session.add(Setting(office_id=office_id, key=SETTINGS_OVERRIDE, value=before))
        target = {"url": url, "profile": profile}
        source = "settings"
    elif remembered is not None:  # the setting was removed: back to the state before it
        target = {"url": remembered.value["url"], "profile": remembered.value.get("profile") or profile}
        session.delete(remembered)
        source = "settings removed"
    elif row is None:
        target, source = {"url": url, "profile": profile}, "settings"
    else:
        return row
    if row is None:
        row = Printer(
            office_id=office_id,
            name=DEFAULT_PRINTER,
            url=target["url"],
            profile=target["profile"],
            state="unknown",
            detail="",
        )
        session.add(row)
        session.flush()
        core.audit(session, SYSTEM, "printer.create", "printer", DEFAULT_PRINTER, **target, source=source)
    elif (row.url, row.profile) != (target["url"], target["profile"]):
        old = {"url": row.url, "profile": row.profile}
        row.url, row.profile, row.state, row.detail = target["url"], target["profile"], "unknown", ""
        core.audit(session, SYSTEM, "printer.update", "printer", DEFAULT_PRINTER, old=old, new=target, source=source)
    return row


def printer_view(p: Printer, counts: dict | None = None) -> dict:
    counts = counts or {}
    return {
        "name": p.name,
        "url": p.url,
        "profile": p.profile,
        "state": p.state,
        "detail": p.detail,
        "checked_at": iso(p.checked_at),
        "enabled": p.url.strip().lower() != "none",
        "jobs": {k: counts.get(k, 0) for k in ("pending", "printing", "uncertain", "failed")},
    }


def list_printers(core) -> list[dict]:
    with core.db.read() as s:
        rows = (
            s.execute(select(Printer).where(Printer.office_id == core.office_id).order_by(Printer.name)).scalars().all()
        )
        counts: dict[str, dict] = {}
        for name, status, n in s.execute(
            select(PrintJob.printer_name, PrintJob.status, func.count())
            .where(PrintJob.office_id == core.office_id, PrintJob.status != "done")
            .group_by(PrintJob.printer_name, PrintJob.status)
        ).all():
            counts.setdefault(name, {})[status] = n
        return [printer_view(p, counts.get(p.name)) for p in rows]


def save_printer(core, actor: Actor, name: str, url: str, profile: str = "80mm") -> dict:
    """Add a printer or change its URL/profile (admin)."""
    authorize(core, actor, "printer.manage")
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise Invalid("Nama printer wajib diisi (maksimal 60 karakter).", field="name")
    url, profile = check_url(url, core.settings.printer_file_list, service.of(core).drivers), check_profile(profile)
    with core.db.write() as s:
        row = s.execute(
            select(Printer).where(Printer.office_id == core.office_id, Printer.name == name)
        ).scalar_one_or_none()
        if row is None:
            row = Printer(office_id=core.office_id, name=name, url=url, profile=profile, state="unknown", detail="")
            s.add(row)
            core.audit(s, actor, "printer.create", "printer", name, url=url, profile=profile)
        else:
            old = {"url": row.url, "profile": row.profile}
            row.url, row.profile, row.state, row.detail = url, profile, "unknown", ""
            core.audit(s, actor, "printer.update", "printer", name, old=old, new={"url": url, "profile": profile})
        remembered = s.get(Setting, (core.office_id, SETTINGS_OVERRIDE)) if name == DEFAULT_PRINTER else None
        if remembered is not None:  # while printer_url rules the row, the admin's choice is what comes back
            remembered.value = {"url": url, "profile": profile}
        s.flush()
        return printer_view(row)


def assign_device(core, actor: Actor, device_id: str, printer_name: str | None, name: str | None = None) -> dict:
    """Give a kiosk (by device id) its own printer; ``None`` → the default printer (admin)."""
    authorize(core, actor, "printer.manage")
    device_id = (device_id or "").strip()
    if not device_id or len(device_id) > 80:
        raise Invalid("ID perangkat kios wajib diisi (maksimal 80 karakter).", field="device_id")
    with core.db.write() as s:
        if (
            printer_name is not None
            and s.execute(
                select(Printer.id).where(Printer.office_id == core.office_id, Printer.name == printer_name)
            ).scalar()
            is None
        ):
            raise NotFound(
                "Printer tidak ditemukan.",
                detail=f"no printer named {printer_name!r}; add it first (antrean printer add)",
            )
        dev = s.execute(
            select(KioskDevice).where(KioskDevice.office_id == core.office_id, KioskDevice.device_id == device_id)
        ).scalar_one_or_none()
        old = None
        if dev is None:
            dev = KioskDevice(office_id=core.office_id, device_id=device_id, name=name or "", printer_name=printer_name)
            s.add(dev)
        else:
            old = dev.printer_name
            dev.printer_name = printer_name
            if name is not None:
                dev.name = name
        core.audit(s, actor, "kiosk.assign_printer", "kiosk_device", device_id, old=old, new=printer_name)
        return device_view(dev)


def device_view(d: KioskDevice) -> dict:
    return {
        "device_id": d.device_id,
        "name": d.name,
        "printer": d.printer_name or DEFAULT_PRINTER,
        "last_seen": iso(d.last_seen),
    }


def list_devices(core) -> list[dict]:
    with core.db.read() as s:
        rows = (
            s.execute(
                select(KioskDevice).where(KioskDevice.office_id == core.office_id).order_by(KioskDevice.device_id)
            )
            .scalars()
            .all()
        )
        return [device_view(d) for d in rows]


def printer_for_device(core, session, device_id: str | None) -> Printer:
    """The kiosk's own printer, else the default one (created from settings if missing)."""
    if device_id:
        name = session.execute(
            select(KioskDevice.printer_name).where(
                KioskDevice.office_id == core.office_id, KioskDevice.device_id == device_id
            )
        ).scalar()
        if name:
            row = session.execute(
                select(Printer).where(Printer.office_id == core.office_id, Printer.name == name)
            ).scalar_one_or_none()
            if row is not None:
                return row
            log.error(
                "kiosk %r is assigned to printer %r, which does not exist; using %r", device_id, name, DEFAULT_PRINTER
            )
    row = session.execute(
        select(Printer).where(Printer.office_id == core.office_id, Printer.name == DEFAULT_PRINTER)
    ).scalar_one_or_none()
    return row if row is not None else ensure_default_printer(core, session)


def print_status(session, ticket_id: int) -> dict:
    """The ``print`` field of a ticket as the kiosk saw it when issued, from its first print job."""
    job = session.execute(
        select(PrintJob)
        .where(PrintJob.ticket_id == ticket_id, PrintJob.kind == "ticket")
        .order_by(PrintJob.id)
        .limit(1)
    ).scalar()
    if job is None:
        return {"status": "disabled"}
    status = "queued" if job.status == "pending" else job.status
    state = session.execute(
        select(Printer.state).where(Printer.office_id == job.office_id, Printer.name == job.printer_name)
    ).scalar()
    return {"status": status, "printer": job.printer_name, "job": job.id, "printer_state": state or "unknown"}


def enabled(p: Printer) -> bool:
    return p.url.strip().lower() != "none"


# -- payloads -------------------------------------------------------------------
_LAN_IP: str | None = None


def lan_address() -> str:
    """This machine's LAN address (no packet is sent), or 127.0.0.1."""
    global _LAN_IP
    if _LAN_IP is None:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect(("10.255.255.255", 1))
                _LAN_IP = s.getsockname()[0]
        except OSError:
            _LAN_IP = "127.0.0.1"
    return _LAN_IP


def public_base(core) -> str:
    """Base URL for the ticket QR.

    ``settings.public_url`` when set; else the host the request came to
    (the kiosk's view of the server), except that a loopback host
    (a kiosk browser on the server PC itself) is replaced by this machine's
    LAN address, since phones cannot reach 127.0.0.1.  Set
    ``ANTREAN_PUBLIC_URL`` whenever phones reach the server by another name.
    """
    if core.settings.public_url:
        return core.settings.public_url.rstrip("/")
    try:
        if has_request_context():
            host = request.host.rsplit(":", 1)
            name = host[0].strip("[]")
            if name in ("localhost", "127.0.0.1", "::1") or name.startswith("127."):
                port = f":{host[1]}" if len(host) == 2 else ""
                return f"{request.scheme}://{lan_address()}{port}"
            return request.host_url.rstrip("/")
    except ImportError:  # pragma: no cover - flask is a dependency
        pass
    return f"http://{lan_address()}:5000"


def ticket_payload(core, session, ticket: dict, base_url: str) -> dict:
    """The TicketPrint fields as JSON, from the ticket dict (the API's view) and the office rows."""
    office = session.get(Office, core.office_id)
    svc = session.execute(
        select(Service).where(Service.office_id == core.office_id, Service.code == ticket["service"])
    ).scalar_one_or_none()
    sop = core.sops.get(ticket["service"])
    if svc is not None and svc.checklist is not None:
        documents = list(svc.checklist)
    else:
        documents = list(sop.documents) if sop else []
    issued = datetime.fromisoformat(ticket["issued_at"].replace("Z", "+00:00"))
    footer = core.get_setting(FOOTER_SETTING, DEFAULT_FOOTER, session=session)
    return {
        "office_name": office.name,
        "office_address": office.address,
        "service_name": ticket["service_name"],
        "number": ticket["number"],
        "priority_label": ticket.get("priority_label"),
        "issued_at_local": local(issued, core.tz).isoformat(),
        "tz_label": core.settings.tz_label,
        "waiting_ahead": int(ticket.get("waiting_ahead") or 0),
        "estimated_wait_minutes": int(ticket.get("estimated_wait_minutes") or 0),
        "standard_minutes": int(ticket.get("standard_minutes") or 0),
        "documents": documents,
        "status_url": base_url + ticket["status_url"],
        "footer": footer if isinstance(footer, str) else DEFAULT_FOOTER,
    }


def ticket_print(payload: dict) -> TicketPrint:
    """Rebuild the TicketPrint stored in a job's payload (raises on a malformed payload)."""
    data = dict(payload)
    data["issued_at_local"] = datetime.fromisoformat(data["issued_at_local"])
    return TicketPrint(**data)


def enqueue(core, session, ticket: dict, printer: Printer, kind: str, base_url: str) -> PrintJob:
    job = PrintJob(
        office_id=core.office_id,
        ticket_id=ticket["id"],
        printer_name=printer.name,
        kind=kind,
        status="pending",
        attempts=0,
        last_error="",
        payload=ticket_payload(core, session, ticket, base_url),
        next_attempt_at=utcnow(),
        created_at=utcnow(),
    )
    session.add(job)
    session.flush()
    return job


# -- jobs -------------------------------------------------------------------------
def job_view(j: PrintJob, number: str | None = None) -> dict:
    return {
        "id": j.id,
        "ticket_id": j.ticket_id,
        "number": number or (j.payload or {}).get("number"),
        "printer": j.printer_name,
        "kind": j.kind,
        "status": j.status,
        "attempts": j.attempts,
        "last_error": j.last_error,
        "created_at": iso(j.created_at),
        "printed_at": iso(j.printed_at),
        "next_attempt_at": iso(j.next_attempt_at) if j.status == "pending" else None,
    }


def list_jobs(
    core, *, status: str | None = None, printer: str | None = None, ticket_id: int | None = None, limit: int = 50
) -> list[dict]:
    if status is not None and status not in JOB_STATES:
        raise Invalid(
            "Status pekerjaan cetak tidak dikenal.", detail=f"status must be one of {list(JOB_STATES)}", field="status"
        )
    q = select(PrintJob).where(PrintJob.office_id == core.office_id)
    if status:
        q = q.where(PrintJob.status == status)
    if printer:
        q = q.where(PrintJob.printer_name == printer)
    if ticket_id is not None:
        q = q.where(PrintJob.ticket_id == ticket_id)
    with core.db.read() as s:
        rows = s.execute(q.order_by(PrintJob.id.desc()).limit(max(1, min(int(limit), 500)))).scalars().all()
        return [job_view(j) for j in rows]


def reprint(core, actor: Actor, ticket_id: int, printer_name: str | None = None, base_url: str | None = None) -> dict:
    """Staff reprint a ticket: a new job (kind ``reprint``), audited with the actor.

    Printer: ``printer_name``, else the one of the ticket's last job, else
    the kiosk's, else the default.  The figures (people ahead, estimated
    wait) are today's, the issue time is the ticket's.
    """
    authorize(core, actor, "ticket.reprint")
    if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
        raise Invalid("Tiket tidak sah.", field="ticket_id")
    with core.db.write() as s:
        t = s.get(Ticket, ticket_id)
        if t is None or t.office_id != core.office_id:
            raise NotFound("Tiket tidak ditemukan.", detail=f"ticket id {ticket_id}")
        if printer_name:
            printer = s.execute(
                select(Printer).where(Printer.office_id == core.office_id, Printer.name == printer_name)
            ).scalar_one_or_none()
            if printer is None:
                raise NotFound("Printer tidak ditemukan.", detail=f"no printer {printer_name!r}")
        else:
            last = s.execute(
                select(PrintJob.printer_name).where(PrintJob.ticket_id == t.id).order_by(PrintJob.id.desc()).limit(1)
            ).scalar()
            printer = None
            if last:
                printer = s.execute(
                    select(Printer).where(Printer.office_id == core.office_id, Printer.name == last)
                ).scalar_one_or_none()
            if printer is None:
                printer = printer_for_device(core, s, t.device_id)
        if not enabled(printer):
            raise Invalid(
                "Pencetakan tiket dinonaktifkan untuk printer ini.",
                detail=f"printer {printer.name!r} has URL 'none'; set one with antrean printer add",
                code="printing_disabled",
                status=409,
            )
        view = core.tickets.view_in(s, t)
        job = enqueue(core, s, view, printer, "reprint", base_url or public_base(core))
        core.audit(
            s,
            actor,
            "ticket.reprint",
            "ticket",
            t.id,
            number=t.number,
            job=job.id,
            printer=printer.name,
            event={"ticket": t.id, "number": t.number, "job": job.id, "printer": printer.name},
        )
        out = job_view(job, t.number)
    spooler = core.extensions.get("hardware.spooler")
    if spooler is not None:
        spooler.wake(out["printer"])
    return out


def age_limit(core) -> timedelta | None:
    """The setting ``print_job_max_age_minutes`` (validated at start-up): a pending job older than this is not
    printed; None when 0 (never expire)."""
    minutes = core.settings.print_job_max_age_minutes
    return timedelta(minutes=minutes) if minutes > 0 else None
