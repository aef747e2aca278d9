"""Line icons for the kiosk tiles, drawn for Antrean (48×48, stroke = currentColor).

One per SOP ``icon`` name plus a few for the kiosk's own screens. They are
rendered once per page as an inline SVG sprite (``<symbol id="i-NAME">``) and
used with ``<svg><use href="#i-NAME"/></svg>``: no file to fetch, no CDN.
An SOP with an icon name not listed here gets ``letter``.
"""

from __future__ import annotations

from markupsafe import Markup

_STAR = "M24 14L26 19.25 31.6 19.5 27.2 23.05 28.7 28.5 24 25.4 19.3 28.5 20.8 23.05 16.4 19.5 22 19.25z"

ICONS: dict[str, str] = {
    # -- SOP icons -------------------------------------------------------------
    "idcard": '<rect x="4" y="10" width="40" height="28" rx="4"/><circle cx="16" cy="21" r="4"/>'
    '<path d="M9 32c1-4 4-6 7-6s6 2 7 6M28 19h10M28 25h10M28 31h6"/>',
    "family": '<circle cx="11" cy="13" r="5"/><circle cx="37" cy="13" r="5"/><circle cx="24" cy="25" r="3.5"/>'
    '<path d="M4 42V27a7 7 0 0 1 14 0v15M30 42V27a7 7 0 0 1 14 0v15M19 42v-5a5 5 0 0 1 10 0v5"/>',
    "child": '<circle cx="20" cy="14" r="6"/><path d="M12 42V30a8 8 0 0 1 16 0v12M27 31l10-15"/>'
    '<ellipse cx="39" cy="10" rx="5" ry="6"/>',
    "arrive": '<path d="M20 22L32 12l12 10v18H20zM28 40v-8h8v8M4 31h14m-5-5 5 5-5 5"/>',
    "move": '<path d="M4 22l12-10 12 10v18H4zM12 40v-8h8v8M30 31h14m-5-5 5 5-5 5"/>',
    "birth": '<circle cx="24" cy="26" r="15"/><circle cx="18.5" cy="24" r="1.6" fill="currentColor"/>'
    '<circle cx="29.5" cy="24" r="1.6" fill="currentColor"/><path d="M18 31q6 5 12 0M22 11q1-6 7-4"/>',
    "death": '<path d="M15 8l4 6 5-7 5 7 4-6v11a9 9 0 0 1-18 0zM24 28v16M24 39q-8 0-10-8q8 0 10 8"/>',
    "letter": '<path d="M12 4h16l10 10v30H12zM28 4v10h10M18 22h14M18 28h14M18 34h9"/>',
    "travel": '<rect x="8" y="5" width="32" height="31" rx="5"/><path d="M8 21h32M15 10h18M13 36v5M35 36v5"/>'
    '<circle cx="15" cy="29" r="2"/><circle cx="33" cy="29" r="2"/>',
    "heart": '<path d="M24 41S6 30 6 18a9 9 0 0 1 18-4a9 9 0 0 1 18 4c0 12-18 23-18 23z"/>',
    "worker": '<path d="M13 18a11 11 0 0 1 22 0zM10 18h28M24 7v5M17 22a7 7 0 0 0 14 0'
    'M9 44v-4a8 8 0 0 1 8-8h14a8 8 0 0 1 8 8v4"/>',
    "crowd": '<path d="M4 20L24 7l20 13M6 20v20M42 20v20M4 40h40M6 20q9 7 18 0q9 7 18 0M24 20v20"/>',
    "police": f'<path d="M24 4l16 6v12c0 10-7 18-16 22C15 40 8 32 8 22V10z"/><path d="{_STAR}"/>',
    "ring": '<circle cx="24" cy="30" r="13"/><path d="M18 11l3-5h6l3 5-6 6zM18 11h12"/>',
    "people": '<rect x="18" y="4" width="12" height="10" rx="2"/><rect x="4" y="28" width="12" height="10" rx="2"/>'
    '<rect x="18" y="28" width="12" height="10" rx="2"/><rect x="32" y="28" width="12" height="10" rx="2"/>'
    '<path d="M24 14v14M10 21h28M10 21v7M38 21v7"/>',
    "gift": '<rect x="6" y="18" width="36" height="8" rx="1"/><path d="M10 26v16h28V26M24 18v24'
    'M24 18c-4-8-12-8-11-2 1 3 7 2 11 2zM24 18c4-8 12-8 11-2-1 3-7 2-11 2z"/>',
    "briefcase": '<rect x="5" y="14" width="38" height="26" rx="4"/><path d="M17 14v-4a3 3 0 0 1 3-3h8a3 3 0 0 1 3 3v4'
    'M5 25h38"/><rect x="21" y="22" width="6" height="6" rx="1"/>',
    "megaphone": '<path d="M6 19h8l20-10v30L14 29H6zM14 29l3 11h5l-2-10M39 18q3 6 0 12M43 13q6 11 0 22"/>',
    "money": '<rect x="4" y="12" width="40" height="24" rx="3"/><circle cx="24" cy="24" r="5"/>'
    '<path d="M10 18v0M38 30v0M4 18a6 6 0 0 0 6-6M38 12a6 6 0 0 0 6 6M4 30a6 6 0 0 1 6 6M44 30a6 6 0 0 0-6 6"/>',
    "home": '<path d="M6 22L24 7l18 15M10 19v23h28V19"/><rect x="20" y="30" width="8" height="12"/>'
    '<rect x="13" y="24" width="5" height="5"/><rect x="30" y="24" width="5" height="5"/>',
    # -- the kiosk's own screens ------------------------------------------------
    "elderly": '<circle cx="21" cy="8" r="4"/><path d="M21 13q-6 7-2 15l-4 14M19 28l6 14M20 18l11 3M32 21v21"/>',
    "wheelchair": '<circle cx="18" cy="7" r="4"/><path d="M18 12v13h12l4 10h4M18 18h10M13 24a11 11 0 1 0 15 13"/>',
    "mother": '<circle cx="17" cy="9" r="5"/><path d="M8 44V28a9 9 0 0 1 18 0v16"/><circle cx="33" cy="23" r="4"/>'
    '<path d="M24 33q10 2 14-6"/>',
    "person": '<circle cx="24" cy="12" r="7"/><path d="M10 44v-6a10 10 0 0 1 10-10h8a10 10 0 0 1 10 10v6"/>',
    "check": '<path d="M8 25l10 10 22-22"/>',
    "back": '<path d="M30 8L14 24l16 16"/>',
    "printer": '<path d="M14 18V6h20v12M14 34H8V18h32v16h-6"/><rect x="14" y="28" width="20" height="14"/>',
    "info": '<circle cx="24" cy="24" r="19"/><path d="M24 21v13M24 14v1"/>',
    "warning": '<path d="M24 5L3 42h42zM24 18v11M24 35v1"/>',
    "offline": '<path d="M6 18a26 26 0 0 1 36 0M12 25a17 17 0 0 1 24 0M18 32a8 8 0 0 1 12 0M24 39v1M6 6l36 36"/>',
    "clock": '<circle cx="24" cy="24" r="19"/><path d="M24 12v12l8 5"/>',
    "people-wait": '<circle cx="14" cy="14" r="5"/><circle cx="34" cy="14" r="5"/>'
    '<path d="M5 40v-8a9 9 0 0 1 18 0v8M25 40v-8a9 9 0 0 1 18 0v8"/>',
    "lock": '<rect x="9" y="21" width="30" height="22" rx="3"/><path d="M15 21v-6a9 9 0 0 1 18 0v6M24 30v5"/>',
}


def icon_name(name: str | None) -> str:
    return name if name in ICONS else "letter"


def sprite() -> Markup:
    """The hidden inline sprite with every icon as a <symbol>."""
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" class="sprite" aria-hidden="true">']
    for name, body in ICONS.items():
        parts.append(
            f'<symbol id="i-{name}" viewBox="0 0 48 48" fill="none" stroke="currentColor" '
            f'stroke-width="3" stroke-linecap="round" stroke-linejoin="round">{body}</symbol>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
