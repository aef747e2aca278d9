"""The Camat who signs is ONE office setting (``camat``): the reports' PDF signature block and the Maklumat on
/publik read it; migration 0008 moves the public page's former camat_name/camat_nip into it."""

from __future__ import annotations

import json

import pytest

from antrean.kernel.actors import Actor
from antrean.kernel.errors import Invalid
from antrean.services import transparency

ADMIN = Actor(None, "admin", frozenset({"admin"}))


def test_saved_once_read_by_the_signature_and_the_public_page_data(core):
    transparency.save_camat(
        core,
        ADMIN,
        {
            "name": "Drs. Ahmad Fauzi, M.Si",
            "nip": "19700101 199003 1 001",
            "rank": "Pembina (IV/a)",
            "report_city": "Sukamaju",
            "report_regency": "Pemerintah Kabupaten Bogor",
        },
    )
    sig = core.reports.signature()
    assert sig["signer"] == {"name": "Drs. Ahmad Fauzi, M.Si", "nip": "19700101 199003 1 001", "rank": "Pembina (IV/a)"}
    assert (sig["city"], sig["regency"]) == ("Sukamaju", "Pemerintah Kabupaten Bogor")
    assert transparency.camat(core)["name"] == "Drs. Ahmad Fauzi, M.Si"
    assert "camat_name" not in transparency.settings(core)  # no second copy in the public page's setting
    # a later edit of the name alone keeps NIP and rank
    transparency.save_camat(core, ADMIN, {"name": "Hj. Siti Aminah"})
    assert core.reports.signature()["signer"] == {
        "name": "Hj. Siti Aminah",
        "nip": "19700101 199003 1 001",
        "rank": "Pembina (IV/a)",
    }


@pytest.mark.parametrize("value", [{"nip": "1970-01"}, {"name": "x" * 121}, {"camat_name": "A"}, "Budi"])
def test_bad_camat_details_are_refused(core, value):
    with pytest.raises(Invalid):
        transparency.save_camat(core, ADMIN, value)
    assert transparency.camat(core) == {"name": "", "nip": "", "rank": ""}


def test_a_staff_member_without_settings_write_cannot_set_the_camat(core):
    from antrean.kernel.errors import Forbidden

    with pytest.raises(Forbidden):
        transparency.save_camat(core, Actor(None, "loket", frozenset({"petugas_pelayanan"})), {"name": "X"})


@pytest.mark.parametrize(
    "existing, expected",
    [
        (None, {"name": "Drs. Ahmad Fauzi", "nip": "19700101 199003 1 001", "rank": ""}),
        (
            {"name": "", "nip": "", "rank": "Pembina"},
            {"name": "Drs. Ahmad Fauzi", "nip": "19700101 199003 1 001", "rank": "Pembina"},
        ),
        ({"name": "Hj. Siti", "nip": "1980", "rank": ""}, {"name": "Hj. Siti", "nip": "1980", "rank": ""}),
    ],
)
def test_migration_0008_moves_the_public_pages_camat_into_the_one_setting(settings_dict, tmp_path, existing, expected):
    from antrean.core import Antrean
    from antrean.kernel.migrate import upgrade
    from plugins import BUILTIN_SOP_MODULES

    core = Antrean(
        settings_dict | {"database_url": f"sqlite:///{tmp_path / 'old.db'}"},
        builtins=tuple(BUILTIN_SOP_MODULES),
        entry_points=False,
    )
    try:
        upgrade(core.db, "0010")
        publik = {"maklumat": "Kami sanggup.", "camat_name": "Drs. Ahmad Fauzi", "camat_nip": "19700101 199003 1 001"}
        with core.db.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO office (id, code, name, address, timezone) "
                "VALUES (1, 'kecamatan', 'Kantor Kecamatan Uji', '', 'Asia/Jakarta')"
            )
            conn.exec_driver_sql(
                "INSERT INTO setting (office_id, key, value) VALUES (1, 'publik', ?)", (json.dumps(publik),)
            )
            if existing is not None:
                conn.exec_driver_sql(
                    "INSERT INTO setting (office_id, key, value) VALUES (1, 'camat', ?)", (json.dumps(existing),)
                )
        core.migrate()
        assert transparency.camat(core) == expected
        assert core.get_setting("publik") == {"maklumat": "Kami sanggup."}
        assert transparency.settings(core)["maklumat"] == "Kami sanggup."
    finally:
        core.close()
