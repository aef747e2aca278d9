"""Domain errors: an HTTP status, a stable code, and a message from the catalogs.

An error carries a message id (the Indonesian text, see ``antrean.kernel.i18n``) and its ``params``;
faces show ``message(lang)`` in the request's language; admins also get ``detail`` (precise, English).
``Invalid("Nomor %(number)s sudah ditutup.", params={"number": n})``. A second positional text (English)
is still accepted and used for English when the catalog has no entry for the message id.
"""

from __future__ import annotations

from typing import Any

from antrean.kernel import i18n


class AntreanError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        msgid: Any,
        en_text: str | None = None,
        *,
        detail: str = "",
        code: str | None = None,
        status: int | None = None,
        params: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        if isinstance(msgid, i18n.LazyString):
            params = {**msgid.params, **(params or {})}
            msgid = msgid.msgid
        self.msgid, self.params, self._en_text, self.detail = str(msgid), dict(params or {}), en_text, detail
        super().__init__(self.message("en"))
        if code:
            self.code = code
        if status:
            self.status = status
        self.extra = extra

    def message(self, lang: str = "id") -> str:
        if lang == "en" and self._en_text is not None and not i18n.has(self.msgid, "en"):
            return self._en_text
        lang = lang if lang in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
        params = {
            k: v.render(lang) if isinstance(v, (i18n.LazyString, i18n.PerLanguage)) else v
            for k, v in self.params.items()
        }
        return i18n.gettext(self.msgid, lang, **params)

    @property
    def id_text(self) -> str:
        return self.message("id")

    @property
    def en_text(self) -> str:
        return self.message("en")

    def to_dict(self, lang: str = "id") -> dict[str, Any]:
        d: dict[str, Any] = {"error": self.code, "message": self.message(lang)}
        if self.detail:
            d["detail"] = self.detail
        d.update(self.extra)
        return d


class Invalid(AntreanError):
    status, code = 422, "invalid"


class NotFound(AntreanError):
    status, code = 404, "not_found"


class Conflict(AntreanError):
    status, code = 409, "conflict"


class Forbidden(AntreanError):
    status, code = 403, "forbidden"


class Unauthorized(AntreanError):
    status, code = 401, "unauthorized"


class Unavailable(AntreanError):
    status, code = 503, "unavailable"
