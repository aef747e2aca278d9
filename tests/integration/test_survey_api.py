"""The survey's REST interfaces: POST /api/v1/surveys and GET /api/v1/reports/ikm (contract of issue 10)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.integration.test_api import token


@pytest.fixture
def core_(app):
    return app.extensions["antrean"]


@pytest.fixture
def served(core_, admin, make_user):
    """serve() -> the status token of a freshly served ticket."""
    counter = core_.queue.save_counter(admin, name="Loket 1", number=1, services=list(core_.sops))
    clerk = make_user(core_, "ana", ["petugas_pelayanan"])
    for name, role in (("camat", "camat"), ("sekcam", "sekcam"), ("kasi", "kasi_pelayanan"), ("boss", "admin")):
        make_user(core_, name, [role])

    def serve(service="ktp"):
        tok = core_.tickets.issue(service)[0]["token"]
        core_.queue.call_next(counter["id"], clerk)
        core_.queue.start(counter["id"], clerk)
        core_.queue.finish(counter["id"], clerk)
        return tok

    return serve


def test_submit_201_then_409_and_the_ikm_report(client, core_, served):
    tok = served()
    r = client.post(
        "/api/v1/surveys",
        json={
            "ticket": tok,
            "answers": [4, 4, 4, 4, 4, 4, 4, 4, 4],
            "profile": {"sex": "L", "age": 41, "education": "s1", "occupation": "pns"},
            "suggestion": "Mantap",
        },
    )
    assert r.status_code == 201, r.json
    assert set(r.json) == {"id", "ticket", "service", "day"}
    again = client.post("/api/v1/surveys", json={"ticket": tok, "answers": [1] * 9})
    assert again.status_code == 409 and again.json["error"] == "already_answered"
    assert "sudah diisi" in again.json["message"]
    assert (
        client.post("/api/v1/surveys?lang=en", json={"ticket": tok, "answers": [1] * 9})
        .json["message"]
        .startswith("The survey for this ticket")
    )
    client.post("/api/v1/surveys", json={"ticket": served("kk"), "answers": [3] * 9})
    today = date.today().isoformat()
    for user in ("camat", "sekcam", "kasi", "boss"):
        r = client.get(f"/api/v1/reports/ikm?from=2020-01-01&to={today}", headers=token(client, user))
        assert r.status_code == 200, (user, r.json)
    body = r.json
    assert (body["ikm"], body["grade"], body["respondents"]) == (87.5, "B", 2)  # NRR 3.5 → 87.50
    assert body["weight"] == pytest.approx(1 / 9)
    assert body["elements"][2] == {
        "code": "U3",
        "name": "Waktu penyelesaian",
        "name_en": "Completion time",
        "nrr": 3.5,
        "respondents": 2,
        "weight": pytest.approx(1 / 9),
    }
    kk = client.get(f"/api/v1/reports/ikm?from=2020-01-01&to={today}&service=kk", headers=token(client, "camat"))
    assert (kk.json["ikm"], kk.json["grade"], kk.json["respondents"]) == (75.0, "C", 1)


def test_unserved_unknown_and_bad_input(client, core_, served):
    tok = served()
    waiting = core_.tickets.issue("ktp")[0]["token"]
    r = client.post("/api/v1/surveys", json={"ticket": waiting, "answers": [4] * 9})
    assert r.status_code == 409 and r.json["error"] == "not_served"
    assert client.post("/api/v1/surveys", json={"ticket": "tidakadatokenini", "answers": [4] * 9}).status_code == 404
    for bad in (
        {"ticket": tok, "answers": [4] * 8},
        {"ticket": tok, "answers": [5] * 9},
        {"ticket": tok, "answers": "444444444"},
        {"ticket": tok},
        {"ticket": tok, "answers": [4.0] * 9},
        {"ticket": tok, "answers": [4] * 9, "profile": {"sex": "?"}},
        {"ticket": tok, "answers": [4] * 9, "suggestion": 12},
        {"ticket": 5, "answers": [4] * 9},
        {"answers": [4] * 9},
    ):
        r = client.post("/api/v1/surveys", json=bad)
        assert r.status_code == 422, (bad, r.status_code, r.json)
        assert r.json["message"]
    assert client.post("/api/v1/surveys", data="{", content_type="application/json").status_code == 400
    assert client.post("/api/v1/surveys", json={"ticket": tok, "answers": [2] * 9}).status_code == 201


def test_ikm_report_needs_a_report_role_and_valid_dates(client, core_, served, make_user):
    assert client.get("/api/v1/reports/ikm?from=2026-01-01&to=2026-01-31").status_code == 401
    forbidden = client.get("/api/v1/reports/ikm?from=2026-01-01&to=2026-01-31", headers=token(client, "ana"))
    assert forbidden.status_code == 403
    h = token(client, "camat")
    for q in (
        "from=2026-01-01",
        "from=2026-13-01&to=2026-12-31",
        "from=2026-02-01&to=2026-01-01",
        "from=2026-01-01&to=2026-01-31&service=nope",
        "from=x&to=y",
    ):
        r = client.get(f"/api/v1/reports/ikm?{q}", headers=h)
        assert r.status_code == 422, (q, r.json)
    empty = client.get("/api/v1/reports/ikm?from=2026-01-01&to=2026-01-31", headers=h).json
    assert (empty["ikm"], empty["grade"], empty["respondents"]) == (None, None, 0)


def test_openapi_describes_both_routes(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "201" in paths["/surveys"]["post"]["responses"] and "409" in paths["/surveys"]["post"]["responses"]
    assert {p["name"] for p in paths["/reports/ikm"]["get"]["parameters"]} == {"from", "to", "service"}
