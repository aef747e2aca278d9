"""schemathesis against /api/v1/openapi.json (generated from the routes' schemas, antrean/web/openapi.py), bounded
(every operation, MAX_EXAMPLES each, positive and negative data, anonymous and with a staff token: under a minute
on 2 cores). Checks: no server error (500 or a false 503), every status documented, every
response in its documented schema, content types and headers (Allow on 405) as documented.

Not checked: that every schema-valid request is accepted (positive_data_acceptance): the description does not
model every business rule (an unknown service code, a 4-digit PIN…), which answer 404/409/422 by design.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    allow_header_conformance,
]
MAX_EXAMPLES = 15
GENEROUS = "100000/second"


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """One app for the whole run (its rate limits and login throttle opened up: the fuzzer is one caller)."""
    from antrean import create_app
    from antrean.kernel.actors import SYSTEM, Actor

    app = create_app(
        {
            "instance_path": str(tmp_path_factory.mktemp("fuzz")),
            "testing": True,
            "start_workers": False,
            "rate_ticket": GENEROUS,
            "rate_ticket_service_day": GENEROUS,
            "rate_status": GENEROUS,
            "rate_login": GENEROUS,
            "rate_board": GENEROUS,
            "rate_booking": GENEROUS,
            "rate_booking_read": GENEROUS,
            "login_max_failures": 10**6,
            "login_max_failures_address": 10**6,
        }
    )
    core = app.extensions["antrean"]
    admin = Actor(None, "fuzz-admin", frozenset({"admin"}))
    core.queue.save_counter(admin, name="Loket 1", number=1, services=list(core.sops))
    core.users.create(SYSTEM, "fuzz", "rahasia123", ["admin", "petugas_pelayanan", "petugas_verifikasi"], "Fuzz")
    core.tickets.issue("ktp")
    token = app.test_client().post("/api/v1/auth/token", json={"username": "fuzz", "password": "rahasia123"}).json
    app.config["FUZZ_TOKEN"] = token["token"]
    yield app
    core.close()


FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


def fuzz(app, headers=None) -> list[str]:
    """Every operation, positive and negative data; the failures found (schemathesis' reports), one per operation.
    Every operation of the document (all but the document itself) must have been called at least once."""
    from hypothesis import given
    from schemathesis.generation import GenerationMode

    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    calls: dict[str, int] = {}
    for result in api.get_all_operations():
        op = result.ok()
        calls[op.label] = 0
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                strategy = op.as_strategy(generation_mode=mode)
            except Exception:  # noqa: BLE001 - nothing negative to generate (no parameters): nothing to test
                continue

            label = op.label

            @FUZZ
            @given(strategy)
            def run(case):
                calls[label] += 1  # noqa: B023 - run() is called below, in this iteration
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Exception as exc:  # noqa: BLE001 - collected and reported below
                if type(exc).__name__ == "Unsatisfiable":
                    continue  # e.g. no negative value exists for a route without parameters
                failures.append(f"{op.label} ({mode.value}): {exc}"[:3000])
    assert len(calls) >= 38 and all(calls.values()), {k: v for k, v in calls.items() if not v}
    print(f"schemathesis: {len(calls)} operations, {sum(calls.values())} requests")
    return failures


@pytest.mark.slow
def test_api_matches_its_description_anonymous(fuzz_app):
    failures = fuzz(fuzz_app)
    assert not failures, "\n\n".join(failures)


@pytest.mark.slow
def test_api_matches_its_description_with_a_staff_token(fuzz_app):
    failures = fuzz(fuzz_app, {"Authorization": "Bearer " + fuzz_app.config["FUZZ_TOKEN"]})
    assert not failures, "\n\n".join(failures)


def test_the_description_lists_every_api_route(app):
    """Every /api/v1 route (the printers' too: plugins declare theirs the same way) is in the description, with the
    schemas its view declared (antrean.web.openapi.api): none is listed as '(not described)'."""
    import re

    from antrean.web.openapi import operation_of

    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    routes = 0
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            assert operation_of(app.view_functions[rule.endpoint]) is not None, f"{rule.rule} declares no schema"
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1") :])
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes += 1
                op = paths.get(path, {}).get(method.lower())
                assert op is not None, f"{method} {path} is not in openapi.json"
                assert "not described" not in op["summary"]
                ok = [code for code in op["responses"] if code.startswith("2")]
                assert ok and all(c in op["responses"] for c in ("400",)), (method, path)
    assert routes == sum(len(item) for item in paths.values()) >= 39


def _resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _object_schema(spec, schema):
    """The object branch of a schema (X | None is anyOf [X, null])."""
    schema = _resolve(spec, schema)
    for branch in schema.get("anyOf", ()):
        if _resolve(spec, branch).get("type") == "object":
            return _resolve(spec, branch)
    return schema


def _check_keys(spec, schema, value, where, exact):
    """Every key of ``value`` (and of the objects inside it) is declared; for ``exact`` schema names, every declared
    key is also sent."""
    if isinstance(value, dict):
        obj = _object_schema(spec, schema)
        props = obj.get("properties")
        if props is None:
            return
        assert set(value) <= set(props) or obj.get("additionalProperties") is True, (
            f"{where}: undeclared {sorted(set(value) - set(props))}"
        )
        name = schema.get("$ref", "").rsplit("/", 1)[-1]
        if name in exact:
            assert set(value) == set(props) - exact[name], (
                f"{where}: declared but not sent {sorted(set(props) - exact[name] - set(value))}"
            )
        for k, v in value.items():
            if k in props:
                _check_keys(spec, props[k], v, f"{where}.{k}", exact)
    elif isinstance(value, list) and value:
        items = _resolve(spec, schema).get("items") or next(
            (b.get("items") for b in _resolve(spec, schema).get("anyOf", ()) if "items" in b), None
        )
        if items:
            for i, v in enumerate(value[:3]):
                _check_keys(spec, items, v, f"{where}[{i}]", exact)


def test_every_field_of_the_main_objects_is_in_the_schema(app, make_user):
    """Real responses against the generated schemas: the ticket (31 fields), booking, application, service, call,
    counter state and IKM send exactly the declared fields (less the ones only some responses carry)."""
    from datetime import date, timedelta

    core = app.extensions["antrean"]
    c = app.test_client()
    spec = c.get("/api/v1/openapi.json").json
    ticket_props = spec["components"]["schemas"]["Ticket"]["properties"]
    assert len(ticket_props) >= 30
    make_user(core, "ana", ["admin", "petugas_pelayanan", "petugas_verifikasi", "camat"])
    h = {
        "Authorization": "Bearer "
        + c.post("/api/v1/auth/token", json={"username": "ana", "password": "rahasia123"}).json["token"]
    }
    from antrean.core import Actor

    core.queue.save_counter(Actor(None, "t", frozenset({"admin"})), name="Loket 1", number=1, services=list(core.sops))
    cid = core.queue.counters()[0]["id"]

    def check(path, response, status="200", exact=None, method="get"):
        assert response.status_code == int(status), (path, response.status_code, response.json)
        schema = spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
        _check_keys(spec, schema, response.json, path, exact or {})

    issued = c.post("/api/v1/tickets", json={"service": "ktp"})
    check(
        "/tickets",
        issued,
        "201",
        {
            "Ticket": {
                "outcome",
                "outcome_at",
                "first_called_at",
                "started_at",
                "finished_at",
                "recall_count",
                "cancel_reason",
                "transferred_from",
                "now_calling",
                "booking",
            }
        },
        "post",
    )
    check("/tickets/{token}", c.get(f"/api/v1/tickets/{issued.json['token']}"), exact={"Ticket": {"booking", "print"}})
    check("/services", c.get("/api/v1/services"), exact={"Service": set(), "Step": set()})
    call = c.post(f"/api/v1/counters/{cid}/call-next", headers=h)
    check("/counters/{counter_id}/call-next", call, exact={"Call": set(), "CallResult": {"message"}}, method="post")
    check(
        "/counters/{counter_id}",
        c.get(f"/api/v1/counters/{cid}", headers=h),
        exact={"CounterState": set(), "CounterFull": set(), "Ticket": {"booking", "print", "now_calling"}},
    )
    opened = c.post(
        "/api/v1/applications",
        headers=h,
        json={"ticket": issued.json["id"], "applicant_name": "Siti", "nik": "3201010101010001"},
    )
    check("/applications", opened, "201", {"Application": set(), "CurrentStep": set()}, "post")
    step = c.post(f"/api/v1/applications/{opened.json['id']}/steps/2", headers=h, json={"outcome": "DONE"})
    check(
        "/applications/{app_id}/steps/{step_no}",
        step,
        exact={"Application": set(), "TimelineEntry": set()},
        method="post",
    )
    check("/worklist", c.get("/api/v1/worklist", headers=h), exact={"WorkItem": set()})
    check(
        "/reports/ikm",
        c.get("/api/v1/reports/ikm?from=2026-01-01&to=2026-12-31", headers=h),
        exact={"Ikm": set(), "IkmElement": set()},
    )
    check("/reports/summary", c.get("/api/v1/reports/summary", headers=h), exact={"Summary": set(), "Period": set()})
    check("/calendar", c.get("/api/v1/calendar"), exact={"CalendarNow": set(), "CalendarDay": set()})
    day = (date.today() + timedelta(days=1)).isoformat()
    slots = c.get(f"/api/v1/booking/slots?service=ktp&date={day}")
    check("/booking/slots", slots)
    free = [s for s in slots.json["slots"] if s["free"]]
    assert free  # the tests' calendar is off: every day is open
    if free:
        booked = c.post(
            "/api/v1/bookings",
            json={
                "service": "ktp",
                "date": day,
                "start": free[0]["start"],
                "name": "Siti",
                "phone": "081234567890",
                "nik": "3201010101010002",
            },
        )
        check("/bookings", booked, "201", {"Booking": set()}, "post")
        check(
            "/bookings/{code}",
            c.get(f"/api/v1/bookings/{booked.json['code']}"),
            exact={"Booking": {"cancel_token", "manage_url"}},
        )


@pytest.mark.parametrize(
    "payload, status, field, message",
    [
        ({}, 422, "service", "Kolom 'service' wajib diisi."),
        ({"service": None}, 422, "service", "Kolom 'service' wajib diisi."),
        ({"service": 12}, 422, "service", "Kolom 'service' tidak sah."),
        ({"service": "ktp", "priority": "vip"}, 422, "priority", "Kolom 'priority' tidak sah."),
        ({"service": "ktp", "device_id": ["k"]}, 422, "device_id", "Kolom 'device_id' tidak sah."),
    ],
)
def test_a_request_outside_its_schema_is_a_422_naming_the_field(client, payload, status, field, message):
    r = client.post("/api/v1/tickets", json=payload)
    assert r.status_code == status and r.json["error"] == "invalid"
    assert r.json["field"] == field and r.json["message"] == message and r.json["detail"].startswith(field)
    en = client.post("/api/v1/tickets?lang=en", json=payload).json["message"]
    assert field in en and en != message


def test_a_query_outside_its_schema_is_a_422_naming_the_parameter(client):
    r = client.get("/api/v1/booking/slots?service=ktp&date=2026-13-01")
    assert r.status_code == 422 and r.json["field"] == "date"
    assert r.json["message"] == "Parameter 'date' harus tanggal YYYY-MM-DD."
    r = client.get("/api/v1/booking/slots?service=ktp")
    assert r.status_code == 422 and r.json["message"] == "Parameter 'date' wajib diisi."
