"""Security and privacy of the web faces: headers, redirects, Socket.IO origin and channel, escaping, CSRF, audit."""

from __future__ import annotations

import re

import pytest

from .test_console import NIK, csrf_of, login

EVIL = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


@pytest.fixture
def people(app, counter, make_user):
    core = app.extensions["antrean"]
    return core, {
        "clerk": make_user(core, "loket", ["petugas_pelayanan"], "Budi Loket"),
        "verifier": make_user(core, "verif", ["petugas_verifikasi"], "Rina Verifikasi"),
        "admin": make_user(core, "admin", ["admin"], "Admin Kantor"),
        "boss": make_user(core, "boss", ["admin", "petugas_pelayanan", "petugas_verifikasi"], "Kepala"),
    }


def returned(core, users, name="Siti", note="kurang KK"):
    """An application of 'kk' returned to the applicant (TMS at the verification step)."""
    a = core.workflow.open(users["clerk"], service_code="kk", applicant_name=name, nik=NIK)
    core.workflow.complete_step(a["id"], 2, users["clerk"], outcome="DONE")
    core.workflow.complete_step(a["id"], 3, users["verifier"], outcome="TMS", note=note)
    return a


# -- headers ---------------------------------------------------------------------------------------
def test_every_page_gets_nosniff_no_framing_and_a_script_csp(client):
    for url in ("/console/masuk", "/display/", "/", "/-/plugins", "/console/tidak-ada"):
        r = client.get(url)
        assert r.headers["X-Content-Type-Options"] == "nosniff", url
        assert r.headers["X-Frame-Options"] == "DENY", url
        csp = r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, url
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0], url
    kiosk = client.get("/kiosk")  # keeps its own, stricter policy
    assert "style-src 'self';" in kiosk.headers["Content-Security-Policy"]
    assert kiosk.headers["Referrer-Policy"] == "no-referrer"
    api = client.get("/api/v1/services")
    assert api.headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" not in api.headers


def test_console_pages_carry_no_inline_script_the_csp_would_block(app, people):
    core, users = people
    a = returned(core, users)
    c = app.test_client()
    login(c, "boss")
    for url in (
        "/console/",
        "/console/kerja",
        "/console/laporan",
        f"/console/permohonan/{a['id']}/slip",
        f"/console/loket/{core.queue.counters()[0]['id']}",
        "/console/admin",
    ):
        html = c.get(url).text
        assert not re.search(r"\son[a-z]+\s*=", html), url
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html), url


# -- login -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "target",
    [
        "/\\evil.example",
        "/\\/evil.example",
        "/\t/evil.example",
        "//evil.example",
        "https://evil.example/",
        "\\\\evil.example",
    ],
)
def test_login_next_never_leaves_the_site(app, people, target):
    c = app.test_client()
    token = csrf_of(c.get("/console/masuk").text)
    r = c.post(
        "/console/masuk",
        query_string={"next": target},
        data={"csrf_token": token, "username": "loket", "password": "rahasia123"},
    )
    assert r.status_code == 302 and r.location == "/console/"


def test_login_next_inside_the_console_is_kept(app, people):
    c = app.test_client()
    token = csrf_of(c.get("/console/masuk").text)
    r = c.post(
        "/console/masuk?next=/console/kerja", data={"csrf_token": token, "username": "loket", "password": "rahasia123"}
    )
    assert r.location == "/console/kerja"


def test_session_cookie_flags_and_logout_is_a_csrf_post(app, people):
    c = app.test_client()
    r = c.get("/console/masuk")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    login(c, "loket")
    assert c.get("/console/keluar").status_code == 405
    assert c.post("/console/keluar").status_code == 400  # no CSRF token
    assert c.get("/console/").status_code == 200  # still logged in


# -- Socket.IO ---------------------------------------------------------------------------------------
def _handshake(client, origin: str | None):
    headers = {"Origin": origin} if origin else {}
    return client.get("/socket.io/?EIO=4&transport=polling", headers=headers)


def test_socketio_refuses_other_origins(app, people):
    """A page on another site (or another port of the office PC) must not ride the staff session."""
    c = app.test_client()
    login(c, "loket")
    assert _handshake(c, "http://evil.example").status_code == 400
    assert _handshake(c, "http://localhost:8080").status_code == 400
    assert _handshake(c, "http://localhost").status_code == 200  # the test client's own origin
    assert _handshake(c, None).status_code == 200  # no Origin header: not a browser page


