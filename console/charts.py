"""Charts as SVG rendered on the server: no JavaScript, no CDN, prints like the page.

Each function takes plain (label, value) pairs and returns markup-safe SVG text.
"""

from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = {"blue": "#0b5cad", "green": "#17813d", "amber": "#b57a00", "red": "#b3261e", "grey": "#8a94a6"}


def _fmt(v: float | None, unit: str, comma: bool) -> str:
    if v is None:
        return "–"
    text = f"{v:.0f}" if float(v) == int(v) else f"{v:.1f}"
    if comma:
        text = text.replace(".", ",")
    return f"{text}{unit}"


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000):
        if v <= step * 5:
            return step * 5 if v > step * 4 else step * (int(v // step) + 1)
    return v * 1.1


def bars(
    items: list[tuple[str, float | None]],
    *,
    title: str,
    unit: str = "",
    color: str = "blue",
    comma: bool = True,
    width: int = 640,
) -> Markup:
    """Horizontal bars, one per label (long service names fit)."""
    row, label_w, top = 26, 230, 34
    height = top + row * max(1, len(items)) + 10
    vmax = _nice_max(max((v or 0) for _, v in items) if items else 0)
    span = width - label_w - 70
    out = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="13">',
        f'<title>{escape(title)}</title><text x="0" y="18" font-weight="700" font-size="15">{escape(title)}</text>',
    ]
    for i, (label, v) in enumerate(items):
        y = top + i * row
        w = 0 if not v else max(2, span * v / vmax)
        short = label if len(label) <= 32 else label[:31] + "…"
        out.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" rx="3" '
            f'fill="{PALETTE[color]}"><title>{escape(label)}: {_fmt(v, unit, comma)}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 17}">{_fmt(v, unit, comma)}</text>'
        )
    if not items:
        out.append(f'<text x="{label_w}" y="{top + 17}" fill="#5b6670">–</text>')
    out.append("</svg>")
    return Markup("".join(out))


def columns(
    items: list[tuple[str, float | None]],
    *,
    title: str,
    unit: str = "",
    color: str = "blue",
    comma: bool = True,
    vmax: float | None = None,
    target: float | None = None,
    second: list[float | None] | None = None,
    second_label: str = "",
    width: int = 640,
    height: int = 260,
) -> Markup:
    """Vertical columns (hours of the day, months); an optional dashed target line and a second
    series drawn as a line with dots (e.g. the p90 beside the median)."""
    left, top, bottom = 44, 34, 38
    plot_h = height - top - bottom
    values = [v or 0 for _, v in items] + [v or 0 for v in (second or [])]
    vmax = vmax or _nice_max(max(values, default=0))
    n = max(1, len(items))
    slot = (width - left - 10) / n
    bar = min(46, slot * 0.7)
    y_of = lambda v: top + plot_h - plot_h * min(v, vmax) / vmax
    out = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="12">',
        f'<title>{escape(title)}</title><text x="0" y="18" font-weight="700" font-size="15">{escape(title)}</text>',
    ]
    for k in range(5):
        v = vmax * k / 4
        y = y_of(v)
        out.append(
            f'<line x1="{left}" x2="{width - 6}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5dbe1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5b6670">'
            f"{_fmt(round(v, 1), '', comma)}</text>"
        )
    for i, (label, v) in enumerate(items):
        x = left + i * slot + (slot - bar) / 2
        y = y_of(v or 0)
        fill = PALETTE[color]
        if target is not None and v is not None:
            fill = PALETTE["green"] if v >= target else PALETTE["red"]
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{top + plot_h - y:.1f}" rx="2" '
            f'fill="{fill}"><title>{escape(label)}: {_fmt(v, unit, comma)}</title></rect>'
            f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle">{escape(label)}</text>'
        )
        if v is not None and n <= 16:
            out.append(
                f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="11">'
                f"{_fmt(v, '', comma)}</text>"
            )
    if second:
        pts = [(left + i * slot + slot / 2, y_of(v)) for i, v in enumerate(second) if v is not None]
        if pts:
            out.append(
                '<polyline fill="none" stroke="#b57a00" stroke-width="2" points="'
                + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
                + '"/>'
            )
            out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#b57a00"/>' for x, y in pts]
            out.append(f'<text x="{width - 6}" y="18" text-anchor="end" fill="#b57a00">— {escape(second_label)}</text>')
    if target is not None:
        y = y_of(target)
        out.append(
            f'<line x1="{left}" x2="{width - 6}" y1="{y:.1f}" y2="{y:.1f}" stroke="#15202b" stroke-dasharray="5 4"/>'
        )
    out.append("</svg>")
    return Markup("".join(out))
