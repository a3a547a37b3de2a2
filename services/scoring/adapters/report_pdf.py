"""The LAKIN as a PDF in the reader's language (issue 12, ADR 0019), drawn with reportlab.

Chapter III as people print it: the NKO with its predicate and the perspective table and chart,
the NKO of every period, the SS/IKU table with coloured statuses, per IKU its Q1..Y table with a
target-vs-realisation chart and its five-year table with a trend chart, the Renstra/Renja
comparison, the budget and the red/yellow IKU to analyse. Every page carries the office's name,
the period and its page number. Numbers print with the decimal comma in Indonesian (118,30) and
are the report's exact values rounded only here, ROUND_HALF_UP.

The text font is Bitstream Vera (shipped inside reportlab), a TrueType font embedded in the
file: any Unicode name prints and ``pdftotext`` reads it back.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from services.scoring.adapters import charts
from services.scoring.schemas import Cell, ConsolidatedReport, IndicatorReport, Language, Report, TrendRow
from services.scoring.service.labels import number, value_places

FONT, BOLD = "Vera", "Vera-Bold"
STATUS_COLOURS = {
    "green": colors.HexColor("#C6EFCE"),
    "yellow": colors.HexColor("#FFEB9C"),
    "red": colors.HexColor("#FFC7CE"),
    "grey": colors.HexColor("#D9D9D9"),
}
HEADER = colors.HexColor("#1F4E78")


@functools.cache
def _fonts() -> None:
    folder = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "VeraBd.ttf")))


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    _fonts()
    base = ParagraphStyle("base", fontName=FONT, fontSize=8.5, leading=11)
    return {
        "base": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=7, leading=8.5),
        "head": ParagraphStyle("head", parent=base, fontName=BOLD, fontSize=7, leading=8.5, textColor=colors.white),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=15, leading=19, spaceAfter=4),
        "h1": ParagraphStyle("h1", parent=base, fontName=BOLD, fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=9.5, leading=12, spaceBefore=6, spaceAfter=3),
        "nko": ParagraphStyle("nko", parent=base, fontName=BOLD, fontSize=13, leading=17, spaceBefore=4, spaceAfter=6),
    }


def _p(text: object, style: str = "cell") -> Paragraph:
    return Paragraph(escape("" if text is None else str(text)), _styles()[style])


def _table(
    heading: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths: Sequence[float],
    statuses: Sequence[tuple[int, int, str]] = (),
) -> Table:
    """A table whose coloured header row repeats on every page; ``statuses``: (column, row, status) to colour."""
    data = [[_p(h, "head") for h in heading]] + [[c if isinstance(c, Flowable) else _p(c) for c in r] for r in rows]
    t = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    style: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#A6A6A6")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    for col, row, status in statuses:
        style.append(("BACKGROUND", (col, row + 1), (col, row + 1), STATUS_COLOURS.get(status, STATUS_COLOURS["grey"])))
    t.setStyle(TableStyle(style))
    return t


class _Numbers:
    """The document's number formats in its language."""

    def __init__(self, language: Language) -> None:
        self.language = language

    def index(self, v: Decimal | None) -> str:
        return number(v, self.language)

    def value(self, v: Decimal | None, unit: str | None) -> str:
        if v is None:
            return "-"
        text = number(v, self.language, value_places(v))
        return f"{text} {unit}" if unit else text

    def money(self, v: Decimal | None) -> str:
        return number(v, self.language, 0, grouping=True)

    def axis(self) -> Callable[[float | None], str]:
        language = self.language
        return lambda x: "" if x is None else number(Decimal(repr(x)), language, 0 if float(x).is_integer() else 1)

    def bar(self) -> Callable[[float | None], str]:
        """Labels of bars and points: the chart's float back to 2 decimals (a gap: no label)."""
        language = self.language
        return lambda x: "" if x is None else number(Decimal(repr(x)), language)


