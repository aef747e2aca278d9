"""Domain errors: an HTTP status, a stable code, and a message from the catalogs.

An error carries a message id (the Indonesian text, see ``antrean.kernel.i18n``) and its ``params``;
faces show ``message(lang)`` in the request's language; admins also get ``detail`` (precise, English).
``Invalid("Nomor %(number)s sudah ditutup.", params={"number": n})`` (or a ``LazyString`` with its params).
There is no second text: English comes from the ``en`` catalog only.
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
        /,
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
        self.msgid, self.params, self.detail = str(msgid), dict(params or {}), detail
        super().__init__(self.message("en"))
        if code:
            self.code = code
        if status:
            self.status = status
        self.extra = extra

    def message(self, lang: str = "id") -> str:
        lang = lang if lang in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
        return i18n.render(self.msgid, lang, **self.params)

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
