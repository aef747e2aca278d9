"""Shared fixtures.

Services (PostgreSQL, Redis, Chromium) skip cleanly when absent, unless
``ANTREAN_REQUIRE_SERVICES=1`` (set by .ci/run), which turns a missing
service into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REQUIRE = os.environ.get("ANTREAN_REQUIRE_SERVICES") == "1"
PG_ADMIN_URL = os.environ.get("ANTREAN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ANTREAN_TEST_REDIS", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("ANTREAN_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "screenshots"

#: New passwords and kiosk PINs are hashed with this cheap method in tests (the shipped default, scrypt, costs
#: 0.1-0.8 s of CPU per user; tests/unit/test_config_cli.py checks that default). Through the environment, so
#: every core, app and CLI run in this process gets it; ``cli_env`` and ``server_process`` pass it on.
TEST_PASSWORD_HASH = "pbkdf2:sha256:1"
os.environ.setdefault("ANTREAN_PASSWORD_HASH_METHOD", TEST_PASSWORD_HASH)
# Tests of other areas run at any hour of any day: there the office is always open (configuration
# ``calendar = false``). The calendar's own tests (tests/unit/test_calendar.py …) turn it on.
os.environ.setdefault("ANTREAN_CALENDAR", "false")
# Third-party plugins installed in the virtualenv (CI installs examples/antrean-contoh) are not loaded, so the
# suite's results do not depend on them; tests/integration/test_example_plugin.py turns its plugin on.
os.environ.setdefault("ANTREAN_LOAD_PLUGINS", "")


def need(service: str, reason: str) -> None:
    """Skip (or, in CI, fail) a test whose service is missing."""
    msg = f"{service} not available: {reason}"
    if REQUIRE:
        pytest.fail(msg + " (ANTREAN_REQUIRE_SERVICES=1)")
    pytest.skip(msg)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- core and app -----------------------------------------------------------------
@pytest.fixture(scope="session")
def schema_template(tmp_path_factory) -> Path:
    """An SQLite file that Alembic upgraded to every head (the core's and the plugins'), once per session (per
    xdist worker).

    ``core``, ``app`` and ``live_server`` start from a copy instead of running every migration per test
    (~0.5 s each). The migrations themselves still run for real here, in ``antrean init`` (test_config_cli)
    and on PostgreSQL; test_migrations_match_the_models compares a copy with the models."""
    from antrean.kernel.db import Database
    from antrean.kernel.migrate import upgrade

    path = tmp_path_factory.mktemp("schema") / "antrean.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()  # the last connection closed: the WAL is checkpointed into the file
    return path


def seed_schema(settings: dict, template: Path) -> None:
    """Give an SQLite instance that has no database yet a copy of the migrated template."""
    if settings.get("database_url"):
        return
    target = Path(settings["instance_path"]) / "antrean.db"
    if not target.exists():
        shutil.copyfile(template, target)


@pytest.fixture
def instance(tmp_path) -> Path:
    path = tmp_path / "instance"
    path.mkdir()
    return path


@pytest.fixture
def settings_dict(instance) -> dict:
    return {
        "instance_path": str(instance),
        "testing": True,
        "start_workers": False,
        "office_name": "Kantor Kecamatan Uji",
        "office_address": "Jl. Uji No. 1",
    }


@pytest.fixture
def migrated_sqlite(settings_dict, schema_template) -> dict:
    """For tests that build their own core or app on ``settings_dict`` (request it, or
    ``pytestmark = pytest.mark.usefixtures("migrated_sqlite")``): the instance's SQLite starts as a copy of the
    migrated template, so their ``migrate()`` finds the schema at head instead of running every migration."""
    seed_schema(settings_dict, schema_template)
    return settings_dict


@pytest.fixture
def core(settings_dict, schema_template):
    """The core alone: the 20 SOP plugins, no faces, no Flask."""
    from antrean.core import Antrean
    from plugins import BUILTIN_SOP_MODULES

    seed_schema(settings_dict, schema_template)
    c = Antrean(settings_dict, builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
    c.migrate()
    yield c
    c.close()


@pytest.fixture
def app(settings_dict, schema_template):
    from antrean import create_app
    from antrean.web.openapi import check_responses

    seed_schema(settings_dict, schema_template)
    application = create_app(settings_dict)
    check_responses(application)  # every /api/v1 answer of every test in its declared schema
    yield application
    application.extensions["antrean"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """The ``antrean`` command's environment: no ANTREAN_* from outside, instance in tmp_path."""
    for key in list(os.environ):
        if key.startswith("ANTREAN_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ANTREAN_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ANTREAN_PASSWORD_HASH_METHOD", TEST_PASSWORD_HASH)
    monkeypatch.setenv("ANTREAN_START_WORKERS", "false")
    monkeypatch.setenv("ANTREAN_LOAD_PLUGINS", "")
    return tmp_path


