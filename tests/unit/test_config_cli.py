"""Settings, the CLI, migrations and multi-office separation."""

from __future__ import annotations

from datetime import UTC

import pytest
from click.testing import CliRunner

from antrean.cli import main
from antrean.kernel.config import ConfigError, load_settings


def test_defaults_and_instance_secret(tmp_path):
    s = load_settings({"instance_path": str(tmp_path)}, environ={})
    assert s.database_url == f"sqlite:///{tmp_path / 'antrean.db'}"
    assert s.timezone == "Asia/Jakarta" and s.tz_label == "WIB"
    assert len(s.secret_key) == 64 and (tmp_path / "secret_key").read_text() == s.secret_key
    assert load_settings({"instance_path": str(tmp_path)}, environ={}).secret_key == s.secret_key  # stable


def test_environment_then_instance_file(tmp_path):
    (tmp_path / "antrean.toml").write_text('office_name = "Kecamatan Berkas"\ntimezone = "Asia/Makassar"\n')
    s = load_settings({"instance_path": str(tmp_path)}, environ={})
    assert (s.office_name, s.tz_label) == ("Kecamatan Berkas", "WITA")
    s = load_settings(
        {"instance_path": str(tmp_path)}, environ={"ANTREAN_OFFICE_NAME": "Dari Env", "ANTREAN_TOKEN_HOURS": "3"}
    )
    assert (s.office_name, s.token_hours) == ("Dari Env", 3)


@pytest.mark.parametrize(
    "env,message",
    [
        ({"ANTREAN_TIMEZONE": "Mars/Olympus"}, "timezone"),
        ({"ANTREAN_TOKEN_HOURS": "many"}, "token_hours"),
        ({"ANTREAN_START_WORKERS": "perhaps"}, "start_workers"),
        ({"ANTREAN_LANGUAGE": "fr"}, "language"),
        ({"ANTREAN_PRINT_JOB_MAX_AGE_MINUTES": "lima"}, "print_job_max_age_minutes"),
        ({"ANTREAN_PRINT_JOB_MAX_AGE_MINUTES": "-1"}, "print_job_max_age_minutes"),
        ({"ANTREAN_TRUSTED_PROXIES": "-1"}, "trusted_proxies"),
        ({"ANTREAN_TRUSTED_PROXIES": "nginx"}, "trusted_proxies"),
        ({"ANTREAN_PASSWORD_HASH_METHOD": "md5"}, "password_hash_method"),
        ({"ANTREAN_PASSWORD_HASH_METHOD": "pbkdf2:sha256:0"}, "password_hash_method"),
    ],
)
def test_bad_settings_name_the_setting(tmp_path, env, message):
    with pytest.raises(ConfigError) as exc:
        load_settings({"instance_path": str(tmp_path)}, environ=env)
    assert message in str(exc.value)


def test_a_bad_setting_names_where_it_was_set(tmp_path):
    """The settings' schema (antrean.kernel.config.RULES over Settings' types) names the variable or the file."""
    with pytest.raises(ConfigError) as exc:
        load_settings({"instance_path": str(tmp_path)}, environ={"ANTREAN_TOKEN_HOURS": "0"})
    assert str(exc.value) == "token_hours: expected a whole number from 1 to 8784, got 0 (set in ANTREAN_TOKEN_HOURS)"
    (tmp_path / "antrean.toml").write_text('start_workers = "perhaps"\n')
    with pytest.raises(ConfigError) as exc:
        load_settings({"instance_path": str(tmp_path)}, environ={})
    assert str(exc.value) == (
        f"start_workers: expected a boolean (true/false), got 'perhaps' (set in {tmp_path / 'antrean.toml'})"
    )
    (tmp_path / "antrean.toml").write_text('token_hours = "3"\nstart_workers = "no"\n')
    s = load_settings({"instance_path": str(tmp_path)}, environ={})
    assert (s.token_hours, s.start_workers) == (3, False)


def test_print_job_age_and_proxies_are_declared_settings_with_env_vars(tmp_path):
    s = load_settings({"instance_path": str(tmp_path)}, environ={})
    assert (s.print_job_max_age_minutes, s.trusted_proxies, s.extra) == (5, 0, {})
    s = load_settings(
        {"instance_path": str(tmp_path)},
        environ={"ANTREAN_PRINT_JOB_MAX_AGE_MINUTES": "0", "ANTREAN_TRUSTED_PROXIES": "1"},
    )
    assert (s.print_job_max_age_minutes, s.trusted_proxies) == (0, 1)
    from hardware.store import age_limit

    class _Core:
        settings = s

    assert age_limit(_Core) is None  # 0 = never expire


