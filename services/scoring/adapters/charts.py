"""Charts of the LAKIN PDF (issue 12, ADR 0019), drawn as vector graphics with reportlab.graphics.

Vector drawings inside the PDF (no raster images, no second plotting library): sharp at any zoom,
a few kilobytes each, and tens of them cost milliseconds, which keeps a Kanwil's consolidated PDF
within its time budget. Axis labels print the decimal comma of the document's language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

TARGET = colors.HexColor("#9DC3E6")
REALISATION = colors.HexColor("#1F4E78")
INDEX = colors.HexColor("#C55A11")
FONT = "Helvetica"

Fmt = Callable[[float | None], str]


def _num(values: Sequence[Decimal | None]) -> list[float | None]:
    # the chart's geometry only: the figures printed beside it are the report's exact decimals
    return [None if v is None else float(v) for v in values]


def _top(values: Sequence[float | None], floor: float = 0) -> float:
    known = [v for v in values if v is not None]
    top = max(known, default=1.0)
    return max(floor, top * 1.15 if top > 0 else 1.0)


def _title(d: Drawing, text: str, font: str) -> None:
    d.add(String(d.width / 2, d.height - 12, text, fontName=font, fontSize=9, textAnchor="middle"))


def perspective_bars(
    names: Sequence[str], indices: Sequence[Decimal | None], title: str, fmt: Fmt, font: str = FONT
) -> Drawing:
    """Horizontal bars: the index of each perspective (the NKO's parts)."""
    d = Drawing(460, 40 + 28 * len(names))
    _title(d, title, font)
    c = HorizontalBarChart()
    c.x, c.y, c.width, c.height = 190, 10, 240, 22 * len(names)
    values = [v if v is not None else 0 for v in _num(indices)]
    c.data = [list(reversed(values))]
    c.categoryAxis.categoryNames = list(reversed(list(names)))
    c.categoryAxis.labels.fontName, c.categoryAxis.labels.fontSize = font, 7
    c.valueAxis.valueMin, c.valueAxis.valueMax = 0, _top(values, 120)
    c.valueAxis.labels.fontName, c.valueAxis.labels.fontSize = font, 7
    c.valueAxis.labelTextFormat = fmt
    c.bars[0].fillColor = REALISATION
    c.barLabelFormat = fmt
    c.barLabels.fontName, c.barLabels.fontSize, c.barLabels.dx = font, 7, 14
    d.add(c)
    return d


def target_vs_realisation(
    periods: Sequence[str],
    targets: Sequence[Decimal | None],
    realisations: Sequence[Decimal | None],
    title: str,
    labels: tuple[str, str],
    fmt: Fmt,
    font: str = FONT,
) -> Drawing:
    """Grouped bars per period: target and realisation of one IKU."""
    d = Drawing(460, 150)
    _title(d, title, font)
    t, r = _num(targets), _num(realisations)
    c = VerticalBarChart()
    c.x, c.y, c.width, c.height = 40, 30, 330, 95
    c.data = [[v or 0 for v in t], [v or 0 for v in r]]
    c.categoryAxis.categoryNames = list(periods)
    c.categoryAxis.labels.fontName, c.categoryAxis.labels.fontSize = font, 7
    c.valueAxis.valueMin, c.valueAxis.valueMax = 0, _top(t + r)
    c.valueAxis.labels.fontName, c.valueAxis.labels.fontSize = font, 7
    c.valueAxis.labelTextFormat = fmt
    c.bars[0].fillColor, c.bars[1].fillColor = TARGET, REALISATION
    d.add(c)
    legend = Legend()
    legend.x, legend.y = 385, 110
    legend.fontName, legend.fontSize = font, 7
    legend.colorNamePairs = [(TARGET, labels[0]), (REALISATION, labels[1])]
    d.add(legend)
    return d


def trend_line(
    years: Sequence[int],
    indices: Sequence[Decimal | None],
    title: str,
    fmt: Fmt,
    font: str = FONT,
    point_fmt: Fmt | None = None,
) -> Drawing:
    """The index of one IKU over the years (a year without a figure leaves a gap)."""
    d = Drawing(460, 130)
    _title(d, title, font)
    values = _num(indices)
    c = HorizontalLineChart()
    c.x, c.y, c.width, c.height = 40, 25, 330, 80
    c.data = [values]
    c.categoryAxis.categoryNames = [str(y) for y in years]
    c.categoryAxis.labels.fontName, c.categoryAxis.labels.fontSize = font, 7
    c.valueAxis.valueMin, c.valueAxis.valueMax = 0, _top(values, 120)
    c.valueAxis.labels.fontName, c.valueAxis.labels.fontSize = font, 7
    c.valueAxis.labelTextFormat = fmt
    c.lines[0].strokeColor, c.lines[0].strokeWidth = INDEX, 1.5
    c.lineLabelFormat = point_fmt or fmt
    c.lineLabels.fontName, c.lineLabels.fontSize = font, 6
    d.add(c)
    return d
