"""Findings of the security review (hostile LAN client, curious clerk, office admin, citizen with a link).
Each test failed on main before its fix."""
from __future__ import annotations

from sqlalchemy import select

from antrean import devices
from antrean.models import Ticket
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
    assert client.get(f"/survei/loket/{counter['id']}.json", headers={"X-Device-Key": "ak_" + "x" * 40}).status_code == 403
    key = devices.add(core_, "tablet-loket-1")
    ok = client.get(f"/survei/loket/{counter['id']}.json", headers={"X-Device-Key": key})
    assert ok.status_code == 200 and ok.json["offer"]["token"] == t["token"]
