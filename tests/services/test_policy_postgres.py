"""The read rule of antrean.kernel.policy as SQL, on PostgreSQL (skips without it; fails in CI): worklists and
their counts hold only applications the actor may read, after the office's role mapping."""

from __future__ import annotations

import pytest

from antrean.kernel.actors import SYSTEM

from .test_postgres_core import pg_core  # noqa: F401  (fixture)

pytestmark = pytest.mark.postgres


def test_worklists_filter_in_the_database(pg_core, make_user):  # noqa: F811
    core = pg_core
    clerk = make_user(core, "loket", ["petugas_pelayanan"])
    verifier = make_user(core, "verif", ["petugas_verifikasi"])
    teknis = make_user(core, "teknis", ["tim_teknis"])
    camat = make_user(core, "camat", ["camat"])
    ids = []
    for code in ("kk", "sktm"):  # kk: step 3 verifikasi; sktm: step 3 kasi_pelayanan
        a = core.workflow.open(clerk, service_code=code, applicant_name=f"Warga {code}")
        core.workflow.complete_step(a["id"], 2, clerk, outcome="DONE")
        ids.append(a["id"])
    assert [i["id"] for i in core.workflow.worklist(verifier)] == [ids[0]]
    assert core.workflow.worklist_counts(verifier) == {"kk": 1}
    assert core.workflow.worklist(teknis) == [] and core.workflow.worklist_counts(teknis) == {}
    from sqlalchemy import select

    from antrean.kernel import policy
    from antrean.kernel.models import Application

    with core.db.read() as s:
        readable = set(s.execute(select(Application.id).where(policy.application_filter(core, teknis, s))).scalars())
        assert readable == set()
        assert set(s.execute(select(Application.id).where(policy.application_filter(core, camat, s))).scalars()) == set(
            ids
        )
    admin = SYSTEM.__class__(None, "setup", frozenset({"admin"}))
    core.update_service("kk", admin, role_map={"petugas_verifikasi": "tim_teknis"})
    assert [i["id"] for i in core.workflow.worklist(teknis)] == [ids[0]]
    assert core.workflow.worklist_counts(teknis) == {"kk": 1}
    assert core.workflow.worklist(verifier) == []
