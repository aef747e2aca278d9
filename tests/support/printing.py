"""Helpers for the spooler/printing tests: settings for a fast spooler, waiting on DB state."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

PUBLIC_URL = "http://antrean.test:5000"

# Fast retries so "printer comes back" tests finish quickly; still real backoff code.
FAST_SPOOLER = {
    "public_url": PUBLIC_URL,
    "printer_timeout": 1.5,
    "print_retry_min": 0.05,
    "print_retry_max": 0.4,
    "print_idle_poll": 0.2,
    "printer_poll_seconds": 0.3,
}


def wait_for(predicate, timeout: float = 10.0, what: str = "condition"):
    """Poll ``predicate`` (e.g. a DB query) until it returns a truthy value; AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        pause.wait(0.02)


def jobs(core, **where):
    from hardware.models import PrintJob

    with core.db.read() as s:
        q = select(PrintJob).order_by(PrintJob.id)
        for key, value in where.items():
            q = q.where(getattr(PrintJob, key) == value)
        rows = s.execute(q).scalars().all()
        for r in rows:
            s.expunge(r)
        return rows


def job(core, job_id: int):
    from hardware.models import PrintJob

    with core.db.read() as s:
        row = s.get(PrintJob, job_id)
        s.expunge(row)
        return row


def printer_row(core, name: str = "default"):
    from hardware.models import Printer

    with core.db.read() as s:
        row = s.execute(select(Printer).where(Printer.name == name)).scalar_one()
        s.expunge(row)
        return row


def printed_numbers(fake) -> list[str]:
    """The queue number of each job the fake printer received (the biggest-font line)."""
    from tests.support.fake_printer import decode_escpos

    out = []
    for data in fake.jobs:
        ticket = decode_escpos(data)
        i = ticket.text_lines.index("Nomor Antrean")
        out.append(ticket.text_lines[i + 1])
    return out


# -- fixtures shared by tests/integration/test_printing.py and test_spooler.py (imported there) -----
import pytest  # noqa: E402

SERVICE = "ektp"


@pytest.fixture
def fake():
    """A fake network printer on 127.0.0.1 (see tests/support/fake_printer.py)."""
    from tests.support.fake_printer import FakeNetworkPrinter

    with FakeNetworkPrinter() as printer:
        yield printer


@pytest.fixture
def make_app(settings_dict, migrated_sqlite):
    """make_app(printer_url, start=True, plugins=(), settings=None, **extra) -> app with a fast spooler."""
    from antrean import create_app
    from hardware.plugin import get_spooler

    apps = []

    def make(printer_url, start=True, plugins=(), settings=None, **extra):
        app = create_app(
            {**(settings or settings_dict), **FAST_SPOOLER, "printer_url": printer_url, **extra}, plugins=plugins
        )
        apps.append(app)
        if start:
            get_spooler(app.extensions["antrean"]).start()
        return app

    yield make
    for app in apps:
        app.extensions["antrean"].close()


def issue(app_or_client, **body) -> dict:
    """POST /api/v1/tickets for SERVICE; asserts 201 and returns the ticket."""
    client = app_or_client.test_client() if hasattr(app_or_client, "test_client") else app_or_client
    r = client.post("/api/v1/tickets", json={"service": SERVICE, **body})
    assert r.status_code == 201, r.get_json()
    return r.get_json()
