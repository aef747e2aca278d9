"""The OpenAPI 3.1 description of /api/v1 (kept next to the routes it describes).

Plugins that add routes under /api/v1 describe them through the hook ``openapi_paths`` (hardware does). The
description is checked against the running API by schemathesis (tests/integration/test_openapi_fuzz.py): every
status a route can answer is listed, every response matches its schema.
"""
from __future__ import annotations

from antrean import __version__

ERR = {"$ref": "#/components/schemas/Error"}


def _resp(desc: str, schema=None) -> dict:
    r = {"description": desc}
    if schema is not None:
        r["content"] = {"application/json": {"schema": schema}}
    return r


def _errors(*codes: int) -> dict:
    text = {400: "Malformed JSON, a value no field accepts (NUL, an integer beyond 64 bits, nesting) or CSRF",
            401: "Not logged in", 403: "Role not allowed", 404: "Not found",
            409: "Conflicts with the current state", 413: "Body too large", 422: "Invalid field",
            429: "Too many requests (rate limit or login throttle); see Retry-After"}
    return {str(c): _resp(text[c], ERR) for c in codes}


def _post(summary: str, req: dict | None, ok: dict, *codes: int, secure: bool = True, status: str = "200") -> dict:
    if req is not None:  # any body may be malformed or too large
        codes = tuple(sorted({*codes, 400, 413}))
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


#: public: plugins build their ``openapi_paths`` with these (the hardware plugin does)
resp, errors, post, obj = _resp, _errors, _post, _obj

S, B = {"type": "string"}, {"type": "boolean"}
#: integers the database can hold (a larger one is a 400 at the door)
I = {"type": "integer", "minimum": -(2 ** 63), "maximum": 2 ** 63 - 1}
NS, NI = {"type": ["string", "null"]}, {"type": ["integer", "null"]}
#: a public route: rate-limited per address (or per registered kiosk, X-Device-Key)
DEVICE_KEY = {"name": "X-Device-Key", "in": "header", "required": False, "schema": S,
              "description": "key of a kiosk registered with `antrean kiosk add` (limited per device, generously)"}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _ticket_schema() -> dict:
    counter = _obj({"id": I, "name": S, "number": I}, ["id", "name", "number"])
    return _obj({
        "id": I, "number": {"type": "string", "description": "letter and number, e.g. B007 (B10005 past 9,999)"},
        "service": S, "service_name": S, "service_short_name": S, "standard_minutes": NI,
        "priority": NS, "priority_label": NS, "status": S, "day": {"type": "string", "format": "date"},
        "outcome": {"type": ["string", "null"], "enum": ["served", "no_show", "transferred", "cancelled", "expired",
                                                          None]},
        "issued_at": S, "called_at": NS, "waiting_ahead": I, "estimated_wait_minutes": I,
        "counter": {"oneOf": [{"type": "null"}, counter]}, "token": S, "status_url": S, "api_url": S,
        "device_id": NS, "booked": {"type": "boolean", "description": "issued by a booking's check-in"},
        "print": {"type": "object", "description": "print job state (hardware plugin), on issue only"},
        "now_calling": {"oneOf": [{"type": "null"}, _obj({"number": S, "counter_name": S, "counter_number": I})]},
    }, ["id", "number", "service", "status", "day", "issued_at", "token", "status_url"])


def spec(core=None) -> dict:
    """The description; with ``core``, the paths its plugins add (hook ``openapi_paths``) are merged in."""
    out = _core_spec()
    out["paths"]["/tickets"]["post"]["responses"]["200"] = _resp("The same idempotency key again: the first ticket",
                                                                 ref("Ticket"))
    if core is not None:
        for extra in core.hook.openapi_paths(core=core):
            out["paths"].update(extra or {})
    # the door (app._check_request_strings, the JSON parser) answers 400 on every route, whatever it documents
    for item in out["paths"].values():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                op["responses"].setdefault("400", _errors(400)["400"])
    return out


