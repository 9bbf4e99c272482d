"""Charts as SVG files rendered at build time with matplotlib, each with the data for its table.

Drawing a chart costs ~25 ms (and importing matplotlib ~1 s), while its data rarely changes
between builds, so each SVG is kept in CACHE_PATH under a hash of the chart's data and the
renderer's version: a build whose charts are all cached never imports matplotlib.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from cluetrain.content_format import atomic_write

log = logging.getLogger(__name__)

# Fixed colours that read on both the light and the dark theme (the SVG is an <img>, so it
# cannot follow the page's CSS variables).
SERIES_COLOURS = ("#3b6fe0", "#e07a1f", "#2e9e6a", "#b04fc4")
AXIS_COLOUR = "#7a838f"
WIDTH_INCHES, HEIGHT_INCHES = 7.2, 2.8
POINTS_PER_INCH = 72
FONT_SIZE = 9  # points
EDGE = 4  # points of space kept between the figure's edge and anything drawn
LEGEND_HEIGHT = 2.6 * FONT_SIZE  # one row of legend entries above the plot, with its padding
HASH_SALT = "cluetrain-community"  # fixed element ids: the same numbers give the same bytes
CACHE_FOLDER = "cluetrain_charts"
CACHE_LIMIT = 512  # files kept in the cache folder; the oldest go first (a pruned chart is just drawn again)


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


def load_renderer() -> Any:
    """matplotlib's Figure, imported on first use (~1 s): a build whose charts are all cached never pays it."""
    import matplotlib

    matplotlib.use("svg", force=False)
    from matplotlib.figure import Figure

    return Figure


def draw_svg(chart: Chart) -> bytes:
    """The chart drawn now as a bar chart (grouped when it has several series), as SVG bytes."""
    with laid_out(chart) as figure:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Title": chart.title,
                                                        "Description": chart.summary})
    return buffer.getvalue()


@contextmanager
def laid_out(chart: Chart) -> Iterator[Any]:
    """The chart's matplotlib Figure, ready to save while the context lasts (its style is in force)."""
    import matplotlib

    Figure = load_renderer()  # noqa: N806 - the class, under its own name

    labels = [label for label, _ in chart.rows]
    with matplotlib.rc_context({"svg.hashsalt": HASH_SALT, "svg.fonttype": "none", "font.size": FONT_SIZE,
                                "axes.edgecolor": AXIS_COLOUR, "xtick.color": AXIS_COLOUR,
                                "ytick.color": AXIS_COLOUR, "axes.labelcolor": AXIS_COLOUR}):
        # No layout engine: a constrained layout draws the figure twice and measures every text on
        # each pass (half of a chart's time); _fit_margins measures the few texts around the plot once.
        figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES))
        axes = figure.add_subplot()
        _draw_bars(axes, chart, len(labels))
        ticks = _tick_positions(len(labels))
        shown = [labels[i] for i in ticks]
        axes.set_xticks(ticks, shown, rotation=45, ha="right")
        axes.set_ylabel(chart.unit)
        axes.spines[["top", "right"]].set_visible(False)
        axes.yaxis.get_major_locator().set_params(integer=True)
        if len(chart.series) > 1:
            # Above the plot, so it never hides a bar (and matplotlib need not search for the emptiest spot).
            axes.legend(frameon=False, labelcolor=AXIS_COLOUR, loc="lower left", bbox_to_anchor=(0, 1),
                        ncols=len(chart.series), borderaxespad=0.2)
        _fit_margins(figure, axes, chart, shown)
        figure.patch.set_alpha(0)
        axes.patch.set_alpha(0)
        yield figure


def _fit_margins(figure: Any, axes: Any, chart: Chart, x_labels: list[str]) -> None:
    """Margins (in points) that fit the value axis's labels, the slanted month labels and the legend."""
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path  # what the SVG renderer measures text with

    font = FontProperties(size=FONT_SIZE)

    def measured(text: str) -> tuple[float, float]:
        width, height, _descent = text_to_path.get_text_width_height_descent(text, font, ismath=False)
        return width, height

    low, high = axes.get_ylim()
    values = [v for v in axes.yaxis.get_major_locator()() if low <= v <= high]
    value_labels = axes.yaxis.get_major_formatter().format_ticks(values)
    tick = rcParams["ytick.major.size"] + rcParams["ytick.major.pad"]
    left = (EDGE + measured(chart.unit)[1] + rcParams["axes.labelpad"] + tick
            + max((measured(text)[0] for text in value_labels), default=0.0))
    # A label turned 45° takes (width + height) / √2 downwards.
    slanted = max((sum(measured(text)) for text in x_labels), default=0.0) / math.sqrt(2)
    bottom = EDGE + slanted + rcParams["xtick.major.size"] + rcParams["xtick.major.pad"]
    # The legend's row above the plot, or room for half of the top value's label.
    top = EDGE + (LEGEND_HEIGHT if len(chart.series) > 1 else FONT_SIZE / 2)
    width, height = WIDTH_INCHES * POINTS_PER_INCH, HEIGHT_INCHES * POINTS_PER_INCH
    figure.subplots_adjust(left=left / width, right=1 - EDGE / width, bottom=bottom / height, top=1 - top / height)


