"""Settings a plugin declares (hook ``register_settings``), checked at start-up like the core's.

A plugin declares each setting once — name, type, default, description (and optionally
``secret``, ``choices``, ``min``/``max``, ``check``). Its values come through the core's
channels, under the plugin's *namespace* (its entry-point name; ``display`` for
``display.plugin``), highest first:

1. a flat key ``<namespace>_<name>`` given to the app (``create_app(config=…)``,
   ``Antrean({...})``) or written at the top of ``antrean.toml`` (an older form);
2. the environment variable ``ANTREAN_<NAMESPACE>_<NAME>``;
3. the ``[<namespace>]`` table of ``<instance>/antrean.toml``;
4. the declared default.

A malformed *declaration* is the plugin author's fault: the plugin is reported and skipped
(like a malformed SOP). A bad *value* is the operator's: ``ConfigError`` stops start-up with one
line naming the setting, the plugin and what is expected. So does a setting the plugin does
not declare (``ANTREAN_DISPLAY_MEDIADIR``, ``[display] media = …``).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from antrean.kernel.config import ConfigError

NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
TYPES = ("str", "int", "float", "bool")
_PY_TYPES = {str: "str", int: "int", float: "float", bool: "bool"}
_BOOL = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
MASK = "********"
KEYS = {"name", "type", "default", "description", "secret", "choices", "min", "max", "check"}


class SettingDeclarationError(ValueError):
    """A plugin's ``register_settings`` returned something malformed (the plugin is skipped)."""


@dataclass(frozen=True)
class PluginSetting:
    """One declared setting. ``register_settings`` may return these or dicts with the same keys."""

    name: str
    type: str = "str"
    default: Any = None
    description: str = ""
    secret: bool = False
    choices: tuple[Any, ...] = ()
    min: float | None = None
    max: float | None = None
    #: extra check of a typed value: raise ValueError("what is expected") to refuse it
    check: Callable[[Any], Any] | None = None

    def expected(self) -> str:
        """What a value must be, in words (for error messages)."""
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        words = {"str": "a text", "int": "a whole number", "float": "a number", "bool": "a boolean (true/false)"}[
            self.type
        ]
        if self.min is not None and self.max is not None:
            return f"{words} from {self.min} to {self.max}"
        if self.min is not None:
            return f"{words} of at least {self.min}"
        if self.max is not None:
            return f"{words} of at most {self.max}"
        return words

    def convert(self, raw: Any) -> Any:
        """The typed, checked value of ``raw`` (text from the environment or a TOML/JSON value).

        Raises ValueError with what is expected."""
        value = _coerce(self.type, raw)
        if value is None:
            raise ValueError(f"expected {self.expected()}")
        if self.choices and value not in self.choices:
            raise ValueError(f"expected {self.expected()}")
        if self.type in ("int", "float") and (
            (self.min is not None and value < self.min) or (self.max is not None and value > self.max)
        ):
            raise ValueError(f"expected {self.expected()}")
        if self.check is not None:
            try:
                self.check(value)
            except ValueError:
                raise
            except Exception as exc:  # the plugin's own check is broken: still one line, naming it
                raise ValueError(f"the plugin's check of this setting failed ({exc!r})") from None
        return value

    def public(self, value: Any) -> Any:
        """``value`` as it may be shown (``antrean plugins``, /-/plugins.json): a secret is masked."""
        if self.secret:
            return MASK if value not in (None, "") else ""
        return value


def _coerce(typ: str, raw: Any) -> Any:
    """``raw`` as ``typ``, or None when it is not one."""
    if typ == "bool":
        if isinstance(raw, bool):
            return raw
        return _BOOL.get(raw.strip().lower()) if isinstance(raw, str) else None
    if typ == "int":
        if isinstance(raw, bool):
            return None
        if isinstance(raw, int):
            return raw
        if isinstance(raw, str) and re.fullmatch(r"\s*[-+]?\d+\s*", raw):
            return int(raw)
        return None
    if typ == "float":
        if isinstance(raw, bool):
            return None
        try:
            value = float(raw) if isinstance(raw, (int, float, str)) else None
        except ValueError:
            return None
        return value if value is not None and math.isfinite(value) else None
    return raw if isinstance(raw, str) else None


def namespace_of(plugin_name: str) -> str:
    """The settings namespace of a plugin: its entry-point name (``contoh``), or for a dotted
    module name the last part before ``.plugin`` (``display.plugin`` → ``display``)."""
    name = plugin_name[: -len(".plugin")] if plugin_name.endswith(".plugin") else plugin_name
    return name.rsplit(".", 1)[-1].replace("-", "_").lower()


