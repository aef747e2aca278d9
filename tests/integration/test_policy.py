"""One policy for every staff route: role × route, reads included (antrean/kernel/policy.py).

Each staff route of the API and the console is listed in ``MATRIX`` with the roles that may use it, written
out here by hand (not derived from the policy table), and asked once per role through Flask's test client
with a real console session. ``test_every_staff_route_is_in_the_matrix`` fails when a route is added without
a policy action or without a row here. The application used for record reads is a ``kk`` (Kartu Keluarga)
file: its SOP's roles are petugas_pelayanan, petugas_verifikasi, petugas_register and kasi_pelayanan; the
other staff get 404 for it (as for an application that does not exist), the office heads and admins read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from antrean.kernel.actors import SYSTEM
from antrean.kernel.errors import Unauthorized
from antrean.kernel.sop import STAFF_ROLES

from .test_console import NIK, csrf_of

ALL = frozenset(STAFF_ROLES)
ADMIN = frozenset({"admin"})
COUNTER = ALL - ADMIN
REPORT = frozenset({"camat", "sekcam", "kasi_pelayanan", "admin"})
REPRINT = frozenset({"petugas_pelayanan", "kasi_pelayanan", "admin"})
KK_READERS = frozenset(
    {"petugas_pelayanan", "petugas_verifikasi", "petugas_register", "kasi_pelayanan", "camat", "sekcam", "admin"}
)
FRONT = frozenset({"petugas_pelayanan"})  # kk's first two steps
PUBLIC = {
    "console.login",
    "console.logout",
    "console.static",
    "api.services",
    "api.issue_ticket",
    "api.ticket_status",
    "api.counters",
    "api.auth_token",
    "api.openapi",
    "kiosk.check_pin",
    "api.submit_survey",  # a citizen's survey: the ticket's status token is the proof
    "api.calendar_days",  # the office's published hours and holidays (no personal data)
    "hardware_public.ticket_print_status",  # the kiosk asks whether its ticket printed (token, no personal data)
    # booking (antrean/services/booking.py): citizens with the cancel token; check-in by a registered kiosk's key or
    # staff (booking.check_in, asked in the core), tested in tests/integration/test_booking_api.py
    "api.booking_slots",
    "api.create_booking",
    "api.booking_status",
    "api.cancel_booking",
    "api.reschedule_booking",
    "api.check_in_booking",
}


@dataclass
class World:
    app: object
    core: object
    clients: dict
    tokens: dict
    counter: int
    kk: int  # an open kk application (step 2) with a NIK
    returned: int  # a kk application returned at step 3 (TMS)
    ticket: int
    users: dict


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from antrean import create_app

    inst = tmp_path_factory.mktemp("policy")
    app = create_app({"instance_path": str(inst), "testing": True, "start_workers": False})
    core = app.extensions["antrean"]
    admin = type(SYSTEM)(None, "setup", frozenset({"admin"}))
    counter = core.queue.save_counter(admin, name="Loket 1", number=1, services=list(core.sops))["id"]
    users = {}
    for role in STAFF_ROLES:
        u = core.users.create(SYSTEM, role.replace("_", "-"), "rahasia123", [role], f"Pak {role}")
        users[role] = core.users.get(u["id"])
    clerk, verifier = users["petugas_pelayanan"], users["petugas_verifikasi"]
    kk = core.workflow.open(clerk, service_code="kk", applicant_name="Siti Rahasia", nik=NIK, phone="081234567890")
    ret = core.workflow.open(clerk, service_code="kk", applicant_name="Ani Rahasia", nik=NIK)
    core.workflow.complete_step(ret["id"], 2, clerk, outcome="DONE")
    core.workflow.complete_step(ret["id"], 3, verifier, outcome="TMS", note="kurang KK")
    ticket, _ = core.tickets.issue("kk")
    clients, tokens = {}, {}
    for role in STAFF_ROLES:
        c = app.test_client()
        token = csrf_of(c.get("/console/masuk").text)
        r = c.post(
            "/console/masuk", data={"csrf_token": token, "username": role.replace("_", "-"), "password": "rahasia123"}
        )
        assert r.status_code == 302, r.text
        clients[role], tokens[role] = c, csrf_of(c.get("/console/kerja").text)
    clients["anon"], tokens["anon"] = app.test_client(), ""
    yield World(app, core, clients, tokens, counter, kk["id"], ret["id"], ticket["id"], users)
    core.close()


def fresh_kk(w: World) -> int:
    """A new kk application at step 2 (for requests that move a file on)."""
    return w.core.workflow.open(w.users["petugas_pelayanan"], service_code="kk", applicant_name="Baru")["id"]


@dataclass
class Route:
    endpoint: str
    method: str
    url: Callable[[World], str]
    allowed: frozenset
    denied: int = 403  # 404 for the records a role may not read
    json: dict | None = None
    form: dict | None = None


def api(endpoint, method, url, allowed, **kw):
    return Route(endpoint, method, url, allowed, **kw)


MATRIX: list[Route] = [
    # -- API: the queue
    api("api.counter_state", "GET", lambda w: f"/api/v1/counters/{w.counter}", COUNTER),
    *[
        api(
            f"api.counter_{a.replace('-', '_')}",
            "POST",
            lambda w, a=a: f"/api/v1/counters/{w.counter}/{a}",
            COUNTER,
            json={"ticket": 1, "service": "kk"},
        )
        for a in ("call-next", "recall", "call", "skip", "hold", "transfer", "start", "finish")
    ],
    api(
        "api.cancel_ticket",
        "POST",
        lambda w: f"/api/v1/tickets/{w.ticket}/cancel",
        COUNTER,
        json={"reason": "salah layanan"},
    ),  # the first allowed role cancels; the rest get 409 (closed already)
    # -- API: applications (reads guarded by the application's SOP)
    api(
        "api.open_application",
        "POST",
        lambda w: "/api/v1/applications",
        FRONT,
        json={"service": "kk", "applicant_name": "Warga Baru"},
    ),
    api("api.application", "GET", lambda w: f"/api/v1/applications/{w.kk}", KK_READERS, denied=404),
    api("api.reveal_nik", "POST", lambda w: f"/api/v1/applications/{w.kk}/nik", KK_READERS, denied=404, json={}),
    api(
        "api.complete_step",
        "POST",
        lambda w: f"/api/v1/applications/{fresh_kk(w)}/steps/2",
        FRONT,
        json={"outcome": "DONE"},
    ),
    api("api.worklist", "GET", lambda w: "/api/v1/worklist", ALL),
    api("api.auth_logout", "POST", None, ALL),  # asked separately (it ends the session)
    # -- API: printers
    api("hardware_api.printers", "GET", lambda w: "/api/v1/printers", ALL),
    api("hardware_api.jobs", "GET", lambda w: "/api/v1/printers/jobs", ALL),
    api("hardware_api.save_printer", "POST", lambda w: "/api/v1/printers", ADMIN, json={}),
    api("hardware_api.assign_device", "POST", lambda w: "/api/v1/printers/devices", ADMIN, json={}),
    api("hardware_api.reprint", "POST", lambda w: "/api/v1/printers/reprint", REPRINT, json={}),
    api("kiosk.set_pin", "PUT", lambda w: "/kiosk/pin", ADMIN, json={"pin": None}),
    # -- console pages
    api("console.index", "GET", lambda w: "/console/", ALL),
    api("console.worklist", "GET", lambda w: "/console/kerja", ALL),
    api("console.counters", "GET", lambda w: "/console/loket", COUNTER),
    api("console.counter", "GET", lambda w: f"/console/loket/{w.counter}", COUNTER),
    api("console.counter_panel", "GET", lambda w: f"/console/loket/{w.counter}/panel", COUNTER),
    api("console.open_application", "GET", lambda w: "/console/permohonan/baru", ALL),
    api(
        "console.open_application",
        "POST",
        lambda w: "/console/permohonan/baru",
        FRONT,
        form={"service": "kk", "applicant_name": "Warga Konsol"},
    ),
    api("console.application", "GET", lambda w: f"/console/permohonan/{w.kk}", KK_READERS, denied=404),
    api("console.reveal_nik", "POST", lambda w: f"/console/permohonan/{w.kk}/nik", KK_READERS, denied=404, form={}),
    api("console.slip", "GET", lambda w: f"/console/permohonan/{w.returned}/slip", KK_READERS, denied=404),
    api(
        "console.complete_step",
        "POST",
        lambda w: f"/console/permohonan/{fresh_kk(w)}/langkah/2",
        FRONT,
        form={"outcome": "DONE"},
    ),
    api("console.report", "GET", lambda w: "/console/laporan", REPORT),
    api("console.report_download", "GET", lambda w: "/console/laporan/unduh?format=csv", REPORT),
    api("console.report_regency", "GET", lambda w: "/console/laporan/kabupaten", REPORT),  # 409 on SQLite
    api("console.live", "GET", lambda w: "/console/pantau", REPORT),
    api("console.live_data", "GET", lambda w: "/console/pantau.json", REPORT),
    api("api.report_summary", "GET", lambda w: "/api/v1/reports/summary?from=2026-11-01&to=2026-11-30", REPORT),
    api("api.report_regency", "GET", lambda w: "/api/v1/reports/regency", REPORT),  # 409 on SQLite
    api("console.survey_report", "GET", lambda w: "/console/survei", REPORT),
    api("console.survey_report", "POST", lambda w: "/console/survei", REPORT, form={}),
    api("console.cancel_ticket", "GET", lambda w: f"/console/tiket/{w.ticket}/batal", COUNTER),
    api("console.cancel_ticket", "POST", lambda w: f"/console/tiket/{w.ticket}/batal", COUNTER, form={}),
    api("console.survey_offer", "POST", lambda w: f"/console/loket/{w.counter}/survei", COUNTER, form={}),
    api("console.admin_survey", "GET", lambda w: "/console/admin/survei", ADMIN),
    api("console.admin_survey", "POST", lambda w: "/console/admin/survei", ADMIN, form={}),
    api("console.print_trouble", "GET", lambda w: "/console/cetak", ALL),
    api("console.bookings", "GET", lambda w: "/console/booking", ALL),
    api("console.bookings", "POST", lambda w: "/console/booking", ALL, form={"code": "ZZZZZZZZ"}),
    api("api.report_ikm", "GET", lambda w: "/api/v1/reports/ikm?from=2026-11-01&to=2026-11-30", REPORT),
    *[
        api(f"console.{e}", m, (lambda w, u=u: u), ADMIN, **({"form": {}} if m == "POST" else {}))
        for e, u in (
            ("admin", "/console/admin"),
            ("admin_policy", "/console/admin/kebijakan"),
            ("admin_counters", "/console/admin/loket"),
            ("admin_users", "/console/admin/pengguna"),
            ("admin_display", "/console/admin/tampilan"),
            ("admin_service", "/console/admin/layanan/kk"),
        )
        for m in ("GET", "POST")
    ],
    api("console.admin_services", "GET", lambda w: "/console/admin/layanan", ADMIN),
    api("console.admin_printers", "GET", lambda w: "/console/admin/printer", ADMIN),
    api("console.admin_audit", "GET", lambda w: "/console/admin/audit", ADMIN),
    # -- notifications (docs/notifications.md)
    api("console.notify_outbox", "GET", lambda w: "/console/kabar", frozenset({"kasi_pelayanan", "admin"})),
    api(
        "console.notify_resend",
        "POST",
        lambda w: "/console/kabar",
        frozenset({"kasi_pelayanan", "admin"}),
        form={"id": "0"},
    ),
    api("console.admin_notify", "GET", lambda w: "/console/admin/kabar", ADMIN),
    api("console.admin_notify", "POST", lambda w: "/console/admin/kabar", ADMIN, form={}),
    api("console.admin_calendar", "GET", lambda w: "/console/admin/kalender", ADMIN),
    api("console.admin_calendar", "POST", lambda w: "/console/admin/kalender", ADMIN, form={}),
    api("console.admin_booking", "GET", lambda w: "/console/admin/booking", ADMIN),
    api("console.admin_booking", "POST", lambda w: "/console/admin/booking", ADMIN, form={}),
]


def _ask(w: World, route: Route, who: str):
    c, token = w.clients[who], w.tokens[who]
    url = route.url(w)
    if route.method == "GET":
        return c.get(url)
    if route.form is not None:
        return c.open(url, method=route.method, data={"csrf_token": token, **route.form})
    return c.open(url, method=route.method, json=route.json, headers={"X-CSRFToken": token})


@pytest.mark.parametrize("route", [r for r in MATRIX if r.url is not None], ids=lambda r: f"{r.method} {r.endpoint}")
def test_role_x_route(world, route):
    wrong = []
    for role in STAFF_ROLES:
        r = _ask(world, route, role)
        if role in route.allowed:
            ok = (
                r.status_code < 500
                and r.status_code not in (401, 403, 404)
                and not (r.status_code == 302 and "/console/masuk" in r.location)
            )
        else:
            ok = r.status_code == route.denied
        if not ok:
            wrong.append((role, r.status_code, r.get_data(as_text=True)[:200]))
    r = _ask(world, route, "anon")
    if route.endpoint.startswith("console."):  # to the login form (a POST is refused by CSRF before that)
        assert (r.status_code == 302 and "/console/masuk" in r.location) or (
            route.method == "POST" and r.status_code == 400
        ), r.status_code
    else:
        assert r.status_code == 401, r.text
    assert not wrong, wrong


def test_denied_reads_leak_nothing(world):
    """A role outside the SOP: 404 like a missing record, and neither the worklist nor the page shows the name."""
    c = world.clients["tim_teknis"]
    missing = c.get("/api/v1/applications/999999")
    hidden = c.get(f"/api/v1/applications/{world.kk}")
    assert hidden.status_code == missing.status_code == 404 and hidden.json == missing.json
    for url in ("/console/kerja", "/console/", "/api/v1/worklist"):
        assert "Rahasia" not in c.get(url).text, url


def test_every_staff_route_is_in_the_matrix(world):
    """A new staff route must name its policy action and get a row in MATRIX (or be declared public)."""
    covered = {(r.endpoint, r.method) for r in MATRIX}
    for rule in world.app.url_map.iter_rules():
        if not (rule.rule.startswith(("/console", "/api/v1")) or rule.endpoint.startswith("kiosk.set_pin")):
            continue
        if rule.endpoint in PUBLIC:
            continue
        view = world.app.view_functions[rule.endpoint]
        assert getattr(view, "policy_action", None), f"{rule.rule} has no policy action"
        from antrean.kernel.policy import ACTIONS

        assert view.policy_action in ACTIONS
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (rule.endpoint, method) in covered, f"{method} {rule.rule} is not in MATRIX"


def test_nik_is_masked_until_revealed_and_the_reveal_is_audited(world):
    w = world
    c = w.clients["petugas_verifikasi"]
    page = c.get(f"/console/permohonan/{w.kk}").text
    assert NIK not in page and "3201********0001" in page and "Tampilkan NIK" in page
    assert NIK not in c.get(f"/api/v1/applications/{w.kk}").text
    before = {e["id"] for e in w.core.audit_log(w.users["admin"], action="application.reveal_nik")["items"]}
    r = c.post(f"/api/v1/applications/{w.kk}/nik", json={}, headers={"X-CSRFToken": w.tokens["petugas_verifikasi"]})
    assert r.status_code == 200 and r.json["nik"] == NIK
    shown = c.post(f"/console/permohonan/{w.kk}/nik", data={"csrf_token": w.tokens["petugas_verifikasi"]})
    assert shown.status_code == 200 and NIK in shown.text
    new = [
        e for e in w.core.audit_log(w.users["admin"], action="application.reveal_nik")["items"] if e["id"] not in before
    ]
    assert len(new) == 2 and {e["actor"] for e in new} == {"petugas-verifikasi"}
    assert all(e["target_id"] == str(w.kk) and e["at"] for e in new)
    assert c.get(f"/console/permohonan/{w.kk}/nik").status_code == 405  # a reveal is never a plain link


def test_role_mapping_moves_who_may_read(world):
    """After the office maps kk's verification to tim_teknis, tim_teknis reads kk files (and its worklist
    holds them at step 3); without the mapping it got 404."""
    w = world
    c = w.clients["tim_teknis"]
    assert c.get(f"/api/v1/applications/{w.kk}").status_code == 404
    w.core.update_service("kk", w.users["admin"], role_map={"petugas_verifikasi": "tim_teknis"})
    try:
        assert c.get(f"/api/v1/applications/{w.kk}").status_code == 200
    finally:
        w.core.update_service("kk", w.users["admin"], role_map={})
    assert c.get(f"/api/v1/applications/{w.kk}").status_code == 404


def test_step_events_carry_no_personal_data(world):
    w = world
    seen = []

    class Spy:
        from antrean.kernel.hookspecs import hookimpl

        @hookimpl
        def step_completed(self, core, application, step, log):
            seen.append(repr(application) + repr(log))

    spy = Spy()
    w.core.plugins.pm.register(spy)
    try:
        a = w.core.workflow.open(
            w.users["petugas_pelayanan"],
            service_code="kk",
            applicant_name="Rahasia Warga",
            nik=NIK,
            phone="081234567890",
        )
        w.core.workflow.complete_step(a["id"], 2, w.users["petugas_pelayanan"], outcome="DONE", note="catatan pribadi")
    finally:
        w.core.plugins.pm.unregister(spy)
    assert seen and all(x not in seen[0] for x in ("Rahasia", NIK, "081234567890", "catatan pribadi"))


# -- offices are a hard wall ---------------------------------------------------------------------
@pytest.fixture
def two_offices(settings_dict, tmp_path, schema_template):
    """Two cores, offices kec-a and kec-b, on one database; an admin of A, the regency admin, a shared clerk."""
    import shutil

    from antrean.core import Antrean
    from plugins import BUILTIN_SOP_MODULES

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    shutil.copyfile(schema_template, tmp_path / "shared.db")  # the migrated template: migrate() finds it at head
    a, b = (
        Antrean(
            settings_dict | {"database_url": url, "office_code": code},
            builtins=tuple(BUILTIN_SOP_MODULES),
            entry_points=False,
        )
        for code in ("kec-a", "kec-b")
    )
    for c in (a, b):
        c.migrate()
    people = {
        "a_admin": a.users.create(SYSTEM, "admin-a", "rahasia123", ["admin"]),
        "regent": a.users.create(SYSTEM, "bupati", "rahasia123", ["admin"], offices=["*"]),
        "shared": a.users.create(SYSTEM, "bersama", "rahasia123", ["petugas_pelayanan"], offices=["kec-a", "kec-b"]),
        "clerk_a": a.users.create(SYSTEM, "loket-a", "rahasia123", ["petugas_pelayanan"]),
    }
    yield a, b, people
    a.close()
    b.close()


def test_office_admin_cannot_touch_the_regency_admin_or_shared_accounts(two_offices):
    """Measured: an admin of A reset the regency admin's password and logged into B with it, and made an
    account shared with B an admin there."""
    from antrean.kernel.errors import Forbidden, Unauthorized

    a, b, p = two_offices
    admin_a = a.users.authenticate("admin-a", "rahasia123")
    with pytest.raises(Forbidden):
        a.users.update(admin_a, p["regent"]["id"], password="punya-saya-1")
    with pytest.raises(Unauthorized):
        b.users.authenticate("bupati", "punya-saya-1")
    assert b.users.authenticate("bupati", "rahasia123").username == "bupati"
    with pytest.raises(Forbidden):
        a.users.update(admin_a, p["shared"]["id"], roles=["admin"])
    assert "admin" not in b.users.get(p["shared"]["id"]).roles
    # nor may it widen one of its own accounts into B, or create one there
    with pytest.raises(Forbidden):
        a.users.update(admin_a, p["clerk_a"]["id"], offices=["kec-a", "kec-b"])
    with pytest.raises(Forbidden):
        a.users.update(admin_a, p["clerk_a"]["id"], offices=["*"])
    for offices in (["kec-b"], ["*"], ["kec-a", "kec-b"]):
        with pytest.raises(Forbidden):
            a.users.create(admin_a, "baru-" + str(len(offices)), "rahasia123", ["admin"], offices=offices)
    assert b.users.get(p["clerk_a"]["id"]) is None
    # its own office's accounts it manages
    assert a.users.update(admin_a, p["clerk_a"]["id"], roles=["petugas_verifikasi"])["roles"] == ["petugas_verifikasi"]
    assert a.users.create(admin_a, "baru-a", "rahasia123", ["petugas_pelayanan"])["offices"] == ["kec-a"]
    manageable = {u["username"]: u["manageable"] for u in a.users.list(admin_a)}
    assert manageable == {"admin-a": True, "baru-a": True, "bersama": False, "bupati": False, "loket-a": True}
    # the regency admin manages every account
    regent = b.users.authenticate("bupati", "rahasia123")
    assert b.users.update(regent, p["shared"]["id"], roles=["petugas_pelayanan", "kasi_pelayanan"])["roles"]
    assert a.users.update(regent, p["clerk_a"]["id"], offices=["kec-a", "kec-b"])["offices"] == ["kec-a", "kec-b"]


def test_console_users_page_offers_no_edit_of_accounts_beyond_the_office(app, make_user):
    from .test_console import login

    core = app.extensions["antrean"]
    make_user(core, "admin-kec", ["admin"])
    core.users.create(SYSTEM, "bupati", "rahasia123", ["admin"], offices=["*"])
    c = app.test_client()
    token = login(c, "admin-kec")
    html = c.get("/console/admin/pengguna").text
    row = html.split('data-user="bupati"')[1].split("</tr>")[0]
    assert 'name="password"' not in row and "admin kabupaten" in row
    regent = core.users.list()[[u["username"] for u in core.users.list()].index("bupati")]
    r = c.post(
        "/console/admin/pengguna",
        data={"csrf_token": token, "id": regent["id"], "roles": ["admin"], "active": "1", "password": "punya-saya-1"},
        follow_redirects=True,
    )
    assert "admin kabupaten" in r.text
    with pytest.raises(Unauthorized):  # the password was not changed
        core.users.authenticate("bupati", "punya-saya-1")


def test_a_ticket_token_is_valid_only_at_its_own_office(two_offices):
    from antrean.kernel.errors import NotFound

    a, b, _ = two_offices
    ticket, _ = a.tickets.issue("ktp")
    assert a.tickets.by_token(ticket["token"])["number"] == ticket["number"]
    with pytest.raises(NotFound):
        b.tickets.by_token(ticket["token"])


# -- sessions end when they should -------------------------------------------------------------------
@pytest.fixture
def sessions(app, make_user):
    from .test_console import login

    core = app.extensions["antrean"]
    clerk = make_user(core, "loket", ["petugas_pelayanan", "petugas_verifikasi"])
    admin = make_user(core, "admin", ["admin"])

    def open_session():
        """A logged-in client and a second client holding a copy of its session cookie."""
        c = app.test_client()
        token = login(c, "loket")
        copy = app.test_client()
        copy.set_cookie("session", c.get_cookie("session").value)
        assert copy.get("/console/kerja").status_code == 200
        return c, copy, token

    return core, clerk, admin, open_session


def _refused(client) -> bool:
    r = client.get("/console/kerja")
    return r.status_code == 302 and "/console/masuk" in r.location


def test_a_copied_cookie_dies_with_logout(sessions):
    core, clerk, admin, open_session = sessions
    c, copy, token = open_session()
    api_token = core.users.issue_token(clerk)["token"]
    assert c.post("/console/keluar", data={"csrf_token": token}).status_code == 302
    assert _refused(copy) and _refused(c)
    assert core.users.actor_for_token(api_token) is None
    assert any(e["action"] == "auth.logout" for e in core.audit_log(admin)["items"])


def test_api_logout_ends_the_token_and_the_sessions(sessions, app):
    core, clerk, admin, open_session = sessions
    c, copy, _ = open_session()
    api_token = core.users.issue_token(clerk)["token"]
    h = {"Authorization": f"Bearer {api_token}"}
    client = app.test_client()
    assert client.get("/api/v1/worklist", headers=h).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=h).status_code == 200
    assert client.get("/api/v1/worklist", headers=h).status_code == 401
    assert _refused(copy)


@pytest.mark.parametrize(
    "change",
    [
        {"password": "baru-sekali-1"},
        {"active": False},
        {"roles": ["petugas_pelayanan"]},
        {"offices": ["kecamatan", "kec-2"]},
    ],
)
def test_password_change_disabling_or_narrowing_ends_every_session_and_token(sessions, change):
    core, clerk, admin, open_session = sessions
    c, copy, _ = open_session()
    api_token = core.users.issue_token(clerk)["token"]
    regent = core.users.get(core.users.create(SYSTEM, "bupati", "rahasia123", ["admin"], offices=["*"])["id"])
    core.users.update(regent if "offices" in change else admin, clerk.id, **change)  # offices: a regency matter
    assert _refused(c) and _refused(copy)
    assert core.users.actor_for_token(api_token) is None


def test_adding_a_role_or_renaming_keeps_the_session(sessions):
    core, clerk, admin, open_session = sessions
    c, copy, _ = open_session()
    core.users.update(
        admin, clerk.id, roles=["petugas_pelayanan", "petugas_verifikasi", "petugas_register"], full_name="Nama Baru"
    )
    assert not _refused(c) and not _refused(copy)


def test_an_account_from_before_offices_counts_as_every_office(two_offices):
    """users.offices NULL (revision 0001) is every office: only a regency admin may change it."""
    from antrean.kernel.errors import Forbidden
    from antrean.kernel.models import User

    a, _, p = two_offices
    with a.db.write() as s:
        s.get(User, p["clerk_a"]["id"]).offices = None
    with pytest.raises(Forbidden):
        a.users.update(a.users.authenticate("admin-a", "rahasia123"), p["clerk_a"]["id"], password="lama-sekali-1")


def test_no_actor_is_refused_with_a_clear_401(app):
    """``require`` with nobody logged in (a face that forgot its log-in check) is a 401, not an AttributeError."""
    from antrean.kernel import policy

    core = app.extensions["antrean"]
    assert policy.can(core, None, "report.read") is False
    with pytest.raises(Unauthorized) as exc:
        policy.require(core, None, "report.read")
    assert exc.value.message("id") == "Silakan masuk terlebih dahulu."