def test_each_office_has_its_own_message_queue_channel(settings_dict, instance, tmp_path):
    """In a shared Redis, one office's boards and consoles must not receive another office's calls."""
    from antrean import create_app

    channels = []
    for code in ("sukamaju", "sukamakmur"):
        inst = tmp_path / code
        inst.mkdir()
        app = create_app(
            settings_dict | {"instance_path": str(inst), "office_code": code, "redis_url": "redis://127.0.0.1:6379/15"}
        )
        try:
            channels.append(app.extensions["antrean.socketio"].server.manager.channel)
        finally:
            app.extensions["antrean"].close()
    assert channels == ["antrean-sukamaju", "antrean-sukamakmur"]


def test_socket_events_never_carry_personal_data(app, people):
    core, users = people
    socketio = app.extensions["antrean.socketio"]
    c = app.test_client()
    login(c, "loket")
    staff = socketio.test_client(app, namespace="/console", flask_test_client=c)
    board = socketio.test_client(app, namespace="/display", flask_test_client=app.test_client())
    staff.get_received("/console")
    board.get_received("/display")
    ticket, _ = core.tickets.issue("kia")
    cid = core.queue.counters()[0]["id"]
    core.queue.call_next(cid, users["clerk"])
    r = c.post(
        "/console/permohonan/baru",
        data={
            "csrf_token": csrf_of(c.get("/console/").text),
            "ticket": ticket["id"],
            "applicant_name": "Rahasia Warga",
            "nik": NIK,
            "phone": "081234567890",
        },
    )
    assert r.status_code == 302
    app_id = int(r.location.rsplit("/", 1)[1])
    step = core.workflow.get(app_id)["current_step"]["no"]
    core.workflow.complete_step(app_id, step, users["clerk"], outcome="DONE", note="catatan Rahasia")
    received = repr(staff.get_received("/console")) + repr(board.get_received("/display"))
    for secret in ("Rahasia", NIK, "081234567890"):
        assert secret not in received
    assert "application.step_completed" in received and "application.opened" in received
    for url in ("/display/state.json", "/kiosk/state.json", f"/t/{ticket['token']}.json"):
        text = app.test_client().get(url).text
        assert "Rahasia" not in text and NIK not in text and "081234567890" not in text, url
    public = app.test_client().get(f"/t/{ticket['token']}.json").json
    assert "id" not in public and "device_id" not in public and "token" not in public


# -- escaping ---------------------------------------------------------------------------------------
def test_user_typed_text_is_escaped_on_every_page(app, people):
    core, users = people
    a = returned(core, users, name=EVIL, note=EVIL)
    core.set_setting("running_text", EVIL, users["admin"])
    core.update_office(users["admin"], name="Kantor " + EVIL)
    c = app.test_client()
    login(c, "boss")
    pages = [
        c.get(f"/console/permohonan/{a['id']}").text,
        c.get(f"/console/permohonan/{a['id']}/slip").text,
        c.get("/console/kerja").text,
        c.get("/console/admin/audit").text,
        c.get("/console/admin/tampilan").text,
        app.test_client().get("/display/").text,
        app.test_client().get("/kiosk").text,
        app.test_client().get("/").text,
    ]
    for html in pages:
        assert "<script>alert(2)" not in html and '<img src=x onerror="alert(1)">' not in html
    assert "&lt;script&gt;alert(2)" in pages[0]


# -- CSRF -------------------------------------------------------------------------------------------
def test_state_changes_need_the_csrf_token(app, people):
    core, users = people
    c = app.test_client()
    login(c, "admin")
    assert c.post("/console/admin/tampilan", data={"form": "running_text", "running_text": "x"}).status_code == 400
    assert core.get_setting("running_text", "") != "x"
    cid = core.queue.counters()[0]["id"]
    assert c.post(f"/api/v1/counters/{cid}/call-next", json={}).status_code in (400, 403)
    assert c.put("/kiosk/pin", json={"pin": "123456"}).status_code == 400  # exempt from CSRFProtect, checked itself
    assert not core.get_setting("kiosk_pin")
    assert c.post("/api/v1/printers", json={"name": "x", "url": "none"}).status_code == 400


def test_admin_actions_write_the_audit_log(app, people):
    core, users = people
    c = app.test_client()
    token = login(c, "admin")
    c.post("/console/admin/tampilan", data={"csrf_token": token, "form": "running_text", "running_text": "Halo"})
    c.post("/console/admin", data={"csrf_token": token, "name": "Kecamatan Baru", "address": "Jl. 2"})
    c.put("/kiosk/pin", json={"pin": "246810"}, headers={"X-CSRFToken": token})
    actions = {e["action"] for e in core.audit_log(users["admin"], limit=100)["items"]}
    assert {"setting.update", "office.update"} <= actions
    items = core.audit_log(users["admin"], limit=100)["items"]
    assert any(e["action"] == "setting.update" and e["target_id"] == "kiosk_pin" for e in items)
