"""Small SVG charts drawn on the server: no chart library, no CDN, nothing for the CSP to block."""
from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#d63384", "#20c997", "#6c757d", "#ffc107")


def _svg(width: int, height: int, body: list[str], title: str) -> Markup:
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
                  f'class="w-100 h-auto" aria-label="{escape(title)}"><title>{escape(title)}</title>'
                  + "".join(body) + "</svg>")


def stacked_columns(labels: list[str], series: dict[str, list[float]], title: str, height: int = 220) -> Markup:
    """Columns per label, stacked by series (e.g. services per month by category)."""
    width, left, bottom, top = max(320, 44 * len(labels) + 60), 40, 30, 24
    totals = [sum(vals[i] for vals in series.values()) for i in range(len(labels))]
    peak = max(totals, default=0) or 1
    plot_h = height - bottom - top
    step = (width - left - 10) / max(1, len(labels))
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" stroke="#999"/>',
            f'<text x="{left - 4}" y="{top + 4}" font-size="10" text-anchor="end">{_fmt(peak)}</text>']
    for i, label in enumerate(labels):
        x, y = left + i * step + step * 0.15, height - bottom
        for n, (name, vals) in enumerate(series.items()):
            h = vals[i] / peak * plot_h
            if h > 0:
                y -= h
                body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                            f'fill="{PALETTE[n % len(PALETTE)]}"><title>{escape(label)} {escape(name)}: '
                            f'{_fmt(vals[i])}</title></rect>')
        body.append(f'<text x="{left + i * step + step / 2:.1f}" y="{height - bottom + 14}" font-size="10" '
                    f'text-anchor="middle">{escape(label)}</text>')
    # The legend goes below the axis labels, three entries a row.
    legend_top = height
    per_row = 3
    col_w = (width - left) / per_row
    for n, name in enumerate(series):
        x = left + (n % per_row) * col_w
        y = legend_top + (n // per_row) * 16
        body.append(f'<rect x="{x:.0f}" y="{y}" width="10" height="10" fill="{PALETTE[n % len(PALETTE)]}"/>'
                    f'<text x="{x + 13:.0f}" y="{y + 9}" font-size="10">{escape(name)}</text>')
    total_height = legend_top + ((len(series) + per_row - 1) // per_row) * 16 + 4
    return _svg(int(width), total_height, body, title)


def bars(pairs: list[tuple[str, float]], title: str, unit: str = "", max_value: float | None = None) -> Markup:
    """Horizontal bars, one per (label, value)."""
    row, left, width = 22, 150, 440
    height = row * max(1, len(pairs)) + 10
    peak = max_value or max((v for _, v in pairs), default=0) or 1
    body = []
    for i, (label, value) in enumerate(pairs):
        y = 5 + i * row
        w = (width - left - 60) * (value / peak)
        body.append(f'<text x="{left - 6}" y="{y + 14}" font-size="11" text-anchor="end">{escape(short(label))}'
                    f'<title>{escape(label)}</title></text>'
                    f'<rect x="{left}" y="{y + 3}" width="{max(w, 0):.1f}" height="{row - 8}" '
                    f'fill="{PALETTE[i % len(PALETTE)]}"/>'
                    f'<text x="{left + w + 4:.1f}" y="{y + 14}" font-size="11">{_fmt(value)}{escape(unit)}</text>')
    return _svg(width, height, body, title)


def short(label: str, limit: int = 11) -> str:
    """Long organisation names fit the axis: drop the city/district prefix, then cut with an ellipsis."""
    for prefix in ("乌海市", "海南区"):
        if label.startswith(prefix) and len(label) > limit:
            label = label[len(prefix):]
    return label if len(label) <= limit else label[:limit - 1] + "…"


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
