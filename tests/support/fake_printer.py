"""A fake network ESC/POS printer for tests, and an ESC/POS decoder.

:class:`FakeNetworkPrinter` is a real TCP server on 127.0.0.1 (random free
port) served by one background thread.  It handles one connection at a time,
like a printer's raw port 9100, and behaves like an AppSocket printer: it reads
until the client half-closes, then closes its side.  One connection that sent
printable data is one job.  Real-time status requests (``DLE EOT n``) are
answered as soon as they arrive.

Modes, switchable at any time with :meth:`FakeNetworkPrinter.set_mode`:

* ``"normal"`` - as above;
* ``"refuse"`` - the listening socket is closed, so connects are refused
  (printer switched off); switching back re-listens on the same port;
* ``"hang"``   - connections are accepted but never read nor closed (firmware
  hung); they are dropped when the mode changes or the server stops.
* ``"stall"``  - connections are accepted and their data read into the
  printer's buffer, but nothing is printed, no status is answered and the
  connection is never closed (the firmware stalled with the job buffered).
  Switching back to ``"normal"`` recovers: each buffered connection is printed
  (one job each), as a real printer prints its buffer; any other mode drops it.

Status answers follow the Epson ESC/POS reference: ``DLE EOT 1`` -> 0x12
(online) or 0x1A (offline); ``DLE EOT 4`` -> 0x12 (paper ok), 0x1E (near
end) or 0x72 (paper end); ``DLE EOT 2``/``3`` -> 0x12.  Set
:attr:`FakeNetworkPrinter.paper` / :attr:`FakeNetworkPrinter.online`.  A DLE EOT
pair inside binary data (e.g. a raster image) would also be answered, as on
many real printers; the ticket layout sends none.
"""

from __future__ import annotations

import selectors
import socket
import threading
from dataclasses import dataclass, field

__all__ = ["DecodedLine", "DecodedTicket", "FakeNetworkPrinter", "decode_escpos"]

MODES = ("normal", "refuse", "hang", "stall")


