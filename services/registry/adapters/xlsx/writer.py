"""Import document -> workbook: :func:`write_workbook` (the export)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import orjson
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kernel.errors import Unprocessable
from services.registry.adapters.xlsx.names import _ADDENDUM_COLUMNS, _IKU_COLUMNS, _SATKER_COLUMNS, MAX_CELL_CHARS
from services.registry.schemas import ImportDocument
from services.registry.service.periods import TARGET_PERIODS, period_order

# --- import document -> workbook -----------------------------------------------------------------------


_BOLD = Font(bold=True)


def _n(value: Decimal | None) -> Any:
    """A number for a cell: integral values as int, the rest as float (Excel's own type)."""
    if value is None:
        return "-"
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def write_workbook(doc: ImportDocument) -> bytes:
    """The agreement as a workbook in the layout :func:`read_workbook` reads (round trip exact)."""
    a = doc.agreement
    wb = Workbook()
    pk = wb.active
    pk.title = "PK"

    def sheet(title: str, header: list[str], widths: dict[str, int] | None = None) -> Any:
        ws = wb.create_sheet(title)
        ws.append(header)
        for c in ws[1]:
            c.font = _BOLD
        ws.freeze_panes = "A2"
        for i, name in enumerate(header, start=1):
            ws.column_dimensions[get_column_letter(i)].width = (widths or {}).get(name, max(8, len(name) + 2))
        return ws

    rows: list[tuple[str, Any]] = [
        ("Format", doc.format),
        ("Satker", a.satker),
        ("Year", a.year),
        ("Number", a.number),
        ("Level", a.level),
        ("Rule set", a.rule_set.code),
        ("Rule set version", a.rule_set.version),
        ("Signed on", a.signed_on),
        ("Recorded at", a.recorded_at.isoformat() if a.recorded_at else None),
        ("Closed periods", ", ".join(a.closed_periods) or None),
    ]
    for label, value in rows:
        pk.append([label, value])
        pk.cell(row=pk.max_row, column=1).font = _BOLD
        if isinstance(value, date):
            pk.cell(row=pk.max_row, column=2).number_format = "yyyy-mm-dd"
    pk.column_dimensions["A"].width = 18
    pk.column_dimensions["B"].width = 30

    objectives = {o.code: o for o in a.objectives}
    iku = sheet(
        "IKU",
        [*_IKU_COLUMNS, *TARGET_PERIODS],
        {"SS name": 40, "IKU name": 50, "Consolidation": 24, "Region aggregation": 20},
    )
    for i in a.indicators:
        o = objectives[i.objective]
        iku.append(
            [
                o.code,
                o.name,
                o.perspective,
                _n(o.weight),
                i.code,
                i.name,
                i.polarity.value,
                i.unit,
                None if i.scale is None else _n(i.scale),
                i.consolidation.value,
                i.validity_control,
                _n(i.weight),
                i.region_aggregation.value,
                *[_n(i.targets[p]) if p in i.targets else None for p in TARGET_PERIODS],
            ]
        )

    names = {i.code: i.name for i in a.indicators}
    real = sheet("Realisasi", ["IKU code", "IKU name", *TARGET_PERIODS], {"IKU name": 50})
    parts: list[tuple[str, str, str, Decimal]] = []
    for i in a.indicators:
        periods: dict[str, dict[str, Decimal]] = {str(k): v for k, v in a.measures.get(i.code, {}).items()}
        real.append(
            [
                i.code,
                names[i.code],
                *[
                    _n(periods[p]["realization"]) if "realization" in periods.get(p, {}) else None
                    for p in TARGET_PERIODS
                ],
            ]
        )
    for code, measured in a.measures.items():
        for period in sorted(measured, key=period_order):
            for part, value in measured[period].items():
                if part != "realization" or period not in TARGET_PERIODS or code not in names:
                    parts.append((code, period, part, value))
    rincian = sheet("Rincian", ["IKU code", "Period", "Part", "Value"], {"Part": 24})
    for row in parts:
        rincian.append([*row[:3], _n(row[3])])

    add = sheet("Addendum", [*_ADDENDUM_COLUMNS, *TARGET_PERIODS], {"Number": 18, "Recorded at": 26, "Note": 50})
    for d in a.addenda:
        for code, targets in d.targets.items():
            add.append(
                [
                    d.number,
                    d.signed_on,
                    d.recorded_at.isoformat() if d.recorded_at else None,
                    d.note,
                    code,
                    *[_n(targets[p]) if p in targets else None for p in TARGET_PERIODS],
                ]
            )
            if d.signed_on is not None:
                add.cell(row=add.max_row, column=2).number_format = "yyyy-mm-dd"

    sat = sheet("Satker", list(_SATKER_COLUMNS), {"Name": 45, "Kind": 14})
    for s in doc.satkers:
        sat.append([s.code, s.name, s.kind.value, s.parent, s.staff])

    manual = sheet("Manual", ["IKU code", "Manual"], {"Manual": 80})
    for code, document in a.manuals.items():
        text = orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()
        if len(text) > MAX_CELL_CHARS:
            text = orjson.dumps(document).decode()
        if len(text) > MAX_CELL_CHARS:
            raise Unprocessable(f"the manual of {code} is longer than an Excel cell holds ({MAX_CELL_CHARS})")
        manual.append([code, text])

    # when each period's measures were really reported (ADR 0024): text with its zone, like Recorded at
    reported = sheet("Dilaporkan", ["Period", "Recorded at"], {"Recorded at": 26})
    for period, at in sorted(a.measures_recorded_at.items(), key=lambda kv: period_order(kv[0])):
        reported.append([period, at.isoformat()])

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
