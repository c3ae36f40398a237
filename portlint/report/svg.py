"""Inline SVG charts for the HTML report, drawn here: no library, no script, no network.

Every chart is a string of SVG markup with a ``<title>`` (for screen readers and hover
text) and plain-text labels, so it prints and reads without JavaScript.
"""

from __future__ import annotations

import math
from html import escape
from typing import Sequence

COLOURS = {
    "clean": "#43a047",
    "safe": "#1e88e5",
    "unsafe": "#fb8c00",
    "manual": "#e53935",
    "error": "#9e9e9e",
    "track": "#e8eaed",
    "text": "#202124",
    "muted": "#5f6368",
}
FONT = "font-family=\"system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif\""


def _text(x: float, y: float, content: str, size: int = 12, anchor: str = "start", fill: str | None = None,
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill or COLOURS["text"]}" {FONT}>{escape(content)}</text>')


def gauge(percent: float, label: str, size: int = 150, colour: str = COLOURS["clean"]) -> str:
    """A ring filled to ``percent`` with the number in the middle."""
    radius, stroke = size / 2 - 12, 16
    centre = size / 2
    circumference = 2 * math.pi * radius
    filled = circumference * max(0.0, min(100.0, percent)) / 100
    return (
        f'<svg class="chart gauge" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img"><title>{escape(label)}: {percent:g}%</title>'
        f'<circle cx="{centre}" cy="{centre}" r="{radius:.1f}" fill="none" stroke="{COLOURS["track"]}" '
        f'stroke-width="{stroke}"/>'
        f'<circle cx="{centre}" cy="{centre}" r="{radius:.1f}" fill="none" stroke="{colour}" '
        f'stroke-width="{stroke}" stroke-dasharray="{filled:.2f} {circumference:.2f}" '
        f'transform="rotate(-90 {centre} {centre})"/>'
        + _text(centre, centre + 9, f"{percent:g}%", 26, "middle", weight="700")
        + "</svg>"
    )


def stacked_bar(segments: Sequence[tuple[str, float, str]], width: int = 560, height: int = 22,
                title: str = "") -> str:
    """One horizontal bar split into (label, value, colour) segments, with a legend below."""
    total = sum(value for _, value, _ in segments) or 1
    parts, _ = _segments(segments, 0.0, 0, height, width / total)
    legend, lx, ly = [], 0.0, height + 18
    for label, value, colour in segments:
        item = f"{label}: {value:g}"
        span = 18 + 6.6 * len(item) + 14
        if lx + span > width and lx > 0:
            lx, ly = 0.0, ly + 18
        legend.append(f'<rect x="{lx:.1f}" y="{ly - 10:.1f}" width="11" height="11" rx="2" fill="{colour}"/>')
        legend.append(_text(lx + 16, ly, item, 12, fill=COLOURS["muted"]))
        lx += span
    full = ly + 8
    return (f'<svg class="chart bar" width="{width}" height="{full:.0f}" '
            f'viewBox="0 0 {width} {full:.0f}" role="img"><title>{escape(title)}</title>'
            f'<rect x="0" y="0" width="{width}" height="{height}" fill="{COLOURS["track"]}"/>'
            + "".join(parts) + "".join(legend) + "</svg>")


def bar_rows(rows: Sequence[tuple[str, Sequence[tuple[str, float, str]]]], width: int = 560,
             label_width: int = 230, row: int = 22, title: str = "") -> str:
    """Labelled horizontal stacked bars on one scale (e.g. findings per family)."""
    biggest = max((sum(v for _, v, _ in segs) for _, segs in rows), default=0) or 1
    room = width - label_width - 50
    out = []
    for number, (label, segments) in enumerate(rows):
        y = number * row
        out.append(_text(label_width - 8, y + 15, _clip(label, 36), 12, "end"))
        rects, x = _segments(segments, float(label_width), y + 4, row - 8, room / biggest, f"{label} \u2013 ")
        out += rects
        out.append(_text(x + 6, y + 15, f"{sum(v for _, v, _ in segments):g}", 11, fill=COLOURS["muted"]))
    height = max(row, len(rows) * row)
    return (f'<svg class="chart rows" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>' + "".join(out) + "</svg>")


def _segments(segments: Sequence[tuple[str, float, str]], x: float, y: float, height: float, scale: float,
              prefix: str = "") -> tuple[list[str], float]:
    """Side-by-side rectangles, ``scale`` pixels per unit, each with its hover text; and the end."""
    out = []
    for name, value, colour in segments:
        w = scale * value
        if w > 0:
            out.append(f'<rect x="{x:.2f}" y="{y}" width="{max(w, 1):.2f}" height="{height}" fill="{colour}">'
                       f'<title>{escape(prefix + name)}: {value:g}</title></rect>')
        x += w
    return out, x


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else "\u2026" + text[-(limit - 1):]


# --------------------------------------------------------------------------- treemap


