"""The waiting-room board: page at /display, Socket.IO namespace /display, call audio.

How a call reaches a board
--------------------------
``ticket_called`` (after commit) builds a public payload (no personal data:
number, service, counter, announcement text, audio URL, ``seq``) and emits
``called`` to four rooms at once: ``all`` (boards without a filter),
``c:<counter id>``, ``s:<service code>`` and ``cs:<counter id>:<service>``.
A board joins the rooms of its profile when it connects, so a board for
"loket 1-2" or "KTP and KK" gets exactly its calls. Filtered boards also
join ``ticks``, which gets a tiny ``tick`` ``{seq}`` for every call: that is
how they see a gap in the global ``seq`` even though they do not get every
call. A gap makes the board ask for a fresh ``state`` (``snapshot`` event).

With ``ANTREAN_REDIS_URL`` the emits go through Flask-SocketIO's message
queue, so a call made in any process reaches boards on every process.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, render_template, request, send_file, send_from_directory
from flask_socketio import Namespace, emit, join_room

from antrean import hookimpl
from antrean.kernel import i18n
from antrean.kernel.errors import AntreanError, Invalid, NotFound
from antrean.kernel.timeutil import day_names, month_names
from antrean.web.limits import MESSAGE, public, refused

from . import announcer as voice

log = logging.getLogger(__name__)

__version__ = "1.0"

NAMESPACE = "/display"
CLIP_DIR = Path(__file__).resolve().parent / "clips"
MEDIA_EXTENSIONS = {
    ".jpg": "image",
    ".jpeg": "image",
    ".png": "image",
    ".webp": "image",
    ".gif": "image",
    ".mp4": "video",
    ".webm": "video",
}
SETTINGS_TTL = 3.0  # seconds a board setting read from the database is reused
WAITING_COALESCE = 0.2  # seconds: at most one waiting-count broadcast per window
CACHE_MAX_AGE_DAYS = 30  # announcement WAVs not touched for this long are removed at start
_NUMBER_RE = re.compile(r"^[A-Z]{0,2}[0-9]{1,9}$")  # past 9,999 tickets of one letter too (A12005)
_CODE_RE = re.compile(r"^[a-z0-9_]{1,60}$")
_PROFILE_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
KINDS = ("call", "recall", "step")

#: the board's texts: message ids, or (context, message id); ``labels(lang)`` translates them for board.js (JSON)
LABEL_IDS = {
    "title": "Papan Antrean",
    "now_calling": ("board", "Nomor antrean"),
    "counter": "Loket",
    "counters": "Loket",
    "last_calls": "Panggilan terakhir",
    "waiting": "Menunggu",
    "nobody_waiting": "Tidak ada yang menunggu",
    "none": "—",
    "disconnected": "Koneksi terputus — menyambung kembali…",
    "sound_blocked": "Suara diblokir peramban. Ketuk layar sekali untuk mengaktifkan suara.",
    "no_calls": "Belum ada panggilan hari ini",
    "recall": "Panggilan ulang",
}


def labels(lang: str) -> dict:
    """The board's texts in ``lang``; day and month names from Babel (CLDR)."""
    out = {
        key: i18n.pgettext(*text, lang) if isinstance(text, tuple) else i18n.gettext(text, lang)
        for key, text in LABEL_IDS.items()
    }
    out.update(days=day_names(lang), months=month_names(lang))
    return out


# ---------------------------------------------------------------------------------------------
# Profiles
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Profile:
    """What one board shows. Empty tuples mean "everything"."""

    name: str = ""
    counter_numbers: tuple[int, ...] = ()
    counter_ids: tuple[int, ...] = ()
    services: tuple[str, ...] = ()

    @property
    def filtered(self) -> bool:
        return bool(self.counter_ids or self.services)

    def rooms(self) -> list[str]:
        if self.counter_ids and self.services:
            rooms = [f"cs:{c}:{s}" for c in self.counter_ids for s in self.services]
        elif self.counter_ids:
            rooms = [f"c:{c}" for c in self.counter_ids]
        elif self.services:
            rooms = [f"s:{s}" for s in self.services]
        else:
            return ["all"]
        return rooms + ["ticks"]

    def to_dict(self) -> dict:
        return {"name": self.name, "counters": list(self.counter_numbers), "services": list(self.services)}


def call_rooms(counter_id: int, service: str) -> list[str]:
    """Every room a call to ``counter_id`` for ``service`` goes to (see Profile.rooms)."""
    return ["all", f"c:{counter_id}", f"s:{service}", f"cs:{counter_id}:{service}"]


