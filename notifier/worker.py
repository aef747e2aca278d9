"""The notifier's two threads: one turns events into queued messages, one sends the outbox.

Sending follows the print spooler (hardware/spooler.py):

* a batch is **claimed** with one atomic UPDATE (``status='pending' → 'sending'``, a claim id, a lease),
  committed durably before anything is sent: two processes never send the same row;
* success → ``sent``; the gateway unreachable, HTTP 5xx/408/429 → ``pending`` again with exponential
  backoff (``notify_retry_min`` … ``notify_retry_max`` seconds); refused (other 4xx, SMTP 5xx) → ``failed``;
* the request went out and no answer came (a timeout after sending) → ``uncertain``: the gateway may
  have delivered it, so it is **never resent automatically** (staff may resend it from the console);
* a row left in ``sending`` past its lease (the process died mid-send) → ``uncertain`` too;
* a message older than its kind's useful life (``near``: 30 min, others 24 h) → ``failed`` (expired).

Nothing here runs in a request: issuing a ticket only appends an event to an in-memory queue.
"""

from __future__ import annotations

import logging
import queue
import threading
from datetime import datetime, timedelta

from antrean.kernel.timeutil import utcnow

from .drivers import SendError

log = logging.getLogger("antrean.services.notify")

EXPIRE = {"near": timedelta(minutes=30)}
DEFAULT_EXPIRE = timedelta(hours=24)


class Notifier:
    def __init__(
        self,
        core,
        driver,
        *,
        retry_min: float | None = None,
        retry_max: float | None = None,
        idle_poll: float | None = None,
        batch: int = 50,
        timeout: float = 10.0,
        lease_margin: float = 60.0,
    ):
        extra = core.settings.extra
        self.core, self.driver = core, driver
        self.retry_min = float(retry_min if retry_min is not None else extra.get("notify_retry_min", 5.0))
        self.retry_max = float(retry_max if retry_max is not None else extra.get("notify_retry_max", 900.0))
        self.idle_poll = float(idle_poll if idle_poll is not None else extra.get("notify_idle_poll", 2.0))
        self.batch, self.timeout, self.lease_margin = batch, timeout, lease_margin
        self.flush_every = 10  # sends recorded per bookkeeping transaction
        # queue.Queue (Condition-based) rather than SimpleQueue (C): under gevent's monkey-patching its
        # blocking get() yields to other greenlets instead of stopping the hub
        self.events: queue.Queue = queue.Queue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.started = False
        self._next_tick: datetime | None = None  # next run of the periodic jobs (booking reminders)

    # -- lifecycle ------------------------------------------------------------
    def start(self) -> None:
        if self.started:
            return
        self.started = True
        for name, target in (("notify-events", self._run_events), ("notify-sender", self._run_sender)):
            t = threading.Thread(target=target, name=name, daemon=True)
            self._threads.append(t)
            t.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self.events.put(None)
        for t in self._threads:
            t.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def submit(self, event) -> None:
        """From ``event_published`` (after commit, in the request's thread): hand over, return at once.
        Without a running worker (``start_workers`` off: tests, CLI) the event is handled here."""
        if self.started:
            self.events.put(event)
        else:
            self.handle(event)

    def handle(self, event) -> None:
        try:
            self.core.notify.on_event(event)
        except Exception:  # noqa: BLE001 - a message is a courtesy: never let it break anything
            log.exception("notify: cannot queue messages for %s", event.type)

    def _run_events(self) -> None:
        while not self._stop.is_set():
            ev = self.events.get()
            if ev is None:
                break
            self.handle(ev)
            self._wake.set()

    def tick(self, now: datetime | None = None) -> int:
        """Periodic jobs, at most once a minute: the booking reminders of the day before
        (``core.booking.remind``; each booking's reminder is deduplicated, so several processes may run it)."""
        now = now or utcnow()
        if self._next_tick is not None and now < self._next_tick:
            return 0
        self._next_tick = now + timedelta(minutes=1)
        booking = getattr(self.core, "booking", None)
        return booking.remind(now) if booking is not None else 0

    def _run_sender(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - a reminder is a courtesy: keep sending the outbox
                log.exception("notify: periodic jobs failed")
            try:
                busy = self.step()
            except Exception:  # noqa: BLE001 - e.g. the database briefly unreachable
                log.exception("notify sender: unexpected error")
                busy = False
            if not busy:
                self._wake.wait(self.idle_poll)
                self._wake.clear()

    # -- one round -----------------------------------------------------------------
    def step(self, now: datetime | None = None) -> int:
        """Recover stale claims, claim one batch of due messages, send them. Returns how many were tried."""
        now = now or utcnow()
        self._recover(now)
        claim, rows = self._claim(now)
        done: list[tuple] = []
        for row in rows:
            if self._stop.is_set() and self.started:
                done.append((row.id, "pending", "worker stopped before sending", now))
            else:
                done.append(self._send(row))
            if len(done) >= self.flush_every:
                self._finish(claim, done)
                done = []
        if done:
            self._finish(claim, done)
        return len(rows)

    def backoff(self, attempts: int) -> float:
        return min(self.retry_max, self.retry_min * (2 ** max(0, attempts - 1)))

    def _recover(self, now: datetime) -> None:
        n = self.core.notify.recover_stale(now)
        if n:
            log.warning("notify: %d message(s) left in 'sending' by a stopped worker; marked uncertain", n)

    def _claim(self, now: datetime):
        """Claim up to ``batch`` due messages for this round (never two senders): see NotifyService.claim_due."""
        return self.core.notify.claim_due(now, self.batch, self.timeout, self.lease_margin)

    def _send(self, row) -> tuple:
        """Send one claimed message; returns (id, status, error, retry_at) for :meth:`_finish`."""
        now = utcnow()
        if now - row.created_at > EXPIRE.get(row.kind, DEFAULT_EXPIRE):
            return row.id, "failed", "expired: not sent while it was still useful", None
        try:
            self.driver.send(row.address, row.body, row.dedupe_key, row.kind)
        except SendError as exc:
            if exc.sent:
                log.warning("notify: message %s uncertain: %s", row.id, exc)
                return row.id, "uncertain", str(exc), None
            if exc.permanent:
                log.warning("notify: message %s failed: %s", row.id, exc)
                return row.id, "failed", str(exc), None
            delay = self.backoff(row.attempts)
            return (
                row.id,
                "pending",
                f"attempt {row.attempts}: {exc}; next try in {delay:g} s",
                now + timedelta(seconds=delay),
            )
        except Exception as exc:  # noqa: BLE001 - a driver bug: do not retry it forever
            log.exception("notify: message %s failed in the driver", row.id)
            return row.id, "failed", f"driver error: {exc!r}", None
        return row.id, "sent", "", None

    def _finish(self, claim: str, results: list[tuple]) -> None:
        """Record a few sends in one transaction. Bookkeeping after the send: lost in a power cut, the rows
        stay 'sending' and their lease makes them 'uncertain' (never sent twice)."""
        self.core.notify.finish_sends(claim, results)