def _draw_bars(axes: Any, chart: Chart, count: int) -> None:
    # One collection of rectangles per series, not one patch per bar: a chart of 150 months draws
    # in a third of the time (matplotlib lays out and limits-checks every patch on its own).
    from matplotlib.collections import PolyCollection

    width = 0.8 / max(len(chart.series), 1)
    for index, name in enumerate(chart.series):
        left = (index - (len(chart.series) - 1) / 2) * width - width / 2
        values: Sequence[float] = [row[1][index] or 0 for row in chart.rows]
        bars = PolyCollection(
            [((position + left, 0), (position + left, value), (position + left + width, value),
              (position + left + width, 0)) for position, value in zip(range(count), values, strict=True)],
            facecolors=SERIES_COLOURS[index % len(SERIES_COLOURS)], edgecolors="none", linewidths=0, label=name)
        bars.sticky_edges.y.append(0)  # the value axis starts at zero, as for bars
        axes.add_collection(bars)
    axes.autoscale_view()
    if not any(value for _, values in chart.rows for value in values):
        axes.set_ylim(0, 1)  # nothing yet: an axis from 0, not one around zero with negative counts


@cache
def renderer_version() -> str:
    """Changes whenever a drawing could: this module's source and matplotlib's version (read without importing it)."""
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return f"{source}/{metadata.version('matplotlib')}"


def cache_key(chart: Chart) -> str:
    """A hash of everything the SVG is drawn from (ints and floats stay apart: JSON writes 1 and 1.0)."""
    data = json.dumps([renderer_version(), *astuple(chart)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class ChartCache:
    """SVGs by cache key, one file each: a line with the SHA-256 of the SVG, then the SVG."""

    def __init__(self, folder: Path, *, read: bool = True, write: bool = True) -> None:
        self.folder = folder
        self.read = read
        self.write = write
        self.drawn = 0

    def svg(self, chart: Chart) -> bytes:
        """The chart's SVG from the cache, or drawn now (and kept); a damaged file is drawn again."""
        path = self.folder / f"{cache_key(chart)}.svg"
        if self.read:
            found = _read_checked(path)
            if found is not None:
                return found
        data = draw_svg(chart)
        self.drawn += 1
        if self.write:
            atomic_write(path, hashlib.sha256(data).hexdigest().encode("ascii") + b"\n" + data, durable=False)
            self._prune()
        return data

    def _prune(self) -> None:
        files = list(self.folder.glob("*.svg"))
        if len(files) > CACHE_LIMIT:
            files.sort(key=lambda path: path.stat().st_mtime)
            for stale in files[:len(files) - CACHE_LIMIT]:
                stale.unlink(missing_ok=True)


def _read_checked(path: Path) -> bytes | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("ignoring an unreadable chart cache file %s: %s", path, exc)
        return None
    digest, _, data = raw.partition(b"\n")
    if digest != hashlib.sha256(data).hexdigest().encode("ascii"):
        log.warning("ignoring a damaged chart cache file %s", path)
        return None
    return data


def chart_cache_for(settings: dict[str, Any]) -> ChartCache | None:
    """The site's chart cache in CACHE_PATH, following its content cache settings (None without one)."""
    read, write = bool(settings.get("LOAD_CONTENT_CACHE")), bool(settings.get("CACHE_CONTENT"))
    cache_path = settings.get("CACHE_PATH")
    return ChartCache(Path(cache_path) / CACHE_FOLDER, read=read, write=write) if cache_path and (
        read or write) else None


def render_svg(chart: Chart, cache: ChartCache | None) -> bytes:
    """The chart's SVG, through ``cache`` when there is one (bytes equal to ``draw_svg``'s)."""
    return cache.svg(chart) if cache is not None else draw_svg(chart)
