"""Security in Chromium: the pages work under their Content-Security-Policy (no violation, live updates over
the same-origin websocket, print and filter buttons without inline handlers) and the console cannot be framed."""

from __future__ import annotations

import pytest

from tests.e2e.test_console_browser import TIMEOUT, _login, office  # noqa: F401  (office is a fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def boss(office, make_user):
    core, counter, _ = office
    return core, counter, make_user(core, "boss", ["admin", "petugas_pelayanan", "petugas_verifikasi"], "Kepala")


def _watch_csp(page) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy: ' + e.violatedDirective + ' ' + e.blockedURI));"
        "window.__printed = 0; window.print = () => { window.__printed += 1; };"
    )
    return violations


def test_console_and_board_work_under_the_csp(live_server, boss, strict_page):
    page = strict_page
    core, counter, boss = boss
    base = live_server.url
    violations = _watch_csp(page)
    _login(page, base, "boss")

    page.goto(f"{base}/console/loket/{counter['id']}")
    page.wait_for_selector("#live.on", timeout=TIMEOUT)  # Socket.IO over the same-origin websocket
    core.tickets.issue("kk")
    page.click("button[data-action=call-next]")
    page.wait_for_selector(".flash.ok", timeout=TIMEOUT)

    a = core.workflow.open(boss, service_code="kk", applicant_name="Joko", nik="3201234507890001")
    core.workflow.complete_step(a["id"], 2, boss, outcome="DONE")
    page.goto(base + "/console/kerja")
    page.select_option("select[name=layanan]", "kk")  # submits the filter without an inline onchange
    page.wait_for_url("**/console/kerja?layanan=kk", timeout=TIMEOUT)

    page.goto(base + "/console/laporan")
    page.click("button[data-print]")
    assert page.evaluate("window.__printed") == 1

    core.workflow.complete_step(a["id"], 3, boss, outcome="TMS", note="kurang")
    page.goto(f"{base}/console/permohonan/{a['id']}/slip")
    page.click("button[data-print]")
    assert page.evaluate("window.__printed") == 1

    page.goto(base + "/display")
    page.wait_for_selector("body[data-connection=up]", timeout=15_000)
    assert violations == []


def test_console_refuses_to_be_framed(live_server, page):
    base = live_server.url
    page.goto(base + "/display/state.json")  # any same-origin document to host the frame
    # set_content returns after the document's load event, which waits for the frame's navigation: no sleep needed
    page.set_content(f'<iframe id="f" src="{base}/console/masuk"></iframe>')
    assert [f.url for f in page.frames[1:]] == ["chrome-error://chromewebdata/"]  # Chromium's page for a refused frame
    frame = page.frame_locator("#f")
    assert frame.locator("input[name=username]").count() == 0
