"""docs/nginx.conf with a real nginx in front of two ``antrean run`` processes (PostgreSQL + Redis).

Long-polling only works if every request of a Socket.IO session reaches the process that made the
session (``ip_hash``); websocket needs the Upgrade headers passed. Both are checked through the
file as shipped (only its ports are changed). nginx: ``apt-get install nginx-light`` (.ci/run does).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from antrean.core import Antrean
from tests.conftest import ROOT, free_port, need
from tests.e2e.test_display_socket import Board, api, prepare

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


@pytest.fixture
def nginx(tmp_path):
    """nginx(upstream_ports) -> URL of a running nginx using docs/nginx.conf."""
    if NGINX is None:
        need("nginx", "not installed (apt-get install nginx-light)")
    procs = []

    def start(ports: list[int]) -> str:
        site = (ROOT / "docs" / "nginx.conf").read_text()
        listen = free_port()
        site = site.replace("listen 80;", f"listen 127.0.0.1:{listen};")
        upstreams = re.findall(r"server 127\.0\.0\.1:\d+;", site)
        assert len(upstreams) == len(ports), "docs/nginx.conf names one upstream per process"
        for old, port in zip(upstreams, ports):
            site = site.replace(old, f"server 127.0.0.1:{port};", 1)
        prefix = tmp_path / "nginx"
        (prefix / "logs").mkdir(parents=True)
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = prefix / "nginx.conf"
        conf.write_text(
            f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log;\n"
            f"events {{ worker_connections 1024; }}\nhttp {{\naccess_log off;\n"
            f"client_body_temp_path {prefix}/body;\nproxy_temp_path {prefix}/proxy;\n{site}\n}}\n"
        )
        check = subprocess.run([NGINX, "-t", "-p", str(prefix), "-c", str(conf)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        p = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        procs.append(p)
        url = f"http://127.0.0.1:{listen}"
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(url + "/-/health", timeout=2) as r:
                    if r.status == 200:
                        return url
            except OSError:
                assert time.monotonic() < deadline, "nginx did not answer"
                time.sleep(0.05)  # polling for nginx to start

    yield start
    for p in procs:
        p.terminate()
        p.wait(10)


def test_boards_through_nginx_polling_and_websocket(server_process, pg_migrated_url, redis_url, nginx, admin, tmp_path):
    env = {"ANTREAN_DATABASE_URL": pg_migrated_url, "ANTREAN_REDIS_URL": redis_url}
    core = Antrean({"instance_path": str(tmp_path / "setup"), "database_url": pg_migrated_url, "start_workers": False})
    core.migrate()
    cid = prepare(core, admin)
    for _ in range(2):
        core.tickets.issue("kk")
    core.close()
    a, b = server_process(env), server_process(env)
    url = nginx([a.port, b.port])

    boards = []
    try:
        # long-polling: a session's many requests must all reach one process (else "Invalid session")
        for transports in (["polling"], ["polling"], ["websocket"], ["polling", "websocket"]):
            board = Board.__new__(Board)
            import queue

            import socketio

            board.events = queue.Queue()
            board.sio = socketio.Client(reconnection=False)
            for name in ("state", "called"):
                board.sio.on(name, lambda data, _n=name, _b=board: _b.events.put((_n, data)), namespace="/display")
            board.sio.connect(url, namespaces=["/display"], transports=transports, wait_timeout=10)
            boards.append(board)
            assert board.next("state")["seq"] == 0
        token = api(url, "/api/v1/auth/token", {"username": "petugas", "password": "rahasia123"})["token"]
        for _ in range(2):
            call = api(url, f"/api/v1/counters/{cid}/call-next", token=token)["call"]
            for board in boards:
                assert board.next("called")["seq"] == call["seq"]
        assert all(bd.sio.connected for bd in boards)
        assert [bd.sio.transport() for bd in boards] == ["polling", "polling", "websocket", "websocket"]
    finally:
        for board in boards:
            board.sio.disconnect()


def test_rate_limits_apply_through_nginx(server_process, nginx):
    """With docs/nginx.conf's settings (ANTREAN_TRUSTED_PROXIES=1, ANTREAN_RATE_EXEMPT="") the limiter sees each
    caller's own address from X-Forwarded-For: nginx's loopback does not exempt or merge everyone, and a forged
    X-Forwarded-For from the client does not reset the count (nginx appends the real address; one hop trusted)."""
    import http.client

    sp = server_process({"ANTREAN_TRUSTED_PROXIES": "1", "ANTREAN_RATE_EXEMPT": "", "ANTREAN_RATE_BOARD": "2/minute"})
    url = nginx([sp.port, sp.port])
    host, port = url.removeprefix("http://").split(":")

    def board(source: str, forged: str) -> int:
        conn = http.client.HTTPConnection(host, int(port), timeout=5, source_address=(source, 0))
        try:
            conn.request("GET", "/display/state.json", headers={"X-Forwarded-For": forged})
            return conn.getresponse().status
        finally:
            conn.close()

    assert [board("127.0.0.1", f"10.0.0.{i}") for i in range(3)] == [200, 200, 429]
    assert board("127.0.0.2", "127.0.0.1") == 200  # another caller (another address) has its own count
