"""Benchmark: what the software adds to a printed ticket.

1. render   - ``render_ticket`` of a full ticket (80 mm, 6 documents, QR) into a Dummy printer;
2. send     - ``print_job`` to a TCP printer on 127.0.0.1 (the fake printer of the tests):
              connect, paper check (DLE EOT 4), render, send, half-close, wait for the
              printer to close = the whole job as the spooler runs it;
3. issue    - POST /api/v1/tickets through the Flask test client (ticket + job committed);
   spooler  - from that response to all bytes at the printer: wake-up, claim (one write
              transaction), print as in 2, mark done (one write transaction), real worker.

Usage: .venv/bin/python bench/print_job.py [--n 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hardware._escpos import Dummy  # noqa: E402
from hardware.printers import print_job  # noqa: E402
from hardware.ticket import PAPER_80, TicketPrint, render_ticket  # noqa: E402
from tests.support.fake_printer import FakeNetworkPrinter  # noqa: E402

TICKET = TicketPrint(
    office_name="Kantor Kecamatan Sukamaju",
    office_address="Jl. Merdeka No. 1, Sukamaju",
    service_name="Permohonan Perekaman e-KTP",
    number="A123",
    priority_label="Lansia",
    issued_at_local=datetime(2026, 11, 25, 9, 14),
    tz_label="WIB",
    waiting_ahead=12,
    estimated_wait_minutes=35,
    standard_minutes=15,
    documents=[
        "Fotokopi Kartu Keluarga (KK)",
        "Surat pengantar RT/RW",
        "Surat pengantar dari desa/kelurahan",
        "Fotokopi akta kelahiran atau buku nikah (bagi pemohon pemula)",
        "Pas foto 3x4 (2 lembar)",
        "Surat keterangan pindah (bila pindahan)",
    ],
    status_url="http://192.168.1.10:5000/t/5vZMPStD7ll_GNntUXXgnw",
    footer="Simpan tiket ini. Terima kasih.",
)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def report(name: str, ms: list[float]) -> None:
    print(
        f"{name:<8} n={len(ms):<4} p50 {statistics.median(ms):6.2f} ms   p99 {pct(ms, 99):6.2f} ms   "
        f"max {max(ms):6.2f} ms"
    )


def bench_render(n: int) -> list[float]:
    out = []
    for _ in range(n):
        p = Dummy()
        t = time.perf_counter()
        render_ticket(p, TICKET, PAPER_80)
        out.append((time.perf_counter() - t) * 1000)
    return out


def bench_send(n: int, fake: FakeNetworkPrinter) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        print_job(fake.url, PAPER_80, lambda p: render_ticket(p, TICKET, PAPER_80), timeout=5)
        out.append((time.perf_counter() - t) * 1000)
        fake.wait_for_jobs(i + 1)
    return out


def bench_spooler(n: int, fake: FakeNetworkPrinter) -> list[float]:
    from antrean import create_app
    from hardware.plugin import get_spooler

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "instance_path": tmp,
                "start_workers": False,
                "printer_url": fake.url,
                "calendar": False,
                "public_url": "http://192.168.1.10:5000",
            }
        )
        core = app.extensions["antrean"]
        get_spooler(core).start()
        client = app.test_client()
        base = len(fake.jobs)
        http, after = [], []
        try:
            for i in range(n):
                t = time.perf_counter()
                r = client.post("/api/v1/tickets", json={"service": "ektp"})
                t_committed = time.perf_counter()
                assert r.status_code == 201, r.get_json()
                fake.wait_for_jobs(base + i + 1)
                http.append((t_committed - t) * 1000)
                after.append((time.perf_counter() - t_committed) * 1000)
        finally:
            core.close()
        return http, after


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args()
    bench_render(20)  # warm-up (imports, qrcode tables)
    report("render", bench_render(args.n))
    with FakeNetworkPrinter() as fake:
        bench_send(20, fake)
        report("send", bench_send(args.n, fake))
        http, after = bench_spooler(min(args.n, 200), fake)
        report("issue", http)
        report("spooler", after)


if __name__ == "__main__":
    main()
