"""The production server behind ``antrean run``: gevent's WSGI server (one process) or gunicorn's
gevent worker (several). The rules that come with gevent are in :mod:`antrean.kernel.runtime`;
gevent and gunicorn are imported only here, at serve time (after ``antrean.entry`` patched)."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable

from antrean.gunicorn_conf import settings as conf
from antrean.kernel.runtime import nodelay, raise_file_limit
from antrean.web.app import create_app


def serve(app, host: str, port: int, *, workers: int = 1, announce: Callable[[str], None] = print) -> None:
    """Serve ``app`` until SIGTERM/SIGINT. ``workers > 1`` runs gunicorn's gevent worker ×N."""
    soft, hard = raise_file_limit()
    if soft < 4096:
        announce(
            f"warning: open-file limit is {soft} (hard {hard}); each connection needs one. "
            "Raise LimitNOFILE in the service unit."
        )
    if workers > 1:
        _serve_gunicorn(host, port, workers)
        return
    from gevent import pywsgi  # serve time only, after antrean.entry's monkey-patching

    class Server(pywsgi.WSGIServer):
        def handle(self, sock, address):
            nodelay(sock)
            return super().handle(sock, address)

    server = Server((host, port), app, log=None, error_log=logging.getLogger("antrean.server"), backlog=2048)
    import gevent

    gevent.signal_handler(signal.SIGTERM, server.stop)
    gevent.signal_handler(signal.SIGINT, server.stop)
    server.serve_forever()


def _serve_gunicorn(host: str, port: int, workers: int) -> None:
    """Several processes on one port: gunicorn master + N gevent workers, each with its own app.

    Needs PostgreSQL (shared database) and Redis (events between processes); boards and consoles
    use the websocket transport only, so no sticky sessions are needed between workers.
    """
    from gunicorn.app.base import BaseApplication  # serve time only: not imported by the app, tests or other commands

    class Application(BaseApplication):
        def load_config(self):
            for key, value in conf(host, port, workers).items():
                self.cfg.set(key, value)

        def load(self):
            return create_app()

    Application().run()
