"""A real server and a python-socketio client on /display: snapshot, order, restart."""

from __future__ import annotations

import json
import queue
import urllib.request

import pytest
import socketio

from antrean.core import Antrean
from antrean.kernel.actors import SYSTEM
from tests.conftest import seed_schema

NS = "/display"


class Board:
    """A python-socketio client that records what a board receives."""

    def __init__(self, url: str, **auth):
        self.events: queue.Queue = queue.Queue()
        self.sio = socketio.Client(
            reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1, randomization_factor=0
        )
        for name in ("state", "called", "tick", "waiting", "counters"):
            self.sio.on(name, lambda data, _n=name: self.events.put((_n, data)), namespace=NS)

        def refresh(data):  # what board.js does: the configuration changed, ask for a fresh state
            self.events.put(("refresh", data))
            self.sio.emit("snapshot", namespace=NS)

        self.sio.on("refresh", refresh, namespace=NS)
        self.sio.on("disconnect", lambda *a: self.events.put(("disconnect", None)), namespace=NS)
        self.sio.connect(url, namespaces=[NS], transports=["websocket"], auth=auth or None, wait_timeout=10)

    def until(self, name: str, timeout: float = 10.0) -> list[tuple[str, dict]]:
        """Events received up to and including the next one called ``name``."""
        seen = []
        while True:
            seen.append(self.events.get(timeout=timeout))
            if seen[-1][0] == name:
                return seen

    def next(self, name: str, timeout: float = 10.0):
        """The next event called ``name`` (others before it are dropped)."""
        return self.until(name, timeout)[-1][1]

    def close(self):
        self.sio.disconnect()


@pytest.fixture
def boards():
    made = []

    def make(url, **auth):
        b = Board(url, **auth)
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()


def api(url: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    req = urllib.request.Request(
        url + path,
        data=json.dumps(body or {}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def prepare(core: Antrean, admin) -> int:
    """A counter calling KK and a clerk 'petugas'; returns the counter id."""
    c = core.queue.save_counter(admin, name="Loket 2", number=2, services=["kk"])
    core.users.create(SYSTEM, "petugas", "rahasia123", ["petugas_pelayanan"], "Petugas")
    return c["id"]


def test_snapshot_then_calls_in_order(live_server, boards, admin, make_user):
    core = live_server.core
    cid = core.queue.save_counter(admin, name="Loket 2", number=2, services=["kk"])["id"]
    clerk = make_user(core, "petugas", ["petugas_pelayanan"])
    for _ in range(6):
        core.tickets.issue("kk")
    first = core.queue.call_next(cid, clerk)
    board = boards(live_server.url)
    state = board.next("state")
    assert state["seq"] == first["seq"] and state["calls"][0]["number"] == "C001"
    seqs = [core.queue.call_next(cid, clerk)["seq"] for _ in range(5)]
    got = [board.next("called") for _ in range(5)]
    assert [c["seq"] for c in got] == seqs
    assert all(a < b for a, b in zip(seqs, seqs[1:]))
    assert [c["number"] for c in got] == ["C002", "C003", "C004", "C005", "C006"]
    # the board can ask again at any time
    board.sio.emit("snapshot", namespace=NS)
    assert board.next("state")["seq"] == seqs[-1]


def test_restart_loses_nothing(server_process, tmp_path, boards, admin, schema_template):
    inst = tmp_path / "inst"
    inst.mkdir()
    seed_schema({"instance_path": str(inst)}, schema_template)  # a copy of the migrated template
    core = Antrean({"instance_path": str(inst), "start_workers": False})
    core.migrate()
    cid = prepare(core, admin)
    for _ in range(3):
        core.tickets.issue("kk")
    core.close()

    server = server_process(instance=inst)
    token = api(server.url, "/api/v1/auth/token", {"username": "petugas", "password": "rahasia123"})["token"]
    board = boards(server.url)
    assert board.next("state")["seq"] == 0
    call = api(server.url, f"/api/v1/counters/{cid}/call-next", token=token)["call"]
    got = board.next("called")
    assert (got["seq"], got["number"]) == (call["seq"], "C001")

    server.stop()
    board.next("disconnect", timeout=15)
    server.start()
    state = board.next("state", timeout=30)  # the client reconnected by itself and got a fresh snapshot
    assert state["seq"] == call["seq"]
    assert state["calls"][0]["number"] == "C001"
    assert {c["counter"]["number"]: c["number"] for c in state["counters"]} == {2: "C001"}
    assert {w["service"]: w["waiting"] for w in state["waiting"]}["kk"] == 2

    after = api(server.url, f"/api/v1/counters/{cid}/call-next", token=token)["call"]
    got = board.next("called")
    assert got["seq"] == after["seq"] > call["seq"] and got["number"] == "C002"


def test_a_connected_board_follows_configuration_changes_without_reload(live_server, boards, admin):
    """Running text, a new loket, the office name: a board connected before the change shows it within 1 s."""
    import time

    core = live_server.core
    board = boards(live_server.url)
    first = board.next("state")
    assert first["running_text"] == "" and first["counters"] == []

    started = time.monotonic()
    core.set_setting("running_text", "Layanan gratis, tanpa pungutan.", admin)
    state = board.next("state", timeout=1.0)
    assert state["running_text"] == "Layanan gratis, tanpa pungutan."
    assert time.monotonic() - started < 1.0

    core.queue.save_counter(admin, name="Loket Baru", number=7, services=["kk"])
    state = board.next("state", timeout=1.0)
    assert [(c["counter"]["number"], c["counter"]["name"]) for c in state["counters"]] == [(7, "Loket Baru")]

    core.update_office(admin, name="Kantor Kecamatan Sukamaju")
    assert board.next("state", timeout=1.0)["office"]["name"] == "Kantor Kecamatan Sukamaju"

    core.update_service("kk", admin, daily_quota=50)
    assert board.next("refresh", timeout=1.0) is not None


def test_a_cancelled_ticket_leaves_the_boards_waiting_count(live_server, boards, admin, make_user):
    core = live_server.core
    clerk = make_user(core, "petugas", ["petugas_pelayanan"])
    a, _ = core.tickets.issue("kk")
    core.tickets.issue("kk")
    board = boards(live_server.url)
    assert {w["service"]: w["waiting"] for w in board.next("state")["waiting"]}["kk"] == 2
    core.queue.cancel(a["id"], "Tiket ganda", clerk)
    import time

    deadline = time.monotonic() + 2.0  # the issuing broadcast (count 2) may still be on its way first
    while board.next("waiting", timeout=max(0.01, deadline - time.monotonic()))["counts"]["kk"] != 1:
        pass
