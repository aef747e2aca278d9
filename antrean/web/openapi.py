"""``/api/v1`` declared with typed schemas: request validation at the door and ``/api/v1/openapi.json``.

A route says once what it takes and answers, below its Flask decorators (and below ``@staff``/``@public``)::

    @bp.post("/tickets")
    @public("ticket", per_service=True)
    @api("Issue a ticket", body=TicketIn, ok=Ticket, status=201, errors=(404, 409))
    def issue_ticket(body: TicketIn): ...

The view gets the validated request as ``body`` (JSON object) and/or ``query`` (query string). A request that
does not fit is refused in the API's error shape: 400 ``bad_json`` when the body is not a JSON object, 422
``invalid`` naming the field (``{"error": "invalid", "message": "Kolom 'service' wajib diisi.", "field":
"service", "detail": "service: is required"}``).

The OpenAPI document is generated from ``app.url_map``: every rule under ``/api/v1`` is listed, with the
schemas its view declared (a view that declared none is still listed, and a test fails on it). Statuses every
route can answer are added from what the view is: 400 (the door: app.check_value), 400/413/422 with a body, 422
with a query, 401/403 for a staff route (``@staff``), 429 for a rate-limited one (``@public``), 404 with path
parameters. Plugins declare their routes the same way (hardware/api.py); the hook ``openapi_paths`` still
merges hand-written path items (a plugin's item replaces the generated one of the same path and method).

Why our own thin layer and not flask-openapi3 or spectree: both want their own app or blueprint classes or their
own error body, while every face here relies on plain Flask blueprints, on the one error shape and on the
door's 400/422 split; the whole layer is this file, and it runs the same under gevent and threads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.json_schema import models_json_schema
from werkzeug.routing import IntegerConverter

from antrean import __version__
from antrean.kernel.errors import Invalid
from antrean.kernel.i18n import N_
from antrean.kernel.schema import INT_MAX, describe, expected, first

PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"


class Out(BaseModel):
    """A response object: every field the route sends (an undeclared one is a schema violation)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Query(BaseModel):
    """A query string: text converted to the declared types; an empty parameter counts as absent."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Error(Out):
    """Every error: a stable code, a message in the caller's language (Indonesian first), and for admins a
    precise ``detail``. Some errors carry more: ``field`` (422), ``retry_after`` (429), ``walk_in`` (booking
    check-in refused), ``reopens_at`` (office closed)."""

    model_config = ConfigDict(extra="allow")
    error: str
    message: str
    detail: str | None = None
    field: str | None = Field(None, description="the field at fault")
    retry_after: int | None = Field(None, description="seconds, with 429")


#: what each error status means, for the document
ERRORS = {
    400: "Malformed JSON, not a JSON object, a value no field accepts (NUL, an integer beyond 64 bits, "
    "nesting past 32 levels) or a missing CSRF token",
    401: "Not logged in",
    403: "Role not allowed",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Body too large",
    422: "A field or parameter is missing or invalid (field names it)",
    429: "Too many requests (rate limit or login throttle); see Retry-After",
}


@dataclass
class Operation:
    summary: str
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[Query] | None = None
    #: status -> (a model, a JSON schema dict or None, the description)
    responses: dict[int, tuple[Any, str]] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    #: request headers: (name, description)
    headers: tuple[tuple[str, str], ...] = ()
    #: "auto" (bearer for a @staff route), "optional" (bearer or none), "none"
    security: str = "auto"
    #: other media types of the first success response (reports as csv …)
    content: tuple[str, ...] = ()
    description: str = ""


def api(
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    body_required: bool = True,
    query: type[Query] | None = None,
    ok: Any = None,
    status: int = 200,
    description: str = "",
    responses: dict[int, tuple[Any, str]] | None = None,
    errors: tuple[int, ...] = (),
    headers: tuple[tuple[str, str], ...] = (),
    security: str = "auto",
    content: tuple[str, ...] = (),
):
    """Declare a route of ``/api/v1`` (see the module's doc). ``ok`` is the success response's model (status
    ``status``), ``responses`` any other success responses, ``errors`` the error statuses the route answers
    beyond those added from what it is."""

    def deco(fn):
        op = Operation(
            summary,
            body,
            body_required,
            query,
            {status: (ok, summary)} | dict(responses or {}),
            tuple(errors),
            tuple(headers),
            security,
            tuple(content),
            description or _doc(fn),
        )

        @wraps(fn)
        def view(*args, **kwargs):
            if op.body is not None:
                kwargs["body"] = parse_body(op.body, required=op.body_required)
            if op.query is not None:
                kwargs["query"] = parse_query(op.query)
            return fn(*args, **kwargs)

        view.__dict__["api_op"] = op  # the operation, for the generated document (getattr(view, "api_op"))
        return view

    return deco


def _doc(fn) -> str:
    return " ".join((fn.__doc__ or "").split())


# -- requests ------------------------------------------------------------------------------------------------------
def json_object() -> dict:
    """The request's JSON object. Malformed JSON, a value no column can store (NUL, an integer beyond 64 bits,
    nesting past 32 levels: app.check_value) or a non-object is a 400."""
    if not request.is_json:
        raise Invalid(
            "Data yang dikirim bukan JSON yang sah.",
            detail="send Content-Type: application/json with a JSON object",
            status=400,
            code="bad_json",
        )
    data = request.get_json(cache=True)  # on_json_loading_failed (app._Request) raises Invalid with the reason
    if not isinstance(data, dict):
        raise Invalid("Data harus berupa objek JSON.", status=400, code="bad_json")
    return data


def parse_body(model: type[BaseModel], *, required: bool = True) -> BaseModel:
    """The body validated by ``model``. ``required=False``: no body, or one that is not JSON, is empty."""
    data: Any = json_object() if required else request.get_json(silent=True, cache=True)
    if not isinstance(data, dict):
        data = {}
    keep: frozenset[str] = getattr(model, "keep_null", frozenset())
    # null is "not sent" (as the API always read it), except where a model says null means something
    data = {k: v for k, v in data.items() if v is not None or k in keep}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc, "body") from None


def parse_query(model: type[Query]) -> Query:
    data = {k: v for k, v in request.args.items() if v != ""}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc, "query") from None


#: the 422 texts, per kind of input (a body's field, a query parameter): msgids of the catalogs
INVALID_TEXTS = {
    "body": {
        "missing": N_("Kolom '%(name)s' wajib diisi."),
        "date": N_("Kolom '%(name)s' harus tanggal YYYY-MM-DD."),
        "other": N_("Kolom '%(name)s' tidak sah."),
    },
    "query": {
        "missing": N_("Parameter '%(name)s' wajib diisi."),
        "date": N_("Parameter '%(name)s' harus tanggal YYYY-MM-DD."),
        "other": N_("Parameter '%(name)s' tidak sah."),
    },
}


def invalid(exc: ValidationError, where: str) -> Invalid:
    """A validation error as the API's 422 naming the field (``where``: "body" or "query"); what was expected
    is in ``detail`` (precise, English)."""
    err = first(exc)
    name, detail = err["where"], describe(exc)
    kind = "missing" if err["type"] == "missing" else "date" if err["type"].startswith("date") else "other"
    want = expected(err) if kind == "other" else ""
    return Invalid(
        INVALID_TEXTS[where][kind],
        params={"name": name},
        field=name,
        detail=f"{detail} (expected {want})" if want and want not in detail else detail,
    )


def check_responses(app) -> None:
    """For tests: every JSON response of a declared /api/v1 route is checked against the model declared for its
    status (the error model for an error); a response outside its schema raises (a failing test names it)."""

    @app.after_request
    def _conforms(response):
        rule = request.url_rule
        if rule is None or not rule.rule.startswith(PREFIX) or not response.is_json:
            return response
        op = operation_of(app.view_functions.get(rule.endpoint))
        if op is None:
            return response
        model = op.responses.get(response.status_code, (None,))[0] if response.status_code < 400 else Error
        if isinstance(model, type) and issubclass(model, BaseModel):
            try:
                model.model_validate_json(response.get_data(), strict=True)
            except ValidationError as exc:
                raise AssertionError(
                    f"{request.method} {rule.rule} {response.status_code}: the response is outside "
                    f"its schema {model.__name__}: {describe(exc, 5)}"
                ) from None
        return response


# -- the document --------------------------------------------------------------------------------------------------
def operation_of(view) -> Operation | None:
    while view is not None:
        op = getattr(view, "api_op", None)
        if op is not None:
            return op
        view = getattr(view, "__wrapped__", None)
    return None


def _mark(view, name: str):
    while view is not None:
        if hasattr(view, name):
            return getattr(view, name)
        view = getattr(view, "__wrapped__", None)
    return None


def _schema_of(thing, refs: dict) -> dict | None:
    if thing is None:
        return None
    if isinstance(thing, type) and issubclass(thing, BaseModel):
        return refs[(thing, "validation")]
    return thing


def _models_in(thing, out: list) -> None:
    if isinstance(thing, type) and issubclass(thing, BaseModel) and thing not in out:
        out.append(thing)


def _query_parameters(model: type[Query]) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        desc = prop.pop("description", None)
        prop.pop("title", None)
        if "anyOf" in prop:  # X | None: a query parameter is absent rather than null
            branches = [b for b in prop.pop("anyOf") if b.get("type") != "null"]
            prop = (branches[0] if len(branches) == 1 else {"anyOf": branches}) | prop
        if prop.get("default", 0) is None:
            del prop["default"]
        p = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if desc:
            p["description"] = desc
        params.append(p)
    return params


def _path(rule) -> tuple[str, list[dict]]:
    path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule[len(PREFIX) :]) or "/"
    params = []
    for name, conv in rule._converters.items():
        schema = (
            {"type": "integer", "minimum": 0, "maximum": INT_MAX}
            if isinstance(conv, IntegerConverter)
            else {"type": "string"}
        )
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return path, params


def spec(app) -> dict:
    """The OpenAPI 3.1 document of every route under /api/v1 of ``app`` (cached: routes don't change)."""
    cached = app.extensions.get("antrean.openapi")
    if cached is None:
        cached = app.extensions["antrean.openapi"] = _build(app)
    return cached


def _build(app) -> dict:
    rules = [r for r in app.url_map.iter_rules() if r.rule == PREFIX or r.rule.startswith(PREFIX + "/")]
    rules.sort(key=lambda r: r.rule)
    models: list = [Error]
    for rule in rules:
        op = operation_of(app.view_functions[rule.endpoint])
        if op is not None:
            _models_in(op.body, models)
            for thing, _ in op.responses.values():
                _models_in(thing, models)
    keys, defs = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    paths: dict[str, dict] = {}
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        path, path_params = _path(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, view, path_params, keys, method)
    core = app.extensions.get("antrean")
    if core is not None:  # hand-written path items of plugins (for routes they did not declare with @api)
        for extra in core.hook.openapi_paths(core=core):
            for path, item in (extra or {}).items():
                paths.setdefault(path, {}).update(item)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Antrean API",
            "version": __version__,
            "description": "Queue and SOP tracking of a Kecamatan service office. Messages are Indonesian; "
            "send ?lang=en or Accept-Language: en for English. Generated from the routes' "
            "schemas (antrean/web/schemas.py and the plugins' own).",
        },
        "servers": [{"url": PREFIX}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": defs.get("$defs", {}),
        },
        "paths": paths,
    }


