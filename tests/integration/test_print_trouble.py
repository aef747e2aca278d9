"""Print failures are visible and recoverable by the front desk (issue 8 §4).

Every clerk sees a printer warning on every console page; ``uncertain`` and ``failed`` ticket jobs are
listed with a reprint button (audited); the kiosk reads a ticket's print status by its token.
"""

from __future__ import annotations

from sqlalchemy import select, update

from antrean.kernel.models import AuditLog
from hardware.models import Printer, PrintJob
from tests.integration.test_console import login
from tests.support.printing import fake, issue, jobs, make_app  # noqa: F401


def _trouble(core, ticket_states: dict, printer_state: str | None = None):
    with core.db.write() as s:
        for job_id, status in ticket_states.items():
            s.execute(update(PrintJob).where(PrintJob.id == job_id).values(status=status, last_error="timeout: test"))
        if printer_state:
            s.execute(update(Printer).values(state=printer_state, detail="test"))


def test_every_clerk_sees_the_printer_warning_and_the_front_desk_reprints(make_app, fake, make_user):
    app = make_app(fake.url, start=False)
    core = app.extensions["antrean"]
    make_user(core, "loket", ["petugas_pelayanan"], "Budi Loket")
    make_user(core, "verif", ["petugas_verifikasi"], "Rina Verifikasi")
    a, b, ok = issue(app), issue(app), issue(app)
    _trouble(
        core,
        {a["print"]["job"]: "uncertain", b["print"]["job"]: "failed", ok["print"]["job"]: "done"},
        printer_state="paper_out",
    )

    verifier = app.test_client()
    login(verifier, "verif")
    for url in ("/console/", "/console/kerja"):  # not only on the admin page, and not only for the front desk
        page = verifier.get(url).text
        assert 'data-testid="print-alert"' in page, url
        assert "kertas habis" in page and a["number"] in page and b["number"] in page and ok["number"] not in page
    listing = verifier.get("/console/cetak").text
    assert a["number"] in listing and "tidak pasti" in listing and "gagal" in listing
    assert "data-reprint" not in listing  # a verifier may not reprint

    clerk = app.test_client()
    token = login(clerk, "loket")
    listing = clerk.get("/console/cetak").text
    assert f'data-reprint="{a["id"]}"' in listing
    r = clerk.post("/api/v1/printers/reprint", json={"ticket_id": a["id"]}, headers={"X-CSRFToken": token})
    assert r.status_code == 201, r.get_json()
    with core.db.read() as s:
        audit = s.execute(select(AuditLog).where(AuditLog.action == "ticket.reprint")).scalars().all()
    assert [(x.actor, x.target_id) for x in audit] == [("loket", str(a["id"]))]
    listing = clerk.get("/console/cetak").text  # the reprinted ticket leaves the list; the other stays
    assert f'data-reprint="{a["id"]}"' not in listing and f'data-reprint="{b["id"]}"' in listing

    _trouble(core, {b["print"]["job"]: "done"}, printer_state="online")
    assert 'data-testid="print-alert"' not in clerk.get("/console/").text


def test_kiosk_reads_the_print_status_of_its_ticket_by_token(make_app, fake):
    app = make_app(fake.url, start=False)
    core = app.extensions["antrean"]
    client = app.test_client()
    t = issue(client)
    assert t["print"]["printer_state"] == "unknown"  # no probe yet
    r = client.get(f"/api/v1/tickets/{t['token']}/print")
    assert r.status_code == 200 and r.get_json() == {
        "status": "queued",
        "printer": "default",
        "job": t["print"]["job"],
        "printer_state": "unknown",
    }
    _trouble(core, {}, printer_state="offline")
    assert issue(client)["print"]["printer_state"] == "offline"  # the kiosk notes the number at once
    assert client.get(f"/api/v1/tickets/{t['token']}/print").get_json()["printer_state"] == "offline"
    assert client.get("/api/v1/tickets/xxxxxxxxxxxxxxxx/print").status_code == 404
    assert [j.status for j in jobs(core)] == ["pending", "pending"]


def test_print_trouble_reaches_every_console_live(make_app, fake, make_user):
    """A job turning uncertain/failed (spooler) and a reprint (a clerk) each publish an event (print.job_failed,
    print.reprinted: no personal data) that the console pushes to every clerk's screen, whose banner and
    /console/cetak list ([data-live]) re-read at once instead of on the next page load."""
    from hardware.plugin import get_spooler
    from hardware.spooler import PrinterWorker

    app = make_app(fake.url, start=False)
    core = app.extensions["antrean"]
    make_user(core, "loket", ["petugas_pelayanan"], "Budi Loket")
    make_user(core, "verif", ["petugas_verifikasi"], "Rina Verifikasi")
    socketio = app.extensions["antrean.socketio"]
    other = app.test_client()
    login(other, "verif")
    page = other.get("/console/cetak").text
    assert 'data-live="/console/cetak?fragment=jobs"' in page  # the list itself refreshes on a push
    screen = socketio.test_client(app, namespace="/console", flask_test_client=other)
    screen.get_received("/console")
    a = issue(app)
    screen.get_received("/console")

    worker = PrinterWorker(get_spooler(core), "default")
    worker._finish(a["print"]["job"], "uncertain", "timeout after the bytes were sent (test)")
    pushed = [m["args"][0] for m in screen.get_received("/console") if m["name"] == "update"]
    assert pushed == [
        {
            "event": "print.job_failed",
            "job": a["print"]["job"],
            "status": "uncertain",
            "ticket": a["id"],
            "number": a["number"],
            "printer": "default",
        }
    ]
    assert a["number"] in other.get("/console/cetak?fragment=jobs").text

    clerk = app.test_client()
    token = login(clerk, "loket")
    r = clerk.post("/api/v1/printers/reprint", json={"ticket_id": a["id"]}, headers={"X-CSRFToken": token})
    assert r.status_code == 201, r.get_json()
    pushed = [m["args"][0] for m in screen.get_received("/console") if m["name"] == "update"]
    assert pushed == [
        {
            "event": "print.reprinted",
            "ticket": a["id"],
            "number": a["number"],
            "job": r.get_json()["job"]["id"],
            "printer": "default",
        }
    ]
    assert a["number"] not in other.get("/console/cetak?fragment=jobs").text  # reprinted: off the list
