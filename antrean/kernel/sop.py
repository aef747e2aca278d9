"""SOP definitions: the data an SOP plugin declares, validated at load time.

An SOP plugin returns plain dicts from its ``register_sops`` hook.  They are
validated by a typed schema (:class:`SopSchema`, pydantic, like the API's
requests and the settings) and turned into frozen :class:`Sop` objects here;
anything malformed raises
:class:`SopError` naming the plugin's file and the offending field, so the
plugin manager can report it and skip that plugin without taking the kiosk
down.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ConfigDict, ValidationError

from antrean.kernel.schema import Strict, explain, first

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
        return {
            "no": self.no,
            "activity": self.activity,
            "role": self.role,
            "role_name": self.role_name,
            "minutes": self.minutes,
            "documents": list(self.kelengkapan),
            "output": self.output,
            "applicant_present": self.applicant_present,
            "tms": self.tms,
            "kind": self.kind,
        }


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


# -- the schema of an SOP definition (pydantic, like the API's requests and the settings) ------------------------
def _text(max_len: int = 300) -> AfterValidator:
    def check(value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        if len(value) > max_len:
            raise ValueError(f"longer than {max_len} characters")
        return value

    return AfterValidator(check)


def _one_of(what: str, allowed: Collection[str], *, exclude: tuple[str, ...] = ()) -> AfterValidator:
    def check(value: str) -> str:
        if value not in allowed or value in exclude:
            raise ValueError(
                f"unknown {what} {value!r}" + ("" if exclude else f"; expected one of {', '.join(allowed)}")
            )
        return value

    return AfterValidator(check)


def _pattern(regex: re.Pattern[str], says: str) -> AfterValidator:
    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"{value!r} {says}")
        return value

    return AfterValidator(check)


def _tuple_as_list(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _item(value: str) -> str:
    if not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


Texts = Annotated[list[Annotated[str, AfterValidator(_item)]], BeforeValidator(_tuple_as_list)]


def _minutes(value: int) -> int:
    if not 0 <= value <= 24 * 60:
        raise ValueError("must be between 0 and 1440")
    return value


class StepSchema(Strict):
    """One step of an SOP (a row of the Perbup's SOP table)."""

    model_config = ConfigDict(strict=True, extra="forbid")
    no: int
    activity: Annotated[str, _text()]
    role: Annotated[str, _one_of("role", ROLES)]
    minutes: Annotated[int, AfterValidator(_minutes)]
    kelengkapan: Texts
    output: Annotated[str, _text()]
    applicant_present: bool
    tms: bool
    kind: Annotated[str, _one_of("kind", STEP_KINDS)]


class SopSchema(Strict):
    """An SOP as a plugin declares it (``register_sops``); :func:`parse_sop` adds the rules across fields."""

    model_config = ConfigDict(strict=True, extra="forbid")
    code: Annotated[str, _pattern(_CODE, f"must match {_CODE.pattern}")]
    name: Annotated[str, _text()]
    short_name: Annotated[str, _text(32)]
    group: Annotated[str, _one_of("group", GROUPS)]
    letter: Annotated[str, _pattern(_LETTER, "must be one or two capital letters")]
    agenda_code: Annotated[str, _pattern(_AGENDA, f"must match {_AGENDA.pattern}")]
    icon: Annotated[str, _text(40)]
    version: Annotated[str, _text(40)]
    standard_minutes: int
    front_desk_role: Annotated[str, _one_of("staff role", STAFF_ROLES, exclude=("admin",))]
    documents: Texts
    steps: Annotated[list[StepSchema], BeforeValidator(_tuple_as_list)]


def _validated(d: dict[str, Any], source: str) -> SopSchema:
    try:
        return SopSchema.model_validate(d)
    except ValidationError as exc:
        err = first(exc)
        raise SopError(source, err["where"], explain(err)) from None


def parse_step(d: Any, source: str, path: str) -> Step:
    if not isinstance(d, dict):
        raise SopError(source, path.rstrip("."), "must be a mapping")
    try:
        st = StepSchema.model_validate(d)
    except ValidationError as exc:
        err = first(exc)
        raise SopError(source, f"{path}{err['where']}", explain(err)) from None
    return _step(st)


def _step(st: StepSchema) -> Step:
    return Step(
        no=st.no,
        activity=st.activity,
        role=st.role,
        minutes=st.minutes,
        kelengkapan=tuple(st.kelengkapan),
        output=st.output,
        applicant_present=st.applicant_present,
        tms=st.tms,
        kind=st.kind,
    )


def parse_sop(d: Any, source: str = "<unknown>") -> Sop:
    """Validate one SOP dict (:class:`SopSchema`, then the rules across fields) and return the frozen :class:`Sop`."""
    if not isinstance(d, dict):
        raise SopError(source, "sop", f"must be a mapping, got {type(d).__name__}")
    v = _validated(d, source)
    if len(v.steps) < 2:
        raise SopError(source, "steps", "an SOP needs at least two steps")
    steps = tuple(_step(s) for s in v.steps)
    for i, s in enumerate(steps):
        if s.no != i + 1:
            raise SopError(source, f"steps[{i}].no", f"steps must be numbered 1..n in order; got {s.no}")
    if sum(1 for s in steps if s.kind == "register") > 1:
        raise SopError(source, "steps", "at most one step may be of kind 'register'")
    total = sum(s.minutes for s in steps)
    if v.standard_minutes != total:
        raise SopError(source, "standard_minutes", f"is {v.standard_minutes} but the steps add up to {total}")
    return Sop(
        code=v.code,
        name=v.name,
        short_name=v.short_name,
        group=v.group,
        letter=v.letter,
        agenda_code=v.agenda_code,
        icon=v.icon,
        version=v.version,
        standard_minutes=v.standard_minutes,
        front_desk_role=v.front_desk_role,
        documents=tuple(v.documents),
        steps=steps,
        source=source,
    )