def test_passwords_are_hashed_with_scrypt_unless_the_setting_says_otherwise(tmp_path, admin):
    """Offices get scrypt; the suite's cheap method (tests/conftest.py) is only a setting, and a hash made
    under one method still checks after the setting changes (the hash names its method)."""
    from antrean.core import Antrean
    from antrean.kernel.models import User
    from antrean.kernel.runtime import password_matches
    from tests.conftest import TEST_PASSWORD_HASH

    assert load_settings({"instance_path": str(tmp_path)}, environ={}).password_hash_method == "scrypt"
    hashes = {}
    for method in ("scrypt", TEST_PASSWORD_HASH):
        core = Antrean(
            {
                "instance_path": str(tmp_path / method.replace(":", "-")),
                "testing": True,
                "start_workers": False,
                "password_hash_method": method,
            },
            builtins=(),
            entry_points=False,
        )
        core.migrate()
        try:
            u = core.users.create(admin, "petugas", "rahasia123", ["petugas_pelayanan"])
            assert core.users.authenticate("petugas", "rahasia123").id == u["id"]
            with core.db.read() as s:
                hashes[method] = s.get(User, u["id"]).password_hash
        finally:
            core.close()
    assert hashes["scrypt"].startswith("scrypt:") and hashes[TEST_PASSWORD_HASH].startswith("pbkdf2:sha256:1$")
    assert password_matches(hashes["scrypt"], "rahasia123") and not password_matches(hashes["scrypt"], "salah")


def test_broken_instance_file(tmp_path):
    (tmp_path / "antrean.toml").write_text("office_name = \n")
    with pytest.raises(ConfigError) as exc:
        load_settings({"instance_path": str(tmp_path)}, environ={})
    assert "antrean.toml" in str(exc.value)


def test_cli_init_demo_user_and_plugins(cli_env):
    runner = CliRunner()
    r = runner.invoke(main, ["init", "--demo"])
    assert r.exit_code == 0, r.output
    assert "Demo users" in r.output and "camat" in r.output and "Loket 1" in r.output
    assert (cli_env / "demo-users.txt").exists()
    # the demo opens the office all day every day, so the kiosk works whenever the demo is tried
    from datetime import datetime

    from antrean.core import Antrean
    from antrean.kernel.config import load_settings

    demo = Antrean(load_settings())
    try:
        sunday_night = datetime(2026, 11, 29, 15, 30, tzinfo=UTC).replace(tzinfo=None)  # 22:30 WIB
        assert demo.calendar.status(sunday_night).open
    finally:
        demo.close()
    again = runner.invoke(main, ["init", "--demo"])
    assert again.exit_code == 0 and "exist already" in again.output
    r = runner.invoke(
        main,
        ["user", "add", "siti", "--role", "petugas_register", "--role", "kasi_pelayanan", "--password", "rahasia-siti"],
    )
    assert r.exit_code == 0 and "kasi_pelayanan, petugas_register" in r.output
    r = runner.invoke(main, ["user", "add", "siti", "--role", "camat", "--password", "rahasia-siti"])
    assert r.exit_code == 1 and "taken" in r.output
    r = runner.invoke(main, ["user", "add", "x", "--role", "camat", "--password", "short"])
    assert r.exit_code == 1 and "Username" in r.output
    r = runner.invoke(main, ["user", "add", "yudi", "--role", "lurah", "--password", "rahasia-yudi"])
    assert r.exit_code == 2
    r = runner.invoke(main, ["user", "list"])
    assert "siti" in r.output and "admin" in r.output
    r = runner.invoke(main, ["plugins", "--json"])
    import json

    data = json.loads(r.output)
    assert sum(len(p["sops"]) for p in data["plugins"]) == 20 and data["errors"] == []


def test_cli_bad_configuration_is_a_readable_error(cli_env, monkeypatch):
    monkeypatch.setenv("ANTREAN_TIMEZONE", "Nowhere/Land")
    r = CliRunner().invoke(main, ["init"])
    assert r.exit_code == 1 and "configuration error: timezone" in r.output


