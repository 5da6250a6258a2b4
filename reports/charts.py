"""Charts as SVG markup, drawn here so printed documents stay vector and need no chart library."""

from django.utils.formats import number_format
from django.utils.html import escape


def bar_chart(
    items: list[tuple[str, float]],
    *,
    width=480,
    bar_height=18,
    gap=6,
    label_width=150,
    color="#0b4a8b",
    unit="",
    font_size=10,
) -> str:
    """A horizontal bar chart of (label, value) pairs, values printed at the bar's end."""
    if not items:
        return ""
    top = max(value for _, value in items) or 1
    plot = width - label_width - 50
    height = len(items) * (bar_height + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="DejaVu Sans" '
        f'font-size="{font_size}">'
    ]
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar_height + gap)
        w = max(1, round(plot * value / top)) if value else 0
        text_y = y + bar_height * 0.7
        parts.append(
            f'<text x="{label_width - 6}" y="{text_y}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{w}" height="{bar_height}" fill="{color}"/>'
            f'<text x="{label_width + w + 4}" y="{text_y}">{_number(value)}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _number(value) -> str:
    """18,8 in Bahasa Indonesia, as the tables beside the chart print it (not Python's 18.8)."""
    return number_format(f"{value:g}" if isinstance(value, float) else value)
