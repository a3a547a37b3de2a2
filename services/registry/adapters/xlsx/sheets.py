"""Workbook -> import document: the optional sheets (Satker, Addendum, Realisasi, Rincian, Manual,
Dilaporkan)."""

from __future__ import annotations

from typing import Any

import orjson

from services.registry.adapters.xlsx.book import _date_cell, _instant_cell, _int_like, _Reader, _ref
from services.registry.adapters.xlsx.cells import _BLANK, Cell, Row, Table
from services.registry.adapters.xlsx.names import Loc, _slug, period_of
from services.registry.service.periods import MEASURE_PERIODS, TARGET_PERIODS


def _inherit(r: _Reader, row: Row, column: str, previous: tuple[str, Cell] | None) -> tuple[str, Cell] | None:
    cell = row.get(column)
    text = r.text(cell)
    if text and cell is not None:
        return text, cell
    return previous


def _read_satkers(table: Table, r: _Reader, document: dict[str, Any]) -> None:
    satkers: list[dict[str, Any]] = []
    seen: dict[str, Cell] = {}
    r.cells.put(("satkers",), table.title)
    for row in table.rows:
        i = len(satkers)
        loc: Loc = ("satkers", i)
        code_cell = row.get("Code")
        code = r.text(code_cell)
        if code_cell is None or not code:
            r.errors.add(_ref(code_cell, table.title), "satker code missing")
            continue
        if code in seen:
            r.errors.add(code_cell.ref, f"satker {code} appears twice (also {seen[code].ref})")
            continue
        seen[code] = code_cell
        satker: dict[str, Any] = {"code": code}
        r.cells.put(loc, code_cell.ref)
        r.cells.put((*loc, "code"), code_cell.ref)
        r.put(satker, "name", row.get("Name"), (*loc, "name"), r.text(row.get("Name")))
        kind = r.text(row.get("Kind"))
        r.put(satker, "kind", row.get("Kind"), (*loc, "kind"), _slug(kind) if kind else _BLANK)
        r.put(satker, "parent", row.get("Parent"), (*loc, "parent"), r.text(row.get("Parent")))
        r.put(satker, "staff", row.get("Staff"), (*loc, "staff"), _int_like(r.number(row.get("Staff"))))
        for key in ("name", "kind"):
            r.cells.put_default((*loc, key), code_cell.ref)
        satkers.append(satker)
    document["satkers"] = satkers


def _read_addenda(table: Table, r: _Reader, agreement: dict[str, Any]) -> None:
    addenda: list[dict[str, Any]] = []
    by_number: dict[str, int] = {}
    set_by: dict[tuple[int, str], Cell] = {}
    seen: dict[tuple[int, str], Cell] = {}
    current: tuple[str, Cell] | None = None
    r.cells.put(("agreement", "addenda"), table.title)
    for row in table.rows:
        current = _inherit(r, row, "Number", current)
        if current is None:
            r.errors.add(_ref(row.get("Number"), table.title), "addendum number missing")
            continue
        number, number_cell = current
        if number not in by_number:
            by_number[number] = len(addenda)
            addenda.append({"number": number, "targets": {}})
            j = by_number[number]
            r.cells.put(("agreement", "addenda", j), number_cell.ref)
            r.cells.put(("agreement", "addenda", j, "number"), number_cell.ref)
            r.cells.put(("agreement", "addenda", j, "targets"), number_cell.ref)
        j = by_number[number]
        addendum = addenda[j]
        loc: Loc = ("agreement", "addenda", j)
        for column, key, value in (
            ("Signed on", "signed_on", _date_cell(r, row.get("Signed on"))),
            ("Recorded at", "recorded_at", _instant_cell(r, row.get("Recorded at"))),
            ("Note", "note", r.text(row.get("Note"))),
        ):
            cell = row.get(column)
            if cell is None or value is _BLANK or value is None:
                continue
            if key in addendum:
                if addendum[key] != value:
                    r.errors.add(cell.ref, f"{number} has {key} {addendum[key]!r} in {set_by[j, key].ref}")
                continue
            addendum[key] = value
            set_by[j, key] = cell
            r.cells.put((*loc, key), cell.ref)
        code_cell = row.get("IKU code")
        code = r.text(code_cell)
        values = {p: c for p in TARGET_PERIODS if (c := row.get(p)) is not None}
        if code_cell is None or not code:
            if any(not c.blank for c in values.values()):
                r.errors.add(_ref(code_cell, table.title), "IKU code missing")
            continue
        if (j, code) in seen:
            r.errors.add(code_cell.ref, f"{code} appears twice in {number} (also {seen[j, code].ref})")
            continue
        seen[j, code] = code_cell
        targets: dict[str, Any] = {}
        r.cells.put((*loc, "targets", code), code_cell.ref)
        for period, cell in values.items():
            value = r.number(cell, dash=True)
            r.cells.put((*loc, "targets", code, period), cell.ref)
            if value is not _BLANK:
                targets[period] = value
        addendum["targets"][code] = targets
    agreement["addenda"] = addenda


