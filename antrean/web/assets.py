"""Shared static assets of every face (fonts, base.css), served at /static/ — no CDN."""

from flask import Blueprint

bp = Blueprint("assets", __name__, static_folder="static", static_url_path="/static")
