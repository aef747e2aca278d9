"""A seeded office day for the report tests, its answers worked out by hand (see ``seed``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

DAY = date(2026, 3, 10)  # a Tuesday; WIB = UTC+7, so 01:00 UTC is 08:00 at the office


def at(h: int, m: int, day: int = 10) -> datetime:
    return datetime(2026, 3, day, h, m)


class Clock:
    """Freezes antrean's clock (the modules that stamp tickets, calls and steps)."""

    def __init__(self, monkeypatch):
        self.now = at(0, 0)
        for mod in (
            "antrean.services.tickets",
            "antrean.services.queue",
            "antrean.services.workflow",
            "antrean.services.reports",
            "antrean.services.survey",
        ):
            monkeypatch.setattr(f"{mod}.utcnow", lambda: self.now)

    def __call__(self, when: datetime) -> datetime:
        self.now = when
        return when


def seed(core, counter, make_user, clock):
    """Five KTP tickets, four applications, two survey responses and one ticket outside the period.

    ticket  issued  first call  wait  start  finish  service  outcome
    A001    01:00   01:04        4    01:05  01:11    6       served
    A002    01:01   01:11       10    01:12  01:20    8       served
    A003    01:02   01:20       18    –      –        –       no_show (skipped)
    A004    01:03   01:27       24    01:27  01:29    2       served
    A005    02:00   02:01        1    02:01  02:06    5       served
    waits sorted 1 4 10 18 24: median 10, p90 = 18 + 0.6 × (24 − 18) = 21.6
    service sorted 2 5 6 8: median 5.5, p90 = 6 + 0.7 × (8 − 6) = 7.4
    """
    clerk = make_user(core, "loket", ["petugas_pelayanan"], "Budi Loket")
    boss = make_user(
        core,
        "boss",
        ["petugas_pelayanan", "petugas_verifikasi", "petugas_register", "kasi_pelayanan", "camat"],
        "Ibu Camat",
    )
    plan = [
        ((1, 0), (1, 4), (1, 5), (1, 11)),
        ((1, 1), (1, 11), (1, 12), (1, 20)),
        ((1, 2), (1, 20), None, (1, 25)),
        ((1, 3), (1, 27), (1, 27), (1, 29)),
        ((2, 0), (2, 1), (2, 1), (2, 6)),
    ]
    tickets = []
    for issued, *_ in plan:
        clock(at(*issued))
        tickets.append(core.tickets.issue("ktp")[0])
    for _issued, called, started, finished in plan:
        clock(at(*called))
        core.queue.call_next(counter["id"], clerk, now=at(*called))
        if started is None:
            clock(at(*finished))
            core.queue.skip(counter["id"], clerk)
            continue
        clock(at(*started))
        core.queue.start(counter["id"], clerk)
        clock(at(*finished))
        core.queue.finish(counter["id"], clerk)

    # applications (walk-in): minutes of steps 2..7; KTP's standard is 15 = 2 + 5 + 2 + 5 + 1 (+ 0 + 0)
    def run(start: datetime, minutes: list[int], verdict="MS", missing=None):
        clock(start)
        a = core.workflow.open(boss, service_code="ktp", applicant_name="Pemohon")
        t = start
        for no, mins in zip(range(2, 8), minutes):
            t = t + timedelta(minutes=mins)
            clock(t)
            out = verdict if no == 3 else "DONE"
            core.workflow.complete_step(
                a["id"],
                no,
                boss,
                outcome=out,
                now=t,
                note="kurang" if out == "TMS" else "",
                missing_documents=missing if out == "TMS" else None,
            )
            if out == "TMS":
                break
        return a

    # A: exactly the standard on measured steps; the applicant collects 5 hours later (not measured) -> within
    run(at(3, 0), [2, 5, 2, 5, 1, 300])
    # B: the Kasi's signature takes 9 instead of 5 -> 19 measured minutes -> not within
    run(at(3, 30), [2, 5, 2, 9, 1, 0])
    # C, D: returned at verification with missing documents
    run(at(4, 0), [2, 5], "TMS", ["Surat pengantar RT/RW", "Fotokopi Kartu Keluarga (KK)"])
    run(at(4, 30), [2, 5], "TMS", ["Surat pengantar RT/RW"])
    # SKM: the first two served tickets answer, all 4s and all 3s -> NRR 3.5 per element, IKM 87.50 (B)
    for ticket, value in ((tickets[0], 4), (tickets[1], 3)):
        core.survey.submit(ticket["token"], [value] * 9, now=at(3, 0))
    # outside the period: a ticket on 1 April
    clock(datetime(2026, 4, 1, 1, 0))
    core.tickets.issue("kk")
    return core, boss, clerk
