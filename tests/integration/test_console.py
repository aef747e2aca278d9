"""The console's pages through Flask's test client: login, counter view, steps, TMS slip, admin, report, live."""

from __future__ import annotations

import re

import pytest

from antrean.kernel.actors import SYSTEM

NIK = "3201234507890001"


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html
    )
    return m.group(1)


def login(client, username, password="rahasia123"):
    """Log in through the console's form; returns the CSRF token for later POSTs."""
    token = csrf_of(client.get("/console/masuk").text)
    r = client.post("/console/masuk", data={"csrf_token": token, "username": username, "password": password})
    assert r.status_code == 302, r.text
    return csrf_of(client.get("/console/").text)


@pytest.fixture
def staff(app, counter, make_user):
    core = app.extensions["antrean"]
    users = {
        "clerk": make_user(core, "loket", ["petugas_pelayanan"], "Budi Loket"),
        "verifier": make_user(core, "verif", ["petugas_verifikasi"], "Rina Verifikasi"),
        "register": make_user(core, "register", ["petugas_register"], "Agus Register"),
        "admin": make_user(core, "admin", ["admin"], "Admin Kantor"),
    }
    return core, users


# -- login ----------------------------------------------------------------------
def test_pages_need_login(client):
    for url in ("/console/", "/console/kerja", "/console/loket", "/console/admin", "/console/permohonan/1"):
        r = client.get(url)
        assert r.status_code == 302 and r.location.startswith("/console/masuk?next="), url
    page = client.get("/console/masuk")
    assert page.status_code == 200 and "Konsol petugas" in page.text and "Kata sandi" in page.text
    assert "Password" in client.get("/console/masuk?lang=en").text


def test_login_logout_session_and_safe_redirect(app, staff):
    core, users = staff
    c = app.test_client()
    token = csrf_of(c.get("/console/masuk").text)
    r = c.post(
        "/console/masuk?next=https://evil.example/x",
        data={"csrf_token": token, "username": "loket", "password": "rahasia123"},
    )
    assert r.status_code == 302 and r.location == "/console/"
    cookie = c.get_cookie("session")
    assert cookie is not None and cookie.expires is not None  # permanent: PERMANENT_SESSION_LIFETIME applies
    assert app.permanent_session_lifetime.total_seconds() == core.settings.session_minutes * 60
    home = c.get("/console/")
    assert "Budi Loket" in home.text and "Daftar kerja" in home.text and "Pengaturan" not in home.text
    r = c.post("/console/keluar", data={"csrf_token": csrf_of(home.text)})
    assert r.status_code == 302
    assert c.get("/console/kerja").status_code == 302


def test_wrong_password_then_throttled(app, staff):
    c = app.test_client()
    for _ in range(5):
        token = csrf_of(c.get("/console/masuk").text)
        r = c.post("/console/masuk", data={"csrf_token": token, "username": "loket", "password": "salah-sekali"})
        assert r.status_code == 401 and "Nama pengguna atau kata sandi salah." in r.text
    token = csrf_of(c.get("/console/masuk").text)
    r = c.post("/console/masuk", data={"csrf_token": token, "username": "loket", "password": "rahasia123"})
    assert r.status_code == 429 and "Terlalu banyak percobaan masuk" in r.text
    r = c.post("/console/masuk", data={"username": "loket", "password": "rahasia123"})
    assert r.status_code == 400  # no CSRF token


