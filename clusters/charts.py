"""A horizontal bar chart of cluster emissions, drawn as plain SVG on the server.

No viewBox, so the text stays at 16 CSS pixels on a phone; bar widths are percentages
of the chart's width (the markup frontend/src/_project.scss documents).
"""

from dataclasses import dataclass

ROW_HEIGHT = 48
BAR_HEIGHT = 24
# Leaves room for the value after the longest bar, also at 320 CSS pixels (the chart about
# 290 wide): at 85 %, "12.4" ran past the edge and was cut (tests/browser/test_reflow.py).
MAX_BAR_PERCENT = 78


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    width_percent: float
    label_y: int
    bar_y: int
    value_y: int


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: int
    bar_height: int = BAR_HEIGHT


def emissions_chart(clusters) -> BarChart:
    """Bars scaled to the largest emitter; clusters with no figure are left out."""
    rows = [(c.name, float(c.emissions_mtco2)) for c in clusters if c.emissions_mtco2 is not None]
    largest = max((value for _, value in rows), default=0) or 1
    bars = [
        Bar(
            label=name,
            value=value,
            width_percent=round(MAX_BAR_PERCENT * value / largest, 1),
            label_y=i * ROW_HEIGHT + 10,
            bar_y=i * ROW_HEIGHT + 20,
            value_y=i * ROW_HEIGHT + 32,
        )
        for i, (name, value) in enumerate(rows)
    ]
    return BarChart(bars=bars, height=len(bars) * ROW_HEIGHT)
