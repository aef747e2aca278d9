"""Domain errors: an HTTP status, a stable code, and messages in Indonesian and English.

Faces show ``message(lang)``; admins also get ``detail`` (precise, English).
"""
from __future__ import annotations


class AntreanError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, id_text: str, en_text: str | None = None, *, detail: str = "", code: str | None = None,
                 status: int | None = None, **extra):
        super().__init__(en_text or id_text)
        self.id_text, self.en_text, self.detail = id_text, en_text or id_text, detail
        if code:
            self.code = code
        if status:
            self.status = status
        self.extra = extra

    def message(self, lang: str = "id") -> str:
        return self.en_text if lang == "en" else self.id_text

    def to_dict(self, lang: str = "id") -> dict:
        d = {"error": self.code, "message": self.message(lang)}
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