# -- counter, application, steps -----------------------------------------------------
def test_counter_view_open_application_and_steps(app, staff, counter):
    core, users = staff
    c = app.test_client()
    csrf = login(c, "loket")
    ticket, _ = core.tickets.issue("ktp")
    page = c.get(f"/console/loket/{counter['id']}")
    assert page.status_code == 200 and "Panggil berikutnya" in page.text and ticket["number"] in page.text
    r = c.post(f"/api/v1/counters/{counter['id']}/call-next", headers={"X-CSRFToken": csrf})
    assert r.json["call"]["number"] == ticket["number"]
    panel = c.get(f"/console/loket/{counter['id']}/panel").text
    assert f'id="current-number">{ticket["number"]}<' in panel and "Terima berkas" in panel
    # a bad NIK: clear Indonesian error, the typed values kept
    r = c.post(
        "/console/permohonan/baru",
        data={"csrf_token": csrf, "ticket": ticket["id"], "applicant_name": "Siti Aminah", "nik": "12345"},
    )
    assert r.status_code == 422 and "NIK harus 16 angka." in r.text and 'value="Siti Aminah"' in r.text
    r = c.post(
        "/console/permohonan/baru",
        data={"csrf_token": csrf, "ticket": ticket["id"], "applicant_name": "Siti Aminah", "nik": NIK, "phone": ""},
    )
    assert r.status_code == 302
    app_id = int(r.location.rsplit("/", 1)[1])
    detail = c.get(r.location).text
    assert "3201********0001" in detail and "Siti Aminah" in detail
    assert "Buka permohonan</a>" not in detail
    assert f"#{app_id}" in c.get(f"/console/loket/{counter['id']}/panel").text  # the counter links to it
    # step 2 by the clerk through the form
    r = c.post(f"/console/permohonan/{app_id}/langkah/2", data={"csrf_token": csrf, "outcome": "DONE", "note": "ok"})
    assert r.status_code == 302 and "Langkah 2 selesai" in c.get(r.location).text
    # the verifier sees it in the worklist with its SLA colour; the NIK is not in the list
    v = app.test_client()
    vcsrf = login(v, "verif")
    wl = v.get("/console/kerja").text
    assert "Siti Aminah" in wl and 'class="sla green"' in wl and NIK not in wl
    assert "Siti Aminah" in v.get("/console/kerja?fragment=1").text
    # the clerk cannot do the verifier's step: 403, nothing changed
    r = c.post(f"/console/permohonan/{app_id}/langkah/3", data={"csrf_token": csrf, "outcome": "MS"})
    assert r.status_code == 403 and "Petugas Verifikasi" in r.text
    assert core.workflow.get(app_id)["current_step"]["no"] == 3
    page = v.get(f"/console/permohonan/{app_id}").text
    assert 'name="missing"' in page and "Simpan hasil verifikasi" in page
    r = v.post(f"/console/permohonan/{app_id}/langkah/3", data={"csrf_token": vcsrf, "outcome": "MS"})
    assert r.status_code == 302
    g = app.test_client()
    gcsrf = login(g, "register")
    assert "Nomor agenda diberikan otomatis" in g.get(f"/console/permohonan/{app_id}").text
    r = g.post(f"/console/permohonan/{app_id}/langkah/4", data={"csrf_token": gcsrf, "outcome": "DONE"})
    agenda = core.workflow.get(app_id)["agenda_number"]
    assert agenda and f"Nomor agenda: {agenda}." in g.get(r.location).text
    # a stale form (step already done) is a clear message, not a crash
    r = g.post(f"/console/permohonan/{app_id}/langkah/4", data={"csrf_token": gcsrf, "outcome": "DONE"})
    assert "Langkah yang berjalan adalah langkah 5" in g.get(r.location).text


