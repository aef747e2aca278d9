"""Printer transports: printer URLs -> python-escpos printer objects, print jobs, status.

URLs (see :func:`open_printer`)::

    tcp://HOST[:PORT]            network printer, raw port (default 9100)
                                 ?timeout=SECONDS  ?waiteof=0|1  ?papercheck=0|1
    usb://VENDOR:PRODUCT         hex USB ids, e.g. usb://0416:5011  ?in_ep=0x82&out_ep=0x01
    serial:///dev/ttyUSB0        ?baudrate=9600&bytesize=8&parity=N&stopbits=1
    file:///dev/usb/lp0          a device file (Linux usblp, parallel port): a character device,
                                 or a path the server's admin listed in ANTREAN_PRINTER_FILES
    cups://QUEUE                 a raw CUPS queue (needs pycups)
    dummy://                     collects bytes in memory (tests, demos)
    none                         printing disabled: open_printer returns None

Other plugins add schemes through the ``register_printer_drivers`` hook: each core has its own
:class:`Drivers` registry (``core.extensions["hardware"].drivers``), the built-in schemes plus the
plugins'; the functions here take it as ``drivers`` (default: :data:`BUILTIN_DRIVERS` alone).

Network print protocol (:func:`print_job` on ``tcp://``), one connection per job:

1. connect (``timeout``);
2. ask the paper sensor with ``DLE EOT 4``; a printer that answers "paper end"
   fails the job with kind ``paper_out`` before anything is sent.  No answer
   within ``STATUS_TIMEOUT`` is fine: many printers do not report status
   (``?papercheck=0`` skips the question and its wait for such printers);
3. send the job;
4. half-close and wait until the printer closes its side (the AppSocket /
   JetDirect convention, as in CUPS' ``socket`` backend ``waiteof``).  This is
   what notices a printer whose TCP stack accepts data but whose firmware has
   hung: no close within ``timeout`` -> kind ``timeout``.  A printer that never
   closes the connection can use ``?waiteof=0`` (then a hung printer is not
   detected).  :attr:`PrinterError.sent` tells a spooler whether any job byte
   had been handed to the transport (``True`` means "may have printed": a
   printer whose firmware stalls keeps what it received in its buffer and
   prints it when it recovers, so such a job must never be sent again).
"""

from __future__ import annotations

import errno
import inspect
import ipaddress
import logging
import os
import socket
import stat
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from antrean.kernel.runtime import offload
from hardware._escpos import (
    CupsPrinter,
    Dummy,
    Escpos,
    File,
    Network,
    Serial,
    Usb,
    escpos_exceptions,
    preserve_root_logging,
)
from hardware.ticket import PaperProfile

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_TIMEOUT",
    "BUILTIN_DRIVERS",
    "Drivers",
    "ERROR_KINDS",
    "PrinterConfigError",
    "PrinterError",
    "NetworkPrinter",
    "PrinterURL",
    "STATUS_TIMEOUT",
    "check_device_path",
    "open_printer",
    "parse_printer_url",
    "print_job",
    "printer_status",
]

DEFAULT_TIMEOUT = 10.0  # seconds, whole network job / status probe
STATUS_TIMEOUT = 0.5  # seconds to wait for a DLE EOT answer before assuming "not reported"
ERROR_KINDS = frozenset({"offline", "timeout", "paper_out", "error"})

DLE_EOT = b"\x10\x04"
# DLE EOT 1 (printer status): bit 3 set = offline.
_ST_OFFLINE = 0x08
# DLE EOT 4 (roll paper sensor): bits 5,6 = paper end; bits 2,3 = near end.
_PAPER_END = 0x60
_PAPER_NEAR_END = 0x0C


class PrinterConfigError(ValueError):
    """The printer URL is invalid, or its transport cannot be used here."""


