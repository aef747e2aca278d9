"""The SKM survey (core, no Flask): the IKM formula against hand-computed cases, one response per served
ticket (also under concurrency), refusals, settings validation, per-service/per-month aggregates."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from antrean.kernel.actors import Actor
from antrean.kernel.errors import Conflict, Forbidden, Invalid, NotFound
from antrean.kernel.models import AuditLog, SurveyAnswer, SurveyResponse
from antrean.services.survey import DEFAULT_ELEMENTS, compute_ikm, grade, period_bounds, validate_config

NINE = [e["code"] for e in DEFAULT_ELEMENTS]
SYSTEM_ADMIN = Actor(None, "test-admin", frozenset({"admin"}))
EQUAL = {"elements": DEFAULT_ELEMENTS, "weight_mode": "equal"}
PRINTED = {"elements": DEFAULT_ELEMENTS, "weight_mode": "regulation"}


def uniform(total_per_element: list[int], n: int) -> dict:
    return {c: (t, n) for c, t in zip(NINE, total_per_element)}


# -- the formula ------------------------------------------------------------------------
def test_all_four_is_100_with_one_ninth_and_99_90_with_the_printed_0_111():
    stats = uniform([4 * 10] * 9, 10)
    r = compute_ikm(stats, EQUAL, 10)
    assert (r["ikm"], r["grade"], r["kinerja"]) == (100.0, "A", "Sangat baik")
    assert r["weight"] == pytest.approx(1 / 9) and r["weight_mode"] == "equal"
    assert "1/9" in r["weight_label"]
    p = compute_ikm(stats, PRINTED, 10)
    assert (p["ikm"], p["grade"], p["weight"]) == (99.9, "A", 0.111)
    assert "0,111 per unsur" in p["weight_label"]
    from antrean.services.survey import weight_text

    assert weight_text(PRINTED).render("en").startswith("weight 0.111 per element")  # pages: the page's language


def test_all_three_is_75_grade_c():
    r = compute_ikm(uniform([3 * 7] * 9, 7), EQUAL, 7)
    assert (r["ikm"], r["grade"], r["kinerja"]) == (75.0, "C", "Kurang baik")
    assert [e["nrr"] for e in r["elements"]] == [3.0] * 9


@pytest.mark.parametrize(
    "total,expected,letter",
    [
        # 278 respondents × 9 elements = 2502 answers; IKM = 25 × total / 2502 (equal weights), by hand:
        (6504, "64.99", "D"),  # 25 × 6504 / 2502 = 64.988…  → 64.99
        (6505, "65.00", "C"),  # 64.998… → 65.00
        (7666, "76.60", "C"),  # 76.598… → 76.60
        (7667, "76.61", "B"),  # 76.608… → 76.61
        (8837, "88.30", "B"),  # 88.299… → 88.30
        (8838, "88.31", "A"),  # 88.309… → 88.31
    ],
)
def test_band_edges_on_the_ikm_rounded_to_two_decimals(total, expected, letter):
    n = 278
    per = [total // 9] * 9
    per[0] += total - sum(per)  # the spread over elements does not matter with equal weights
    r = compute_ikm(uniform(per, n), EQUAL, n)
    assert Decimal(str(r["ikm"])) == Decimal(expected)
    assert r["grade"] == letter


def test_grade_function_on_the_exact_edges_and_the_gaps():
    assert [grade(x)[0] for x in (25, 64.99, 65.0, 76.6, 76.61, 88.3, 88.31, 100)] == [
        "D",
        "D",
        "C",
        "C",
        "B",
        "B",
        "A",
        "A",
    ]
    assert grade(Decimal("76.605"))[0] == "B"  # in the gap between bands: rounded half up first
    assert grade(Decimal("64.994"))[0] == "D"
    assert grade(None) is None


def test_custom_weights_and_an_element_nobody_answered():
    cfg = validate_config(
        {"elements": DEFAULT_ELEMENTS[:2], "weight_mode": "custom", "weights": {"U1": 0.75, "U2": 0.25}}
    )
    r = compute_ikm({"U1": (8, 2), "U2": (4, 2)}, cfg, 2)  # NRR 4 and 2 → 25 × (3 + 0.5) = 87.5
    assert (r["ikm"], r["grade"], r["weight"]) == (87.5, "B", None)
    assert r["weakest"][0] == "U2"
    only_u1 = compute_ikm({"U1": (8, 2)}, cfg, 2)  # U2 unanswered: U1 carries the whole weight
    assert only_u1["ikm"] == 100.0 and only_u1["elements"][1]["nrr"] is None
    assert compute_ikm({}, EQUAL, 0)["ikm"] is None


def test_settings_validation():
    with pytest.raises(Invalid, match="sum to 1"):
        validate_config({"elements": DEFAULT_ELEMENTS[:2], "weight_mode": "custom", "weights": {"U1": 0.5, "U2": 0.4}})
    with pytest.raises(Invalid, match="four answers"):
        validate_config({"elements": [DEFAULT_ELEMENTS[0] | {"answers": ["a", "b", "c"]}]})
    with pytest.raises(Invalid, match="repeated"):
        validate_config({"elements": [DEFAULT_ELEMENTS[0], DEFAULT_ELEMENTS[0]]})
    with pytest.raises(Invalid):
        validate_config({"weight_mode": "guess"})
    cfg = validate_config({})
    assert [e["code"] for e in cfg["elements"]] == NINE
    assert cfg["elements"][2]["answers"] == ["Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"]
    assert cfg["elements"][3]["answers"] == ["Sangat mahal", "Cukup mahal", "Murah", "Gratis"]


def test_period_bounds():
    assert period_bounds("2026") == (date(2026, 1, 1), date(2026, 12, 31))
    assert period_bounds("2026-S2") == (date(2026, 7, 1), date(2026, 12, 31))
    assert period_bounds("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    with pytest.raises(Invalid):
        period_bounds("2026-13")


# -- answering ------------------------------------------------------------------------------
@pytest.fixture
def clerk(core, make_user):
    return make_user(core, "clerk", ["petugas_pelayanan"])


def serve(core, counter, clerk, service="ktp", *, start=True) -> str:
    """Issue, call, start and finish a ticket; returns its status token. ``start=False``: called and closed
    by the next "call next" without a start (outcome no_show: finishing is refused before a start)."""
    token = core.tickets.issue(service)[0]["token"]
    core.queue.call_next(counter["id"], clerk)
    if start:
        core.queue.start(counter["id"], clerk)
        core.queue.finish(counter["id"], clerk)
    else:
        core.queue.call_next(counter["id"], clerk)
    return token


def test_a_served_ticket_answers_once_and_nothing_personal_is_stored(core, counter, clerk):
    token = serve(core, counter, clerk)
    assert core.survey.status(token)["state"] == "open"
    out = core.survey.submit(
        token,
        [4, 3, 4, 2, 3, 4, 4, 1, 3],
        {"sex": "P", "age": 34, "education": "sma", "occupation": "wirausaha"},
        "  Ruang tunggu panas  ",
        channel="phone",
    )
    assert out["service"] == "ktp"
    assert core.survey.status(token)["state"] == "answered"
    with pytest.raises(Conflict) as exc:
        core.survey.submit(token, [4] * 9)
    assert exc.value.status == 409 and "sudah diisi" in exc.value.message("id")
    with core.db.read() as s:
        r = s.execute(select(SurveyResponse)).scalar_one()
        assert (r.sex, r.age_group, r.education, r.occupation, r.suggestion, r.channel) == (
            "P",
            "30_39",
            "sma",
            "wirausaha",
            "Ruang tunggu panas",
            "phone",
        )
        cols = set(SurveyResponse.__table__.columns.keys())
        assert not cols & {"name", "nik", "phone", "applicant_name"}
        assert [a.value for a in s.execute(select(SurveyAnswer).order_by(SurveyAnswer.element)).scalars()] == [
            4,
            3,
            4,
            2,
            3,
            4,
            4,
            1,
            3,
        ]


def test_unserved_unknown_and_bad_answers_are_refused(core, counter, clerk):
    waiting = core.tickets.issue("ktp")[0]["token"]
    with pytest.raises(Conflict) as exc:
        core.survey.submit(waiting, [4] * 9)
    assert exc.value.code == "not_served" and "setelah Anda selesai dilayani" in exc.value.message("id")
    assert core.survey.status(waiting)["state"] == "not_served"
    skipped = core.tickets.issue("kk")[0]["token"]
    core.queue.call_next(counter["id"], clerk)
    core.queue.skip(counter["id"], clerk)  # a no-show was never served
    with pytest.raises(Conflict):
        core.survey.submit(skipped, [4] * 9)
    with pytest.raises(NotFound):
        core.survey.submit("x" * 20, [4] * 9)
    with pytest.raises(NotFound):
        core.survey.submit("../etc", [4] * 9)
    served = serve(core, counter, clerk)
    for bad in ([4] * 8, [4] * 10, [5] + [4] * 8, [0] + [4] * 8, [True] + [4] * 8, ["4"] * 9, None, "4444"):
        with pytest.raises(Invalid):
            core.survey.submit(served, bad)
    for prof in ({"sex": "X"}, {"age": 5}, {"name": "Budi"}, "L"):
        with pytest.raises(Invalid):
            core.survey.submit(served, [4] * 9, prof)
    with core.db.read() as s:
        assert s.execute(select(SurveyResponse)).first() is None


def test_a_completed_application_opens_the_survey(core, counter, clerk):
    token = serve(core, counter, clerk, start=False)  # closed without "start": not served by itself
    assert core.survey.status(token)["state"] == "not_served"
    from antrean.kernel.models import Application, Ticket

    with core.db.write() as s:
        t = s.execute(select(Ticket).where(Ticket.token == token)).scalar_one()
        s.add(Application(office_id=core.office_id, ticket_id=t.id, service_code="ktp", status="done", current_step=1))
    assert core.survey.status(token)["state"] == "open"


def test_one_response_per_ticket_under_concurrency(core, counter, clerk):
    token = serve(core, counter, clerk)
    barrier = threading.Barrier(8)
    results: list[str] = []

    def go():
        barrier.wait()
        try:
            core.survey.submit(token, [3] * 9)
            results.append("ok")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict"] * 7 + ["ok"]
    with core.db.read() as s:
        assert len(s.execute(select(SurveyResponse)).all()) == 1
        assert len(s.execute(select(SurveyAnswer)).all()) == 9


def test_ikm_per_period_service_and_month(core, counter, clerk):
    t1, t2, t3 = (
        serve(core, counter, clerk, "ktp"),
        serve(core, counter, clerk, "ktp"),
        serve(core, counter, clerk, "kk"),
    )
    core.survey.submit(t1, [4] * 9, now=datetime(2026, 3, 10, 3))
    core.survey.submit(t2, [2] * 9, now=datetime(2026, 3, 20, 3))
    core.survey.submit(t3, [3] * 9, now=datetime(2026, 8, 1, 3))
    year = core.survey.ikm(date(2026, 1, 1), date(2026, 12, 31))
    assert (year["ikm"], year["grade"], year["respondents"]) == (75.0, "C", 3)  # NRR 3 everywhere
    assert year["elements"][0] == {
        "code": "U1",
        "name": "Persyaratan",
        "name_en": "Requirements",
        "nrr": 3.0,
        "respondents": 3,
        "weight": pytest.approx(1 / 9),
    }
    march = core.survey.ikm(date(2026, 3, 1), date(2026, 3, 31))
    assert (march["ikm"], march["respondents"]) == (75.0, 2)
    assert core.survey.ikm(date(2026, 3, 1), date(2026, 3, 31), service="kk")["respondents"] == 0
    kk = core.survey.ikm(date(2026, 1, 1), date(2026, 12, 31), service="kk")
    assert (kk["ikm"], kk["respondents"]) == (75.0, 1)
    by_service = {
        r["service"]: (r["ikm"], r["respondents"])
        for r in core.survey.ikm_by_service(date(2026, 1, 1), date(2026, 12, 31))
    }
    assert by_service == {"kk": (75.0, 1), "ktp": (75.0, 2)}
    months = core.survey.ikm_by_month(2026)
    assert [m["month"] for m in months][:3] == ["2026-01", "2026-02", "2026-03"]
    assert (months[2]["ikm"], months[2]["respondents"], months[7]["ikm"], months[0]["ikm"]) == (75.0, 2, 75.0, None)
    # the day is the office's local date: 2026-03-31 17:30 UTC is 1 April in Jakarta
    t4 = serve(core, counter, clerk, "ktp")
    core.survey.submit(t4, [1] * 9, now=datetime(2026, 3, 31, 17, 30))
    assert core.survey.ikm(date(2026, 4, 1), date(2026, 4, 1))["respondents"] == 1


def test_weights_setting_changes_the_reported_weight(core, counter, clerk, admin):
    core.survey.submit(serve(core, counter, clerk), [4] * 9)
    today = date.today()
    span = (today - timedelta(days=2), today + timedelta(days=2))
    assert core.survey.ikm(*span)["ikm"] == 100.0
    core.survey.set_config(admin, {"weight_mode": "regulation"})
    r = core.survey.ikm(*span)
    assert (r["ikm"], r["weight"], r["weight_mode"]) == (99.9, 0.111, "regulation")
    with pytest.raises(Forbidden):
        core.survey.set_config(clerk, {})
    with core.db.read() as s:
        assert s.execute(select(AuditLog).where(AuditLog.action == "setting.update")).scalars().first() is not None


def test_followup_plan_is_stored_per_period_and_audited(core, make_user, clerk):
    camat = make_user(core, "camat", ["camat"])
    core.survey.set_followup(camat, "2026-S2", "U9", "Menambah kursi ruang tunggu")
    core.survey.set_followup(camat, "2026-S2", "U9", "Menambah kursi dan kipas angin")
    assert core.survey.followups("2026-S2")["U9"]["plan"] == "Menambah kursi dan kipas angin"
    assert core.survey.followups("2026-S1") == {}
    with pytest.raises(Forbidden):
        core.survey.set_followup(clerk, "2026-S2", "U9", "x")
    with pytest.raises(Invalid):
        core.survey.set_followup(camat, "2026-S2", "U99", "x")
    with core.db.read() as s:
        rows = s.execute(select(AuditLog).where(AuditLog.action == "survey.followup")).scalars().all()
    assert [r.detail["old"] for r in rows] == [None, "Menambah kursi ruang tunggu"]


def test_offer_to_the_counter_tablet(core, counter, clerk):
    token = serve(core, counter, clerk)
    from antrean.kernel.models import Ticket

    with core.db.read() as s:
        tid = s.execute(select(Ticket.id).where(Ticket.token == token)).scalar_one()
    assert core.survey.offered(counter["id"]) is None
    core.survey.offer(counter["id"], tid, clerk)
    assert core.survey.offered(counter["id"])["token"] == token
    core.survey.submit(token, [4] * 9, channel="tablet")
    assert core.survey.offered(counter["id"]) is None  # answered: the tablet waits again
    with pytest.raises(Conflict):
        core.survey.offer(counter["id"], tid, clerk)


def test_a_submitted_survey_publishes_an_event_without_the_ticket_or_answers(settings_dict, migrated_sqlite, make_user):
    from antrean.core import Antrean
    from plugins import BUILTIN_SOP_MODULES
    from tests.unit.test_events import Sink

    sink = Sink()
    c = Antrean(settings_dict, plugins=(sink,), builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
    c.migrate()
    try:
        counter = c.queue.save_counter(SYSTEM_ADMIN, name="Loket 1", number=1, services=list(c.sops))
        token = serve(c, counter, make_user(c, "clerk", ["petugas_pelayanan"]))
        sink.events.clear()
        c.survey.submit(token, [4] * 9, {"sex": "L"}, "bagus", channel="phone")
        [ev] = [e for e in sink.events if e.type == "survey.submitted"]
        assert ev.actor == "survei:phone"
        assert {k: v for k, v in ev.data.items() if not k.startswith("_")} == {"service": "ktp", "channel": "phone"}
        with pytest.raises(Conflict):
            c.survey.submit(token, [4] * 9)
        assert [e.type for e in sink.events].count("survey.submitted") == 1  # the refused one published nothing
    finally:
        c.close()
