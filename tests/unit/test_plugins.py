"""The plugin manager: built-ins, broken plugins reported and skipped, introspection."""

from __future__ import annotations

import copy

import pytest

from antrean.kernel.plugins import build_plugin_host
from antrean.kernel.sop import SopError, parse_sop
from plugins import BUILTIN_SOP_MODULES

SOPS = tuple(BUILTIN_SOP_MODULES)


def test_builtins_register_the_twenty_sops_in_document_order():
    host = build_plugin_host(builtins=SOPS, entry_points=False)
    assert host.errors == []
    assert len(host.sops) == 20
    assert list(host.sops)[:3] == ["ektp", "ktp", "kk"] and list(host.sops)[-1] == "pengaduan"


def test_a_broken_plugin_is_reported_with_file_and_field_and_skipped():
    host = build_plugin_host(("tests.unit.fixtures.broken_sop_plugin",), builtins=SOPS, entry_points=False)
    assert len(host.sops) == 20 and "rusak" not in host.sops
    [err] = host.errors
    assert err.plugin == "tests.unit.fixtures.broken_sop_plugin"
    assert err.source.endswith("broken_sop_plugin.py")
    assert "steps[1].role" in err.message and "required" in err.message
    assert "tests.unit.fixtures.broken_sop_plugin" not in dict(host.pm.list_name_plugin())


def test_a_plugin_that_fails_to_import_is_skipped():
    host = build_plugin_host(("no_such_module_xyz",), builtins=SOPS, entry_points=False)
    assert len(host.sops) == 20
    assert "cannot import" in host.errors[0].message


def test_a_misspelt_hook_is_caught_by_check_pending():
    class Typo:
        from antrean.kernel.hookspecs import hookimpl

        @hookimpl
        def ticket_isued(self, core, ticket):  # noqa: D401 - deliberate typo
            pass

    host = build_plugin_host((Typo(),), builtins=SOPS, entry_points=False)
    assert len(host.sops) == 20
    assert any("ticket_isued" in e.message for e in host.errors)


def test_third_party_plugin_and_describe():
    host = build_plugin_host(("tests.unit.fixtures.good_sop_plugin",), builtins=SOPS, entry_points=False)
    assert "legalisir" in host.sops
    info = {p["name"]: p for p in host.describe()}
    good = info["tests.unit.fixtures.good_sop_plugin"]
    assert good == {
        "name": "tests.unit.fixtures.good_sop_plugin",
        "version": "2.3.4",
        "builtin": True,
        "hooks": ["register_sops"],
        "sops": ["legalisir"],
        "settings": [],
    }
    assert info["plugins.ktp"]["sops"] == ["ktp"]


def test_entry_point_plugins_are_loaded(monkeypatch):
    from importlib import metadata

    monkeypatch.delenv("ANTREAN_LOAD_PLUGINS", raising=False)  # the suite loads none (tests/conftest.py)

    class EP:
        name, value, group, dist = "legalisir-ep", "tests.unit.fixtures.good_sop_plugin", "antrean", None

        def load(self):
            import tests.unit.fixtures.good_sop_plugin as m

            return m

    class Broken(EP):
        name = "broken-ep"

        def load(self):
            raise ImportError("missing dependency foo")

    real = metadata.entry_points
    monkeypatch.setattr(
        metadata,
        "entry_points",
        lambda group=None, **kw: [EP(), Broken()] if group == "antrean" else real(group=group, **kw),
    )
    host = build_plugin_host(builtins=SOPS)
    assert "legalisir" in host.sops
    assert any(e.plugin == "broken-ep" and "missing dependency foo" in e.message for e in host.errors)


def test_third_party_sop_with_a_taken_letter_gets_a_free_one(settings_dict, migrated_sqlite):
    from antrean.core import Antrean

    core = Antrean(settings_dict, builtins=SOPS + ("tests.unit.fixtures.good_sop_plugin",), entry_points=False)
    core.migrate()
    try:
        letters = {s["code"]: s["letter"] for s in core.services()}
        assert letters["ektp"] == "A" and letters["legalisir"] not in set(letters.values()) - {letters["legalisir"]}
        assert core.tickets.issue("legalisir")[0]["number"].startswith(letters["legalisir"])
    finally:
        core.close()


VALID = copy.deepcopy(__import__("tests.unit.fixtures.good_sop_plugin", fromlist=["SOP"]).SOP)


@pytest.mark.parametrize(
    "path,value,field",
    [
        (("code",), "Bad Code", "code"),
        (("group",), "lainnya", "group"),
        (("letter",), "a", "letter"),
        (("standard_minutes",), 99, "standard_minutes"),
        (("steps", 1, "role"), "lurah", "steps[1].role"),
        (("steps", 1, "kind"), "magic", "steps[1].kind"),
        (("steps", 1, "minutes"), "5", "steps[1].minutes"),
        (("steps", 1, "no"), 7, "steps[1].no"),
        (("steps", 1, "tms"), "yes", "steps[1].tms"),
        (("documents",), "KTP", "documents"),
        (("short_name",), "x" * 40, "short_name"),
        (("extra_field",), 1, "extra_field"),
    ],
)
def test_sop_validation_names_the_field(path, value, field):
    d = copy.deepcopy(VALID)
    target = d
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(SopError) as exc:
        parse_sop(d, "plugins/x.py")
    assert exc.value.field == field and exc.value.source == "plugins/x.py"
    assert str(exc.value).startswith(f"plugins/x.py: {field}: ")


def test_valid_sop_parses():
    sop = parse_sop(VALID, "x.py")
    assert sop.standard_minutes == 7 and sop.step(2).role_name == "Sekretaris Kecamatan"
    assert sop.roles == ["pemohon", "sekcam"]