def _footer(office: str, period: str, page_label: str) -> Callable[[Canvas, Any], None]:
    def draw(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setStrokeColor(colors.HexColor("#A6A6A6"))
        canvas.line(15 * mm, 12 * mm, A4[0] - 15 * mm, 12 * mm)
        canvas.drawString(15 * mm, 8 * mm, f"{office} · {period}")
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, page_label.format(page=doc.page))
        canvas.restoreState()

    return draw


def _build(story: list[Flowable], title: str, office: str, period: str, page_label: str) -> bytes:
    out = BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="kinerja",
        subject=f"{office} · {period}",
    )
    footer = _footer(office, period, page_label)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _cells_rows(cells: Sequence[Cell], unit: str | None, n: _Numbers) -> list[list[object]]:
    return [
        [c.period_label, n.value(c.target, unit), n.value(c.realization, unit), n.index(c.index), c.status_label]
        for c in cells
    ]


def _indicator(ind: IndicatorReport, L: dict[str, str], n: _Numbers) -> list[Flowable]:
    unit = ind.unit_label
    story: list[Flowable] = []
    quarterly = _table(
        [L["period"], L["target"], L["realization"], L["index"], L["status"]],
        _cells_rows(ind.quarterly, unit, n),
        [38, 34, 34, 26, 24],
        [(4, i, c.status) for i, c in enumerate(ind.quarterly)],
    )
    chart = charts.target_vs_realisation(
        [c.period for c in ind.quarterly],
        [c.target for c in ind.quarterly],
        [c.realization for c in ind.quarterly],
        f"{L['chart_quarterly']} – {ind.code}" + (f" ({unit})" if unit else ""),
        (L["target"], L["realization"]),
        n.axis(),
        FONT,
    )
    story.append(KeepTogether([_p(f"{ind.code} {ind.name}", "h2"), quarterly, Spacer(1, 2 * mm), chart]))
    if ind.trend:
        first, last = ind.trend[0].year, ind.trend[-1].year
        heading = L["trend"].format(first=first, last=last)
        story.append(_trend(ind.trend, heading, f"{L['chart_trend']} – {ind.code} ({first}–{last})", L, n))
    for sub in ind.sub_series:  # a part of the IKU with a five-year table of its own (ADR 0019)
        first, last = sub.rows[0].year, sub.rows[-1].year
        heading = L["sub_trend"].format(name=sub.name, first=first, last=last)
        title = f"{L['chart_trend']} – {ind.code} / {L['sub_series']} ({first}–{last})"
        story.append(_trend(sub.rows, heading, title, L, n))
    return story


def _trend(trend: Sequence[TrendRow], heading: str, title: str, L: dict[str, str], n: _Numbers) -> Flowable:
    """A five-year table with its index line chart, kept on one page."""
    rows = [
        [
            t.year,
            t.name,
            n.value(t.target, t.unit_label),
            n.value(t.realization, t.unit_label),
            n.index(t.index) if t.index is not None else (t.printed or "-"),
            L["history"] if t.source == "history" else L["computed"],
        ]
        for t in trend
    ]
    table = _table(
        [L["year"], L["name"], L["target"], L["realization"], L["index"], L["source"]],
        rows,
        [13, 66, 27, 27, 20, 27],
    )
    line = charts.trend_line([t.year for t in trend], [t.index for t in trend], title, n.axis(), FONT, n.bar())
    return KeepTogether([_p(heading, "base"), table, line])