class PrinterError(Exception):
    """A print job failed.  ``kind`` is one of :data:`ERROR_KINDS`."""

    def __init__(self, kind: str, message: str, *, sent: bool = False) -> None:
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown PrinterError kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        #: True once any job byte had been handed to the transport: it may print.
        self.sent = sent

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclass(frozen=True)
class PrinterURL:
    """A split printer URL; ``query`` holds single-valued parameters."""

    url: str
    scheme: str
    netloc: str
    path: str
    query: dict[str, str] = field(default_factory=dict)

    def fail(self, what: str) -> PrinterConfigError:
        return PrinterConfigError(f"invalid printer URL {self.url!r}: {what}")

    def check_params(self, allowed: tuple[str, ...]) -> None:
        unknown = sorted(set(self.query) - set(allowed))
        if unknown:
            hint = f"allowed: {', '.join(allowed)}" if allowed else "this scheme takes none"
            raise self.fail(f"unknown parameter(s) {', '.join(unknown)} ({hint})")

    def number(self, name: str, default: float | int, conv: Callable[[str], Any] = float, minimum: float = 0) -> Any:
        raw = self.query.get(name)
        if raw is None:
            return default
        try:
            value = conv(raw)
        except ValueError:
            raise self.fail(f"parameter {name}={raw!r} is not a number") from None
        if value <= minimum:
            raise self.fail(f"parameter {name}={raw!r} must be greater than {minimum}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self.query.get(name)
        if raw is None:
            return default
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise self.fail(f"parameter {name}={raw!r} must be 0 or 1")


#: scheme -> factory(url, profile, timeout) returning a printer object (or None).
Factory = Callable[[PrinterURL, PaperProfile, float], "Escpos | None"]
_BUILTIN: dict[str, Factory] = {}  # filled below, with the drivers
#: the schemes of this module (read-only); a core's :class:`Drivers` adds the plugins' to a copy
BUILTIN_DRIVERS: Mapping[str, Factory] = MappingProxyType(_BUILTIN)

log = logging.getLogger(__name__)


class Drivers(dict):
    """One core's printer drivers: scheme -> factory(url, profile, timeout). Starts with the built-in schemes;
    :meth:`register` adds a plugin's (``register_printer_drivers``). Never shared between cores."""

    def __init__(self) -> None:
        super().__init__(_BUILTIN)

    def register(self, scheme, factory) -> bool:
        """Add ``scheme``; a factory may take ``(url, profile)`` as the hook spec says, or ``(url, profile,
        timeout)`` like the built-in drivers. A bad entry is logged and ignored (returns False)."""
        if not isinstance(scheme, str) or not scheme.isalnum() or not callable(factory):
            log.error("printer driver %r ignored: needs an alphanumeric scheme and a callable", scheme)
            return False
        self[scheme.lower()] = _three_args(factory)
        return True

    def install(self, results) -> None:
        """Register the results of ``register_printer_drivers`` (one dict per plugin)."""
        for result in results:
            if not isinstance(result, dict):
                log.error("register_printer_drivers must return a dict, got %r", type(result).__name__)
                continue
            for scheme, factory in result.items():
                self.register(scheme, factory)


def _three_args(factory):
    try:
        params = inspect.signature(factory).parameters.values()
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        takes_var = any(p.kind == p.VAR_POSITIONAL for p in params)
    except (TypeError, ValueError):
        return factory
    if takes_var or len(positional) >= 3:
        return factory
    return lambda url, profile, timeout: factory(url, profile)


def parse_printer_url(url: str, drivers: Mapping[str, Factory] | None = None) -> PrinterURL:
    """Split and sanity-check a printer URL (scheme must be in ``drivers``, default :data:`BUILTIN_DRIVERS`)."""
    drivers = BUILTIN_DRIVERS if drivers is None else drivers
    if not isinstance(url, str) or not url.strip():
        raise PrinterConfigError(f"invalid printer URL {url!r}: it is empty; use 'none' to disable printing")
    text = url.strip()
    if text.lower() == "none":
        return PrinterURL(url=url, scheme="none", netloc="", path="")
    if "://" not in text:
        raise PrinterConfigError(
            f"invalid printer URL {url!r}: expected SCHEME://..., e.g. tcp://192.168.1.50:9100"
            f" (known schemes: {_known(drivers)})"
        )
    parts = urllib.parse.urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in drivers:
        raise PrinterConfigError(
            f"invalid printer URL {url!r}: unknown scheme {parts.scheme!r} (known schemes: {_known(drivers)})"
        )
    if parts.fragment:
        raise PrinterConfigError(f"invalid printer URL {url!r}: a '#' fragment is not allowed")
    query: dict[str, str] = {}
    for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        if key in query:
            raise PrinterConfigError(f"invalid printer URL {url!r}: parameter {key!r} given twice")
        query[key] = value
    return PrinterURL(url=url, scheme=scheme, netloc=parts.netloc, path=parts.path, query=query)


def _known(drivers: Mapping[str, Factory]) -> str:
    return ", ".join(sorted([*drivers, "none"]))


#: schemes whose path is a file the driver opens for writing (python-escpos' File opens with "wb": truncates)
DEVICE_SCHEMES = ("file", "serial")


def check_device_path(spec: PrinterURL, files: tuple[str, ...] = (), *, opening: bool = False) -> None:
    """A printer URL must never become a way to write files: ``file://`` and ``serial://`` paths must be a
    character device (``/dev/usb/lp0``, ``/dev/ttyUSB0``) or one of ``files`` (the server admin's allow-list,
    setting ``printer_files``). A device that is not there (printer unplugged) may be saved when it is under
    ``/dev/``; opening it then fails as ``offline`` instead of creating a file."""
    path = spec.path
    if not path or path == "/":
        return  # the driver says what is missing
    real = os.path.realpath(path)
    if real in {os.path.realpath(f) for f in files if f}:
        return
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        if not real.startswith("/dev/"):
            raise spec.fail(
                f"{path} is not a printer device (expected a character device such as /dev/usb/lp0; "
                "other paths only when listed in the setting printer_files)"
            ) from None
        if opening:
            raise PrinterError("offline", f"device {path} is not present (printer unplugged or off?)") from None
        return
    except OSError as exc:
        raise spec.fail(f"cannot check {path}: {exc.strerror}") from None
    if not stat.S_ISCHR(mode):
        raise spec.fail(
            f"{path} is not a character device: a printer URL may not write to files "
            "(list the path in the setting printer_files if this is really a printer)"
        )


def open_printer(
    url: str,
    profile: PaperProfile,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    files: tuple[str, ...] = (),
    opening: bool = False,
    drivers: Mapping[str, Factory] | None = None,
) -> Escpos | None:
    """Build a python-escpos printer for ``url``; nothing is connected until first use.

    Returns ``None`` for ``none`` (printing disabled). ``files``: paths a ``file://``/``serial://`` URL may
    name besides character devices (see :func:`check_device_path`); ``opening``: about to print (a missing
    device is then ``offline``); ``drivers``: the core's registry (default: the built-in schemes).
    Raises :class:`PrinterConfigError` for a bad URL or a missing driver dependency.
    """
    drivers = BUILTIN_DRIVERS if drivers is None else drivers
    spec = parse_printer_url(url, drivers)
    if spec.scheme == "none":
        return None
    if spec.scheme in DEVICE_SCHEMES:
        check_device_path(spec, files, opening=opening)
    with preserve_root_logging():
        return drivers[spec.scheme](spec, profile, timeout)


# --- drivers ------------------------------------------------------------------


def _no_extra(spec: PrinterURL, *, netloc: bool = False, path: bool = False) -> None:
    if netloc and spec.netloc:
        raise spec.fail(f"unexpected host part {spec.netloc!r}")
    if path and spec.path not in ("", "/"):
        raise spec.fail(f"unexpected path {spec.path!r}")


def _tcp_address(spec: PrinterURL) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(spec.url.strip())
    if parts.username or parts.password:
        raise spec.fail("user name or password is not allowed")
    host = parts.hostname
    if not host:
        raise spec.fail("missing host, expected tcp://HOST:9100")
    try:
        port = parts.port
    except ValueError:
        raise spec.fail(f"port in {spec.netloc!r} is not a number between 0 and 65535") from None
    if port == 0:
        raise spec.fail("port 0 is not a usable port")
    _no_extra(spec, path=True)
    return host, port or 9100


class NetworkPrinter(Network):
    """python-escpos ``Network`` plus the ``waiteof`` job setting (see module docs)."""

    def __init__(
        self,
        *,
        host: str,
        port: int = 9100,
        timeout: float = DEFAULT_TIMEOUT,
        waiteof: bool = True,
        papercheck: bool = True,
    ) -> None:
        super().__init__(host=host, port=port, timeout=timeout)
        self.waiteof = waiteof
        self.papercheck = papercheck


_TCP_PARAMS = ("timeout", "waiteof", "papercheck")


def _tcp(spec: PrinterURL, profile: PaperProfile, timeout: float) -> Escpos:
    spec.check_params(_TCP_PARAMS)
    host, port = _tcp_address(spec)
    timeout = spec.number("timeout", timeout)
    return NetworkPrinter(
        host=host,
        port=port,
        timeout=timeout,
        waiteof=spec.flag("waiteof", True),
        papercheck=spec.flag("papercheck", True),
    )


def _hex_id(spec: PrinterURL, text: str, what: str) -> int:
    if not 1 <= len(text) <= 4:
        raise spec.fail(f"{what} {text!r} must be 1-4 hex digits (e.g. 0416)")
    try:
        return int(text, 16)
    except ValueError:
        raise spec.fail(f"{what} {text!r} is not hexadecimal") from None


def _usb(spec: PrinterURL, profile: PaperProfile, timeout: float) -> Escpos:
    spec.check_params(("in_ep", "out_ep"))
    vendor, sep, product = spec.netloc.partition(":")
    if not sep or not vendor or not product:
        raise spec.fail("expected usb://VENDOR:PRODUCT with hex ids, e.g. usb://0416:5011")
    _no_extra(spec, path=True)
    kwargs: dict[str, Any] = {
        "idVendor": _hex_id(spec, vendor, "vendor id"),
        "idProduct": _hex_id(spec, product, "product id"),
        "timeout": int(timeout * 1000),  # pyusb counts milliseconds
    }
    for name in ("in_ep", "out_ep"):
        if name in spec.query:
            kwargs[name] = spec.number(name, 0, conv=lambda s: int(s, 0))
    if not Usb.is_usable():
        raise spec.fail("USB printing needs the 'pyusb' package (pip install pyusb) and libusb")
    return Usb(**kwargs)  # by keyword: python-escpos 3.1 positional order is error-prone


_PARITIES = ("N", "E", "O", "M", "S")
_STOPBITS = {"1": 1, "1.5": 1.5, "2": 2}


def _serial(spec: PrinterURL, profile: PaperProfile, timeout: float) -> Escpos:
    spec.check_params(("baudrate", "bytesize", "parity", "stopbits"))
    _no_extra(spec, netloc=True)
    if not spec.path or spec.path == "/":
        raise spec.fail("missing device path, expected serial:///dev/ttyUSB0?baudrate=9600")
    kwargs: dict[str, Any] = {
        "devfile": spec.path,
        "baudrate": spec.number("baudrate", 9600, conv=int),
        "bytesize": spec.number("bytesize", 8, conv=int),
        "timeout": timeout,
    }
    if kwargs["bytesize"] not in (5, 6, 7, 8):
        raise spec.fail(f"bytesize must be 5, 6, 7 or 8, not {kwargs['bytesize']}")
    if "parity" in spec.query:
        parity = spec.query["parity"].upper()
        if parity not in _PARITIES:
            raise spec.fail(f"parity must be one of N, E, O, M, S, not {spec.query['parity']!r}")
        kwargs["parity"] = parity
    if "stopbits" in spec.query:
        if spec.query["stopbits"] not in _STOPBITS:
            raise spec.fail(f"stopbits must be 1, 1.5 or 2, not {spec.query['stopbits']!r}")
        kwargs["stopbits"] = _STOPBITS[spec.query["stopbits"]]
    if not Serial.is_usable():
        raise spec.fail("serial printing needs the 'pyserial' package (pip install pyserial)")
    return Serial(**kwargs)


def _file(spec: PrinterURL, profile: PaperProfile, timeout: float) -> Escpos:
    spec.check_params(())
    _no_extra(spec, netloc=True)
    if not spec.path or spec.path == "/":
        raise spec.fail("missing device path, expected file:///dev/usb/lp0")
    return File(devfile=spec.path)


def _cups(spec: PrinterURL, profile: PaperProfile, timeout: float) -> Escpos:
    spec.check_params(())
    queue = urllib.parse.unquote(spec.netloc)
    if not queue:
        raise spec.fail("missing queue name, expected cups://QUEUE")
    _no_extra(spec, path=True)
    if not CupsPrinter.is_usable():
        raise spec.fail("CUPS printing needs the 'pycups' package (pip install pycups) and libcups")
    return CupsPrinter(printer_name=queue)


def _dummy(spec: PrinterURL, profile: PaperProfile, timeout: float) -> Escpos:
    spec.check_params(())
    _no_extra(spec, netloc=True, path=True)
    return Dummy()


_BUILTIN.update(
    {
        "tcp": _tcp,
        "usb": _usb,
        "serial": _serial,
        "file": _file,
        "cups": _cups,
        "dummy": _dummy,
    }
)


# --- print jobs ---------------------------------------------------------------


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self, cap: float | None = None) -> float:
        left = max(0.001, self.end - time.monotonic())
        return min(left, cap) if cap is not None else left


