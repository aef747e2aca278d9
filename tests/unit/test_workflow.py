"""Applications carried through their SOP: roles, TMS, agenda numbers, step calls (core, no Flask)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from antrean.kernel.errors import Conflict, Forbidden, Invalid
from antrean.kernel.models import Application, AuditLog
from antrean.kernel.timeutil import utcnow
from antrean.services.workflow import format_agenda, mask_nik, sla_state, validate_nik

NIK = "3201011501900001"


@pytest.fixture
def staff(core, make_user):
    """One user per staff role, keyed by role."""
    from antrean.kernel.sop import STAFF_ROLES

    return {r: make_user(core, r.replace("_", "-"), [r]) for r in STAFF_ROLES if r != "admin"}


def open_app(core, staff, counter, service="ktp"):
    core.tickets.issue(service)
    call = core.queue.call_next(counter["id"], staff["petugas_pelayanan"])
    front = core.effective_role(core.sops[service], "pemohon", {})
    return core.workflow.open(staff[front], ticket_id=call["ticket_id"], applicant_name="Budi Santoso", nik=NIK)


def test_full_template_r_path_with_agenda_and_collection_call(core, staff, counter):
    app = open_app(core, staff, counter)
    assert app["current_step"]["no"] == 2 and app["timeline"][0]["step"] == 1
    steps = core.sops["ktp"].steps
    calls_before = core.queue.snapshot()["seq"]
    for st in steps[1:]:
        outcome = "MS" if st.tms else "DONE"
        app = core.workflow.complete_step(
            app["id"],
            st.no,
            staff[st.role if st.role != "pemohon" else "petugas_pelayanan"],
            outcome=outcome,
            note=f"langkah {st.no}",
            counter_id=counter["id"],
        )
        if st.kind == "register":
            assert app["agenda_number"].startswith("0001/KTP/Kec/")
    assert app["status"] == "done"
    assert [t["step"] for t in app["timeline"]] == [s.no for s in steps]
    assert [t["outcome"] for t in app["timeline"]][2] == "MS"
    assert all(t["standard_minutes"] == s.minutes for t, s in zip(app["timeline"], steps))
    # step 7 (collect, applicant present) called the ticket back to the counter
    assert core.queue.snapshot()["seq"] == calls_before + 1
    assert core.tickets.get(app["ticket_id"])["status"] == "done"


def test_wrong_role_gets_forbidden_and_changes_nothing(core, staff, counter):
    app = open_app(core, staff, counter)
    core.workflow.complete_step(app["id"], 2, staff["petugas_pelayanan"], outcome="DONE")
    with pytest.raises(Forbidden) as exc:
        core.workflow.complete_step(app["id"], 3, staff["petugas_register"], outcome="MS")
    assert "Petugas Verifikasi" in exc.value.message("id")
    again = core.workflow.get(app["id"])
    assert again["current_step"]["no"] == 3 and len(again["timeline"]) == 2


def test_role_mapping_is_office_configuration(core, staff, counter, admin):
    core.update_service("ktp", admin, role_map={"petugas_verifikasi": "petugas_pelayanan"})
    app = open_app(core, staff, counter)
    core.workflow.complete_step(app["id"], 2, staff["petugas_pelayanan"], outcome="DONE")
    app = core.workflow.complete_step(app["id"], 3, staff["petugas_pelayanan"], outcome="MS")
    assert app["current_step"]["no"] == 4
    assert app["timeline"][2]["role"] == "petugas_pelayanan"


def test_tms_returns_the_file_with_missing_documents(core, staff, counter):
    app = open_app(core, staff, counter)
    core.workflow.complete_step(app["id"], 2, staff["petugas_pelayanan"], outcome="DONE")
    checklist = core.service("ktp")["documents"]
    with pytest.raises(Invalid):
        core.workflow.complete_step(app["id"], 3, staff["petugas_verifikasi"], outcome="TMS")  # no reason
    with pytest.raises(Invalid):
        core.workflow.complete_step(
            app["id"], 3, staff["petugas_verifikasi"], outcome="TMS", missing_documents=["Surat dari bulan"]
        )  # not in checklist
    app = core.workflow.complete_step(
        app["id"],
        3,
        staff["petugas_verifikasi"],
        outcome="TMS",
        missing_documents=[checklist[0]],
        note="Fotokopi belum dibawa",
    )
    assert app["status"] == "returned" and app["missing_documents"] == [checklist[0]]
    assert app["tms_reason"] == "Fotokopi belum dibawa" and app["current_step"] is None
    with pytest.raises(Conflict) as exc:
        core.workflow.complete_step(app["id"], 4, staff["petugas_register"], outcome="DONE")
    assert exc.value.code == "closed"


def test_tms_only_where_the_sop_has_a_tms_branch(core, staff, counter):
    app = open_app(core, staff, counter)
    with pytest.raises(Invalid):
        core.workflow.complete_step(app["id"], 2, staff["petugas_pelayanan"], outcome="TMS", note="x")


def test_steps_in_order_only(core, staff, counter):
    app = open_app(core, staff, counter)
    with pytest.raises(Conflict) as exc:
        core.workflow.complete_step(app["id"], 3, staff["petugas_verifikasi"], outcome="MS")
    assert exc.value.code == "wrong_step" and exc.value.extra["current_step"] == 2


def test_minutes_are_measured_against_the_standard(core, staff, counter):
    app = open_app(core, staff, counter)
    t0 = utcnow()
    core.workflow.complete_step(app["id"], 2, staff["petugas_pelayanan"], outcome="DONE", now=t0)
    app = core.workflow.complete_step(
        app["id"], 3, staff["petugas_verifikasi"], outcome="MS", now=t0 + timedelta(minutes=9)
    )
    log = app["timeline"][2]
    assert log["minutes"] == 9.0 and log["standard_minutes"] == 5 and log["over_standard"]


def test_ektp_recording_step_calls_the_applicant_back(core, staff, counter):
    app = open_app(core, staff, counter, service="ektp")
    seq = core.queue.snapshot()["seq"]
    for no, role, outcome in (
        (2, "petugas_pelayanan", "DONE"),
        (3, "petugas_verifikasi", "MS"),
        (4, "petugas_register", "DONE"),
    ):
        core.workflow.complete_step(app["id"], no, staff[role], outcome=outcome, counter_id=counter["id"])
    assert core.queue.snapshot()["seq"] == seq
    core.workflow.complete_step(app["id"], 5, staff["kasi_pelayanan"], outcome="DONE", counter_id=counter["id"])
    snap = core.queue.snapshot()
    assert snap["seq"] == seq + 1 and snap["calls"][0]["kind"] == "step"  # step 6: recording, applicant present


def test_open_validates_applicant_data(core, staff, counter):
    core.tickets.issue("ktp")
    call = core.queue.call_next(counter["id"], staff["petugas_pelayanan"])
    for kwargs in (
        {"applicant_name": ""},
        {"applicant_name": "A", "nik": "123"},
        {"applicant_name": "A", "nik": "3201019913900001"},
        {"applicant_name": "A", "phone": "12ab"},
    ):
        with pytest.raises(Invalid):
            core.workflow.open(staff["petugas_pelayanan"], ticket_id=call["ticket_id"], **kwargs)
    with pytest.raises(Forbidden):
        core.workflow.open(staff["camat"], ticket_id=call["ticket_id"], applicant_name="Budi")
    core.workflow.open(staff["petugas_pelayanan"], ticket_id=call["ticket_id"], applicant_name="Budi")
    with pytest.raises(Conflict):
        core.workflow.open(staff["petugas_pelayanan"], ticket_id=call["ticket_id"], applicant_name="Budi")


def test_nik_rules():
    assert validate_nik("3201011501900001") == "3201011501900001"
    assert validate_nik("3201 0155 0190 0001".replace(" ", "")) == "3201015501900001"  # women: day + 40
    for bad in ("320101150190000", "32010115019000011", "3201013201900001", "3201011513900001", "abcdefghijklmnop"):
        with pytest.raises(Invalid):
            validate_nik(bad)
    assert mask_nik("3201011501900001") == "3201********0001"


def test_worklist_shows_only_steps_the_role_may_do(core, staff, counter):
    app = open_app(core, staff, counter)
    assert [w["id"] for w in core.workflow.worklist(staff["petugas_pelayanan"])] == [app["id"]]
    assert core.workflow.worklist(staff["petugas_verifikasi"]) == []
    core.workflow.complete_step(app["id"], 2, staff["petugas_pelayanan"], outcome="DONE")
    items = core.workflow.worklist(staff["petugas_verifikasi"])
    assert [(w["id"], w["step"], w["sla"]) for w in items] == [(app["id"], 3, "green")]


def test_sla_states():
    assert [sla_state(m, 5) for m in (0, 5, 7, 7.5, 8)] == ["green", "green", "amber", "amber", "red"]
    assert [sla_state(m, 1) for m in (1, 3, 3.5)] == ["green", "amber", "red"]
    assert [sla_state(m, 0) for m in (0, 3, 600)] == [None, None, None]  # the applicant's own steps: not measured


def test_a_zero_minute_step_is_never_a_breach_in_timeline_worklist_or_report(core, staff, counter):
    """Trial: the applicant's own steps (standard 0 min) showed red the moment they began, and the day the applicant
    took to come back for the result counted as a breach of the whole service. One rule: not measured."""
    from antrean.kernel.timeutil import local

    app = open_app(core, staff, counter)
    steps = core.sops["ktp"].steps
    for st in steps[1:-1]:
        core.workflow.complete_step(
            app["id"],
            st.no,
            staff[st.role if st.role != "pemohon" else "petugas_pelayanan"],
            outcome="MS" if st.tms else "DONE",
        )
    collect = steps[-1]
    assert collect.minutes == 0 and collect.role == "pemohon"
    with core.db.write() as s:  # the applicant comes back for the result five hours later
        row = s.get(Application, app["id"])
        row.step_started_at -= timedelta(hours=5)
        row.created_at -= timedelta(hours=5)
    front = staff["petugas_pelayanan"]
    [item] = [w for w in core.workflow.worklist(front) if w["id"] == app["id"]]
    assert (item["step"], item["sla"], item["total_sla"]) == (collect.no, None, "green")
    view = core.workflow.get(app["id"])
    assert view["current_step"]["sla"] is None and view["total_sla"] == "green" and view["total_minutes"] < 60
    done = core.workflow.complete_step(app["id"], collect.no, front, outcome="DONE")
    last = done["timeline"][-1]
    assert last["minutes"] >= 300 and (last["over_standard"], last["measured"]) == (False, False)
    assert done["timeline"][0]["measured"] is False  # step 1 (submitting) too
    month = local(utcnow(), core.tz)
    boss = next(a for a in staff.values() if "kasi_pelayanan" in a.roles)
    report = core.reports.summary(boss, core.reports.month(month.year, month.month))
    [row] = [r for r in report["services"] if r["service"] == "ktp"]
    assert (row["applications_done"], row["within_standard"]) == (1, 1)
    by_step = {st["step"]: st for st in report["steps"] if st["service"] == "ktp"}
    assert by_step[collect.no]["measured"] is False and by_step[collect.no]["within"] is None
    assert all(by_step[st.no]["measured"] for st in steps[1:-1])


def test_agenda_format():
    from datetime import datetime

    when = datetime(2026, 11, 25)
    assert (
        format_agenda("{seq:04d}/{code}/Kec/{month_roman}/{year}", seq=7, code="KTP", when=when)
        == "0007/KTP/Kec/XI/2026"
    )
    with pytest.raises(Invalid):
        format_agenda("{nope}", seq=1, code="X", when=when)


def test_every_step_writes_an_audit_row(core, staff, counter):
    app = open_app(core, staff, counter)
    core.workflow.complete_step(app["id"], 2, staff["petugas_pelayanan"], outcome="DONE")
    with core.db.read() as s:
        rows = s.execute(
            select(AuditLog.action, AuditLog.actor).where(AuditLog.target_type == "application").order_by(AuditLog.id)
        ).all()
    assert rows == [("application.open", "petugas-pelayanan"), ("step.complete", "petugas-pelayanan")]


def _agenda_race(core, make_user, n=24):
    """n applications of 8 different SOPs (one yearly agenda sequence across services; half opened from a
    ticket, half at the desk without one) reach the register step; 8 registrars register them at once.
    The one copy of this race: SQLite here, PostgreSQL in tests/services/test_postgres_core.py."""
    from antrean.kernel.actors import Actor

    codes = list(core.sops)[:8]  # template R: step 2 front desk, 3 verify, 4 register
    counter = core.queue.save_counter(Actor(None, "t", frozenset({"admin"})), name="Loket R", number=9, services=codes)
    front = make_user(core, "front", ["petugas_pelayanan", "petugas_verifikasi"])
    registrar = make_user(core, "registrar", ["petugas_register"])
    ids = []
    for i in range(n):
        code = codes[i % len(codes)]
        if i % 2:
            app = core.workflow.open(front, service_code=code, applicant_name=f"Pemohon {i}")
        else:
            core.tickets.issue(code)
            call = core.queue.call_next(counter["id"], front)
            app = core.workflow.open(front, ticket_id=call["ticket_id"], applicant_name=f"Warga {i}")
        core.workflow.complete_step(app["id"], 2, front, outcome="DONE")
        core.workflow.complete_step(app["id"], 3, front, outcome="MS")
        ids.append(app["id"])
    barrier = threading.Barrier(8)

    def register(chunk):
        barrier.wait(30)
        return [core.workflow.complete_step(i, 4, registrar, outcome="DONE")["agenda_number"] for i in chunk]

    with ThreadPoolExecutor(8) as pool:
        numbers = [a for part in pool.map(register, [ids[i::8] for i in range(8)]) for a in part]
    seqs = sorted(int(a.split("/")[0]) for a in numbers)
    assert seqs == list(range(1, n + 1)) and len(set(numbers)) == n
    assert sorted(core.workflow.get(i)["agenda_number"] for i in ids) == sorted(numbers)
    with core.db.read() as s:
        stored = s.execute(select(Application.agenda_number)).scalars().all()
    assert len(set(stored)) == n


def test_agenda_numbers_sequential_and_unique_under_concurrency(core, make_user):
    _agenda_race(core, make_user)


def test_worklist_pages_and_filters_in_the_database(core, staff, counter):
    ids = {"ktp": [], "kk": []}
    for service in ["ktp", "kk"] * 3:
        ids[service].append(open_app(core, staff, counter, service=service)["id"])
    front = staff["petugas_pelayanan"]
    assert core.workflow.worklist_counts(front) == {"ktp": 3, "kk": 3}
    page1 = core.workflow.worklist(front, 4)
    page2 = core.workflow.worklist(front, 4, offset=4)
    assert [w["id"] for w in page1 + page2] == sorted(ids["ktp"] + ids["kk"])
    assert [w["id"] for w in core.workflow.worklist(front, 2, offset=1, service="kk")] == ids["kk"][1:3]
    assert core.workflow.worklist_counts(staff["camat"]) == {}
