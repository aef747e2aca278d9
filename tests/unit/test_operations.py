"""Operations: settings checked at start-up, logging, backup/restore, user management from the CLI."""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from antrean.cli import main
from antrean.kernel.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


# -- settings ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "env,message",
    [
        ({"ANTREAN_AGENDA_FORMAT": "{nomor}/{code}"}, "agenda_format: '{nomor}/{code}' does not render (KeyError"),
        ({"ANTREAN_AGENDA_FORMAT": "{seq:04d/{code}"}, "agenda_format"),
        ({"ANTREAN_AGENDA_FORMAT": "KTP/{code}/{year}"}, "agenda_format: 'KTP/{code}/{year}' has no {seq}"),
        ({"ANTREAN_PUBLIC_URL": "192.168.1.10:5000"}, "public_url: expected http://HOST"),
        ({"ANTREAN_PUBLIC_URL": "http://192.168.1.10:99999"}, "public_url: bad port"),
        ({"ANTREAN_PUBLIC_URL": "ftp://host/"}, "public_url"),
        ({"ANTREAN_TOKEN_HOURS": "0"}, "token_hours: expected a whole number from 1"),
        ({"ANTREAN_TOKEN_HOURS": "-3"}, "token_hours"),
        ({"ANTREAN_SESSION_MINUTES": "0"}, "session_minutes"),
        ({"ANTREAN_OFFICE_CODE": "kec sukamaju"}, "office_code: 1-40 characters"),
        ({"ANTREAN_OFFICE_CODE": "*"}, "office_code"),
        ({"ANTREAN_OFFICE_CODE": ""}, "office_code"),
        ({"ANTREAN_PRINTER_PROFILE": "72mm"}, "printer_profile: expected 58mm or 80mm"),
        ({"ANTREAN_LOG_FORMAT": "xml"}, "log_format"),
        ({"ANTREAN_LOG_LEVEL": "loud"}, "log_level"),
        ({"ANTREAN_DATABASE_URL": "mysql://u@h/db"}, "database_url: unknown scheme 'mysql'"),
        ({"ANTREAN_DATABASE_URL": "foo"}, "database_url: cannot parse 'foo'"),
        ({"ANTREAN_DATABASE_URL": "sqlite://"}, "database_url: no database named"),
        ({"ANTREAN_DATABASE_URL": "postgresql://127.0.0.1/"}, "database_url: no database named"),
        ({"ANTREAN_REDIS_URL": "127.0.0.1:6379"}, "redis_url: expected redis://"),
        ({"ANTREAN_SECRET_KEY": "CHANGE-ME"}, "secret_key: too short or still the example"),
        ({"ANTREAN_SECRET_KEY": "rahasia"}, "secret_key: too short"),
    ],
)
def test_every_bad_setting_is_one_line_naming_it(tmp_path, env, message):
    with pytest.raises(ConfigError) as exc:
        load_settings({"instance_path": str(tmp_path)}, environ=env)
    assert str(exc.value).startswith(message.split(":")[0] + ":") and message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_good_settings_pass(tmp_path):
    s = load_settings(
        {"instance_path": str(tmp_path)},
        environ={
            "ANTREAN_PUBLIC_URL": "http://192.168.1.10:5000/antrean",
            "ANTREAN_OFFICE_CODE": "kec-sukamaju_1",
            "ANTREAN_AGENDA_FORMAT": "{office}-{seq}/{month}",
            "ANTREAN_PRINTER_PROFILE": "58mm",
            "ANTREAN_DATABASE_URL": "postgresql://antrean@db.local/antrean",
            "ANTREAN_REDIS_URL": "redis://r:6379/2",
            "ANTREAN_LOG_FORMAT": "json",
            "ANTREAN_LOG_LEVEL": "warning",
        },
    )
    assert s.office_code == "kec-sukamaju_1" and s.log_format == "json"


def test_database_reasons_in_one_line(tmp_path):
    from antrean.kernel.db import Database

    closed = __import__("tests.conftest", fromlist=["free_port"]).free_port()
    with pytest.raises(ConfigError) as exc:
        Database(f"postgresql://antrean@127.0.0.1:{closed}/antrean").check()
    assert str(exc.value) == (
        f"database_url: cannot connect to postgresql+psycopg://antrean@127.0.0.1:{closed}/antrean: Connection refused"
    )
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError) as exc:  # a folder where the database should be: SQLite cannot open it
        Database(f"sqlite:///{tmp_path / 'file' / 'antrean.db'}").check()
    assert str(exc.value).startswith("database_url:") and "\n" not in str(exc.value)


