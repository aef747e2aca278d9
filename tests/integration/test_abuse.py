"""Abuse and bad input at the door: rate limits, registered kiosks, login throttling over HTTP, bad input is a
4xx (never a 500 or a false 503), printer URLs that would write files, numbers past 9,999."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from antrean.kernel.models import AuditLog, Ticket, TicketCounter

PHONE = {"REMOTE_ADDR": "192.168.1.77"}  # a phone on the office's public Wi-Fi
OTHER = {"REMOTE_ADDR": "192.168.1.78"}


def tickets(core) -> int:
    with core.db.read() as s:
        return s.execute(select(func.count()).select_from(Ticket)).scalar_one()


@pytest.fixture
def limited(settings_dict, migrated_sqlite):
    """An app with small limits, so tests trip them in a few requests."""
    from antrean import create_app

    app = create_app(
        settings_dict
        | {
            "rate_ticket": "5/minute",
            "rate_ticket_service_day": "2/day",
            "rate_kiosk": "50/minute",
            "rate_status": "4/minute",
            "rate_board": "3/minute",
            "rate_login": "4/minute",
        }
    )
    yield app
    app.extensions["antrean"].close()


def issue(client, service="ktp", env=PHONE, **headers):
    return client.post("/api/v1/tickets", json={"service": service}, environ_base=env, headers=headers)


# -- rate limits -------------------------------------------------------------------------------------------
def test_anonymous_ticket_issue_is_limited_per_service_per_day_with_429_and_retry_after(limited):
    core, c = limited.extensions["antrean"], limited.test_client()
    assert [issue(c).status_code for _ in range(2)] == [201, 201]
    refused = issue(c)  # the third ktp ticket from this phone today
    assert refused.status_code == 429
    assert refused.json["error"] == "too_many_requests"
    assert refused.json["message"].startswith("Terlalu banyak permintaan")
    assert int(refused.headers["Retry-After"]) > 3600  # the per-day window
    assert refused.json["retry_after"] == int(refused.headers["Retry-After"])
    assert tickets(core) == 2  # nothing written
    english = c.post("/api/v1/tickets?lang=en", json={"service": "ktp"}, environ_base=PHONE)
    assert english.status_code == 429 and english.json["message"].startswith("Too many requests")
    assert issue(c, "kk").status_code == 201  # another service is still allowed…
    refused = issue(c, "kk")  # …until the per-address limit (5/minute; refusals count)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 61
    assert tickets(core) == 3
    assert issue(c, "kk", env=OTHER).status_code == 201  # another phone is not affected


def test_registered_kiosk_is_limited_per_device_not_at_office_rates(limited):
    from hardware import devices

    core, c = limited.extensions["antrean"], limited.test_client()
    key = devices.add(core, "kiosk-1")
    for i in range(12):  # far past the anonymous 3/minute and 2/day, from the same address as a phone
        r = issue(c, ["ktp", "kk"][i % 2], **{"X-Device-Key": key})
        assert r.status_code == 201, r.json
    with core.db.read() as s:  # tickets carry the registered name, whatever the request claimed
        assert set(s.execute(select(Ticket.device_id)).scalars()) == {"kiosk-1"}
    assert [issue(c).status_code for _ in range(3)] == [201, 201, 429]  # a phone at the same address
    assert issue(c, **{"X-Device-Key": "ak_" + "x" * 43}).status_code == 429  # a made-up key is anonymous
    devices.remove(core, "kiosk-1")
    assert issue(c, **{"X-Device-Key": key}).status_code == 429  # a removed key too


def test_registered_kiosk_has_its_own_generous_limit(settings_dict, migrated_sqlite):
    from antrean import create_app
    from hardware import devices

    app = create_app(settings_dict | {"rate_kiosk": "3/minute", "rate_ticket": "1/minute"})
    try:
        core, c = app.extensions["antrean"], app.test_client()
        key = devices.add(core, "kiosk-2")
        codes = [issue(c, **{"X-Device-Key": key}).status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
    finally:
        app.extensions["antrean"].close()


def test_status_login_and_board_are_limited_per_address(limited):
    c = limited.test_client()
    token = issue(c, env=OTHER).json["token"]
    codes = [
        c.get(url, environ_base=PHONE).status_code
        for url in (
            f"/t/{token}",
            f"/t/{token}.json",
            f"/api/v1/tickets/{token}",
            f"/t/{token}/qr.svg",
            f"/t/{token}.json",
        )
    ]
    assert codes == [200, 200, 200, 200, 429]
    board = [c.get("/display/state.json", environ_base=PHONE).status_code for _ in range(4)]
    assert board == [200, 200, 200, 429]
    logins = [
        c.post("/api/v1/auth/token", json={"username": "nobody", "password": "x" * 8}, environ_base=PHONE).status_code
        for _ in range(5)
    ]
    assert logins == [401, 401, 401, 401, 429]
    from .test_console import csrf_of

    page = limited.test_client()
    shown = page.get("/console/masuk", environ_base=PHONE)  # showing the form is not a guess
    assert shown.status_code == 200
    form = page.post(
        "/console/masuk", data={"username": "x", "password": "y", "csrf_token": csrf_of(shown.text)}, environ_base=PHONE
    )
    assert form.status_code == 429 and "Terlalu banyak permintaan" in form.text and form.headers["Retry-After"]


def test_the_server_pc_itself_is_not_limited(limited):
    """Loopback (the office PC's own kiosk and TV browsers) is exempt by default (setting rate_exempt)."""
    c = limited.test_client()
    assert all(c.post("/api/v1/tickets", json={"service": "ktp"}).status_code == 201 for _ in range(5))


def test_socket_snapshots_are_limited_per_address(settings_dict, migrated_sqlite, admin):
    """Every board connect sends a full snapshot: a flood of connects is refused like /display/state.json."""
    from antrean import create_app

    app = create_app(settings_dict | {"rate_board": "3/minute"})
    try:
        core = app.extensions["antrean"]
        core.queue.save_counter(admin, name="Loket 1", number=1, services=list(core.sops))
        sio = app.extensions["antrean.socketio"]
        phone = app.test_client()
        phone.environ_base.update(PHONE)
        board = sio.test_client(app, namespace="/display", flask_test_client=phone)
        assert board.is_connected("/display") and board.get_received("/display")[0]["name"] == "state"
        for _ in range(2):
            board.emit("snapshot", namespace="/display")
            assert [m["name"] for m in board.get_received("/display")] == ["state"]
        board.emit("snapshot", namespace="/display")  # the 4th snapshot: none sent
        assert board.get_received("/display") == []
        assert phone.get("/display/state.json").status_code == 429  # one count for both ways
        late = sio.test_client(app, namespace="/display", flask_test_client=phone)
        assert not late.is_connected("/display")
        assert sio.test_client(app, namespace="/display").is_connected("/display")  # the server PC's own TV
    finally:
        app.extensions["antrean"].close()


def test_limits_are_validated_settings(settings_dict):
    from antrean import create_app
    from antrean.kernel.config import ConfigError

    with pytest.raises(ConfigError, match="rate_ticket"):
        create_app(settings_dict | {"rate_ticket": "lots"})


def test_redis_storage_is_shared_by_two_apps(settings_dict, redis_url, tmp_path):
    """Two server processes on one Redis share one count (the office's ANTREAN_REDIS_URL)."""
    from antrean import create_app

    db = f"sqlite:///{tmp_path / 'shared.db'}"
    apps = [
        create_app(
            settings_dict
            | {
                "instance_path": str(tmp_path / f"i{n}"),
                "database_url": db,
                "redis_url": redis_url,
                "rate_ticket": "3/minute",
            }
        )
        for n in (1, 2)
    ]
    try:
        a, b = (app.test_client() for app in apps)
        codes = [
            issue(a, "ktp").status_code,
            issue(b, "kk").status_code,
            issue(a, "akta_kelahiran").status_code,
            issue(b, "ktp").status_code,
        ]
        assert codes == [201, 201, 201, 429]
        assert type(apps[0].extensions["antrean.limiter"].storage).__name__ == "RedisStorage"
    finally:
        for app in apps:
            app.extensions["antrean"].close()


# -- antrean kiosk add / list / remove ------------------------------------------------------------------------
def test_kiosk_cli_prints_the_key_last_and_stores_only_its_hash(app, monkeypatch, instance):
    from antrean.cli import main
    from hardware.models import KioskDevice

    monkeypatch.setenv("ANTREAN_INSTANCE_PATH", str(instance))
    runner = CliRunner()
    r = runner.invoke(main, ["kiosk", "add", "kiosk-lobi"])
    assert r.exit_code == 0, r.output
    key = r.output.strip().splitlines()[-1]
    assert key.startswith("ak_") and " " not in key and len(key) > 40
    core = app.extensions["antrean"]
    with core.db.read() as s:
        row = s.execute(select(KioskDevice).where(KioskDevice.device_id == "kiosk-lobi")).scalar_one()
        assert row.key_hash and key not in row.key_hash and len(row.key_hash) == 64
    c = app.test_client()
    assert issue(c, **{"X-Device-Key": key}).status_code == 201
    listed = runner.invoke(main, ["kiosk", "list"])
    assert "kiosk-lobi" in listed.output and key not in listed.output
    assert runner.invoke(main, ["kiosk", "remove", "kiosk-lobi"]).exit_code == 0
    assert "No registered kiosks" in runner.invoke(main, ["kiosk", "list"]).output
    gone = runner.invoke(main, ["kiosk", "remove", "kiosk-lobi"])
    assert gone.exit_code == 1 and "No such registered kiosk" in gone.output
    bad = runner.invoke(main, ["kiosk", "add", "bad name!"])
    assert bad.exit_code == 1 and "Kiosk name" in bad.output


# -- bad input: 400/413/422 with a message, never 500 or a false 503 ------------------------------------------------
NESTED = "[" * 20000 + "]" * 20000  # 40 KB


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/auth/token", "/kiosk/pin"])
def test_deeply_nested_json_is_a_400(client, app, admin, path):
    from kiosk.views import set_kiosk_pin

    set_kiosk_pin(app.extensions["antrean"], admin, "1234")
    r = client.post(path, data=NESTED, content_type="application/json")
    assert r.status_code == 400 and r.json["error"] == "bad_json" and r.json["message"]


@pytest.mark.parametrize("payload", [[1, 2], "pin", 7])
def test_non_object_json_to_kiosk_pin_is_a_400(client, payload, app, admin):
    from kiosk.views import set_kiosk_pin

    set_kiosk_pin(app.extensions["antrean"], admin, "1234")
    r = client.post("/kiosk/pin", json=payload)
    assert r.status_code == 400 and r.json["message"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"service": "ktp", "device_id": "kiosk\x00"}, "device_id"),
        ({"service": "ktp\x00"}, "service"),
        ({"service": "ktp", "priority": 2**63}, "priority"),
        ({"service": "ktp", "idempotency_key": -(2**64)}, "idempotency_key"),
    ],
)
def test_nul_bytes_and_huge_integers_are_refused_at_the_door(client, app, body, field):
    core = app.extensions["antrean"]
    r = client.post("/api/v1/tickets", json=body)
    assert r.status_code == 400 and field in r.json["detail"] and r.json["message"]
    assert tickets(core) == 0