class FakeNetworkPrinter:
    def __init__(self, mode: str = "normal") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.host = "127.0.0.1"
        self.port = 0
        self.paper = "ok"  # "ok" | "near_end" | "out"
        self.online = True
        self.jobs: list[bytes] = []  # one entry per connection that sent printable data
        self.connections = 0  # accepted connections, including status probes
        self._mode = mode
        self._cond = threading.Condition()
        self._listener: socket.socket | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = False
        self._applied = True
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------

    def __enter__(self) -> FakeNetworkPrinter:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    @property
    def mode(self) -> str:
        return self._mode

    def start(self) -> None:
        # Bind once (even in "refuse" mode) to reserve a port number.
        self._listen()
        if self._mode == "refuse":
            self._close_listener()
        self._thread = threading.Thread(target=self._run, name="fake-escpos-printer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping = True
        self._wake()
        if self._thread is not None:
            self._thread.join(5)
        self._close_listener()
        self._wake_r.close()
        self._wake_w.close()

    def set_mode(self, mode: str) -> None:
        """Switch mode; returns once the server thread has applied it."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        with self._cond:
            self._mode = mode
            self._applied = False
            self._wake()
            if not self._cond.wait_for(lambda: self._applied, timeout=5):
                raise RuntimeError("fake printer thread did not apply the mode change")

    def wait_for_jobs(self, n: int, timeout: float = 5.0) -> list[bytes]:
        """Block until at least ``n`` jobs arrived; returns the jobs (AssertionError on timeout)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.jobs) >= n, timeout=timeout):
                raise AssertionError(f"expected {n} print job(s) within {timeout} s, got {len(self.jobs)}")
            return list(self.jobs)

    # -- server thread -----------------------------------------------------------

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(8)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self._listener = sock

    def _close_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _apply_mode(self, held: list[socket.socket], stalled: dict, sel: selectors.BaseSelector) -> None:
        for conn in held:
            conn.close()
        held.clear()
        for conn, data in list(stalled.items()):
            try:
                sel.unregister(conn)
            except (KeyError, ValueError):
                pass  # already unregistered: its client closed
            conn.close()
            if self._mode == "normal" and _strip_status_queries(bytes(data)):
                with self._cond:  # recovered: the buffer prints
                    self.jobs.append(bytes(data))
                    self._cond.notify_all()
        stalled.clear()
        if self._mode == "refuse":
            self._close_listener()
        elif self._listener is None:
            self._listen()
        with self._cond:
            self._applied = True
            self._cond.notify_all()

    def _run(self) -> None:
        held: list[socket.socket] = []  # connections parked by "hang"
        stalled: dict[socket.socket, bytearray] = {}  # connections buffered by "stall"
        sel = selectors.DefaultSelector()
        sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        current = None
        try:
            while not self._stopping:
                if current is not self._listener:
                    if current is not None:
                        sel.unregister(current)
                    current = self._listener
                    if current is not None:
                        sel.register(current, selectors.EVENT_READ, "accept")
                for key, _ in sel.select():
                    if key.data == "wake":
                        self._wake_r.recv(64)
                        if not self._stopping:
                            if current is not None:
                                sel.unregister(current)
                                current = None
                            self._apply_mode(held, stalled, sel)
                    elif key.data == "stalled":
                        try:
                            chunk = key.fileobj.recv(65536)
                        except (BlockingIOError, InterruptedError):
                            continue
                        except OSError:
                            chunk = b""
                        if chunk:
                            stalled[key.fileobj] += chunk
                        else:  # the client gave up and closed: the data stays in the buffer
                            sel.unregister(key.fileobj)
                    elif key.data == "accept" and self._listener is not None:
                        try:
                            conn, _ = self._listener.accept()
                        except BlockingIOError:
                            continue
                        self.connections += 1
                        if self._mode == "hang":
                            held.append(conn)
                        elif self._mode == "stall":
                            conn.setblocking(False)
                            stalled[conn] = bytearray()
                            sel.register(conn, selectors.EVENT_READ, "stalled")
                        else:
                            self._serve(conn, sel)
        finally:
            for conn in [*held, *stalled]:
                conn.close()
            sel.close()

    def _serve(self, conn: socket.socket, sel: selectors.BaseSelector) -> None:
        """Read one connection to EOF, answering DLE EOT; a mode change aborts it."""
        conn.setblocking(False)
        sel.register(conn, selectors.EVENT_READ, "conn")
        data = bytearray()
        scanned = 0
        try:
            while True:
                events = sel.select()
                if any(key.data == "wake" for key, _ in events):
                    # Mode change or stop while a job is in progress: drop it,
                    # leave the wake byte for the main loop.
                    return
                if not any(key.data == "conn" for key, _ in events):
                    continue
                try:
                    chunk = conn.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    return
                if not chunk:
                    break
                data += chunk
                scanned = self._answer_status(conn, data, scanned)
        finally:
            sel.unregister(conn)
            conn.close()
        printable = _strip_status_queries(bytes(data))
        if printable:
            with self._cond:
                self.jobs.append(bytes(data))
                self._cond.notify_all()

    def _answer_status(self, conn: socket.socket, data: bytearray, start: int) -> int:
        i = max(0, start)
        while True:
            i = data.find(b"\x10\x04", i)
            if i < 0 or i + 2 >= len(data):
                # Keep a possibly split DLE EOT n for the next chunk.
                return len(data) - 2 if i < 0 else i
            conn.setblocking(True)
            try:
                conn.sendall(bytes([self._status_byte(data[i + 2])]))
            except OSError:
                pass
            finally:
                conn.setblocking(False)
            i += 3

    def _status_byte(self, n: int) -> int:
        if n == 1:
            return 0x12 if self.online else 0x1A
        if n == 4:
            return {"ok": 0x12, "near_end": 0x1E, "out": 0x72}[self.paper]
        return 0x12


