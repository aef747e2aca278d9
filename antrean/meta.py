"""Introspection and the landing page: /-/plugins.json, /-/health, /."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template_string, url_for

from .app import get_core

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
    from sqlalchemy import text

    core = get_core()
    with core.db.read() as s:
        s.execute(text("SELECT 1"))
    return jsonify({"status": "ok", "database": core.db.dialect})


@bp.get("/")
def index():
    from flask import current_app

    links = [(label, url_for(ep)) for label, ep in (("Kios antrean", "kiosk.index"),
                                                     ("Papan antrean", "display.board"),
                                                     ("Konsol petugas", "console.index"))
             if ep in current_app.view_functions]
    return render_template_string(_INDEX, office=get_core().office(), links=links)


_INDEX = """<!doctype html><html lang="id"><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Antrean – {{ office.name }}</title>
<body style="font-family:sans-serif;max-width:40rem;margin:3rem auto;padding:1rem;font-size:1.3rem">
<h1>{{ office.name }}</h1><p>{{ office.address }}</p>
<ul style="line-height:2.2">{% for label, href in links %}<li><a href="{{ href }}">{{ label }}</a></li>{% endfor %}
<li><a href="/api/v1/openapi.json">API (OpenAPI)</a></li><li><a href="/-/plugins.json">Plugin</a></li></ul></body></html>"""

_PLUGINS = """<!doctype html><html lang="id"><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Plugin – Antrean</title>
<link rel="stylesheet" href="/static/base.css">
<body style="max-width:60rem;margin:2rem auto;padding:1rem;font-size:1.05rem">
<h1>Plugin</h1><p><a href="/-/plugins.json">JSON</a></p>
{% if errors %}<h2>Dilewati (gagal dimuat)</h2><ul>{% for e in errors %}
<li><strong>{{ e.plugin }}</strong> — <code>{{ e.source }}</code>: {{ e.message }}</li>{% endfor %}</ul>{% endif %}
<table style="border-collapse:collapse;width:100%"><thead><tr style="text-align:left;border-bottom:2px solid #333">
<th>Plugin</th><th>Versi</th><th>Hook</th><th>SOP</th></tr></thead><tbody>
{% for p in plugins %}<tr style="border-bottom:1px solid #ccc;vertical-align:top"><td>{{ p.name }}{% if p.builtin %} <small>(bawaan)</small>{% endif %}</td>
<td>{{ p.version }}</td><td>{{ p.hooks|join(", ") }}</td><td>{{ p.sops|join(", ") }}</td></tr>{% endfor %}
</tbody></table></body></html>"""