def test_instance_folder_that_cannot_be_made_is_named(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError) as exc:
        load_settings({"instance_path": str(tmp_path / "file" / "instance")}, environ={})
    assert str(exc.value).startswith("instance_path: cannot create")


def _clean_env(tmp_path, **env) -> dict:
    """A process environment with no ANTREAN_* from the outside (as on a fresh install), except the tests' cheap
    password hash (``init --demo`` hashes one password per demo user; scrypt's default has its own test)."""
    from tests.conftest import TEST_PASSWORD_HASH

    base = {k: v for k, v in os.environ.items() if not k.startswith("ANTREAN_")}
    return {
        **base,
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "ANTREAN_PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH,
        **env,
    }


def _antrean(args, env, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "antrean.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_init_demo_with_every_setting_from_the_environment(tmp_path):
    """Measured before: ANTREAN_SECRET_KEY (and a database URL) set → a traceback and no instance folder."""
    instance = tmp_path / "srv" / "instance"
    env = _clean_env(
        tmp_path,
        ANTREAN_SECRET_KEY="k" * 64,
        ANTREAN_INSTANCE_PATH=str(instance),
        ANTREAN_DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'antrean.db'}",
        ANTREAN_OFFICE_CODE="kec-uji",
        ANTREAN_OFFICE_NAME="Kecamatan Uji",
        ANTREAN_START_WORKERS="0",
        ANTREAN_PUBLIC_URL="http://10.0.0.5:5000",
        ANTREAN_TOKEN_HOURS="8",
    )
    done = _antrean(["init", "--demo"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Demo users" in done.stdout
    assert (instance / "demo-users.txt").exists() and (tmp_path / "data" / "antrean.db").exists()
    assert not (instance / "secret_key").exists()  # the given key is used, none generated


def test_bad_database_url_is_one_line_not_a_traceback(tmp_path):
    closed = __import__("tests.conftest", fromlist=["free_port"]).free_port()
    for url, reason in (
        ("foo://x", "unknown scheme 'foo'"),
        (f"postgresql://127.0.0.1:{closed}/antrean", "Connection refused"),
    ):
        for command in (["init"], ["run", "--port", str(closed)], ["user", "list"], ["backup"]):
            done = _antrean(command, _clean_env(tmp_path, ANTREAN_DATABASE_URL=url), tmp_path)
            assert done.returncode == 1
            lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
            assert (
                len(lines) == 1
                and lines[0].startswith("Error: configuration error: database_url:")
                and reason in lines[0]
            ), (command, done.stderr)


# -- logging -----------------------------------------------------------------------
@pytest.fixture
def log_stream():
    from antrean.kernel import logs

    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    stream = io.StringIO()
    yield lambda fmt: logs.setup("INFO", fmt, stream=stream), stream
    for h in list(root.handlers):
        if h.get_name() == "antrean":
            root.removeHandler(h)
    root.setLevel(before[1])


def test_text_log_is_one_timestamped_levelled_line_per_event(log_stream):
    setup, stream = log_stream
    setup("text")
    log = logging.getLogger("antrean.test")
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        log.exception("it failed")
    log.info("hello")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    import re

    assert re.match(
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ERROR antrean.test \[-\] it failed \| Traceback", lines[0]
    )
    assert "RuntimeError: boom | second line" in lines[0]
    assert lines[1].endswith("INFO antrean.test [-] hello")


def test_escpos_import_does_not_add_a_second_handler(log_stream):
    setup, stream = log_stream
    setup("text")
    import escpos.printer  # noqa: F401  (calls logging.basicConfig() on import)

    logging.getLogger("antrean.test").warning("once")
    assert stream.getvalue().count("once") == 1
    assert [h.get_name() for h in logging.getLogger().handlers].count("antrean") == 1


def test_json_log_lines_carry_the_request_id(log_stream, app):
    setup, stream = log_stream
    setup("json")
    client = app.test_client()
    r = client.get("/api/v1/services", headers={"X-Request-Id": "kiosk-1.abc123"})
    assert r.headers["X-Request-Id"] == "kiosk-1.abc123"
    lines = [json.loads(ln) for ln in stream.getvalue().splitlines()]
    access = [ln for ln in lines if ln["logger"] == "antrean.request"]
    assert access and access[-1]["request_id"] == "kiosk-1.abc123" and access[-1]["status"] == 200
    assert access[-1]["path"] == "/api/v1/services" and access[-1]["level"] == "INFO" and "time" in access[-1]


def test_request_ids_generated_and_unsafe_ones_replaced(app):
    client = app.test_client()
    a, b = client.get("/api/v1/services"), client.get("/api/v1/services")
    assert len(a.headers["X-Request-Id"]) == 32 and a.headers["X-Request-Id"] != b.headers["X-Request-Id"]
    c = client.get("/api/v1/services", headers={"X-Request-Id": 'x" injected=1 ' + "y" * 200})
    assert len(c.headers["X-Request-Id"]) == 32
    assert client.get("/nope").headers["X-Request-Id"]  # errors have one too


def test_state_changes_logged_once_each(caplog):
    from antrean.kernel.logs import StateLog

    states = StateLog(logging.getLogger("antrean.state"))
    with caplog.at_level(logging.INFO, logger="antrean.state"):
        states.report("database", True)  # first good state: not news
        states.report("database", False, "disk I/O error")
        states.report("database", False, "disk I/O error")
        states.report("database", True)
        states.report("database", True)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "database unavailable: disk I/O error"),
        ("INFO", "database available again"),
    ]