def _operation(rule, view, path_params: list[dict], refs: dict, method: str) -> dict:
    op = operation_of(view)
    staff = _mark(view, "policy_action") is not None
    rate = _mark(view, "antrean_rate")
    if op is None:  # not declared: listed, so that nothing is hidden (tests fail on it)
        op = Operation(f"{method} {rule.rule} (not described)", responses={200: (None, "Done")})
    out: dict[str, Any] = {"summary": op.summary, "operationId": f"{rule.endpoint}.{method.lower()}"}
    if op.description and op.description != op.summary:
        out["description"] = op.description
    params = list(path_params)
    if op.query is not None:
        params += _query_parameters(op.query)
    for name, desc in op.headers:
        params.append(
            {"name": name, "in": "header", "required": False, "schema": {"type": "string"}, "description": desc}
        )
    if rate is not None and not any(h == "X-Device-Key" for h, _ in op.headers):
        params.append(
            {
                "name": "X-Device-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "key of a kiosk registered with `antrean kiosk add` (limited per device, generously)",
            }
        )
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": _schema_of(op.body, refs)}},
        }
    responses: dict[str, Any] = {}
    for i, (status, (thing, desc)) in enumerate(sorted(op.responses.items())):
        r: dict[str, Any] = {"description": desc}
        schema = _schema_of(thing, refs)
        if schema is not None:
            r["content"] = {"application/json": {"schema": schema}}
            if i == 0:
                r["content"] |= {media: {} for media in op.content}
        responses[str(status)] = r
    codes = {400, *op.errors}
    if op.body is not None:
        codes |= {400, 413, 422}
    if op.query is not None:
        codes.add(422)
    if staff or op.security in ("optional",):
        codes |= {401, 403}
    if rate is not None:
        codes.add(429)
    if path_params:
        codes.add(404)
    error = _schema_of(Error, refs)
    for code in sorted(codes):
        responses.setdefault(
            str(code), {"description": ERRORS.get(code, "Error"), "content": {"application/json": {"schema": error}}}
        )
    out["responses"] = responses
    if op.security == "optional":
        out["security"] = [{"bearer": []}, {}]
    elif staff and op.security != "none":
        out["security"] = [{"bearer": []}]
    return out


__all__ = [
    "api",
    "Out",
    "Query",
    "Error",
    "Operation",
    "spec",
    "json_object",
    "parse_body",
    "parse_query",
    "invalid",
    "operation_of",
    "PREFIX",
]