def test_migrations_match_the_models(core):
    """Alembic's heads (the core's chain and the plugins') build exactly the tables the models declare (no
    autogenerate diff)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import hardware.models  # noqa: F401  (the hardware plugin's tables, on the same Base)
    from antrean.kernel.models import Base

    with core.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


@pytest.fixture
def two_offices(settings_dict, tmp_path, schema_template):
    """Two cores, offices kec-a and kec-b, on one database."""
    import shutil

    from antrean.core import Antrean
    from plugins import BUILTIN_SOP_MODULES

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    shutil.copyfile(schema_template, tmp_path / "shared.db")  # the migrated template: migrate() finds it at head
    cores = [
        Antrean(
            settings_dict | {"database_url": url, "office_code": code},
            builtins=tuple(BUILTIN_SOP_MODULES),
            entry_points=False,
        )
        for code in ("kec-a", "kec-b")
    ]
    for c in cores:
        c.migrate()
    yield cores
    for c in cores:
        c.close()


def test_two_offices_share_a_database_with_separate_numbers(two_offices):
    a, b = two_offices
    assert a.tickets.issue("ktp")[0]["number"] == "B001"
    assert a.tickets.issue("ktp")[0]["number"] == "B002"
    assert b.tickets.issue("ktp")[0]["number"] == "B001"
    assert a.office_id != b.office_id
    assert sum(w["waiting"] for w in b.queue.snapshot()["waiting"]) == 1


def test_accounts_act_only_in_their_offices(two_offices):
    """One database, two offices: an account of office A cannot log in, use a token or a session in B."""
    from antrean.kernel.actors import SYSTEM
    from antrean.kernel.errors import NotFound, Unauthorized

    a, b = two_offices
    ana = a.users.create(SYSTEM, "ana", "rahasia123", ["petugas_pelayanan"])
    boss = a.users.create(SYSTEM, "bupati", "rahasia123", ["admin"], offices=["*"])
    assert ana["offices"] == ["kec-a"]
    token = a.users.issue_token(a.users.authenticate("ana", "rahasia123"))["token"]
    assert a.users.actor_for_token(token).username == "ana"
    assert b.users.actor_for_token(token) is None
    assert b.users.get(ana["id"]) is None and a.users.get(ana["id"]) is not None
    with pytest.raises(Unauthorized):
        b.users.authenticate("ana", "rahasia123")
    assert b.users.authenticate("bupati", "rahasia123").username == "bupati"
    assert [u["username"] for u in b.users.list()] == ["bupati"]
    with pytest.raises(NotFound):
        b.users.update(b.users.get(boss["id"]), ana["id"], active=False)  # not an account of office B


def test_cli_user_offices(cli_env, monkeypatch):
    runner = CliRunner()
    monkeypatch.setenv("ANTREAN_OFFICE_CODE", "kec-2")
    assert runner.invoke(main, ["init"]).exit_code == 0  # office kec-2 exists in the database
    monkeypatch.delenv("ANTREAN_OFFICE_CODE")
    r = runner.invoke(main, ["user", "add", "regent", "--role", "admin", "--all-offices", "--password", "rahasia-123"])
    assert r.exit_code == 0 and "every office" in r.output
    r = runner.invoke(
        main,
        [
            "user",
            "add",
            "siti",
            "--role",
            "camat",
            "--office",
            "kecamatan",
            "--office",
            "kec-2",
            "--password",
            "rahasia-123",
        ],
    )
    assert r.exit_code == 0 and "offices: kec-2, kecamatan" in r.output


def test_only_bookkeeping_writes_are_relaxed(core):
    """Tickets commit with synchronous=FULL (2); write(durable=False) uses NORMAL (1)."""
    from sqlalchemy import text

    with core.db.write() as s:
        assert s.execute(text("PRAGMA synchronous")).scalar() == 2
    with core.db.write(durable=False) as s:
        assert s.execute(text("PRAGMA synchronous")).scalar() == 1
    with core.db.read() as s:
        assert s.execute(text("PRAGMA synchronous")).scalar() == 2


def test_cli_user_logout_ends_sessions_and_tokens(cli_env):
    from antrean.core import Antrean
    from antrean.kernel.config import load_settings

    runner = CliRunner()
    assert runner.invoke(main, ["user", "add", "siti", "--role", "camat", "--password", "rahasia-123"]).exit_code == 0
    core = Antrean(load_settings(), builtins=(), entry_points=False)
    try:
        actor = core.users.authenticate("siti", "rahasia-123")
        token = core.users.issue_token(actor)["token"]
        r = runner.invoke(main, ["user", "logout", "siti"])
        assert r.exit_code == 0 and "siti" in r.output
        assert core.users.actor_for_token(token) is None
        assert core.users.get(actor.id, epoch=actor.epoch) is None  # the session's generation is gone
        assert runner.invoke(main, ["user", "logout", "nobody"]).exit_code != 0
        from antrean.kernel.actors import Actor

        entry = core.audit_log(Actor(None, "t", frozenset({"admin"})), action="auth.logout")["items"][0]
        assert (entry["actor"], entry["target_id"]) == ("system", "siti")  # who did it, to whom
    finally:
        core.close()
