"""gunicorn settings for several Antrean processes (``antrean run --workers N`` uses them).

The same file works with gunicorn's own command line (PostgreSQL + Redis configured by
``ANTREAN_*`` variables)::

    gunicorn -c python:antrean.gunicorn_conf --bind 0.0.0.0:5000 --workers 2 'antrean:create_app()'

Each worker builds its own app after the fork (no preload: a database pool, a Redis
connection and the print spooler must not be shared across a fork).
"""

from __future__ import annotations

import os

from antrean.kernel.runtime import raise_file_limit

worker_class = "gevent"
#: simultaneous connections per worker (idle kiosks, boards, consoles, keep-alive clients)
worker_connections = 10000
keepalive = 5
timeout = 60
graceful_timeout = 3  # open websockets (boards) keep a worker busy until then; they reconnect
backlog = 2048
accesslog = None
errorlog = "-"
loglevel = os.environ.get("ANTREAN_GUNICORN_LOGLEVEL", "warning")
proc_name = "antrean"


def settings(host: str, port: int, workers: int) -> dict:
    """These settings as a dict for gunicorn's BaseApplication, bound to host:port with N workers."""
    return {
        "bind": [f"{'[' + host + ']' if ':' in host else host}:{port}"],
        "workers": workers,
        "worker_class": worker_class,
        "worker_connections": worker_connections,
        "keepalive": keepalive,
        "timeout": timeout,
        "graceful_timeout": graceful_timeout,
        "backlog": backlog,
        "accesslog": accesslog,
        "errorlog": errorlog,
        "loglevel": loglevel,
        "proc_name": proc_name,
        "worker_exit": worker_exit,
        "post_worker_init": post_worker_init,
    }


def post_worker_init(worker) -> None:
    raise_file_limit()


def worker_exit(server, worker) -> None:
    """Stop this worker's print spooler cleanly (a job must not stay half-way in 'printing')."""
    app = getattr(worker, "wsgi", None)
    core = getattr(app, "extensions", {}).get("antrean") if app is not None else None
    if core is not None:
        core.close()