def render_report(report: Report) -> bytes:
    L, n = report.labels, _Numbers(report.language)
    office = f"{report.satker.name or report.satker.code} ({report.satker.code})"
    period = f"{L['year']} {report.year}"
    story: list[Flowable] = [
        _p(report.title, "title"),
        _p(L["chapter"], "base"),
        _p(f"{L['office']}: {office}", "base"),
        _p(f"{L['agreement']}: {report.agreement or '-'} · {report.rule_set} · {L['period']}: {period}", "base"),
        _p(L["generated"].format(as_of=report.as_of or "-"), "base"),
        _p(
            f"NKO {n.index(report.nko)} · {L['predicate']} {report.predicate or '-'}"
            + (f" ({L['partial']})" if report.partial else ""),
            "nko",
        ),
        _p(L["perspective"], "h1"),
        _table(
            [L["perspective"], L["weight"], L["index"]],
            [[p.name, number(p.weight * 100, report.language, 0) + " %", n.index(p.index)] for p in report.perspectives]
            + [[L["nko"], "100 %", n.index(report.nko)]],
            [100, 30, 40],
        ),
        Spacer(1, 3 * mm),
        charts.perspective_bars(
            [p.name for p in report.perspectives],
            [p.index for p in report.perspectives],
            L["chart_perspectives"],
            n.bar(),
            FONT,
        ),
        _p(f"{L['nko']} – {L['period']}", "h1"),
        _table(
            [L["period"], "NKO", L["predicate"]],
            [[ps.period_label, n.index(ps.nko), ps.predicate or "-"] for ps in report.periods],
            [60, 40, 50],
        ),
        _p(f"{L['objective']} / {L['indicator']}", "h1"),
    ]
    objectives = {o.code: o for o in report.objectives}
    rows: list[list[object]] = []
    statuses = []
    for i, ind in enumerate(report.indicators):
        o = objectives.get(ind.objective)
        c = ind.year
        rows.append(
            [
                f"{ind.objective} ({n.index(o.index) if o else '-'})",
                ind.code,
                ind.name,
                n.value(c.target, ind.unit_label),
                n.value(c.realization, ind.unit_label),
                n.index(c.index),
                c.status_label,
            ]
        )
        statuses.append((6, i, c.status))
    story.append(
        _table(
            [L["objective"], L["code"], L["indicator"], L["target"], L["realization"], L["index"], L["status"]],
            rows,
            [26, 14, 62, 24, 24, 16, 16],
            statuses,
        )
    )
    story.append(_p(L["quarterly"], "h1"))
    for ind in report.indicators:
        story += _indicator(ind, L, n)
    plans = [(ind, p) for ind in report.indicators for p in ind.plans]
    if plans:
        story.append(_p(L["plans"], "h1"))
        story.append(
            _table(
                [L["code"], L["plan"], L["plan_target"], L["pk_target"], L["realization"], L["objective"]],
                [
                    [
                        ind.code,
                        p.plan_label,
                        n.value(p.target, p.unit_label),
                        n.value(ind.year.target, ind.unit_label),
                        n.value(ind.year.realization, ind.unit_label),
                        p.objective or "",
                    ]
                    for ind, p in plans
                ],
                [14, 26, 24, 24, 24, 68],
            )
        )
    b = report.budget
    if b is not None:
        story.append(_p(f"{L['budget']} {b.year}", "h1"))
        rows = [
            [
                i.item,
                n.money(i.initial),
                n.money(i.revised),
                n.money(i.net),
                n.money(i.remaining),
                n.index(None if i.revised == 0 else i.net / i.revised * 100),
            ]
            for i in b.items
        ]
        rows += [
            [
                b.spending_type_labels.get(k, k),
                n.money(t.initial),
                n.money(t.revised),
                n.money(t.net),
                n.money(t.remaining),
                n.index(t.percent),
            ]
            for k, t in b.by_spending_type.items()
        ]
        rows.append(
            [
                L["total"],
                n.money(b.total.initial),
                n.money(b.total.revised),
                n.money(b.total.net),
                n.money(b.total.remaining),
                n.index(b.total.percent),
            ]
        )
        if b.previous is not None:
            pv = b.previous
            rows.append(
                [
                    f"{L['total']} {b.year - 1}",
                    n.money(pv.initial),
                    n.money(pv.revised),
                    n.money(pv.net),
                    n.money(pv.remaining),
                    n.index(pv.percent),
                ]
            )
        story.append(
            _table(
                [L["item"], L["initial"], L["revised"], L["net"], L["remaining"], L["percent"]],
                rows,
                [50, 27, 27, 27, 25, 18],
            )
        )
        if b.changes:
            story.append(_p(L["changes"], "h2"))
            story.append(
                _table(
                    [L["document"], L["amount"], L["note"]],
                    [[c.document_number or "-", n.money(c.amount), c.subject or ""] for c in b.changes],
                    [45, 30, 105],
                )
            )
        if b.outputs:
            story.append(_p(L["output"], "h2"))
            story.append(
                _table(
                    [L["activity"], L["output"], L["revised"], L["net"], L["percent"]],
                    [
                        [
                            o.activity,
                            o.output,
                            n.money(o.budget),
                            n.money(o.realization),
                            n.index(None if o.budget == 0 else o.realization / o.budget * 100),
                        ]
                        for o in b.outputs
                    ],
                    [45, 60, 27, 27, 21],
                )
            )
    story.append(_p(L["analysis"], "h1"))
    if report.analysis:
        story.append(
            _table(
                [L["code"], L["indicator"], L["status"], L["index"], L["note"]],
                [
                    [a.indicator, a.name, a.status_label, a.index_display, "\n".join(a.notes) or L["no_notes"]]
                    for a in report.analysis
                ],
                [16, 70, 18, 18, 58],
                [(2, i, a.status) for i, a in enumerate(report.analysis)],
            )
        )
    else:
        story.append(_p(L["none_red_yellow"], "base"))
    return _build(story, report.title, office, period, L["page"])


