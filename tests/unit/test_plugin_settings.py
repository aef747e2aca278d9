"""Settings a plugin declares (hook register_settings): declaration, channels, start-up errors, listing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from antrean.core import Antrean
from antrean.kernel.config import ConfigError
from antrean.kernel.hookspecs import hookimpl
from antrean.kernel.plugin_settings import MASK, PluginSetting
from antrean.kernel.plugins import build_plugin_host


class Gateway:
    """A plugin reading three settings; registered under the name ``gateway``."""

    __name__ = "gateway"

    @hookimpl
    def register_settings(self):
        return [
            PluginSetting("url", "str", "http://127.0.0.1:9000", "the gateway's address"),
            {"name": "timeout", "type": float, "default": 2.5, "min": 0.1, "max": 60, "description": "seconds"},
            {"name": "retries", "type": "int", "default": 3, "min": 0, "max": 10, "description": "attempts"},
            {"name": "mode", "default": "fast", "choices": ("fast", "safe"), "description": "how"},
            {"name": "enabled", "type": "bool", "default": True, "description": "on or off"},
            {"name": "token", "default": "", "secret": True, "description": "API token"},
        ]


def declares(*settings, name="gateway"):
    class P:
        @hookimpl
        def register_settings(self):
            return list(settings)

    plugin = P()
    plugin.__name__ = name
    return plugin


def make(settings_dict, *plugins) -> Antrean:
    return Antrean(settings_dict, plugins=plugins, builtins=(), entry_points=False)


@pytest.fixture
def env(monkeypatch):
    for key in ("ANTREAN_GATEWAY_URL", "ANTREAN_GATEWAY_TIMEOUT", "ANTREAN_GATEWAY_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def test_defaults_are_typed_and_read_only(settings_dict, env):
    core = make(settings_dict, Gateway())
    try:
        s = core.plugin_settings("gateway")
        assert dict(s) == {
            "url": "http://127.0.0.1:9000",
            "timeout": 2.5,
            "retries": 3,
            "mode": "fast",
            "enabled": True,
            "token": "",
        }
        with pytest.raises(TypeError):
            s["retries"] = 4  # type: ignore[index]
        with pytest.raises(KeyError, match="no plugin declares settings under 'nobody'"):
            core.plugin_settings("nobody")
    finally:
        core.close()


def test_channels_and_precedence(settings_dict, instance, env):
    """config/flat key > ANTREAN_<PLUGIN>_<NAME> > [plugin] table of antrean.toml > default."""
    (instance / "antrean.toml").write_text(
        '[gateway]\nurl = "http://file"\ntimeout = 5\nretries = 7\nenabled = false\n', "utf-8"
    )
    env.setenv("ANTREAN_GATEWAY_URL", "http://env")
    env.setenv("ANTREAN_GATEWAY_TIMEOUT", "9.5")
    core = make(settings_dict | {"gateway_timeout": "1.5"}, Gateway())
    try:
        assert dict(core.plugin_settings("gateway")) == {
            "url": "http://env",
            "timeout": 1.5,
            "retries": 7,
            "mode": "fast",
            "enabled": False,
            "token": "",
        }
        assert core.plugins.settings_sources["gateway"] == {
            "url": "env",
            "timeout": "config",
            "retries": "file",
            "mode": "default",
            "enabled": "file",
            "token": "default",
        }
    finally:
        core.close()


@pytest.mark.parametrize(
    "given, message",
    [
        (
            {"ANTREAN_GATEWAY_RETRIES": "many"},
            "ANTREAN_GATEWAY_RETRIES: setting 'retries' of the plugin gateway: expected a whole number from 0 to 10, "
            "got 'many'",
        ),
        ({"ANTREAN_GATEWAY_RETRIES": "11"}, "expected a whole number from 0 to 10, got '11'"),
        (
            {"ANTREAN_GATEWAY_TIMEOUT": "nan"},
            "ANTREAN_GATEWAY_TIMEOUT: setting 'timeout' of the plugin gateway: expected a number from 0.1 to 60",
        ),
        ({"ANTREAN_GATEWAY_MODE": "slow"}, "expected one of 'fast', 'safe', got 'slow'"),
        ({"ANTREAN_GATEWAY_ENABLED": "maybe"}, "expected a boolean (true/false), got 'maybe'"),
        ({"ANTREAN_GATEWAY_TOKEN": 5}, "setting 'token' of the plugin gateway: expected a text, got (secret)"),
        (
            {"ANTREAN_GATEWAY_RETRY": "3"},
            "ANTREAN_GATEWAY_RETRY: the plugin gateway has no setting 'retry' (its settings: "
            "enabled, mode, retries, timeout, token, url)",
        ),
    ],
)
def test_a_bad_or_unknown_value_stops_start_up_naming_it(settings_dict, env, given, message):
    for key, value in given.items():
        if isinstance(value, str):
            env.setenv(key, value)
    config = {k.removeprefix("ANTREAN_").lower(): v for k, v in given.items() if not isinstance(v, str)}
    with pytest.raises(ConfigError) as exc:
        make(settings_dict | config, Gateway())
    text = str(exc.value).replace("gateway_token: ", "ANTREAN_GATEWAY_TOKEN: ")
    assert message in text and "\n" not in text


def test_unknown_keys_in_the_file_are_refused(settings_dict, instance, env):
    (instance / "antrean.toml").write_text('[gateway]\nurll = "x"\n', "utf-8")
    with pytest.raises(ConfigError, match=r"^\[gateway\] urll: the plugin gateway has no setting 'urll'"):
        make(settings_dict, Gateway())
    (instance / "antrean.toml").write_text('gateway_urll = "x"\n', "utf-8")
    with pytest.raises(ConfigError, match="^gateway_urll: the plugin gateway has no setting 'urll'"):
        make(settings_dict, Gateway())
    (instance / "antrean.toml").write_text('gateway = "x"\n', "utf-8")
    with pytest.raises(ConfigError, match=r"^gateway: expected a \[gateway\] table"):
        make(settings_dict, Gateway())
    (instance / "antrean.toml").write_text("[quiet]\nx = 1\n", "utf-8")  # a plugin that declares nothing
    with pytest.raises(ConfigError, match=r"^\[quiet\] in antrean.toml: the plugin quiet declares no settings"):
        make(settings_dict, Gateway(), declares(name="quiet"))


@pytest.mark.parametrize(
    "decl, message",
    [
        ({"name": "Bad Name", "default": "", "description": "d"}, "settings[0].name: expected a-z"),
        ({"name": "x", "type": "list", "default": [], "description": "d"}, "settings[0] (x).type: expected one of str"),
        ({"name": "x", "type": "int", "description": "d"}, "settings[0] (x).default: None is not valid"),
        (
            {"name": "x", "type": "int", "default": 0, "min": 1, "description": "d"},
            "settings[0] (x).default: 0 is not valid: expected a whole number of at least 1",
        ),
        ({"name": "x", "default": ""}, "settings[0] (x).description: required"),
        ({"name": "x", "default": "", "description": "d", "colour": "red"}, "settings[0]: unknown key(s) colour"),
        ({"name": "x", "default": "", "description": "d", "min": 1}, "settings[0] (x).min: only for int and float"),
    ],
)
def test_a_malformed_declaration_skips_the_plugin_with_the_field_named(decl, message):
    host = build_plugin_host((declares(decl), declares(name="other")), builtins=(), entry_points=False)
    [err] = host.errors
    assert err.plugin == "gateway" and err.message.startswith("register_settings: ") and message in err.message
    assert [n for n, p in host.pm.list_name_plugin() if p is not None] == ["other"]  # skipped alone


def test_namespace_taken_or_core_setting_refused():
    host = build_plugin_host(
        (Gateway(), declares({"name": "x", "default": "", "description": "d"}, name="acme.gateway")),
        builtins=(),
        entry_points=False,
    )
    [err] = host.errors
    assert (
        err.plugin == "acme.gateway"
        and "the settings namespace 'gateway' is taken by the plugin gateway" in err.message
    )
    host = build_plugin_host(
        (declares({"name": "url", "default": "", "description": "d"}, name="printer"),), builtins=(), entry_points=False
    )
    assert "printer_url is a setting of the core" in host.errors[0].message


def test_listing_masks_secrets(settings_dict, env):
    env.setenv("ANTREAN_GATEWAY_TOKEN", "s3cr3t-token")
    core = make(settings_dict, Gateway())
    try:
        assert core.plugin_settings("gateway")["token"] == "s3cr3t-token"
        [info] = [p for p in core.plugins.describe() if p["name"] == "gateway"]
        by_name = {s["name"]: s for s in info["settings"]}
        assert by_name["token"] == {
            "name": "token",
            "env": "ANTREAN_GATEWAY_TOKEN",
            "file": "[gateway] token",
            "type": "str",
            "default": "",
            "value": MASK,
            "source": "env",
            "secret": True,
            "description": "API token",
        }
        assert by_name["retries"]["value"] == 3 and by_name["retries"]["min"] == 0 and by_name["retries"]["max"] == 10
        assert "s3cr3t" not in json.dumps(core.plugins.describe())
    finally:
        core.close()


# -- the built-in display's media_dir, through the real channels ----------------------------------
def test_display_media_dir_env_file_and_old_flat_key(settings_dict, instance, monkeypatch, tmp_path):
    from antrean import create_app

    monkeypatch.setenv("ANTREAN_DISPLAY_MEDIA_DIR", str(tmp_path / "from-env"))
    app = create_app(settings_dict)
    try:
        core = app.extensions["antrean"]
        assert core.plugin_settings("display")["media_dir"] == str(tmp_path / "from-env")
        assert core.extensions["display"].media_dir == tmp_path / "from-env"  # the board's hub reads it
    finally:
        app.extensions["antrean"].close()
    monkeypatch.delenv("ANTREAN_DISPLAY_MEDIA_DIR")
    (instance / "antrean.toml").write_text(f'display_media_dir = "{tmp_path / "flat"}"\n', "utf-8")
    core = Antrean(settings_dict, builtins=("display.plugin",), entry_points=False)
    assert core.plugin_settings("display")["media_dir"] == str(tmp_path / "flat")
    core.close()


def test_cli_plugins_lists_settings_and_a_bad_one_is_one_line(cli_env, monkeypatch):
    from antrean.cli import main

    runner = CliRunner()
    monkeypatch.setenv("ANTREAN_DISPLAY_MEDIA_DIR", "/srv/papan")
    r = runner.invoke(main, ["plugins", "--json"])
    assert r.exit_code == 0, r.output
    [display] = [p for p in json.loads(r.output)["plugins"] if p["name"] == "display.plugin"]
    assert display["settings"][0] | {"description": ""} == {
        "name": "media_dir",
        "env": "ANTREAN_DISPLAY_MEDIA_DIR",
        "file": "[display] media_dir",
        "type": "str",
        "default": "",
        "value": "/srv/papan",
        "source": "env",
        "secret": False,
        "description": "",
    }
    r = runner.invoke(main, ["plugins"])
    assert "  setting media_dir (str) = '/srv/papan' [env; default ''; ANTREAN_DISPLAY_MEDIA_DIR]" in r.output
    monkeypatch.setenv("ANTREAN_DISPLAY_MEDIADIR", "/srv/papan")
    r = runner.invoke(main, ["plugins"])
    assert r.exit_code == 1 and r.output == (
        "Error: configuration error: ANTREAN_DISPLAY_MEDIADIR: the plugin "
        "display.plugin has no setting 'mediadir' (its settings: media_dir)\n"
    )


def test_plugins_json_and_page_show_settings(app, client):
    data = client.get("/-/plugins.json").get_json()
    [display] = [p for p in data["plugins"] if p["name"] == "display.plugin"]
    assert [s["name"] for s in display["settings"]] == ["media_dir"]
    page = client.get("/-/plugins").get_data(as_text=True)
    assert "ANTREAN_DISPLAY_MEDIA_DIR" in page and "Pengaturan / Settings" in page


def test_checked_before_any_server_process_starts(cli_env, monkeypatch):
    """`antrean run --workers N` checks settings in the parent; gunicorn's workers build their apps later."""
    from antrean.cli import _checked_settings

    monkeypatch.setenv("ANTREAN_DISPLAY_MEDIADIR", "/srv/papan")
    with pytest.raises(ConfigError, match="^ANTREAN_DISPLAY_MEDIADIR: the plugin display.plugin has no setting"):
        _checked_settings()


