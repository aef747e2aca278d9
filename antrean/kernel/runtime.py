"""Low-level concurrency helpers for serving under gevent (the server itself: :mod:`antrean.web.server`).

``antrean run`` serves with gevent (one process) or gunicorn's gevent worker (several).

Chosen by measurement (bench/README.md, "server"): one greenlet per connection instead of one
OS thread per connection, so idle or slow clients cost a few KB each and a broadcast to 500
boards does not wake 1,500 threads. The rules that come with it:

* :func:`antrean.entry.prepare` monkey-patches the standard library once, first thing, in the ``antrean``
  entry point (``antrean.entry``, ``python -m antrean``, ``python -m antrean.cli``), before
  anything imports ssl, threading or psycopg. Only the serving command patches; ``antrean
  init``, ``user`` … and the test process stay plain threads.
* Blocking C calls must not run on the hub (the one OS thread every greenlet shares): an
  SQLite commit's fsync, a password hash (scrypt, ~100 ms), a write to a USB/serial/device
  printer. :func:`offload` runs them in a real OS thread of gevent's threadpool and lets
  other greenlets run meanwhile; without gevent it just calls the function.
* Accepted sockets get ``TCP_NODELAY`` (a keep-alive client otherwise stalls ~40 ms per
  request: Nagle against delayed ACK), and the process's open-file soft limit is raised to
  the hard limit at start (each connection is a file descriptor).
"""

from __future__ import annotations

import logging
import resource
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from werkzeug.security import check_password_hash, generate_password_hash

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

T = TypeVar("T")


def patched() -> bool:
    """True when this process runs under gevent's monkey-patching."""
    if "gevent" not in sys.modules:
        return False
    from gevent import monkey

    return bool(monkey.is_module_patched("socket"))


def offload(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a real OS thread when gevent is in charge, else right here.

    The calling greenlet waits; every other greenlet keeps running. Exceptions propagate.
    ``fn`` must not use gevent objects owned by the hub (emit Socket.IO events after it returns).
    """
    if not patched():
        return fn(*args, **kwargs)
    import gevent

    hub = gevent.get_hub()
    if hub is not _main_hub():  # already in a threadpool thread (nested offload)
        return fn(*args, **kwargs)
    result: T = hub.threadpool.apply(fn, args, kwargs)
    return result


def _main_hub() -> Any:  # gevent's Hub (gevent ships no type information)
    import gevent

    global _MAIN_HUB
    if _MAIN_HUB is None:
        _MAIN_HUB = gevent.get_hub()
    return _MAIN_HUB


_MAIN_HUB: Any = None


def raise_file_limit() -> tuple[int, int]:
    """Raise RLIMIT_NOFILE's soft limit to the hard limit; return (soft, hard) in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        target = 1 << 20
    else:
        target = hard
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:  # e.g. a container capping it lower
            log.warning("could not raise the open-file limit from %s to %s: %s", soft, target, exc)
    return soft, hard


def nodelay(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):  # not TCP (a unix socket) or already closed
        pass


def hash_password(password: str, method: str = "scrypt") -> str:
    """werkzeug's password hash (scrypt by default, ~100 ms of CPU in C) off the hub.

    ``method`` is the ``password_hash_method`` setting: the tests set a cheap one (the hash names its method,
    so ``password_matches`` checks any stored hash whatever the setting is now)."""
    return offload(generate_password_hash, password, method)


def password_matches(pwhash: str, password: str) -> bool:
    """werkzeug's constant-time check (the same scrypt cost) off the hub."""
    return offload(check_password_hash, pwhash, password)


#: Anonymous, public requests that a crowd (or a script) can send many of at once: issuing a ticket,
#: a ticket's status, the kiosk's and the board's polling. Staff requests (Authorization header) and
#: Socket.IO never wait in this lane.
PUBLIC_PATHS = ("/api/v1/tickets", "/t/", "/kiosk/state.json", "/display/state.json")
PUBLIC_IN_FLIGHT = 8


class PublicLane:
    """WSGI middleware: at most ``limit`` public requests inside the app at once; the rest wait their
    turn (cheaply: a waiting greenlet costs no CPU) while a clerk's call or a board's event goes ahead.

    Without it a ticket flood that saturates the CPU puts a clerk's "call next" at the back of every
    queued ticket (measured: 1.1 s p50 at 150 tickets/s on a loaded 2-core machine). Eight keeps the
    group commit's batches full (it batches whatever is waiting) while bounding the work a staff
    request can find ahead of it.
    """

    def __init__(
        self, app: WSGIApplication, limit: int = PUBLIC_IN_FLIGHT, paths: tuple[str, ...] = PUBLIC_PATHS
    ) -> None:
        self.app, self.paths = app, paths
        # gevent's when patched (patch_all replaces the module's classes: a greenlet-aware semaphore), else a real one
        self.slots = threading.BoundedSemaphore(limit)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if "HTTP_AUTHORIZATION" in environ or not path.startswith(self.paths):
            return self.app(environ, start_response)
        with self.slots:
            # the body is read and the response built inside the app call (Flask buffers JSON)
            return list(self.app(environ, start_response))