# -- backup and restore -------------------------------------------------------------
def test_backup_during_a_ticket_burst_restores_every_acknowledged_ticket(core, tmp_path):
    """Four threads issue tickets while the backup runs; every ticket acknowledged before the backup
    started is in the restored copy, and each service's numbers there run 1..n without a gap."""
    from antrean.kernel.migrate import known_revisions
    from antrean.services import backup as bk

    acknowledged: list[tuple[int, str]] = []
    served: set[str] = set()
    lock, stop, enough = threading.Lock(), threading.Event(), threading.Event()
    errors: list[BaseException] = []
    served: set[str] = set()

    def issue(service):
        while not stop.is_set():
            try:
                t, _ = core.tickets.issue(service)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                return
            with lock:
                acknowledged.append((t["id"], t["number"]))
                served.add(service)
                if (
                    len(acknowledged) >= 60 and len(served) == 3
                ):  # every series has begun, however threads are scheduled
                    enough.set()

    threads = [threading.Thread(target=issue, args=(svc,)) for svc in ("ktp", "kk", "ktp", "sktm")]
    for t in threads:
        t.start()
    assert enough.wait(60)
    with lock:
        before = list(acknowledged)
    done = bk.backup_sqlite(bk.sqlite_path(core.settings.database_url), tmp_path / "b.db")
    with lock:
        during = len(acknowledged) - len(before)
    stop.set()
    for t in threads:
        t.join(30)
    assert not errors and during >= 0

    restored = tmp_path / "restored" / "antrean.db"
    bk.restore_sqlite(tmp_path / "b.db", restored, known_revisions())
    conn = sqlite3.connect(restored)
    rows = conn.execute("SELECT id, letter, seq FROM ticket").fetchall()
    conn.close()
    assert done["tickets"] == len(rows) >= len(before)
    ids = {r[0] for r in rows}
    assert {i for i, _ in before} <= ids, "an acknowledged ticket is missing from the backup"
    by_letter: dict[str, list[int]] = {}
    for _, letter, seq in rows:
        by_letter.setdefault(letter, []).append(seq)
    assert len(by_letter) == 3
    for letter, numbers in by_letter.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), letter


