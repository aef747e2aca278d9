"""The server that ships: ``antrean run`` (gevent) in a subprocess, as an office starts it.

Kiosk, board and console against it in Chromium; blocking work (a device printer's write, password
hashing) runs in OS threads and does not hold up a Socket.IO broadcast; ``--dev`` keeps Werkzeug;
``--workers 2`` (gunicorn) on PostgreSQL + Redis reaches boards on both processes.
"""

from __future__ import annotations

import http.client
import os
import select as io_select
import threading
import time
import tty
from pathlib import Path

import pytest
from sqlalchemy import select

from antrean.core import Antrean
from antrean.kernel.actors import SYSTEM
from antrean.kernel.models import User
from tests.conftest import screenshot, seed_schema
from tests.e2e.test_display_socket import api, boards, prepare  # noqa: F401 (boards is a fixture)


@pytest.fixture
def office(tmp_path, admin, schema_template):
    """An instance folder with a counter for KK and the clerk 'petugas'; (instance, core, counter id)."""
    inst = tmp_path / "inst"
    inst.mkdir()
    seed_schema({"instance_path": str(inst)}, schema_template)  # a copy of the migrated template
    core = Antrean({"instance_path": str(inst), "start_workers": False})
    core.migrate()
    cid = prepare(core, admin)
    yield inst, core, cid
    core.close()


def _get(url: str, path: str, conn: http.client.HTTPConnection | None = None):
    conn = conn or http.client.HTTPConnection(url.split("//")[1], timeout=10)
    conn.request("GET", path)
    r = conn.getresponse()
    r.read()
    return r, conn


def test_production_server_no_warning_keep_alive(server_process, office):
    inst, _, _ = office
    server = server_process(instance=inst)
    r, conn = _get(server.url, "/-/health")
    for _ in range(3):  # one keep-alive connection, several requests
        r, _ = _get(server.url, "/-/health", conn)
        assert r.status == 200 and r.getheader("Connection", "").lower() != "close"
    assert "Werkzeug" not in (r.getheader("Server") or "")
    log = server.log.read_text()
    assert "development server" not in log.lower() and "Antrean on http://127.0.0.1" in log


def test_dev_server_is_werkzeug(server_process, office):
    inst, _, _ = office
    server = server_process(instance=inst, args=["--dev", "--no-reload"])
    r, _ = _get(server.url, "/-/health")
    assert r.status == 200 and "Werkzeug" in r.getheader("Server")


