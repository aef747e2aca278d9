"""The kiosk face over the Flask test client: page, state, PIN, status page, QR."""

from __future__ import annotations

import re

import pytest

from kiosk.icons import ICONS
from kiosk.views import PIN_MAX_FAILURES, PUBLIC_FIELDS

NIK = "3201234507890001"


@pytest.fixture
def core(app):
    return app.extensions["antrean"]


def bearer(client, core, make_user, name, roles):
    make_user(core, name, roles)
    r = client.post("/api/v1/auth/token", json={"username": name, "password": "rahasia123"})
    return {"Authorization": "Bearer " + r.json["token"]}


def test_kiosk_page_serves_everything_itself(client, core):
    r = client.get("/kiosk")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Sentuh layanan yang Anda perlukan" in html and "Kantor Kecamatan Uji" in html
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    # no asset from anywhere but this server (the SVG namespace is not a fetch)
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/") or u.startswith("#") or u == "data:," for u in urls), urls
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    for path in ("/kiosk/static/kiosk.js", "/kiosk/static/kiosk.css", "/static/base.css"):
        assert client.get(path).status_code == 200, path
    # every SOP's icon is drawn and in the page's sprite
    for sop in core.sops.values():
        assert sop.icon in ICONS, sop.icon
        assert f'id="i-{sop.icon}"' in html


def test_state_lists_enabled_services_and_closed_reasons(client, core, admin):
    core.update_service("skck", admin, enabled=False)
    core.update_service("kk", admin, open_time="00:00", close_time="00:00")  # never open
    core.update_service("oss", admin, daily_quota=1)
    core.tickets.issue("oss")
    state = client.get("/kiosk/state.json").json
    services = {s["code"]: s for g in state["groups"] for s in g["services"]}
    assert "skck" not in services
    assert [g["name"] for g in state["groups"]] == ["Kependudukan", "Surat Keterangan", "Perizinan", "Pengaduan"]
    assert services["kk"]["open"] is False and services["kk"]["reason"] == "service_closed"
    assert services["kk"]["closed_label"] == "Buka 00:00–00:00 WIB"
    assert services["oss"]["open"] is False and services["oss"]["reason"] == "quota_reached"
    assert services["oss"]["closed_label"] == "Kuota hari ini sudah habis"
    assert services["ktp"]["open"] is True and services["ktp"]["documents"]
    # the API agrees: the closed service refuses with the same reason
    r = client.post("/api/v1/tickets", json={"service": "kk"})
    assert r.status_code == 409 and r.json["error"] == "service_closed"


def test_availability_matches_issue(core, admin):
    core.update_service("ktp", admin, daily_quota=2)
    assert core.tickets.availability()["ktp"]["open"] is True
    core.tickets.issue("ktp")
    assert core.tickets.availability()["ktp"] | {"issued_today": 1} == core.tickets.availability()["ktp"]
    core.tickets.issue("ktp")
    state = core.tickets.availability()["ktp"]
    assert state["open"] is False and state["reason"] == "quota_reached" and state["issued_today"] == 2


def test_issue_passes_device_id_and_is_idempotent(client, core):
    body = {"service": "ktp", "idempotency_key": "kiosk:abcdef0123456789", "device_id": "kiosk-2"}
    first = client.post("/api/v1/tickets", json=body)
    again = client.post("/api/v1/tickets", json=body)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json["number"] == again.json["number"] == "B001"
    assert core.tickets.get(first.json["id"])["device_id"] == "kiosk-2"
    assert core.tickets.waiting_counts() == {"ktp": 1}


