"""Staff accounts, password hashing, login throttling and API bearer tokens."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import func, select
from .runtime import hash_password, password_matches

from . import policy
from .core import Actor
from .errors import AntreanError, Conflict, Invalid, NotFound
from .models import ApiToken, AuditLog, User
from .sop import STAFF_ROLES
from .timeutil import iso, utcnow

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_MAX_FAILURES = 5


class TooManyAttempts(AntreanError):
    status, code = 429, "too_many_attempts"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.username, frozenset(user.roles or ()), user.full_name,
                 offices=None if user.offices is None else tuple(user.offices), epoch=user.session_epoch or 0)


def offices_of(user: User) -> list[str]:
    """The account's offices; NULL (an account from before revision 0002) is every office."""
    return ["*"] if user.offices is None else list(user.offices)


def member_of(user: User, office_code: str) -> bool:
    """May this account act in the office? (NULL: an account from before offices existed.)"""
    return user.offices is None or "*" in user.offices or office_code in user.offices


class UserService:
    def __init__(self, core):
        self.core = core

    def _validate(self, username: str | None, password: str | None, roles) -> None:
        if username is not None and (not isinstance(username, str) or not USERNAME.match(username)):
            raise Invalid("Nama pengguna 3–60 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung.",
                          "Username: 3-60 chars of a-z 0-9 . _ -", field="username")
        if password is not None and (not isinstance(password, str) or len(password) < 8 or len(password) > 200):
            raise Invalid("Kata sandi minimal 8 karakter.", "Password must be at least 8 characters.", field="password")
        if roles is not None:
            if not isinstance(roles, (list, tuple, set, frozenset)) or not roles:
                raise Invalid("Pilih paling sedikit satu peran.", "Choose at least one role.", field="roles")
            bad = [r for r in roles if r not in STAFF_ROLES]
            if bad:
                raise Invalid("Peran tidak dikenal.", "Unknown role.", field="roles", detail=f"unknown roles {bad}")

    def create(self, actor: Actor, username: str, password: str, roles, full_name: str = "",
               offices: list[str] | None = None) -> dict:
        """Create an account for this office (or the given office codes; ["*"] = every office)."""
        core = self.core
        if not policy.is_local_operator(actor):  # the CLI acts as SYSTEM (the person at the console owns the machine)
            policy.require(core, actor, "user.read")
        offices = self._offices(offices)
        policy.require(core, actor, "user.manage", offices)
        self._validate(username, password, roles)
        pw_hash = hash_password(password)  # before the transaction: ~100 ms must not hold the write lock
        with self.core.db.write() as s:
            if s.execute(select(User.id).where(User.username == username)).scalar():
                raise Conflict("Nama pengguna sudah dipakai.", "Username is taken.", field="username")
            u = User(username=username, password_hash=pw_hash, roles=sorted(set(roles)),
                     full_name=(full_name or "").strip()[:120], active=True, offices=offices)
            s.add(u)
            s.flush()
            self.core.audit(s, actor, "user.create", "user", u.id, username=username, roles=u.roles, offices=offices)
            return self._view(u)

    def update(self, actor: Actor, user_id: int, *, roles=None, full_name=None, active=None, password=None,
               offices=None) -> dict:
        core = self.core
        policy.require(core, actor, "user.read")
        self._validate(None, password, roles)
        new_hash = hash_password(password) if password is not None else None  # outside the write lock
        with self.core.db.write() as s:
            u = s.get(User, user_id) if isinstance(user_id, int) else None
            if u is None or not member_of(u, self.core.settings.office_code):
                raise NotFound("Pengguna tidak ditemukan.", "User not found.")
            policy.require(core, actor, "user.manage", offices_of(u))  # the account as it is…
            changed = {}
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
            if password is not None:
                u.password_hash = new_hash
                changed["password"] = "changed"
            if self._narrows(changed):
                self._end_sessions(s, u)
                changed["sessions"] = "ended"
            self.core.audit(s, actor, "user.update", "user", u.id, username=u.username, changes=changed)
            return self._view(u)

    @staticmethod
    def _narrows(changed: dict) -> bool:
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
        if not isinstance(offices, (list, tuple)) or not offices or not all(
                isinstance(o, str) and re.fullmatch(r"\*|[A-Za-z0-9._-]{1,40}", o) for o in offices):
            raise Invalid("Daftar kantor tidak sah.", "Invalid office list.", field="offices")
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
            ok = u is not None and u.active and member_of(u, self.core.settings.office_code)
            if ok and epoch is not None and epoch != (u.session_epoch or 0):
                ok = False
            return actor_of(u) if ok else None

    @staticmethod
    def _view(u: User) -> dict:
        return {"id": u.id, "username": u.username, "full_name": u.full_name, "roles": list(u.roles or []),
                "offices": None if u.offices is None else list(u.offices), "active": u.active,
                "created_at": iso(u.created_at)}

    # -- authentication -------------------------------------------------------
    def authenticate(self, username: str, password: str, *, source: str = "") -> Actor:
        """Check a password; 5 failures within 15 minutes lock the username for the rest of the window."""
        core = self.core
        if not isinstance(username, str) or not isinstance(password, str) or not username or len(username) > 60:
            raise Invalid("Nama pengguna dan kata sandi wajib diisi.", "Username and password are required.")
        username = username.strip().lower()
        since = utcnow() - LOGIN_WINDOW
        # Read, then hash outside any transaction: a hash (~100 ms) inside a write transaction would hold
        # SQLite's write lock (and, under gevent, the process's write gate) and queue every other write
        # of the office — calls included — behind each login.
        with core.db.read() as s:
            failures = s.execute(select(func.count()).select_from(AuditLog).where(
                AuditLog.action == "auth.failed", AuditLog.target_id == username, AuditLog.at >= since)).scalar_one()
            if failures >= LOGIN_MAX_FAILURES:
                raise TooManyAttempts("Terlalu banyak percobaan masuk. Coba lagi dalam 15 menit.",
                                      "Too many login attempts. Try again in 15 minutes.")
            u = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
        ok = (u is not None and u.active and member_of(u, core.settings.office_code)
              and password_matches(u.password_hash, password))
        if not ok:
            with core.db.write() as s:
                core.audit(s, Actor(None, username), "auth.failed", "user", username, source=source)
        if not ok:
            from .errors import Unauthorized
            raise Unauthorized("Nama pengguna atau kata sandi salah.", "Wrong username or password.")
        with core.db.write() as s:
            core.audit(s, actor_of(u), "auth.login", "user", username, source=source)
        return actor_of(u)

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
            row = s.execute(select(User, ApiToken.expires_at).join(ApiToken, ApiToken.user_id == User.id)
                            .where(ApiToken.token_hash == _hash_token(token))).first()
            if row is None:
                return None
            user, expires = row
            if expires < utcnow() or not user.active or not member_of(user, self.core.settings.office_code):
                return None
            return actor_of(user)