def test_huge_ids_in_paths_forms_and_queries(client, app, make_user):
    core = app.extensions["antrean"]
    make_user(core, "ana", ["petugas_pelayanan"])
    tok = client.post("/api/v1/auth/token", json={"username": "ana", "password": "rahasia123"}).json["token"]
    auth = {"Authorization": "Bearer " + tok}
    big = 2**64
    assert client.get(f"/api/v1/applications/{big}", headers=auth).status_code == 404
    assert client.post(f"/api/v1/counters/{big}/call-next", headers=auth).status_code == 404
    r = client.post("/api/v1/applications", headers=auth, json={"ticket": big, "applicant_name": "Siti"})
    assert r.status_code == 400
    r = client.get("/display/state.json?counters=²")
    assert r.status_code == 422 and r.json["message"]
    r = client.get("/display/state.json?counters=1%002")
    assert r.status_code == 400 and "NUL" in r.json["detail"]


def test_nul_byte_in_a_login_form_is_a_400(client):
    r = client.post("/api/v1/auth/token", json={"username": "ad\x00min", "password": "x"})
    assert r.status_code == 400
    r = client.post("/console/masuk", data={"username": "ad\x00min", "password": "x"})
    assert r.status_code == 400


def test_405_carries_allow(client):
    r = client.delete("/api/v1/tickets")
    assert r.status_code == 405 and "POST" in r.headers["Allow"] and r.json["message"]


