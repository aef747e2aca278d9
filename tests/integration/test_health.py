"""GET /-/health: 200 {"status": "ok", …} or 503 with what is wrong (an interface monitoring relies on)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import event

from antrean import __version__


def _fresh(app):
    app.extensions["antrean"].extensions.pop("antrean.services.health", None)  # no cached result between steps


def test_health_reports_every_part(app, client):
    r = client.get("/-/health")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    body = r.get_json()
    assert body["status"] == "ok" and body["version"] == __version__ and body["problems"] == []
    assert body["database"] == {"ok": True, "dialect": "sqlite", "writable": True}
    assert body["redis"] is None  # not configured
    assert [p["name"] for p in body["printers"]] == ["default"] and body["printers"][0]["enabled"] is False
    assert body["spooler"]["pending"] == 0 and body["spooler"]["oldest_pending_seconds"] is None
    assert "url" not in body["printers"][0]  # a public endpoint: no printer addresses


def _read_only(engine):
    """Make every new connection of ``engine`` refuse writes the way a read-only SQLite file does."""

    def _on_connect(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA query_only=ON")

    event.listen(engine, "connect", _on_connect)
    engine.dispose()
    return _on_connect


def test_health_is_503_when_the_database_can_be_read_but_not_written(app, client, caplog):
    """Measured before: 200 while SQLite was read-only (the check only ran SELECT 1)."""
    core = app.extensions["antrean"]
    engines = [core.db.engine, core.db._relaxed_engine]
    hooks = [_read_only(e) for e in engines]
    with caplog.at_level(logging.INFO, logger="antrean.state"):
        r = client.get("/-/health")
        assert r.status_code == 503
        body = r.get_json()
        assert body["status"] == "error" and body["database"]["ok"] is False
        assert body["database"]["error"].startswith("cannot write: attempt to write a readonly database")
        assert body["problems"] == [f"database: {body['database']['error']}"]
        for engine, hook in zip(engines, hooks):
            event.remove(engine, "connect", hook)
            engine.dispose()
        _fresh(app)
        assert client.get("/-/health").status_code == 200
    assert [(r.levelname, r.getMessage().split(":")[0]) for r in caplog.records if r.name == "antrean.state"] == [
        ("WARNING", "database unavailable"),
        ("INFO", "database available again"),
    ]


def test_health_flood_costs_one_check(app, client):
    core = app.extensions["antrean"]
    writes = []
    event.listen(core.db._relaxed_engine, "commit", lambda conn: writes.append(1))
    _fresh(app)
    for _ in range(20):
        assert client.get("/-/health").status_code == 200
    assert len(writes) == 1


def test_printer_trouble_is_reported_but_keeps_the_server_healthy(app, client, admin):
    from hardware import store
    from hardware.models import Printer

    core = app.extensions["antrean"]
    store.save_printer(core, admin, "loket", "tcp://192.0.2.1:9100")
    with core.db.write() as s:
        s.query(Printer).filter_by(name="loket").update({"state": "paper_out"})
    _fresh(app)
    r = client.get("/-/health")
    body = r.get_json()
    assert r.status_code == 200 and body["status"] == "ok"
    assert body["problems"] == ["printer loket: paper_out"]
    assert next(p for p in body["printers"] if p["name"] == "loket")["state"] == "paper_out"


def test_health_checks_redis_when_configured(core, redis_url):
    from dataclasses import replace

    from antrean.services import health

    core.settings = replace(core.settings, redis_url=redis_url)
    ok, body = health.check(core)
    assert ok and body["redis"] == {"ok": True}


def test_health_is_503_when_redis_is_down(core):
    from dataclasses import replace

    from antrean.services import health
    from tests.conftest import free_port

    core.settings = replace(core.settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    ok, body = health.check(core)
    assert not ok and body["status"] == "error" and body["redis"]["ok"] is False
    assert body["problems"][0].startswith("redis: ") and "refused" in body["problems"][0].lower()


def test_monitor_logs_the_database_going_read_only_without_anyone_polling(core):
    from antrean.services.health import Monitor

    seen = __import__("threading").Event()

    class Catch(logging.Handler):
        def emit(self, record):
            if record.getMessage().startswith("database unavailable: cannot write"):
                seen.set()

    handler = Catch()
    logging.getLogger("antrean.state").addHandler(handler)
    hooks = [(e, _read_only(e)) for e in (core.db.engine, core.db._relaxed_engine)]
    monitor = Monitor(core, interval=0.01)
    core.on_close(monitor.stop)
    try:
        monitor.start()
        assert seen.wait(10)
    finally:
        logging.getLogger("antrean.state").removeHandler(handler)
        for engine, hook in hooks:
            event.remove(engine, "connect", hook)
    core.close()
    assert not monitor._thread.is_alive()


def test_antrean_run_logs_json_lines_with_request_ids(server_process):
    """The shipped command sets logging up from the settings: every line on stderr is one JSON object."""
    import json
    import urllib.request

    server = server_process({"ANTREAN_LOG_FORMAT": "json", "ANTREAN_START_WORKERS": "false"})
    req = urllib.request.Request(server.url + "/api/v1/services", headers={"X-Request-Id": "uji-json-1"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.headers["X-Request-Id"] == "uji-json-1"
    server.stop()
    records = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    access = [r for r in records if r.get("request_id") == "uji-json-1"]
    assert access and access[0]["logger"] == "antrean.request" and access[0]["status"] == 200
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)


@pytest.mark.postgres
def test_health_on_postgresql_notices_a_read_only_database(pg_url, settings_dict):
    """A PostgreSQL that answers SELECT but refuses writes (a standby, default_transaction_read_only)."""
    import psycopg

    from antrean.core import Antrean
    from antrean.services import health

    core = Antrean(settings_dict | {"database_url": pg_url}, builtins=(), entry_points=False)
    try:
        core.migrate()
        ok, body = health.check(core)
        assert ok and body["database"] == {"ok": True, "dialect": "postgresql", "writable": True}
        name = pg_url.rsplit("/", 1)[1]
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        core.db.dispose()  # new connections pick the setting up
        core.extensions.pop("antrean.services.health")
        ok, body = health.check(core)
        assert not ok and body["database"]["writable"] is False
        assert "read-only transaction" in body["database"]["error"]
    finally:
        core.close()


def test_database_failing_under_real_traffic_is_logged_once_and_its_return_too(app, client, caplog):
    """Without anyone polling /-/health: a write that fails logs WARNING once, the next commit INFO."""
    core = app.extensions["antrean"]
    hooks = [(e, _read_only(e)) for e in (core.db.engine, core.db._relaxed_engine)]
    with caplog.at_level(logging.INFO, logger="antrean.state"):
        for _ in range(3):
            r = client.post("/api/v1/tickets", json={"service": "ktp"})
            assert r.status_code == 503 and r.get_json()["error"]
        for engine, hook in hooks:
            event.remove(engine, "connect", hook)
            engine.dispose()
        assert client.post("/api/v1/tickets", json={"service": "ktp"}).status_code == 201
        assert client.post("/api/v1/tickets", json={"service": "ktp"}).status_code == 201
    states = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "antrean.state"]
    assert states == [
        ("WARNING", "database unavailable: attempt to write a readonly database"),
        ("INFO", "database available again"),
    ]