def _strip_status_queries(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        if data[i : i + 2] == b"\x10\x04" and i + 2 < len(data):
            i += 3
            continue
        out.append(data[i])
        i += 1
    return bytes(out)


# --- decoder -------------------------------------------------------------------

# ESC t n -> Python codec (the pages the ticket layout may select).
_CODEPAGES = {0: "cp437", 2: "cp850", 16: "cp1252", 19: "cp858"}
# ESC commands with a fixed number of parameter bytes.
_ESC_ARGS = {
    b"@": 0,
    b"2": 0,
    b"t": 1,
    b"!": 1,
    b"E": 1,
    b"-": 1,
    b"a": 1,
    b"M": 1,
    b"d": 1,
    b"G": 1,
    b"V": 1,
    b"{": 1,
    b"3": 1,
    b"J": 1,
    b"p": 3,
    b"c": 2,
}
_GS_ARGS = {b"!": 1, b"B": 1, b"b": 1, b"h": 1, b"w": 1, b"H": 1, b"f": 1}


@dataclass
class DecodedLine:
    text: str
    columns: int  # font-A columns used (characters x GS ! width)
    width: int  # largest GS ! width multiplier on the line
    height: int
    bold: bool
    inverted: bool
    align: str


@dataclass
class DecodedTicket:
    lines: list[DecodedLine] = field(default_factory=list)
    qr_payloads: list[str] = field(default_factory=list)
    raster_images: int = 0
    cut: bool = False
    status_queries: list[int] = field(default_factory=list)
    codepages: list[int] = field(default_factory=list)

    @property
    def text_lines(self) -> list[str]:
        return [line.text for line in self.lines]

    @property
    def text(self) -> str:
        return "\n".join(self.text_lines)


class _State:
    def __init__(self) -> None:
        self.reset()
        self.codec = "cp437"

    def reset(self) -> None:
        self.width = self.height = 1
        self.bold = self.inverted = False
        self.align = "left"


def decode_escpos(data: bytes) -> DecodedTicket:
    """Parse an ESC/POS stream into printed text lines, QR payloads and a cut flag.

    Strict: an unknown command raises ValueError, so the tests notice when the
    layout starts sending something new.
    """
    out = DecodedTicket()
    st = _State()
    buf: list[str] = []
    cols = 0
    line_meta: dict | None = None  # style of the current line, fixed by its first character

    def state() -> dict:
        return {"width": st.width, "height": st.height, "bold": st.bold, "inverted": st.inverted, "align": st.align}

    def flush() -> None:
        nonlocal buf, cols, line_meta
        out.lines.append(DecodedLine("".join(buf), cols, **(line_meta or state())))
        buf, cols, line_meta = [], 0, None

    def need(i: int, n: int) -> None:
        if i + n > len(data):
            raise ValueError(f"truncated command at byte {i}")

    i = 0
    while i < len(data):
        b = data[i]
        if b == 0x0A:
            flush()
            i += 1
        elif b == 0x0D:
            i += 1
        elif b == 0x1B:  # ESC
            need(i, 2)
            cmd = data[i + 1 : i + 2]
            if cmd not in _ESC_ARGS:
                raise ValueError(f"unknown command ESC {cmd!r} at byte {i}")
            n = _ESC_ARGS[cmd]
            need(i, 2 + n)
            arg = data[i + 2] if n else 0
            if cmd == b"@":
                st.reset()
                st.codec = "cp437"
            elif cmd == b"t":
                if arg not in _CODEPAGES:
                    raise ValueError(f"code page {arg} not supported by the decoder")
                st.codec = _CODEPAGES[arg]
                out.codepages.append(arg)
            elif cmd == b"E":
                st.bold = bool(arg & 1)
            elif cmd == b"a":
                st.align = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}[arg]
            elif cmd == b"!":
                st.bold = bool(arg & 0x08)
                st.height = 2 if arg & 0x10 else 1
                st.width = 2 if arg & 0x20 else 1
            elif cmd == b"d":  # print the buffer and feed n lines
                for _ in range(max(1, arg)):
                    flush()
            i += 2 + n
        elif b == 0x1D:  # GS
            need(i, 2)
            cmd = data[i + 1 : i + 2]
            if cmd == b"(":  # GS ( k / GS ( L: pL pH then payload
                need(i, 5)
                length = data[i + 3] | (data[i + 4] << 8)
                need(i, 5 + length)
                body = data[i + 5 : i + 5 + length]
                if data[i + 2 : i + 3] == b"k" and body[:3] == b"1P0":
                    out.qr_payloads.append(body[3:].decode("utf-8"))
                i += 5 + length
            elif cmd == b"v":  # GS v 0 m xL xH yL yH data
                need(i, 8)
                xbytes = data[i + 4] | (data[i + 5] << 8)
                rows = data[i + 6] | (data[i + 7] << 8)
                need(i, 8 + xbytes * rows)
                out.raster_images += 1
                i += 8 + xbytes * rows
            elif cmd == b"V":  # cut: GS V m, or GS V m n for m in 65/66
                need(i, 3)
                m = data[i + 2]
                out.cut = True
                i += 4 if m in (65, 66, 97, 98, 103, 104) else 3
            elif cmd in _GS_ARGS:
                need(i, 3)
                arg = data[i + 2]
                if cmd == b"!":
                    st.width = (arg >> 4) + 1
                    st.height = (arg & 0x0F) + 1
                elif cmd == b"B":
                    st.inverted = bool(arg & 1)
                i += 3
            else:
                raise ValueError(f"unknown command GS {cmd!r} at byte {i}")
        elif b == 0x10:  # DLE
            need(i, 3)
            if data[i + 1] != 0x04:
                raise ValueError(f"unknown command DLE {data[i + 1]:#x} at byte {i}")
            out.status_queries.append(data[i + 2])
            i += 3
        elif b < 0x20 or b == 0x7F:
            raise ValueError(f"unexpected control byte {b:#04x} at byte {i}")
        else:
            if line_meta is None:
                line_meta = state()
            line_meta["width"] = max(line_meta["width"], st.width)
            line_meta["height"] = max(line_meta["height"], st.height)
            buf.append(bytes([b]).decode(st.codec))
            cols += st.width
            i += 1
    if buf:
        flush()
    return out