def test_database_refusing_a_value_is_not_database_down(app, client, monkeypatch):
    """The net under the door's checks: a DataError/OverflowError is the request's fault (422), not a 503."""
    core = app.extensions["antrean"]

    def boom(*a, **k):
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr(core.tickets, "issue", boom)
    r = client.post("/api/v1/tickets", json={"service": "ktp"})
    assert r.status_code == 422 and r.json["error"] == "invalid_value"


def test_body_too_large_is_a_413_in_the_error_shape(client):
    r = client.post("/api/v1/tickets", data="{" + " " * 70000 + "}", content_type="application/json")
    assert r.status_code == 413 and r.json["message"]


# -- numbers past 9,999 ---------------------------------------------------------------------------------------------
def test_ticket_past_9999_is_numbered_called_and_announced(app, client, admin, make_user):
    core = app.extensions["antrean"]
    counter = core.queue.save_counter(admin, name="Loket 2", number=2, services=["ktp"])
    first = core.tickets.issue("ktp")[0]
    with core.db.write() as s:
        s.execute(update(TicketCounter).values(last=10004))
    ticket = core.tickets.issue("ktp")[0]
    assert ticket["number"] == "B10005" and first["number"] == "B001"
    clerk = make_user(core, "ana", ["petugas_pelayanan"])
    core.queue.call_ticket(counter["id"], ticket["id"], clerk)
    r = client.get("/display/audio/call/B10005/2.wav")
    assert r.status_code == 200 and r.mimetype == "audio/wav"


