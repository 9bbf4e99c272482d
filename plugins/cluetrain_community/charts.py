"""Charts as SVG files rendered at build time with matplotlib, each with the data for its table."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Fixed colours that read on both the light and the dark theme (the SVG is an <img>, so it
# cannot follow the page's CSS variables).
SERIES_COLOURS = ("#3b6fe0", "#e07a1f", "#2e9e6a", "#b04fc4")
AXIS_COLOUR = "#7a838f"
WIDTH_INCHES, HEIGHT_INCHES = 7.2, 2.8
HASH_SALT = "cluetrain-community"  # fixed element ids: the same numbers give the same bytes


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart: where its SVG goes, what it shows, and the table a screen reader (or anyone) can read."""

    slug: str
    title: str
    summary: str  # the image's alt text: what the chart shows, in one sentence
    unit: str
    series: tuple[str, ...]
    rows: tuple[tuple[str, tuple[float | None, ...]], ...]  # (row label, one value per series)

    @property
    def file_name(self) -> str:
        """The SVG's file name inside the charts folder."""
        return f"{self.slug}.svg"

    def formatted(self, value: float | None) -> str:
        """A value as the table shows it: whole numbers plain, others to one decimal, gaps as a dash."""
        if value is None:
            return "–"
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _tick_positions(count: int, most: int = 12) -> list[int]:
    step = max(1, -(-count // most))
    return list(range(0, count, step))


def render_svg(chart: Chart) -> bytes:
    """The chart as a bar chart (grouped when it has several series), as SVG bytes."""
    import matplotlib

    matplotlib.use("svg", force=False)
    from matplotlib.figure import Figure

    labels = [label for label, _ in chart.rows]
    with matplotlib.rc_context({"svg.hashsalt": HASH_SALT, "svg.fonttype": "none", "font.size": 9,
                                "axes.edgecolor": AXIS_COLOUR, "xtick.color": AXIS_COLOUR,
                                "ytick.color": AXIS_COLOUR, "axes.labelcolor": AXIS_COLOUR}):
        figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), layout="constrained")
        axes = figure.add_subplot()
        _draw_bars(axes, chart, len(labels))
        ticks = _tick_positions(len(labels))
        axes.set_xticks(ticks, [labels[i] for i in ticks], rotation=45, ha="right")
        axes.set_ylabel(chart.unit)
        axes.spines[["top", "right"]].set_visible(False)
        axes.yaxis.get_major_locator().set_params(integer=True)
        if len(chart.series) > 1:
            axes.legend(frameon=False, labelcolor=AXIS_COLOUR)
        figure.patch.set_alpha(0)
        axes.patch.set_alpha(0)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Title": chart.title,
                                                        "Description": chart.summary})
    return buffer.getvalue()


def _draw_bars(axes: Any, chart: Chart, count: int) -> None:
    width = 0.8 / max(len(chart.series), 1)
    for index, name in enumerate(chart.series):
        offsets = [position + (index - (len(chart.series) - 1) / 2) * width for position in range(count)]
        values: Sequence[float] = [row[1][index] or 0 for row in chart.rows]
        axes.bar(offsets, values, width=width, label=name, color=SERIES_COLOURS[index % len(SERIES_COLOURS)])
