"""Who acts (``Actor``, ``SYSTEM``, ``require_role``) and the queue's shared vocabulary
(``PRIORITIES``, ``DEFAULT_POLICY``): the kernel's, so services, the core and faces import them
from here without importing the core (``antrean.core`` composes the services; they must not
import it back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from antrean.kernel import i18n
from antrean.kernel.errors import Forbidden
from antrean.kernel.sop import STAFF_ROLES
from antrean.kernel.timeutil import utcnow

PRIORITIES: dict[str, str] = {
    "lansia": "Lansia",
    "disabilitas": "Penyandang disabilitas",
    "ibu_hamil": "Ibu hamil / membawa balita",
}

DEFAULT_POLICY: dict[str, Any] = {
    "mode": "priority_first",  # priority_first | ratio | fifo
    "ratio_normal": 2,  # with mode=ratio: this many normal calls…
    "ratio_priority": 1,  # …then this many priority calls
    "max_wait_minutes": 60,  # a ticket waiting longer than this goes first (0 = off)
    "max_recalls": 3,  # recalls allowed before the clerk must skip (no-show)
    "default_service_minutes": 5,
    "booked_first": True,  # a booked ticket inside its slot goes before walk-ins (antrean/services/booking.py)
}


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff user, or a device/system for unauthenticated actions."""

    id: int | None
    username: str
    roles: frozenset[str] = frozenset()
    full_name: str = ""
    #: office codes of the account (("*",) = every office); None for the CLI and devices
    offices: tuple[str, ...] | None = None
    #: the account's session generation when this actor was loaded (see UserService.get)
    epoch: int = 0

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


SYSTEM = Actor(None, "system")


def require_role(actor: Actor, *roles: str) -> None:
    """A bare role check, kept for third-party plugins. Antrean's own decisions live in :mod:`antrean.kernel.policy`."""
    if not actor.roles.intersection(roles):
        titles = [STAFF_ROLES.get(r, r) for r in roles]  # role titles: message ids of the catalogs
        names = i18n.PerLanguage(**{lang: ", ".join(i18n.gettext(t, lang) for t in titles) for lang in i18n.LANGUAGES})
        raise Forbidden(
            "Tindakan ini memerlukan peran: %(names)s.",
            params={"names": names},
            detail=f"user {actor.username!r} has roles {sorted(actor.roles)}, needs one of {list(roles)}",
        )


def now_utc() -> datetime:
    return utcnow()