# -- printer URLs that would write files ---------------------------------------------------------------------------
def test_printer_url_to_a_regular_file_is_refused_where_saved(app, admin, tmp_path):
    from antrean.kernel.errors import Invalid
    from hardware import store

    core = app.extensions["antrean"]
    db_file = core.db.engine.url.database
    for url in (
        f"file://{db_file}",
        f"file://{tmp_path}/new-file",
        "file:///etc/passwd",
        f"serial://{db_file}",
        "file:///dev/../etc/hostname",
    ):
        with pytest.raises(Invalid) as info:
            store.save_printer(core, admin, "loket", url)
        assert "not" in info.value.detail, url
    before = open(db_file, "rb").read(16)
    assert before.startswith(b"SQLite format 3")
    assert store.save_printer(core, admin, "loket", "file:///dev/usb/lp0")["url"] == "file:///dev/usb/lp0"  # unplugged
    assert store.save_printer(core, admin, "nol", "file:///dev/null")["url"] == "file:///dev/null"  # a char device


def test_printer_url_to_a_file_is_refused_where_opened(tmp_path):
    from hardware.printers import PrinterConfigError, PrinterError, print_job
    from hardware.ticket import PAPER_58

    target = tmp_path / "antrean.db"
    target.write_bytes(b"precious")
    with pytest.raises(PrinterConfigError, match="not a character device"):
        print_job(f"file://{target}", PAPER_58, lambda p: p.text("x"))
    assert target.read_bytes() == b"precious"
    with pytest.raises(PrinterError) as info:  # an unplugged device is offline, and no file is created in /dev
        print_job("file:///dev/usb/lp-antrean-none", PAPER_58, lambda p: p.text("x"))
    assert info.value.kind == "offline"
    allowed = tmp_path / "printer.bin"
    print_job(f"file://{allowed}", PAPER_58, lambda p: p.text("x"), files=(str(allowed),))
    assert allowed.read_bytes()


def test_printer_file_allow_list_is_a_setting(settings_dict, migrated_sqlite, admin, tmp_path):
    from antrean import create_app
    from hardware import store

    allowed = tmp_path / "spool.bin"
    app = create_app(settings_dict | {"printer_files": f"{allowed}, /nowhere/else"})
    try:
        core = app.extensions["antrean"]
        assert store.save_printer(core, admin, "berkas", f"file://{allowed}")["url"] == f"file://{allowed}"
    finally:
        app.extensions["antrean"].close()


def test_audit_rows_stay_few(client, app):
    """A failed login flood writes a bounded number of audit rows (first failure, then the lock)."""
    core = app.extensions["antrean"]
    for _ in range(12):
        client.post("/api/v1/auth/token", json={"username": "camat", "password": "tebak1234"})
    with core.db.read() as s:
        rows = s.execute(select(AuditLog.action).where(AuditLog.action.startswith("auth."))).scalars().all()
    assert sorted(rows) == ["auth.failed", "auth.locked"]


PROXY = {"REMOTE_ADDR": "127.0.0.1"}  # nginx on the server PC: every request arrives from loopback


def test_behind_a_trusted_proxy_limits_key_on_the_forwarded_address(settings_dict, migrated_sqlite):
    """ANTREAN_TRUSTED_PROXIES=1 (docs/nginx.conf): the caller is X-Forwarded-For, not the proxy's loopback, so
    rate_exempt (set to "" there) no longer exempts everyone and each phone has its own count."""
    from antrean import create_app

    app = create_app(settings_dict | {"trusted_proxies": 1, "rate_exempt": "", "rate_board": "2/minute"})
    try:
        c = app.test_client()

        def board(phone):
            return c.get(
                "/display/state.json",
                environ_base=PROXY,
                headers={"X-Forwarded-For": phone, "X-Forwarded-Proto": "https"},
            ).status_code

        assert [board("192.168.1.77") for _ in range(3)] == [200, 200, 429]
        assert board("192.168.1.78") == 200  # another phone behind the same proxy: its own count
    finally:
        app.extensions["antrean"].close()


def test_without_the_setting_a_forged_forwarded_for_is_ignored(limited):
    """No trusted proxy (the default): X-Forwarded-For is just a header a script can forge; the limit keys on the
    socket's address, so rotating the header does not reset the count."""
    c = limited.test_client()
    codes = [
        c.get("/display/state.json", environ_base=PHONE, headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    forged_loopback = c.get("/display/state.json", environ_base=OTHER, headers={"X-Forwarded-For": "127.0.0.1"})
    assert forged_loopback.status_code == 200  # OTHER's first request: counted, and not exempt as "loopback"
    assert [
        c.get("/display/state.json", environ_base=OTHER, headers={"X-Forwarded-For": "127.0.0.1"}).status_code
        for _ in range(3)
    ] == [200, 200, 429]