def _core_spec() -> dict:
    counter_paths = {}
    for action, summary, req in (
        ("call-next", "Close the current ticket (served if started, else no_show) and call the next by policy; "
                      "'current' (the ticket id the screen shows, or null) makes a stale second screen get 409",
         _obj({"current": {"type": ["integer", "null"]}})),
        ("recall", "Call the current ticket again", None),
        ("call", "Call a specific waiting, held or skipped ticket", _obj({"ticket": I, "current": {
            "type": ["integer", "null"]}}, ["ticket"])),
        ("skip", "Nobody came: set the current ticket aside (no_show at day end unless called back)", None),
        ("hold", "Put the current ticket on hold", None),
        ("transfer", "Close the current ticket as transferred and continue it in another service's queue",
         _obj({"service": S}, ["service"])),
        ("start", "Start serving the current ticket", None),
        ("finish", "Finish the current, started ticket (outcome served)", None),
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
                "Error": _obj({"error": S, "message": S, "detail": S, "field": S,
                               "retry_after": {"type": "integer", "description": "seconds, with 429"}},
                              ["error", "message"]),
                "Step": _obj({"no": I, "activity": S, "role": S, "minutes": I, "documents": {"type": "array", "items": S},
                              "output": S, "applicant_present": B, "tms": B, "kind": S}),
                "Service": _obj({"code": S, "name": S, "letter": S, "standard_minutes": I, "group": S,
                                 "documents": {"type": "array", "items": S},
                                 "steps": {"type": "array", "items": {"$ref": "#/components/schemas/Step"}}}),
                "Ticket": _ticket_schema(),
                "Booking": _obj({"code": S, "service": S, "service_name": S, "date": S, "date_label": S,
                                 "date_label_en": S, "start": S, "end": S, "starts_at": S, "ends_at": S,
                                 "status": {"enum": ["booked", "checked_in", "cancelled", "no_show"]},
                                 "qr_url": S, "status_url": S, "cancel_token": S, "manage_url": S},
                                ["code", "service", "date", "start", "end", "status", "qr_url"]),
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
            "/tickets": {"parameters": [DEVICE_KEY], **_post(
                "Issue a ticket (public; rate-limited per address and per service per day, or per registered kiosk)",
                _obj({"service": S, "priority": {
                    "type": ["string", "null"], "enum": ["lansia", "disabilitas", "ibu_hamil", None]},
                    "idempotency_key": S, "device_id": S}, ["service"]),
                _resp("Ticket", ref("Ticket")),
                400, 404, 409, 413, 422, 429, secure=False, status="201")},
            # (a repeated idempotency key answers 200 with the first ticket: added below)
            "/tickets/{token}": {"get": {"summary": "Ticket status by its unguessable token (public, rate-limited)",
                                         "parameters": [{"name": "token", "in": "path", "required": True, "schema": S},
                                                        DEVICE_KEY],
                                         "responses": {"200": _resp("Status", ref("Ticket")), **_errors(404, 429)}}},
            "/tickets/{ticket_id}/cancel": {
                "parameters": [{"name": "ticket_id", "in": "path", "required": True, "schema": I}],
                **_post("Cancel an open ticket with a reason (outcome cancelled)", _obj({"reason": S}, ["reason"]),
                        _resp("Ticket", {"$ref": "#/components/schemas/Ticket"}), 400, 401, 403, 404, 409, 422)},
            "/calendar": {"get": {
                "summary": "The office calendar: open now or why not (until when), and each day's hours or closure",
                "parameters": [{"name": "from", "in": "query", "required": False,
                                "schema": {"type": "string", "format": "date"}},
                               {"name": "to", "in": "query", "required": False,
                                "schema": {"type": "string", "format": "date"}}],
                "responses": {"200": _resp("Calendar", _obj({"now": {"type": "object"}, "days": {
                    "type": "array", "items": {"type": "object"}}})), **_errors(422)}}},
            "/counters": {"get": {"summary": "Counters and the services each calls",
                                  "responses": {"200": _resp("Counters", {"type": "object"})}}},
            "/counters/{counter_id}": {"get": {"summary": "A counter's current ticket and queue",
                                               "parameters": [{"name": "counter_id", "in": "path", "required": True,
                                                               "schema": I}], "security": [{"bearer": []}],
                                               "responses": {"200": _resp("State", {"type": "object"}),
                                                             **_errors(401, 404)}}},
            "/auth/token": _post("Exchange username and password for a bearer token",
                                 _obj({"username": S, "password": S}, ["username", "password"]),
                                 _resp("Token", _obj({"token": S, "token_type": S, "expires_at": S, "user": _obj(
                                     {"username": S, "roles": {"type": "array", "items": S}})},
                                     ["token", "token_type", "expires_at"])),
                                 400, 401, 413, 422, 429, secure=False),
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
                              400, 404, 409, 413, 422, 429, secure=False, status="201"),
            **_booking_paths(),
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


