"""Staff accounts, password hashing, login throttling and API bearer tokens."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult

from antrean.kernel import policy
from antrean.kernel.actors import SYSTEM, Actor
from antrean.kernel.errors import AntreanError, Conflict, Invalid, NotFound, Unauthorized
from antrean.kernel.models import ApiToken, LoginThrottle, User
from antrean.kernel.runtime import hash_password, password_matches
from antrean.kernel.sop import STAFF_ROLES
from antrean.kernel.timeutil import iso, utcnow

if TYPE_CHECKING:  # type-only: the core composes the services; they never import it at run time
    from antrean.core import Antrean

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
_dummy: dict[str, str] = {}


def _dummy_hash(method: str) -> str:
    """What an unknown name's password is checked against: same method and cost as a real account's hash
    (``method`` is the ``password_hash_method`` setting new accounts get)."""
    if method not in _dummy:
        _dummy[method] = hash_password(secrets.token_urlsafe(16), method)
    return _dummy[method]


class TooManyAttempts(AntreanError):
    status, code = 429, "too_many_attempts"


def _name_key(username: str, address: str) -> str:
    return f"u:{username}|{address}"


def _address_key(address: str) -> str:
    return f"a:{address}"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_of(user: User) -> Actor:
    return Actor(
        user.id,
        user.username,
        frozenset(user.roles or ()),
        user.full_name,
        offices=None if user.offices is None else tuple(user.offices),
        epoch=user.session_epoch or 0,
    )


def offices_of(user: User) -> list[str]:
    """The account's offices; NULL (an account from before revision 0002) is every office."""
    return ["*"] if user.offices is None else list(user.offices)


def member_of(user: User, office_code: str) -> bool:
    """May this account act in the office? (NULL: an account from before offices existed.)"""
    return user.offices is None or "*" in user.offices or office_code in user.offices