@pytest.fixture
def admin():
    from antrean.kernel.actors import Actor

    return Actor(None, "test-admin", frozenset({"admin"}))


@pytest.fixture
def make_user():
    """make_user(core, "name", ["role", ...]) -> Actor (password: 'rahasia123')."""
    from antrean.kernel.actors import SYSTEM

    def make(core, username, roles, full_name=""):
        u = core.users.create(SYSTEM, username, "rahasia123", list(roles), full_name or username.title())
        return core.users.get(u["id"])

    return make


@pytest.fixture
def counter(core, admin):
    """One counter calling every service."""
    return core.queue.save_counter(admin, name="Loket 1", number=1, services=list(core.sops))


# -- a real server ---------------------------------------------------------------
class LiveServer:
    def __init__(self, app, port):
        self.app, self.port = app, port
        self.url = f"http://127.0.0.1:{port}"
        self.core = app.extensions["antrean"]


@pytest.fixture
def live_server(settings_dict, schema_template):
    """The app served by a real threaded HTTP + websocket server in this process.

    Threaded (werkzeug), not the gevent server that ships: gevent's server needs the whole process
    monkey-patched, and tests here drive the core from the main thread (its Socket.IO emits would
    cross into a hub owned by another thread) next to Playwright's own threads. The shipped server
    is covered by the tests that start ``antrean run`` (``server_process``), tests/e2e/test_server.py.
    """
    from werkzeug.serving import make_server

    from antrean import create_app

    seed_schema(settings_dict, schema_template)
    application = create_app(settings_dict)
    port = free_port()
    server = make_server("127.0.0.1", port, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(application, port)
    server.shutdown()
    thread.join(5)
    application.extensions["antrean"].close()


def antrean_command() -> list[str]:
    """The installed ``antrean`` console script (as an office runs it), else ``python -m antrean``."""
    script = Path(sys.executable).with_name("antrean")
    return [str(script)] if script.exists() else [sys.executable, "-m", "antrean"]


class ServerProcess:
    """``antrean run`` in a subprocess: the server that ships (gevent), unlike ``live_server``.

    The test process's own ``ANTREAN_*`` variables (test service URLs, CI switches) are not passed
    on; the server gets its configuration from ``extra`` as an office's service unit would give it.
    """

    def __init__(self, env: dict, port: int, log: Path, args: list[str] | None = None):
        self.env, self.port, self.log, self.args = env, port, log, list(args or [])
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0):
        self.fh = open(self.log, "ab")
        self.proc = subprocess.Popen(
            antrean_command() + ["run", "--port", str(self.port)] + self.args,
            env=self.env,
            cwd=ROOT,
            stdout=self.fh,
            stderr=subprocess.STDOUT,
        )
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/-/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)  # polling for the port to open, not papering over a race
        raise RuntimeError(f"server did not start: {self.log.read_text()[-2000:]}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "fh", None):
            self.fh.close()


@pytest.fixture
def server_process(tmp_path):
    """server_process(env_overrides=None, instance=None) -> started ServerProcess; stopped at teardown."""
    started: list[ServerProcess] = []

    def start(
        extra: dict | None = None, instance: Path | None = None, port: int | None = None, args: list[str] | None = None
    ) -> ServerProcess:
        inst = instance or (tmp_path / f"inst-{len(started)}")
        inst.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANTREAN_")}
        env.update(
            {
                "ANTREAN_INSTANCE_PATH": str(inst),
                "PYTHONUNBUFFERED": "1",
                "ANTREAN_CALENDAR": "false",
                "ANTREAN_PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH,
                "ANTREAN_LOAD_PLUGINS": "",
            }
        )
        env.update(extra or {})
        sp = ServerProcess(env, port or free_port(), tmp_path / f"server-{len(started)}.log", args)
        started.append(sp)
        return sp.start()

    yield start
    for sp in started:
        sp.stop()


# -- PostgreSQL and Redis ------------------------------------------------------------
@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database for this test (dropped afterwards)."""
    try:
        import psycopg

        admin = psycopg.connect(
            PG_ADMIN_URL.replace("postgresql://", "postgresql://", 1), autocommit=True, connect_timeout=3
        )
    except Exception as exc:  # noqa: BLE001
        need("PostgreSQL", f"{PG_ADMIN_URL}: {exc}")
    name = "antrean_t_" + uuid.uuid4().hex[:10]
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    admin.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


def _pg_admin():
    try:
        import psycopg

        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001
        need("PostgreSQL", f"{PG_ADMIN_URL}: {exc}")


@pytest.fixture(scope="session")
def pg_template():
    """A PostgreSQL database that Alembic upgraded to head, once per session (the SQLite ``schema_template``'s
    counterpart): ``pg_migrated_url`` clones it with ``CREATE DATABASE … TEMPLATE`` instead of migrating per test."""
    from antrean.kernel.db import Database
    from antrean.kernel.migrate import upgrade

    admin = _pg_admin()
    name = "antrean_tmpl_" + uuid.uuid4().hex[:10]
    admin.execute(f'CREATE DATABASE "{name}"')
    db = Database(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}")
    try:
        upgrade(db)
    finally:
        db.dispose()  # no session may stay connected to a template
    yield name
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


@pytest.fixture
def pg_migrated_url(pg_template):
    """A fresh PostgreSQL database already at the migrations' head (a clone of ``pg_template``), dropped afterwards.
    ``pg_url`` stays the empty one, for tests of the migrations themselves."""
    admin = _pg_admin()
    name = "antrean_t_" + uuid.uuid4().hex[:10]
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    admin.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, settings_dict, schema_template) -> str:
    """One race test for both databases: ``settings_dict | {"database_url": database_url}`` is the instance's
    SQLite (seeded from the migrated template; the value is ``""``) or a fresh, migrated PostgreSQL database
    (``pg_migrated_url``)."""
    if request.param == "sqlite":
        seed_schema(settings_dict, schema_template)
        return ""
    return request.getfixturevalue("pg_migrated_url")


def worker_redis_url(base: str = REDIS_URL, worker: str | None = None) -> str:
    """Under pytest-xdist, worker gwN flushes DB (base + N) % 16, not the DB the other workers use."""
    from urllib.parse import urlsplit, urlunsplit

    worker = os.environ.get("PYTEST_XDIST_WORKER", "") if worker is None else worker
    if not worker.startswith("gw"):
        return base
    u = urlsplit(base)
    db = int(u.path.strip("/") or 0)
    return urlunsplit(u._replace(path=f"/{(db + int(worker[2:])) % 16}"))


@pytest.fixture
def redis_url():
    url = worker_redis_url()
    try:
        import redis

        r = redis.Redis.from_url(url, socket_connect_timeout=2)
        r.ping()
        r.flushdb()
    except Exception as exc:  # noqa: BLE001
        need("Redis", f"{url}: {exc}")
    return url


# -- a real browser -----------------------------------------------------------------
@pytest.fixture(scope="session")
def _playwright():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        need("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        need("Playwright", str(exc))
    pw = sync_playwright().start()
    yield pw
    pw.stop()


@pytest.fixture(scope="session")
def browser(_playwright):
    b = _playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    yield b
    b.close()


@pytest.fixture
def page(browser):
    """A page for behaviour tests. The app's Content-Security-Policy forbids eval, which Playwright's
    string predicates (wait_for_function) need, so this context bypasses CSP; ``strict_page`` does not."""
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="id-ID", timezone_id="Asia/Jakarta", bypass_csp=True
    )
    pg = ctx.new_page()
    yield pg
    ctx.close()


@pytest.fixture
def strict_page(browser):
    """A page under the app's real Content-Security-Policy (for tests that the pages work under it)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID", timezone_id="Asia/Jakarta")
    pg = ctx.new_page()
    yield pg
    ctx.close()


#: ``fast_audio(page)`` then ``set_audio_rate(page, 16)``: the page's audio plays 16× faster from then on (also the
#: clip already playing). For tests that need announcements to finish but assert nothing about how long they
#: take; the board's own code (queue, timers, ``ended``) runs unchanged.
FAST_AUDIO_JS = """() => { if (window.__testAudio) return; const live = new Set();
  window.__testAudio = { rate: 1, live: live };
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    this.playbackRate = window.__testAudio.rate; live.add(this);
    this.addEventListener('ended', () => live.delete(this));
    return play.call(this); }; }"""


def fast_audio(page) -> None:
    page.evaluate(FAST_AUDIO_JS)


def set_audio_rate(page, rate: float) -> None:
    page.evaluate(
        """r => { window.__testAudio.rate = r;
                            window.__testAudio.live.forEach(a => { a.playbackRate = r; }); }""",
        rate,
    )


def screenshot(page, name: str) -> Path:
    """Save a screenshot under screenshots/ (git-ignored) for a person to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