def print_job(
    url: str,
    profile: PaperProfile,
    render_fn: Callable[[Escpos], None],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    files: tuple[str, ...] = (),
    drivers: Mapping[str, Factory] | None = None,
) -> None:
    """Open the printer, ``render_fn(printer)``, finish the job, close (always).

    USB, serial, device-file and CUPS printers block in C (a full USB buffer, a stalled
    serial line): under gevent their whole job runs in a real OS thread (``offload``) so the
    server's other greenlets (boards, kiosks) keep running; network printers use sockets,
    which gevent makes cooperative.
    """
    if parse_printer_url(url, drivers).scheme in ("usb", "serial", "file", "cups"):
        return offload(_print_job, url, profile, render_fn, timeout=timeout, files=files, drivers=drivers)
    return _print_job(url, profile, render_fn, timeout=timeout, files=files, drivers=drivers)


def _print_job(
    url: str,
    profile: PaperProfile,
    render_fn: Callable[[Escpos], None],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    files: tuple[str, ...] = (),
    drivers: Mapping[str, Factory] | None = None,
) -> None:
    """:func:`print_job`'s body.

    Synchronous; no side effects besides printer I/O.  ``none`` does nothing.
    Raises :class:`PrinterConfigError` for a bad URL, :class:`PrinterError`
    (kind offline / timeout / paper_out / error) when the job fails.  Exceptions
    raised by ``render_fn`` that are not I/O errors propagate unchanged.
    """
    printer = open_printer(url, profile, timeout=timeout, files=files, opening=True, drivers=drivers)
    if printer is None:
        return
    if isinstance(printer, Network):
        timeout = printer.timeout  # ?timeout= in the URL wins
    deadline = _Deadline(timeout)
    stage = "connect"
    ok = False
    try:
        with preserve_root_logging():
            if isinstance(printer, Network):
                _open_network(printer, deadline)
                stage = "status"
                _preflight_paper(printer, deadline)
            else:
                printer.open()
            stage = "send"
            _count_writes(printer)
            render_fn(printer)
            if isinstance(printer, Network):
                stage = "finish"
                _finish_network(printer, deadline)
            else:
                stage = "finish"
                printer.close()  # CUPS submits the job here
            ok = True
    except PrinterError:
        raise
    except (OSError, escpos_exceptions.DeviceNotFoundError) as exc:
        raise _classify(exc, url, stage, deadline, _wrote(printer)) from exc
    except Exception as exc:
        if stage == "send":
            raise  # a rendering bug, not a printer failure
        # e.g. RuntimeError from a missing driver dependency, cups.IPPError
        raise _classify(exc, url, stage, deadline, _wrote(printer)) from exc
    finally:
        if not ok:
            _abandon(printer)


