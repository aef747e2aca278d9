"""Report figures against a seeded day whose answers are worked out by hand below."""

from __future__ import annotations

import pytest

from antrean.kernel.errors import Forbidden, Invalid
from antrean.services.reports import percentile, stats
from tests.support.report_data import Clock, at, seed


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def seeded(core, counter, make_user, clock):
    return seed(core, counter, make_user, clock)


def test_percentile_is_linear_between_ranks():
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1, 4, 10, 18, 24], 0.5) == 10
    assert percentile([1, 4, 10, 18, 24], 0.9) == pytest.approx(21.6)
    assert percentile([2, 5, 6, 8], 0.5) == 5.5
    assert stats([8, 2, 6, 5]) == {"n": 4, "mean": 5.2, "median": 5.5, "p90": 7.4}  # 5.25 rounds to even
    assert stats([]) == {"n": 0, "mean": None, "median": None, "p90": None}


def test_summary_figures_match_the_hand_computed_day(seeded):
    core, boss, _ = seeded
    period = core.reports.period("2026-03-01", "2026-03-31")
    r = core.reports.summary(boss, period)
    assert r["period"]["label"] == "Maret 2026" and r["period"]["grain"] == "day"
    [ktp] = [s for s in r["services"] if s["service"] == "ktp"]
    assert (ktp["issued"], ktp["served"], ktp["no_show"], ktp["open"]) == (5, 4, 1, 0)
    assert ktp["wait_median_minutes"] == 10.0 and ktp["wait_p90_minutes"] == 21.6 and ktp["wait_mean_minutes"] == 11.4
    assert ktp["service_median_minutes"] == 5.5 and ktp["service_p90_minutes"] == 7.4
    assert (ktp["applications_done"], ktp["applications_returned"], ktp["within_standard"]) == (2, 2, 1)
    assert ktp["within_standard_pct"] == 50.0
    assert "kk" not in {s["service"] for s in r["services"]}  # April is outside the period
    assert r["totals"]["issued"] == 5 and r["totals"]["no_show_pct"] == 20.0
    # per hour of day (office time): 4 tickets at 08.00-08.59, 1 at 09.00-09.59
    assert [(h["hour"], h["issued"], h["wait_median_minutes"]) for h in r["hours"]] == [(8, 4, 14.0), (9, 1, 1.0)]
    # per counter and per staff member
    assert [(c["name"], c["served"], c["no_show"]) for c in r["counters"]] == [("Loket 1", 4, 1)]
    assert [(s["name"], s["served"], s["no_show"]) for s in r["staff"]] == [("Budi Loket", 4, 1)]
    # the day's trend row
    assert [(t["bucket"], t["issued"], t["applications_done"]) for t in r["trend"]] == [("2026-03-10", 5, 2)]
    # steps vs the Mutu Baku; the applicant's own steps (0 minutes) are not measured
    steps = {(s["service"], s["step"]): s for s in r["steps"]}
    assert steps[("ktp", 5)]["count"] == 2 and steps[("ktp", 5)]["mean_minutes"] == 7.0
    assert steps[("ktp", 5)]["within_pct"] == 50.0
    assert steps[("ktp", 3)]["count"] == 4 and steps[("ktp", 3)]["within_pct"] == 100.0
    assert steps[("ktp", 7)]["measured"] is False and steps[("ktp", 7)]["within_pct"] is None
    assert steps[("ktp", 1)]["count"] == 4 and steps[("ktp", 1)]["within"] is None
    assert (r["ikm"]["ikm"], r["ikm"]["grade"], r["ikm"]["respondents"]) == (87.5, "B", 2)
    assert (ktp["ikm"], ktp["ikm_respondents"]) == (87.5, 2)
    assert r["missing_documents"] == [
        {"document": "Surat pengantar RT/RW", "count": 2},
        {"document": "Fotokopi Kartu Keluarga (KK)", "count": 1},
    ]


def test_yearly_report_groups_by_month_and_the_api_rows(seeded):
    core, boss, _ = seeded
    r = core.reports.summary(boss, core.reports.year(2026))
    assert r["period"]["label"] == "Tahun 2026" and r["period"]["grain"] == "month"
    assert [(t["bucket"], t["label"], t["issued"]) for t in r["trend"]] == [
        ("2026-03", "Maret 2026", 5),
        ("2026-04", "April 2026", 1),
    ]
    rows = core.reports.service_rows(r)
    assert {
        "service",
        "issued",
        "served",
        "no_show",
        "wait_median_minutes",
        "service_median_minutes",
        "within_standard_pct",
    } <= set(rows[0])


def test_reports_are_for_report_roles_only(seeded):
    core, _, clerk = seeded
    with pytest.raises(Forbidden):
        core.reports.summary(clerk, core.reports.period("2026-03-01", "2026-03-31"))
    with pytest.raises(Forbidden):
        core.reports.live(clerk)


def test_bad_periods_are_refused_with_a_message(core):
    with pytest.raises(Invalid) as e:
        core.reports.period("2026-03-31", "2026-03-01")
    assert "sebelum" in e.value.message("id")
    with pytest.raises(Invalid):
        core.reports.period("2026-13-01", "2026-12-01")
    with pytest.raises(Invalid):
        core.reports.period("2020-01-01", "2026-01-01")


def test_live_board_counts_the_office_now(core, counter, make_user, clock):
    boss = make_user(core, "kasi", ["kasi_pelayanan", "petugas_pelayanan"], "Pak Kasi")
    clock(at(1, 0))
    first, _ = core.tickets.issue("ktp")
    clock(at(1, 5))
    core.tickets.issue("ktp")
    core.tickets.issue("kk")
    clock(at(1, 10))
    core.queue.call_next(counter["id"], boss, now=at(1, 10))
    # an application whose verification (5 min) has run 20 minutes: red for petugas_verifikasi
    clock(at(1, 0))
    a = core.workflow.open(boss, service_code="ktp", applicant_name="X")
    core.workflow.complete_step(a["id"], 2, boss, outcome="DONE", now=at(1, 2))
    live = core.reports.live(boss, now=at(1, 22))
    assert live["waiting_total"] == 2 and live["longest_wait_minutes"] == 17.0
    assert {w["service"]: w["count"] for w in live["waiting"]} == {"ktp": 1, "kk": 1}
    [c] = live["counters"]
    assert c["ticket"] == first["number"] and c["staff"] == "Pak Kasi"
    assert [(o["role"], o["red"]) for o in live["over_standard"]] == [("petugas_verifikasi", 1)]
    assert live["today"] == {"issued": 3, "served": 0, "no_show": 0}
