"""The community charts as drawn: every month a bar, the legend clear of the bars, labels inside, no negative counts."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from plugins.cluetrain_community.charts import Chart, draw_svg, laid_out

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = tuple(f"{2014 + index // 12}-{index % 12 + 1:02d}" for index in range(150))
TWO_SERIES = Chart("author-ada", "Ada: posts and comments", "Grouped bar chart.", "count",
                   ("Posts", "Comments received"),
                   tuple((month, (index % 7, (index * 5) % 11)) for index, month in enumerate(MONTHS)))


def _group(svg: ElementTree.Element, prefix: str) -> list[ElementTree.Element]:
    return [g for g in svg.iter(f"{SVG}g") if g.get("id", "").startswith(prefix)]


def _ys(element: ElementTree.Element) -> list[float]:
    """Every y coordinate of the paths under ``element`` (matplotlib writes "M x y L x y ..." paths)."""
    numbers = [float(n) for path in element.iter(f"{SVG}path") for n in path.get("d", "").split()
               if n.replace(".", "", 1).replace("-", "", 1).isdigit()]
    return numbers[1::2]


def _tick_labels(svg: ElementTree.Element, axis: str) -> list[str]:
    return [text for g in _group(svg, f"{axis}tick_") for node in g.iter(f"{SVG}text") if (text := node.text)]


def test_every_month_has_a_bar_per_series():
    svg = ElementTree.fromstring(draw_svg(TWO_SERIES))
    collections = _group(svg, "PolyCollection")
    assert len(collections) == 2
    for collection in collections:
        assert len(list(collection.iter(f"{SVG}path"))) == len(MONTHS)


def test_the_legend_sits_above_the_plot_and_hides_no_bar():
    svg = ElementTree.fromstring(draw_svg(TWO_SERIES))
    (legend,) = _group(svg, "legend")
    assert {node.text for node in legend.iter(f"{SVG}text")} == {"Posts", "Comments received"}
    plot_top = min(y for collection in _group(svg, "PolyCollection") for y in _ys(collection))
    assert max(_ys(legend)) < plot_top  # SVG y grows downwards


def test_a_chart_without_any_activity_counts_from_zero():
    empty = Chart("posts", "Posts by month", "Bar chart of posts.", "posts", ("Posts",), (("2026-01", (None,)),))
    labels = _tick_labels(ElementTree.fromstring(draw_svg(empty)), "y")
    assert labels and all(float(label) >= 0 for label in labels)
    assert "−" not in "".join(labels)


BIG = Chart("comments", "Comments by month", "Bar chart.", "comments", ("Comments",),
            tuple((month, (index * 977 % 120_000,)) for index, month in enumerate(MONTHS)))
ONE_MONTH = Chart("answer-time", "Median time to the first official answer", "Bar chart.", "hours",
                  ("Median hours",), (("2026-01", (2.5,)),))


@pytest.mark.parametrize("chart", [TWO_SERIES, BIG, ONE_MONTH], ids=["two series", "six-digit values", "one month"])
def test_every_label_fits_in_the_figure_beside_the_plot(chart):
    # The margins are measured from the labels (no layout engine), so nothing may be cut off or overlap the plot.
    with laid_out(chart) as figure:
        figure.draw_without_rendering()
        renderer = figure._get_renderer()
        (axes,) = figure.axes
        page, plot = figure.bbox, axes.get_window_extent(renderer)
        low, high = axes.get_ylim()  # matplotlib keeps labels for ticks beyond the axis, and does not draw them
        value_labels = [text for text in axes.get_yticklabels() if low <= text.get_position()[1] <= high]
        month_labels = [text for text in axes.get_xticklabels() if text.get_text()]
        legend = axes.get_legend()
        extra = [axes.yaxis.label, *(legend.get_texts() if legend else [])]
        for text in [*value_labels, *month_labels, *extra]:
            box = text.get_window_extent(renderer)
            assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1, text
        assert all(text.get_window_extent(renderer).x1 <= plot.x0 for text in [*value_labels, axes.yaxis.label])
        assert all(text.get_window_extent(renderer).y1 <= plot.y0 for text in month_labels)
        if legend:
            assert all(text.get_window_extent(renderer).y0 >= plot.y1 for text in legend.get_texts())
