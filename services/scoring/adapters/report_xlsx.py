"""The LAKIN as an Excel workbook (issue 12, ADR 0019): one sheet per table of chapter III.

Indonesian (or English) headers from the report's labels, numbers as number cells with a display
format of two decimals and the unit (four below 1, as the clearance time 0,3969 hari), Rupiah with
thousands separators, the status cells coloured, and the title block and header row frozen so they
stay on screen. Excel/LibreOffice show the decimal comma of the reader's locale from the same format.

What is exact and what is not: the report (and its JSON) carries the engine's exact Decimals. A
spreadsheet number cell is an IEEE double: openpyxl writes the Decimal as a float (e.g. the NKO
118.29872611464968... is stored as ``118.2987261146497``), so the cell keeps about 15 significant
digits, not the full Decimal. The text the reader sees is the spreadsheet rounding that double to
the format's places; it equals the report's ``*_display`` (ROUND_HALF_UP of the exact Decimal)
unless the exact value sits within a double's precision of a rounding midpoint (x.xx5), where the
double may fall on the other side. The JSON is the exact record; the workbook is for reading and
computing on.
"""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.scoring.schemas import ConsolidatedReport, Report
from services.scoring.service.labels import SPENDING, label, value_places

FILLS = {
    "green": PatternFill("solid", fgColor="C6EFCE"),
    "yellow": PatternFill("solid", fgColor="FFEB9C"),
    "red": PatternFill("solid", fgColor="FFC7CE"),
    "grey": PatternFill("solid", fgColor="D9D9D9"),
}
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
INDEX_FORMAT = "0.00"
MONEY_FORMAT = "#,##0"
TITLE_ROWS = 3  # title, office, period: above the header row


def unit_format(unit_label: str | None, value: Decimal | None) -> str:
    places = "0." + "0" * value_places(value)
    return f'{places} "{unit_label}"' if unit_label else places