def test_pin_not_configured_then_set_by_admin_only(client, core, make_user):
    r = client.post("/kiosk/pin", json={"pin": "2468"})
    assert r.status_code == 409 and "belum diatur" in r.json["message"]
    assert client.put("/kiosk/pin", json={"pin": "2468"}).status_code == 401
    clerk = bearer(client, core, make_user, "loket", ["petugas_pelayanan"])
    assert client.put("/kiosk/pin", json={"pin": "2468"}, headers=clerk).status_code == 403
    boss = bearer(client, core, make_user, "boss", ["admin"])
    bad = client.put("/kiosk/pin", json={"pin": "12ab"}, headers=boss)
    assert bad.status_code == 422 and "4–12 angka" in bad.json["message"]
    assert client.put("/kiosk/pin", json={"pin": "2468"}, headers=boss).status_code == 200
    stored = core.get_setting("kiosk_pin")
    assert stored and "2468" not in stored  # hashed
    assert client.post("/kiosk/pin", json={"pin": "2468"}).json == {"ok": True}
    wrong = client.post("/kiosk/pin", json={"pin": "1111"})
    assert wrong.status_code == 403 and wrong.json["message"] == "PIN salah."
    assert client.get("/kiosk/state.json").json["pin_configured"] is True
    assert client.put("/kiosk/pin", json={"pin": None}, headers=boss).status_code == 200
    assert client.post("/kiosk/pin", json={"pin": "2468"}).status_code == 409


def test_pin_locks_after_repeated_failures(client, core, admin):
    from kiosk.views import set_kiosk_pin

    set_kiosk_pin(core, admin, "2468")
    for _ in range(PIN_MAX_FAILURES):
        assert client.post("/kiosk/pin", json={"pin": "0000"}).status_code == 403
    locked = client.post("/kiosk/pin", json={"pin": "2468"})  # even the right PIN waits now
    assert locked.status_code == 429 and locked.json["retry_after"] > 0


