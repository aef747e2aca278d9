"""Introspection and the landing page: /-/plugins.json, /-/health, /."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template_string, url_for

from antrean.kernel.i18n import N_
from antrean.services.health import check
from antrean.web.context import get_core

bp = Blueprint("meta", __name__)


@bp.get("/-/plugins.json")
def plugins_json():
    host = get_core().plugins
    return jsonify({"plugins": host.describe(), "errors": [e.to_dict() for e in host.errors]})


@bp.get("/-/plugins")
def plugins_page():
    host = get_core().plugins
    return render_template_string(_PLUGINS, plugins=host.describe(), errors=host.errors)


@bp.get("/-/health")
def health():
    """200 ``{"status": "ok", …}`` or 503 ``{"status": "error", "problems": […], …}`` (see antrean.services.health)."""
    ok, report = check(get_core())
    response = jsonify(report)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def index():
    links = [
        (label, hint, url_for(ep))
        for label, hint, ep in (
            (N_("Kios antrean"), N_("Layar sentuh untuk mengambil nomor antrean"), "kiosk.index"),
            (N_("Papan antrean"), N_("Layar TV ruang tunggu dengan suara panggilan"), "display.board"),
            (N_("Konsol petugas"), N_("Loket, daftar kerja, langkah SOP, pengaturan"), "console.index"),
        )
        if ep in current_app.view_functions
    ]
    return render_template_string(_INDEX, office=get_core().office(), links=links)


_INDEX = """<!doctype html><html lang="id"><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Antrean – {{ office.name }}</title>
<link rel="stylesheet" href="/static/base.css">
<style>
body { margin: 0; background: #eef1f6; color: #13213a; }
header { background: #0c2d62; color: #fff; padding: 1.5rem 2rem; }
header h1 { margin: 0; font-size: 2rem; } header p { margin: .3rem 0 0; opacity: .85; }
main { max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; }
.faces { display: grid; grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr)); gap: 1rem; }
.faces a { display: block; background: #fff; border-radius: .8rem; padding: 1.4rem 1.5rem; text-decoration: none;
  color: inherit; border: 2px solid #d5dbe6; box-shadow: 0 2px 0 #c3cad8; }
.faces a:hover, .faces a:focus { border-color: #0c58b8; outline: none; }
.faces strong { display: block; font-size: 1.4rem; color: #0c2d62; } .faces span { color: #4a566b; }
.more { margin-top: 2rem; color: #4a566b; } .more a { color: #0c58b8; margin-right: 1.2rem; }
</style>
<header><h1>{{ office.name }}</h1>{% if office.address %}<p>{{ office.address }}</p>{% endif %}</header>
<main><div class="faces">
{% for label, hint, href in links %}<a href="{{ href }}"><strong>{{ _(label) }}</strong><span>{{ _(hint) }}</span></a>{% endfor %}
</div>
<p class="more"><a href="/api/v1/openapi.json">API (OpenAPI)</a><a href="/-/plugins">Plugin</a></p></main></html>"""

_PLUGINS = """<!doctype html><html lang="id"><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Plugin – Antrean</title>
<link rel="stylesheet" href="/static/base.css">
<body style="max-width:60rem;margin:2rem auto;padding:1rem;font-size:1.05rem">
<h1>Plugin</h1><p><a href="/-/plugins.json">JSON</a></p>
{% if errors %}<h2>Dilewati (gagal dimuat)</h2><ul>{% for e in errors %}
<li><strong>{{ e.plugin }}</strong> — <code>{{ e.source }}</code>: {{ e.message }}</li>{% endfor %}</ul>{% endif %}
<table style="border-collapse:collapse;width:100%"><thead><tr style="text-align:left;border-bottom:2px solid #333">
<th>Plugin</th><th>Versi</th><th>Hook</th><th>SOP</th><th>Pengaturan / Settings</th></tr></thead><tbody>
{% for p in plugins %}<tr style="border-bottom:1px solid #ccc;vertical-align:top"><td>{{ p.name }}{% if p.builtin %} <small>(bawaan)</small>{% endif %}</td>
<td>{{ p.version }}</td><td>{{ p.hooks|join(", ") }}</td><td>{{ p.sops|join(", ") }}</td>
<td>{% for st in p.settings %}<div><code>{{ st.name }}</code> = <code>{{ st.value }}</code> <small>({{ st.type }}, {{ st.env }}): {{ st.description }}</small></div>{% endfor %}</td></tr>{% endfor %}
</tbody></table></body></html>"""
