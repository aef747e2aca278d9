"""The NIK reveal in Chromium, under the app's real Content-Security-Policy: the page carries only the
masked NIK; "Tampilkan NIK" fetches the full one from the API (audited) and shows it in place.

Screenshots: screenshots/console-nik-masked.png, console-nik-reveal.png.
"""

from __future__ import annotations

import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser
NIK = "3201234507890001"


def test_reveal_nik_on_demand(live_server, make_user, strict_page):
    core, page, base = live_server.core, strict_page, live_server.url
    clerk = make_user(core, "budi", ["petugas_pelayanan"], "Budi Santoso")
    make_user(core, "rina", ["petugas_verifikasi"], "Rina Marlina")
    a = core.workflow.open(clerk, service_code="kk", applicant_name="Siti Aminah", nik=NIK, phone="081234567890")
    page.goto(base + "/console/masuk")
    page.fill("input[name=username]", "rina")
    page.fill("input[name=password]", "rahasia123")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/console/")
    page.goto(f"{base}/console/permohonan/{a['id']}")
    assert NIK not in page.content() and page.inner_text("#nik") == "3201********0001"
    screenshot(page, "console-nik-masked")
    page.click("form[data-reveal-nik] button")
    page.wait_for_selector(f"#nik:text-is('{NIK}')", timeout=10_000)
    assert page.url == f"{base}/console/permohonan/{a['id']}"  # no reload: the API answered in place
    assert page.locator("form[data-reveal-nik]").count() == 0
    screenshot(page, "console-nik-reveal")
    audit = core.audit_log(core.users.get(make_user(core, "admin", ["admin"]).id), action="application.reveal_nik")
    assert [(e["actor"], e["target_id"]) for e in audit["items"]] == [("rina", str(a["id"]))]


def test_users_page_of_an_office_admin(live_server, make_user, strict_page):
    """The regency admin's row offers no edit form to an office admin (screenshots/console-users-office-admin.png)."""
    from antrean.kernel.actors import SYSTEM

    core, page, base = live_server.core, strict_page, live_server.url
    make_user(core, "admin-kec", ["admin"], "Admin Kecamatan")
    core.users.create(SYSTEM, "bupati", "rahasia123", ["admin"], "Admin Kabupaten", offices=["*"])
    make_user(core, "budi", ["petugas_pelayanan"], "Budi Santoso")
    page.goto(base + "/console/masuk")
    page.fill("input[name=username]", "admin-kec")
    page.fill("input[name=password]", "rahasia123")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/console/")
    page.goto(base + "/console/admin/pengguna")
    regent = page.locator('tr[data-user="bupati"]')
    assert regent.locator("form").count() == 0 and "admin kabupaten" in regent.inner_text()
    assert page.locator('tr[data-user="budi"] details').count() == 1
    screenshot(page, "console-users-office-admin")