def render_consolidated(report: ConsolidatedReport) -> bytes:
    L, n = report.labels, _Numbers(report.language)
    office = f"{report.satker.name or report.satker.code} ({report.satker.code})"
    period = f"{L['year']} {report.year}"
    story: list[Flowable] = [
        _p(report.title, "title"),
        _p(f"{L['office']}: {office} · {L['period']}: {period}", "base"),
        _p(f"NKO {n.index(report.own.nko)} · {L['predicate']} {report.own.predicate or '-'}", "nko"),
        _p(L["members"], "h1"),
        _table(
            [L["rank"], L["code"], L["name"], "NKO", L["predicate"], L["red"], L["yellow"]],
            [
                [
                    m.rank,
                    m.code,
                    m.name,
                    n.index(m.nko),
                    m.predicate or "-",
                    ", ".join(m.red) or "-",
                    ", ".join(m.yellow) or "-",
                ]
                for m in report.members
            ],
            [12, 20, 50, 18, 24, 28, 28],
            [(5, i, "red") for i, m in enumerate(report.members) if m.red],
        ),
    ]
    if report.members:
        story.append(Spacer(1, 3 * mm))
        story.append(
            charts.perspective_bars(
                [m.code for m in report.members], [m.nko for m in report.members], "NKO", n.bar(), FONT
            )
        )
    story.append(_p(L["red_indicators"], "h1"))
    if report.red_indicators:
        story.append(
            _table(
                [L["code"], L["indicator"], L["office"]],
                [[r.indicator, r.name, ", ".join(r.satkers)] for r in report.red_indicators],
                [18, 100, 62],
            )
        )
    else:
        story.append(_p(L["none_red_yellow"], "base"))
    for m in report.members:
        block: list[Flowable] = [
            _p(f"{m.rank}. {m.name or m.code} ({m.code}) · NKO {n.index(m.nko)} · {m.predicate or '-'}", "h2"),
            _table(
                [L["perspective"], L["weight"], L["index"]],
                [[p.name, number(p.weight * 100, report.language, 0) + " %", n.index(p.index)] for p in m.perspectives],
                [100, 30, 40],
            ),
            charts.perspective_bars(
                [p.name for p in m.perspectives],
                [p.index for p in m.perspectives],
                L["chart_perspectives"],
                n.bar(),
                FONT,
            ),
        ]
        story.append(KeepTogether(block))
    return _build(story, report.title, office, period, L["page"])
