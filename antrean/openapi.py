"""The OpenAPI 3.1 description of /api/v1 (kept next to the routes it describes)."""
from __future__ import annotations

from . import __version__

ERR = {"$ref": "#/components/schemas/Error"}


def _resp(desc: str, schema=None) -> dict:
    r = {"description": desc}
    if schema is not None:
        r["content"] = {"application/json": {"schema": schema}}
    return r


def _errors(*codes: int) -> dict:
    text = {400: "Malformed JSON or CSRF", 401: "Not logged in", 403: "Role not allowed", 404: "Not found",
            409: "Conflicts with the current state", 413: "Body too large", 422: "Invalid field",
            429: "Too many attempts"}
    return {str(c): _resp(text[c], ERR) for c in codes}


def _post(summary: str, req: dict | None, ok: dict, *codes: int, secure: bool = True, status: str = "200") -> dict:
    op = {"summary": summary, "responses": {status: ok, **_errors(*codes)}}
    if req is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": req}}}
    if secure:
        op["security"] = [{"bearer": []}]
    return {"post": op}


def _obj(props: dict, required: list[str] | None = None) -> dict:
    d = {"type": "object", "properties": props}
    if required:
        d["required"] = required
    return d


S, I, B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
NS = {"type": ["string", "null"]}


def spec() -> dict:
    counter_paths = {}
    for action, summary, req in (
        ("call-next", "Finish the current ticket and call the next by policy", None),
        ("recall", "Call the current ticket again", None),
        ("call", "Call a specific waiting, held or skipped ticket", _obj({"ticket": I}, ["ticket"])),
        ("skip", "Mark the current ticket a no-show", None),
        ("hold", "Put the current ticket on hold", None),
        ("transfer", "Send the current ticket to another service's queue", _obj({"service": S}, ["service"])),
        ("start", "Start serving the current ticket", None),
        ("finish", "Finish the current ticket", None),
    ):
        counter_paths[f"/counters/{{counter_id}}/{action}"] = {
            "parameters": [{"name": "counter_id", "in": "path", "required": True, "schema": I}],
            **_post(summary, req, _resp("Done", {"type": "object"}), 400, 401, 403, 404, 409, 422)}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Antrean API", "version": __version__,
                 "description": "Queue and SOP tracking of a Kecamatan service office. Messages are Indonesian; "
                                "send ?lang=en or Accept-Language: en for English."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": _obj({"error": S, "message": S, "detail": S, "field": S}, ["error", "message"]),
                "Step": _obj({"no": I, "activity": S, "role": S, "minutes": I, "documents": {"type": "array", "items": S},
                              "output": S, "applicant_present": B, "tms": B, "kind": S}),
                "Service": _obj({"code": S, "name": S, "letter": S, "standard_minutes": I, "group": S,
                                 "documents": {"type": "array", "items": S},
                                 "steps": {"type": "array", "items": {"$ref": "#/components/schemas/Step"}}}),
                "Ticket": _obj({"number": S, "service": S, "service_name": S, "priority": NS, "status": S,
                                "issued_at": S, "waiting_ahead": I, "estimated_wait_minutes": I, "status_url": S,
                                "api_url": S, "token": S}),
                "Application": {"type": "object"},
                "Ikm": _obj({"ikm": {"type": ["number", "null"]}, "grade": {"type": ["string", "null"],
                             "enum": ["A", "B", "C", "D", None]}, "respondents": I,
                             "weight": {"type": ["number", "null"], "description": "each element's weight: 1/9 "
                                        "unrounded by default, 0.111 with weight_mode 'regulation', null if custom"},
                             "weight_mode": S, "from": S, "to": S, "service": NS,
                             "elements": {"type": "array", "items": _obj({"code": S, "name": S,
                                          "nrr": {"type": ["number", "null"]}, "respondents": I, "weight": {
                                              "type": "number"}})}},
                            ["ikm", "grade", "respondents", "weight", "elements"]),
            },
        },
        "paths": {
            "/services": {"get": {"summary": "Enabled services with their SOP steps",
                                  "responses": {"200": _resp("Services", _obj({"services": {
                                      "type": "array", "items": {"$ref": "#/components/schemas/Service"}}}))}}},
            "/tickets": _post("Issue a ticket", _obj({"service": S, "priority": {
                "type": ["string", "null"], "enum": ["lansia", "disabilitas", "ibu_hamil", None]},
                "idempotency_key": S, "device_id": S}, ["service"]),
                _resp("Ticket (same key again: 200 with the first ticket)", {"$ref": "#/components/schemas/Ticket"}),
                400, 404, 409, 413, 422, secure=False, status="201"),
            "/calendar": {"get": {
                "summary": "The office calendar: open now or why not (until when), and each day's hours or closure",
                "parameters": [{"name": "from", "in": "query", "required": False,
                                "schema": {"type": "string", "format": "date"}},
                               {"name": "to", "in": "query", "required": False,
                                "schema": {"type": "string", "format": "date"}}],
                "responses": {"200": _resp("Calendar", _obj({"now": {"type": "object"}, "days": {
                    "type": "array", "items": {"type": "object"}}})), **_errors(422)}}},
            "/tickets/{token}": {"get": {"summary": "Ticket status by its unguessable token",
                                         "parameters": [{"name": "token", "in": "path", "required": True, "schema": S}],
                                         "responses": {"200": _resp("Status", {"$ref": "#/components/schemas/Ticket"}),
                                                       **_errors(404)}}},
            "/counters": {"get": {"summary": "Counters and the services each calls",
                                  "responses": {"200": _resp("Counters", {"type": "object"})}}},
            "/counters/{counter_id}": {"get": {"summary": "A counter's current ticket and queue",
                                               "parameters": [{"name": "counter_id", "in": "path", "required": True,
                                                               "schema": I}], "security": [{"bearer": []}],
                                               "responses": {"200": _resp("State", {"type": "object"}),
                                                             **_errors(401, 404)}}},
            "/auth/token": _post("Exchange username and password for a bearer token",
                                 _obj({"username": S, "password": S}, ["username", "password"]),
                                 _resp("Token", _obj({"token": S, "token_type": S, "expires_at": S})),
                                 400, 401, 422, 429, secure=False),
            "/auth/logout": _post("Log out everywhere: every session and token of the caller's account ends",
                                  None, _resp("Done", _obj({"ok": B})), 401),
            **counter_paths,
            "/applications": _post("Open an application (permohonan) from a ticket",
                                   _obj({"ticket": I, "service": S, "applicant_name": S, "nik": S, "phone": S},
                                        ["applicant_name"]),
                                   _resp("Application", {"$ref": "#/components/schemas/Application"}),
                                   400, 401, 403, 404, 409, 422, status="201"),
            "/applications/{app_id}": {"get": {"summary": "An application with its timeline",
                                               "parameters": [{"name": "app_id", "in": "path", "required": True,
                                                               "schema": I}], "security": [{"bearer": []}],
                                               "responses": {"200": _resp("Application (NIK masked)", {
                                                   "$ref": "#/components/schemas/Application"}), **_errors(401, 404)}}},
            "/applications/{app_id}/nik": {
                "parameters": [{"name": "app_id", "in": "path", "required": True, "schema": I}],
                **_post("The full NIK (masked everywhere else); written to the audit log with who and when",
                        None, _resp("NIK", _obj({"id": I, "nik": NS, "nik_masked": NS})), 400, 401, 404)},
            "/applications/{app_id}/steps/{step_no}": {
                "parameters": [{"name": "app_id", "in": "path", "required": True, "schema": I},
                               {"name": "step_no", "in": "path", "required": True, "schema": I}],
                **_post("Complete the current step (MS, TMS or DONE)",
                        _obj({"outcome": {"type": "string", "enum": ["MS", "TMS", "DONE"]}, "note": S,
                              "missing_documents": {"type": "array", "items": S}, "counter": I}, ["outcome"]),
                        _resp("Application", {"$ref": "#/components/schemas/Application"}),
                        400, 401, 403, 404, 409, 422)},
            "/surveys": _post("Answer the SKM survey for a served ticket (once per ticket)",
                              _obj({"ticket": {"type": "string", "description": "the ticket's status token"},
                                    "answers": {"type": "array", "items": {"type": "integer", "minimum": 1,
                                                                           "maximum": 4},
                                                "minItems": 9, "maxItems": 9, "description": "U1…U9"},
                                    "profile": _obj({"sex": {"enum": ["L", "P"]}, "age": {
                                        "type": ["integer", "string"], "description": "years, or an age group"},
                                        "education": S, "occupation": S}),
                                    "suggestion": S}, ["ticket", "answers"]),
                              _resp("Recorded", _obj({"id": I, "ticket": S, "service": S, "day": S})),
                              400, 404, 409, 413, 422, secure=False, status="201"),
            "/reports/ikm": {"get": {
                "summary": "IKM (Indeks Kepuasan Masyarakat) of a period, per element (report roles)",
                "parameters": [{"name": "from", "in": "query", "required": True, "schema": {"type": "string",
                                                                                              "format": "date"}},
                               {"name": "to", "in": "query", "required": True, "schema": {"type": "string",
                                                                                            "format": "date"}},
                               {"name": "service", "in": "query", "required": False, "schema": S}],
                "security": [{"bearer": []}],
                "responses": {"200": _resp("IKM", {"$ref": "#/components/schemas/Ikm"}), **_errors(401, 403, 422)}}},
            "/worklist": {"get": {"summary": "Applications waiting for a step the caller's roles may do",
                                  "security": [{"bearer": []}],
                                  "responses": {"200": _resp("Items", {"type": "object"}), **_errors(401)}}},
            "/reports/summary": {"get": {
                "summary": "One row per service for a period (report roles); json, csv, xlsx or pdf",
                "parameters": [{"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                               {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                               {"name": "format", "in": "query",
                                "schema": {"type": "string", "enum": ["json", "csv", "xlsx", "pdf"]}}],
                "security": [{"bearer": []}],
                "responses": {"200": {"description": "Rows: service, name, issued, served, no_show, transferred, "
                                                     "expired, wait_/service_ mean/median/p90 _minutes, "
                                                     "applications_done, applications_returned, within_standard_pct",
                                      "content": {"application/json": {"schema": _obj({
                                          "period": {"type": "object"}, "office": S,
                                          "rows": {"type": "array", "items": {"type": "object"}}})},
                                          "text/csv": {}, "application/pdf": {},
                                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}},
                              **_errors(401, 403, 422)}}},
            "/reports/regency": {"get": {
                "summary": "One row per kecamatan (regency admin with offices [\"*\"], PostgreSQL)",
                "parameters": [{"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                               {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}}],
                "security": [{"bearer": []}],
                "responses": {"200": _resp("Rows", {"type": "object"}), **_errors(401, 403, 409, 422)}}},
        },
    }
