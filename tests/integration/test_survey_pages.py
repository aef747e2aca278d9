"""The survey and transparency pages through Flask's test client: /survei, the status page's link, the console's
"Survei" button and IKM page, the admin settings, and /publik's content against a hand-computed month — with no
personal data anywhere on it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from antrean.kernel.models import Application, AuditLog, StepLog, Ticket
from antrean.services import transparency
from tests.integration.test_console import csrf_of, login

NAME, NIK, PHONE = "Siti Aminah", "3201234507890001", "081234567890"


@pytest.fixture
def core_(app):
    return app.extensions["antrean"]


@pytest.fixture
def desk(core_, admin, make_user):
    counter = core_.queue.save_counter(admin, name="Loket Satu", number=1, services=list(core_.sops))
    clerk = make_user(core_, "loket", ["petugas_pelayanan"], "Budi Loket")
    make_user(core_, "camat", ["camat"], "Pak Camat Rahasia")
    make_user(core_, "admin", ["admin"])
    return counter, clerk


def serve(core_, counter, clerk, service="ktp", issued=None, wait_minutes=5):
    kw = {"now": issued} if issued else {}
    t = core_.tickets.issue(service, **kw)[0]
    called = (issued + timedelta(minutes=wait_minutes)) if issued else None
    # start and finish on the ticket's own day (a later day's first action closes yesterday's tickets)
    core_.queue.call_next(counter["id"], clerk, now=called)
    core_.queue.start(counter["id"], clerk, now=called and called + timedelta(minutes=1))
    core_.queue.finish(counter["id"], clerk, now=called and called + timedelta(minutes=6))
    return t


def test_survey_page_states(client, core_, desk):
    counter, clerk = desk
    served = serve(core_, counter, clerk)["token"]
    page = client.get(f"/survei/{served}")
    assert page.status_code == 200 and "Survei Kepuasan Masyarakat" in page.text
    assert "Kecepatan" not in page.text and "Tidak cepat" in page.text  # the wording travels in the config
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    waiting = core_.tickets.issue("kk")[0]["token"]
    assert "setelah Anda selesai dilayani" in client.get(f"/survei/{waiting}").text
    missing = client.get("/survei/tidakadatokenini")
    assert missing.status_code == 404 and "Tiket tidak ditemukan" in missing.text
    client.post("/api/v1/surveys", json={"ticket": served, "answers": [4] * 9})
    assert "sudah diisi" in client.get(f"/survei/{served}").text
    assert "already been answered" in client.get(f"/survei/{served}?lang=en").text


def test_status_page_links_to_the_survey_once_served(client, core_, desk):
    counter, clerk = desk
    tok = core_.tickets.issue("ktp")[0]["token"]
    assert client.get(f"/t/{tok}.json").json["survey"] is None
    assert 'id="rate" href="/survei/' in client.get(f"/t/{tok}").text and " hidden>" in client.get(f"/t/{tok}").text
    core_.queue.call_next(counter["id"], clerk)
    core_.queue.start(counter["id"], clerk)
    core_.queue.finish(counter["id"], clerk)
    assert client.get(f"/t/{tok}.json").json["survey"] == "open"
    html = client.get(f"/t/{tok}").text
    assert f'href="/survei/{tok}">' in html and "Nilai layanan kami" in html


def test_console_button_offers_the_survey_to_the_counter_tablet(client, core_, desk):
    counter, clerk = desk
    t = serve(core_, counter, clerk)
    csrf = login(client, "loket")
    panel = client.get(f"/console/loket/{counter['id']}/panel").text
    assert 'id="survey-button"' in panel and t["number"] in panel
    assert client.get(f"/survei/loket/{counter['id']}.json").json == {"offer": None}
    r = client.post(f"/console/loket/{counter['id']}/survei", data={"csrf_token": csrf, "ticket": str(t["id"])})
    assert r.status_code == 302
    assert client.get(f"/survei/loket/{counter['id']}.json").json["offer"]["number"] == t["number"]
    tablet = client.get(f"/survei?loket={counter['id']}")
    assert "Loket Satu" in tablet.text and "tablet.js" in tablet.text
    client.post("/api/v1/surveys", json={"ticket": t["token"], "answers": [3] * 9, "channel": "tablet"})
    assert client.get(f"/survei/loket/{counter['id']}.json").json == {"offer": None}
    assert "Sudah diisi" in client.get(f"/console/loket/{counter['id']}/panel").text
    with core_.db.read() as s:
        assert s.execute(select(AuditLog).where(AuditLog.action == "survey.offer")).scalars().first().actor == "loket"


def test_console_ikm_page_and_follow_up_plan(client, core_, desk):
    counter, clerk = desk
    for answers in ([4] * 9, [2, 3, 3, 3, 3, 3, 3, 3, 1]):
        core_.survey.submit(serve(core_, counter, clerk)["token"], answers, suggestion="AC rusak")
    login(client, "loket")
    assert client.get("/console/survei").status_code == 403
    client.post("/console/keluar", data={"csrf_token": csrf_of(client.get("/console/").text)})
    csrf = login(client, "camat")
    now = datetime.now()
    period = f"{now.year:04d}-{now.month:02d}"
    page = client.get(f"/console/survei?periode={period}").text
    # NRR: U1 3.0, U2–U8 3.5, U9 2.5 → 25 × (3 + 7 × 3.5 + 2.5) / 9 = 83.33 B
    assert "83,33" in page and "1/9" in page and "AC rusak" in page and "3,500" in page
    assert 'name="plan_U9"' in page and 'name="plan_U1"' in page
    r = client.post(
        "/console/survei", data={"csrf_token": csrf, "periode": period, "plan_U9": "Perbaiki AC ruang tunggu"}
    )
    assert r.status_code == 302
    assert core_.survey.followups(period)["U9"]["plan"] == "Perbaiki AC ruang tunggu"
    assert "Perbaiki AC ruang tunggu" in client.get(f"/console/survei?periode={period}").text
    assert client.get(f"/console/survei?periode={now.year}").status_code == 200


def test_admin_edits_weights_and_public_texts(client, core_, desk):
    csrf = login(client, "admin")
    assert "0.111" in client.get("/console/admin/survei").text.replace("0,111", "0.111")
    r = client.post(
        "/console/admin/survei",
        data={
            "csrf_token": csrf,
            "form": "survey",
            "weight_mode": "custom",
            **{f"w_U{i}": "0.1" for i in range(1, 10)},
        },
    )
    assert r.status_code == 302
    assert "Jumlah bobot harus 1" in client.get("/console/admin/survei").text  # 0.9: refused, flashed
    assert core_.survey.config()["weight_mode"] == "equal"
    client.post(
        "/console/admin/survei",
        data={
            "csrf_token": csrf,
            "form": "survey",
            "weight_mode": "custom",
            **{f"w_U{i}": "1/9" for i in range(1, 10)},
        },
    )
    assert core_.survey.config()["weight_mode"] == "custom"  # nine 1/9 sum to 1
    client.post("/console/admin/survei", data={"csrf_token": csrf, "form": "survey", "weight_mode": "regulation"})
    assert core_.survey.config()["weight_mode"] == "regulation"
    client.post(
        "/console/admin/survei",
        data={
            "csrf_token": csrf,
            "form": "publik",
            "biaya": "Gratis",
            "biaya_layanan": "oss: Sesuai ketentuan OSS",
            "pengaduan": "WA 0811",
            "maklumat": "Kami sanggup.",
        },
    )
    cfg = transparency.settings(core_)
    assert (cfg["biaya_layanan"], cfg["pengaduan"]) == ({"oss": "Sesuai ketentuan OSS"}, "WA 0811")
    # the Camat: one form, one setting, read by the Maklumat and by the reports' PDF signature block
    client.post(
        "/console/admin/survei",
        data={
            "csrf_token": csrf,
            "form": "camat",
            "name": "Drs. Ahmad Fauzi",
            "nip": "19700101 199003 1 001",
            "rank": "Pembina",
            "report_city": "Sukamaju",
            "report_regency": "Pemerintah Kabupaten Uji",
        },
    )
    assert core_.reports.signature()["signer"] == {
        "name": "Drs. Ahmad Fauzi",
        "nip": "19700101 199003 1 001",
        "rank": "Pembina",
    }
    assert 'value="Drs. Ahmad Fauzi"' in client.get("/console/admin/survei").text
    page = client.get("/publik").text
    assert "Drs. Ahmad Fauzi" in page and "NIP 19700101 199003 1 001" in page
    assert "Kami sanggup." in page and "Sesuai ketentuan OSS" in page


def test_publik_shows_the_six_components_and_last_months_figures_without_personal_data(client, core_, desk):
    counter, clerk = desk
    first, last = transparency.last_month(None, core_.tz)
    base = datetime(first.year, first.month, 10, 2, 0)  # 09:00 WIB on the 10th of last month
    tickets = [
        serve(core_, counter, clerk, "ktp", base + timedelta(hours=h), wait_minutes=w)
        for h, w in ((0, 4), (1, 30), (2, 10))
    ]  # waits 4, 30, 10 → median 10
    for t, answers in zip(tickets, ([3] * 9, [3] * 9, [4] * 9)):  # NRR 10/3 everywhere → IKM 83.33 B
        core_.survey.submit(t["token"], answers, {"sex": "P"}, f"Saya {NAME}, HP {PHONE}", now=base + timedelta(days=1))
    with core_.db.write() as s:  # two completed KTP applications: 10 and 20 of 15 min
        ids = [s.execute(select(Ticket.id).where(Ticket.token == t["token"])).scalar_one() for t in tickets[:2]]
        for tid, minutes in zip(ids, (10, 20)):
            a = Application(
                office_id=core_.office_id,
                ticket_id=tid,
                service_code="ktp",
                applicant_name=NAME,
                nik=NIK,
                phone=PHONE,
                status="done",
                current_step=7,
                created_at=base,
                closed_at=base + timedelta(hours=3),
            )
            s.add(a)
            s.flush()
            s.add(
                StepLog(
                    application_id=a.id,
                    step_no=1,
                    role="petugas_pelayanan",
                    started_at=base,
                    ended_at=base + timedelta(minutes=minutes),
                    minutes=minutes,
                    standard_minutes=15,
                    outcome="DONE",
                    note=f"pemohon {NAME}",
                )
            )
    fig = transparency.figures(core_, first, last)
    assert (fig["ikm"], fig["grade"], fig["respondents"], fig["served"]) == (83.33, "B", 3, 3)
    assert (fig["wait_median_minutes"], fig["within_standard_pct"], fig["applications_done"]) == (10.0, 50.0, 2)

    html = client.get("/publik").text
    assert "83,33" in html and "Mutu B (Baik)" in html and "50 %" in html and "10 menit" in html
    for url in ("/publik", "/publik/kios", "/publik.json", "/publik?lang=en"):
        r = client.get(url)
        assert r.status_code == 200, url
        body = r.text
        for secret in (NAME, NIK, PHONE, "Budi Loket", "Pak Camat Rahasia", *(t["token"] for t in tickets)):
            assert secret not in body, (url, secret)
    for heading in (
        "Persyaratan",
        "Sistem, mekanisme dan prosedur",
        "Jangka waktu penyelesaian",
        "Biaya/tarif",
        "Produk pelayanan",
        "Penanganan pengaduan, saran dan masukan",
        "Maklumat Pelayanan",
    ):
        assert heading in html
    ktp = next(s for s in client.get("/publik.json").json["services"] if s["code"] == "ktp")
    assert ktp["persyaratan"][0] == "Fotokopi Kartu Keluarga (KK)" and ktp["jangka_waktu_minutes"] == 15
    assert ktp["biaya"] == "Gratis / tidak dipungut biaya" and "SP4N-LAPOR" in ktp["pengaduan"] and ktp["produk"]
    assert len(ktp["prosedur"]) == 7
    assert "Grade B (Good)" in client.get("/publik").text  # the ?lang=en choice is remembered
    kiosk = client.get("/publik/kios?lang=id").text
    assert 'data-href="/kiosk"' in kiosk and "publik.js" in kiosk and "<a " not in kiosk  # locked down: no links
    assert 'data-href="/publik/kios"' in client.get("/kiosk").text
