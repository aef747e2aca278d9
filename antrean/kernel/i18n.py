"""The one translation system, without Flask: gettext catalogs for ``id`` and ``en``.

Message ids are the Indonesian source text (Indonesian is the product's first language: the ``id``
catalog is the identity and a missing entry still shows correct Indonesian). Placeholders are
``%(name)s`` (gettext's python-format, the same as Flask-Babel): ``gettext(msgid, lang, name=...)``.

Catalogs live in ``antrean/translations/<lang>/LC_MESSAGES/messages.po`` (the source, in git); the
``.mo`` beside each is compiled from it whenever it is missing or older than the ``.po`` (first use in
a process, e.g. ``antrean run``; it takes a few milliseconds) and is not kept in git. Where the package
folder is read-only the catalog is compiled in memory instead. The web layer (Flask-Babel) is handed
the same ``Translations`` objects (see ``antrean.web.app``).
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from markupsafe import escape

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
DOMAIN = "messages"
CATALOG_DIR = Path(__file__).resolve().parent.parent / "translations"

_lock = threading.Lock()
_cache: dict[str, Translations | NullTranslations] = {}
#: Who says which language a lazy string renders in when it is turned into ``str`` without one (the web layer
#: sets this to the request's language; outside a request: the default).
_current_language: Callable[[], str] = lambda: DEFAULT_LANGUAGE  # noqa: E731


def po_path(lang: str, directory: Path = CATALOG_DIR) -> Path:
    return directory / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _compile(po: Path) -> bytes:
    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_catalogs(directory: Path = CATALOG_DIR, force: bool = False) -> list[Path]:
    """Write ``messages.mo`` beside every ``messages.po`` that is newer than it (or has none). Returns the
    files written; a read-only folder is skipped (``translations()`` then compiles in memory)."""
    written = []
    for lang in LANGUAGES:
        po = po_path(lang, directory)
        mo = po.with_suffix(".mo")
        if not po.exists():
            continue
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        data = _compile(po)
        try:
            tmp = mo.with_name(f".{mo.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # one per writer
            tmp.write_bytes(data)
            tmp.replace(mo)  # atomic: a process starting beside this one reads the old or the new file
            written.append(mo)
        except OSError:
            pass
    return written


def translations(lang: str) -> Translations | NullTranslations:
    """The catalog of ``lang`` (loaded once per process; ``reload()`` forgets them)."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    t = _cache.get(lang)
    if t is None:
        with _lock:
            t = _cache.get(lang)
            if t is None:
                compile_catalogs()
                po = po_path(lang)
                mo = po.with_suffix(".mo")
                if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
                    with mo.open("rb") as f:
                        t = Translations(f, domain=DOMAIN)
                elif po.exists():
                    t = Translations(io.BytesIO(_compile(po)), domain=DOMAIN)
                else:
                    t = NullTranslations()
                _cache[lang] = t
    return t


def reload() -> None:
    with _lock:
        _cache.clear()


def has(msgid: str, lang: str = "en", context: str | None = None) -> bool:
    """Whether the catalog of ``lang`` holds ``msgid``."""
    t = translations(lang)
    key = msgid if context is None else f"{context}\x04{msgid}"
    return key in getattr(t, "_catalog", {})


def _format(text: str, params: dict[str, Any]) -> str:
    if not params:
        return text
    try:
        return text % params
    except (KeyError, ValueError, TypeError):
        return text


def gettext(msgid: str, lang: str | None = None, /, **params: Any) -> str:
    """``msgid`` in ``lang`` (default: the current language), ``%(name)s`` placeholders filled from ``params``."""
    return _format(translations(lang or current_language()).gettext(msgid), params)


def pgettext(context: str, msgid: str, lang: str | None = None, /, **params: Any) -> str:
    return _format(str(translations(lang or current_language()).pgettext(context, msgid)), params)


def ngettext(singular: str, plural: str, n: int, lang: str | None = None, /, **params: Any) -> str:
    params.setdefault("num", n)
    return _format(translations(lang or current_language()).ngettext(singular, plural, n), params)


def current_language() -> str:
    lang = _current_language()
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def set_language_source(fn: Callable[[], str]) -> None:
    """The web layer tells the kernel how to find the language of the moment (the request's)."""
    global _current_language
    _current_language = fn


class LazyString:
    """A message translated when it is shown, not when it is made (module-level tables, exceptions):
    ``str(s)`` uses the current language, ``s.render(lang)`` a given one."""

    __slots__ = ("msgid", "params", "context")

    def __init__(self, msgid: str, context: str | None = None, **params: Any):
        self.msgid, self.context, self.params = msgid, context, params

    def render(self, lang: str | None = None) -> str:
        lang = lang or current_language()
        params = _rendered(self.params, lang)
        if self.context is not None:
            return pgettext(self.context, self.msgid, lang, **params)
        return gettext(self.msgid, lang, **params)

    def pair(self) -> tuple[str, str]:
        """(Indonesian, English), for records that keep both."""
        return self.render("id"), self.render("en")

    def __str__(self) -> str:
        return self.render()

    def __html__(self) -> str:
        return str(escape(self.render()))

    def __repr__(self) -> str:
        return f"LazyString({self.msgid!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.msgid)

    def __len__(self) -> int:
        return len(str(self))

    def __add__(self, other: object) -> str:
        return str(self) + str(other)

    def __radd__(self, other: object) -> str:
        return str(other) + str(self)

    def __mod__(self, other: Any) -> str:
        text: str = str(self) % other
        return text

    def format(self, *args: Any, **kwargs: Any) -> str:
        return str(self).format(*args, **kwargs)


class PerLanguage:
    """A value already written in each language (e.g. a list of errors built from data), rendered like a
    LazyString: ``PerLanguage(id="baris 2: …", en="line 2: …")``."""

    __slots__ = ("texts",)

    def __init__(self, **texts: str):
        self.texts = texts

    def render(self, lang: str | None = None) -> str:
        return self.texts.get(lang or current_language()) or self.texts.get(DEFAULT_LANGUAGE, "")

    def __str__(self) -> str:
        return self.render()


def _rendered(params: dict[str, Any], lang: str) -> dict[str, Any]:
    """``params`` with LazyString / PerLanguage values rendered in ``lang``."""
    return {k: v.render(lang) if isinstance(v, (LazyString, PerLanguage)) else v for k, v in params.items()}


def render(msgid: str, lang: str, /, **params: Any) -> str:
    """``gettext`` whose LazyString / PerLanguage parameters render in the same ``lang``."""
    return gettext(msgid, lang, **_rendered(params, lang))


def pair(msgid: str, /, **params: Any) -> tuple[str, str]:
    """(Indonesian, English) of one message, for records that keep both (calendar statuses, kiosk states)."""
    return render(msgid, "id", **params), render(msgid, "en", **params)


def lazy_gettext(msgid: str, /, **params: Any) -> LazyString:
    return LazyString(msgid, **params)


def N_(msgid: str) -> str:
    """Marks ``msgid`` for the catalogs without translating it (tables translated where shown)."""
    return msgid
