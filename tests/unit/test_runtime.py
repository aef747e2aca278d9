"""antrean.entry / antrean.kernel.runtime: who gets monkey-patched, file limit, the public lane."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from antrean.kernel.runtime import PublicLane, offload, patched
from tests.conftest import ROOT


def _patched_after(argv: list[str]) -> bool:
    code = (
        "import sys; from antrean.entry import prepare; prepare(sys.argv[1:]); "
        "from antrean.kernel.runtime import patched; import threading, socket; "
        "print(patched(), threading.Lock.__module__, socket.socket.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True, text=True, check=True)
    flag, lock_mod, sock_mod = out.stdout.split()
    assert (flag == "True") == sock_mod.startswith("gevent") == lock_mod.startswith("gevent"), out.stdout
    return flag == "True"


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["run"], True),
        (["run", "--port", "8000", "--workers", "2"], True),
        (["run", "--dev"], False),
        (["init", "--demo"], False),
        (["user", "add", "run"], False),
        (["--help"], False),
        ([], False),
    ],
)
def test_only_the_production_server_is_patched(argv, expected):
    assert _patched_after(argv) is expected


def test_python_m_antrean_cli_patches_before_importing_the_app():
    """``python -m antrean.cli run`` patches first: nothing of the app, SQLAlchemy or psycopg was imported before."""
    code = (
        "import runpy, sys; sys.argv = ['antrean', 'run', '--help']\n"
        "try:\n    runpy.run_module('antrean.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "from gevent import monkey; print(monkey.is_module_patched('socket'))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("True")
    assert "MonkeyPatchWarning" not in out.stderr, out.stderr


def test_the_test_process_is_not_patched_and_offload_just_calls():
    assert not patched()
    assert offload(lambda a, b=0: (a, b, threading.current_thread()), 1, b=2) == (1, 2, threading.current_thread())


def test_file_limit_is_raised_to_the_hard_limit():
    code = (
        "import resource; from antrean.kernel.runtime import raise_file_limit\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))\n"
        "print(raise_file_limit() == (hard, hard) == resource.getrlimit(resource.RLIMIT_NOFILE))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_public_lane_bounds_public_requests_and_lets_staff_through():
    inside, peak, lock = [0], [0], threading.Lock()
    release = threading.Event()
    eight_in = threading.Event()

    def app(environ, start_response):
        with lock:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
            if inside[0] == 8:
                eight_in.set()
        if environ.get("wait"):
            release.wait(10)
        with lock:
            inside[0] -= 1
        start_response("200 OK", [])
        return [b"ok"]

    lane = PublicLane(app, limit=8)
    results = []

    def call(environ):
        results.append(lane(environ, lambda *a: None))

    public = [threading.Thread(target=call, args=({"PATH_INFO": "/api/v1/tickets", "wait": True},)) for _ in range(11)]
    for t in public:
        t.start()
    assert eight_in.wait(10)
    # a clerk's call (bearer token) and a board's Socket.IO request do not queue behind the flood
    assert lane({"PATH_INFO": "/api/v1/counters/1/call-next", "HTTP_AUTHORIZATION": "Bearer x"}, lambda *a: None) == [
        b"ok"
    ]
    assert lane({"PATH_INFO": "/socket.io/", "QUERY_STRING": "EIO=4"}, lambda *a: None) == [b"ok"]
    release.set()
    for t in public:
        t.join(10)
    assert len(results) == 11 and peak[0] == 9  # 8 public + the staff request while they were inside
