"""Login throttling that holds: counted atomically before a password is checked, per (name, address) and per
address; no account lock anyone could trigger; the same work whether the name exists; few audit rows."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from antrean.kernel.errors import Unauthorized
from antrean.kernel.models import AuditLog
from antrean.services import users as users_mod
from antrean.services.users import TooManyAttempts

ATTACKER, DESK = "10.0.0.66", "10.0.0.10"


@pytest.fixture
def evaluated(monkeypatch):
    """Counts password hashes actually checked."""
    calls = []
    lock = threading.Lock()
    real = users_mod.password_matches

    def counting(hash_, password):
        with lock:
            calls.append(hash_)
        return real(hash_, password)

    monkeypatch.setattr(users_mod, "password_matches", counting)
    return calls


@pytest.fixture
def camat(core, make_user):
    return make_user(core, "camat", ["camat"])


def attempt(core, name, password, source=ATTACKER):
    try:
        core.users.authenticate(name, password, source=source)
        return "ok"
    except TooManyAttempts:
        return "locked"
    except Unauthorized:
        return "wrong"


def parallel_guesses(core, n=40) -> list[str]:
    barrier = threading.Barrier(n)

    def guess(i):
        barrier.wait()
        return attempt(core, "camat", f"tebakan-{i:03d}")

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(guess, range(n)))


def test_forty_parallel_guesses_get_at_most_five_evaluated(settings_dict, database_url, make_user, evaluated):
    """The one login race, on SQLite and on PostgreSQL (the backends differ only in the URL)."""
    from antrean.core import Antrean
    from plugins import BUILTIN_SOP_MODULES

    c = Antrean(settings_dict | {"database_url": database_url}, builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
    try:
        c.migrate()
        make_user(c, "camat", ["camat"])
        results = parallel_guesses(c)
        assert len(evaluated) <= c.settings.login_max_failures
        assert results.count("wrong") == len(evaluated) and results.count("locked") == 40 - len(evaluated)
        assert attempt(c, "camat", "rahasia123", source=DESK) == "ok"
    finally:
        c.close()


def test_the_lock_is_per_address_not_per_account(core, camat, evaluated):
    for i in range(5):
        assert attempt(core, "camat", f"salah-{i}") == "wrong"
    assert attempt(core, "camat", "rahasia123") == "locked"  # the right password: still refused there
    assert attempt(core, "camat", "rahasia123", source=DESK) == "ok"  # the Camat at her desk is not locked out


def test_guesses_spread_over_many_names_lock_the_address(core, camat):
    limit = core.settings.login_max_failures_address
    results = [attempt(core, f"pengguna{i:02d}", "tebak-tebak") for i in range(limit + 3)]
    assert results[:limit] == ["wrong"] * limit and set(results[limit:]) == {"locked"}
    assert attempt(core, "camat", "rahasia123") == "locked"
    assert attempt(core, "camat", "rahasia123", source=DESK) == "ok"


def test_known_and_unknown_names_cost_the_same_hash(core, camat, evaluated):
    """The answer takes as long whether the name exists: one scrypt hash of the same method either way."""
    attempt(core, "camat", "salah-salah")
    attempt(core, "tidak-ada", "salah-salah")
    assert len(evaluated) == 2
    assert evaluated[0].split("$")[0] == evaluated[1].split("$")[0]  # same method and cost parameters


def test_a_disabled_account_is_hashed_too(core, make_user, admin, evaluated):
    u = make_user(core, "lama", ["camat"])
    core.users.update(admin, u.id, active=False)
    assert attempt(core, "lama", "rahasia123") == "wrong" and len(evaluated) == 1


def test_the_window_expires(core, camat, monkeypatch):
    from antrean.kernel.timeutil import utcnow

    for i in range(6):
        attempt(core, "camat", f"salah-{i}")
    assert attempt(core, "camat", "rahasia123") == "locked"
    later = utcnow() + timedelta(minutes=core.settings.login_window_minutes + 1)
    monkeypatch.setattr(users_mod, "utcnow", lambda: later)
    assert attempt(core, "camat", "rahasia123") == "ok"


def test_success_clears_the_names_count(core, camat):
    for _ in range(3):
        attempt(core, "camat", "salah-salah")
    assert attempt(core, "camat", "rahasia123") == "ok"
    for _ in range(4):  # 3 earlier failures are forgotten: 4 more are still allowed
        assert attempt(core, "camat", "salah-salah") == "wrong"


def test_failed_logins_are_audited_once_per_window_and_at_the_lock(core, camat):
    for i in range(30):
        attempt(core, "camat", f"salah-{i}")
    with core.db.read() as s:
        rows = s.execute(select(AuditLog).where(AuditLog.action.startswith("auth."))).scalars().all()
    # 30 guesses: the first failure, the name's lock at that address (6th), the address's lock (21st)
    assert [r.action for r in rows] == ["auth.failed", "auth.locked", "auth.locked"]
    assert rows[1].detail["failures_for_name"] == 5 and rows[1].target_id == ATTACKER
    assert rows[2].detail["failures_from_address"] == 20


def test_unlock(core, camat):
    for i in range(6):
        attempt(core, "camat", f"salah-{i}")
    assert attempt(core, "camat", "rahasia123") == "locked"
    assert core.users.unlock("camat") == 1
    assert attempt(core, "camat", "rahasia123") == "ok"


def test_unlock_by_a_staff_member_is_for_admins_only(core, camat, make_user):
    """Not a NameError (ruff F821 found ``require_role`` undefined here): the policy's user.manage decides."""
    from antrean.kernel.errors import Forbidden

    for i in range(6):
        attempt(core, "camat", f"salah-{i}")
    with pytest.raises(Forbidden):
        core.users.unlock("camat", actor=camat)
    assert attempt(core, "camat", "rahasia123") == "locked"
    assert core.users.unlock("camat", actor=make_user(core, "admin2", ["admin"])) == 1
    assert attempt(core, "camat", "rahasia123") == "ok"


def test_unlock_cli(core, camat, monkeypatch, settings_dict):
    from click.testing import CliRunner

    from antrean.cli import main

    for i in range(6):
        attempt(core, "camat", f"salah-{i}")
    monkeypatch.setenv("ANTREAN_INSTANCE_PATH", settings_dict["instance_path"])
    r = CliRunner().invoke(main, ["user", "unlock", "camat", "--address", ATTACKER])
    assert r.exit_code == 0 and "2 throttle record(s) cleared" in r.output, r.output
    assert attempt(core, "camat", "rahasia123") == "ok"
