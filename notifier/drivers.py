"""Message gateway drivers, chosen by ``notify_url`` like printers by theirs.

* ``none``                          messages off (nothing is queued)
* ``log``                           write each message to the log (masked number): the demo's driver
* ``http://…`` ``https://…`` ``webhook+https://…``  POST a JSON body built from ``notify_webhook_body``
  (placeholders ``{phone}`` ``{text}`` ``{id}`` ``{kind}`` in its string values) with the headers of
  ``notify_webhook_headers``: WhatsApp gateways (Fonnte, Wablas, Woowa …), see docs/notifications.md
* ``smtp://user:pass@host:port?from=antrean@kantor.go.id[&to={phone}@sms.example][&starttls=1]``,
  ``smtps://…`` e-mail (to the contact's address, or to the ``to`` template for a phone number)

``send(address, text, key, kind)`` returns on success or raises :class:`SendError`:
``sent=True`` when the gateway may have the message (it is then never resent automatically),
``permanent=True`` when trying again cannot help (the gateway refused it).
"""

from __future__ import annotations

import http.client
import json
import logging
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from antrean.services.notify import mask_address

log = logging.getLogger("antrean.services.notify")

DEFAULT_BODY = '{"to": "{phone}", "message": "{text}", "id": "{id}"}'


class NotifyConfigError(ValueError):
    pass


class SendError(Exception):
    def __init__(self, message: str, *, sent: bool = False, permanent: bool = False):
        super().__init__(message)
        self.sent, self.permanent = sent, permanent


class LogDriver:
    scheme = "log"

    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    def send(self, address: str, text: str, key: str, kind: str) -> None:
        log.info("message %s to %s: %s", key, mask_address(address), text.replace("\n", " / "))
        self.sent.append((address, text))


def _fill(value, values: dict):
    if isinstance(value, str):
        for k, v in values.items():
            value = value.replace("{" + k + "}", v)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


class WebhookDriver:
    scheme = "webhook"

    def __init__(self, url: str, body: str = "", headers: str = "", timeout: float = 10.0):
        target = url[len("webhook+") :] if url.startswith("webhook+") else url
        u = urlsplit(target)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise NotifyConfigError(f"expected webhook+https://HOST/PATH or http(s)://HOST/PATH, got {url!r}")
        try:
            self.port = u.port or (443 if u.scheme == "https" else 80)
        except ValueError:
            raise NotifyConfigError(f"bad port in {url!r}") from None
        self.https, self.host = u.scheme == "https", u.hostname
        self.path = (u.path or "/") + (f"?{u.query}" if u.query else "")
        try:
            self.template = json.loads(body or DEFAULT_BODY)
        except json.JSONDecodeError as exc:
            raise NotifyConfigError(f"notify_webhook_body is not JSON: {exc}") from None
        try:
            self.headers = json.loads(headers) if headers else {}
        except json.JSONDecodeError as exc:
            raise NotifyConfigError(f"notify_webhook_headers is not JSON: {exc}") from None
        if not isinstance(self.headers, dict) or not all(isinstance(v, str) for v in self.headers.values()):
            raise NotifyConfigError(
                'notify_webhook_headers: expected a JSON object of strings, e.g. {"Authorization": "TOKEN"}'
            )
        self.timeout = timeout

    def send(self, address: str, text: str, key: str, kind: str) -> None:
        body = json.dumps(_fill(self.template, {"phone": address, "text": text, "id": key, "kind": kind})).encode()
        cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        conn = cls(self.host, self.port, timeout=self.timeout)
        try:
            try:
                conn.connect()
                conn.request(
                    "POST",
                    self.path,
                    body=body,
                    headers={"Content-Type": "application/json", "Idempotency-Key": key, **self.headers},
                )
            except (OSError, http.client.HTTPException) as exc:
                # not connected, or the request could not be written whole: the gateway cannot act on it
                raise SendError(f"gateway unreachable: {exc!r}") from None
            try:
                resp = conn.getresponse()
                status, answer = resp.status, resp.read(500).decode("utf-8", "replace")
            except (OSError, http.client.HTTPException) as exc:
                raise SendError(
                    f"no answer from the gateway after the request was sent ({exc!r}); it may have "
                    "delivered the message",
                    sent=True,
                ) from None
        finally:
            conn.close()
        if 200 <= status < 300:
            return
        if status >= 500 or status in (408, 429):
            raise SendError(f"gateway answered HTTP {status}: {answer[:200]}")
        raise SendError(f"gateway refused the message: HTTP {status}: {answer[:200]}", permanent=True)