def test_a_check_function_refuses_in_one_line(settings_dict, monkeypatch):
    def folder(value):
        if not value.startswith("/"):
            raise ValueError("expected an absolute folder")

    def broken(value):
        raise RuntimeError("bug")

    monkeypatch.setenv("ANTREAN_ARSIP_FOLDER", "arsip")
    monkeypatch.setenv("ANTREAN_ARSIP_OTHER", "x")
    plugin = declares(
        {"name": "folder", "default": "/srv", "check": folder, "description": "d"},
        {"name": "other", "default": "", "description": "d"},
        name="arsip",
    )
    with pytest.raises(
        ConfigError,
        match="^ANTREAN_ARSIP_FOLDER: setting 'folder' of the plugin arsip: expected an absolute folder, got 'arsip'$",
    ):
        make(settings_dict, plugin)
    monkeypatch.setenv("ANTREAN_ARSIP_FOLDER", "/srv/arsip")
    core = make(settings_dict, plugin)
    assert core.plugin_settings("arsip")["folder"] == "/srv/arsip"
    core.close()
    # a check that crashes is the plugin's bug: caught on its default, the plugin is skipped and reported
    plugin = declares({"name": "other", "default": "", "check": broken, "description": "d"}, name="arsip")
    [err] = build_plugin_host((plugin,), builtins=(), entry_points=False).errors
    assert (
        "settings[0] (other).default: '' is not valid: the plugin's check of this setting failed "
        "(RuntimeError('bug'))" in err.message
    )
