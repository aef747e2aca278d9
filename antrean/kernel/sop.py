"""SOP definitions: the data an SOP plugin declares, validated at load time.

An SOP plugin returns plain dicts from its ``register_sops`` hook.  They are
turned into frozen :class:`Sop` objects here; anything malformed raises
:class:`SopError` naming the plugin's file and the offending field, so the
plugin manager can report it and skip that plugin without taking the kiosk
down.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ROLES: dict[str, str] = {
    "pemohon": "Pemohon",
    "petugas_pelayanan": "Petugas Pelayanan",
    "petugas_verifikasi": "Petugas Verifikasi",
    "petugas_register": "Petugas Register",
    "kasi_pelayanan": "Kasi Pelayanan dan Perizinan",
    "sekcam": "Sekretaris Kecamatan",
    "camat": "Camat",
    "tim_teknis": "Tim Teknis",
    "pengolah_data": "Pengolah Data",
    "tim_pengaduan": "Tim Pengaduan",
}
#: Roles a staff account can hold (every SOP role but the applicant, plus admin).
STAFF_ROLES: dict[str, str] = {k: v for k, v in ROLES.items() if k != "pemohon"} | {"admin": "Admin"}

GROUPS: dict[str, str] = {
    "kependudukan": "Kependudukan",
    "surat_keterangan": "Surat Keterangan",
    "perizinan": "Perizinan",
    "pengaduan": "Pengaduan",
}
STEP_KINDS = ("submit", "receive", "verify", "register", "sign", "process", "handover", "collect")
OUTCOMES = ("MS", "TMS", "DONE")

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_LETTER = re.compile(r"^[A-Z]{1,2}$")
_AGENDA = re.compile(r"^[A-Z0-9-]{2,12}$")

SOP_KEYS = {"code", "name", "short_name", "group", "letter", "agenda_code", "icon", "version",
            "standard_minutes", "front_desk_role", "documents", "steps"}
STEP_KEYS = {"no", "activity", "role", "minutes", "kelengkapan", "output", "applicant_present", "tms", "kind"}


class SopError(ValueError):
    """A malformed SOP definition. ``source`` is the plugin file, ``field`` a dotted path."""

    def __init__(self, source: str, field: str, message: str):
        self.source, self.field, self.message = source, field, message
        super().__init__(f"{source}: {field}: {message}")


@dataclass(frozen=True)
class Step:
    no: int
    activity: str
    role: str
    minutes: int
    kelengkapan: tuple[str, ...]
    output: str
    applicant_present: bool
    tms: bool
    kind: str

    @property
    def role_name(self) -> str:
        return ROLES[self.role]

    def to_dict(self) -> dict[str, Any]:
        return {"no": self.no, "activity": self.activity, "role": self.role, "role_name": self.role_name,
                "minutes": self.minutes, "documents": list(self.kelengkapan), "output": self.output,
                "applicant_present": self.applicant_present, "tms": self.tms, "kind": self.kind}


@dataclass(frozen=True)
class Sop:
    code: str
    name: str
    short_name: str
    group: str
    letter: str
    agenda_code: str
    icon: str
    version: str
    standard_minutes: int
    front_desk_role: str
    documents: tuple[str, ...]
    steps: tuple[Step, ...]
    source: str = field(default="", compare=False)

    def step(self, no: int) -> Step:
        for s in self.steps:
            if s.no == no:
                return s
        raise KeyError(no)

    @property
    def last_step(self) -> int:
        return self.steps[-1].no

    @property
    def roles(self) -> list[str]:
        seen: list[str] = []
        for s in self.steps:
            if s.role not in seen:
                seen.append(s.role)
        return seen


def _req(d: dict, key: str, typ, source: str, path: str):
    if key not in d:
        raise SopError(source, f"{path}{key}", "is required")
    value = d[key]
    if typ is int and isinstance(value, bool) or not isinstance(value, typ):
        name = typ.__name__ if isinstance(typ, type) else "/".join(t.__name__ for t in typ)
        raise SopError(source, f"{path}{key}", f"must be {name}, got {type(value).__name__}")
    return value


def _text(d: dict, key: str, source: str, path: str, max_len: int = 300) -> str:
    value = _req(d, key, str, source, path).strip()
    if not value:
        raise SopError(source, f"{path}{key}", "must not be empty")
    if len(value) > max_len:
        raise SopError(source, f"{path}{key}", f"longer than {max_len} characters")
    return value


def _texts(d: dict, key: str, source: str, path: str) -> tuple[str, ...]:
    items = _req(d, key, (list, tuple), source, path)
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise SopError(source, f"{path}{key}[{i}]", "must be a non-empty string")
        out.append(item.strip())
    return tuple(out)


def parse_step(d: Any, source: str, path: str) -> Step:
    if not isinstance(d, dict):
        raise SopError(source, path.rstrip("."), "must be a mapping")
    unknown = set(d) - STEP_KEYS
    if unknown:
        raise SopError(source, f"{path}{sorted(unknown)[0]}", "unknown field")
    role = _req(d, "role", str, source, path)
    if role not in ROLES:
        raise SopError(source, f"{path}role", f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    kind = _req(d, "kind", str, source, path)
    if kind not in STEP_KINDS:
        raise SopError(source, f"{path}kind", f"unknown kind {kind!r}; expected one of {', '.join(STEP_KINDS)}")
    minutes = _req(d, "minutes", int, source, path)
    if not 0 <= minutes <= 24 * 60:
        raise SopError(source, f"{path}minutes", "must be between 0 and 1440")
    return Step(
        no=_req(d, "no", int, source, path),
        activity=_text(d, "activity", source, path),
        role=role,
        minutes=minutes,
        kelengkapan=_texts(d, "kelengkapan", source, path),
        output=_text(d, "output", source, path),
        applicant_present=_req(d, "applicant_present", bool, source, path),
        tms=_req(d, "tms", bool, source, path),
        kind=kind,
    )


def parse_sop(d: Any, source: str = "<unknown>") -> Sop:
    """Validate one SOP dict and return the frozen :class:`Sop`."""
    if not isinstance(d, dict):
        raise SopError(source, "sop", f"must be a mapping, got {type(d).__name__}")
    unknown = set(d) - SOP_KEYS
    if unknown:
        raise SopError(source, sorted(unknown)[0], "unknown field")
    code = _req(d, "code", str, source, "")
    if not _CODE.match(code):
        raise SopError(source, "code", f"{code!r} must match {_CODE.pattern}")
    group = _req(d, "group", str, source, "")
    if group not in GROUPS:
        raise SopError(source, "group", f"unknown group {group!r}; expected one of {', '.join(GROUPS)}")
    letter = _req(d, "letter", str, source, "")
    if not _LETTER.match(letter):
        raise SopError(source, "letter", f"{letter!r} must be one or two capital letters")
    agenda = _req(d, "agenda_code", str, source, "")
    if not _AGENDA.match(agenda):
        raise SopError(source, "agenda_code", f"{agenda!r} must match {_AGENDA.pattern}")
    front = _req(d, "front_desk_role", str, source, "")
    if front not in STAFF_ROLES or front == "admin":
        raise SopError(source, "front_desk_role", f"unknown staff role {front!r}")
    raw_steps = _req(d, "steps", (list, tuple), source, "")
    if len(raw_steps) < 2:
        raise SopError(source, "steps", "an SOP needs at least two steps")
    steps = tuple(parse_step(s, source, f"steps[{i}].") for i, s in enumerate(raw_steps))
    for i, s in enumerate(steps):
        if s.no != i + 1:
            raise SopError(source, f"steps[{i}].no", f"steps must be numbered 1..n in order; got {s.no}")
    if sum(1 for s in steps if s.kind == "register") > 1:
        raise SopError(source, "steps", "at most one step may be of kind 'register'")
    total = sum(s.minutes for s in steps)
    standard = _req(d, "standard_minutes", int, source, "")
    if standard != total:
        raise SopError(source, "standard_minutes", f"is {standard} but the steps add up to {total}")
    short = _text(d, "short_name", source, "", max_len=32)
    return Sop(
        code=code, name=_text(d, "name", source, ""), short_name=short, group=group, letter=letter,
        agenda_code=agenda, icon=_text(d, "icon", source, "", 40), version=_text(d, "version", source, "", 40),
        standard_minutes=standard, front_desk_role=front, documents=_texts(d, "documents", source, ""),
        steps=steps, source=source,
    )
