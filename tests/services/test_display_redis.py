"""Two server processes on PostgreSQL + Redis: a call made through one reaches boards on the other."""

from __future__ import annotations

from antrean.core import Antrean
from tests.e2e.test_display_socket import api, boards, prepare  # noqa: F401 (boards is a fixture)


def test_call_reaches_a_board_on_the_other_process(server_process, pg_url, redis_url, boards, admin, tmp_path):
    env = {"ANTREAN_DATABASE_URL": pg_url, "ANTREAN_REDIS_URL": redis_url}
    a = server_process(env)
    b = server_process(env)
    core = Antrean({"instance_path": str(tmp_path / "setup"), "database_url": pg_url, "start_workers": False})
    cid = prepare(core, admin)
    for _ in range(2):
        core.tickets.issue("kk")
    core.close()

    on_a = boards(a.url)
    on_a_kk = boards(a.url, services="kk")
    on_a_other = boards(a.url, services="ktp")
    on_b = boards(b.url)
    for board in (on_a, on_a_kk, on_a_other, on_b):
        assert board.next("state")["seq"] == 0

    token = api(b.url, "/api/v1/auth/token", {"username": "petugas", "password": "rahasia123"})["token"]
    call = api(b.url, f"/api/v1/counters/{cid}/call-next", token=token)["call"]
    for board in (on_a, on_a_kk, on_b):
        got = board.next("called")
        assert (got["seq"], got["number"], got["counter"]["number"]) == (call["seq"], "C001", 2)
    # a board for another service gets only the seq tick, through Redis too
    seen = on_a_other.until("tick")
    assert seen[-1] == ("tick", {"seq": call["seq"], "waiting": {"kk": 1}})
    assert "called" not in [name for name, _ in seen]
    # and the audio for it is served by the process that did not make the call
    import urllib.request

    with urllib.request.urlopen(a.url + got["audio"], timeout=10) as r:
        assert r.status == 200 and r.read(4) == b"RIFF"
