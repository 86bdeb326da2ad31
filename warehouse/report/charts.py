"""Inline SVG charts drawn in Python.

Inline SVG keeps the report one set of static files that renders offline, without a JavaScript chart
library or anything fetched at view time. Every label goes through Markup.format, which escapes it, since
state and city names come from the warehouse. Colours come from CSS classes, not inline styles, so the
pages work under a strict Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup


def _legend(keys: Sequence[str], labels: Mapping[str, str], x0: float) -> list[Markup]:
    parts, x = [], x0
    for key in keys:
        text = labels.get(key, key)
        parts.append(Markup('<rect x="{:.1f}" y="2" width="12" height="12" class="seg seg-{}"/>'
                            '<text x="{:.1f}" y="12" class="legend">{}</text>').format(x, key, x + 16, text))
        x += 28 + 7.5 * len(text)
    return parts


def stacked_bars(rows: Sequence[tuple[str, Mapping[str, int]]], keys: Sequence[str], *, title: str,
                 labels: Mapping[str, str] | None = None, width: int = 720, label_width: int = 110,
                 bar_height: int = 18, gap: int = 5, legend: bool = True) -> Markup:
    """Horizontal bars, one per row, split into segments by key; the total is printed after each bar."""
    labels = labels or {}
    legend = legend and len(keys) > 1
    top = 24 if legend else 4
    height = top + len(rows) * (bar_height + gap) + 4
    longest = max((sum(v.get(k, 0) for k in keys) for _, v in rows), default=0) or 1
    scale = (width - label_width - 50) / longest
    parts = [Markup('<svg class="chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
                    'aria-label="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>')
             .format(width, height, width, height, title, title)]
    if legend:
        parts += _legend(keys, labels, label_width)
    for i, (label, values) in enumerate(rows):
        y = top + i * (bar_height + gap)
        parts.append(Markup('<text x="{}" y="{:.1f}" class="axis" text-anchor="end">{}</text>')
                     .format(label_width - 8, y + bar_height * 0.72, label))
        x = float(label_width)
        for key in keys:
            n = values.get(key, 0)
            if not n:
                continue
            w = n * scale
            parts.append(Markup('<rect x="{:.1f}" y="{}" width="{:.1f}" height="{}" class="seg seg-{}">'
                                '<title>{}: {} {}</title></rect>')
                         .format(x, y, w, bar_height, key, label, n, labels.get(key, key)))
            x += w
        parts.append(Markup('<text x="{:.1f}" y="{:.1f}" class="value">{}</text>')
                     .format(x + 6, y + bar_height * 0.72, sum(values.get(k, 0) for k in keys)))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def sparkline(points: Sequence[tuple[str, float, float]], *, title: str, width: int = 280,
              height: int = 64) -> Markup:
    """Two lines over the snapshots: share of the maximum points expected, and P(Silver or better).

    Both are shares in [0, 1], so they share one axis. A single snapshot shows as two dots.
    """
    pad = 6
    n = len(points)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = pad + (i * (width - 2 * pad) / (n - 1) if n > 1 else (width - 2 * pad) / 2)
        return x, height - pad - max(0.0, min(1.0, v)) * (height - 2 * pad)

    parts = [Markup('<svg class="spark" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}" '
                    'xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" class="spark-axis"/>')
             .format(width, height, width, height, title, title, pad, height - pad, width - pad, height - pad)]
    for series, cls in ((1, "spark-points"), (2, "spark-silver")):
        coords = [xy(i, p[series]) for i, p in enumerate(points)]
        if n > 1:
            parts.append(Markup('<polyline class="{}" points="{}"/>')
                         .format(cls, " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)))
        for (x, y), p in zip(coords, points, strict=True):
            parts.append(Markup('<circle class="{}" cx="{:.1f}" cy="{:.1f}" r="2.5"><title>{}: {:.2f}</title>'
                                '</circle>').format(cls, x, y, p[0], p[series]))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def reliability_diagram(bins: Sequence[Mapping[str, float]], *, title: str, size: int = 300) -> Markup:
    """Predicted probability against how often it came true, one bar per bin, on a square plot.

    ``bins``: mappings with lower, upper, n, mean_predicted and observed (warehouse.index.validation).
    Each bar spans its bin and rises to the observed share; a dot sits at (mean predicted, observed),
    larger for fuller bins, with the bin's city count above it. Calibrated probabilities put the dots on
    the diagonal; dots below it mean the index promises more than comes true. Hover titles give the figures.
    """
    left, top, right, bottom = 46, 10, 12, 44
    width, height = left + size + right, top + size + bottom

    def x(v: float) -> float:
        return left + max(0.0, min(1.0, v)) * size

    def y(v: float) -> float:
        return top + size - max(0.0, min(1.0, v)) * size

    parts = [Markup('<svg class="chart reliability" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
                    'aria-label="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
                    '<rect class="rel-frame" x="{}" y="{}" width="{}" height="{}"/>')
             .format(width, height, width, height, title, title, left, top, size, size)]
    for i in range(6):
        v = i / 5
        parts.append(Markup('<line class="rel-grid" x1="{:.1f}" y1="{}" x2="{:.1f}" y2="{}"/>'
                            '<line class="rel-grid" x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}"/>'
                            '<text class="axis" x="{:.1f}" y="{}" text-anchor="middle">{:.1f}</text>'
                            '<text class="axis" x="{}" y="{:.1f}" text-anchor="end">{:.1f}</text>')
                     .format(x(v), top, x(v), top + size, left, y(v), left + size, y(v),
                             x(v), top + size + 16, v, left - 6, y(v) + 4, v))
    parts.append(Markup('<text class="axis" x="{:.1f}" y="{}" text-anchor="middle">predicted P(Silver or better)'
                        '</text><text class="axis" transform="rotate(-90)" x="{:.1f}" y="12" '
                        'text-anchor="middle">observed share certified</text>')
                 .format(left + size / 2, height - 6, -(top + size / 2)))
    parts.append(Markup('<line class="rel-diagonal" x1="{}" y1="{}" x2="{}" y2="{}"><title>perfect calibration'
                        '</title></line>').format(left, top + size, left + size, top))
    fullest = max((b["n"] for b in bins), default=0) or 1
    for b in bins:
        tip = Markup("{:.1f}–{:.1f}: {} cities, mean predicted {:.2f}, {:.0%} certified").format(
            b["lower"], b["upper"], int(b["n"]), b["mean_predicted"], b["observed"])
        x0, x1 = x(b["lower"]) + 1, x(b["upper"]) - 1
        parts.append(Markup('<rect class="rel-bar" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}">'
                            '<title>{}</title></rect>')
                     .format(x0, y(b["observed"]), max(0.0, x1 - x0), top + size - y(b["observed"]), tip))
        cx, cy = x(b["mean_predicted"]), y(b["observed"])
        r = 2.5 + 5.5 * (b["n"] / fullest) ** 0.5
        parts.append(Markup('<circle class="rel-point" cx="{:.1f}" cy="{:.1f}" r="{:.1f}"><title>{}</title></circle>'
                            '<text class="value" x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>')
                     .format(cx, cy, r, tip, (x0 + x1) / 2, max(top + 10.0, cy - r - 3), int(b["n"])))
    if not bins:
        parts.append(Markup('<text class="value" x="{:.1f}" y="{:.1f}" text-anchor="middle">no cities</text>')
                     .format(left + size / 2, top + size / 2))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
