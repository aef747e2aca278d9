"""The plugin manager: one per core (never a global), built-in plugins first.

Modelled on Datasette's: built-ins registered by default, third-party plugins
found through the ``antrean`` entry-point group, ``check_pending()`` to catch
misspelt hook names. A plugin that fails to import, has an unknown hook, or
declares a malformed SOP or setting is recorded in ``PluginHost.errors`` and
skipped; the others load.

``ANTREAN_LOAD_PLUGINS`` (as Datasette's ``DATASETTE_LOAD_PLUGINS``) limits the
entry-point plugins loaded: unset, all of them; a comma-separated list, only
those; empty, none (the test suite sets it empty, so what else is installed in
its virtualenv does not change its results).
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from importlib import metadata
from typing import Any

import pluggy

from antrean import __version__
from antrean.kernel import hookspecs
from antrean.kernel.config import Settings
from antrean.kernel.plugin_settings import PluginSetting, SettingDeclarationError, namespace_of, parse_declarations
from antrean.kernel.plugin_settings import resolve as resolve_settings
from antrean.kernel.sop import Sop, SopError, parse_sop

log = logging.getLogger(__name__)


@dataclass
class PluginError:
    plugin: str
    source: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"plugin": self.plugin, "source": self.source, "error": self.message}


@dataclass
class PluginHost:
    pm: pluggy.PluginManager
    sops: dict[str, Sop] = field(default_factory=dict)
    sop_plugins: dict[str, str] = field(default_factory=dict)  # sop code -> plugin name
    errors: list[PluginError] = field(default_factory=list)
    dist_versions: dict[str, str] = field(default_factory=dict)  # entry-point plugins
    #: declared settings: namespace -> (plugin name, declarations) (hook register_settings)
    settings_declared: dict[str, tuple[str, list[PluginSetting]]] = field(default_factory=dict)
    #: their values once the core resolved them (antrean.kernel.plugin_settings.resolve)
    settings_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings_sources: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def hook(self) -> pluggy.HookRelay:
        return self.pm.hook

    def describe(self) -> list[dict[str, Any]]:
        """Every registered plugin with version, hooks and the SOPs it registers."""
        out = []
        for name, plugin in sorted(self.pm.list_name_plugin(), key=lambda x: x[0]):
            if plugin is None:
                continue
            version = self.dist_versions.get(name) or _builtin_version(plugin)
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            out.append(
                {
                    "name": name,
                    "version": version,
                    "builtin": name not in self.dist_versions,
                    "hooks": hooks,
                    "sops": sorted(c for c, p in self.sop_plugins.items() if p == name),
                    "settings": self.describe_settings(name),
                }
            )
        return out

    def resolve_settings(self, settings: Settings, environ: Mapping[str, str]) -> None:
        """Check and keep the values of every declared plugin setting (ConfigError: one line naming it)."""
        self.settings_values, self.settings_sources = resolve_settings(
            self.settings_declared,
            settings.extra or {},
            environ,
            reserved=_core_setting_names(),
            plugin_names=self.namespaces(),
        )

    def namespaces(self) -> tuple[str, ...]:
        """The settings namespace of every loaded plugin."""
        return tuple(namespace_of(n) for n, p in self.pm.list_name_plugin() if p is not None)

    def describe_settings(self, plugin_name: str) -> list[dict[str, Any]]:
        """A plugin's declared settings with their current values (a secret's value masked)."""
        ns = namespace_of(plugin_name)
        owner, decls = self.settings_declared.get(ns, (None, []))
        if owner != plugin_name:
            return []
        values, sources = self.settings_values.get(ns, {}), self.settings_sources.get(ns, {})
        return [
            {
                "name": d.name,
                "env": f"ANTREAN_{ns.upper()}_{d.name.upper()}",
                "file": f"[{ns}] {d.name}",
                "type": d.type,
                "default": d.public(d.default),
                "value": d.public(values.get(d.name, d.default)),
                "source": sources.get(d.name, "default"),
                "secret": d.secret,
                "description": d.description,
                **({"choices": list(d.choices)} if d.choices else {}),
                **({"min": d.min} if d.min is not None else {}),
                **({"max": d.max} if d.max is not None else {}),
            }
            for d in decls
        ]


def _builtin_version(plugin: object) -> str:
    version = getattr(plugin, "__version__", None)
    if version:
        return str(version)
    sop = getattr(plugin, "SOP", None)
    if isinstance(sop, dict) and isinstance(sop.get("version"), str):
        return str(sop["version"])
    return __version__


def _source_of(plugin: object) -> str:
    path = getattr(plugin, "__file__", None)
    if path:
        try:
            return os.path.relpath(str(path))
        except ValueError:
            return str(path)
    return str(getattr(plugin, "__name__", repr(plugin)))


#: the faces and the hardware are built-in plugins: named here (data, not imports), imported by the plugin
#: host when a core or the command line builds one (antrean.core.builtin_plugin_names adds the SOPs)
FACE_PLUGINS = (
    "hardware.plugin",
    "display.plugin",
    "kiosk.plugin",
    "console.plugin",
    "publik.plugin",
    "notifier.plugin",
)


def build_plugin_host(
    extra: tuple[object, ...] = (),
    *,
    builtins: tuple[str, ...] | None = None,
    entry_points: bool = True,
    disabled: tuple[str, ...] = (),
) -> PluginHost:
    """Build a plugin manager with the built-ins, entry points and ``extra`` plugins.

    ``extra`` may hold modules, objects or dotted module names. ``builtins`` are the built-in plugins'
    dotted names, given by the composition root (``antrean.core.builtin_plugin_names()``): the kernel
    knows no face, hardware or SOP package.
    """
    pm = pluggy.PluginManager("antrean")
    pm.add_hookspecs(hookspecs)
    host = PluginHost(pm)
    names = () if builtins is None else builtins
    for item in tuple(names) + tuple(extra):
        _register(host, item, disabled)
    if entry_points:
        wanted = os.environ.get("ANTREAN_LOAD_PLUGINS")
        only = None if wanted is None else {n.strip() for n in wanted.split(",") if n.strip()}
        for ep in metadata.entry_points(group="antrean"):
            if ep.name in disabled or (only is not None and ep.name not in only):
                continue
            try:
                plugin = ep.load()
                host.pm.register(plugin, name=ep.name)
                dist = getattr(ep, "dist", None)
                if dist is not None:
                    host.dist_versions[ep.name] = dist.version
            except Exception as exc:  # a broken third-party plugin never takes the app down
                _record(host, ep.name, ep.value, f"cannot load entry point: {exc!r}")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        plugin = exc.plugin
        name = pm.get_name(plugin) or repr(plugin)
        _record(host, name, _source_of(plugin), f"unknown hook: {exc}")
        pm.unregister(plugin)
        # re-check the rest; there may be several offenders
        return _recheck(host)
    _collect_settings(host)
    _collect_sops(host)
    return host


def _recheck(host: PluginHost) -> PluginHost:
    while True:
        try:
            host.pm.check_pending()
            break
        except pluggy.PluginValidationError as exc:
            name = host.pm.get_name(exc.plugin) or repr(exc.plugin)
            _record(host, name, _source_of(exc.plugin), f"unknown hook: {exc}")
            host.pm.unregister(exc.plugin)
    _collect_settings(host)
    _collect_sops(host)
    return host


def _record(host: PluginHost, name: str, source: str, message: str) -> None:
    log.error("plugin %s (%s) skipped: %s", name, source, message)
    host.errors.append(PluginError(name, source, message))


def _register(host: PluginHost, item: object, disabled: tuple[str, ...]) -> None:
    name = item if isinstance(item, str) else getattr(item, "__name__", None) or type(item).__name__
    if name in disabled:
        return
    if isinstance(item, str):
        try:
            item = importlib.import_module(item)
        except Exception as exc:
            _record(host, name, name.replace(".", "/") + ".py", f"cannot import: {exc!r}")
            return
    try:
        host.pm.register(item, name=name)
    except ValueError:
        pass  # already registered under that name
    except pluggy.PluginValidationError as exc:
        _record(host, name, _source_of(item), str(exc))


def _core_setting_names() -> set[str]:
    try:
        return {f.name for f in fields(Settings)}
    except TypeError:  # not a dataclass (a pydantic model)
        return set(getattr(Settings, "model_fields", {}))


def _collect_settings(host: PluginHost) -> None:
    """Call every plugin's register_settings one by one; a malformed declaration skips that plugin."""
    host.settings_declared.clear()
    reserved = _core_setting_names()
    for impl in host.pm.hook.register_settings.get_hookimpls():  # in registration order
        plugin, name = impl.plugin, impl.plugin_name
        ns = namespace_of(name)
        try:
            decls = parse_declarations(impl.function(), reserved=reserved, namespace=ns)
            if ns in host.settings_declared:
                raise SettingDeclarationError(
                    f"the settings namespace {ns!r} is taken by the plugin {host.settings_declared[ns][0]}"
                )
            if ns in reserved:
                raise SettingDeclarationError(f"the settings namespace {ns!r} is a setting of the core")
        except SettingDeclarationError as exc:
            _record(host, name, _source_of(plugin), f"register_settings: {exc}")
            host.pm.unregister(plugin)
            continue
        except Exception as exc:
            _record(host, name, _source_of(plugin), f"register_settings failed: {exc!r}")
            host.pm.unregister(plugin)
            continue
        if decls:
            host.settings_declared[ns] = (name, decls)