def _count_writes(printer: Escpos) -> None:
    """Note on the printer object when the first job byte is handed to its transport.

    Every python-escpos driver writes through ``_raw``; from that call on, the
    bytes may be in the printer's buffer (a partial write, a send that timed
    out because the printer stopped reading, a connection reset after the data
    left) and the job may print: see :attr:`PrinterError.sent`.
    """
    raw = printer._raw

    def counting_raw(msg):
        printer.antrean_wrote = True  # before the write: a failing write may still have delivered bytes
        return raw(msg)

    printer.antrean_wrote = False
    printer._raw = counting_raw


def _wrote(printer: Escpos) -> bool:
    return bool(getattr(printer, "antrean_wrote", False))


def _open_network(printer: Network, deadline: _Deadline) -> None:
    # Resolve first with a bounded wait: socket.connect() resolves host names
    # with no timeout at all.
    printer.host = _resolve(printer.host, printer.port, deadline.left())
    printer.timeout = deadline.left()
    printer.open()
    printer.device.settimeout(deadline.left())


def _preflight_paper(printer: Network, deadline: _Deadline) -> None:
    sock: socket.socket = printer.device
    if not getattr(printer, "papercheck", True):
        return
    answer = _query(sock, b"\x04", deadline.left(STATUS_TIMEOUT))
    if answer is not None and answer & _PAPER_END == _PAPER_END:
        raise PrinterError("paper_out", f"printer at {_where(printer)} reports paper end; nothing was sent")
    sock.settimeout(deadline.left())


