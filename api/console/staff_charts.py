"""Charts drawn on the server as SVG: no script, no external service, no inline style (the
CSP forbids it), only presentation attributes. Text is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

BAR = "#0b4f9c"
SECOND = "#a40e26"
INK = "#1f2328"
GRID = "#d0d7de"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value and, optionally, a second value drawn over it."""

    label: str
    value: float
    second: float | None = None


def bar_chart(
    title: str, bars: Sequence[Bar], *, unit: str = "", second_label: str | None = None
) -> Markup:
    """A horizontal bar chart (one row per bar), labelled and titled for screen readers."""
    rows = list(bars)[:40]
    label_width = 150
    width = 640
    row_height = 26
    top = 28
    height = top + row_height * max(len(rows), 1) + 24
    largest = max([b.value for b in rows] + [b.second or 0 for b in rows] + [1])
    scale = (width - label_width - 70) / largest
    parts = [
        f'<svg viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="18" font-size="15" font-weight="bold" fill="{INK}">{escape(title)}</text>',
    ]
    if not rows:
        parts.append(f'<text x="0" y="{top + 18}" font-size="14" fill="{INK}">暂无数据</text>')
    for i, bar in enumerate(rows):
        y = top + i * row_height
        length = max(bar.value * scale, 0)
        label = bar.label if len(bar.label) <= 12 else bar.label[:11] + "…"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 17}" font-size="13" text-anchor="end" '
            f'fill="{INK}">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="18" fill="{BAR}">'
            f"<title>{escape(bar.label)}: {_number(bar.value)}{escape(unit)}</title></rect>"
        )
        if bar.second is not None:
            inner = max(bar.second * scale, 0)
            parts.append(
                f'<rect x="{label_width}" y="{y + 9}" width="{inner:.1f}" height="8" '
                f'fill="{SECOND}"><title>{escape(bar.label)}: {escape(second_label or "")} '
                f"{_number(bar.second)}</title></rect>"
            )
        parts.append(
            f'<text x="{label_width + length + 6:.1f}" y="{y + 17}" font-size="13" '
            f'fill="{INK}">{_number(bar.value)}{escape(unit)}'
            + (f" / {_number(bar.second)}" if bar.second is not None else "")
            + "</text>"
        )
    parts.append(
        f'<line x1="{label_width}" y1="{top}" x2="{label_width}" '
        f'y2="{height - 24}" stroke="{GRID}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