class SmtpDriver:
    scheme = "smtp"

    def __init__(self, url: str, timeout: float = 10.0):
        u = urlsplit(url)
        if u.scheme not in ("smtp", "smtps") or not u.hostname:
            raise NotifyConfigError(f"expected smtp://USER:PASS@HOST:PORT?from=ADDRESS, got {_hide(url)!r}")
        q = {k: v[-1] for k, v in parse_qs(u.query).items()}
        self.sender = q.get("from", "")
        if "@" not in self.sender:
            raise NotifyConfigError(f"smtp: the sender is missing: add ?from=antrean@kantor.go.id to {_hide(url)!r}")
        try:
            self.port = u.port or (465 if u.scheme == "smtps" else 25)
        except ValueError:
            raise NotifyConfigError(f"bad port in {_hide(url)!r}") from None
        self.host, self.ssl = u.hostname, u.scheme == "smtps"
        self.user, self.password = unquote(u.username or ""), unquote(u.password or "")
        self.starttls = q.get("starttls", "") in ("1", "true", "yes")
        self.to = q.get("to", "")
        self.subject = q.get("subject", "Kabar layanan")
        self.timeout = timeout

    def send(self, address: str, text: str, key: str, kind: str) -> None:
        to = address if "@" in address else (self.to.replace("{phone}", address) if self.to else "")
        if "@" not in to:
            raise SendError(
                "no e-mail address for a phone number: set ?to={phone}@gateway in notify_url", permanent=True
            )
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, to, self.subject
        msg["Message-ID"] = f"<{key.replace(':', '.')}@antrean>"
        msg.set_content(text)
        try:
            smtp = (
                smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
                if self.ssl
                else smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            )
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"mail server unreachable: {exc!r}") from None
        try:
            try:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.mail(self.sender)
                code, answer = smtp.rcpt(to)
            except (OSError, smtplib.SMTPException) as exc:
                raise SendError(f"mail server: {exc!r}") from None
            if code >= 500:
                raise SendError(f"recipient refused: {code} {answer!r}", permanent=True)
            if code >= 400:
                raise SendError(f"recipient deferred: {code} {answer!r}")
            try:
                code, answer = smtp.data(msg.as_bytes())
            except smtplib.SMTPDataError as exc:
                raise SendError(
                    f"message refused: {exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
                ) from None
            except (OSError, smtplib.SMTPException) as exc:  # after the data went out: it may be accepted
                raise SendError(
                    f"no answer after the message was sent ({exc!r}); it may have been delivered", sent=True
                ) from None
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def _hide(url: str) -> str:
    u = urlsplit(url)
    if u.password:
        return url.replace(f":{u.password}@", ":***@")
    return url


def open_driver(settings, timeout: float = 10.0):
    """The driver for ``settings.notify_url`` (None when messages are off); NotifyConfigError if malformed."""
    url = (settings.notify_url or "none").strip()
    scheme = url.split(":", 1)[0].lower() if ":" in url else url.lower()
    if scheme in ("", "none"):
        return None
    if scheme == "log":
        return LogDriver()
    if scheme in ("http", "https", "webhook+http", "webhook+https"):
        return WebhookDriver(url, settings.notify_webhook_body, settings.notify_webhook_headers, timeout)
    if scheme in ("smtp", "smtps"):
        return SmtpDriver(url, timeout)
    raise NotifyConfigError(
        f"unknown scheme {scheme!r} in {_hide(url)!r}; expected none, log, http(s)://…, webhook+https://… or smtp://…"
    )
