"""Printer URLs, print jobs against a fake TCP printer, and status probes."""

from __future__ import annotations

import time

import pytest

from hardware import printers
from hardware._escpos import Dummy, File, Network
from hardware.printers import (
    BUILTIN_DRIVERS,
    Drivers,
    NetworkPrinter,
    PrinterConfigError,
    PrinterError,
    open_printer,
    print_job,
    printer_status,
)
from hardware.ticket import PAPER_58, PAPER_80, render_ticket
from tests.support.fake_printer import FakeNetworkPrinter, decode_escpos
from tests.unit.test_ticket_layout import STATUS_URL, make_ticket

# Generous margin over a configured timeout for slow CI machines; the point
# is "bounded by the timeout", not "hangs for the OS default (minutes)".
SLACK = 1.0


@pytest.fixture
def fake_printer():
    with FakeNetworkPrinter() as fake:
        yield fake


def ticket_job(profile=PAPER_80):
    return lambda printer: render_ticket(printer, make_ticket(), profile)


class Recorder:
    """Stands in for a driver class whose library is not installed here."""

    usable = True

    def __init__(self, **kwargs):
        self.kwargs = kwargs

    @classmethod
    def is_usable(cls):
        return cls.usable


# --- URL parsing ------------------------------------------------------------


def test_tcp_url():
    printer = open_printer("tcp://192.168.1.50:9100", PAPER_80, timeout=3)
    assert isinstance(printer, NetworkPrinter) and isinstance(printer, Network)
    assert (printer.host, printer.port, printer.timeout, printer.waiteof) == ("192.168.1.50", 9100, 3, True)
    assert printer._device is False, "must not connect before the first job"


def test_tcp_url_defaults_and_options():
    printer = open_printer("TCP://printer.kantor.local?timeout=2.5&waiteof=0", PAPER_58)
    assert (printer.host, printer.port, printer.timeout, printer.waiteof) == ("printer.kantor.local", 9100, 2.5, False)
    v6 = open_printer("tcp://[fd00::5]:9101", PAPER_58)
    assert (v6.host, v6.port) == ("fd00::5", 9101)


def test_usb_url_passes_ids_by_keyword(monkeypatch):
    monkeypatch.setattr(printers, "Usb", Recorder)
    printer = open_printer("usb://0416:5011?out_ep=0x03", PAPER_58, timeout=2)
    assert printer.kwargs == {"idVendor": 0x0416, "idProduct": 0x5011, "timeout": 2000, "out_ep": 3}


def test_serial_url(monkeypatch):
    monkeypatch.setattr(printers, "Serial", Recorder)
    printer = open_printer("serial:///dev/ttyUSB0?baudrate=19200&parity=e", PAPER_58, timeout=4)
    assert printer.kwargs == {"devfile": "/dev/ttyUSB0", "baudrate": 19200, "bytesize": 8, "timeout": 4, "parity": "E"}
    default = open_printer("serial:///dev/ttyS0", PAPER_58)
    assert default.kwargs["baudrate"] == 9600


def test_file_url():
    printer = open_printer("file:///dev/usb/lp0", PAPER_58)
    assert isinstance(printer, File) and printer.devfile == "/dev/usb/lp0"


def test_cups_url(monkeypatch):
    monkeypatch.setattr(printers, "CupsPrinter", Recorder)
    assert open_printer("cups://Tiket_Loket%201", PAPER_80).kwargs == {"printer_name": "Tiket_Loket 1"}


def test_dummy_and_none():
    assert isinstance(open_printer("dummy://", PAPER_58), Dummy)
    assert open_printer("none", PAPER_58) is None
    assert open_printer(" NONE ", PAPER_58) is None


