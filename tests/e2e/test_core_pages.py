"""The core's own pages in a real browser: landing page and plugin introspection."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser


def test_landing_page_links_every_face_and_loads_nothing_from_elsewhere(live_server, page):
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Kantor Kecamatan Uji"
    labels = page.locator(".faces a strong").all_inner_texts()
    assert labels == ["Kios antrean", "Papan antrean", "Konsol petugas"]
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith('"Noto Sans"')
    screenshot(page, "core-index")
    for href in page.locator(".faces a").evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        resp = page.request.get(live_server.url + href)
        assert resp.status == 200, href
    assert {urlparse(u).netloc for u in requested} == {urlparse(live_server.url).netloc}
    assert errors == []


def test_plugins_page_lists_the_twenty_sops(live_server, page):
    page.goto(live_server.url + "/-/plugins")
    rows = page.locator("tbody tr")
    text = " ".join(rows.all_inner_texts())
    assert "plugins.ektp" in text and "plugins.pengaduan" in text and "register_sops" in text
    sop_cells = rows.locator("td:nth-child(4)").all_inner_texts()
    assert sum(1 for c in sop_cells if c.strip()) == 20
    screenshot(page, "core-plugins")