def _finish_network(printer: Network, deadline: _Deadline) -> None:
    sock: socket.socket = printer.device
    sock.settimeout(deadline.left())
    if not getattr(printer, "waiteof", True):
        sock.shutdown(socket.SHUT_WR)
        _drain(sock)  # closing with unread input sends RST, which can make the printer drop data
        printer.close()
        return
    sock.shutdown(socket.SHUT_WR)
    while True:
        sock.settimeout(deadline.left())
        try:
            chunk = sock.recv(256)  # back-channel (e.g. status bytes); discard
        except TimeoutError:
            raise PrinterError(
                "timeout",
                f"printer at {_where(printer)} took the data but did not finish the job within "
                f"{deadline.seconds:g} s (firmware hung? add ?waiteof=0 if this printer never "
                "closes the connection)",
                sent=True,
            ) from None
        if not chunk:
            break
    printer.close()


def _drain(sock: socket.socket) -> None:
    """Read whatever input is already waiting, without blocking."""
    sock.setblocking(False)
    try:
        while sock.recv(256):
            pass
    except OSError:
        pass


def _abandon(printer: Escpos) -> None:
    """Close after a failure without submitting anything half-rendered."""
    if getattr(printer, "pending_job", False):
        printer.pending_job = False  # CupsPrinter.close() would print the partial job
    try:
        with preserve_root_logging():
            printer.close()
    except Exception:  # noqa: BLE001 - closing a broken connection must not mask the real error
        pass


