"""Small charts as inline SVG, drawn on the server: no JavaScript, no third party.

Only geometry and classes are written here; colours and fonts come from
``static/css/organiser.css`` (the strict CSP forbids ``style`` attributes and
``<style>`` elements, and a stylesheet can restyle the charts for high contrast).
Every chart is an ``role="img"`` with a short label; the page puts a table with the
same figures next to it, for screen readers and for copying.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 400
ROW = 34  # label line above, bar below
LABEL_CHARS = 52


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _svg(height: int, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="app-chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body) + "</svg>")


def bars(rows: Sequence[tuple[str, int]], label: str) -> Markup:
    """Horizontal bars, one per (name, number), the name above each bar."""
    top = max((n for _name, n in rows), default=0) or 1
    room = WIDTH - 48
    body = []
    for i, (name, number) in enumerate(rows):
        y = i * ROW
        width = round(room * number / top, 1)
        body.append(
            f'<g><title>{escape(name)}: {number}</title>'
            f'<text class="app-chart__label" x="0" y="{y + 12}">{escape(_short(name))}</text>'
            f'<rect class="app-chart__bar" x="0" y="{y + 16}" width="{width}" height="12"/>'
            f'<text class="app-chart__value" x="{width + 4}" y="{y + 27}">{number}</text></g>')
    return _svg(max(len(rows), 1) * ROW, label, body)


def stacked(rows: Sequence[tuple[str, Sequence[int], int]], series: Sequence[str],
            label: str, capacity_word: str = "Kapazität") -> Markup:
    """Horizontal stacked bars (name, parts, capacity) with a mark at the capacity.

    Part ``k`` gets the class ``app-chart__part--k``; a legend names the series.
    """
    top = max((max(sum(parts), capacity) for _name, parts, capacity in rows), default=0) or 1
    room = WIDTH - 48
    legend_height = 22
    body = []
    x = 0
    for k, name in enumerate(series):
        body.append(f'<rect class="app-chart__part--{k}" x="{x}" y="4" width="12" height="12"/>'
                    f'<text class="app-chart__legend" x="{x + 16}" y="14">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    for i, (name, parts, capacity) in enumerate(rows):
        y = legend_height + i * ROW
        pieces, start = [], 0.0
        for k, part in enumerate(parts):
            width = round(room * part / top, 1)
            if part:
                pieces.append(f'<rect class="app-chart__part--{k}" x="{start}" y="{y + 16}" '
                              f'width="{width}" height="12"/>')
            start += width
        mark = round(room * capacity / top, 1)
        summary = ", ".join(f"{s}: {p}" for s, p in zip(series, parts, strict=False))
        body.append(
            f'<g><title>{escape(name)}: {escape(summary)}; {escape(capacity_word)} '
            f'{capacity}</title>'
            f'<text class="app-chart__label" x="0" y="{y + 12}">{escape(_short(name))}</text>'
            + "".join(pieces)
            + f'<line class="app-chart__capacity" x1="{mark}" x2="{mark}" y1="{y + 14}" '
              f'y2="{y + 30}"/>'
            f'<text class="app-chart__value" x="{max(start, mark) + 4}" y="{y + 27}">'
            f'{sum(parts)}/{capacity}</text></g>')
    return _svg(legend_height + max(len(rows), 1) * ROW, label, body)


def columns(rows: Sequence[tuple[str, int]], label: str) -> Markup:
    """Vertical columns over time; a few names along the bottom, the highest value on top."""
    height, bottom, left = 180, 20, 28
    top = max((n for _name, n in rows), default=0) or 1
    count = max(len(rows), 1)
    step = (WIDTH - left) / count
    every = max(1, round(count / 6))
    body = [f'<text class="app-chart__value" x="0" y="12">{top}</text>',
            f'<line class="app-chart__axis" x1="{left}" x2="{WIDTH}" y1="{height - bottom}" '
            f'y2="{height - bottom}"/>']
    room = height - bottom - 16
    for i, (name, number) in enumerate(rows):
        bar = round(room * number / top, 1)
        x = round(left + i * step, 1)
        body.append(f'<g><title>{escape(name)}: {number}</title><rect class="app-chart__bar" '
                    f'x="{x}" y="{round(height - bottom - bar, 1)}" '
                    f'width="{max(round(step * 0.8, 1), 1)}" height="{bar}"/></g>')
        if i % every == 0:
            body.append(f'<text class="app-chart__tick" x="{x}" y="{height - 4}">'
                        f'{escape(name)}</text>')
    return _svg(height, label, body)
