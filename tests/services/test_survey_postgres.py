"""The SKM on PostgreSQL: one response per ticket under concurrent submits, the IKM aggregates per month."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.services.test_postgres_core import pg_core  # noqa: F401  (fixture)
from tests.unit.test_survey import serve
from tests.unit.test_survey import test_one_response_per_ticket_under_concurrency as _concurrent

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_counter(pg_core, admin):  # noqa: F811
    return pg_core.queue.save_counter(admin, name="Loket 1", number=1, services=list(pg_core.sops))


@pytest.fixture
def pg_clerk(pg_core, make_user):  # noqa: F811
    return make_user(pg_core, "clerk", ["petugas_pelayanan"])


def test_one_response_per_ticket_under_concurrency_on_postgresql(pg_core, pg_counter, pg_clerk):  # noqa: F811
    assert pg_core.db.dialect == "postgresql"
    _concurrent(pg_core, pg_counter, pg_clerk)


def test_ikm_by_month_on_postgresql(pg_core, pg_counter, pg_clerk):  # noqa: F811
    pg_core.survey.submit(serve(pg_core, pg_counter, pg_clerk), [4] * 9, now=datetime(2026, 5, 2, 3))
    pg_core.survey.submit(serve(pg_core, pg_counter, pg_clerk), [2] * 9, now=datetime(2026, 5, 9, 3))
    months = pg_core.survey.ikm_by_month(2026)
    assert (months[4]["month"], months[4]["ikm"], months[4]["respondents"]) == ("2026-05", 75.0, 2)
    assert pg_core.survey.ikm(date(2026, 5, 1), date(2026, 5, 31), service="ktp")["grade"] == "C"