def _where(printer: Escpos) -> str:
    if isinstance(printer, Network):
        return f"{printer.host}:{printer.port}"
    return str(getattr(printer, "devfile", "") or getattr(printer, "printer_name", "") or type(printer).__name__)


_OFFLINE_ERRNOS = {
    errno.ECONNREFUSED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EHOSTDOWN,
    errno.ENETDOWN,
    errno.ENOENT,
    errno.ENODEV,
    errno.ENXIO,
    errno.EADDRNOTAVAIL,
}
_TIMEOUT_ERRNOS = {errno.ETIMEDOUT}
_DROPPED_ERRNOS = {errno.EPIPE, errno.ECONNRESET, errno.ECONNABORTED}


def _classify(exc: BaseException, url: str, stage: str, deadline: _Deadline, wrote: bool = False) -> PrinterError:
    """Map a transport exception to a PrinterError kind; ``sent`` once any job byte was written."""
    sent = wrote or stage == "finish"
    # python-escpos wraps connect/open failures in DeviceNotFoundError; the
    # OSError that caused it is the implicit context.
    root: BaseException = exc
    while isinstance(root, escpos_exceptions.Error) and root.__context__ is not None:
        root = root.__context__
    where = f"printer {url!r}"
    during = {
        "connect": "connecting",
        "status": "asking for status",
        "send": "sending the job",
        "finish": "finishing the job",
    }[stage]
    if isinstance(root, TimeoutError) or (isinstance(root, OSError) and root.errno in _TIMEOUT_ERRNOS):
        return PrinterError("timeout", f"{where}: no response within {deadline.seconds:g} s while {during}", sent=sent)
    if isinstance(root, socket.gaierror):
        return PrinterError("offline", f"{where}: cannot resolve host name ({root})")
    if isinstance(root, ConnectionRefusedError) or (isinstance(root, OSError) and root.errno in _OFFLINE_ERRNOS):
        reason = root.strerror or str(root)
        return PrinterError("offline", f"{where}: {reason} while {during} (printer off or not connected?)", sent=sent)
    if isinstance(root, OSError) and root.errno in _DROPPED_ERRNOS:
        return PrinterError("offline", f"{where}: connection dropped while {during} ({root.strerror})", sent=sent)
    if isinstance(root, escpos_exceptions.DeviceNotFoundError):
        return PrinterError("offline", f"{where}: {root}", sent=sent)
    return PrinterError("error", f"{where}: {type(root).__name__}: {root} while {during}", sent=sent)


