"""Applications (permohonan): an SOP instance carried step by step, role by role.

``complete_step`` checks the actor's role against the step (after the office's
role mapping), writes a StepLog row with minutes against the standard, and
moves on; TMS returns the file to the applicant and closes it; the register
step assigns an agenda number; a step where the applicant must be present
calls the ticket again.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from antrean.kernel import policy
from antrean.kernel.actors import Actor
from antrean.kernel.errors import Conflict, Invalid, NotFound
from antrean.kernel.models import AgendaCounter, Application, Counter, Service, StepLog, Ticket, User
from antrean.kernel.sop import ROLES, STAFF_ROLES, Sop
from antrean.kernel.timeutil import ROMAN, iso, local, office_day, utcnow

if TYPE_CHECKING:  # type-only: the core composes the services; they never import it at run time
    from antrean.core import Antrean

NIK = re.compile(r"^\d{16}$")
PHONE = re.compile(r"^\+?\d{8,15}$")


def validate_nik(nik: str) -> str:
    """16 digits: region (6), birth date DDMMYY with DD+40 for women, serial (4)."""
    nik = (nik or "").strip().replace(" ", "")
    if not NIK.match(nik):
        raise Invalid("NIK harus 16 angka.", field="nik")
    dd, mm = int(nik[6:8]), int(nik[8:10])
    if dd > 40:
        dd -= 40
    if not (1 <= dd <= 31 and 1 <= mm <= 12) or nik[:6] == "000000" or nik[12:] == "0000":
        raise Invalid("NIK tidak sah: periksa kembali angkanya.", field="nik")
    return nik


def mask_nik(nik: str | None) -> str | None:
    return None if not nik else nik[:4] + "*" * 8 + nik[12:]


class WorkflowService:
    def __init__(self, core: Antrean) -> None:
        self.core = core

    # -- helpers ------------------------------------------------------------
    def _service_row(self, s, code: str) -> Service:
        return s.execute(
            select(Service).where(Service.office_id == self.core.office_id, Service.code == code)
        ).scalar_one()

    def _check_role(self, actor: Actor, sop: Sop, step_no: int, role_map: dict, action="application.step") -> str:
        policy.require(self.core, actor, action, (sop, step_no, role_map))
        return policy.step_role(self.core, sop, step_no, role_map)

    def _lock(self, s, application_id) -> Application:
        return self.core.lock_row(s, Application, application_id, ("Permohonan", "Application"))

    # -- opening ------------------------------------------------------------
    def open(
        self,
        actor: Actor,
        *,
        ticket_id: int | None = None,
        service_code: str | None = None,
        applicant_name: str = "",
        nik: str | None = None,
        phone: str | None = None,
        now: datetime | None = None,
    ) -> dict:
        """Open an application from a ticket (or walk-in with a service code). Step 1 is recorded."""
        core = self.core
        now = now or utcnow()
        name = (applicant_name or "").strip() if isinstance(applicant_name, str) else None
        if not name or len(name) > 120:
            raise Invalid("Nama pemohon wajib diisi (maksimal 120 karakter).", field="applicant_name")
        nik = validate_nik(nik) if nik not in (None, "") else None
        if phone not in (None, ""):
            phone = str(phone).strip().replace(" ", "").replace("-", "")
            if not PHONE.match(phone):
                raise Invalid("Nomor telepon tidak sah.", field="phone")
        else:
            phone = None
        with core.db.write() as s:
            ticket = None
            if ticket_id is not None:
                if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
                    raise Invalid("Nomor tiket tidak sah.", field="ticket")
                ticket = s.get(Ticket, ticket_id)
                if ticket is None or ticket.office_id != core.office_id:
                    raise NotFound("Tiket tidak ditemukan.")
                if s.execute(select(Application.id).where(Application.ticket_id == ticket.id)).scalar():
                    raise Conflict("Tiket ini sudah memiliki permohonan.")
                service_code = ticket.service_code
            if service_code is None or service_code not in core.sops:
                raise Invalid("Layanan tidak dikenal.", field="service")
            sop = core.sops[service_code]
            row = self._service_row(s, service_code)
            role = self._check_role(actor, sop, 1, row.role_map, "application.open")
            app = Application(
                office_id=core.office_id,
                ticket_id=ticket.id if ticket else None,
                service_code=service_code,
                applicant_name=name,
                nik=nik,
                phone=phone,
                status="open",
                current_step=2,
                step_started_at=now,
                created_by=actor.id,
                created_at=now,
            )
            s.add(app)
            s.flush()
            first = sop.step(1)
            s.add(
                StepLog(
                    application_id=app.id,
                    step_no=1,
                    role=role,
                    actor_id=actor.id,
                    started_at=now,
                    ended_at=now,
                    minutes=0.0,
                    standard_minutes=first.minutes,
                    outcome="DONE",
                    note="",
                )
            )
            if ticket is not None and ticket.status == "called" and ticket.outcome is None:
                self._start_ticket(s, ticket, actor, now)  # receiving the file is the start of the service
            core.audit(
                s,
                actor,
                "application.open",
                "application",
                app.id,
                at=now,
                service=service_code,
                ticket=ticket.number if ticket else None,
                event={"application_id": app.id, "service": service_code, "ticket_id": ticket.id if ticket else None},
            )
            app_id = app.id
        return self.get(app_id, actor)

    # -- steps --------------------------------------------------------------
    def complete_step(
        self,
        application_id: int,
        step_no: int,
        actor: Actor,
        *,
        outcome: str,
        note: str | None = "",
        missing_documents: list[str] | None = None,
        counter_id: int | None = None,
        now: datetime | None = None,
    ) -> dict:
        core = self.core
        now = now or utcnow()
        if not isinstance(outcome, str) or outcome.upper() not in ("MS", "TMS", "DONE"):
            raise Invalid("Hasil langkah harus MS, TMS atau DONE.", field="outcome")
        outcome = outcome.upper()
        if note is None:
            note = ""
        if not isinstance(note, str) or len(note) > 2000:
            raise Invalid("Catatan tidak sah (maksimal 2000 karakter).", field="note")
        if isinstance(step_no, bool) or not isinstance(step_no, int):
            raise Invalid("Nomor langkah tidak sah.", field="step")
        with core.db.write() as s:
            app = self._lock(s, application_id)
            sop = core.sops[app.service_code]
            if app.status != "open":
                raise Conflict("Permohonan ini sudah ditutup.", code="closed")
            if step_no != app.current_step:
                raise Conflict(
                    "Langkah yang berjalan adalah langkah %(current_step)s, bukan %(step_no)s.",
                    params={"current_step": app.current_step, "step_no": step_no},
                    code="wrong_step",
                    current_step=app.current_step,
                )
            row = self._service_row(s, app.service_code)
            role = self._check_role(actor, sop, step_no, row.role_map)
            step = sop.step(step_no)
            if step.tms and outcome == "DONE":
                outcome = "MS"
            if not step.tms and outcome != "DONE":
                if outcome == "TMS":
                    raise Invalid("Langkah ini tidak memiliki cabang TMS.", field="outcome")
                outcome = "DONE"
            missing = None
            if outcome == "TMS":
                checklist = row.checklist if row.checklist is not None else list(sop.documents)
                missing = [m for m in (missing_documents or []) if isinstance(m, str)]
                unknown = [m for m in missing if m not in checklist]
                if unknown:
                    raise Invalid(
                        "Dokumen yang kurang harus dipilih dari daftar persyaratan.",
                        field="missing_documents",
                        detail=f"not in checklist: {unknown}",
                    )
                if not missing and not note.strip():
                    raise Invalid("Sebutkan dokumen yang kurang atau alasan TMS.", field="missing_documents")
            log = StepLog(
                application_id=app.id,
                step_no=step_no,
                role=role,
                actor_id=actor.id,
                started_at=app.step_started_at,
                ended_at=now,
                minutes=step_minutes(core.calendar.rules(s), app.step_started_at, now),
                standard_minutes=step.minutes,
                outcome=outcome,
                note=note.strip(),
                missing_documents=missing,
            )
            s.add(log)
            ticket = s.get(Ticket, app.ticket_id) if app.ticket_id else None
            log_view = self._log_view(log, {actor.id: actor.full_name or actor.username})
            app_id = app.id
            call_back = close_ticket = False
            if outcome == "TMS":
                app.status, app.closed_at, app.tms_reason, app.missing_documents = (
                    "returned",
                    now,
                    note.strip(),
                    missing,
                )
                # a back-office verifier: the applicant (today's ticket) is called back to a loket for the slip
                call_back = not step.applicant_present and ticket is not None and ticket.day == office_day(core.tz, now)
            else:
                if step.kind == "register" and app.agenda_number is None:
                    app.agenda_number = self._agenda(s, sop, now)
                if step_no == sop.last_step:
                    app.status, app.closed_at = "done", now
                    if ticket is not None and ticket.outcome is None and ticket.started_at is not None:
                        close_ticket = True  # after the audit row below: the events keep their order
                else:
                    nxt = sop.step(step_no + 1)
                    app.current_step, app.step_started_at = nxt.no, now
                    call_back = nxt.applicant_present and not step.applicant_present and ticket is not None
            public: dict[str, Any] = {"application_id": app.id, "service": app.service_code}
            core.audit(
                s,
                actor,
                "step.complete",
                "application",
                app.id,
                at=now,
                event=public
                | {
                    "step": step_no,
                    "outcome": outcome,
                    "minutes": log.minutes,
                    "standard_minutes": step.minutes,
                    "status": app.status,
                },
                # hooks get no personal data either: no name, NIK, phone or note (antrean.kernel.policy.redact)
                legacy=(
                    "step_completed",
                    lambda: {
                        "application": policy.redact(self.get(app_id)),
                        "step": step,
                        "log": policy.redact_log(log_view),
                    },
                ),
                step=step_no,
                outcome=outcome,
                agenda=app.agenda_number,
                minutes=log.minutes,
            )
            if app.status == "returned":
                core.emit(
                    s,
                    "application.returned",
                    actor=actor,
                    at=now,
                    **public,
                    step=step_no,
                    missing_documents=len(missing or []),
                )
            elif app.status == "done":
                core.emit(s, "application.closed", actor=actor, at=now, **public)
            if close_ticket and ticket is not None:
                counter = s.get(Counter, ticket.counter_id) if ticket.counter_id is not None else None
                core.queue.close_in(s, ticket, "served", actor, now, counter)
            if call_back and ticket is not None:
                self._step_call(s, app, ticket, counter_id, actor, now)
            s.flush()
        return self.get(app_id, actor)

    def _start_ticket(self, s, ticket: Ticket, actor: Actor, now) -> None:
        q = self.core.queue
        q._start(s, ticket, now)
        counter = s.get(Counter, ticket.counter_id) if ticket.counter_id is not None else None
        self.core.audit(
            s,
            actor,
            "ticket.start",
            "ticket",
            ticket.id,
            at=now,
            event=q._event_data(ticket, counter),
            number=ticket.number,
            auto=True,
        )

    def _step_call(self, s, app: Application, ticket: Ticket, counter_id, actor: Actor, now) -> dict | None:
        """Call the applicant back to a counter (e-KTP recording, collecting the result)."""
        cid = counter_id if counter_id is not None else ticket.counter_id
        counter = s.get(Counter, cid) if isinstance(cid, int) else None
        if counter is None or counter.office_id != self.core.office_id:
            return None
        return self.core.queue.call_in(s, counter, ticket, actor, "step", now)

    def _agenda(self, s, sop: Sop, now: datetime) -> str:
        """Next agenda number for the office-local year: sequential, unique under concurrency."""
        core = self.core
        t = local(now, core.tz)
        ins = (postgresql if core.db.dialect == "postgresql" else sqlite).insert(AgendaCounter)
        seq = s.execute(
            ins.values(office_id=core.office_id, year=t.year, last=1)
            .on_conflict_do_update(
                index_elements=[AgendaCounter.office_id, AgendaCounter.year],
                set_={"last": AgendaCounter.last + 1},
            )
            .returning(AgendaCounter.last)
        ).scalar_one()
        fmt = core.get_setting("agenda_format", core.settings.agenda_format, session=s)
        return format_agenda(fmt, seq=seq, code=sop.agenda_code, when=t, office=core.settings.office_code)

    # -- reading ------------------------------------------------------------
    def _log_view(self, log: StepLog, names: dict) -> dict:
        over = measured(log.standard_minutes) and log.minutes > log.standard_minutes
        return {
            "step": log.step_no,
            "role": log.role,
            "role_name": STAFF_ROLES.get(log.role, ROLES.get(log.role, log.role)),
            "actor": names.get(log.actor_id, ""),
            "started_at": iso(log.started_at),
            "ended_at": iso(log.ended_at),
            "minutes": log.minutes,
            "standard_minutes": log.standard_minutes,
            "over_standard": over,
            "measured": measured(log.standard_minutes),
            "outcome": log.outcome,
            "note": log.note,
            "missing_documents": log.missing_documents,
        }

    def get(self, application_id: int, actor: Actor | None = None) -> dict:
        """An application with its timeline. Staff pass ``actor``: an application they may not read is a
        404 (antrean.kernel.policy, ``application.read``); ``None`` is the core's own use."""
        core = self.core
        with core.db.read() as s:
            app, row = self._readable(s, application_id, actor)
            logs = (
                s.execute(select(StepLog).where(StepLog.application_id == app.id).order_by(StepLog.step_no))
                .scalars()
                .all()
            )
            ids = {log.actor_id for log in logs} | {app.created_by}
            names = {u.id: u.full_name or u.username for u in s.execute(select(User).where(User.id.in_(ids))).scalars()}
            ticket = s.get(Ticket, app.ticket_id) if app.ticket_id else None
            return self._view(
                app, core.sops[app.service_code], row, logs, names, ticket, now=utcnow(), rules=core.calendar.rules(s)
            )

    def _readable(self, s, application_id, actor: Actor | None, action: str = "application.read"):
        """(application, service row), or NotFound when it is not this office's or the actor may not read it."""
        core = self.core
        app = s.get(Application, application_id) if isinstance(application_id, int) else None
        if app is None or app.office_id != core.office_id:
            raise NotFound("Permohonan tidak ditemukan.")
        row = self._service_row(s, app.service_code)
        if actor is not None:
            policy.require(core, actor, action, {"service": app.service_code, "role_map": row.role_map or {}})
        return app, row

    def reveal_nik(self, application_id: int, actor: Actor) -> dict:
        """The full NIK, for a staff member who may read the application; written to the audit log (UU PDP)."""
        core = self.core
        with core.db.write() as s:
            app, _ = self._readable(s, application_id, actor, "application.reveal_nik")
            core.audit(s, actor, "application.reveal_nik", "application", app.id)
            return {"id": app.id, "nik": app.nik, "nik_masked": mask_nik(app.nik)}

    def _view(self, app: Application, sop: Sop, row: Service, logs, names, ticket, now, rules) -> dict:
        core = self.core
        total = sum(log.minutes for log in logs if measured(log.standard_minutes))
        step = sop.step(app.current_step) if app.status == "open" else None
        elapsed = step_minutes(rules, app.step_started_at, now) if step else None
        counted = elapsed if step is not None and measured(step.minutes) else 0
        return {
            "id": app.id,
            "service": app.service_code,
            "service_name": sop.name,
            "status": app.status,
            "ticket": ticket.number if ticket else None,
            "ticket_id": ticket.id if ticket else None,
            # the NIK is masked everywhere; the full number only through reveal_nik (audited)
            "applicant_name": app.applicant_name,
            "nik": mask_nik(app.nik),
            "nik_masked": mask_nik(app.nik),
            "phone": app.phone,
            "agenda_number": app.agenda_number,
            "tms_reason": app.tms_reason,
            "missing_documents": app.missing_documents,
            "created_at": iso(app.created_at),
            "closed_at": iso(app.closed_at),
            "current_step": step.to_dict()
            | {
                "office_role": core.effective_role(sop, step.role, row.role_map),
                "started_at": iso(app.step_started_at),
                "elapsed_minutes": elapsed,
                "sla": sla_state(elapsed, step.minutes),
            }
            if step
            else None,
            "standard_minutes": sop.standard_minutes,
            "role_map": dict(row.role_map or {}),
            "total_minutes": round(total + counted, 2),
            "total_sla": sla_state(total + counted, sop.standard_minutes),
            "steps": [
                st.to_dict() | {"office_role": core.effective_role(sop, st.role, row.role_map)} for st in sop.steps
            ],
            "timeline": [self._log_view(log, names) for log in logs],
        }

    def for_ticket(self, ticket_id: int) -> int | None:
        """The id of the application opened from this ticket, if any."""
        with self.core.db.read() as s:
            return s.execute(
                select(Application.id).where(
                    Application.ticket_id == ticket_id, Application.office_id == self.core.office_id
                )
            ).scalar()

    def _worklist_scope(self, s, actor: Actor, service: str | None):
        """(the (service, step) pairs the actor's roles may do, the SQL condition 'open, in this office, and
        readable by the actor' — policy.application_filter, the one read rule of every list)."""
        core = self.core
        maps = dict(s.execute(select(Service.code, Service.role_map).where(Service.office_id == core.office_id)).all())
        wanted = []
        for code, sop in core.sops.items():
            if code not in maps or (service and code != service):
                continue
            for st in sop.steps[1:]:
                if core.effective_role(sop, st.role, maps[code]) in actor.roles:
                    wanted.append((code, st.no))
        base = and_(
            Application.office_id == core.office_id,
            Application.status == "open",
            policy.application_filter(core, actor, s, maps),
        )
        return wanted, base

    def _worklist_query(self, s, actor: Actor, service: str | None):
        """The condition 'open, readable, and the current step is one the actor's roles may do' (None: nothing)."""
        wanted, base = self._worklist_scope(s, actor, service)
        if not wanted:
            return None
        # one expanding parameter (SQLite renders "IN (VALUES (?, ?), …)"): built and compiled once, not per pair
        return and_(base, tuple_(Application.service_code, Application.current_step).in_(wanted))

    def worklist(self, actor: Actor, limit: int = 200, *, offset: int = 0, service: str | None = None) -> list[dict]:
        """Open applications whose current step the actor's roles may do, oldest step first."""
        core = self.core
        policy.require(core, actor, "worklist.read")
        now = utcnow()
        with core.db.read() as s:
            cond = self._worklist_query(s, actor, service)
            if cond is None:
                return []
            q = (
                select(Application, Ticket.number)
                .outerjoin(Ticket, Ticket.id == Application.ticket_id)
                .where(cond)
                .order_by(Application.step_started_at, Application.id)
                .offset(max(0, offset))
                .limit(limit)
            )
            out = []
            rules = core.calendar.rules(s)
            for app, number in s.execute(q).all():
                sop = core.sops[app.service_code]
                st = sop.step(app.current_step)
                elapsed = step_minutes(rules, app.step_started_at, now)
                # the time spent in an unmeasured step (waiting for the applicant) is not the office's
                since = step_minutes(rules, app.created_at, now if measured(st.minutes) else app.step_started_at)
                out.append(
                    {
                        "id": app.id,
                        "service": app.service_code,
                        "service_name": sop.short_name,
                        "ticket": number,
                        "applicant_name": app.applicant_name,
                        "agenda_number": app.agenda_number,
                        "step": st.no,
                        "activity": st.activity,
                        "kind": st.kind,
                        "tms": st.tms,
                        "standard_minutes": st.minutes,
                        "elapsed_minutes": elapsed,
                        "sla": sla_state(elapsed, st.minutes),
                        "total_minutes": since,
                        "total_standard": sop.standard_minutes,
                        "total_sla": sla_state(since, sop.standard_minutes),
                        "step_started_at": iso(app.step_started_at),
                    }
                )
            return out

    def worklist_counts(self, actor: Actor) -> dict[str, int]:
        """How many applications wait for the actor, per service (for filters and paging)."""
        with self.core.db.read() as s:
            wanted, base = self._worklist_scope(s, actor, None)
            if not wanted:
                return {}
            # counted per (service, step) over the index in the database (the read rule included), then only
            # the actor's steps summed: ~150 groups, not a 50-way OR tested against every open file
            wanted = set(wanted)
            out: dict[str, int] = {}
            for code, step, n in s.execute(
                select(Application.service_code, Application.current_step, func.count())
                .where(base)
                .group_by(Application.service_code, Application.current_step)
            ):
                if (code, step) in wanted:
                    out[code] = out.get(code, 0) + n
            return out