def _split(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        items = str(value).split(",")
    return [i.strip() for i in items if i.strip()]


# ---------------------------------------------------------------------------------------------
# The hub: one per app, kept in core.extensions["display"]
# ---------------------------------------------------------------------------------------------
@dataclass
class _Cached:
    value: object
    at: float


class DisplayHub:
    def __init__(self, app, core, socketio, announcer: voice.Announcer | None):
        self.app, self.core, self.socketio = app, core, socketio
        self.announcer = announcer
        self._cache: dict[str, _Cached] = {}
        self._cache_lock = threading.Lock()
        media = core.plugin_settings("display")["media_dir"]  # declared below (register_settings)
        self.media_dir = Path(media) if media else Path(core.settings.instance_path) / "display-media"
        self._waiting_lock = threading.Lock()
        self._waiting_pending = False
        self.closed = False

    # -- settings (read through a short cache: a call must not wait on several reads) -----------
    def _setting(self, key: str, default):
        now = time.monotonic()
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit.at < SETTINGS_TTL:
                return hit.value
        value = self.core.get_setting(key, default)
        with self._cache_lock:
            self._cache[key] = _Cached(value, now)
        return value

    def forget_settings(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def volume(self) -> float:
        raw = self._setting("display_volume", 1.0)
        try:
            v = float(raw)
        except (TypeError, ValueError):
            log.error("setting display_volume=%r is not a number 0.0-1.0; using 1.0", raw)
            return 1.0
        if 1.0 < v <= 100.0:  # written as a percentage
            v = v / 100.0
        if not 0.0 <= v <= 1.0:
            log.error("setting display_volume=%r is outside 0.0-1.0; using 1.0", raw)
            return 1.0
        return v

    def template(self, kind: str) -> str:
        key, default = (
            ("display_recall_template", voice.RECALL_TEMPLATE)
            if kind == "recall"
            else ("display_template", voice.DEFAULT_TEMPLATE)
        )
        value = self._setting(key, default) or default
        problem = template_problem(value, self.announcer)
        if problem:
            log.error("setting %s=%r is unusable (%s); using the default template", key, value, problem)
            return default
        return value

    def profiles(self) -> dict:
        value = self._setting("display_profiles", {}) or {}
        if not isinstance(value, dict):
            log.error("setting display_profiles must be {name: {counters: [...], services: [...]}}, got %r", value)
            return {}
        return value

    # -- profiles --------------------------------------------------------------------------------
    def profile(self, params) -> Profile:
        """Resolve ``profile``, ``counters`` (loket numbers) and ``services`` (codes) to a Profile.

        URL parameters override the named profile's fields. Raises Invalid/NotFound with a clear
        message for an unknown profile, loket or service.
        """
        name = (params.get("profile") or "").strip()
        counters_raw, services_raw = params.get("counters"), params.get("services")
        if name:
            if not _PROFILE_RE.match(name):
                raise Invalid("Nama profil papan tidak sah.", detail=repr(name))
            saved = self.profiles().get(name)
            if not isinstance(saved, dict):
                raise NotFound(
                    "Profil papan “%(name)s” belum diatur. Minta admin menambahkannya.",
                    params={"name": name},
                    detail=f"setting display_profiles has no key {name!r}",
                )
            if counters_raw is None:
                counters_raw = saved.get("counters")
            if services_raw is None:
                services_raw = saved.get("services")
        numbers: list[int] = []
        for item in _split(counters_raw)[:50]:
            if (
                not item.isdecimal() or not 1 <= int(item) <= 999
            ):  # not isdigit(): "²".isdigit() is True, int("²") fails
                raise Invalid("Daftar loket papan tidak sah (contoh: counters=1,2).", detail=f"counter {item!r}")
            numbers.append(int(item))
        codes: list[str] = []
        for item in _split(services_raw)[:50]:
            if not _CODE_RE.match(item) or item not in self.core.sops:
                raise Invalid(
                    "Layanan pada profil papan tidak dikenal.",
                    detail=f"service {item!r}; known: {', '.join(self.core.sops)}",
                )
            codes.append(item)
        ids: list[int] = []
        if numbers:
            by_number: dict[int, list[int]] = {}
            for c in self.core.queue.counters():
                if c["active"]:
                    by_number.setdefault(c["number"], []).append(c["id"])
            missing = [n for n in numbers if n not in by_number]
            if missing:
                raise NotFound(
                    "Loket %(value)s tidak ada atau tidak aktif.",
                    params={"value": ", ".join(map(str, missing))},
                    detail=f"no active counter numbered {missing}",
                )
            ids = sorted({i for n in numbers for i in by_number[n]})
        return Profile(name, tuple(dict.fromkeys(numbers)), tuple(ids), tuple(dict.fromkeys(codes)))

    # -- payloads --------------------------------------------------------------------------------
    def audio_url(self, kind: str, number: str, counter_number: int) -> str:
        kind = "recall" if kind == "recall" else "call"
        return f"{NAMESPACE}/audio/{kind}/{number}/{counter_number}.wav"

    def text(self, kind: str, number: str, counter_number: int) -> str:
        try:
            return voice.announcement_text(number, counter_number, self.template(kind))
        except ValueError:
            return f"Nomor antrean {number}, silakan menuju loket {counter_number}"

    def public_call(self, call: dict) -> dict:
        """A call as boards see it: no ticket id, no priority category, no personal data."""
        counter = call["counter"]
        return {
            "seq": call["seq"],
            "kind": call["kind"],
            "at": call["at"],
            "number": call["number"],
            "letter": call.get("letter"),
            "service": call["service"],
            "service_name": call.get("service_name"),
            "counter": {"id": counter["id"], "name": counter["name"], "number": counter["number"]},
            "text": self.text(call["kind"], call["number"], counter["number"]),
            "audio": self.audio_url(call["kind"], call["number"], counter["number"]),
        }

    def state(self, profile: Profile) -> dict:
        """The full snapshot a board gets on every (re)connect and after a gap in ``seq``."""
        snap = self.core.queue.snapshot(
            counters=list(profile.counter_ids) or None, services=list(profile.services) or None
        )
        snap["calls"] = [self.public_call(c) for c in snap["calls"]]
        snap["profile"] = profile.to_dict()
        snap["now"] = int(time.time() * 1000)
        snap["volume"] = self.volume()
        office = self.core.office()
        snap["office"] = {"name": office["name"], "address": office["address"]}
        return snap

    # -- events ------------------------------------------------------------------------------------
    def emit_call(self, call: dict) -> dict:
        """One message per board per call: ``called`` (with the new waiting counts) or, for filtered
        boards the call is not for, ``tick`` (seq and counts)."""
        counts = self.core.tickets.waiting_counts()
        payload = self.public_call(call)
        self.socketio.emit(
            "called",
            payload | {"waiting": counts},
            namespace=NAMESPACE,
            to=call_rooms(call["counter"]["id"], call["service"]),
        )
        self.socketio.emit("tick", {"seq": call["seq"], "waiting": counts}, namespace=NAMESPACE, to="ticks")
        return payload

    def emit_waiting(self) -> None:
        self.socketio.emit("waiting", {"counts": self.core.tickets.waiting_counts()}, namespace=NAMESPACE)

    def request_waiting(self) -> None:
        """Coalesce waiting-count broadcasts: a busy kiosk issues many tickets a second, the boards need
        one fresh count per WAITING_COALESCE seconds, and counting must not sit on the issuing path."""
        with self._waiting_lock:
            if self._waiting_pending or self.closed:
                return
            self._waiting_pending = True
        timer = threading.Timer(WAITING_COALESCE, self._flush_waiting)
        timer.daemon = True
        timer.start()

    def _flush_waiting(self) -> None:
        with self._waiting_lock:
            self._waiting_pending = False
            if self.closed:
                return
        try:
            self.emit_waiting()
        except Exception:
            log.exception("display: broadcast of waiting counts failed")

    def emit_counters(self) -> None:
        snap = self.core.queue.snapshot(last=0)
        self.socketio.emit("counters", {"counters": snap["counters"]}, namespace=NAMESPACE)
        self.socketio.emit(
            "waiting", {"counts": {w["service"]: w["waiting"] for w in snap["waiting"]}}, namespace=NAMESPACE
        )

    def refresh(self) -> None:
        """Configuration changed: forget cached settings and tell every board (on every process, via
        the message queue) to ask for a fresh ``state``; each board gets its own profile's snapshot."""
        self.forget_settings()
        self.socketio.emit("refresh", {}, namespace=NAMESPACE)

    def prebuild(self, payload: dict) -> None:
        """Build the call's WAV now, so the boards' requests are a file read."""
        if self.announcer is None:
            return
        kind = payload["kind"]
        self.announcer.audio_for(
            payload["number"], payload["counter"]["number"], self.template(kind), volume=self.volume()
        )

    # -- media -------------------------------------------------------------------------------------
    def media(self) -> list[dict]:
        if not self.media_dir.is_dir():
            return []
        out = []
        for p in sorted(self.media_dir.iterdir()):
            kind = MEDIA_EXTENSIONS.get(p.suffix.lower())
            if kind and p.is_file() and not p.name.startswith("."):
                out.append({"kind": kind, "url": f"{NAMESPACE}/media/{p.name}"})
        return out[:100]


def template_problem(template, announcer: voice.Announcer | None) -> str | None:
    """Why a phrase template cannot be used (None if it can)."""
    if not isinstance(template, str):
        return "not a string"
    try:
        tokens = voice.announcement_tokens("A001", 1, template)
        if announcer is not None:
            announcer.library.check(tokens)
    except (ValueError, voice.MissingClip) as exc:
        return str(exc)
    return None


def _hub(core) -> DisplayHub | None:
    return core.extensions.get("display")


# ---------------------------------------------------------------------------------------------
# Socket.IO
# ---------------------------------------------------------------------------------------------
class DisplayNamespace(Namespace):
    """Boards connect here. ``auth`` (or the query string) may carry profile, counters, services."""

    def __init__(self, hub: DisplayHub):
        super().__init__(NAMESPACE)
        self.hub = hub
        self.profiles: dict[str, Profile] = {}

    def on_connect(self, auth=None):
        wait = refused("board")  # every connect sends a full snapshot: a flood of them is refused like state.json
        if wait:
            raise ConnectionRefusedError(
                {"error": "too_many_requests", "message": i18n.gettext(MESSAGE, "id", s=wait), "retry_after": wait}
            )
        params = dict(request.args)
        if isinstance(auth, dict):
            params.update({k: auth[k] for k in ("profile", "counters", "services") if k in auth})
        try:
            profile = self.hub.profile(params)
        except AntreanError as exc:
            raise ConnectionRefusedError(exc.to_dict("id")) from None
        self.profiles[request.sid] = profile
        for room in profile.rooms():
            join_room(room)
        emit("state", self.hub.state(profile))

    def on_disconnect(self, *args):
        self.profiles.pop(request.sid, None)

    def on_snapshot(self, data=None):
        profile = self.profiles.get(request.sid)
        if profile is not None and not refused("board"):
            emit("state", self.hub.state(profile))


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------
bp = Blueprint(
    "display",
    __name__,
    url_prefix=NAMESPACE,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def _lang() -> str:
    """A public TV speaks the office language (setting ``language``), English only when asked (?lang=en).

    Not the browser's Accept-Language: a kiosk browser set up in English must still show Indonesian.
    """
    choice = request.args.get("lang")
    if choice in i18n.LANGUAGES:
        return choice
    return current_app.extensions["antrean"].settings.language


@bp.get("/", strict_slashes=False)
def board():
    hub: DisplayHub = current_app.extensions["antrean.display"]
    core = hub.core
    lang = _lang()
    try:
        profile = hub.profile(request.args)
    except AntreanError as exc:
        return render_template("display/error.html", message=exc.message(lang), lang=lang), exc.status
    settings = core.settings
    config = {
        "auth": {
            "profile": profile.name,
            "counters": ",".join(map(str, profile.counter_numbers)),
            "services": ",".join(profile.services),
        },
        "lang": lang,
        "labels": labels(lang),
        "tz": settings.timezone,
        "tz_label": settings.tz_label,
        "media": hub.media(),
    }
    return render_template(
        "display/board.html",
        office=core.office(),
        labels=labels(lang),
        lang=lang,
        config=config,
        has_media=bool(config["media"]),
    )


@bp.get("/audio/<kind>/<number>/<int:counter>.wav")
def audio(kind: str, number: str, counter: int):
    """The joined WAV of one call made today (404 for calls that were never made)."""
    hub: DisplayHub = current_app.extensions["antrean.display"]
    if kind not in KINDS or not _NUMBER_RE.match(number) or not 0 <= counter <= 999:
        raise NotFound("Suara panggilan tidak ditemukan.", detail="bad audio URL")
    if hub.announcer is None:
        raise NotFound(
            "Pustaka suara tidak tersedia.", detail=f"no usable clips in {CLIP_DIR}; run display/make_clips.py"
        )
    if not hub.core.queue.was_called_today(number, counter):
        raise NotFound("Suara panggilan tidak ditemukan.", detail=f"{number} was not called to loket {counter} today")
    try:
        path, key = hub.announcer.audio_for(number, counter, hub.template(kind), volume=hub.volume())
    except (ValueError, voice.MissingClip) as exc:
        raise NotFound("Suara panggilan tidak dapat dibuat.", detail=str(exc)) from exc
    response = send_file(path, mimetype="audio/wav", etag=key, max_age=60, conditional=True)
    return response


@bp.get("/media/<path:name>")
def media(name: str):
    hub: DisplayHub = current_app.extensions["antrean.display"]
    if Path(name).suffix.lower() not in MEDIA_EXTENSIONS or "/" in name or name.startswith("."):
        abort(404)
    return send_from_directory(hub.media_dir, name, max_age=300)


@bp.get("/state.json")
@public("board")
def state_json():
    """The board's snapshot over plain HTTP (same filters as the page), for monitoring and debugging."""
    hub: DisplayHub = current_app.extensions["antrean.display"]
    return jsonify(hub.state(hub.profile(request.args)))


# ---------------------------------------------------------------------------------------------
# Hooks
# ---------------------------------------------------------------------------------------------
def _announcer(core) -> voice.Announcer | None:
    cache = Path(core.settings.instance_path) / "display-audio"
    try:
        ann = voice.Announcer(CLIP_DIR, cache)
    except (OSError, voice.ClipFormatError) as exc:
        log.error("display: announcer disabled, clip library %s unusable: %s", CLIP_DIR, exc)
        return None
    _prune(cache)
    return ann


def _prune(cache: Path) -> None:
    limit = time.time() - CACHE_MAX_AGE_DAYS * 86400
    for p in cache.glob("*.wav"):
        try:
            if p.stat().st_mtime < limit:
                p.unlink()
        except OSError:
            pass


@hookimpl
def register_settings():
    # ANTREAN_DISPLAY_MEDIA_DIR, [display] media_dir, or (as before) display_media_dir at the top of antrean.toml
    return [
        {
            "name": "media_dir",
            "type": "str",
            "default": "",
            "description": "folder of images (jpg png webp gif) and videos (mp4 webm) shown in the board's media "
            "area, in name order; empty: <instance>/display-media",
        }
    ]


@hookimpl
def init_app(app, core):
    socketio = app.extensions["antrean.socketio"]
    hub = DisplayHub(app, core, socketio, _announcer(core))
    app.extensions["antrean.display"] = hub
    core.extensions["display"] = hub
    app.register_blueprint(bp)
    socketio.on_namespace(DisplayNamespace(hub))


def _on_hub(core, what: str, fn) -> None:
    """Run ``fn(hub)`` if this core has a board hub; log, never raise (the change is committed already)."""
    hub = _hub(core)
    if hub is None:
        return
    try:
        fn(hub)
    except Exception:
        log.exception("display: %s failed", what)


def _after_call(hub: DisplayHub, call: dict) -> None:
    payload = hub.emit_call(call)  # first: the boards must not wait for anything else
    try:
        hub.prebuild(payload)
    except Exception:
        log.exception("display: after call seq=%s", call.get("seq"))


@hookimpl
def ticket_called(core, call):
    _on_hub(core, f"broadcast of call seq={call.get('seq')}", lambda hub: _after_call(hub, call))


@hookimpl
def ticket_issued(core, ticket):
    _on_hub(core, "broadcast of waiting counts", DisplayHub.request_waiting)


@hookimpl
def queue_changed(core, office_id, action, ticket):
    _on_hub(core, f"broadcast of counter change ({action})", DisplayHub.emit_counters)


#: events after which every board asks for a fresh snapshot (its lokets, services, running text,
#: header or profile may have changed); a board is never left showing yesterday's configuration
REFRESH_ON = ("settings.changed", "counter.changed", "service.changed", "office.changed")


@hookimpl
def event_published(core, event):
    if event.type in REFRESH_ON:
        _on_hub(core, f"refresh after {event.type}", DisplayHub.refresh)
    elif event.type == "ticket.closed" and event.data.get("outcome") in ("cancelled", "expired"):
        # a waiting ticket left the queue without a call: the counts change (coalesced, off the path)
        _on_hub(core, "broadcast of waiting counts", DisplayHub.request_waiting)


@hookimpl
def shutdown(core):
    hub = _hub(core)
    if hub is not None:
        with hub._waiting_lock:
            hub.closed = True
