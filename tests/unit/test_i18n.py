"""The one translation system: catalogs complete, every message id in code found in them, pages in id and en."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from antrean.kernel import i18n
from antrean.kernel.errors import Conflict, Invalid, NotFound

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["antrean", "console", "kiosk", "display", "publik", "notifier", "hardware", "plugins"]
ERROR_CLASSES = [
    "Invalid",
    "NotFound",
    "Conflict",
    "Forbidden",
    "Unauthorized",
    "Unavailable",
    "AntreanError",
    "TooManyAttempts",
]
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "N_": None,
    "lazy_gettext": None,
    "LazyString": None,
    **{name: None for name in ERROR_CLASSES},
}
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def catalog(lang: str):
    with i18n.po_path(lang).open("rb") as f:
        return read_po(f, locale=lang)


def extracted() -> dict[str, str]:
    """msgid -> where, for every literal message id in python code and Jinja templates."""
    found = {}
    for top in SOURCES:
        for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT / top), METHODS, keywords=KEYWORDS, strip_comment_tags=True
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid if context is None else (context, msgid), f"{top}/{filename}:{lineno}")
    return found


def table_msgids() -> dict[str, str]:
    """Message ids kept in tables (shown through ``_(…)`` or ``gettext`` where they are used)."""
    from antrean.kernel.sop import GROUPS, ROLES, STAFF_ROLES
    from antrean.services import booking, calendar, exports, notify
    from console import admin as console_admin
    from console import notify as console_notify
    from console import views  # first: it imports the console's other modules
    from kiosk import texts as kiosk_texts
    from publik import texts as publik_texts

    out = {}
    from console import audit_text
    from display import plugin as display

    for table in (audit_text.ACTIONS, audit_text.FIELDS):
        for key, text in table.items():
            out[text] = f"console.audit_text[{key}]"
    for key, text in audit_text.TARGETS.items():
        out["audit", text] = f"console.audit_text.TARGETS[{key}]"
    for name, table in [
        ("kiosk.texts.ID", kiosk_texts.ID),
        ("publik.texts.ID", publik_texts.ID),
        ("display.LABEL_IDS", display.LABEL_IDS),
        ("console.views.SCRIPT_TEXTS", views.SCRIPT_TEXTS),
    ]:
        for key, text in table.items():
            out[text] = f"{name}[{key}]"  # a (context, msgid) tuple stays a tuple
    labels = {
        "console.views.SLA_LABELS": views.SLA_LABELS,
        "console.views.OUTCOMES": views.OUTCOMES,
        "console.views.STATUS": views.STATUS,
        "console.views.PRINTER_STATES": views.PRINTER_STATES,
        "console.notify.STATUS_LABELS": console_notify.STATUS_LABELS,
        "console.views.CANCEL_REASONS": dict(views.CANCEL_REASONS),
        "calendar.KINDS": calendar.KINDS,
        "console.admin.POLICY_MODES": console_admin.POLICY_MODES,
        "kernel.sop.ROLES": ROLES,
        "kernel.sop.STAFF_ROLES": STAFF_ROLES,
        "kernel.sop.GROUPS": GROUPS,
        "booking.LABELS": booking.LABELS,
    }
    for name, table in labels.items():
        for key, value in table.items():
            out[value] = f"{name}[{key}]"
    from antrean.services.survey import PROFILE_CHOICES

    for question, answers in PROFILE_CHOICES.items():
        for code, label in answers.items():
            out[label] = f"survey.PROFILE_CHOICES[{question}][{code}]"
    for key, (label, _default) in notify.TEMPLATES.items():
        out[label] = f"notify.TEMPLATES[{key}]"
    for key, (label, columns) in exports.SECTIONS.items():
        out[label] = f"exports.SECTIONS[{key}]"
        for col in columns:
            out[col[1]] = f"exports.SECTIONS[{key}][{col[0]}]"
    return out


def test_every_message_id_used_is_in_both_catalogs():
    used = {**table_msgids(), **extracted()}
    assert len(used) > 600  # the extractor really ran over code and templates
    for lang in i18n.LANGUAGES:
        known = {m.id if not m.context else (m.context, m.id) for m in catalog(lang) if m.id}
        missing = {msgid: where for msgid, where in used.items() if msgid not in known}
        assert not missing, f"{len(missing)} message ids missing from the {lang} catalog: {list(missing.items())[:10]}"


def test_no_catalog_entry_is_untranslated_or_fuzzy():
    ids = {}
    for lang in i18n.LANGUAGES:
        cat = catalog(lang)
        entries = [m for m in cat if m.id]
        bad = [m.id for m in entries if not m.string or m.fuzzy]
        assert not bad, f"{lang}: {len(bad)} entries untranslated or fuzzy: {bad[:10]}"
        for m in entries:  # a translation uses exactly the placeholders of its message id
            assert sorted(PLACEHOLDER.findall(m.id)) == sorted(PLACEHOLDER.findall(m.string)), (lang, m.id, m.string)
        ids[lang] = {m.id for m in entries}
    assert ids["id"] == ids["en"], "the two catalogs hold different message ids"
    assert all(m.string == m.id for m in catalog("id") if m.id), "message ids are the Indonesian text"


def test_the_checks_catch_an_untranslated_entry(tmp_path):
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Tiket"\nmsgstr ""\n\n#, fuzzy\nmsgid "Loket"\nmsgstr "Counter"\n',
        encoding="utf-8",
    )
    with po.open("rb") as f:
        cat = read_po(f, locale="en")
    assert [m.id for m in cat if m.id and (not m.string or m.fuzzy)] == ["Tiket", "Loket"]


def test_compiled_catalogs_follow_the_po(tmp_path):
    src = i18n.po_path("en")
    target = tmp_path / "en" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "messages.po").write_bytes(src.read_bytes())
    assert i18n.compile_catalogs(tmp_path) == [target / "messages.mo"]
    assert i18n.compile_catalogs(tmp_path) == []  # up to date: nothing to do
    assert (target / "messages.mo").stat().st_size > 1000


def test_gettext_and_lazy_strings():
    assert i18n.gettext("Tiket tidak ditemukan.", "en") == "Ticket not found."
    assert i18n.gettext("Tiket tidak ditemukan.", "id") == "Tiket tidak ditemukan."
    assert i18n.gettext("sisa %(n)s", "en", n=3) == "3 left"
    assert i18n.gettext("teks yang tidak ada", "en") == "teks yang tidak ada"  # falls back to Indonesian
    lazy = i18n.LazyString("Tiket")
    assert lazy.render("en") == "Ticket" and str(lazy) == "Tiket"  # no request: the default language


def test_domain_errors_carry_a_message_id_and_params():
    err = Conflict("Nomor %(number)s sudah ditutup.", params={"number": "A-007"}, code="closed")
    assert err.message("id") == "Nomor A-007 sudah ditutup."
    assert err.message("en") != err.message("id") and "A-007" in err.message("en")
    assert err.to_dict("en") == {"error": "closed", "message": err.message("en")}
    nf = NotFound("%(what)s tidak ditemukan.", params={"what": i18n.LazyString("Loket")})
    assert (nf.message("id"), nf.message("en")) == ("Loket tidak ditemukan.", "Counter not found.")
    lazy = Conflict(i18n.LazyString("Nomor %(number)s sudah ditutup.", number="B-002"), code="closed")
    assert lazy.message("id") == "Nomor B-002 sudah ditutup." and lazy.params == {"number": "B-002"}
    with pytest.raises(TypeError):  # the older two-text form (an English second text) is gone
        Invalid("Teks baru.", "A new text.")


def test_no_error_is_raised_with_a_second_text():
    """English comes from the catalog only: an error class called with two positional texts is the old form."""
    import ast

    found = []
    for top in SOURCES:
        for path in (ROOT / top).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and (
                    len(node.args) >= 2 or any(isinstance(a, ast.Starred) for a in node.args)
                ):
                    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                    if name in ERROR_CLASSES:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, f"errors raised with a second (English) text: {found}"


def test_kernel_does_not_import_flask():
    import ast

    source = (ROOT / "antrean/kernel/i18n.py").read_text() + (ROOT / "antrean/kernel/errors.py").read_text()
    names = {n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)}
    names |= {a.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Import) for a in n.names}
    assert not {n for n in names if n and n.split(".")[0].startswith("flask")}


@pytest.mark.parametrize(
    "lang, expect, absent",
    [
        ("id", ["Masuk", "Kata sandi"], ["Password"]),
        ("en", ["Password"], ["Kata sandi"]),
    ],
)
def test_login_page_in_both_languages(client, lang, expect, absent):
    html = client.get(f"/console/masuk?lang={lang}").get_data(as_text=True)
    for text in expect:
        assert text in html
    for text in absent:
        assert text not in html
    # a required field left empty: the form's (lazy) message in the page's language
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    html = client.post(
        f"/console/masuk?lang={lang}", data={"username": "", "password": "", "csrf_token": token}
    ).get_data(as_text=True)
    assert ("Nama pengguna wajib diisi." in html) == (lang == "id")
    assert ("Username is required." in html) == (lang == "en")


def test_dates_from_babel():
    from datetime import date

    from antrean.kernel.timeutil import BULAN, HARI, tanggal

    assert tanggal(date(2026, 11, 27)) == "Jumat, 27 November 2026"
    assert tanggal(date(2026, 11, 27), "en") == "Friday, 27 November 2026"
    assert HARI[0] == "Senin" and BULAN[7] == "Agustus"


def test_every_audited_action_reads_as_a_sentence():
    from antrean.kernel.events import AUDIT_EVENTS, AUDIT_ONLY
    from console import audit_text

    missing = (set(AUDIT_EVENTS) | set(AUDIT_ONLY)) - set(audit_text.ACTIONS)
    assert not missing, f"audited actions without a sentence in console/audit_text.py: {sorted(missing)}"
    entry = {
        "action": "service.update",
        "target_type": "service",
        "target_id": "kk",
        "actor": "admin",
        "detail": {"old": {"quota": 50, "active": True}, "new": {"quota": 60, "active": True}},
    }
    assert audit_text.action(entry, "id") == "Mengubah layanan kk"
    assert audit_text.action(entry, "en") == "Changed service kk"
    assert audit_text.details(entry, "id") == ["Kuota: 50 → 60"]
    assert audit_text.details(entry, "en") == ["Quota: 50 → 60"]
    call = {
        "action": "ticket.call",
        "target_type": "ticket",
        "target_id": "12",
        "detail": {"at": "x", "event": {"number": "A-007", "counter": 2}},
    }
    assert audit_text.action(call, "id") == "Memanggil tiket A-007"
    assert audit_text.details(call, "en") == ["Counter: 2"]


def test_staff_pages_and_audit_log_in_both_languages(app, client, make_user):
    from tests.integration.test_console import login

    core = app.extensions["antrean"]
    make_user(core, "boss", ["admin"])
    login(client, "boss")
    html = client.get("/console/admin/audit?lang=id").get_data(as_text=True)
    assert "Membuat pengguna boss" in html and "Nama pengguna: boss" in html  # user.create: a sentence + details
    assert "Masuk ke konsol" in html
    html = client.get("/console/admin/audit?lang=en").get_data(as_text=True)
    assert "Created user boss" in html and "Logged in to the console" in html and "Membuat pengguna" not in html
    assert '"username"' not in html  # no raw JSON
    assert "Admin" in html
    users = client.get("/console/admin/pengguna?lang=en").get_data(as_text=True)
    assert "Service officer" in users and "Petugas Pelayanan" not in users  # role titles in the page's language
    for path in ("/console/", "/console/admin/layanan", "/console/laporan"):
        en = client.get(path + "?lang=en").get_data(as_text=True)
        idn = client.get(path + "?lang=id").get_data(as_text=True)
        assert '<html lang="en">' in en and '<html lang="id">' in idn and en != idn


def test_day_and_month_names_follow_the_page_language(app, client, make_user):
    from tests.integration.test_console import login

    core = app.extensions["antrean"]
    make_user(core, "boss", ["admin"])
    weekdays_id, weekdays_en = ("Senin", "Selasa", "Rabu", "Kamis"), ("Monday", "Tuesday", "Wednesday", "Thursday")
    for path in ("/booking", "/console/admin/kalender"):
        if path.startswith("/console"):
            login(client, "boss")
        en = client.get(path + "?lang=en").get_data(as_text=True)
        idn = client.get(path + "?lang=id").get_data(as_text=True)
        assert all(d in en for d in weekdays_en) and not any(f">{d}" in en for d in weekdays_id), path
        assert all(d in idn for d in weekdays_id), path
    from antrean.kernel.timeutil import month_names
    from antrean.services import transparency

    first, _last = transparency.last_month(None, core.tz)  # the month /publik reports on
    for lang in ("id", "en"):
        html = client.get(f"/publik?lang={lang}").get_data(as_text=True)
        assert f"{month_names(lang)[first.month - 1]} {first.year}" in html
    months_en = client.get("/publik?lang=en").get_data(as_text=True)
    assert not any(f"{m} {first.year}" in months_en for m in set(month_names("id")) - set(month_names("en")))


def test_kiosk_state_in_english(client):
    state = client.get("/kiosk/state.json?lang=en").get_json()
    assert [g["name"] for g in state["groups"]] == ["Population records", "Certificates", "Permits", "Complaints"]