def test_restore_refuses_what_is_not_an_antrean_database_and_a_running_server(tmp_path, settings_dict):
    from antrean import create_app
    from antrean.kernel.migrate import known_revisions
    from antrean.services import backup as bk

    known = known_revisions()
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (a)").connection.commit()
    (tmp_path / "text.db").write_text("hello")
    with pytest.raises(bk.BackupError, match="not a SQLite database"):
        bk.validate(tmp_path / "text.db", known)
    with pytest.raises(bk.BackupError, match="not an Antrean database"):
        bk.validate(other, known)

    app = create_app(settings_dict)  # a running server holds the database's lock
    core = app.extensions["antrean"]
    try:
        database = bk.sqlite_path(core.settings.database_url)
        good = tmp_path / "good.db"
        bk.backup_sqlite(database, good)
        conn = sqlite3.connect(tmp_path / "newer.db")
        sqlite3.connect(good).backup(conn)
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
        conn.commit()
        conn.close()
        with pytest.raises(bk.BackupError, match="revision '9999' is unknown"):
            bk.validate(tmp_path / "newer.db", known)
        # one row per branch head: the hardware plugin's branch depends on the core's 0011
        assert bk.validate(good, known)["revisions"] == ["hardware_0001"]
        conn = sqlite3.connect(tmp_path / "older.db")  # a backup from before the plugin owned its tables
        sqlite3.connect(good).backup(conn)
        conn.execute("UPDATE alembic_version SET version_num = '0011'")
        conn.commit()
        conn.close()
        assert bk.validate(tmp_path / "older.db", known)["revision"] == "0011"
        with pytest.raises(bk.BackupError, match="a server is using this database"):
            bk.restore_sqlite(good, database, known)
    finally:
        core.close()
        app.extensions["antrean.server_lock"].close()
    assert bk.restore_sqlite(good, database, known)["saved"]  # server gone: restored, old copy kept


def test_backup_cli_with_retention(cli_env):
    from antrean.services import backup as bk

    tmp_path = cli_env
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    folder = tmp_path / "backups"
    for day in range(1, 5):  # four older dated backups, as the daily timer leaves them
        (folder / f"antrean-202611{day:02d}-020000.db").parent.mkdir(exist_ok=True)
        (folder / f"antrean-202611{day:02d}-020000.db").write_text("old")
    r = runner.invoke(main, ["backup", str(folder), "--keep", "2"])
    assert r.exit_code == 0, r.output
    kept = sorted(p.name for p in folder.glob("antrean-*.db"))
    olds = {f"antrean-202611{day:02d}-020000.db" for day in range(1, 5)}
    assert len(kept) == 2 and kept[0] == "antrean-20261104-020000.db" and kept[1] not in olds
    assert bk.validate(folder / kept[1], __import__("antrean.kernel.migrate", fromlist=["x"]).known_revisions())
    r = runner.invoke(main, ["restore", str(folder / kept[0]), "--yes"])
    assert r.exit_code == 1 and "restore refused:" in r.output and "not a SQLite database" in r.output


# -- users from the command line ---------------------------------------------------------
def test_user_passwd_disable_list(cli_env):
    runner = CliRunner()
    r = runner.invoke(
        main,
        [
            "user",
            "add",
            "siti",
            "--role",
            "camat",
            "--role",
            "admin",
            "--name",
            "Siti Aminah",
            "--password",
            "rahasia-lama",
        ],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["user", "list"])
    line = next(ln for ln in r.output.splitlines() if ln.startswith("siti"))
    assert "active" in line and "Siti Aminah" in line and "admin, camat" in line and line.endswith("kecamatan")

    from antrean.core import Antrean
    from antrean.kernel.errors import Unauthorized

    core = Antrean(load_settings(), entry_points=False)
    try:
        token = core.users.issue_token(core.users.authenticate("siti", "rahasia-lama"))["token"]
        r = runner.invoke(main, ["user", "passwd", "siti", "--password", "rahasia-baru"])
        assert r.exit_code == 0 and "Password of siti changed" in r.output
        assert core.users.actor_for_token(token) is None  # the old token is gone with the old password
        with pytest.raises(Unauthorized):
            core.users.authenticate("siti", "rahasia-lama")
        assert core.users.authenticate("siti", "rahasia-baru").username == "siti"
        r = runner.invoke(main, ["user", "disable", "siti"])
        assert r.exit_code == 0 and "disabled" in r.output
        with pytest.raises(Unauthorized):
            core.users.authenticate("siti", "rahasia-baru")
        assert "disabled" in next(
            ln for ln in runner.invoke(main, ["user", "list"]).output.splitlines() if ln.startswith("siti")
        )
        assert runner.invoke(main, ["user", "disable", "siti", "--enable"]).exit_code == 0
        assert core.users.authenticate("siti", "rahasia-baru").username == "siti"
    finally:
        core.close()
    r = runner.invoke(main, ["user", "passwd", "siti", "--password", "short"])
    assert r.exit_code == 1 and "Password must be at least 8" in r.output
    r = runner.invoke(main, ["user", "disable", "nobody"])
    assert r.exit_code == 1 and "no user 'nobody'" in r.output


