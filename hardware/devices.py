"""Kiosks registered by the admin: a device key per kiosk, stored only as a hash.

``antrean kiosk add NAME`` registers (or re-keys) the kiosk NAME and prints its key once; the kiosk page sends
it as the ``X-Device-Key`` header (docs/kiosk.md). A request with a registered key is limited per device at
the generous ``rate_kiosk`` instead of per address (antrean/web/limits.py asks the hook ``authenticate_device``,
answered by :func:`name_for_key`), and its tickets carry the registered name as ``device_id`` whatever the
request claims. The row is the same ``kiosk_device`` row that assigns the kiosk's printer (hardware/store.py):
one kiosk, one row; both belong to the hardware plugin. Faces reach these functions through
``core.extensions["hardware"].devices`` (hardware/service.py), never by importing this module.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import select

from antrean.kernel.actors import SYSTEM, Actor, require_role
from antrean.kernel.errors import Invalid, NotFound
from antrean.kernel.timeutil import iso, utcnow
from hardware.models import KioskDevice

NAME = re.compile(r"^[A-Za-z0-9._:-]{1,80}$")  # as the kiosk page's ?device=
KEY_PREFIX = "ak_"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise Invalid(
            "Nama kios 1–80 karakter: huruf, angka, titik, titik dua, garis bawah atau tanda hubung.",
            field="name",
            detail=f"name {name!r}",
        )
    return name


def add(core, name: str, actor: Actor = SYSTEM) -> str:
    """Register kiosk ``name`` (a new key if it had one: the old key stops working). Returns the key."""
    if actor.id is not None:
        require_role(actor, "admin")
    name = _check_name(name)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with core.db.write() as s:
        row = s.execute(
            select(KioskDevice).where(KioskDevice.office_id == core.office_id, KioskDevice.device_id == name)
        ).scalar_one_or_none()
        rekey = row is not None and row.key_hash is not None
        if row is None:
            row = KioskDevice(office_id=core.office_id, device_id=name, name=name)
            s.add(row)
        row.key_hash, row.registered_at = key_hash(key), utcnow()
        core.audit(s, actor, "kiosk.rekey" if rekey else "kiosk.register", "kiosk", name)
    return key


def remove(core, name: str, actor: Actor = SYSTEM) -> None:
    """Unregister kiosk ``name``: its key stops working (its printer assignment stays)."""
    if actor.id is not None:
        require_role(actor, "admin")
    with core.db.write() as s:
        row = s.execute(
            select(KioskDevice).where(KioskDevice.office_id == core.office_id, KioskDevice.device_id == name)
        ).scalar_one_or_none()
        if row is None or row.key_hash is None:
            raise NotFound("Kios tidak terdaftar.", detail=f"kiosk {name!r}")
        row.key_hash, row.registered_at = None, None
        core.audit(s, actor, "kiosk.unregister", "kiosk", name)


def registered(core) -> list[dict]:
    with core.db.read() as s:
        rows = s.execute(
            select(KioskDevice)
            .where(KioskDevice.office_id == core.office_id, KioskDevice.key_hash.is_not(None))
            .order_by(KioskDevice.device_id)
        ).scalars()
        return [
            {
                "name": r.device_id,
                "registered_at": iso(r.registered_at),
                "last_seen": iso(r.last_seen),
                "printer": r.printer_name,
            }
            for r in rows
        ]


def name_for_key(core, key: str | None) -> str | None:
    """The registered kiosk this key belongs to (in this office), or None."""
    if not key or len(key) > 200 or not key.startswith(KEY_PREFIX):
        return None
    with core.db.read() as s:
        return s.execute(
            select(KioskDevice.device_id).where(
                KioskDevice.office_id == core.office_id, KioskDevice.key_hash == key_hash(key)
            )
        ).scalar()
