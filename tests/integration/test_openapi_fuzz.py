"""schemathesis against /api/v1/openapi.json, bounded (about a minute on 2 cores): anonymous and with a staff
token, positive and negative data. Checks: no server error (500 or a false 503), every status documented, every
response in its documented schema, content types and headers (Allow on 405) as documented.

Not checked: that every schema-valid request is accepted (positive_data_acceptance): the description does not
model every business rule (an unknown service code, a 4-digit PIN…), which answer 404/409/422 by design.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (allow_header_conformance, content_type_conformance, not_a_server_error,
                                 response_headers_conformance, response_schema_conformance, status_code_conformance)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, allow_header_conformance]
MAX_EXAMPLES = 20
GENEROUS = "100000/second"


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """One app for the whole run (its rate limits and login throttle opened up: the fuzzer is one caller)."""
    from antrean import create_app
    from antrean.kernel.actors import SYSTEM, Actor

    app = create_app({"instance_path": str(tmp_path_factory.mktemp("fuzz")), "testing": True, "start_workers": False,
                      "rate_ticket": GENEROUS, "rate_ticket_service_day": GENEROUS, "rate_status": GENEROUS,
                      "rate_login": GENEROUS, "rate_board": GENEROUS,
                      "rate_booking": GENEROUS, "rate_booking_read": GENEROUS, "login_max_failures": 10 ** 6,
                      "login_max_failures_address": 10 ** 6})
    core = app.extensions["antrean"]
    admin = Actor(None, "fuzz-admin", frozenset({"admin"}))
    core.queue.save_counter(admin, name="Loket 1", number=1, services=list(core.sops))
    core.users.create(SYSTEM, "fuzz", "rahasia123", ["admin", "petugas_pelayanan", "petugas_verifikasi"], "Fuzz")
    core.tickets.issue("ktp")
    token = app.test_client().post("/api/v1/auth/token", json={"username": "fuzz", "password": "rahasia123"}).json
    app.config["FUZZ_TOKEN"] = token["token"]
    yield app
    core.close()


FUZZ = settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck), print_blob=False)


def fuzz(app, headers=None) -> list[str]:
    """Every operation, positive and negative data; the failures found (schemathesis' reports), one per operation."""
    from hypothesis import given
    from schemathesis.generation import GenerationMode

    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    for result in api.get_all_operations():
        op = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                strategy = op.as_strategy(generation_mode=mode)
            except Exception:  # noqa: BLE001 - nothing negative to generate (no parameters): nothing to test
                continue

            @FUZZ
            @given(strategy)
            def run(case):
                case.call_and_validate(headers=headers, checks=CHECKS)
            try:
                run()
            except Exception as exc:  # noqa: BLE001 - collected and reported below
                if type(exc).__name__ == "Unsatisfiable":
                    continue  # e.g. no negative value exists for a route without parameters
                failures.append(f"{op.label} ({mode.value}): {exc}"[:3000])
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
    """Every /api/v1 route (the printers' too, through the hook openapi_paths) is in the description."""
    import re

    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1"):])
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in paths.get(path, {}), f"{method} {path} is not in openapi.json"


def test_the_ticket_schema_lists_every_field(app):
    spec = app.test_client().get("/api/v1/openapi.json").json
    props = spec["components"]["schemas"]["Ticket"]["properties"]
    ticket = app.test_client().post("/api/v1/tickets", json={"service": "ktp"}).json
    assert set(ticket) <= set(props), set(ticket) - set(props)