def test_status_page_public_and_without_personal_data(client, core, make_user, admin):
    clerk = make_user(core, "loket", ["petugas_pelayanan"])
    counter = core.queue.save_counter(admin, name="Loket 3", number=3, services=list(core.sops))
    first, _ = core.tickets.issue("ktp", device_id="kiosk-1")
    mine, _ = core.tickets.issue("ktp", device_id="kiosk-1")
    page = client.get(mine["status_url"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "B002" in html and "Rekomendasi Kartu Tanda Penduduk (KTP)" in html
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    data = client.get(mine["status_url"] + ".json").json
    assert set(data) == set(PUBLIC_FIELDS)
    assert data["waiting_ahead"] == 1 and data["status"] == "waiting" and data["now_calling"] is None
    # the first ticket's applicant is registered and called: nothing of them shows on either status page
    call = core.queue.call_next(counter["id"], clerk)
    core.workflow.open(clerk, ticket_id=first["id"], applicant_name="Siti Aminah", nik=NIK, phone="081234567890")
    for url in (first["status_url"], mine["status_url"]):
        for body in (client.get(url).get_data(as_text=True), client.get(url + ".json").get_data(as_text=True)):
            for secret in ("Siti", "Aminah", NIK, "3201", "081234567890", "kiosk-1", "device_id"):
                assert secret not in body, (url, secret)
    mine_now = client.get(mine["status_url"] + ".json").json
    assert mine_now["now_calling"] == {"number": call["number"], "counter_name": "Loket 3", "counter_number": 3}
    assert mine_now["waiting_ahead"] == 0
    theirs = client.get(first["status_url"] + ".json").json
    assert theirs["status"] == "serving" and theirs["counter"] == {"name": "Loket 3", "number": 3}


def test_a_finished_ticket_is_never_now_calling_itself(client, core, make_user, admin):
    """Trial: after service the status page said "Sedang dipanggil: B001" about the holder's own finished ticket."""
    clerk = make_user(core, "loket", ["petugas_pelayanan"])
    counter = core.queue.save_counter(admin, name="Loket 2", number=2, services=list(core.sops))
    mine, _ = core.tickets.issue("ktp")
    other, _ = core.tickets.issue("ktp")
    core.queue.call_next(counter["id"], clerk)
    assert client.get(other["status_url"] + ".json").json["now_calling"]["number"] == mine["number"]  # others see it
    for step in (core.queue.start, core.queue.finish):
        step(counter["id"], clerk)
        data = client.get(mine["status_url"] + ".json").json
        assert data["now_calling"] is None, data["status"]
    assert data["status"] not in ("waiting", "held", "called")


def test_tms_by_the_back_office_calls_the_applicant_back_and_the_status_page_says_why(client, core, make_user, admin):
    clerk = make_user(core, "loket", ["petugas_pelayanan"])
    verifier = make_user(core, "verif", ["petugas_verifikasi"])
    core.queue.save_counter(admin, name="Loket 1", number=1, services=list(core.sops))
    loket2 = core.queue.save_counter(admin, name="Loket 2", number=2, services=list(core.sops))
    ticket, _ = core.tickets.issue("kk")
    core.queue.call_next(loket2["id"], clerk)
    app = core.workflow.open(clerk, ticket_id=ticket["id"], applicant_name="Joko Susilo", nik=NIK)
    core.workflow.complete_step(app["id"], 2, clerk, outcome="DONE")
    assert client.get(ticket["status_url"] + ".json").json["returned"] is None
    missing = core.service("kk")["documents"][:2]
    core.workflow.complete_step(app["id"], 3, verifier, outcome="TMS", missing_documents=missing, note="Fotokopi buram")
    data = client.get(ticket["status_url"] + ".json").json
    assert data["returned"] == {"missing_documents": missing}
    # the verifier works in the back office: the applicant is called back to the loket that served them
    assert data["status"] == "called" and data["counter"] == {"name": "Loket 2", "number": 2}
    last = core.queue.snapshot()["calls"][0]
    assert (last["kind"], last["number"], last["counter"]["name"]) == ("step", ticket["number"], "Loket 2")
    page = client.get(ticket["status_url"]).get_data(as_text=True)
    assert "dikembalikan" in page and all(d.replace("&", "&amp;") in page for d in missing)
    assert "Fotokopi buram" not in page and "Fotokopi buram" not in str(data)  # the staff's note stays inside


def test_status_json_etag(client, core, admin, make_user):
    t, _ = core.tickets.issue("kk")
    r = client.get(t["status_url"] + ".json")
    etag = r.headers["ETag"]
    assert client.get(t["status_url"] + ".json", headers={"If-None-Match": etag}).status_code == 304
    core.tickets.issue("kk", priority="lansia")  # a priority ticket goes ahead: the data changes
    r2 = client.get(t["status_url"] + ".json", headers={"If-None-Match": etag})
    assert r2.status_code == 200 and r2.json["waiting_ahead"] == 1 and r2.headers["ETag"] != etag


def test_status_unknown_token_is_a_clear_404(client):
    r = client.get("/t/AAAAAAAAAAAAAAAAAAAAAA")
    assert r.status_code == 404 and "Tiket tidak ditemukan." in r.get_data(as_text=True)
    assert client.get("/t/AAAAAAAAAAAAAAAAAAAAAA.json").status_code == 404
    assert client.get("/t/AAAAAAAAAAAAAAAAAAAAAA/qr.svg").status_code == 404


def test_qr_points_at_the_status_page(client, core):
    t, _ = core.tickets.issue("ktp")
    r = client.get(t["status_url"] + "/qr.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml" and r.data.startswith(b"<svg")


def test_english(client):
    assert "Touch the service you need" in client.get("/kiosk?lang=en").get_data(as_text=True)


def test_cli_set_pin(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from antrean.cli import main

    monkeypatch.setenv("ANTREAN_INSTANCE_PATH", str(tmp_path))
    runner = CliRunner()
    bad = runner.invoke(main, ["kiosk", "set-pin", "--pin", "12"])
    assert bad.exit_code != 0 and "4–12 digits" in bad.output
    ok = runner.invoke(main, ["kiosk", "set-pin", "--pin", "97531"])
    assert ok.exit_code == 0, ok.output
    from werkzeug.security import check_password_hash

    from antrean.core import Antrean

    core = Antrean({"instance_path": str(tmp_path)})
    try:
        assert check_password_hash(core.get_setting("kiosk_pin"), "97531")
    finally:
        core.close()
