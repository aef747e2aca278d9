"""The 20 SOPs carried end to end through the HTTP API, role by role.

Every step is done by a user holding the office role the step needs; before
each step a user with another role tries and gets 403 with nothing changed.
Also: 401 without login, 400 when a session-authenticated POST lacks the CSRF
header, the TMS path, and agenda numbers under concurrent registrations.
"""

from __future__ import annotations

import re
import threading

import pytest

from antrean.kernel.plugins import build_plugin_host
from antrean.kernel.sop import STAFF_ROLES
from plugins import BUILTIN_SOP_MODULES
from tests.integration.test_console import login

SOP_CODES = list(build_plugin_host(builtins=BUILTIN_SOP_MODULES, entry_points=False).sops)
WORK_ROLES = [r for r in STAFF_ROLES if r != "admin"]
NIK = "3201234507890001"


class Office:
    """One app with one counter calling everything and one user per staff role, each with a bearer token.

    Module-scoped: password hashing makes users expensive; every test consumes the tickets it issues.
    """

    def __init__(self, app):
        from antrean.kernel.actors import SYSTEM, Actor

        self.app, self.core, self.client = app, app.extensions["antrean"], app.test_client()
        self.admin = Actor(None, "test-admin", frozenset({"admin"}))
        self.counter = self.core.queue.save_counter(self.admin, name="Loket 1", number=1, services=list(self.core.sops))
        self.users, self.h = {}, {}
        for role in WORK_ROLES:
            u = self.core.users.create(SYSTEM, role.replace("_", "-"), "rahasia123", [role], f"Pak {STAFF_ROLES[role]}")
            self.users[role] = self.core.users.get(u["id"])
            r = self.client.post("/api/v1/auth/token", json={"username": u["username"], "password": "rahasia123"})
            assert r.status_code == 200, r.json
            self.h[role] = {"Authorization": f"Bearer {r.json['token']}"}


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    from antrean import create_app

    app = create_app(
        {
            "instance_path": str(tmp_path_factory.mktemp("instance")),
            "testing": True,
            "start_workers": False,
            "office_name": "Kantor Kecamatan Uji",
        }
    )
    yield Office(app)
    app.extensions["antrean"].close()


AGENDA_SEEN: set[str] = set()


def _issue_and_open(o, code: str) -> dict:
    c = o.client
    ticket = c.post("/api/v1/tickets", json={"service": code}).json
    call = c.post(f"/api/v1/counters/{o.counter['id']}/call-next", headers=o.h["petugas_pelayanan"]).json["call"]
    assert call["number"] == ticket["number"]
    front = o.core.service(code)["steps"][0]["office_role"]
    r = c.post(
        "/api/v1/applications",
        headers=o.h[front],
        json={"ticket": ticket["id"], "applicant_name": "Siti Aminah", "nik": NIK, "phone": "081234567890"},
    )
    assert r.status_code == 201, r.json
    return r.json


@pytest.mark.parametrize("code", SOP_CODES)
def test_sop_end_to_end_by_the_right_roles(office, code):
    o, c = office, office.client
    assert len(SOP_CODES) == 20
    sop = o.core.sops[code]
    svc_steps = o.core.service(code)["steps"]
    app = _issue_and_open(o, code)
    assert app["current_step"]["no"] == 2 and app["nik"] == app["nik_masked"] == "3201********0001"
    front = svc_steps[0]["office_role"]
    assert c.post(f"/api/v1/applications/{app['id']}/nik", headers=o.h[front]).json["nik"] == NIK
    step_calls = 0
    for st, svc_step in zip(sop.steps[1:], svc_steps[1:]):
        role = svc_step["office_role"]
        # someone else first: 403, and the application is untouched
        wrong = next(r for r in WORK_ROLES if r != role)
        before = c.get(f"/api/v1/applications/{app['id']}", headers=o.h[role]).json
        r = c.post(f"/api/v1/applications/{app['id']}/steps/{st.no}", headers=o.h[wrong], json={"outcome": "MS"})
        assert r.status_code == 403, (code, st.no, r.json)
        assert r.json["error"] == "forbidden" and STAFF_ROLES[role] in r.json["message"]
        after = c.get(f"/api/v1/applications/{app['id']}", headers=o.h[role]).json
        assert (after["current_step"]["no"], after["timeline"]) == (before["current_step"]["no"], before["timeline"])
        # the right role: the step is logged with minutes against its standard
        body = {"outcome": "MS" if st.tms else "DONE", "note": f"langkah {st.no}", "counter": o.counter["id"]}
        r = c.post(f"/api/v1/applications/{app['id']}/steps/{st.no}", headers=o.h[role], json=body)
        assert r.status_code == 200, (code, st.no, r.json)
        app = r.json
        log = app["timeline"][-1]
        assert (log["step"], log["role"], log["actor"]) == (st.no, role, f"Pak {STAFF_ROLES[role]}")
        assert log["standard_minutes"] == st.minutes and log["minutes"] >= 0
        assert log["outcome"] == ("MS" if st.tms else "DONE")
        if st.no < sop.last_step:
            nxt = sop.step(st.no + 1)
            step_calls += nxt.applicant_present and not st.applicant_present
    assert app["status"] == "done" and app["current_step"] is None
    assert [t["step"] for t in app["timeline"]] == [s.no for s in sop.steps]
    if any(s.kind == "register" for s in sop.steps):
        assert re.fullmatch(rf"\d{{4}}/{re.escape(sop.agenda_code)}/Kec/[IVX]+/\d{{4}}", app["agenda_number"])
        assert app["agenda_number"] not in AGENDA_SEEN
        AGENDA_SEEN.add(app["agenda_number"])
    else:
        assert app["agenda_number"] is None
    # applicant-present steps called the ticket back to the counter (the display shows these calls)
    calls = [x for x in o.core.queue.snapshot()["calls"] if x["number"] == app["ticket"]]
    assert sum(1 for x in calls if x["kind"] == "step") == step_calls
    assert o.core.tickets.get(app["ticket_id"])["status"] == "done"
    # the finished application is in nobody's worklist
    for role in WORK_ROLES:
        assert all(i["id"] != app["id"] for i in c.get("/api/v1/worklist", headers=o.h[role]).json["items"])


