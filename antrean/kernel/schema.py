"""Typed schemas (pydantic v2), the one way Antrean declares the shape of data it takes in: API requests and
responses (antrean.web.openapi), settings (antrean.kernel.config) and SOP definitions (antrean.kernel.sop).

This module only holds what they share: the strict base model and how a validation error is said, naming the
field the way a person finds it (``steps[2].minutes``, ``profile.sex``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

#: Integers the database can store (BIGINT / SQLite INTEGER): the schema's bounds (app.check_value refuses beyond)
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
Int64 = Annotated[int, Field(ge=INT_MIN, le=INT_MAX)]


class Strict(BaseModel):
    """Input as it is written: no "1" for 1, no true for 1, no 1 for "1". Unknown keys are ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")


def where(loc: Sequence[int | str]) -> str:
    """pydantic's error location as a path: ('steps', 2, 'minutes') -> 'steps[2].minutes'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part:
            out += f".{part}" if out else str(part)
    return out or "value"


_TYPES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "float_type": "a number",
    "date_type": "a YYYY-MM-DD date",
    "date_from_datetime_parsing": "a YYYY-MM-DD date",
    "date_parsing": "a YYYY-MM-DD date",
    "int_parsing": "an integer",
    "bool_parsing": "true or false",
    "float_parsing": "a number",
}


def expected(err: Mapping[str, Any]) -> str | None:
    """'an integer', 'a string' … for a type error, else None."""
    return _TYPES.get(err["type"])


def explain(err: Mapping[str, Any]) -> str:
    """One error as precise English: 'must be a positive integer', 'must be an integer, got str' …"""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "value_error" and ctx.get("error") is not None:
        return str(ctx["error"])
    if kind == "greater_than" and ctx.get("gt") == 0:
        return "must be a positive " + ("integer" if isinstance(err.get("input"), int) else "number")
    want = expected(err)
    if want:
        return f"must be {want}, got {type(err.get('input')).__name__}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}"
    if kind == "extra_forbidden":
        return "unknown field"
    msg = str(err.get("msg", kind))
    return msg[:1].lower() + msg[1:]


def first(exc: ValidationError) -> dict[str, Any]:
    """The first error of a ValidationError, with its location as a path (``where``)."""
    err = exc.errors(include_url=False)[0]
    return {**err, "where": where(err["loc"])}


def describe(exc: ValidationError, limit: int = 3) -> str:
    """Every error (up to ``limit``) as 'path: explanation; …'."""
    errs = exc.errors(include_url=False)
    text = "; ".join(f"{where(e['loc'])}: {explain(e)}" for e in errs[:limit])
    return text + (f" (and {len(errs) - limit} more)" if len(errs) > limit else "")


__all__ = ["Strict", "Int64", "INT_MIN", "INT_MAX", "where", "explain", "expected", "first", "describe"]