def heat(value: float, high: float) -> str:
    """Colour for work density: pale green (none) through yellow to deep red (``high``)."""
    if value <= 0 or high <= 0:
        return "#e8f5e9"
    t = min(1.0, value / high)
    stops = [(0.0, (255, 241, 118)), (0.5, (251, 140, 0)), (1.0, (183, 28, 28))]
    for (t0, c0), (t1, c1) in zip(stops, stops[1:]):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            r, g, b = (round(a + (b_ - a) * f) for a, b_ in zip(c0, c1))
            return f"#{r:02x}{g:02x}{b:02x}"
    return "#b71c1c"


def squarify(sizes: Sequence[float], x: float, y: float, w: float, h: float) -> list[tuple[float, float, float, float]]:
    """Squarified treemap layout (Bruls, Huizing, van Wijk): rectangles for ``sizes`` (sorted
    largest first by the caller) filling the ``w`` x ``h`` box, in the same order."""
    total = sum(sizes)
    if not sizes or total <= 0:
        return [(x, y, 0.0, 0.0) for _ in sizes]
    scale = w * h / total
    areas = [s * scale for s in sizes]
    rects: list[tuple[float, float, float, float]] = []
    start = 0
    while start < len(areas):
        short = min(w, h)
        end = start + 1
        while end < len(areas) and _worst(areas[start:end + 1], short) <= _worst(areas[start:end], short):
            end += 1
        row = areas[start:end]
        row_total = sum(row)
        vertical = w >= h  # lay the row as a column on the left, else as a row along the top
        thickness = row_total / (h if vertical else w) if (h if vertical else w) else 0
        offset = y if vertical else x
        for area in row:
            length = area / thickness if thickness else 0
            rects.append((x, offset, thickness, length) if vertical else (offset, y, length, thickness))
            offset += length
        if vertical:
            x, w = x + thickness, w - thickness
        else:
            y, h = y + thickness, h - thickness
        start = end
    return rects


def _worst(row: Sequence[float], short: float) -> float:
    total = sum(row)
    if total <= 0 or short <= 0:
        return math.inf
    return max(max(short * short * a / (total * total), (total * total) / (short * short * a)) for a in row if a > 0)


def treemap(items: Sequence[tuple[str, float, float, str]], width: int = 900, height: int = 380,
            high: float | None = None, title: str = "") -> str:
    """Rectangles sized by ``size`` and coloured by ``heat`` value: items are
    (label, size, heat value, hover text), drawn largest first."""
    ordered = sorted((item for item in items if item[1] > 0), key=lambda item: -item[1])
    if high is None:
        values = sorted(item[2] for item in ordered if item[2] > 0)
        high = values[int(0.9 * (len(values) - 1))] if values else 1.0
    rects = squarify([item[1] for item in ordered], 0, 0, width, height)
    out = []
    for (label, _size, value, hover), (x, y, w, h) in zip(ordered, rects):
        out.append(f'<g><title>{escape(hover)}</title><rect x="{x:.1f}" y="{y:.1f}" width="{max(w - 1, 0):.1f}" '
                   f'height="{max(h - 1, 0):.1f}" fill="{heat(value, high)}" stroke="#fff" stroke-width="1"/>')
        if w > 46 and h > 18:
            fits = int((w - 8) / 6.4)
            name = label.rsplit("/", 1)[-1] if "/" in label else label
            dark = value > 0 and value / high > 0.45
            ink, soft = ("#ffffff", "#ffe0d6") if dark else (COLOURS["text"], "#37474f")
            out.append(_text(x + 4, y + 14, _clip(name, max(fits, 4)), 11, fill=ink, weight="600"))
            if h > 34:
                out.append(_text(x + 4, y + 28, _clip(f"{value:,.0f} min per 1,000 lines", max(fits, 4)), 10, fill=soft))
        out.append("</g>")
    return (f'<svg class="chart treemap" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>' + "".join(out) + "</svg>")


def heat_legend(high: float, width: int = 320) -> str:
    steps = 24
    cells = "".join(f'<rect x="{i * width / steps:.1f}" y="0" width="{width / steps + 0.5:.1f}" height="10" '
                    f'fill="{heat(high * (i + 0.5) / steps, high)}"/>' for i in range(steps))
    return (f'<svg class="chart legend" width="{width + 120}" height="30" '
            f'viewBox="0 0 {width + 120} 30" role="img"><title>Colour scale: estimated minutes of work per '
            f'1,000 lines</title><rect x="0" y="0" width="14" height="10" fill="{heat(0, high)}"/>'
            f'<g transform="translate(20 0)">{cells}</g>'
            + _text(0, 24, "none", 10, fill=COLOURS["muted"])
            + _text(20 + width, 24, f"\u2265 {high:,.0f} min per 1,000 lines", 10, "end", fill=COLOURS["muted"])
            + "</svg>")