def test_no_login_gets_401_and_changes_nothing(office):
    o, c = office, office.client
    app = _issue_and_open(o, "ktp")
    audit = o.core.audit_log(o.admin)["total"]
    for method, url, body in [
        ("post", f"/api/v1/applications/{app['id']}/steps/2", {"outcome": "DONE"}),
        ("post", "/api/v1/applications", {"service": "ktp", "applicant_name": "X"}),
        ("post", f"/api/v1/counters/{o.counter['id']}/call-next", {}),
        ("get", "/api/v1/worklist", None),
        ("get", f"/api/v1/applications/{app['id']}", None),
    ]:
        r = getattr(c, method)(url, json=body)
        assert r.status_code == 401, url
        assert r.json["error"] == "unauthorized"
    r = c.post(
        f"/api/v1/applications/{app['id']}/steps/2",
        json={"outcome": "DONE"},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert r.status_code == 401
    assert o.core.workflow.get(app["id"])["current_step"]["no"] == 2
    assert o.core.audit_log(o.admin)["total"] == audit


def test_session_post_without_csrf_gets_400(app, counter, make_user):
    core = app.extensions["antrean"]
    clerk = make_user(core, "loket", ["petugas_pelayanan"])
    browser = app.test_client()
    csrf = login(browser, clerk.username)
    core.tickets.issue("kk")
    url = f"/api/v1/counters/{counter['id']}/call-next"
    r = browser.post(url, json={})
    assert r.status_code == 400 and r.json["error"] == "csrf"
    r = browser.post(url, json={}, headers={"X-CSRFToken": "forged"})
    assert r.status_code == 400
    assert core.queue.current(counter["id"]) is None  # nothing was called
    r = browser.post(url, json={}, headers={"X-CSRFToken": csrf})
    assert r.status_code == 200 and r.json["call"]["number"].endswith("001")
    # GETs need no token; the console's own forms refuse a POST without one too
    assert browser.get("/api/v1/worklist").status_code == 200
    assert browser.post("/console/keluar").status_code == 400


def test_tms_returns_the_file_with_the_missing_documents(office):
    o, c = office, office.client
    app = _issue_and_open(o, "ktp")
    c.post(f"/api/v1/applications/{app['id']}/steps/2", headers=o.h["petugas_pelayanan"], json={"outcome": "DONE"})
    checklist = o.core.service("ktp")["documents"]
    url = f"/api/v1/applications/{app['id']}/steps/3"
    h = o.h["petugas_verifikasi"]
    r = c.post(url, headers=h, json={"outcome": "TMS", "missing_documents": ["Surat dari bulan"]})
    assert r.status_code == 422 and r.json["field"] == "missing_documents"
    r = c.post(url, headers=h, json={"outcome": "TMS"})
    assert r.status_code == 422  # neither documents nor a reason
    r = c.post(url, headers=h, json={"outcome": "TMS", "missing_documents": checklist[:1], "note": "KK belum dibawa"})
    assert r.status_code == 200, r.json
    done = r.json
    assert done["status"] == "returned" and done["missing_documents"] == checklist[:1]
    assert done["tms_reason"] == "KK belum dibawa" and done["agenda_number"] is None
    assert done["timeline"][-1]["outcome"] == "TMS" and done["timeline"][-1]["missing_documents"] == checklist[:1]
    r = c.post(f"/api/v1/applications/{app['id']}/steps/4", headers=o.h["petugas_register"], json={"outcome": "DONE"})
    assert r.status_code == 409 and r.json["error"] == "closed"
    assert all(i["id"] != app["id"] for i in c.get("/api/v1/worklist", headers=o.h["petugas_register"]).json["items"])


def test_two_clerks_calling_at_once_never_get_the_same_ticket(app, core_admin_counters, make_user):
    core, counters = core_admin_counters
    token = _token(app, make_user(core, "loket", ["petugas_pelayanan"]))
    for _ in range(10):
        core.tickets.issue("sktm")
    got, errors = [], []
    barrier = threading.Barrier(2)

    def clerk(cid):
        client = app.test_client()
        barrier.wait(10)
        for _ in range(5):
            r = client.post(f"/api/v1/counters/{cid}/call-next", headers={"Authorization": f"Bearer {token}"})
            (got.append(r.json["call"]["number"]) if r.status_code == 200 else errors.append(r.json))

    threads = [threading.Thread(target=clerk, args=(c["id"],)) for c in counters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(got) == [f"{core.service('sktm')['letter']}{n:03d}" for n in range(1, 11)]


@pytest.fixture
def core_admin_counters(app, admin):
    core = app.extensions["antrean"]
    return core, [core.queue.save_counter(admin, name=f"Loket {n}", number=n, services=list(core.sops)) for n in (1, 2)]


def _token(app, user) -> str:
    r = app.test_client().post("/api/v1/auth/token", json={"username": user.username, "password": "rahasia123"})
    return r.json["token"]


# The agenda-number race (SQLite and PostgreSQL) is tested once: tests/unit/test_workflow.py::_agenda_race.
