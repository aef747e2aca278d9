"""Issuing a ticket prints it: job row in the ticket's transaction, worker, bytes on a real TCP printer."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from antrean.kernel.hookspecs import hookimpl
from antrean.kernel.models import AuditLog, Ticket
from hardware.models import PrintJob
from hardware.plugin import get_spooler
from tests.support.fake_printer import FakeNetworkPrinter, decode_escpos
from tests.support.printing import PUBLIC_URL, SERVICE, fake, issue, jobs, make_app, printed_numbers, wait_for  # noqa: F401


def token(app, make_user, username, roles):
    core = app.extensions["antrean"]
    make_user(core, username, roles)
    r = app.test_client().post("/api/v1/auth/token", json={"username": username, "password": "rahasia123"})
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def test_issued_ticket_is_printed_with_number_service_documents_and_status_qr(make_app, fake):
    app = make_app(fake.url)
    core = app.extensions["antrean"]
    ticket = issue(app.test_client(), priority="lansia")
    assert ticket["print"]["status"] == "queued" and ticket["print"]["printer"] == "default"

    data = fake.wait_for_jobs(1)[0]
    printed = decode_escpos(data)
    lines = printed.text_lines
    assert ticket["number"] in lines
    assert ticket["service_name"] in lines
    assert "Lansia" in " ".join(lines)
    assert "Kantor Kecamatan Uji" in lines and "Jl. Uji No. 1" in lines
    service = core.service(SERVICE)
    for doc in service["documents"]:
        assert doc.split()[0] in printed.text  # wrapped, but each document starts on its own line
        assert any(line.startswith("- " + doc[:20]) for line in lines)
    assert printed.qr_payloads == [f"{PUBLIC_URL}/t/{ticket['token']}"]
    assert printed.cut
    row = wait_for(lambda: [j for j in jobs(core, id=ticket["print"]["job"]) if j.status == "done"], what="job done")[0]
    assert row.ticket_id == ticket["id"] and row.kind == "ticket" and row.attempts == 1 and row.printed_at


def test_job_row_is_written_in_the_ticket_transaction(make_app, fake):
    """A plugin refusing the ticket after the job was added rolls back both."""

    class Refuse:
        @hookimpl(trylast=True)
        def ticket_issuing(self, core, conn, ticket):
            assert (
                conn.execute(
                    select(func.count()).select_from(PrintJob).where(PrintJob.ticket_id == ticket["id"])
                ).scalar_one()
                == 1
            )
            raise RuntimeError("refused by test plugin")

    app = make_app(fake.url, start=False, plugins=(Refuse(),))
    core = app.extensions["antrean"]
    app.testing = False  # let the error handler answer instead of re-raising in the test client
    r = app.test_client().post("/api/v1/tickets", json={"service": SERVICE})
    assert r.status_code == 500
    with core.db.read() as s:
        assert s.execute(select(func.count()).select_from(PrintJob)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(Ticket)).scalar_one() == 0


def test_request_returns_before_printing(make_app, fake):
    """With the worker stopped the ticket is still issued and the job waits, pending."""
    app = make_app(fake.url, start=False)
    core = app.extensions["antrean"]
    ticket = issue(app.test_client())
    assert [j.status for j in jobs(core)] == ["pending"] and fake.jobs == []
    assert ticket["print"] == {
        "status": "queued",
        "printer": "default",
        "job": jobs(core)[0].id,
        "printer_state": "unknown",
    }  # not probed yet: the kiosk waits for the job
    get_spooler(core).start()
    fake.wait_for_jobs(1)
    assert printed_numbers(fake) == [ticket["number"]]


def test_printing_disabled_with_url_none(make_app):
    app = make_app("none")
    core = app.extensions["antrean"]
    ticket = issue(app.test_client())
    assert ticket["print"] == {"status": "disabled"}
    assert jobs(core) == []


def test_each_kiosk_prints_on_its_own_printer(make_app, fake, admin):
    with FakeNetworkPrinter() as lobby:
        app = make_app(fake.url)
        core = app.extensions["antrean"]
        from hardware import store

        store.save_printer(core, admin, "lobi", lobby.url, "58mm")
        store.assign_device(core, admin, "kios-lobi", "lobi")
        client = app.test_client()
        a = issue(client, device_id="kios-lobi")
        b = issue(client, device_id="kios-utama")  # unknown device: the default printer
        assert a["print"]["printer"] == "lobi" and b["print"]["printer"] == "default"
        lobby.wait_for_jobs(1)
        fake.wait_for_jobs(1)
        assert printed_numbers(lobby) == [a["number"]] and printed_numbers(fake) == [b["number"]]
        assert max(line.columns for line in decode_escpos(lobby.jobs[0]).lines) <= 32  # 58 mm paper


def test_staff_reprint_creates_a_second_job_and_an_audit_row(make_app, fake, make_user):
    app = make_app(fake.url)
    core = app.extensions["antrean"]
    client = app.test_client()
    ticket = issue(client)
    fake.wait_for_jobs(1)

    assert client.post("/api/v1/printers/reprint", json={"ticket_id": ticket["id"]}).status_code == 401
    camat = token(app, make_user, "camat1", ["camat"])
    assert client.post("/api/v1/printers/reprint", json={"ticket_id": ticket["id"]}, headers=camat).status_code == 403
    sari = token(app, make_user, "sari", ["petugas_pelayanan"])
    r = client.post("/api/v1/printers/reprint", json={"ticket_id": ticket["id"]}, headers=sari)
    assert r.status_code == 201, r.get_json()
    job = r.get_json()["job"]
    assert job["kind"] == "reprint" and job["printer"] == "default" and job["number"] == ticket["number"]

    fake.wait_for_jobs(2)
    assert printed_numbers(fake) == [ticket["number"], ticket["number"]]
    assert [j.kind for j in jobs(core, ticket_id=ticket["id"])] == ["ticket", "reprint"]
    with core.db.read() as s:
        audit = s.execute(select(AuditLog).where(AuditLog.action == "ticket.reprint")).scalars().all()
    assert [(a.actor, a.target_id, a.detail["job"]) for a in audit] == [("sari", str(ticket["id"]), job["id"])]

    r = client.post("/api/v1/printers/reprint", json={"ticket_id": 999999}, headers=sari)
    assert r.status_code == 404


def test_printer_endpoints_are_staff_only_and_show_state(make_app, fake, make_user):
    app = make_app(fake.url)
    client = app.test_client()
    assert client.get("/api/v1/printers").status_code == 401
    assert client.get("/api/v1/printers/jobs").status_code == 401
    ticket = issue(client)
    fake.wait_for_jobs(1)
    staff = token(app, make_user, "sari", ["petugas_pelayanan"])
    wait_for(lambda: client.get("/api/v1/printers/jobs?status=done", headers=staff).get_json()["jobs"], what="done")
    body = client.get("/api/v1/printers", headers=staff).get_json()
    default = {p["name"]: p for p in body["printers"]}["default"]
    assert default["state"] == "online" and default["url"] == fake.url and default["jobs"]["pending"] == 0
    done = client.get(f"/api/v1/printers/jobs?ticket_id={ticket['id']}", headers=staff).get_json()["jobs"]
    assert [(j["number"], j["status"]) for j in done] == [(ticket["number"], "done")]
    assert client.get("/api/v1/printers/jobs?status=bogus", headers=staff).status_code == 422
    # adding printers is for admins only
    r = client.post("/api/v1/printers", json={"name": "x", "url": "tcp://127.0.0.1:9"}, headers=staff)
    assert r.status_code == 403
    boss = token(app, make_user, "boss", ["admin"])
    r = client.post("/api/v1/printers", json={"name": "x", "url": "ftp://nope"}, headers=boss)
    assert r.status_code == 422 and "unknown scheme" in r.get_json()["detail"]


# -- CLI ----------------------------------------------------------------------------
@pytest.fixture
def cli(instance, monkeypatch):
    from antrean.cli import main

    for key in [k for k in __import__("os").environ if k.startswith("ANTREAN_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("ANTREAN_INSTANCE_PATH", str(instance))
    runner = CliRunner()

    def run(*args, env=None):
        return runner.invoke(main, list(args), env=env or {}, catch_exceptions=False)

    return run


def test_cli_add_assign_status_and_test_page(cli, fake):
    r = cli("printer", "add", "lobi", fake.url, "--profile", "58mm")
    assert r.exit_code == 0, r.output
    r = cli("printer", "assign", "kios-1", "lobi")
    assert r.exit_code == 0 and "kios-1 now prints on lobi" in r.output
    r = cli("printer", "status")
    assert r.exit_code == 0, r.output
    assert "lobi" in r.output and "online" in r.output and "kiosk kios-1 -> lobi" in r.output
    assert "default" in r.output and "disabled" in r.output  # ANTREAN_PRINTER_URL unset: none

    r = cli("printer", "test", "lobi")
    assert r.exit_code == 0, r.output
    page = decode_escpos(fake.wait_for_jobs(1)[-1])
    assert "TES PRINTER ANTREAN" in page.text_lines and "lobi" in page.text_lines and page.cut
    assert max(line.columns for line in page.lines) <= 32


def test_cli_errors_are_clear_and_exit_1(cli, fake):
    fake.set_mode("refuse")
    assert cli("printer", "add", "mati", fake.url).exit_code == 0
    r = cli("printer", "test", "mati")
    assert r.exit_code == 1 and "failed: offline" in r.output and "switched on" in r.output
    r = cli("printer", "test", "tidak-ada")
    assert r.exit_code == 1 and "no printer named 'tidak-ada'" in r.output
    r = cli("printer", "test")
    assert r.exit_code == 1 and "URL 'none'" in r.output
    r = cli("printer", "add", "x", "tcp://")
    assert r.exit_code == 1 and "missing host" in r.output
    r = cli("printer", "assign", "kios-1", "tidak-ada")
    assert r.exit_code == 1 and "Printer not found" in r.output


def test_default_printer_follows_settings(cli, fake):
    r = cli("printer", "status", "--no-probe", env={"ANTREAN_PRINTER_URL": fake.url, "ANTREAN_PRINTER_PROFILE": "58mm"})
    assert r.exit_code == 0 and fake.url in r.output and "58mm" in r.output
    # the setting removed: the default printer is what it was before the setting (here: none, the default width)
    r = cli("printer", "status", "--no-probe")
    assert fake.url not in r.output and "disabled   80mm  none" in r.output
    # an admin's own default printer is what comes back after a setting overrode it for a while
    assert cli("printer", "add", "default", fake.url).exit_code == 0
    r = cli("printer", "status", "--no-probe", env={"ANTREAN_PRINTER_URL": "tcp://192.0.2.7:9100"})
    assert "tcp://192.0.2.7:9100" in r.output
    r = cli("printer", "status", "--no-probe")
    assert fake.url in r.output and "192.0.2.7" not in r.output


def test_register_printer_drivers_hook_adds_a_scheme(make_app):
    from hardware._escpos import Dummy

    made = []

    class Drivers:
        @hookimpl
        def register_printer_drivers(self):
            def factory(spec, profile):  # the two-argument form of the hook spec
                made.append(spec.url)
                return Dummy()

            return {"memori": factory}

    app = make_app("memori://", plugins=(Drivers(),))
    core = app.extensions["antrean"]
    assert "memori" in core.extensions["hardware"].drivers
    issue(app.test_client())
    wait_for(lambda: [j for j in jobs(core) if j.status == "done"], what="job printed via plugin driver")
    assert made == ["memori://"]


def test_issue_does_not_wait_for_a_hanging_printer(make_app, fake):
    """The HTTP answer never waits for the printer: when it returns, no attempt has timed out yet."""
    fake.set_mode("hang")
    app = make_app(fake.url)
    core = app.extensions["antrean"]
    ticket = issue(app.test_client())
    assert ticket["print"]["status"] == "queued"
    row = jobs(core)[0]
    assert row.status in ("pending", "printing") and row.last_error == ""
    # and the worker does reach the printer and time out on its own
    wait_for(lambda: "timeout" in jobs(core)[0].last_error, what="the worker's attempt to time out")


def test_a_retried_tap_gets_the_same_print_status_and_prints_once(make_app, fake):
    app = make_app(fake.url)
    core = app.extensions["antrean"]
    client = app.test_client()
    first = client.post("/api/v1/tickets", json={"service": SERVICE, "idempotency_key": "kiosk-1:tap-777"})
    again = client.post("/api/v1/tickets", json={"service": SERVICE, "idempotency_key": "kiosk-1:tap-777"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["number"] == first.json["number"]
    assert again.json["print"]["job"] == first.json["print"]["job"]
    assert again.json["print"]["printer"] == "default" and again.json["print"]["status"] in (
        "queued",
        "printing",
        "done",
    )
    fake.wait_for_jobs(1)
    assert len(jobs(core)) == 1


def test_a_retried_tap_with_printing_disabled_says_so(make_app):
    client = make_app("none").test_client()
    body = {"service": SERVICE, "idempotency_key": "kiosk-1:tap-778"}
    client.post("/api/v1/tickets", json=body)
    assert client.post("/api/v1/tickets", json=body).json["print"] == {"status": "disabled"}
