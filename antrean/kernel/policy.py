"""Who may read and do what: the one place that decides, for the API, the console, the CLI, exports and events.

Every decision is ``can(core, actor, action, target)``; faces call ``require`` (or the services of the core do).
``ACTIONS`` is the whole table: an action name → the roles that may do it, plus a rule on the target where
the roles alone do not decide (an application's SOP, a step's role, an account's offices).

- **Writes** that are refused raise :class:`Forbidden` (403).
- **Reads of a record** the actor may not see raise :class:`NotFound` (404): a clerk of another SOP cannot tell
  an application that exists from one that does not.
- Lists never hold records the actor may not read: :func:`application_filter` is the same rule as SQL, so
  worklists and counts filter in the database.

Personal data of an application (name, NIK, phone, notes) is read by staff holding a role in the application's
SOP (after the office's role mapping), the office heads (camat, sekcam) and admins. The full NIK is masked
everywhere; ``application.reveal_nik`` is an explicit, audited action.

Offices are a hard wall: an office admin manages only accounts of its own office alone; accounts spanning offices
(and the regency admin, offices ``["*"]``) are managed only by a regency admin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, false, select
from sqlalchemy.orm import Session

from antrean.kernel import i18n
from antrean.kernel.actors import Actor
from antrean.kernel.config import Settings
from antrean.kernel.errors import Forbidden, NotFound, Unauthorized
from antrean.kernel.models import Application, Service
from antrean.kernel.sop import STAFF_ROLES, Sop

RoleMap = dict[str, str]


class PolicyCore(Protocol):
    """What the policy reads of the core (``antrean.core.Antrean`` is one; the kernel does not import it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def office_id(self) -> int: ...

    @property
    def sops(self) -> Mapping[str, Sop]: ...

    def effective_role(self, sop: Sop, role: str, role_map: RoleMap | None) -> str: ...

    def service(self, code: str) -> dict[str, Any]: ...


#: a rule's target: an Application row, an application view dict or a service code (reads); (sop, step number,
#: role map) (steps); the account's offices (accounts)
Target = Any

#: the office heads: they read every application of their office
HEADS = ("camat", "sekcam")
#: roles that read the monthly report
REPORT_ROLES = ("camat", "sekcam", "kasi_pelayanan", "admin")
#: any staff member may work a counter; admins configure them
COUNTER_ROLES = tuple(r for r in STAFF_ROLES if r != "admin")
#: roles that may reprint a ticket
REPRINT_ROLES = ("petugas_pelayanan", "kasi_pelayanan", "admin")
ANY_STAFF = tuple(STAFF_ROLES)
#: roles that watch the outbox of messages to citizens
NOTIFY_ROLES = ("kasi_pelayanan", "admin")


@dataclass(frozen=True)
class Rule:
    """``roles``: the actor needs one of them. ``check(core, actor, target)``: a further rule on the target
    (skipped when no target is given: "may this actor do this kind of thing at all?"). ``read``: a refusal
    on a target is a 404, not a 403. ``who``: the README's words for it."""

    roles: tuple[str, ...]
    who: str
    check: Callable[[PolicyCore, Actor, Target], bool] | None = None
    read: bool = False


def is_local_operator(actor: Actor) -> bool:
    """The person at the server's command line (``antrean user add``): the CLI acts as SYSTEM."""
    return actor.id is None and actor.username == "system" and not actor.roles


def is_regency(actor: Actor) -> bool:
    """An account of every office (offices ``["*"]`` or an account from before offices existed)."""
    offices = getattr(actor, "offices", None)
    return offices is None or "*" in offices


# -- applications ------------------------------------------------------------------------------
def sop_roles(core: PolicyCore, code: str, role_map: RoleMap | None) -> frozenset[str]:
    """The office roles that perform some step of the SOP ``code`` (after the office's role mapping)."""
    sop = core.sops.get(code)
    if sop is None:
        return frozenset()
    return frozenset(core.effective_role(sop, st.role, role_map) for st in sop.steps)


def _role_maps(core: PolicyCore, session: Session) -> dict[str, RoleMap]:
    return {
        code: rm or {}
        for code, rm in session.execute(
            select(Service.code, Service.role_map).where(Service.office_id == core.office_id)
        ).all()
    }


def readable_services(
    core: PolicyCore, actor: Actor, session: Session, role_maps: Mapping[str, RoleMap | None] | None = None
) -> frozenset[str] | None:
    """Service codes whose applications the actor may read (None: every service of the office).
    ``role_maps`` (code → the office's role map) saves a query when the caller has the service rows."""
    if actor.roles.intersection(HEADS + ("admin",)):
        return None
    maps = role_maps if role_maps is not None else _role_maps(core, session)
    return frozenset(code for code in core.sops if actor.roles & sop_roles(core, code, maps.get(code)))


def application_filter(
    core: PolicyCore, actor: Actor, session: Session, role_maps: Mapping[str, RoleMap | None] | None = None
) -> ColumnElement[bool]:
    """The rule of ``application.read`` as an SQL condition on ``Application`` (runs in the database)."""
    codes = readable_services(core, actor, session, role_maps)
    office = Application.office_id == core.office_id
    if codes is None:
        return office
    if not codes:
        return false()
    return office & Application.service_code.in_(sorted(codes))


def _service_of(target: Target) -> tuple[str, RoleMap | None]:
    """(service code, role map or None) of an Application row, a view dict or a service code."""
    if isinstance(target, str):
        return target, None
    if isinstance(target, dict):
        return str(target.get("service") or ""), target.get("role_map")
    return str(target.service_code), None


def _reads_application(core: PolicyCore, actor: Actor, target: Target) -> bool:
    if actor.roles.intersection(HEADS + ("admin",)):
        return True
    code, role_map = _service_of(target)
    if role_map is None:
        role_map = core.service(code)["role_map"] if code in core.sops else {}
    return bool(actor.roles & sop_roles(core, code, role_map))


def step_role(core: PolicyCore, sop: Sop, step_no: int, role_map: RoleMap | None) -> str:
    return core.effective_role(sop, sop.step(step_no).role, role_map)


def _does_step(core: PolicyCore, actor: Actor, target: Target) -> bool:
    sop, step_no, role_map = target
    return step_role(core, sop, step_no, role_map) in actor.roles


def _step_refusal(core: PolicyCore, actor: Actor, target: Target) -> Forbidden:
    sop, step_no, role_map = target
    step, role = sop.step(step_no), step_role(core, sop, step_no, role_map)
    name = i18n.LazyString(STAFF_ROLES.get(role, role))  # a role title: a message id of the catalogs
    return Forbidden(
        "Langkah %(step_no)s (%(activity)s) hanya boleh dikerjakan oleh %(name)s.",
        params={"step_no": step_no, "activity": step.activity, "name": name},
        detail=f"user {actor.username!r} has {sorted(actor.roles)}, step needs {role!r}",
    )


# -- accounts ------------------------------------------------------------------------------------
def _manages_account(core: PolicyCore, actor: Actor, target_offices: Iterable[str]) -> bool:
    """``target_offices``: the account's offices (an existing account's, or the ones asked for a new one).
    An office admin manages accounts of this office alone; anything wider needs a regency admin."""
    if is_regency(actor):
        return True
    return list(target_offices) == [core.settings.office_code]


# -- the table ------------------------------------------------------------------------------------
ADMIN = ("admin",)
ACTIONS: dict[str, Rule] = {
    "console.home": Rule(ANY_STAFF, "any staff"),
    "auth.logout": Rule(ANY_STAFF, "any staff (ends every session and token of the account)"),
    "worklist.read": Rule(ANY_STAFF, "any staff (only applications they may read, steps they may do)"),
    "counter.read": Rule(COUNTER_ROLES, "counter roles (every role but admin)"),
    "counter.operate": Rule(COUNTER_ROLES, "counter roles (every role but admin)"),
    "ticket.read": Rule(ANY_STAFF, "any staff (no personal data)"),
    "ticket.reprint": Rule(REPRINT_ROLES, "petugas_pelayanan, kasi_pelayanan, admin"),
    # cancelling closes a citizen's ticket for good (outcome cancelled, with a reason): the people who work the
    # lokets decide it, Kasi Pelayanan included (a counter role); an admin configures and does not (as counter.operate)
    "ticket.cancel": Rule(COUNTER_ROLES, "counter roles, Kasi included (every role but admin)"),
    "application.open": Rule(
        ANY_STAFF, "the role of the SOP's first step", check=lambda core, actor, t: _does_step(core, actor, t)
    ),
    "application.read": Rule(
        ANY_STAFF, "a role in the application's SOP, camat, sekcam, admin", check=_reads_application, read=True
    ),
    "application.reveal_nik": Rule(ANY_STAFF, "as application.read; audited", check=_reads_application, read=True),
    "application.step": Rule(
        ANY_STAFF,
        "the step's role (after the office's role mapping)",
        check=lambda core, actor, t: _does_step(core, actor, t),
    ),
    "booking.read": Rule(ANY_STAFF, "any staff (a day's bookings per slot, no personal data)"),
    "booking.read_personal": Rule(
        ("petugas_pelayanan", "kasi_pelayanan", "sekcam", "camat", "admin"),
        "petugas_pelayanan, kasi_pelayanan, sekcam, camat, admin (name, phone, masked NIK)",
    ),
    "booking.check_in": Rule(ANY_STAFF, "any staff (check-in by code at a counter)"),
    "report.read": Rule(REPORT_ROLES, "camat, sekcam, kasi_pelayanan, admin"),
    "audit.read": Rule(ADMIN, "admin"),
    "settings.write": Rule(ADMIN, "admin"),
    "office.write": Rule(ADMIN, "admin"),
    "service.write": Rule(ADMIN, "admin"),
    "counter.manage": Rule(ADMIN, "admin"),
    "printer.read": Rule(ANY_STAFF, "any staff"),
    "printer.manage": Rule(ADMIN, "admin"),
    "user.read": Rule(ADMIN, "admin"),
    "notify.read": Rule(NOTIFY_ROLES, "kasi_pelayanan, admin (the outbox of messages to citizens, numbers masked)"),
    "notify.resend": Rule(NOTIFY_ROLES, "kasi_pelayanan, admin (an uncertain or failed message; audited)"),
    "notify.reveal_phone": Rule(ADMIN, "admin (full numbers in the outbox)"),
    "user.manage": Rule(
        ADMIN, "admin of this office alone for its own accounts; a regency admin for the rest", check=_manages_account
    ),
}


def _roles_ok(actor: Actor, rule: Rule) -> bool:
    return bool(actor.roles.intersection(rule.roles))


def can(core: PolicyCore, actor: Actor | None, action: str, target: Target = None) -> bool:
    """May ``actor`` do ``action`` (on ``target``, when given)? Unknown actions are refused."""
    rule = ACTIONS.get(action)
    if rule is None or actor is None:
        return False
    if action == "user.manage" and is_local_operator(actor):
        return True  # the CLI on the server itself
    if not _roles_ok(actor, rule):
        return False
    return target is None or rule.check is None or bool(rule.check(core, actor, target))


def require(core: PolicyCore, actor: Actor | None, action: str, target: Target = None) -> None:
    """``can`` or raise: Forbidden (403) for a refused action, NotFound (404) for a record the actor may not read."""
    if can(core, actor, action, target):
        return
    if actor is None:  # nobody logged in: a clear 401, not an AttributeError on the missing actor
        raise Unauthorized("Silakan masuk terlebih dahulu.", detail=f"{action!r} needs a logged-in staff member")
    rule = ACTIONS.get(action)
    if rule is None:
        raise Forbidden("Tindakan tidak dikenal.", detail=f"no policy for {action!r}")
    if target is not None and rule.read and _roles_ok(actor, rule):
        raise NotFound("Permohonan tidak ditemukan.")
    if target is not None and action == "user.manage" and _roles_ok(actor, rule):
        raise Forbidden(
            "Akun ini hanya dapat diubah oleh admin kabupaten (akun lintas kantor).",
            detail=f"user {actor.username!r} (offices {getattr(actor, 'offices', None)}) may manage "
            f"only accounts of office {core.settings.office_code!r} alone",
        )
    if target is not None and action in ("application.step", "application.open") and _roles_ok(actor, rule):
        raise _step_refusal(core, actor, target)
    names = ", ".join(STAFF_ROLES.get(r, r) for r in rule.roles)
    raise Forbidden(
        "Tindakan ini memerlukan peran: %(names)s.",
        params={"names": names},
        detail=f"user {actor.username!r} has roles {sorted(actor.roles)}, {action!r} needs one of {list(rule.roles)}",
    )


def redact(application: dict[str, Any]) -> dict[str, Any]:
    """An application view without personal data, for events and hooks (no name, NIK, phone or notes)."""
    out = {
        k: v for k, v in application.items() if k not in ("applicant_name", "nik", "nik_masked", "phone", "tms_reason")
    }
    if "timeline" in out:
        out["timeline"] = [redact_log(t) for t in out["timeline"]]
    return out


def redact_log(log: dict[str, Any]) -> dict[str, Any]:
    """A timeline entry without its note (free text may name the applicant)."""
    return {k: v for k, v in log.items() if k != "note"}