@pytest.mark.parametrize(
    ("scheme", "cls", "package"),
    [
        ("usb://0416:5011", "Usb", "pyusb"),
        ("serial:///dev/ttyUSB0", "Serial", "pyserial"),
        ("cups://tiket", "CupsPrinter", "pycups"),
    ],
)
def test_missing_driver_dependency_is_a_clear_config_error(monkeypatch, scheme, cls, package):
    class Missing(Recorder):
        usable = False

    monkeypatch.setattr(printers, cls, Missing)
    with pytest.raises(PrinterConfigError, match=f"needs the '{package}' package") as info:
        open_printer(scheme, PAPER_58)
    assert repr(scheme) in str(info.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "it is empty; use 'none'"),
        ("192.168.1.50:9100", "expected SCHEME://"),
        ("lpt://1", "unknown scheme 'lpt'"),
        ("tcp://", "missing host"),
        ("tcp://:9100", "missing host"),
        ("tcp://10.0.0.1:99999", "not a number between 0 and 65535"),
        ("tcp://10.0.0.1:abc", "not a number between 0 and 65535"),
        ("tcp://10.0.0.1:0", "port 0"),
        ("tcp://10.0.0.1:9100/queue", "unexpected path '/queue'"),
        ("tcp://user:pw@10.0.0.1", "user name or password"),
        ("tcp://10.0.0.1?colour=red", "unknown parameter(s) colour (allowed: timeout, waiteof, papercheck)"),
        ("tcp://10.0.0.1?timeout=-1", "timeout='-1' must be greater than 0"),
        ("tcp://10.0.0.1?timeout=soon", "timeout='soon' is not a number"),
        ("tcp://10.0.0.1?waiteof=maybe", "waiteof='maybe' must be 0 or 1"),
        ("tcp://10.0.0.1?timeout=1&timeout=2", "given twice"),
        ("tcp://10.0.0.1#x", "fragment"),
        ("usb://0416", "expected usb://VENDOR:PRODUCT"),
        ("usb://04g6:5011", "vendor id '04g6' is not hexadecimal"),
        ("usb://0416:12345", "product id '12345' must be 1-4 hex digits"),
        ("usb://0416:5011/x", "unexpected path"),
        ("serial://", "missing device path"),
        ("serial://host/dev/ttyUSB0", "unexpected host part 'host'"),
        ("serial:///dev/ttyUSB0?baudrate=fast", "baudrate='fast' is not a number"),
        ("serial:///dev/ttyUSB0?parity=X", "parity must be one of"),
        ("serial:///dev/ttyUSB0?speed=9600", "unknown parameter(s) speed"),
        ("file://", "missing device path"),
        ("file://lp0", "unexpected host part 'lp0'"),
        ("cups://", "missing queue name"),
        ("dummy://x", "unexpected host part 'x'"),
        ("dummy://?a=1", "this scheme takes none"),
    ],
)
def test_bad_urls(url, message):
    with pytest.raises(PrinterConfigError) as info:
        open_printer(url, PAPER_58)
    text = str(info.value)
    assert message in text
    assert repr(url) in text


def test_other_plugins_can_register_schemes():
    made = []

    def factory(spec, profile, timeout):
        made.append((spec.netloc, spec.query, profile, timeout))
        return Dummy()

    drivers = Drivers()
    assert drivers.register("bluetooth", factory) and drivers.register("Pair", lambda spec, profile: Dummy())
    assert not drivers.register("blue-tooth", factory) and not drivers.register("x", "not callable")
    assert isinstance(open_printer("bluetooth://AA:BB?ch=1", PAPER_58, timeout=7, drivers=drivers), Dummy)
    assert made == [("AA:BB", {"ch": "1"}, PAPER_58, 7)]
    assert isinstance(open_printer("pair://x", PAPER_58, drivers=drivers), Dummy)  # the two-argument form
    assert "bluetooth" not in BUILTIN_DRIVERS and "bluetooth" not in Drivers()  # one registry per core
    with pytest.raises(TypeError):
        BUILTIN_DRIVERS["bluetooth"] = factory  # read-only


# --- print jobs ---------------------------------------------------------------


def test_print_job_to_network_printer(fake_printer):
    print_job(fake_printer.url, PAPER_80, ticket_job(), timeout=5)
    [job] = fake_printer.wait_for_jobs(1, timeout=5)
    decoded = decode_escpos(job)
    number = [line for line in decoded.lines if line.text == "A023"]
    assert number and number[0].width == 8
    assert decoded.qr_payloads == [STATUS_URL]
    assert decoded.cut
    assert decoded.status_queries == [4], "one paper check before the job"


def test_print_job_one_connection_per_job(fake_printer):
    for _ in range(3):
        print_job(fake_printer.url, PAPER_58, ticket_job(PAPER_58), timeout=5)
    jobs = fake_printer.wait_for_jobs(3, timeout=5)
    assert len(jobs) == 3
    assert fake_printer.connections == 3
    assert len({job for job in jobs}) == 1


def test_refusing_printer_is_offline(fake_printer):
    fake_printer.set_mode("refuse")
    started = time.monotonic()
    with pytest.raises(PrinterError) as info:
        print_job(fake_printer.url, PAPER_58, ticket_job(), timeout=5)
    assert info.value.kind == "offline"
    assert info.value.sent is False
    assert "Connection refused" in info.value.message
    assert fake_printer.url in info.value.message
    assert time.monotonic() - started < 5


def test_hanging_printer_times_out_within_the_timeout(fake_printer):
    fake_printer.set_mode("hang")
    timeout = 0.6
    started = time.monotonic()
    with pytest.raises(PrinterError) as info:
        print_job(fake_printer.url, PAPER_58, ticket_job(), timeout=timeout)
    elapsed = time.monotonic() - started
    assert info.value.kind == "timeout"
    assert info.value.sent is True, "bytes were handed over; a spooler must treat it as 'maybe printed'"
    assert elapsed < timeout + SLACK


def test_timeout_in_url_wins(fake_printer):
    fake_printer.set_mode("hang")
    started = time.monotonic()
    with pytest.raises(PrinterError) as info:
        print_job(fake_printer.url + "?timeout=0.3", PAPER_58, ticket_job(), timeout=30)
    assert info.value.kind == "timeout"
    assert time.monotonic() - started < 0.3 + SLACK


def test_waiteof_off_does_not_wait_for_the_printer(fake_printer):
    fake_printer.set_mode("hang")
    print_job(fake_printer.url + "?waiteof=0", PAPER_58, ticket_job(), timeout=0.6)  # no error: not detected