def _read_realisations(table: Table, r: _Reader, measures: dict[str, dict[str, dict[str, Any]]]) -> None:
    seen: dict[str, Cell] = {}
    for row in table.rows:
        code_cell = row.get("IKU code")
        code = r.text(code_cell)
        if code_cell is None or not code:
            r.errors.add(_ref(code_cell, table.title), "IKU code missing")
            continue
        if code in seen:
            r.errors.add(code_cell.ref, f"{code} appears twice (also {seen[code].ref})")
            continue
        seen[code] = code_cell
        for period in MEASURE_PERIODS:
            cell = row.get(period)
            value = r.number(cell)
            if cell is None or value is _BLANK or value is None:
                continue
            measures.setdefault(code, {}).setdefault(period, {})["realization"] = value
            r.cells.put_default(("agreement", "measures", code), code_cell.ref)
            r.cells.put(("agreement", "measures", code, period), cell.ref)
            r.cells.put(("agreement", "measures", code, period, "realization"), cell.ref)


def _read_parts(table: Table, r: _Reader, measures: dict[str, dict[str, dict[str, Any]]]) -> None:
    code: tuple[str, Cell] | None = None
    period_text: tuple[str, Cell] | None = None
    seen: dict[tuple[str, str, str], str] = {}
    for row in table.rows:
        code = _inherit(r, row, "IKU code", code)
        period_text = _inherit(r, row, "Period", period_text)
        part_cell = row.get("Part")
        part = r.text(part_cell)
        value_cell = row.get("Value")
        if code is None or period_text is None or part_cell is None or not part or value_cell is None:
            missing = "IKU code" if code is None else "Period" if period_text is None else "Part"
            cell = row.get(missing)
            r.errors.add(_ref(cell, table.title), f"{missing} missing")
            continue
        period = period_of(period_text[0])
        if period is None:
            r.errors.add(period_text[1].ref, f"unknown period {period_text[0]!r}")
            continue
        value = r.number(value_cell)
        if value is _BLANK or value is None:
            continue
        key = (code[0], period, part)
        parts = measures.setdefault(code[0], {}).setdefault(period, {})
        if key in seen or part in parts:
            r.errors.add(part_cell.ref, f"{code[0]} {period} {part} is given twice (also {seen.get(key, 'Realisasi')})")
            continue
        seen[key] = part_cell.ref
        parts[part] = value
        r.cells.put_default(("agreement", "measures", code[0]), code[1].ref)
        r.cells.put_default(("agreement", "measures", code[0], period), period_text[1].ref)
        r.cells.put(("agreement", "measures", code[0], period, part), value_cell.ref)
        r.cells.put(("agreement", "measures", code[0], period, part, "[key]"), part_cell.ref)


def _read_manuals(table: Table, r: _Reader, agreement: dict[str, Any]) -> None:
    manuals: dict[str, Any] = {}
    seen: dict[str, Cell] = {}
    for row in table.rows:
        code_cell, manual_cell = row.get("IKU code"), row.get("Manual")
        code = r.text(code_cell)
        if code_cell is None or not code:
            r.errors.add(_ref(code_cell, table.title), "IKU code missing")
            continue
        if code in seen:
            r.errors.add(code_cell.ref, f"{code} appears twice (also {seen[code].ref})")
            continue
        seen[code] = code_cell
        text = r.text(manual_cell)
        if manual_cell is None or not text:
            continue
        try:
            manuals[code] = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            r.errors.add(manual_cell.ref, f"not valid JSON: {exc}")
            continue
        r.cells.put(("agreement", "manuals", code), manual_cell.ref)
        r.cells.put(("agreement", "manuals", code, "[key]"), code_cell.ref)
    if manuals:
        agreement["manuals"] = manuals


def _read_reported(table: Table, r: _Reader, agreement: dict[str, Any]) -> None:
    """``Dilaporkan``: per period, when its measures were really reported (ADR 0024)."""
    found: dict[str, Any] = {}
    seen: dict[str, Cell] = {}
    for row in table.rows:
        period_cell, at_cell = row.get("Period"), row.get("Recorded at")
        text = r.text(period_cell)
        period = period_of(text) if text else None
        if period_cell is None or period is None:
            r.errors.add(_ref(period_cell, table.title), f"not a period: {text!r}" if text else "Period missing")
            continue
        if period in seen:
            r.errors.add(period_cell.ref, f"{period} appears twice (also {seen[period].ref})")
            continue
        seen[period] = period_cell
        value = _instant_cell(r, at_cell)
        if at_cell is None or value is _BLANK or value is None:
            continue
        found[period] = value
        r.cells.put(("agreement", "measures_recorded_at", period), at_cell.ref)
    if found:
        agreement["measures_recorded_at"] = found