def test_user_add_refuses_an_unknown_office(cli_env):
    runner = CliRunner()
    r = runner.invoke(
        main, ["user", "add", "siti", "--role", "camat", "--office", "kec-typo", "--password", "rahasia123"]
    )
    assert r.exit_code == 1 and "unknown office kec-typo; offices in this database: kecamatan" in r.output
    assert "siti" not in runner.invoke(main, ["user", "list"]).output


# -- the default printer follows ANTREAN_PRINTER_URL, and goes back when it is unset --------------
def test_unsetting_printer_url_restores_the_default_printer(settings_dict, admin):
    from antrean.core import Antrean
    from hardware import service, store
    from plugins import BUILTIN_SOP_MODULES

    def start(**settings):
        c = Antrean(settings_dict | settings, builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
        c.migrate()
        store.check_settings(c)
        store.ensure_default_printer(c)
        return c

    def default(c):
        return next((p["url"], p["profile"]) for p in service.of(c).printers() if p["name"] == "default")

    c = start()
    store.save_printer(c, admin, "default", "tcp://192.168.1.50:9100", "58mm")  # the admin's own printer
    c.close()
    c = start(printer_url="tcp://10.0.0.9:9100")
    assert default(c) == ("tcp://10.0.0.9:9100", "80mm")
    c.close()
    c = start(printer_url="tcp://10.0.0.9:9100")  # a restart with the setting changes nothing
    assert default(c) == ("tcp://10.0.0.9:9100", "80mm")
    c.close()
    c = start()  # setting removed: the admin's printer is back
    assert default(c) == ("tcp://192.168.1.50:9100", "58mm")
    c.close()
    c = start()
    assert default(c) == ("tcp://192.168.1.50:9100", "58mm")
    c.close()

    with pytest.raises(ConfigError, match=r"^printer_url: invalid printer URL 'lpt1'"):
        start(printer_url="lpt1").close()
    with pytest.raises(ConfigError, match=r"^printer_url: .*missing host"):
        start(printer_url="tcp://").close()


def test_printer_url_from_a_fresh_install_goes_back_to_none(settings_dict):
    from antrean.core import Antrean
    from hardware import service, store
    from plugins import BUILTIN_SOP_MODULES

    urls = []
    for url in ("tcp://10.0.0.9:9100", "none"):
        c = Antrean(settings_dict | {"printer_url": url}, builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
        c.migrate()
        store.ensure_default_printer(c)
        urls.append(next(p["url"] for p in service.of(c).printers() if p["name"] == "default"))
        c.close()
    assert urls == ["tcp://10.0.0.9:9100", "none"]


def test_backup_into_a_folder_that_does_not_exist_yet(cli_env):
    """Tried on the install: `antrean backup /var/lib/antrean/backups --keep 14` wrote a FILE named backups."""
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    for _ in range(2):
        r = runner.invoke(main, ["backup", str(cli_env / "backups"), "--keep", "14"])
        assert r.exit_code == 0, r.output
    files = list((cli_env / "backups").iterdir())
    assert (cli_env / "backups").is_dir() and files and all(f.name.startswith("antrean-") for f in files)
    r = runner.invoke(main, ["backup", str(cli_env / "copy.db")])
    assert r.exit_code == 0 and (cli_env / "copy.db").is_file()


@pytest.mark.postgres
def test_backup_on_postgresql_runs_pg_dump(cli_env, monkeypatch, pg_url):
    import shutil

    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump not installed (the command then prints how to run it)")
    monkeypatch.setenv("ANTREAN_DATABASE_URL", pg_url)
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    r = runner.invoke(main, ["backup", str(cli_env / "pg")])
    assert r.exit_code == 0 and "pg_dump custom format" in r.output, r.output
    dump = next((cli_env / "pg").glob("antrean-*.dump"))
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True)
    assert listing.returncode == 0 and "TABLE public ticket" in listing.stdout
    r = runner.invoke(main, ["restore", str(dump)])
    assert r.exit_code == 1 and "pg_restore --clean" in r.output