def _threads_writing_to(pid: int, device: str) -> list[int]:
    """Ids of the process's threads now blocked in write(2) on ``device`` (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "syscall").read_text().split()
            if fields[0] != "1":  # write(2) on x86-64 / aarch64 uses 64; checked below
                continue
            fd = int(fields[1], 16)
            if os.readlink(f"/proc/{pid}/fd/{fd}") == device:
                found.append(int(task.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def test_a_stuck_device_printer_does_not_stop_a_broadcast(server_process, office, boards):
    if os.uname().machine != "x86_64":
        pytest.skip("reads write(2) from /proc/*/syscall by its x86-64 number")
    inst, core, cid = office
    master, slave = os.openpty()
    tty.setraw(slave)
    device = os.ttyname(slave)
    os.set_blocking(slave, False)
    # fill the terminal's buffer: the server's next write to it blocks until we read. The kernel moves
    # queued bytes on to the master side in the background, so one EAGAIN does not mean full: write until
    # the terminal stays unwritable for half a second (a fill bound, not a wait for the server)
    while True:
        try:
            os.write(slave, b"x" * 4096)
        except BlockingIOError:
            if not io_select.select([], [slave], [], 0.5)[1]:
                break
    server = server_process({"ANTREAN_PRINTER_URL": f"file://{device}"}, instance=inst)
    board = boards(server.url)
    board.next("state")
    token = api(server.url, "/api/v1/auth/token", {"username": "petugas", "password": "rahasia123"})["token"]
    api(server.url, "/api/v1/tickets", {"service": "kk"})  # its print job gets stuck in write(2)
    deadline = time.monotonic() + 90  # a bound for a hung test, not a speed check (the spooler may lag on a busy CI)
    while not (writers := _threads_writing_to(server.proc.pid, device)):
        assert time.monotonic() < deadline, "the print job never reached the printer"
        time.sleep(0.02)  # polling /proc for the write to start
    assert server.proc.pid not in writers  # not the main thread, where gevent's hub runs

    call = api(server.url, f"/api/v1/counters/{cid}/call-next", token=token)["call"]
    assert board.next("called")["seq"] == call["seq"]  # while the printer is still stuck
    assert _threads_writing_to(server.proc.pid, device) == writers

    drained = threading.Event()

    def drain():
        while not drained.is_set():
            try:
                os.read(master, 65536)
            except OSError:
                return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    from hardware.models import PrintJob  # noqa: PLC0415

    deadline = time.monotonic() + 90
    while True:
        with core.db.read() as s:
            status = s.execute(select(PrintJob.status)).scalar()
        if status == "done":
            break
        assert time.monotonic() < deadline, f"print job {status} after the printer was drained"
        time.sleep(0.05)  # polling the database for the spooler's result
    drained.set()
    os.close(slave)
    os.close(master)


def test_password_hashing_does_not_hold_up_a_broadcast(server_process, office, boards):
    """Eight logins (scrypt, ~100 ms each) sent before a call: the board hears the call before they end.

    If hashes ran on gevent's hub they would run one after another ahead of the call's request."""
    inst, core, cid = office
    # the shipped hash (the suite otherwise uses a cheap one, tests/conftest.py): the cost is what is under test
    slow = Antrean({"instance_path": str(inst), "start_workers": False, "password_hash_method": "scrypt"})
    try:
        for i in range(8):
            slow.users.create(SYSTEM, f"staf{i}", "rahasia123", ["petugas_pelayanan"], f"Staf {i}")
        with slow.db.read() as s:
            hashes = s.execute(select(User.password_hash).where(User.username.like("staf%"))).scalars().all()
        assert len(hashes) == 8 and all(h.startswith("scrypt:") for h in hashes)
    finally:
        slow.close()
    core.tickets.issue("kk")
    server = server_process(instance=inst)
    token = api(server.url, "/api/v1/auth/token", {"username": "petugas", "password": "rahasia123"})["token"]
    board = boards(server.url)
    board.next("state")
    finished: list[float] = []
    go = threading.Barrier(9)

    def login(i):
        go.wait()
        api(server.url, "/api/v1/auth/token", {"username": f"staf{i}", "password": "rahasia123"})
        finished.append(time.monotonic())

    threads = [threading.Thread(target=login, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    go.wait()
    time.sleep(0.02)  # let the logins' requests reach the server first (the ordering under test)
    api(server.url, f"/api/v1/counters/{cid}/call-next", token=token)
    board.next("called")
    heard = time.monotonic()
    for t in threads:
        t.join(30)
    assert len(finished) == 8
    assert heard < max(finished), "the call waited for every password hash"


@pytest.mark.browser
def test_kiosk_board_and_console_on_the_shipped_server(server_process, office, browser):
    inst, core, cid = office
    server = server_process(instance=inst)
    base = server.url
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="id-ID", timezone_id="Asia/Jakarta", bypass_csp=True
    )
    kiosk, board, console = ctx.new_page(), ctx.new_page(), None
    try:
        kiosk.goto(base + "/kiosk?device=kiosk-1")
        kiosk.wait_for_selector("body.ready #s-home.armed")
        for selector, then in (
            ("[data-service=kk]", "priority"),
            ("[data-priority='']", "confirm"),
            ("#take", "ticket"),
        ):
            kiosk.click(selector)
            kiosk.wait_for_selector(f"#s-{then}.armed")
        number = kiosk.text_content("#ticket-number")
        assert number == "C001"

        board.goto(base + "/display/")
        board.wait_for_function("window.antreanBoard && window.antreanBoard.state().haveState", timeout=15000)

        staff = browser.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID", bypass_csp=True)
        console = staff.new_page()
        console.goto(base + "/console/masuk")
        console.fill("input[name=username]", "petugas")
        console.fill("input[name=password]", "rahasia123")
        console.click("button[type=submit]")
        console.wait_for_url(base + "/console/")
        console.goto(f"{base}/console/loket/{cid}")
        console.wait_for_selector("#live.on", timeout=15000)
        console.keyboard.press("n")
        console.wait_for_function(
            f"document.getElementById('current-number').textContent.trim() === '{number}'", timeout=15000
        )
        board.wait_for_function(
            f"document.getElementById('now-number').textContent.includes('{number}')", timeout=15000
        )
        screenshot(board, "shipped-server-board-after-call")
    finally:
        ctx.close()
        if console is not None:
            console.context.close()


def _worker_of(board, server) -> int | None:
    """The pid of the gunicorn worker holding this board's connection (Linux /proc)."""
    port = board.sio.eio.ws.sock.getsockname()[1]
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        f = line.split()
        if int(f[1].split(":")[1], 16) == server.port and int(f[2].split(":")[1], 16) == port:
            inode = f[9]
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text().split()
    for pid in children:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return int(pid)
            except OSError:
                continue
    return None


def test_two_workers_reach_every_board(server_process, pg_migrated_url, redis_url, boards, admin, tmp_path):
    """``antrean run --workers 2``: gunicorn's gevent workers on one port; boards land on either."""
    core = Antrean({"instance_path": str(tmp_path / "setup"), "database_url": pg_migrated_url, "start_workers": False})
    core.migrate()
    cid = prepare(core, admin)
    for _ in range(2):
        core.tickets.issue("kk")
    core.close()
    server = server_process(
        {"ANTREAN_DATABASE_URL": pg_migrated_url, "ANTREAN_REDIS_URL": redis_url}, args=["--workers", "2"]
    )
    made, workers = [], set()
    while len(workers) < 2 and len(made) < 60:  # connect until boards sit on both workers
        b = boards(server.url)
        b.next("state")
        made.append(b)
        workers.add(_worker_of(b, server))
    assert len(workers - {None}) == 2, f"{len(made)} boards, all on one worker"
    token = api(server.url, "/api/v1/auth/token", {"username": "petugas", "password": "rahasia123"})["token"]
    for _ in range(2):  # each call is made by whichever worker accepts it; every board hears both
        call = api(server.url, f"/api/v1/counters/{cid}/call-next", token=token)["call"]
        for b in made:
            assert b.next("called")["seq"] == call["seq"]