def test_papercheck_off_sends_no_status_query(fake_printer):
    fake_printer.paper = "out"  # not asked, so not noticed
    print_job(fake_printer.url + "?papercheck=0&waiteof=1", PAPER_58, ticket_job(PAPER_58), timeout=5)
    [job] = fake_printer.wait_for_jobs(1, timeout=5)
    assert decode_escpos(job).status_queries == []


def test_printer_off_then_back_on(fake_printer):
    fake_printer.set_mode("refuse")
    with pytest.raises(PrinterError) as info:
        print_job(fake_printer.url, PAPER_58, ticket_job(PAPER_58), timeout=5)
    assert info.value.kind == "offline"
    fake_printer.set_mode("normal")
    print_job(fake_printer.url, PAPER_58, ticket_job(PAPER_58), timeout=5)
    [job] = fake_printer.wait_for_jobs(1, timeout=5)
    assert decode_escpos(job).qr_payloads == [STATUS_URL]


def test_paper_out_fails_before_sending(fake_printer):
    fake_printer.paper = "out"
    with pytest.raises(PrinterError) as info:
        print_job(fake_printer.url, PAPER_58, ticket_job(PAPER_58), timeout=5)
    assert (info.value.kind, info.value.sent) == ("paper_out", False)
    fake_printer.paper = "ok"
    print_job(fake_printer.url, PAPER_58, ticket_job(PAPER_58), timeout=5)
    # The fake serves connections in order, so the refused job is already accounted for.
    assert len(fake_printer.wait_for_jobs(1, timeout=5)) == 1


def test_render_errors_propagate_and_the_connection_is_closed(fake_printer):
    def broken(printer):
        printer.text("half a ticket\n")
        raise KeyError("bug in layout")

    with pytest.raises(KeyError):
        print_job(fake_printer.url, PAPER_58, broken, timeout=5)
    print_job(fake_printer.url, PAPER_58, ticket_job(PAPER_58), timeout=5)
    jobs = fake_printer.wait_for_jobs(2, timeout=5)
    assert decode_escpos(jobs[0]).text_lines == ["half a ticket"]
    assert decode_escpos(jobs[1]).cut


def test_print_job_to_file_matches_dummy(tmp_path):
    target = tmp_path / "lp0"
    print_job(f"file://{target}", PAPER_58, ticket_job(PAPER_58), files=(str(target),))  # an allowed path
    dummy = Dummy()
    render_ticket(dummy, make_ticket(), PAPER_58)
    assert target.read_bytes() == dummy.output


def test_print_job_to_missing_device_file_is_offline(tmp_path):
    with pytest.raises(PrinterError) as info:
        print_job("file:///dev/usb/antrean-no-such-lp0", PAPER_58, ticket_job(PAPER_58))
    assert info.value.kind == "offline"


def test_print_job_none_does_nothing():
    called = []
    print_job("none", PAPER_58, called.append)
    assert called == []


def test_print_job_bad_url_is_config_error():
    with pytest.raises(PrinterConfigError):
        print_job("tcp://", PAPER_58, ticket_job())


# --- status -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paper", "online", "state", "detail"),
    [
        ("ok", True, "online", "ready"),
        ("near_end", True, "online", "paper near end"),
        ("out", True, "paper_out", "paper end"),
        ("ok", False, "offline", "printer reports offline"),
    ],
)
def test_status_reported_by_printer(fake_printer, paper, online, state, detail):
    fake_printer.paper = paper
    fake_printer.online = online
    status = printer_status(fake_printer.url, timeout=5)
    assert status["state"] == state
    assert detail in status["detail"]


def test_status_refused_is_offline(fake_printer):
    fake_printer.set_mode("refuse")
    status = printer_status(fake_printer.url, timeout=5)
    assert status["state"] == "offline"
    assert "refused" in status["detail"]


def test_status_silent_printer_is_online_not_reported(fake_printer):
    fake_printer.set_mode("hang")
    timeout = 0.4
    started = time.monotonic()
    status = printer_status(fake_printer.url, timeout=timeout)
    assert status == {"state": "online", "detail": f"127.0.0.1:{fake_printer.port}: connected; status not reported"}
    assert time.monotonic() - started < timeout + SLACK


def test_status_probe_is_not_a_print_job(fake_printer):
    printer_status(fake_printer.url, timeout=5)
    print_job(fake_printer.url, PAPER_58, ticket_job(PAPER_58), timeout=5)
    assert len(fake_printer.wait_for_jobs(1, timeout=5)) == 1


@pytest.mark.parametrize(
    ("url", "state", "detail"),
    [
        ("none", "unknown", "printing is disabled"),
        ("dummy://", "online", "dummy"),
        ("file:///dev/usb/lp0", "unknown", "not supported for file://"),
        ("usb://0416:5011", "unknown", "not supported for usb://"),
        ("tcp://", "error", "missing host"),
        ("ftp://x", "error", "unknown scheme"),
    ],
)
def test_status_other_urls(url, state, detail):
    status = printer_status(url)
    assert status["state"] == state
    assert detail in status["detail"]