def parse_declarations(
    result: Any, *, reserved: AbstractSet[str] = frozenset(), namespace: str = ""
) -> list[PluginSetting]:
    """Validate what ``register_settings`` returned; SettingDeclarationError names the field."""
    if not isinstance(result, (list, tuple)):
        raise SettingDeclarationError("register_settings must return a list of settings")
    if not NAME.fullmatch(namespace):
        raise SettingDeclarationError(
            f"the plugin's name gives the settings namespace {namespace!r}; "
            "expected a-z, 0-9 and _ (name the entry point so)"
        )
    out: list[PluginSetting] = []
    for i, item in enumerate(result):
        where = f"settings[{i}]"
        if isinstance(item, PluginSetting):
            item = {f.name: getattr(item, f.name) for f in dataclasses.fields(PluginSetting)}
        if not isinstance(item, Mapping):
            raise SettingDeclarationError(f"{where}: expected a PluginSetting or a dict, got {type(item).__name__}")
        unknown = set(item) - KEYS
        if unknown:
            raise SettingDeclarationError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        name = item.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise SettingDeclarationError(f"{where}.name: expected a-z, 0-9 and _ (at most 40), got {name!r}")
        where = f"settings[{i}] ({name})"
        if name in {s.name for s in out}:
            raise SettingDeclarationError(f"{where}.name: declared twice")
        if f"{namespace}_{name}" in reserved:
            raise SettingDeclarationError(f"{where}.name: {namespace}_{name} is a setting of the core")
        typ = item.get("type", "str")
        typ = _PY_TYPES.get(typ, typ) if isinstance(typ, type) else typ
        if typ not in TYPES:
            raise SettingDeclarationError(f"{where}.type: expected one of {', '.join(TYPES)}, got {typ!r}")
        description = item.get("description")
        if not isinstance(description, str) or not description.strip():
            raise SettingDeclarationError(f"{where}.description: required (what the setting does, for the operator)")
        choices = tuple(item.get("choices") or ())
        for key in ("min", "max"):
            bound = item.get(key)
            if bound is not None and (
                typ not in ("int", "float") or isinstance(bound, bool) or not isinstance(bound, (int, float))
            ):
                raise SettingDeclarationError(f"{where}.{key}: only for int and float settings, a number")
        check = item.get("check")
        if check is not None and not callable(check):
            raise SettingDeclarationError(f"{where}.check: expected a function")
        setting = PluginSetting(
            name=name,
            type=typ,
            default=None,
            description=description.strip(),
            secret=bool(item.get("secret", False)),
            choices=choices,
            min=item.get("min"),
            max=item.get("max"),
            check=check,
        )
        if any(_coerce(typ, c) != c for c in choices):
            raise SettingDeclarationError(f"{where}.choices: every choice must be a {typ}")
        default = item.get("default", "" if typ == "str" else None)
        try:
            default = setting.convert(default)
        except ValueError as exc:
            raise SettingDeclarationError(f"{where}.default: {default!r} is not valid: {exc}") from None
        out.append(dataclasses.replace(setting, default=default))
    return out


def resolve(
    declared: dict[str, tuple[str, list[PluginSetting]]],
    extra: Mapping[str, Any],
    environ: Mapping[str, str],
    *,
    reserved: AbstractSet[str] = frozenset(),
    plugin_names: tuple[str, ...] = (),
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, str]]]:
    """Every declared setting's value: ``({namespace: {name: value}}, {namespace: {name: source}})``.

    ``declared`` maps namespace → (plugin name, declarations); ``extra`` is ``Settings.extra`` (keys of
    the file and of the app's config the core does not know, TOML tables as dicts); ``plugin_names``
    are the namespaces of every loaded plugin (a ``[table]`` for one that declares nothing is refused).
    ConfigError names the setting, the plugin and what is expected.
    """
    values: dict[str, dict[str, Any]] = {}
    sources: dict[str, dict[str, str]] = {}
    # a key is checked against the longest namespace it starts with (foo_bar_x belongs to foo_bar, not foo)
    by_length = sorted(declared, key=len, reverse=True)

    def owner(key: str) -> str | None:
        return next((ns for ns in by_length if key.startswith(ns + "_")), None)

    for ns in set(plugin_names) - set(declared):
        if isinstance(extra.get(ns), Mapping):
            raise ConfigError(f"[{ns}] in antrean.toml: the plugin {ns} declares no settings")
    for ns, (plugin, decls) in declared.items():
        names = {d.name for d in decls}
        known = ", ".join(sorted(names))
        section = extra.get(ns)
        if section is None:
            section = {}
        if not isinstance(section, Mapping):
            raise ConfigError(
                f"{ns}: expected a [{ns}] table of the plugin {plugin}'s settings ({known}), got {section!r}"
            )
        for key in section:
            if key not in names:
                raise ConfigError(f"[{ns}] {key}: the plugin {plugin} has no setting {key!r} (its settings: {known})")
        for key in extra:
            if owner(key) == ns and key[len(ns) + 1 :] not in names and key not in reserved:
                raise ConfigError(
                    f"{key}: the plugin {plugin} has no setting {key[len(ns) + 1 :]!r} (its settings: {known})"
                )
        for key in environ:
            low = key[len("ANTREAN_") :].lower() if key.startswith("ANTREAN_") else ""
            if low and owner(low) == ns and low[len(ns) + 1 :] not in names and low not in reserved:
                raise ConfigError(
                    f"{key}: the plugin {plugin} has no setting {low[len(ns) + 1 :]!r} (its settings: {known})"
                )
        values[ns], sources[ns] = {}, {}
        for d in decls:
            flat, env = f"{ns}_{d.name}", f"ANTREAN_{ns.upper()}_{d.name.upper()}"
            if flat in extra:
                raw, source, label = extra[flat], "config", flat
            elif env in environ:
                raw, source, label = environ[env], "env", env
            elif d.name in section:
                raw, source, label = section[d.name], "file", f"[{ns}] {d.name}"
            else:
                values[ns][d.name], sources[ns][d.name] = d.default, "default"
                continue
            try:
                values[ns][d.name] = d.convert(raw)
            except ValueError as exc:
                shown = "(secret)" if d.secret else repr(raw)
                raise ConfigError(f"{label}: setting {d.name!r} of the plugin {plugin}: {exc}, got {shown}") from None
            sources[ns][d.name] = source
    return values, sources
