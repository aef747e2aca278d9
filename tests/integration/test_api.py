"""The REST API: happy paths, auth, and malformed input (never a 500, nothing half-written)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from antrean.kernel.models import Application, Ticket


@pytest.fixture
def core_(app):
    return app.extensions["antrean"]


@pytest.fixture
def setup(app, core_, admin, make_user):
    counter = core_.queue.save_counter(admin, name="Loket 1", number=1, services=list(core_.sops))
    make_user(core_, "ana", ["petugas_pelayanan", "petugas_verifikasi"])
    make_user(core_, "reg", ["petugas_register"])
    return counter


def token(client, user="ana"):
    r = client.post("/api/v1/auth/token", json={"username": user, "password": "rahasia123"})
    assert r.status_code == 200, r.json
    return {"Authorization": "Bearer " + r.json["token"]}


def count(core_, model=Ticket):
    with core_.db.read() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_services_lists_enabled_services_with_steps(client, core_, admin):
    core_.update_service("kk", admin, enabled=False)
    services = client.get("/api/v1/services").json["services"]
    assert len(services) == 19 and "kk" not in {s["code"] for s in services}
    ktp = next(s for s in services if s["code"] == "ktp")
    assert (ktp["letter"], ktp["standard_minutes"], len(ktp["steps"])) == ("B", 15, 7)
    assert set(ktp["steps"][0]) >= {"no", "activity", "role", "minutes", "documents", "output", "applicant_present"}


def test_issue_and_status(client):
    r = client.post("/api/v1/tickets", json={"service": "ktp", "priority": "lansia"})
    assert r.status_code == 201
    t = r.json
    assert t["number"] == "B001" and t["priority"] == "lansia" and t["waiting_ahead"] == 0
    assert len(t["token"]) >= 20 and t["status_url"] == f"/t/{t['token']}"
    status = client.get(t["api_url"]).json
    assert status["number"] == "B001" and status["status"] == "waiting"
    assert client.get("/api/v1/tickets/notarealtoken123").status_code == 404


def test_idempotency_header(client):
    h = {"Idempotency-Key": "kiosk-1:tap-42"}
    a = client.post("/api/v1/tickets", json={"service": "ktp"}, headers=h)
    b = client.post("/api/v1/tickets", json={"service": "ktp"}, headers=h)
    assert (a.status_code, b.status_code) == (201, 200) and a.json["number"] == b.json["number"]


@pytest.mark.parametrize(
    "kwargs,status,error",
    [
        ({"data": "{not json", "content_type": "application/json"}, 400, "bad_json"),
        ({"data": "service=ktp", "content_type": "application/x-www-form-urlencoded"}, 400, "bad_json"),
        ({"json": ["ktp"]}, 400, "bad_json"),
        ({"json": {}}, 422, "invalid"),
        ({"json": {"service": 12}}, 422, "invalid"),
        ({"json": {"service": ["ktp"]}}, 422, "invalid"),
        ({"json": {"service": "ktp", "priority": 3}}, 422, "invalid"),
        ({"json": {"service": "ktp", "priority": "vip"}}, 422, "invalid"),
        ({"json": {"service": "nope"}}, 404, "not_found"),
        ({"data": '{"service": "' + "x" * 70000 + '"}', "content_type": "application/json"}, 413, None),
    ],
)
def test_malformed_ticket_requests(client, core_, kwargs, status, error):
    r = client.post("/api/v1/tickets", **kwargs)
    assert r.status_code == status, r.get_data(as_text=True)[:300]
    assert r.is_json and r.json["message"]
    if error:
        assert r.json["error"] == error
    assert count(core_) == 0


def test_messages_are_indonesian_with_english_on_request(client):
    assert client.post("/api/v1/tickets", json={"service": "nope"}).json["message"] == "Layanan tidak ditemukan."
    assert client.post("/api/v1/tickets?lang=en", json={"service": "nope"}).json["message"] == "Service not found."
    r = client.post("/api/v1/tickets", json={"service": "nope"}, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert r.json["message"] == "Service not found."


def test_staff_endpoints_need_a_token(client, setup):
    assert client.post(f"/api/v1/counters/{setup['id']}/call-next").status_code == 401
    r = client.post(f"/api/v1/counters/{setup['id']}/call-next", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.json["error"] == "unauthorized"
    assert client.post("/api/v1/auth/token", json={"username": "ana", "password": "salah"}).status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "ana"}).status_code == 422


def test_login_is_throttled(client, setup):
    for _ in range(5):
        assert client.post("/api/v1/auth/token", json={"username": "reg", "password": "nope-nope"}).status_code == 401
    r = client.post("/api/v1/auth/token", json={"username": "reg", "password": "rahasia123"})
    assert r.status_code == 429 and "15 menit" in r.json["message"]


def test_counter_actions_and_application_flow(client, core_, setup):
    h = token(client)
    cid = setup["id"]
    assert client.post(f"/api/v1/counters/{cid}/call-next", headers=h).json == {
        "call": None,
        "message": "Tidak ada antrean yang menunggu.",
    }
    english = client.post(f"/api/v1/counters/{cid}/call-next", headers=h | {"Accept-Language": "en"}).json
    assert english == {"call": None, "message": "Nobody is waiting."}  # from the catalog, in the asked language
    client.post("/api/v1/tickets", json={"service": "ktp"})
    client.post("/api/v1/tickets", json={"service": "ktp"})
    call = client.post(f"/api/v1/counters/{cid}/call-next", headers=h).json["call"]
    assert call["number"] == "B001" and call["counter"]["number"] == 1
    assert client.post(f"/api/v1/counters/{cid}/recall", headers=h).json["call"]["kind"] == "recall"
    state = client.get(f"/api/v1/counters/{cid}", headers=h).json
    assert state["current"]["number"] == "B001" and [w["number"] for w in state["waiting"]] == ["B002"]
    r = client.post(
        "/api/v1/applications",
        json={"ticket": call["ticket_id"], "applicant_name": "Budi", "nik": "3201011501900001"},
        headers=h,
    )
    assert r.status_code == 201
    app_id = r.json["id"]
    assert client.post(f"/api/v1/applications/{app_id}/steps/2", json={"outcome": "DONE"}, headers=h).status_code == 200
    assert client.post(f"/api/v1/applications/{app_id}/steps/3", json={"outcome": "MS"}, headers=h).status_code == 200
    # wrong role: 403 and nothing changes
    r = client.post(f"/api/v1/applications/{app_id}/steps/4", json={"outcome": "DONE"}, headers=h)
    assert r.status_code == 403 and "Petugas Register" in r.json["message"]
    assert client.get(f"/api/v1/applications/{app_id}", headers=h).json["current_step"]["no"] == 4
    r = client.post(f"/api/v1/applications/{app_id}/steps/4", json={"outcome": "DONE"}, headers=token(client, "reg"))
    assert r.json["agenda_number"].startswith("0001/KTP/")
    timeline = client.get(f"/api/v1/applications/{app_id}", headers=h).json["timeline"]
    assert [t["step"] for t in timeline] == [1, 2, 3, 4]
    assert client.get("/api/v1/worklist", headers=token(client, "reg")).json["items"] == []


def test_lifecycle_over_the_api(client, core_, setup):
    """A stale screen is refused (409 stale), finish needs a start, cancel needs a reason; outcomes are shown."""
    h = token(client)
    cid = setup["id"]
    a = client.post("/api/v1/tickets", json={"service": "ktp"}).json
    b = client.post("/api/v1/tickets", json={"service": "ktp"}).json
    call = client.post(f"/api/v1/counters/{cid}/call-next", json={"current": None}, headers=h).json["call"]
    r = client.post(f"/api/v1/counters/{cid}/call-next", json={"current": None}, headers=h)
    assert r.status_code == 409 and r.json["error"] == "stale" and call["number"] in r.json["message"]
    r = client.post(f"/api/v1/counters/{cid}/finish", headers=h)
    assert r.status_code == 409 and r.json["error"] == "not_started"
    r = client.post(f"/api/v1/tickets/{b['id']}/cancel", json={"reason": ""}, headers=h)
    assert r.status_code == 422
    r = client.post(f"/api/v1/tickets/{b['id']}/cancel", json={"reason": "Pemohon membatalkan"}, headers=h)
    assert r.json["ticket"]["outcome"] == "cancelled"
    assert client.get(f"/t/{b['token']}.json").json["outcome"] == "cancelled"  # the status page says so
    assert client.post(f"/api/v1/tickets/{b['id']}/cancel", json={"reason": "x"}).status_code == 401
    client.post(f"/api/v1/counters/{cid}/start", headers=h)
    assert client.post(f"/api/v1/counters/{cid}/finish", headers=h).json["ticket"]["outcome"] == "served"
    status = client.get(f"/api/v1/tickets/{a['token']}").json
    assert status["outcome"] == "served" and status["started_at"] and status["finished_at"]


@pytest.mark.parametrize(
    "path,payload,status",
    [
        ("/api/v1/applications", {"ticket": "1", "applicant_name": "A"}, 422),
        ("/api/v1/applications", {"ticket": 99999, "applicant_name": "A"}, 404),
        ("/api/v1/applications", {"service": "ktp"}, 422),
        ("/api/v1/applications", {"service": "ktp", "applicant_name": "A", "nik": "12"}, 422),
        ("/api/v1/applications/99999/steps/2", {"outcome": "DONE"}, 404),
        ("/api/v1/counters/99999/call-next", None, 404),
        ("/api/v1/counters/{cid}/transfer", {"service": 5}, 422),
        ("/api/v1/counters/{cid}/transfer", {"service": "nope"}, 422),
        ("/api/v1/counters/{cid}/skip", None, 409),
        ("/api/v1/counters/{cid}/call", {"ticket": True}, 422),
    ],
)
def test_malformed_staff_requests(client, core_, setup, path, payload, status):
    h = token(client)
    r = (
        client.post(path.format(cid=setup["id"]), json=payload, headers=h)
        if payload is not None
        else client.post(path.format(cid=setup["id"]), headers=h)
    )
    assert r.status_code == status, r.json
    assert r.json["message"]
    assert count(core_, Application) == 0


def test_openapi_describes_every_api_route(client, app):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    documented = {p.replace("{", "<").replace("}", ">") for p in spec["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint.startswith("api."):
            path = rule.rule[len("/api/v1") :].replace("<int:", "<")
            if path != "/openapi.json":
                assert path in documented, path


def test_plugins_json_and_health(client):
    data = client.get("/-/plugins.json").json
    names = {p["name"] for p in data["plugins"]}
    assert {"plugins.ktp", "plugins.pengaduan"} <= names
    assert sum(len(p["sops"]) for p in data["plugins"]) == 20
    assert client.get("/-/health").json["status"] == "ok"


def test_database_gone_gives_503_in_indonesian(client, core_):
    """The database file disappears under a running server: a clear 503, then recovery."""
    import os

    client.post("/api/v1/tickets", json={"service": "ktp"})
    core_.db.dispose()
    db_file = core_.settings.database_url.replace("sqlite:///", "")
    os.rename(db_file, db_file + ".moved")
    try:
        r = client.post("/api/v1/tickets", json={"service": "ktp"})
        assert r.status_code == 503 and "tidak hilang" in r.json["message"]
        assert r.json["error"] == "unavailable"
    finally:
        core_.db.dispose()
        os.replace(db_file + ".moved", db_file)
    r = client.post("/api/v1/tickets", json={"service": "ktp"})
    assert r.status_code == 201 and r.json["number"] == "B002"


def test_plugins_page_lists_plugins_and_skipped_ones(settings_dict, migrated_sqlite):
    from antrean import create_app

    app = create_app(settings_dict, plugins=("tests.unit.fixtures.broken_sop_plugin",))
    try:
        html = app.test_client().get("/-/plugins").get_data(as_text=True)
        assert "plugins.ktp" in html and "register_sops" in html
        assert "tests.unit.fixtures.broken_sop_plugin" in html and "steps[1].role" in html
    finally:
        app.extensions["antrean"].close()


def test_issuing_hooks_see_the_request(settings_dict, migrated_sqlite):
    """ticket_issuing runs in SQLite's group-commit thread, still inside the caller's request context."""
    from flask import request

    from antrean import create_app
    from antrean.kernel.hookspecs import hookimpl

    class SeesRequest:
        @hookimpl
        def ticket_issuing(self, core, conn, ticket):
            ticket["seen_host"] = request.host

    app = create_app(settings_dict, plugins=(SeesRequest(),))
    try:
        r = app.test_client().post("/api/v1/tickets", json={"service": "ktp"}, base_url="http://kios.kecamatan:8080")
        assert r.status_code == 201 and r.json["seen_host"] == "kios.kecamatan:8080"
    finally:
        app.extensions["antrean"].close()


def test_pages_stay_indonesian_whatever_the_browser_language(client):
    """An office PC with an English OS still gets Indonesian pages; ?lang=en switches on request."""
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}
    page = client.get("/console/masuk", headers=english_browser).get_data(as_text=True)
    assert "Masuk" in page
    assert "Log in" in client.get("/console/masuk?lang=en").get_data(as_text=True)
    assert "Log in" in client.get("/console/masuk").get_data(as_text=True)  # the choice is remembered
    assert "Masuk" in client.get("/console/masuk?lang=id").get_data(as_text=True)


def test_api_calls_of_the_offices_own_pages_follow_the_page_language(client):
    """The kiosk's fetch carries the browser's Accept-Language; a same-origin call (Sec-Fetch-Site) answers in the
    office language like the page itself, another API client still gets English when it asks for it."""
    english = {"Accept-Language": "en-US,en;q=0.9"}
    r = client.post("/api/v1/tickets", json={"service": "nope"}, headers={**english, "Sec-Fetch-Site": "same-origin"})
    assert r.json["message"] == "Layanan tidak ditemukan."
    assert (
        client.post("/api/v1/tickets", json={"service": "nope"}, headers=english).json["message"]
        == "Service not found."
    )
    r = client.post("/api/v1/tickets?lang=en", json={"service": "nope"}, headers={"Sec-Fetch-Site": "same-origin"})
    assert r.json["message"] == "Service not found."  # a chosen language still wins
