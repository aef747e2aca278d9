"""The spooler: failures and recovery, restarts, several workers on one database."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from antrean.kernel.hookspecs import hookimpl
from antrean.kernel.timeutil import utcnow
from hardware.models import PrintJob
from hardware.plugin import get_spooler
from tests.support.printing import SERVICE, fake, issue, job, jobs, make_app, printed_numbers, printer_row, wait_for  # noqa: F401


def settle(app, fake, n_before: int) -> list[str]:
    """Barrier: issue one more ticket and wait until it is printed.

    The worker prints in job order, so once this one is out, any duplicate of an
    earlier job would already have reached the printer.
    """
    sentinel = issue(app)
    fake.wait_for_jobs(n_before + 1)
    numbers = printed_numbers(fake)
    assert numbers[-1] == sentinel["number"]
    return numbers[:-1]


@pytest.mark.parametrize("failure, error, state", [("refuse", "offline", "offline")])
def test_printer_down_then_back_prints_the_ticket_once(make_app, fake, failure, error, state):
    fake.set_mode(failure)
    app = make_app(fake.url)
    core = app.extensions["antrean"]
    ticket = issue(app)
    assert ticket["print"]["status"] == "queued"  # issued at once, whatever the printer does
    job_id = ticket["print"]["job"]
    wait_for(lambda: error in job(core, job_id).last_error, what=f"a failed attempt ({error})")
    assert job(core, job_id).status in ("pending", "printing")
    wait_for(lambda: printer_row(core).state == state, what=f"printer state {state}")
    assert fake.jobs == []

    fake.set_mode("normal")
    fake.wait_for_jobs(1, timeout=15)
    wait_for(lambda: job(core, job_id).status == "done", what="job done")
    assert job(core, job_id).attempts >= 2
    assert settle(app, fake, 1) == [ticket["number"]]
    assert printer_row(core).state == "online"


def test_printer_that_stalls_with_the_job_buffered_then_recovers_prints_it_exactly_once(make_app, fake):
    """The trial's triple print: a printer whose firmware stalls keeps the job in its buffer and prints
    it when it recovers; the spooler had timed out and sent the job again (twice). Once a job byte may
    have reached the printer the job is ``uncertain``: never sent again, listed for the front desk."""
    fake.set_mode("stall")
    app = make_app(fake.url)
    core = app.extensions["antrean"]
    ticket = issue(app)
    job_id = ticket["print"]["job"]
    wait_for(lambda: "timeout" in job(core, job_id).last_error, what="the stalled attempt to time out")
    wait_for(lambda: job(core, job_id).status != "printing", what="the attempt to end")
    row = job(core, job_id)
    assert (row.status, row.attempts) == ("uncertain", 1), (row.status, row.attempts, row.last_error)
    assert "may have printed" in row.last_error
    assert printer_row(core).state == "error"

    fake.set_mode("normal")  # the printer recovers and prints what it holds
    assert settle(app, fake, 1) == [ticket["number"]]  # exactly once: no resend reached the printer
    assert job(core, job_id).attempts == 1


class _StallWhileSending:
    """A driver whose write times out after part of the job left (the printer stopped reading)."""

    def __init__(self):
        self.writes = 0

    @hookimpl
    def register_printer_drivers(self):
        from hardware._escpos import Dummy

        outer = self

        class Stalling(Dummy):
            def _raw(self, msg):
                outer.writes += 1
                if outer.writes > 3:
                    raise TimeoutError("timed out")
                super()._raw(msg)

        return {"macet": lambda spec, profile, timeout: Stalling()}


def test_a_write_that_times_out_midway_is_uncertain_and_never_resent(make_app):
    driver = _StallWhileSending()
    app = make_app("macet://", plugins=(driver,))
    core = app.extensions["antrean"]
    ticket = issue(app)
    wait_for(
        lambda: (
            job(core, ticket["print"]["job"]).status not in ("pending", "printing")
            or job(core, ticket["print"]["job"]).attempts > 1
        ),
        what="the attempt to end",
    )
    row = job(core, ticket["print"]["job"])
    assert (row.status, row.attempts) == ("uncertain", 1), (row.status, row.attempts, row.last_error)
    assert "timeout" in row.last_error


def test_print_job_age_limit_defaults_to_five_minutes(make_app):
    from hardware import store

    core = make_app("none", start=False).extensions["antrean"]
    assert store.age_limit(core) == timedelta(minutes=5)


def test_paper_out_is_reported_and_nothing_is_sent(make_app, fake):
    fake.paper = "out"
    app = make_app(fake.url)
    core = app.extensions["antrean"]
    ticket = issue(app)
    wait_for(lambda: "paper end" in job(core, ticket["print"]["job"]).last_error, what="a paper-out attempt")
    assert printer_row(core).state == "paper_out" and fake.jobs == []
    fake.paper = "ok"
    fake.wait_for_jobs(1, timeout=15)
    assert settle(app, fake, 1) == [ticket["number"]]


def test_jobs_print_in_issue_order(make_app, fake):
    app = make_app(fake.url, start=False)
    numbers = [issue(app)["number"] for _ in range(4)]
    get_spooler(app.extensions["antrean"]).start()
    fake.wait_for_jobs(4)
    assert printed_numbers(fake) == numbers


def test_restart_resumes_pending_jobs_and_prints_them_once(make_app, fake, settings_dict):
    fake.set_mode("refuse")
    first = make_app(fake.url)
    core = first.extensions["antrean"]
    tickets = [issue(first) for _ in range(2)]
    # the first job blocks the line (printed in order): it is the one being retried
    wait_for(lambda: jobs(core)[0].attempts >= 1, what="a failed attempt")
    core.close()  # server stops with the printer still off
    assert [j.status for j in jobs(core)] == ["pending", "pending"]

    fake.set_mode("normal")
    second = make_app(fake.url)  # same instance folder and database
    fake.wait_for_jobs(2)
    assert settle(second, fake, 2) == [t["number"] for t in tickets]


def test_restart_of_a_real_server_process(server_process, fake, tmp_path):
    """``antrean run`` killed with a job pending; the next start prints it once."""
    from antrean.core import Antrean
    from plugins import BUILTIN_SOP_MODULES

    instance = tmp_path / "proc"
    instance.mkdir()
    (instance / "antrean.toml").write_text(
        "print_retry_min = 0.05\nprint_retry_max = 0.3\nprint_idle_poll = 0.2\nprinter_poll_seconds = 0.3\n"
        'printer_timeout = 1.5\npublic_url = "http://antrean.test"\n'
    )
    env = {"ANTREAN_PRINTER_URL": fake.url}
    fake.set_mode("refuse")
    server = server_process(env, instance=instance)
    import json
    import urllib.request

    req = urllib.request.Request(
        server.url + "/api/v1/tickets",
        data=json.dumps({"service": SERVICE}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        ticket = json.load(r)
    assert ticket["print"]["status"] == "queued"
    reader = Antrean(
        {"instance_path": str(instance), "start_workers": False},
        builtins=tuple(BUILTIN_SOP_MODULES),
        entry_points=False,
    )
    try:
        wait_for(lambda: job(reader, ticket["print"]["job"]).attempts >= 1, what="a failed attempt")
        server.stop()
        assert job(reader, ticket["print"]["job"]).status == "pending"
        fake.set_mode("normal")
        server.start()
        fake.wait_for_jobs(1, timeout=15)
        wait_for(lambda: job(reader, ticket["print"]["job"]).status == "done", what="job done after restart")
        assert printed_numbers(fake) == [ticket["number"]]
        assert len(jobs(reader)) == 1
    finally:
        reader.close()


def _database_settings(request, settings_dict):
    if request.param == "postgresql":
        return {**settings_dict, "database_url": request.getfixturevalue("pg_url")}
    return settings_dict


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_settings(request, settings_dict):
    return _database_settings(request, settings_dict)


def test_two_spoolers_on_one_database_never_print_a_job_twice(make_app, fake, shared_settings):
    one = make_app(fake.url, start=False, settings=shared_settings)
    two = make_app(fake.url, start=False, settings=shared_settings)
    numbers = [issue(one if i % 2 else two)["number"] for i in range(12)]
    # start both at the same moment so that they race for the same jobs
    go = threading.Barrier(2)

    def start(app):
        go.wait()
        get_spooler(app.extensions["antrean"]).start()

    threads = [threading.Thread(target=start, args=(a,)) for a in (one, two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fake.wait_for_jobs(12, timeout=30)
    core = one.extensions["antrean"]
    wait_for(lambda: all(j.status == "done" for j in jobs(core)), timeout=30, what="all jobs done")
    more = [issue(two)["number"] for _ in range(2)]  # barrier: both workers idle again and print new jobs
    fake.wait_for_jobs(14, timeout=30)
    wait_for(lambda: all(j.status == "done" for j in jobs(core)), timeout=30, what="all jobs done")
    printed = printed_numbers(fake)
    assert sorted(printed) == sorted(numbers + more) and len(set(printed)) == 14
    assert all(j.attempts == 1 for j in jobs(core))


def test_stale_printing_job_becomes_uncertain_and_is_not_reprinted(make_app, fake):
    app = make_app(fake.url, start=False)
    core = app.extensions["antrean"]
    crashed, live = issue(app), issue(app)
    with core.db.write() as s:
        s.execute(
            update(PrintJob)
            .where(PrintJob.id == crashed["print"]["job"])
            .values(status="printing", attempts=1, next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        # another process is printing this one right now: its lease is still running
        s.execute(
            update(PrintJob)
            .where(PrintJob.id == live["print"]["job"])
            .values(status="printing", attempts=1, next_attempt_at=utcnow() + timedelta(minutes=5))
        )
    get_spooler(core).start()
    wait_for(lambda: job(core, crashed["print"]["job"]).status == "uncertain", what="uncertain")
    assert "may" in job(core, crashed["print"]["job"]).last_error
    assert settle(app, fake, 0) == []
    assert job(core, live["print"]["job"]).status == "printing"


class _DropAfterSend:
    """A driver whose connection drops after the job was handed over (it may have printed)."""

    def __init__(self):
        self.sent = []

    @hookimpl
    def register_printer_drivers(self):
        from hardware._escpos import Dummy

        outer = self

        class Dropping(Dummy):
            closed = False

            def close(self):
                if not self.closed:  # escpos closes again on garbage collection
                    self.closed = True
                    outer.sent.append(self.output)
                    raise BrokenPipeError(32, "Broken pipe")

        return {"putus": lambda spec, profile, timeout: Dropping()}


def test_job_that_may_have_printed_is_marked_uncertain_not_retried(make_app):
    driver = _DropAfterSend()
    app = make_app("putus://", plugins=(driver,))
    core = app.extensions["antrean"]
    ticket = issue(app)
    wait_for(lambda: job(core, ticket["print"]["job"]).status == "uncertain", what="uncertain")
    row = job(core, ticket["print"]["job"])
    assert row.attempts == 1 and "may have printed" in row.last_error
    assert printer_row(core).state == "offline"
    second = issue(app)  # the worker goes on with the next job and never retries the first
    wait_for(lambda: job(core, second["print"]["job"]).status == "uncertain", what="second attempt")
    assert job(core, ticket["print"]["job"]).attempts == 1 and len(driver.sent) == 2


def test_old_pending_job_expires_instead_of_printing(make_app, fake):
    app = make_app(fake.url, start=False, print_job_max_age_minutes=30)
    core = app.extensions["antrean"]
    old = issue(app)
    with core.db.write() as s:
        s.execute(
            update(PrintJob)
            .where(PrintJob.id == old["print"]["job"])
            .values(created_at=utcnow() - timedelta(minutes=31))
        )
    get_spooler(core).start()
    wait_for(lambda: job(core, old["print"]["job"]).status == "failed", what="expired")
    assert job(core, old["print"]["job"]).last_error.startswith("expired")
    assert settle(app, fake, 0) == []


def test_bad_payload_fails_without_blocking_the_queue(make_app, fake):
    app = make_app(fake.url, start=False)
    core = app.extensions["antrean"]
    broken = issue(app)
    with core.db.write() as s:
        s.execute(update(PrintJob).where(PrintJob.id == broken["print"]["job"]).values(payload={"number": "A001"}))
    get_spooler(core).start()
    assert settle(app, fake, 0) == []
    assert job(core, broken["print"]["job"]).status == "failed"


def test_shutdown_stops_every_worker_promptly(make_app, fake):
    from antrean.kernel.actors import Actor
    from hardware import store

    app = make_app(fake.url)
    core = app.extensions["antrean"]
    store.save_printer(core, Actor(None, "t", frozenset({"admin"})), "kedua", "tcp://127.0.0.1:9", "58mm")
    spooler = get_spooler(core)
    spooler.refresh()
    assert spooler.workers() == ["default", "kedua"]
    threads = [w.thread for w in spooler._workers.values()] + [spooler._manager]
    done = threading.Event()

    def stop():
        spooler.stop()
        done.set()

    threading.Thread(target=stop).start()
    assert done.wait(5), "spooler.stop() did not return"
    assert not any(t.is_alive() for t in threads)


def test_status_poller_reports_a_printer_switched_off_while_idle(make_app, fake):
    app = make_app(fake.url)
    core = app.extensions["antrean"]
    wait_for(lambda: printer_row(core).state == "online", what="online")
    fake.set_mode("refuse")
    wait_for(lambda: printer_row(core).state == "offline", what="offline")
    assert "refused" in printer_row(core).detail.lower()