def _booking_paths() -> dict:
    code = {"name": "code", "in": "path", "required": True, "schema": S, "description": "the booking code"}
    token = {"name": "token", "in": "query", "required": False, "schema": S,
             "description": "the cancel token of the confirmation (or header X-Cancel-Token)"}
    slot = _obj({"start": S, "end": S, "free": {"type": "integer", "minimum": 0}}, ["start", "end", "free"])
    return {
        "/booking/slots": {"get": {
            "summary": "Free slots of a service on a day (public, rate-limited); a closed day (holiday, weekend) "
                       "answers slots [] and closed: the reason",
            "parameters": [{"name": "service", "in": "query", "required": True, "schema": S},
                           {"name": "date", "in": "query", "required": True, "schema": {"type": "string",
                                                                                        "format": "date"}},
                           DEVICE_KEY],
            "responses": {"200": _resp("Slots", _obj({"slots": {"type": "array", "items": slot}, "closed": S,
                                                      "closed_en": S}, ["slots"])),
                          **_errors(404, 422, 429)}}},
        "/bookings": _post(
            "Book a slot (public, rate-limited). 409: the same NIK already booked this service that day, the slot "
            "is full, or the day is closed",
            _obj({"service": S, "date": {"type": "string", "format": "date"}, "start": S, "name": S, "phone": S,
                  "nik": S}, ["service", "date", "start", "name", "phone", "nik"]),
            _resp("Booked: code, QR image URL and the cancel token (keep it: the manage_url link)", ref("Booking")),
            404, 409, 422, 429, secure=False, status="201"),
        "/bookings/{code}": {
            "parameters": [code],
            "get": {"summary": "A booking's public view (no personal data)",
                    "responses": {"200": _resp("Booking", ref("Booking")), **_errors(404, 429)}},
            "delete": {"summary": "Cancel with the confirmation's cancel token",
                       "parameters": [token],
                       "responses": {"200": _resp("Cancelled", ref("Booking")),
                                     **_errors(400, 403, 404, 409, 422, 429)}}},
        "/bookings/{code}/reschedule": {"parameters": [code], **_post(
            "Move the booking to another slot (cancel token required)",
            _obj({"token": S, "date": {"type": "string", "format": "date"}, "start": S}, ["token", "date", "start"]),
            _resp("Moved", ref("Booking")), 403, 404, 409, 422, 429, secure=False)},
        "/bookings/{code}/check-in": {"parameters": [code, DEVICE_KEY], **_post(
            "Check a booking in at a registered kiosk (X-Device-Key) or a counter (staff token): issues its ticket, "
            "marked booked. 409 when too early, too late (no-show), cancelled or already checked in; the error's "
            "walk_in says a walk-in ticket can be taken instead",
            None, _resp("Ticket", ref("Ticket")), 401, 404, 409, 429, status="201")},
    }
