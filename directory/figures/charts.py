"""Small SVG charts rendered on the server: no script, readable without the network, and
each followed in the page by the same figures as a table for screen readers."""

import math

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 720, 260
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 12, 16, 44
PALETTE = ["#2f6b2f", "#c2571a", "#1f5f8b", "#8a6d00", "#7a3e9d", "#a40000", "#4d4d4d"]


def nice_max(value: float) -> float:
    """The round number at or above ``value`` the axis ends on (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _number(value) -> str:
    return number_format(
        value, decimal_pos=0 if float(value).is_integer() else 1, use_l10n=True, force_grouping=True
    )


def bar_chart(chart_id: str, title: str, labels: list[str], series: list[tuple[str, list]]) -> str:
    """Grouped bars: one group per label, one bar per series (name, values)."""
    top = nice_max(max((v or 0 for _name, values in series for v in values), default=0))
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    groups = max(len(labels), 1)
    group_w = plot_w / groups
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1)
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for tick in range(5):
        value = top * tick / 4
        y = MARGIN_TOP + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(_number(value))}</text>'
        )
    every = max(1, math.ceil(groups / 12))
    for index, label in enumerate(labels):
        x0 = MARGIN_LEFT + group_w * index + group_w * 0.1
        for position, (name, values) in enumerate(series):
            value = values[index] or 0
            height = plot_h * value / top if top else 0
            x = x0 + bar_w * position
            parts.append(
                f'<rect x="{x:.1f}" y="{MARGIN_TOP + plot_h - height:.1f}" width="{bar_w:.1f}" '
                f'height="{height:.1f}" fill="{PALETTE[position % len(PALETTE)]}">'
                f"<title>{escape(label)} — {escape(name)} : {escape(_number(value))}</title></rect>"
            )
        if index % every == 0:
            parts.append(
                f'<text x="{MARGIN_LEFT + group_w * (index + 0.5):.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    if len(series) > 1:
        x = MARGIN_LEFT
        for position, (name, _values) in enumerate(series):
            parts.append(
                f'<rect x="{x}" y="{HEIGHT - 16}" width="12" height="12" fill="{PALETTE[position % len(PALETTE)]}"/>'
                f'<text x="{x + 16}" y="{HEIGHT - 6}">{escape(name)}</text>'
            )
            x += 24 + 8 * len(name)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
