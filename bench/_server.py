"""``antrean run`` in a subprocess for the bench scripts: the shipped server or the old one.

``server="gevent"`` is what ships (``antrean run``; ``workers > 1``: gunicorn's gevent worker ×N);
``server="dev"`` is Werkzeug's threaded development server (``antrean run --dev --no-reload``), the
server before issue 9, kept for before/after rounds.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVERS = ("gevent", "dev")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> int:
    """VmRSS of ``pid`` plus its children (gunicorn's workers), in KB."""
    total = 0
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        with open(f"/proc/{p}/status") as fh:
            total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
    return total


class Server:
    def __init__(self, instance: Path, env: dict | None = None, server: str = "gevent", workers: int = 1):
        assert server in SERVERS, server
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full = {k: v for k, v in os.environ.items() if not k.startswith("ANTREAN_")}
        # benches run at any hour: the office calendar is off (bench/office_calendar.py measures it)
        full.update({"ANTREAN_INSTANCE_PATH": str(instance), "ANTREAN_CALENDAR": "false", **(env or {})})
        args = ["run", "--port", str(self.port)]
        args += ["--dev", "--no-reload"] if server == "dev" else ["--workers", str(workers)]
        self.log = open(instance / "server.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "antrean"] + args, env=full, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited, see {instance / 'server.log'}")
            try:
                with urllib.request.urlopen(self.url + "/-/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start, see {instance / 'server.log'}")

    @property
    def rss_kb(self) -> int:
        return rss_kb(self.proc.pid)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its children (gunicorn's workers) so far, in seconds."""
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    ticks = 0
    for p in pids:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def loadavg() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def machine() -> str:
    import platform

    model = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?"
    )
    return f"{os.cpu_count()} CPU ({model}), Python {platform.python_version()}"
