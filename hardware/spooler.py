"""The print spooler: one worker thread per printer, jobs from the database.

A job row is written in the ticket's transaction (:mod:`hardware.plugin`);
after commit the request wakes the printer's worker and returns.  The worker
prints the oldest pending job of its printer (open, print, close per job)
and never prints inside an HTTP request.

Claiming.  A worker takes a job with one conditional statement::

    UPDATE print_job SET status='printing', attempts=attempts+1, next_attempt_at=<lease>
    WHERE id=:id AND status='pending'

and prints it only if that changed one row, so two workers - in one process
or in several processes on one database - never print the same job
(PostgreSQL re-checks the WHERE after the row lock, SQLite serialises
writers).  Several processes may each run workers: a job still prints once,
but two processes may try to reach one printer at the same time; the loser
gets a refused/late connection and retries.  Jobs written by another process
are picked up within ``idle_poll`` seconds (a wakeup only reaches workers of
the same process).

Outcomes of one attempt (see docs/hardware.md, "Failure modes"):

* ``print_job`` returned → ``done``, printer ``online``;
* :class:`PrinterError` with ``sent=False`` (no job byte reached the
  transport: refused, unreachable, paper out before sending) → back to
  ``pending`` with exponential backoff (``retry_min`` doubling up to
  ``retry_max``), printer state offline / error / paper_out;
* :class:`PrinterError` with ``sent=True``, whatever its kind (a job byte may
  have reached the printer: the connection dropped, or the printer stalled
  with the job in its buffer and timed out) → ``uncertain``: never sent again
  automatically, shown to the front desk, who reprint if no ticket came out.
  A stalled printer prints its buffer when it recovers: retrying a timed-out
  job is what printed one ticket three times in the trial;
* an exception from rendering (bad payload) → ``failed``.

A worker that dies while printing (process killed) leaves its job in
``printing``; when the lease (``next_attempt_at``) has run out, any worker
marks it ``uncertain`` for the same reason.  Pending jobs older than
``print_job_max_age_minutes`` (default 5) are marked ``failed`` ("expired"):
the kiosk told that citizen to note the number long ago, and a late ticket
would come out for the next person at the kiosk.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from datetime import datetime, timedelta

from sqlalchemy import select, update

from antrean.kernel.models import Ticket
from antrean.kernel.timeutil import as_utc, utcnow
from hardware import service, store
from hardware.models import Printer, PrintJob
from hardware.printers import (
    DEFAULT_TIMEOUT,
    PrinterConfigError,
    PrinterError,
    parse_printer_url,
    print_job,
    printer_status,
)
from hardware.ticket import paper_profile, render_test_page, render_ticket

log = logging.getLogger(__name__)

_STATE_OF_KIND = {"offline": "offline", "paper_out": "paper_out", "timeout": "error", "error": "error"}


def _seconds(dt_a: datetime, dt_b: datetime) -> float:
    return (as_utc(dt_a) - as_utc(dt_b)).total_seconds()


class Spooler:
    """All printer workers of one core.  ``start()``, ``wake(name)``, ``stop()``."""

    def __init__(
        self,
        core,
        *,
        retry_min: float | None = None,
        retry_max: float | None = None,
        poll_interval: float | None = None,
        idle_poll: float | None = None,
        timeout: float | None = None,
        lease_margin: float = 60.0,
    ):
        extra = core.settings.extra
        self.core = core
        #: the core's printer drivers (built-in schemes + the plugins')
        self.drivers = service.of(core).drivers
        self.retry_min = float(retry_min if retry_min is not None else extra.get("print_retry_min", 2.0))
        self.retry_max = float(retry_max if retry_max is not None else extra.get("print_retry_max", 60.0))
        self.poll_interval = float(
            poll_interval if poll_interval is not None else extra.get("printer_poll_seconds", 30.0)
        )
        self.idle_poll = float(idle_poll if idle_poll is not None else extra.get("print_idle_poll", 2.0))
        self.timeout = float(timeout if timeout is not None else extra.get("printer_timeout", DEFAULT_TIMEOUT))
        self.lease_margin = lease_margin
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers: dict[str, PrinterWorker] = {}
        self._manager: threading.Thread | None = None
        self.started = False

    # -- lifecycle ------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self.started:
                return
            self.started = True
        self.refresh()
        self._manager = threading.Thread(target=self._manage, name="spooler-manager", daemon=True)
        self._manager.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every worker; a job in flight finishes (bounded by the printer timeout) or is left in 'printing'."""
        self._stop.set()
        with self._lock:
            workers = list(self._workers.values())
        for w in workers:
            w.event.set()
        if self._manager is not None:
            self._manager.join(timeout)
        for w in workers:
            w.thread.join(timeout)
            if w.thread.is_alive():
                log.warning("printer worker %s still busy at shutdown; its job stays 'printing'", w.name)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _manage(self) -> None:
        # Printers added from the CLI or another process get a worker without a restart.
        while not self._stop.wait(self.poll_interval):
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the manager
                log.exception("spooler: cannot refresh the printer list")

    def refresh(self) -> None:
        """Start a worker for every printer that has none."""
        if self._stop.is_set():
            return
        core = self.core
        with core.db.read() as s:
            names = s.execute(select(Printer.name).where(Printer.office_id == core.office_id)).scalars().all()
        with self._lock:
            for name in names:
                if name not in self._workers:
                    w = PrinterWorker(self, name)
                    self._workers[name] = w
                    w.thread.start()

    def wake(self, name: str) -> None:
        """A job for ``name`` was committed: let its worker look now."""
        if not self.started or self._stop.is_set():
            return
        with self._lock:
            w = self._workers.get(name)
        if w is None:
            self.refresh()
            with self._lock:
                w = self._workers.get(name)
        if w is not None:
            w.event.set()

    def workers(self) -> list[str]:
        with self._lock:
            return sorted(self._workers)

    def backoff(self, attempts: int) -> float:
        return min(self.retry_max, self.retry_min * (2 ** max(0, attempts - 1)))