class UserService:
    def __init__(self, core: Antrean) -> None:
        self.core = core

    def _validate(self, username: str | None, password: str | None, roles) -> None:
        if username is not None and (not isinstance(username, str) or not USERNAME.match(username)):
            raise Invalid(
                "Nama pengguna 3–60 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung.",
                field="username",
            )
        if password is not None and (not isinstance(password, str) or len(password) < 8 or len(password) > 200):
            raise Invalid("Kata sandi minimal 8 karakter.", field="password")
        if roles is not None:
            if not isinstance(roles, (list, tuple, set, frozenset)) or not roles:
                raise Invalid("Pilih paling sedikit satu peran.", field="roles")
            bad = [r for r in roles if r not in STAFF_ROLES]
            if bad:
                raise Invalid("Peran tidak dikenal.", field="roles", detail=f"unknown roles {bad}")

    def create(
        self, actor: Actor, username: str, password: str, roles, full_name: str = "", offices: list[str] | None = None
    ) -> dict:
        """Create an account for this office (or the given office codes; ["*"] = every office)."""
        core = self.core
        if not policy.is_local_operator(actor):  # the CLI acts as SYSTEM (the person at the console owns the machine)
            policy.require(core, actor, "user.read")
        offices = self._offices(offices)
        policy.require(core, actor, "user.manage", offices)
        self._validate(username, password, roles)
        # before the transaction: ~100 ms of scrypt must not hold the write lock
        pw_hash = hash_password(password, core.settings.password_hash_method)
        with self.core.db.write() as s:
            if s.execute(select(User.id).where(User.username == username)).scalar():
                raise Conflict("Nama pengguna sudah dipakai.", field="username")
            u = User(
                username=username,
                password_hash=pw_hash,
                roles=sorted(set(roles)),
                full_name=(full_name or "").strip()[:120],
                active=True,
                offices=offices,
            )
            s.add(u)
            s.flush()
            self.core.audit(s, actor, "user.create", "user", u.id, username=username, roles=u.roles, offices=offices)
            return self._view(u)

    def update(
        self, actor: Actor, user_id: int, *, roles=None, full_name=None, active=None, password=None, offices=None
    ) -> dict:
        core = self.core
        policy.require(core, actor, "user.read")
        self._validate(None, password, roles)
        method = core.settings.password_hash_method
        new_hash = hash_password(password, method) if password is not None else None  # outside the write lock
        with self.core.db.write() as s:
            u = s.get(User, user_id) if isinstance(user_id, int) else None
            if u is None or not member_of(u, self.core.settings.office_code):
                raise NotFound("Pengguna tidak ditemukan.")
            policy.require(core, actor, "user.manage", offices_of(u))  # the account as it is…
            changed: dict[str, Any] = {}
            if offices is not None:
                new = self._offices(offices)
                policy.require(core, actor, "user.manage", new)  # …and as it would be
                changed["offices"] = [u.offices, new]
                u.offices = new
            if roles is not None:
                changed["roles"] = [u.roles, sorted(set(roles))]
                u.roles = sorted(set(roles))
            if full_name is not None:
                changed["full_name"] = [u.full_name, full_name.strip()[:120]]
                u.full_name = full_name.strip()[:120]
            if active is not None:
                changed["active"] = [u.active, bool(active)]
                u.active = bool(active)
            if new_hash is not None:  # a password was given
                u.password_hash = new_hash
                changed["password"] = "changed"
            if self._narrows(changed):
                self._end_sessions(s, u)
                changed["sessions"] = "ended"
            self.core.audit(s, actor, "user.update", "user", u.id, username=u.username, changes=changed)
            return self._view(u)

    @staticmethod
    def _narrows(changed: Mapping[str, Any]) -> bool:
        """Does the change end the account's sessions? A new password, disabling, a role or office taken away."""
        if "password" in changed or "offices" in changed:
            return True
        if "active" in changed and not changed["active"][1]:
            return True
        if "roles" in changed:
            old, new = changed["roles"]
            return bool(set(old or ()) - set(new))
        return False

    @staticmethod
    def _end_sessions(s, u: User) -> None:
        """Every console session (their epoch no longer matches) and every API token of the account end now."""
        u.session_epoch = (u.session_epoch or 0) + 1
        s.execute(ApiToken.__table__.delete().where(ApiToken.user_id == u.id))

    def logout(self, actor: Actor, user_id: int | None = None) -> None:
        """Log an account out everywhere: its sessions and tokens end (a copied cookie is refused too).
        ``user_id``: another account (the CLI, as SYSTEM); default the actor's own. Audited with who did it."""
        user_id = actor.id if user_id is None else user_id
        with self.core.db.write() as s:
            u = s.get(User, user_id) if user_id is not None else None
            if u is None:
                return
            self._end_sessions(s, u)
            self.core.audit(s, actor, "auth.logout", "user", u.username)

    def _offices(self, offices) -> list[str]:
        if offices is None:
            return [self.core.settings.office_code]
        if (
            not isinstance(offices, (list, tuple))
            or not offices
            or not all(isinstance(o, str) and re.fullmatch(r"\*|[A-Za-z0-9._-]{1,40}", o) for o in offices)
        ):
            raise Invalid("Daftar kantor tidak sah.", field="offices")
        return sorted(set(offices))

    def list(self, actor: Actor | None = None) -> list[dict]:
        """The accounts that may act in this office; with ``actor`` (an admin), each says whether the actor
        may change it (``manageable``)."""
        core = self.core
        if actor is not None:
            policy.require(core, actor, "user.read")
        code = core.settings.office_code
        with core.db.read() as s:
            out = []
            for u in s.execute(select(User).order_by(User.username)).scalars():
                if member_of(u, code):
                    view = self._view(u)
                    if actor is not None:
                        view["manageable"] = policy.can(core, actor, "user.manage", offices_of(u))
                    out.append(view)
            return out

    def get(self, user_id: int, epoch: int | None = None) -> Actor | None:
        """The actor behind a session, or None when the account is disabled, not of this office, or (with
        ``epoch``, the value the session was opened with) logged out / changed since."""
        with self.core.db.read() as s:
            u = s.get(User, user_id)
            if u is None or not u.active or not member_of(u, self.core.settings.office_code):
                return None
            if epoch is not None and epoch != (u.session_epoch or 0):
                return None
            return actor_of(u)

    @staticmethod
    def _view(u: User) -> dict:
        return {
            "id": u.id,
            "username": u.username,
            "full_name": u.full_name,
            "roles": list(u.roles or []),
            "offices": None if u.offices is None else list(u.offices),
            "active": u.active,
            "created_at": iso(u.created_at),
        }

    # -- authentication -------------------------------------------------------
    def authenticate(self, username: str, password: str, *, source: str = "") -> Actor:
        """Check a password, throttled per (username, address) and per address (see LoginThrottle).

        Each attempt is counted atomically BEFORE its password is checked, so 40 parallel guesses get at most
        ``login_max_failures`` evaluated, whichever process they reach. A locked address is refused for the
        rest of its window; other addresses (the Camat at her desk) are not affected: there is no account lock
        anyone could trigger. An unknown or disabled name is hashed against a dummy hash, so the answer takes
        the same time whether the name exists or not. Failures are audited once per address and window (the
        first failure, and the lock with its count), not once per guess.
        """
        core, st = self.core, self.core.settings
        if (
            not isinstance(username, str)
            or not isinstance(password, str)
            or not username
            or len(username) > 60
            or len(password) > 200
            or "\x00" in username
            or "\x00" in password
        ):
            raise Invalid("Nama pengguna dan kata sandi wajib diisi.")
        username = username.strip().lower()
        address = (source or "?")[:64]
        now = utcnow()
        window = timedelta(minutes=st.login_window_minutes)
        by_name, by_address = self._reserve(username, address, now, window)
        over = ([by_name] if by_name[0] > st.login_max_failures else []) + (
            [by_address] if by_address[0] > st.login_max_failures_address else []
        )
        if over:
            count, started = max(over)
            if by_name[0] == st.login_max_failures + 1 or by_address[0] == st.login_max_failures_address + 1:
                with core.db.write(durable=False) as s:  # the moment the lock trips: one row with the count
                    core.audit(
                        s,
                        Actor(None, username),
                        "auth.locked",
                        "address",
                        address,
                        username=username,
                        failures_for_name=by_name[0] - 1,
                        failures_from_address=by_address[0] - 1,
                        window_start=iso(started),
                    )
            minutes = max(1, math.ceil((started + window - now).total_seconds() / 60))
            raise TooManyAttempts(
                "Terlalu banyak percobaan masuk dari perangkat ini. Coba lagi dalam %(minutes)s menit.",
                params={"minutes": minutes},
                retry_after=minutes * 60,
            )
        with core.db.read() as s:
            u = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
        # always one hash, of the account's or a dummy's: the time does not tell whether the name exists
        stored = u.password_hash if u is not None else _dummy_hash(core.settings.password_hash_method)
        good = password_matches(stored, password)
        ok = good and u is not None and u.active and member_of(u, core.settings.office_code)
        if u is None or not ok:
            if by_address[0] == 1 or by_name[0] == 1:
                with core.db.write(durable=False) as s:
                    core.audit(
                        s, Actor(None, username), "auth.failed", "user", username, source=address, first_of_window=True
                    )
            raise Unauthorized("Nama pengguna atau kata sandi salah.")
        with core.db.write() as s:
            s.execute(delete(LoginThrottle).where(LoginThrottle.key == _name_key(username, address)))
            s.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == _address_key(address), LoginThrottle.count > 0)
                .values(count=LoginThrottle.count - 1)
            )  # this attempt was not a failure
            core.audit(s, actor_of(u), "auth.login", "user", username, source=source)
        return actor_of(u)

    def _reserve(self, username: str, address: str, now, window) -> tuple[tuple[int, datetime], tuple[int, datetime]]:
        """Count one attempt for (username, address) and for address, atomically; the counts and window starts."""
        db = self.core.db
        table = LoginThrottle.__table__
        since = now - window
        out = []
        with db.write(durable=False) as s:
            for key, name in ((_name_key(username, address), username), (_address_key(address), "")):
                ins = (
                    (postgresql if db.dialect == "postgresql" else sqlite)
                    .insert(table)
                    .values(key=key, username=name, address=address, count=1, window_start=now)
                )
                expired = table.c.window_start < since
                stmt = ins.on_conflict_do_update(
                    index_elements=[table.c.key],
                    set_={
                        "count": case((expired, 1), else_=table.c.count + 1),
                        "window_start": case((expired, now), else_=table.c.window_start),
                    },
                ).returning(table.c.count, table.c.window_start)
                count, started = s.execute(stmt).one()
                out.append((count, started))
        return out[0], out[1]

    def unlock(self, username: str, address: str | None = None, actor: Actor | None = None) -> int:
        """Forget the failed logins of ``username`` (from every address) and, if given, of ``address``."""
        actor = actor or SYSTEM
        if actor.id is not None:
            policy.require(self.core, actor, "user.manage")
        username = username.strip().lower()
        with self.core.db.write() as s:
            cond = LoginThrottle.username == username
            if address:
                cond = or_(cond, LoginThrottle.key == _address_key(address))
            # a DELETE's result is a CursorResult (Session.execute is typed for any statement)
            n = cast("CursorResult[Any]", s.execute(delete(LoginThrottle).where(cond))).rowcount
            self.core.audit(s, actor, "auth.unlock", "user", username, address=address or "", rows=n)
        return n

    def issue_token(self, actor: Actor) -> dict:
        token = secrets.token_urlsafe(32)
        expires = utcnow() + timedelta(hours=self.core.settings.token_hours)
        with self.core.db.write() as s:
            s.add(ApiToken(user_id=actor.id, token_hash=_hash_token(token), expires_at=expires))
            self.core.audit(s, actor, "auth.token", "user", actor.username)
        return {"token": token, "token_type": "Bearer", "expires_at": iso(expires)}

    def actor_for_token(self, token: str) -> Actor | None:
        if not token or len(token) > 100:
            return None
        with self.core.db.read() as s:
            row = s.execute(
                select(User, ApiToken.expires_at)
                .join(ApiToken, ApiToken.user_id == User.id)
                .where(ApiToken.token_hash == _hash_token(token))
            ).first()
            if row is None:
                return None
            user, expires = row
            if expires < utcnow() or not user.active or not member_of(user, self.core.settings.office_code):
                return None
            return actor_of(user)
