"""Notifications: the outbox, its worker against a real local gateway, the triggers, opt-in/out, console."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from antrean.kernel.models import AuditLog, NotifyMessage
from tests.support.fake_gateway import FakeGateway, FakeSmtp, closed_port

SERVICE = "ktp"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 27, 2, 0, 0)  # 09:00 WIB, a Friday

    def __call__(self):
        return self.now

    def advance(self, seconds: float):
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    # only the outbox's clocks: the ticket service keeps real time (issued_at gives the arrival order)
    for mod in ("antrean.services.notify", "notifier.worker"):
        monkeypatch.setattr(f"{mod}.utcnow", c)
    return c


@pytest.fixture
def make_app(settings_dict, migrated_sqlite):
    apps = []

    def make(**extra):
        from antrean import create_app

        app = create_app({**settings_dict, **extra})
        apps.append(app)
        return app

    yield make
    for a in apps:
        a.extensions["antrean"].close()


def messages(core):
    with core.db.read() as s:
        return {m.dedupe_key: m for m in s.execute(select(NotifyMessage).order_by(NotifyMessage.id)).scalars()}


def notifier(app):
    return app.extensions["antrean"].extensions["notify.worker"]


def test_gateway_down_slow_500_then_back_each_message_delivered_exactly_once(make_app, clock):
    port = closed_port()
    gw = FakeGateway(port)
    app = make_app(
        notify_url=f"webhook+{gw.url}", notify_webhook_headers='{"Authorization": "rahasia"}', notify_timeout=0.3
    )
    core, worker = app.extensions["antrean"], notifier(app)
    ids = [
        core.notify.enqueue(
            "booking_confirmed",
            f"0812-3456-78{i:02d}",
            {"service": "KTP", "date": "1 Des", "start": "08:00", "code": f"B{i}", "manage_url": "http://x/b"},
            f"booking:B{i}:confirmed",
        )
        for i in range(4)
    ]
    assert len(set(ids)) == 4
    # the same dedupe key again: the same message, nothing new
    assert core.notify.enqueue("booking_confirmed", "081234567800", {}, "booking:B0:confirmed") == ids[0]

    # 1. gateway down: every message back to pending, with backoff
    assert worker.step() == 4
    rows = messages(core)
    assert {m.status for m in rows.values()} == {"pending"}
    assert all("unreachable" in m.last_error for m in rows.values())
    assert worker.step() == 0  # nothing due before the backoff ends
    clock.advance(worker.retry_min)

    # 2. gateway up but answering 500: not delivered, retried later (longer backoff)
    gw.start()
    try:
        gw.mode = "error"
        assert worker.step() == 4
        assert sum(gw.delivered.values()) == 0 and gw.requests == 4
        clock.advance(worker.retry_min)  # attempt 2's backoff is 2 x retry_min: not yet
        assert worker.step() == 0
        clock.advance(worker.retry_min)

        # 3. slow for the first message (accepted, no answer before the timeout): uncertain, never resent
        gw.mode = "ok"
        gw.slow_ids = {"booking:B0:confirmed"}
        assert worker.step() == 4
        rows = messages(core)
        assert rows["booking:B0:confirmed"].status == "uncertain"
        assert "may have delivered" in rows["booking:B0:confirmed"].last_error
        assert [rows[f"booking:B{i}:confirmed"].status for i in (1, 2, 3)] == ["sent"] * 3

        # 4. back and healthy: a long time later nothing is sent again
        gw.slow_ids = set()
        clock.advance(3600)
        assert worker.step() == 0
        assert dict(gw.delivered) == {f"booking:B{i}:confirmed": 1 for i in range(4)}
        assert gw.bodies[-1]["to"].startswith("6281234567") and "B3" in gw.bodies[-1]["message"]
        assert gw.headers[-1]["Authorization"] == "rahasia"
        assert gw.headers[-1]["Idempotency-Key"] == gw.bodies[-1]["id"]
        assert rows["booking:B1:confirmed"].attempts == 3
    finally:
        gw.stop()


def test_a_refused_message_fails_and_a_stale_claim_turns_uncertain(make_app, clock):
    app = make_app(notify_url="log")
    core, worker = app.extensions["antrean"], notifier(app)
    core.notify.enqueue("near", "081234567890", {"number": "A-001", "service": "KTP", "ahead": 3}, "near:1")
    from notifier.drivers import SendError

    def refuse(*a):
        raise SendError("HTTP 400: bad number", permanent=True)

    worker.driver.send = refuse
    worker.step()
    assert messages(core)["near:1"].status == "failed"
    # a row a dead worker left in 'sending': after its lease, uncertain (never resent blindly)
    core.notify.enqueue("near", "081234567891", {"number": "A-002", "service": "KTP", "ahead": 3}, "near:2")
    claim, rows = worker._claim(clock())
    assert [r.dedupe_key for r in rows] == ["near:2"]
    clock.advance(worker.timeout + worker.lease_margin + 1)
    worker.step()
    assert messages(core)["near:2"].status == "uncertain"
    # staff resend it (audited); it goes once more
    staff = core.users.create(
        __import__("antrean.kernel.actors", fromlist=["SYSTEM"]).SYSTEM,
        "kasi",
        "rahasia123",
        ["kasi_pelayanan"],
        "Kasi",
    )
    kasi = core.users.get(staff["id"])
    core.notify.resend(kasi, messages(core)["near:2"].id)
    worker.driver.send = lambda *a: None
    worker.step()
    assert messages(core)["near:2"].status == "sent"
    with core.db.read() as s:
        assert s.execute(select(AuditLog.actor).where(AuditLog.action == "notify.resend")).scalar() == "kasi"


def test_an_old_near_message_expires_instead_of_arriving_too_late(make_app, clock):
    app = make_app(notify_url="log")
    core, worker = app.extensions["antrean"], notifier(app)
    core.notify.enqueue("near", "081234567890", {"number": "A-001", "service": "KTP", "ahead": 3}, "near:1")
    clock.advance(31 * 60)
    worker.step()
    m = messages(core)["near:1"]
    assert m.status == "failed" and "expired" in m.last_error and worker.driver.sent == []


def test_smtp_driver_delivers_and_reports_a_refused_recipient(make_app, clock):
    port = closed_port()
    smtp = FakeSmtp(port, refuse="tolak")
    try:
        app = make_app(notify_url=f"smtp://127.0.0.1:{port}?from=antrean@kec.go.id&to={{phone}}@sms.example")
        core, worker = app.extensions["antrean"], notifier(app)
        core.notify.enqueue("ready", "warga@contoh.id", {"service": "KTP-el", "agenda": "0001/KTP"}, "ready:1:5")
        core.notify.enqueue("ready", "081234567890", {"service": "KK", "agenda": "0002/KK"}, "ready:2:5")
        core.notify.enqueue("ready", "tolak@contoh.id", {"service": "KK", "agenda": "0003/KK"}, "ready:3:5")
        worker.step()
        rows = messages(core)
        assert [rows[k].status for k in ("ready:1:5", "ready:2:5", "ready:3:5")] == ["sent", "sent", "failed"]
        assert [m[0] for m in smtp.messages] == [["warga@contoh.id"], ["6281234567890@sms.example"]]
        assert "0001/KTP" in smtp.messages[0][1] and "From: antrean@kec.go.id" in smtp.messages[0][1]
    finally:
        smtp.stop()


def test_bad_notify_url_is_one_line_at_start_up(make_app):
    from antrean.kernel.config import ConfigError

    for url, words in (
        ("whatsapp://x", "unknown scheme"),
        ("smtp://host", "?from="),
        ("http:///send", "expected webhook+https://"),
    ):
        with pytest.raises(ConfigError, match=re.escape(words)) as exc:
            make_app(notify_url=url)
        assert str(exc.value).startswith("notify_url: ") and "\n" not in str(exc.value)


def test_bad_webhook_body_is_refused(make_app):
    from antrean.kernel.config import ConfigError

    with pytest.raises(ConfigError, match="notify_webhook_body is not JSON"):
        make_app(notify_url="https://gw.example/send", notify_webhook_body="{not json")


def issue(client, service=SERVICE):
    r = client.post("/api/v1/tickets", json={"service": service})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_status_page_opt_in_and_near_message_once(make_app, clock, admin, make_user):
    app = make_app(notify_url="log")
    core, client = app.extensions["antrean"], app.test_client()
    clerk = make_user(core, "loket", ["petugas_pelayanan"])
    tickets = [issue(client) for _ in range(6)]
    last = tickets[-1]
    page = client.get(last["status_url"]).get_data(as_text=True)
    assert "Kirim kabar lewat WhatsApp" in page
    r = client.post(f"{last['status_url']}/kabar", data={"phone": "12"})
    assert r.status_code == 303 and "kabar=error" in r.headers["Location"]
    r = client.post(f"{last['status_url']}/kabar", data={"phone": "0812 3456 7890"})
    assert r.status_code == 303
    page = client.get(last["status_url"]).get_data(as_text=True)
    assert "62812*****890" in page and "6281234567890" not in page
    assert {k: m.body for k, m in messages(core).items()} == {}  # 5 ahead, N = 3: not yet
    c = core.queue.save_counter(admin, name="Loket 1", number=1, services=[SERVICE])
    core.queue.call_next(c["id"], clerk)  # 4 ahead
    assert messages(core) == {}
    core.queue.call_next(c["id"], clerk)  # 3 ahead: the message
    core.queue.call_next(c["id"], clerk)  # 2 ahead: no second one
    rows = messages(core)
    assert list(rows) == [f"near:{last['id']}"]
    assert "tinggal 3 lagi" in rows[f"near:{last['id']}"].body
    optout = re.search(r"/kabar/berhenti/(\S+)", rows[f"near:{last['id']}"].body).group(0)
    # the opt-out link: GET asks (a link preview changes nothing), POST stops every message
    assert "Berhentikan pesan" in client.get(optout).get_data(as_text=True)
    assert core.notify.enqueue("survey", "081234567890", {}, "x:1") is not None
    done = client.post(optout).get_data(as_text=True)
    assert "tidak akan menerima pesan lagi" in done
    assert messages(core)["x:1"].status == "failed"
    assert core.notify.enqueue("survey", "081234567890", {}, "x:2") is None
    with core.db.read() as s:
        acts = s.execute(select(AuditLog.action, AuditLog.detail).where(AuditLog.action.like("notify.%"))).all()
    assert [a for a, _ in acts] == ["notify.optin", "notify.optout"]
    assert all("6281234567890" not in str(d) for _, d in acts)


def test_no_phone_no_message_and_events_never_carry_the_phone(make_app, clock, admin, make_user):
    app = make_app(notify_url="log")
    core, client = app.extensions["antrean"], app.test_client()
    clerk = make_user(core, "loket", ["petugas_pelayanan"])
    seen = []
    core.plugins.pm.register(
        type("Spy", (), {"event_published": staticmethod(lambda core, event: seen.append(event.to_dict()))})(),
        name="spy",
    )
    for _ in range(2):
        issue(client)
    c = core.queue.save_counter(admin, name="Loket 1", number=1, services=[SERVICE])
    core.queue.call_next(c["id"], clerk)
    assert messages(core) == {}
    t = issue(client)
    client.post(f"{t['status_url']}/kabar", data={"phone": "081234567890"})
    assert "6281234567890" not in str(seen) and "081234567890" not in str(seen)


def test_returned_file_sends_the_missing_documents_and_service_sends_the_survey_link(make_app, clock, make_user):
    app = make_app(notify_url="log", public_url="http://10.0.0.5:5000")
    core, client = app.extensions["antrean"], app.test_client()
    front = make_user(core, "front", ["petugas_pelayanan"])
    t = issue(client)
    c = core.queue.save_counter(make_user(core, "adm", ["admin"]), name="Loket 1", number=1, services=[SERVICE])
    core.queue.call_next(c["id"], front)
    core.queue.start(c["id"], front)
    app_view = core.workflow.open(front, ticket_id=t["id"], applicant_name="Budi", phone="081298765432")
    sop = core.sops[SERVICE]
    tms_step = next(s for s in sop.steps if s.tms)
    docs = list(sop.documents)[:2]
    # walk to the TMS step as its roles
    for step in sop.steps[app_view["current_step"]["no"] - 1 :]:
        who = make_user(core, f"user{step.no}", [core.effective_role(sop, step.role, None)])
        if step.no == tms_step.no:
            core.workflow.complete_step(app_view["id"], step.no, who, outcome="TMS", missing_documents=docs)
            break
        core.workflow.complete_step(app_view["id"], step.no, who, outcome="DONE")
    rows = messages(core)
    key = f"returned:{app_view['id']}:{tms_step.no}"
    assert key in rows and all(d in rows[key].body for d in docs)
    core.queue.finish(c["id"], front)
    rows = messages(core)
    assert f"survey:{t['id']}" in rows
    assert f"http://10.0.0.5:5000/survei/{t['token']}" in rows[f"survey:{t['id']}"].body


def test_issuing_never_waits_for_a_hanging_gateway(make_app, clock):
    gw = FakeGateway(closed_port()).start()
    gw.mode = "slow"
    try:
        app = make_app(notify_url=gw.url, start_workers=True, notify_timeout=5)
        client = app.test_client()
        first = issue(client)
        client.post(f"{first['status_url']}/kabar", data={"phone": "081234567890"})  # 0 ahead: queued now
        numbers = [issue(client)["number"] for _ in range(20)]  # the worker is stuck on the gateway meanwhile
        assert len(set(numbers)) == 20
    finally:
        gw.stop()


def test_console_outbox_masks_numbers_and_admin_edits_texts(make_app, clock, make_user):
    app = make_app(notify_url="log")
    core, client = app.extensions["antrean"], app.test_client()
    make_user(core, "kasi", ["kasi_pelayanan"])
    make_user(core, "adm", ["admin"])
    make_user(core, "front", ["petugas_pelayanan"])
    core.notify.enqueue("near", "081234567890", {"number": "A-001", "service": "KTP", "ahead": 3}, "near:1")

    from tests.integration.test_console import login

    login(client, "front")
    assert client.get("/console/kabar").status_code == 403
    client = app.test_client()
    login(client, "kasi")
    page = client.get("/console/kabar").get_data(as_text=True)
    assert "62812*****890" in page and "6281234567890" not in page and "menunggu" in page
    client = app.test_client()
    token = login(client, "adm")
    assert "6281234567890" in client.get("/console/kabar").get_data(as_text=True)
    page = client.get("/console/admin/kabar").get_data(as_text=True)
    assert "Nomor hampir dipanggil" in page and "Your number is near" not in page
    page_en = client.get("/console/admin/kabar?lang=en").get_data(as_text=True)
    assert "Your number is near" in page_en and "Nomor hampir dipanggil" not in page_en
    r = client.post(
        "/console/admin/kabar", data={"csrf_token": token, "near": "Nomor {nomor} hampir"}, follow_redirects=True
    )
    assert "nomor" in r.get_data(as_text=True) and core.notify.templates()["near"].startswith("Nomor antrean")
    client.post(
        "/console/admin/kabar", data={"csrf_token": token, "near": "Nomor {number} tinggal {ahead}!", "near_ahead": "5"}
    )
    assert core.notify.templates()["near"] == "Nomor {number} tinggal {ahead}!"
    assert core.notify.near_ahead() == 5


def test_file_ready_for_collection_is_announced_once_to_the_recorded_phone(make_app, clock, make_user):
    app = make_app(notify_url="log")
    core = app.extensions["antrean"]
    front = make_user(core, "front", ["petugas_pelayanan"])
    sop = core.sops[SERVICE]
    opened = core.workflow.open(front, service_code=SERVICE, applicant_name="Siti", phone="0813 1111 2222")
    for step in sop.steps[opened["current_step"]["no"] - 1 :]:
        if step.applicant_present and step.kind == "collect":
            break
        assert messages(core) == {}  # nothing before the file reaches the collection step
        who = make_user(core, f"user{step.no}", [core.effective_role(sop, step.role, None)])
        core.workflow.complete_step(opened["id"], step.no, who, outcome="DONE")
    rows = messages(core)
    assert list(rows) == [f"ready:{opened['id']}:{step.no}"]
    assert "siap diambil" in rows[f"ready:{opened['id']}:{step.no}"].body
    core.notify.ready(opened["id"])  # the same event again: still one message
    assert len(messages(core)) == 1