# --- status -------------------------------------------------------------------


def _resolve(host: str, port: int, timeout: float) -> str:
    """Resolve ``host`` to an address within ``timeout`` (raises socket.gaierror / TimeoutError)."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["addr"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][0]
        except OSError as exc:
            result["error"] = exc

    worker = threading.Thread(target=work, name=f"resolve {host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if "error" in result:
        raise result["error"]
    if "addr" not in result:
        raise TimeoutError(f"resolving {host} took longer than {timeout:g} s")
    return result["addr"]


def _query(sock: socket.socket, n: bytes, timeout: float) -> int | None:
    """Send DLE EOT n and return the status byte, or None if the printer stays silent."""
    sock.settimeout(timeout)
    sock.sendall(DLE_EOT + n)
    try:
        data = sock.recv(1)
    except TimeoutError:
        return None
    return data[0] if data else None


def printer_status(url: str, *, timeout: float = 2.0, drivers: Mapping[str, Factory] | None = None) -> dict[str, str]:
    """Probe a printer; returns ``{"state": ..., "detail": ...}`` and never blocks beyond ``timeout``.

    ``state`` is one of online / offline / error / paper_out / unknown.
    For ``tcp://``: connect, then ``DLE EOT 1`` (printer status) and
    ``DLE EOT 4`` (paper sensor).  If the connection succeeds but the printer
    answers nothing, the state is ``online`` with detail "status not reported":
    plenty of network printers ignore real-time status requests, and one that
    accepts a connection is at least powered and reachable.
    Other transports do not support live status; they report ``unknown``
    (``dummy://`` reports online).
    """
    try:
        spec = parse_printer_url(url, drivers)
    except PrinterConfigError as exc:
        return {"state": "error", "detail": str(exc)}
    if spec.scheme == "none":
        return {"state": "unknown", "detail": "printing is disabled (printer URL 'none')"}
    if spec.scheme == "dummy":
        return {"state": "online", "detail": "dummy printer (output is discarded)"}
    if spec.scheme != "tcp":
        return {"state": "unknown", "detail": f"live status is not supported for {spec.scheme}:// printers"}
    try:
        spec.check_params(_TCP_PARAMS)
        host, port = _tcp_address(spec)
    except PrinterConfigError as exc:
        return {"state": "error", "detail": str(exc)}
    return _tcp_status(host, port, _Deadline(timeout))


def _tcp_status(host: str, port: int, deadline: _Deadline) -> dict[str, str]:
    where = f"{host}:{port}"
    try:
        address = _resolve(host, port, deadline.left())
        sock = socket.create_connection((address, port), timeout=deadline.left())
    except TimeoutError:
        return {"state": "offline", "detail": f"{where}: no answer within {deadline.seconds:g} s"}
    except socket.gaierror as exc:
        return {"state": "offline", "detail": f"{where}: cannot resolve host name ({exc})"}
    except OSError as exc:
        return {"state": "offline", "detail": f"{where}: {exc.strerror or exc}"}
    try:
        online = _query(sock, b"\x01", deadline.left(STATUS_TIMEOUT))
        if online is None:
            return {"state": "online", "detail": f"{where}: connected; status not reported"}
        if online & _ST_OFFLINE:
            return {"state": "offline", "detail": f"{where}: printer reports offline (cover open, paper out or error)"}
        paper = _query(sock, b"\x04", deadline.left(STATUS_TIMEOUT))
        if paper is not None and paper & _PAPER_END == _PAPER_END:
            return {"state": "paper_out", "detail": f"{where}: paper end"}
        if paper is not None and paper & _PAPER_NEAR_END == _PAPER_NEAR_END:
            return {"state": "online", "detail": f"{where}: ready; paper near end"}
        return {"state": "online", "detail": f"{where}: ready"}
    except OSError as exc:
        return {"state": "error", "detail": f"{where}: connection failed during status query ({exc})"}
    finally:
        try:
            sock.close()
        except OSError:
            pass