def _collect_sops(host: PluginHost) -> None:
    """Call every plugin's register_sops one by one so a broken one is skipped alone."""
    host.sops.clear()
    host.sop_plugins.clear()
    for impl in host.pm.hook.register_sops.get_hookimpls():
        plugin, name = impl.plugin, impl.plugin_name
        source = _source_of(plugin)
        try:
            result = impl.function()
            if not isinstance(result, (list, tuple)):
                raise SopError(source, "register_sops", "must return a list of SOP definitions")
            parsed = [parse_sop(d, source) for d in result]
            for sop in parsed:
                if sop.code in host.sops:
                    raise SopError(
                        source, "code", f"{sop.code!r} is already registered by {host.sop_plugins[sop.code]}"
                    )
        except SopError as exc:
            _record(host, name, exc.source, f"{exc.field}: {exc.message}")
            host.pm.unregister(plugin)
            continue
        except Exception as exc:
            _record(host, name, source, f"register_sops failed: {exc!r}")
            host.pm.unregister(plugin)
            continue
        for sop in parsed:
            host.sops[sop.code] = sop
            host.sop_plugins[sop.code] = name
    # hook call order is LIFO; keep SOPs in registration (document) order
    order = {n: i for i, (n, _) in enumerate(host.pm.list_name_plugin())}
    host.sops = dict(sorted(host.sops.items(), key=lambda kv: order.get(host.sop_plugins[kv[0]], 1 << 30)))