def test_tms_slip(app, staff):
    core, users = staff
    a = core.workflow.open(users["clerk"], service_code="kk", applicant_name="Joko Susilo", nik=NIK)
    core.workflow.complete_step(a["id"], 2, users["clerk"], outcome="DONE")
    checklist = core.service("kk")["documents"]
    v = app.test_client()
    csrf = login(v, "verif")
    assert v.get(f"/console/permohonan/{a['id']}/slip").status_code == 404  # not returned (yet)
    r = v.post(
        f"/console/permohonan/{a['id']}/langkah/3",
        data={"csrf_token": csrf, "outcome": "TMS", "missing": checklist[:2], "note": "Fotokopi buram"},
    )
    assert r.status_code == 302 and r.location.endswith(f"/permohonan/{a['id']}/slip")
    slip = v.get(r.location).text
    assert "PENGEMBALIAN BERKAS PERMOHONAN" in slip and "Joko Susilo" in slip and "data-print" in slip
    missing = re.search(r'<ol id="missing">(.*?)</ol>', slip, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", missing) == [d.replace("&", "&amp;") for d in checklist[:2]]
    assert NIK not in slip and "Fotokopi buram" in slip
    assert core.workflow.get(a["id"])["status"] == "returned"


def test_call_the_applicant_back_defaults_to_the_loket_that_served_the_ticket(app, staff, counter, admin):
    """Trial: "Panggil pemohon ke loket" offered Loket 1 to back-office staff whatever loket served the ticket."""
    from antrean.kernel.sop import STAFF_ROLES

    core, users = staff
    loket2 = core.queue.save_counter(admin, name="Loket 2", number=2, services=list(core.sops))
    everyone = core.users.get(core.users.create(SYSTEM, "semua", "rahasia123", list(STAFF_ROLES), "Semua")["id"])
    ticket, _ = core.tickets.issue("ktp")
    core.queue.call_next(loket2["id"], users["clerk"])
    a = core.workflow.open(users["clerk"], ticket_id=ticket["id"], applicant_name="Siti Aminah", nik=NIK)
    core.workflow.complete_step(a["id"], 2, users["clerk"], outcome="DONE")
    selected = re.compile(r'<option value="(\d+)" selected>')
    v = app.test_client()
    login(v, "verif")  # back office: never opened a loket in this session
    page = v.get(f"/console/permohonan/{a['id']}").text
    assert "menerima slip pengembalian" in page  # TMS at a back-office step calls the applicant back
    assert selected.findall(page) == [str(loket2["id"])]
    for no in (3, 4, 5):
        core.workflow.complete_step(a["id"], no, everyone, outcome="DONE")
    s = app.test_client()
    login(s, "semua")
    page = s.get(f"/console/permohonan/{a['id']}").text
    assert "Panggil pemohon ke loket" in page and selected.findall(page) == [str(loket2["id"])]


# -- admin --------------------------------------------------------------------------
def test_admin_pages_are_admin_only(app, staff):
    c = app.test_client()
    login(c, "loket")
    for url in (
        "/console/admin",
        "/console/admin/loket",
        "/console/admin/pengguna",
        "/console/admin/layanan",
        "/console/admin/layanan/ktp",
        "/console/admin/kebijakan",
        "/console/admin/tampilan",
        "/console/admin/printer",
        "/console/admin/audit",
        "/console/laporan",
    ):
        assert c.get(url).status_code == 403, url
    csrf = csrf_of(c.get("/console/").text)
    r = c.post("/console/admin", data={"csrf_token": csrf, "name": "Dibajak"})
    assert r.status_code == 403 and staff[0].office()["name"] == "Kantor Kecamatan Uji"


def test_admin_changes_are_saved_and_audited(app, staff, counter):
    core, users = staff
    c = app.test_client()
    csrf = login(c, "admin")
    for url in (
        "/console/admin",
        "/console/admin/loket",
        "/console/admin/pengguna",
        "/console/admin/layanan",
        "/console/admin/layanan/ktp",
        "/console/admin/kebijakan",
        "/console/admin/tampilan",
        "/console/admin/printer",
        "/console/admin/audit",
        "/console/laporan",
    ):
        assert c.get(url).status_code == 200, url

    def post(url, **data):
        r = c.post(url, data={"csrf_token": csrf, **data})
        assert r.status_code == 302, r.text
        return c.get(r.location).text

    assert "Perubahan disimpan." in post("/console/admin", name="Kecamatan Sukamaju", address="Jl. Merdeka 1")
    assert core.office()["name"] == "Kecamatan Sukamaju"
    post("/console/admin/loket", name="Loket Perizinan", number="5", active="1", services=["oss", "izin_keramaian"])
    assert any(
        x["name"] == "Loket Perizinan" and x["services"] == ["izin_keramaian", "oss"] for x in core.queue.counters()
    )
    page = post("/console/admin/loket", name="Loket X", number="abc")
    assert "Nomor loket harus angka." in page
    post(
        "/console/admin/pengguna",
        username="camat",
        full_name="Drs. Camat",
        password="rahasia-camat",
        roles=["camat", "sekcam"],
    )
    camat = next(u for u in core.users.list() if u["username"] == "camat")
    assert sorted(camat["roles"]) == ["camat", "sekcam"]
    post("/console/admin/pengguna", id=str(camat["id"]), full_name="Drs. Camat", roles=["camat"])  # unticked: inactive
    camat = next(u for u in core.users.list() if u["username"] == "camat")
    assert camat["roles"] == ["camat"] and camat["active"] is False
    docs = core.sops["ktp"].documents
    post(
        "/console/admin/layanan/ktp",
        enabled="1",
        letter="kt",
        daily_quota="40",
        open_time="08:00",
        close_time="14:30",
        checklist="\n".join(docs[:1] + ("Pas foto 3x4",)),
        role_petugas_verifikasi="kasi_pelayanan",
        role_pemohon="petugas_pelayanan",
    )
    svc = core.service("ktp")
    assert (svc["letter"], svc["daily_quota"], svc["open_time"], svc["close_time"]) == ("KT", 40, "08:00", "14:30")
    assert svc["documents"] == [docs[0], "Pas foto 3x4"] and svc["role_map"] == {"petugas_verifikasi": "kasi_pelayanan"}
    assert svc["steps"][2]["office_role"] == "kasi_pelayanan"
    page = post("/console/admin/layanan/kk", enabled="1", letter=core.service("ktp")["letter"])
    assert "sudah dipakai layanan lain" in page and core.service("kk")["letter"] != "KT"
    post(
        "/console/admin/kebijakan",
        mode="ratio",
        ratio_normal="3",
        ratio_priority="1",
        max_wait_minutes="45",
        max_recalls="2",
        default_service_minutes="6",
    )
    assert core.policy()["mode"] == "ratio" and core.policy()["ratio_normal"] == 3
    page = post(
        "/console/admin/kebijakan",
        mode="acak",
        ratio_normal="3",
        ratio_priority="1",
        max_wait_minutes="45",
        max_recalls="2",
        default_service_minutes="6",
    )
    assert "Mode antrean tidak dikenal." in page and core.policy()["mode"] == "ratio"
    post("/console/admin/tampilan", form="running_text", running_text="Selamat datang  di PATEN ")
    assert core.get_setting("running_text") == "Selamat datang di PATEN"
    post(
        "/console/admin/tampilan",
        form="profile",
        slug="ruang-a",
        title="Ruang A",
        counters=[str(counter["number"])],
        services=["ktp", "kk"],
    )
    assert core.get_setting("display_profiles") == {
        "ruang-a": {"title": "Ruang A", "counters": [counter["number"]], "services": ["ktp", "kk"]}
    }
    if "display.board" in app.view_functions:  # the board accepts the profile the console saved
        assert c.get("/display/?profile=ruang-a").status_code == 200
    post("/console/admin/tampilan", form="profile", slug="ruang-a", delete="1")
    assert core.get_setting("display_profiles") == {}
    # every change is in the audit log, which filters
    audit = c.get("/console/admin/audit?aksi=service.").text
    assert "service.update" in audit and "user.create" not in audit
    audit = c.get("/console/admin/audit?aksi=user.&pengguna=admin").text
    assert "user.create" in audit and "user.update" in audit
    assert "setting.update" in c.get("/console/admin/audit?jenis=setting").text
    assert "0 catatan" in c.get("/console/admin/audit?dari=2001-01-01&sampai=2001-01-02").text


def test_report_counts_the_month(app, staff):
    core, users = staff
    clerk = users["clerk"]
    core.users.update(
        SYSTEM.__class__(None, "x", frozenset({"admin"})),
        users["admin"].id,
        roles=["admin", "petugas_verifikasi", "petugas_register", "kasi_pelayanan"],
    )
    boss = core.users.get(users["admin"].id)
    for i, verdict in enumerate(("MS", "TMS")):
        a = core.workflow.open(clerk, service_code="ktp", applicant_name=f"P{i}")
        core.workflow.complete_step(a["id"], 2, clerk, outcome="DONE")
        core.workflow.complete_step(a["id"], 3, boss, outcome=verdict, note="kurang")
        if verdict == "MS":
            for no, who in ((4, boss), (5, boss), (6, clerk), (7, clerk)):
                core.workflow.complete_step(a["id"], no, who, outcome="DONE")
    c = app.test_client()
    login(c, "admin")
    html = c.get("/console/laporan").text
    row = re.search(r"<td>Rekomendasi KTP</td>.*?</tr>", html, re.S).group(0)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells[1] == "0" and cells[-5:] == ["1", "1", "100%", "–", "0"]  # tickets; done, returned, within; no IKM


# -- live -----------------------------------------------------------------------------
def test_socketio_console_namespace_is_staff_only_and_pushes_updates(app, staff, counter):
    core, users = staff
    socketio = app.extensions["antrean.socketio"]
    anonymous = socketio.test_client(app, namespace="/console", flask_test_client=app.test_client())
    assert not anonymous.is_connected("/console")
    c = app.test_client()
    login(c, "loket")
    live = socketio.test_client(app, namespace="/console", flask_test_client=c)
    assert live.is_connected("/console")
    live.get_received("/console")
    ticket, _ = core.tickets.issue("kia")
    call = core.queue.call_next(counter["id"], users["clerk"])
    core.queue.skip(counter["id"], users["clerk"])
    events = [e["args"][0] for e in live.get_received("/console") if e["name"] == "update"]
    assert [e["event"] for e in events] == ["ticket.issued", "ticket.called", "ticket.skipped"]
    assert events[1]["seq"] == call["seq"] and events[1]["counter"]["id"] == counter["id"]
    assert events[2]["number"] == ticket["number"]
    assert all("nik" not in e and "applicant_name" not in e for e in events)
    a = core.workflow.open(users["clerk"], service_code="kia", applicant_name="Rahasia Nama", nik=NIK)
    core.workflow.complete_step(a["id"], 2, users["clerk"], outcome="DONE")
    events = [e["args"][0] for e in live.get_received("/console") if e["name"] == "update"]
    assert [(e["event"], e.get("application_id")) for e in events] == [
        ("application.opened", a["id"]),
        ("application.step_completed", a["id"]),
    ]
    assert events[1]["step"] == 2 and events[1]["status"] == "open"
    live.disconnect("/console")


def test_clerk_cancels_a_ticket_with_a_reason_from_the_counter_and_the_waiting_list(app, staff, counter):
    """'Batalkan' on the current number and on each waiting number: a form with a required reason (common
    reasons + free text), CSRF, closed by the core as outcome cancelled (audited with the clerk); admin may not."""
    from sqlalchemy import select

    from antrean.kernel.models import AuditLog

    core, users = staff
    current, _ = core.tickets.issue("ktp")
    waiting, _ = core.tickets.issue("ktp")
    core.queue.call_next(counter["id"], users["clerk"])
    c = app.test_client()
    login(c, "loket")
    panel = c.get(f"/console/loket/{counter['id']}").text
    assert f"/console/tiket/{current['id']}/batal?loket={counter['id']}" in panel  # the current number
    assert f'data-cancel="{waiting["id"]}"' in panel  # the waiting list
    form = c.get(f"/console/tiket/{waiting['id']}/batal?loket={counter['id']}")
    assert form.status_code == 200 and "Nomor ganda" in form.text and "Lainnya" in form.text
    token = csrf_of(form.text)
    url = f"/console/tiket/{waiting['id']}/batal"
    assert c.post(url, data={"choice": "ganda"}).status_code == 400  # no CSRF token
    for data in ({"choice": ""}, {"choice": "lain", "text": "  "}, {"choice": "bukan-alasan"}):
        r = c.post(url, data={"csrf_token": token, "loket": counter["id"], **data})
        assert r.status_code == 422 and "Pilih alasan pembatalan" in r.text, data
        assert core.tickets.get(waiting["id"])["outcome"] is None
    r = c.post(url, data={"csrf_token": token, "loket": counter["id"], "choice": "ganda", "text": "sama dengan A002"})
    assert r.status_code == 302 and r.location == f"/console/loket/{counter['id']}"
    t = core.tickets.get(waiting["id"])
    assert (t["outcome"], t["cancel_reason"]) == ("cancelled", "Nomor ganda (tiket dobel) – sama dengan A002")
    again = c.post(url, data={"csrf_token": token, "choice": "ganda"})
    assert again.status_code == 409 and core.tickets.get(waiting["id"])["outcome"] == "cancelled"
    r = c.post(
        f"/console/tiket/{current['id']}/batal",
        data={"csrf_token": token, "loket": counter["id"], "choice": "lain", "text": "Pemohon salah kantor"},
    )
    assert r.status_code == 302 and core.tickets.get(current["id"])["cancel_reason"] == "Pemohon salah kantor"
    with core.db.read() as s:
        audit = s.execute(
            select(AuditLog.actor, AuditLog.target_id).where(AuditLog.action == "ticket.close").order_by(AuditLog.id)
        ).all()
    assert [tuple(a) for a in audit][-2:] == [("loket", str(waiting["id"])), ("loket", str(current["id"]))]

    other, _ = core.tickets.issue("ktp")
    admin = app.test_client()
    login(admin, "admin")  # policy: ticket.cancel is for the counter roles (Kasi included), not admin
    assert admin.get(f"/console/tiket/{other['id']}/batal").status_code == 403
    assert core.tickets.get(other["id"])["outcome"] is None
