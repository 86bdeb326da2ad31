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
        coords = [xy(i, float(p[series])) for i, p in enumerate(points)]
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


#: A tile grid of the 50 states and DC: (row, column), roughly where each state lies, every tile the same
#: size so small states are as easy to find and click as large ones.
STATE_TILES: dict[str, tuple[int, int]] = {
    "AK": (0, 0), "ME": (0, 10),
    "WI": (1, 5), "VT": (1, 9), "NH": (1, 10),
    "WA": (2, 0), "ID": (2, 1), "MT": (2, 2), "ND": (2, 3), "MN": (2, 4), "IL": (2, 5), "MI": (2, 6),
    "NY": (2, 8), "MA": (2, 9),
    "OR": (3, 0), "NV": (3, 1), "WY": (3, 2), "SD": (3, 3), "IA": (3, 4), "IN": (3, 5), "OH": (3, 6),
    "PA": (3, 7), "NJ": (3, 8), "CT": (3, 9), "RI": (3, 10),
    "CA": (4, 0), "UT": (4, 1), "CO": (4, 2), "NE": (4, 3), "MO": (4, 4), "KY": (4, 5), "WV": (4, 6),
    "VA": (4, 7), "MD": (4, 8), "DE": (4, 9),
    "AZ": (5, 1), "NM": (5, 2), "KS": (5, 3), "AR": (5, 4), "TN": (5, 5), "NC": (5, 6), "SC": (5, 7),
    "DC": (5, 8),
    "OK": (6, 3), "LA": (6, 4), "MS": (6, 5), "AL": (6, 6), "GA": (6, 7),
    "HI": (7, 0), "TX": (7, 3), "FL": (7, 8),
}
#: Upper bounds of the colour classes tile-1 .. tile-4 (share of a state's cities that are targets);
#: tile-0: cities but no target; tile-none: no city in the run.
TILE_BINS = (0.10, 0.20, 0.35)


def tile_class(targets: int, cities: int) -> str:
    if not cities:
        return "tile-none"
    if not targets:
        return "tile-0"
    share = targets / cities
    return f"tile-{1 + sum(share > b for b in TILE_BINS)}"


def state_tiles(counts: Mapping[str, tuple[int, int]], *, title: str, href: str = "targets.html#state={}",
                size: int = 46, gap: int = 4) -> Markup:
    """A map of the country as a tile grid: each state coloured by the share of its cities that are
    outreach targets (``counts``: state -> (targets, cities)), each state with targets linking to
    ``href`` with its code. Every tile says its figures in a tooltip."""
    rows = 1 + max(r for r, _ in STATE_TILES.values())
    cols = 1 + max(c for _, c in STATE_TILES.values())
    step = size + gap
    legend_y = rows * step + 10
    labels = [("none", "no city in this run"), ("0", "no target"), ("1", "up to 10 %"), ("2", "10–20 %"),
              ("3", "20–35 %"), ("4", "over 35 %")]
    legend_step = 150
    width, height = max(cols * step, 3 * legend_step), legend_y + 2 * 22
    parts = []
    # role="group", not "img": the tiles inside are links, and an image may not hold controls.
    parts += [Markup('<svg class="chart tiles" viewBox="0 0 {} {}" width="{}" height="{}" role="group" '
                    'aria-label="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>')
             .format(width, height, width, height, title, title)]
    for state, (r, c) in STATE_TILES.items():
        targets, cities = counts.get(state, (0, 0))
        tip = (f"{state}: {targets} outreach target{'s' if targets != 1 else ''} of {cities} "
               f"cit{'ies' if cities != 1 else 'y'}") if cities else f"{state}: no city in this run"
        tile = Markup('<rect x="{}" y="{}" width="{}" height="{}" rx="4" class="tile {}"/>'
                      '<text x="{:.1f}" y="{:.1f}" class="tile-label" text-anchor="middle">{}</text>'
                      '<title>{}</title>').format(c * step, r * step, size, size, tile_class(targets, cities),
                                                  c * step + size / 2, r * step + size / 2 + 5, state, tip)
        if targets:
            parts.append(Markup('<a href="{}" class="tile-link" aria-label="{}">{}</a>')
                         .format(href.format(state), tip, tile))
        else:
            parts.append(Markup("<g>{}</g>").format(tile))
    for k, (key, label) in enumerate(labels):
        x, y = (k % 3) * legend_step, legend_y + (k // 3) * 22
        parts.append(Markup('<rect x="{}" y="{}" width="14" height="14" class="tile tile-{}"/>'
                            '<text x="{}" y="{}" class="legend">{}</text>')
                     .format(x, y, key, x + 20, y + 12, label))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