class PrinterWorker:
    """One thread for one printer: prints its jobs in order, polls its status when idle."""

    def __init__(self, spooler: Spooler, name: str):
        self.spooler = spooler
        self.core = spooler.core
        self.name = name
        self.event = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"printer-{name}", daemon=True)
        self.last_check: float = float("-inf")  # monotonic time of the last status probe
        self.state: str | None = None
        self._written: tuple[str, str] | None = None  # last (state, detail) written to the printer row
        self._written_at = float("-inf")

    # -- loop -------------------------------------------------------------
    def _run(self) -> None:
        sp = self.spooler
        while not sp.stopping:
            try:
                wait = self.step(time.monotonic())
            except Exception:  # noqa: BLE001 - e.g. database briefly unreachable: retry later
                log.exception("printer worker %s: unexpected error", self.name)
                wait = sp.retry_max
            if wait > 0:
                self.event.wait(wait)
            self.event.clear()

    def step(self, mono: float) -> float:
        """Do one thing; return how long to sleep (0: look again at once)."""
        sp, core = self.spooler, self.core
        now = utcnow()
        printer = self._printer()
        if printer is None:
            return sp.poll_interval
        self._recover(now)
        head = self._head()
        poll_due = mono - self.last_check >= sp.poll_interval
        if head is None:
            if poll_due:
                self._poll(printer, mono)
            return min(sp.idle_poll, sp.poll_interval)
        limit = store.age_limit(core)
        if limit is not None and _seconds(now, head.created_at) > limit.total_seconds():
            self._finish(
                head.id,
                "failed",
                f"expired: not printed within {int(limit.total_seconds() // 60)} min "
                "(printer unavailable); reprint it if it is still needed",
            )
            return 0
        if not store.enabled(printer):
            self._finish(head.id, "failed", "printing is disabled for this printer (URL 'none')")
            return 0
        due_in = _seconds(head.next_attempt_at, now)
        if due_in > 0:
            if poll_due and self._poll(printer, mono) == "online" and self.state_before_poll not in (None, "online"):
                # the printer came back: retry now instead of waiting out the backoff
                self._reschedule(now)
                return 0
            return min(due_in, sp.idle_poll, max(0.05, sp.poll_interval - (mono - self.last_check)))
        if not self._claim(head.id, now):
            return 0  # another worker took it
        self._print(head.id, printer)
        return 0

    # -- database ---------------------------------------------------------
    def _printer(self) -> Printer | None:
        core = self.core
        with core.db.read() as s:
            p = s.execute(
                select(Printer).where(Printer.office_id == core.office_id, Printer.name == self.name)
            ).scalar_one_or_none()
            if p is not None:
                s.expunge(p)
            return p

    def _head(self) -> PrintJob | None:
        core = self.core
        with core.db.read() as s:
            j = s.execute(
                select(PrintJob)
                .where(
                    PrintJob.office_id == core.office_id,
                    PrintJob.printer_name == self.name,
                    PrintJob.status == "pending",
                )
                .order_by(PrintJob.id)
                .limit(1)
            ).scalar_one_or_none()
            if j is not None:
                s.expunge(j)
            return j

    def _recover(self, now: datetime) -> None:
        """'printing' jobs whose lease ran out: their worker died mid-job -> uncertain."""
        core = self.core
        with core.db.read() as s:
            stale = (
                s.execute(
                    select(PrintJob.id).where(
                        PrintJob.office_id == core.office_id,
                        PrintJob.printer_name == self.name,
                        PrintJob.status == "printing",
                        PrintJob.next_attempt_at < now,
                    )
                )
                .scalars()
                .all()
            )
        for job_id in stale:
            with core.db.write(durable=False) as s:
                n = s.execute(
                    update(PrintJob)
                    .where(PrintJob.id == job_id, PrintJob.status == "printing", PrintJob.next_attempt_at < now)
                    .values(
                        status="uncertain",
                        last_error="the worker stopped while printing (process ended); it may "
                        "have printed: check, and reprint if no ticket came out",
                    )
                ).rowcount
                if n:
                    self._trouble(s, job_id, "uncertain")
                    log.warning("print job %s was left in 'printing' by a stopped worker; marked uncertain", job_id)

    # Claiming stays a durable commit: were a claim lost in a power cut after the ticket printed, the
    # job would be pending again and print twice. What follows the print (done / retry / printer
    # state) is bookkeeping: lost, the job stays "printing" and its lease turns it "uncertain".
    def _claim(self, job_id: int, now: datetime) -> bool:
        lease = now + timedelta(seconds=self.spooler.timeout + self.spooler.lease_margin)
        with self.core.db.write() as s:
            n = s.execute(
                update(PrintJob)
                .where(PrintJob.id == job_id, PrintJob.status == "pending")
                .values(status="printing", attempts=PrintJob.attempts + 1, next_attempt_at=lease)
            ).rowcount
        return n == 1

    def _reschedule(self, now: datetime) -> None:
        core = self.core
        with core.db.write(durable=False) as s:
            s.execute(
                update(PrintJob)
                .where(
                    PrintJob.office_id == core.office_id,
                    PrintJob.printer_name == self.name,
                    PrintJob.status == "pending",
                    PrintJob.next_attempt_at > now,
                )
                .values(next_attempt_at=now)
            )

    def _finish(self, job_id: int, status: str, error: str = "", *, retry_at: datetime | None = None) -> None:
        values: dict = {"status": status, "last_error": error[:2000]}
        if status == "done":
            values["printed_at"] = utcnow()
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        with self.core.db.write(durable=False) as s:
            n = s.execute(
                update(PrintJob)
                .where(PrintJob.id == job_id, PrintJob.status.in_(("printing", "pending")))
                .values(**values)
            ).rowcount
            if n and status in ("uncertain", "failed"):
                self._trouble(s, job_id, status)

    def _trouble(self, s, job_id: int, status: str) -> None:
        """A job turned uncertain/failed: announce it (after commit) so every console's print-trouble banner and
        list refresh at once. Public data only: the job, its ticket's id and number, the printer."""
        ticket_id, number = s.execute(
            select(PrintJob.ticket_id, Ticket.number)
            .outerjoin(Ticket, Ticket.id == PrintJob.ticket_id)
            .where(PrintJob.id == job_id)
        ).one()
        self.core.emit(
            s, "print.job_failed", job=job_id, status=status, ticket=ticket_id, number=number, printer=self.name
        )

    def _set_state(self, state: str, detail: str) -> None:
        core = self.core
        mono = time.monotonic()
        if (state, detail) == self._written and mono - self._written_at < self.spooler.poll_interval:
            return  # unchanged and recently written: spare the database a write per job
        self._written, self._written_at = (state, detail), mono
        with core.db.write(durable=False) as s:
            s.execute(
                update(Printer)
                .where(Printer.office_id == core.office_id, Printer.name == self.name)
                .values(state=state, detail=detail[:2000], checked_at=utcnow())
            )
            if state != self.state:
                core.emit(
                    s, "printer.state_changed", printer=self.name, state=state, previous=self.state, detail=detail[:200]
                )
        if state != self.state:
            (log.info if state == "online" else log.warning)("printer %s: %s %s", self.name, state, detail)
        self.state = state

    # -- printer ----------------------------------------------------------
    state_before_poll: str | None = None

    def _poll(self, printer: Printer, mono: float) -> str | None:
        """Cheap status probe for network printers (others have no live status)."""
        self.last_check = mono
        self.state_before_poll = self.state if self.state is not None else printer.state
        try:
            scheme = parse_printer_url(printer.url, self.spooler.drivers).scheme
        except PrinterConfigError as exc:
            self._set_state("error", str(exc))
            return "error"
        if scheme != "tcp":
            return None
        result = printer_status(printer.url, timeout=min(2.0, self.spooler.timeout), drivers=self.spooler.drivers)
        self.last_check = time.monotonic()
        self._set_state(result["state"], result["detail"])
        return result["state"]

    def _print(self, job_id: int, printer: Printer) -> None:
        sp, core = self.spooler, self.core
        with core.db.read() as s:
            job = s.get(PrintJob, job_id)
            kind, payload, attempts = job.kind, dict(job.payload or {}), job.attempts
        try:
            profile = paper_profile(printer.profile)
            if kind == "test":

                def render(p):
                    render_test_page(p, profile, printer.name)
            else:
                ticket = store.ticket_print(payload)

                def render(p):
                    render_ticket(p, ticket, profile)
        except Exception as exc:  # noqa: BLE001 - a bad payload can never print: say so, move on
            self._finish(job_id, "failed", f"cannot build the ticket from the job payload: {exc!r}")
            log.error("print job %s failed: bad payload: %r", job_id, exc)
            return
        try:
            print_job(
                printer.url,
                profile,
                render,
                timeout=sp.timeout,
                files=core.settings.printer_file_list,
                drivers=sp.drivers,
            )
        except PrinterConfigError as exc:
            self._set_state("error", str(exc))
            self._retry(job_id, attempts, str(exc))
        except PrinterError as exc:
            self._set_state(_STATE_OF_KIND[exc.kind], exc.message)
            if exc.sent:  # bytes may be in the printer's buffer: sending again could print it twice
                self._finish(
                    job_id,
                    "uncertain",
                    f"{exc} (the job reached the printer and may have printed, "
                    "or may print when the printer recovers: check, and reprint "
                    "if no ticket came out)",
                )
            else:
                self._retry(job_id, attempts, str(exc))
        except Exception as exc:  # noqa: BLE001 - a rendering bug: never retry it forever
            self._finish(job_id, "failed", "".join(traceback.format_exception_only(exc)).strip())
            log.exception("print job %s failed while rendering", job_id)
        else:
            self._finish(job_id, "done")
            self._set_state("online", "last job printed")
        self.last_check = time.monotonic()

    def _retry(self, job_id: int, attempts: int, error: str) -> None:
        delay = self.spooler.backoff(attempts)
        self._finish(
            job_id,
            "pending",
            f"attempt {attempts}: {error}; next try in {delay:g} s",
            retry_at=utcnow() + timedelta(seconds=delay),
        )