class _Sheet:
    def __init__(
        self, wb: Workbook, title: str, heading: list[str], report_title: str, office: str, period: str
    ) -> None:
        self.ws: Worksheet = wb.create_sheet(title[:31])
        self.ws.append([report_title])
        self.ws["A1"].font = Font(bold=True, size=13)
        self.ws.append([office])
        self.ws.append([period])
        self.ws.append(heading)
        for cell in self.ws[TITLE_ROWS + 1]:
            cell.fill, cell.font = HEADER_FILL, HEADER_FONT
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        self.ws.freeze_panes = f"A{TITLE_ROWS + 2}"
        self.widths = [max(10, min(60, len(h) + 2)) for h in heading]

    def row(
        self, values: list[Any], formats: dict[int, str] | None = None, status: tuple[int, str] | None = None
    ) -> None:
        self.ws.append([v for v in values])
        r = self.ws.max_row
        for i, v in enumerate(values):
            if isinstance(v, str):
                self.widths[i] = max(self.widths[i], min(60, len(v) + 2))
        for col, fmt in (formats or {}).items():
            self.ws.cell(row=r, column=col + 1).number_format = fmt
        if status is not None:
            col, code = status
            self.ws.cell(row=r, column=col + 1).fill = FILLS.get(code, FILLS["grey"])

    def done(self) -> None:
        for i, w in enumerate(self.widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = w


def render_report(report: Report) -> bytes:
    L = report.labels
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    office = f"{L['office']}: {report.satker.name} ({report.satker.code})"
    period = f"{L['period']}: {L['year']} {report.year} · {L['agreement']} {report.agreement or '-'}"

    def sheet(title: str, heading: list[str]) -> _Sheet:
        return _Sheet(wb, title, heading, report.title, office, period)

    s = sheet("NKO", [L["perspective"], L["weight"], L["index"]])
    for p in report.perspectives:
        s.row([p.name, p.weight, p.index], {1: "0.00", 2: INDEX_FORMAT})
    s.row([L["nko"], None, report.nko], {2: INDEX_FORMAT})
    s.row([L["predicate"], None, report.predicate])
    s.done()

    s = sheet(
        "NKO per Periode" if report.language == "id" else "NKO per period", [L["period"], L["nko"], L["predicate"]]
    )
    for ps in report.periods:
        s.row([ps.period_label, ps.nko, ps.predicate], {1: INDEX_FORMAT})
    s.done()

    s = sheet(
        "SS dan IKU" if report.language == "id" else "SS and IKU",
        [
            L["code"],
            L["objective"],
            L["index"],
            L["code"],
            L["indicator"],
            L["unit"],
            L["target"],
            L["realization"],
            L["index"],
            L["status"],
        ],
    )
    objectives = {o.code: o for o in report.objectives}
    for ind in report.indicators:
        o = objectives.get(ind.objective)
        c = ind.year
        s.row(
            [
                ind.objective,
                o.name if o else None,
                o.index if o else None,
                ind.code,
                ind.name,
                ind.unit_label,
                c.target,
                c.realization,
                c.index,
                c.status_label,
            ],
            {
                2: INDEX_FORMAT,
                6: unit_format(ind.unit_label, c.target),
                7: unit_format(ind.unit_label, c.realization),
                8: INDEX_FORMAT,
            },
            status=(9, c.status),
        )
    s.done()

    s = sheet(
        "IKU per Periode" if report.language == "id" else "IKU per period",
        [
            L["code"],
            L["indicator"],
            L["period"],
            L["target"],
            L["realization"],
            L["index"],
            L["status"],
        ],
    )
    for ind in report.indicators:
        for c in ind.quarterly:
            s.row(
                [ind.code, ind.name, c.period_label, c.target, c.realization, c.index, c.status_label],
                {
                    3: unit_format(ind.unit_label, c.target),
                    4: unit_format(ind.unit_label, c.realization),
                    5: INDEX_FORMAT,
                },
                status=(6, c.status),
            )
    s.done()

    s = sheet(
        "Tren 5 Tahun" if report.language == "id" else "Five-year trend",
        [L["code"], L["year"], L["name"], L["unit"], L["target"], L["realization"], L["index"], L["source"], L["note"]],
    )
    for ind in report.indicators:
        for t in ind.trend:
            s.row(
                [
                    ind.code,
                    t.year,
                    t.name,
                    t.unit_label,
                    t.target,
                    t.realization,
                    t.index,
                    L["history"] if t.source == "history" else L["computed"],
                    t.note or t.printed,
                ],
                {4: unit_format(t.unit_label, t.target), 5: unit_format(t.unit_label, t.realization), 6: INDEX_FORMAT},
            )
    s.done()

    subs = [(ind.code, sub) for ind in report.indicators for sub in ind.sub_series]
    if subs:  # parts of an IKU with a five-year table of their own (ADR 0019): one sheet
        s = sheet(
            L["sub_series"],
            [
                L["code"],
                L["sub_series"],
                L["year"],
                L["name"],
                L["unit"],
                L["target"],
                L["realization"],
                L["index"],
                L["source"],
                L["note"],
            ],
        )
        for code, sub in subs:
            for t in sub.rows:
                s.row(
                    [
                        code,
                        sub.key,
                        t.year,
                        t.name,
                        t.unit_label,
                        t.target,
                        t.realization,
                        t.index,
                        L["history"] if t.source == "history" else L["computed"],
                        t.note or t.printed,
                    ],
                    {
                        5: unit_format(t.unit_label, t.target),
                        6: unit_format(t.unit_label, t.realization),
                        7: INDEX_FORMAT,
                    },
                )
        s.done()

    s = sheet(
        "Renstra-Renja",
        [
            L["code"],
            L["plan"],
            L["plan_target"],
            L["unit"],
            L["pk_target"],
            L["realization"],
            L["objective"],
            L["note"],
        ],
    )
    for ind in report.indicators:
        for plan in ind.plans:
            s.row(
                [
                    ind.code,
                    plan.plan_label,
                    plan.target,
                    plan.unit_label,
                    ind.year.target,
                    ind.year.realization,
                    plan.objective,
                    plan.note,
                ],
                {
                    2: unit_format(plan.unit_label, plan.target),
                    4: unit_format(ind.unit_label, ind.year.target),
                    5: unit_format(ind.unit_label, ind.year.realization),
                },
            )
    s.done()

    b = report.budget
    if b is not None:
        money = {1: MONEY_FORMAT, 2: MONEY_FORMAT, 3: MONEY_FORMAT, 4: MONEY_FORMAT, 5: "0.00"}
        s = sheet(L["budget"][:31], [L["item"], L["initial"], L["revised"], L["net"], L["remaining"], L["percent"]])
        for i in b.items:
            pct = None if i.revised == 0 else i.net / i.revised * 100
            s.row([i.item, i.initial, i.revised, i.net, i.remaining, pct], money)
        for kind, tot in b.by_spending_type.items():
            s.row(
                [b.spending_type_labels.get(kind, kind), tot.initial, tot.revised, tot.net, tot.remaining, tot.percent],
                money,
            )
        s.row([L["total"], b.total.initial, b.total.revised, b.total.net, b.total.remaining, b.total.percent], money)
        if b.previous is not None:
            prev = b.previous
            s.row(
                [f"{L['total']} {b.year - 1}", prev.initial, prev.revised, prev.net, prev.remaining, prev.percent],
                money,
            )
        s.done()
        s = sheet(L["output"], [L["activity"], L["output"], L["revised"], L["net"], L["percent"]])
        for out in b.outputs:
            pct = None if out.budget == 0 else out.realization / out.budget * 100
            s.row(
                [out.activity, out.output, out.budget, out.realization, pct],
                {2: MONEY_FORMAT, 3: MONEY_FORMAT, 4: "0.00"},
            )
        s.done()
        s = sheet(L["changes"], [L["document"], L["amount"], L["item"], L["note"]])
        for ch in b.changes:
            s.row(
                [ch.document_number, ch.amount, label(SPENDING, report.language, ch.spending_type), ch.subject],
                {1: MONEY_FORMAT},
            )
        s.done()

    s = sheet(
        "Analisis" if report.language == "id" else "Analysis",
        [L["code"], L["indicator"], L["status"], L["index"], L["note"]],
    )
    for a in report.analysis:
        s.row(
            [a.indicator, a.name, a.status_label, a.index_display, "\n".join(a.notes) or L["no_notes"]],
            status=(2, a.status),
        )
    if not report.analysis:
        s.row([L["none_red_yellow"]])
    s.done()
    return _bytes(wb)


def render_consolidated(report: ConsolidatedReport) -> bytes:
    L = report.labels
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    own = f"{L['nko']} {report.own.nko_display} {report.own.predicate or ''}"
    office = f"{L['office']}: {report.satker.name} ({report.satker.code}) · {own}"
    s = _Sheet(
        wb,
        L["members"],
        [L["rank"], L["code"], L["name"], L["nko"], L["predicate"], L["red"], L["yellow"]],
        report.title,
        office,
        f"{L['year']} {report.year}",
    )
    for m in report.members:
        s.row(
            [m.rank, m.code, m.name, m.nko, m.predicate, ", ".join(m.red), ", ".join(m.yellow)],
            {3: INDEX_FORMAT},
            status=(5, "red") if m.red else None,
        )
    s.done()
    s = _Sheet(
        wb,
        L["red_indicators"][:31],
        [L["code"], L["indicator"], L["office"]],
        report.title,
        office,
        f"{L['year']} {report.year}",
    )
    for r in report.red_indicators:
        s.row([r.indicator, r.name, ", ".join(r.satkers)], status=(0, "red"))
    s.done()
    return _bytes(wb)


def _bytes(wb: Workbook) -> bytes:
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