def step_minutes(rules, start: datetime, end: datetime) -> float:
    """THE rule for a step's minutes against its standard (Mutu Baku), used by the step log, the timeline,
    the worklist and the reports: office time only (``antrean.services.calendar.Rules.office_minutes_between``:
    office hours, breaks, holidays, cuti bersama and closures left out), so a file that waits over a
    weekend is not three days late. ``rules`` is ``core.calendar.rules(session)``."""
    return max(0.0, rules.office_minutes_between(start, end))


def measured(standard: int | None) -> bool:
    """THE rule for 0-minute steps, used by the timeline, the worklist and the reports: a step whose
    standard is 0 minutes (the applicant's own steps: submitting, collecting the result) is not
    measured. It has no SLA colour, is never over its standard, and its minutes do not count in an
    application's total against the SOP's standard (waiting for the applicant is not the office's time)."""
    return standard is not None and standard > 0


def sla_state(minutes: float | None, standard: int) -> str | None:
    """green within the standard, amber up to 1.5x (at least +2 min), red beyond; None when not measured."""
    if minutes is None or not measured(standard):
        return None
    if minutes <= standard:
        return "green"
    if minutes <= max(standard * 1.5, standard + 2):
        return "amber"
    return "red"


def format_agenda(fmt: str, *, seq: int, code: str, when, office: str = "") -> str:
    try:
        return fmt.format(
            seq=seq, code=code, month=when.month, month_roman=ROMAN[when.month - 1], year=when.year, office=office
        )
    except (KeyError, IndexError, ValueError) as exc:
        raise Invalid(
            "Format nomor agenda tidak sah.",
            detail=f"{fmt!r}: {exc!r}; fields: seq, code, month, month_roman, year, office",
        ) from None
