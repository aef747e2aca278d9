"""Logging: one line per event, timestamped and levelled, to stderr; text or JSON.

``setup(settings)`` is called once by the ``antrean`` command before anything else is imported
(``import escpos`` calls ``logging.basicConfig()``, which is a no-op once the root logger has our
handler). Inside a request every line carries the request's id (``X-Request-Id``, taken from the
client or proxy when it is sane, otherwise generated; echoed in the response).

``StateLog`` remembers the last known state of a component (database, Redis) and logs only the
changes: WARNING when it goes bad, INFO when it comes back.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
import uuid
from typing import IO

#: a client-supplied id is kept only when it looks like one (no spaces, no control characters)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,100}")
_HANDLER_NAME = "antrean"


def request_id(incoming: str | None) -> str:
    return incoming if incoming and _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def _current_request_id() -> str:
    # the kernel does not import the web layer's Flask: if nothing imported it, there is no request either
    flask = sys.modules.get("flask")
    if flask is not None and flask.has_request_context():
        return str(flask.g.get("request_id", "-"))
    return "-"


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "root" and record.levelno < logging.WARNING and "escpos" in record.pathname:
            return False  # python-escpos logs "Closing Network connection …" on the root logger for every job
        if not hasattr(record, "request_id"):
            record.request_id = _current_request_id()
        return True


def utc_time(record: logging.LogRecord) -> str:
    """``2026-11-27T07:40:01.123Z``: the record's time in UTC, to the millisecond."""
    t = time.gmtime(record.created)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    """``2026-11-27T07:40:01.123+0000 INFO antrean.request [id] message`` — one line: a traceback is folded
    onto the same line (`` | ``-separated) so that a log reader never sees an unattributed line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return utc_time(record)

    def format(self, record: logging.LogRecord) -> str:
        return " | ".join(line for line in super().format(record).splitlines() if line.strip())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": utc_time(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        for key in ("method", "path", "status", "ms", "remote"):
            if hasattr(record, key):
                out[key] = getattr(record, key)
        return json.dumps(out, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler[IO[str]]):
    """Writes to whatever ``sys.stderr`` is at the time of the record (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        pass


def setup(level: str = "INFO", fmt: str = "text", stream: IO[str] | None = None) -> logging.Handler:
    """Install (or replace) Antrean's handler on the root logger. Idempotent."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if h.get_name() == _HANDLER_NAME or (type(h) is logging.StreamHandler and h.stream in (sys.stdout, sys.stderr)):
            root.removeHandler(h)  # ours from an earlier setup, or escpos's basicConfig() one
    handler: logging.StreamHandler[IO[str]] = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("werkzeug", "engineio", "socketio", "geventwebsocket", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler


class StateLog:
    """Log a component's state changes only (WARNING when it goes bad, INFO when it recovers)."""

    def __init__(self, logger: logging.Logger):
        self.log = logger
        self._state: dict[str, tuple[bool, str]] = {}
        self._lock = threading.Lock()

    def report(self, component: str, ok: bool, detail: str = "") -> None:
        with self._lock:
            before = self._state.get(component)
            if before is not None and before[0] == ok and (ok or before[1] == detail):
                return
            self._state[component] = (ok, detail)
        if ok:
            if before is not None:  # the first good report at start-up is not news
                self.log.info("%s available again%s", component, f": {detail}" if detail else "")
        else:
            self.log.warning("%s unavailable: %s", component, detail)
