"""Workbook -> import document: :func:`read_workbook`, :func:`validated`, the PK and IKU sheets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kernel.errors import FieldError, Unprocessable
from services.registry.adapters.xlsx.book import _Book, _date_cell, _instant_cell, _int_like, _Reader, _ref
from services.registry.adapters.xlsx.cells import _BLANK, Cell, Cells, Table, _Errors, locate
from services.registry.adapters.xlsx.names import (
    _ADDENDUM_COLUMNS,
    _IKU_COLUMNS,
    _IKU_REQUIRED,
    _MANUAL_COLUMNS,
    _PK_FIELDS,
    _PK_LOCS,
    _PK_REQUIRED,
    _REALISASI_COLUMNS,
    _REPORTED_COLUMNS,
    _RINCIAN_COLUMNS,
    _SATKER_COLUMNS,
    MAX_ERRORS,
    Loc,
    _norm,
    _slug,
    period_of,
)
from services.registry.adapters.xlsx.sheets import (
    _read_addenda,
    _read_manuals,
    _read_parts,
    _read_realisations,
    _read_reported,
    _read_satkers,
)
from services.registry.schemas import ImportDocument
from services.registry.service.periods import MEASURE_PERIODS, TARGET_PERIODS


@dataclass
class Converted:
    document: dict[str, Any]
    cells: Cells
    #: cells that could not be read (the document leaves them out); see :func:`validated`
    errors: list[FieldError] = field(default_factory=list)


def validated(converted: Converted) -> ImportDocument:
    """The import document, or ONE 422 listing every faulty cell (at most :data:`MAX_ERRORS`):
    the cells the conversion could not read AND the fields the document's schema refuses (an
    unknown polarity, a perspective that is not one...), both named by their cells, so a user
    fixes the workbook once instead of once per error."""
    from services.registry.service.transfer import parse  # transfer never imports this module

    errors = list(converted.errors)
    document: ImportDocument | None = None
    try:
        document = parse(converted.document)
    except Unprocessable as exc:
        locate(exc, converted.cells)
        known = {e.field for e in errors}  # a cell refused above is missing below: said once
        # a sheet missing a column or field: what its rows then lack is that one error, not more
        broken = {e.field for e in errors if "!" not in e.field}
        errors += [
            e
            for e in exc.errors or []
            if e.field not in known and e.field.rsplit("!", 1)[0].strip("'").replace("''", "'") not in broken
        ]
    if errors or document is None:
        errors = errors[:MAX_ERRORS]
        raise Unprocessable(f"{errors[0].field}: {errors[0].reason}", errors=errors)
    return document


def read_workbook(raw: bytes) -> Converted:
    """The import document spelled by the workbook, and where each of its fields came from.

    Synchronous and CPU-bound: call it in a worker thread. Raises 415 (not an .xlsx), 413 (too big)
    or 422 (a required sheet missing); the cells it cannot read are in ``errors`` and
    :func:`validated` raises them together with the schema's (``errors[].field`` = ``Sheet!A1``).
    Writes nothing.
    """
    book = _Book(raw)
    try:
        return _convert(book)
    finally:
        book.close()


def _convert(book: _Book) -> Converted:
    errors = _Errors()
    cells = Cells()
    r = _Reader(errors, cells)
    for required in ("PK", "IKU"):
        if book.title(required) is None:
            errors.add(required, f"missing sheet {required!r}")
    errors.raise_if_any()
    agreement: dict[str, Any] = {}
    document: dict[str, Any] = {"agreement": agreement}
    pk_title = book.title("PK")
    assert pk_title is not None
    cells.put(("agreement",), pk_title)
    _read_pk(book, pk_title, r, document, agreement)

    iku = book.table("IKU", _IKU_COLUMNS, "IKU code", errors, periods=True, required=_IKU_REQUIRED)
    if iku is not None:
        _read_iku(iku, r, agreement)
    if (t := book.table("Satker", _SATKER_COLUMNS, "Code", errors, required=("Code",))) is not None:
        _read_satkers(t, r, document)
    if (
        t := book.table("Addendum", _ADDENDUM_COLUMNS, "Number", errors, periods=True, required=("Number", "IKU code"))
    ) is not None:
        _read_addenda(t, r, agreement)
    measures: dict[str, dict[str, dict[str, Any]]] = {}
    if (
        t := book.table("Realisasi", _REALISASI_COLUMNS, "IKU code", errors, periods=True, required=("IKU code",))
    ) is not None:
        _read_realisations(t, r, measures)
    if (
        t := book.table(
            "Rincian", _RINCIAN_COLUMNS, "IKU code", errors, required=("IKU code", "Period", "Part", "Value")
        )
    ) is not None:
        _read_parts(t, r, measures)
    if measures:
        agreement["measures"] = measures
    if (t := book.table("Manual", _MANUAL_COLUMNS, "IKU code", errors, required=("IKU code", "Manual"))) is not None:
        _read_manuals(t, r, agreement)
    if (t := book.table("Dilaporkan", _REPORTED_COLUMNS, "Period", errors, required=("Period",))) is not None:
        _read_reported(t, r, agreement)
    return Converted(document, cells, errors.items)


def _read_pk(book: _Book, title: str, r: _Reader, document: dict[str, Any], agreement: dict[str, Any]) -> None:
    aliases = {a: name for name, names in _PK_FIELDS.items() for a in names}
    fields: dict[str, Cell] = {}
    for _, row in book.rows(title):
        label, value = row[0], (row[1] if len(row) > 1 else None)
        if label.blank or not isinstance(label.value, str):
            continue
        name = aliases.get(_norm(label.value))
        if name is None:
            if value is not None and not value.blank:  # a title row has no value; anything else is a typo
                r.errors.add(label.ref, f"unknown field {label.value.strip()!r}")
            continue
        if name in fields:
            r.errors.add(label.ref, f"field {name} appears twice")
            continue
        fields[name] = value if value is not None else Cell(ref=label.ref.replace("!A", "!B"), value=None)
    for name, loc in _PK_LOCS.items():
        r.cells.put(loc, title)
        if name in _PK_REQUIRED and name not in fields:
            r.errors.add(title, f"missing field {name!r} (label in column A, value in column B)")
    get = fields.get
    if (cell := get("Format")) is not None:
        r.put(document, "format", cell, ("format",), r.text(cell))
    for name, key in (("Satker", "satker"), ("Number", "number"), ("Level", "level")):
        r.put(agreement, key, get(name), ("agreement", key), r.text(get(name)))
    year = get("Year")
    r.put(agreement, "year", year, ("agreement", "year"), _int_like(r.number(year)) if year else _BLANK)
    rule_set: dict[str, Any] = {}
    code, version = get("Rule set"), get("Rule set version")
    r.put(rule_set, "code", code, ("agreement", "rule_set", "code"), r.text(code))
    r.put(
        rule_set,
        "version",
        version,
        ("agreement", "rule_set", "version"),
        _int_like(r.number(version)) if version else _BLANK,
    )
    if code is not None:
        r.cells.put(("agreement", "rule_set"), code.ref)
    if rule_set:
        agreement["rule_set"] = rule_set
    r.put(agreement, "signed_on", get("Signed on"), ("agreement", "signed_on"), _date_cell(r, get("Signed on")))
    r.put(
        agreement, "recorded_at", get("Recorded at"), ("agreement", "recorded_at"), _instant_cell(r, get("Recorded at"))
    )
    closed = get("Closed periods")
    text = r.text(closed)
    if closed is not None and text:
        periods = []
        for item in re.split(r"[,;]", text):
            if not item.strip():
                continue
            period = period_of(item)
            if period is None:
                r.errors.add(closed.ref, f"unknown period {item.strip()!r}")
            else:
                periods.append(period)
        agreement["closed_periods"] = periods


def _read_iku(table: Table, r: _Reader, agreement: dict[str, Any]) -> None:
    objectives: list[dict[str, Any]] = []
    index: dict[str, int] = {}  # SS code -> position in objectives
    first: dict[tuple[str, str], Cell] = {}  # (SS code, column) -> the cell that set it
    indicators: list[dict[str, Any]] = []
    current: str | None = None
    current_cell: Cell | None = None
    r.cells.put(("agreement", "indicators"), table.title)
    r.cells.put(("agreement", "objectives"), table.title)
    for row in table.rows:
        ss_cell = row.get("SS code")
        ss = r.text(ss_cell)
        if ss:
            current, current_cell = ss, ss_cell
        if current is None or current_cell is None:
            r.errors.add(_ref(ss_cell, table.title), "the first IKU row needs an SS code")
            continue
        if current not in index:
            index[current] = len(objectives)
            objectives.append({"code": current})
            r.cells.put(("agreement", "objectives", index[current]), current_cell.ref)
            r.cells.put(("agreement", "objectives", index[current], "code"), current_cell.ref)
        k = index[current]
        objective = objectives[k]
        for column, key in (("SS name", "name"), ("Perspective", "perspective"), ("SS weight", "weight")):
            cell = row.get(column)
            value: Any = r.number(cell) if key == "weight" else r.text(cell)
            if cell is None or value is _BLANK or value is None:
                continue
            if key == "perspective":
                value = _slug(str(value))
            if key in objective:
                if objective[key] != value:
                    r.errors.add(cell.ref, f"{current} has {key} {objective[key]!r} in {first[current, column].ref}")
                continue
            objective[key] = value
            first[current, column] = cell
            r.cells.put(("agreement", "objectives", k, key), cell.ref)
        for key in ("name", "perspective"):
            r.cells.put_default(("agreement", "objectives", k, key), current_cell.ref)

        code_cell = row.get("IKU code")
        if code_cell is None or code_cell.blank:
            ss_only = all(
                c.blank
                for name, c in row.cells.items()
                if name not in ("SS code", "SS name", "Perspective", "SS weight")
            )
            if not ss_only:
                r.errors.add(_ref(code_cell, table.title), "IKU code missing")
            continue  # a row of the SS alone (a group header, as in the LAKIN tables)
        i = len(indicators)
        loc: Loc = ("agreement", "indicators", i)
        indicator: dict[str, Any] = {"objective": current}
        r.cells.put(loc, code_cell.ref)
        r.cells.put((*loc, "objective"), (ss_cell if ss and ss_cell else current_cell).ref)
        r.put(indicator, "code", code_cell, (*loc, "code"), r.text(code_cell))
        for column, key in (("IKU name", "name"), ("Unit", "unit")):
            r.put(indicator, key, row.get(column), (*loc, key), r.text(row.get(column)))
        for column, key in (
            ("Polarity", "polarity"),
            ("Consolidation", "consolidation"),
            ("Region aggregation", "region_aggregation"),
        ):
            text = r.text(row.get(column))
            r.put(indicator, key, row.get(column), (*loc, key), _slug(text) if text else _BLANK)
        validity = r.text(row.get("Validity"))
        r.put(
            indicator,
            "validity_control",
            row.get("Validity"),
            (*loc, "validity_control"),
            re.sub(r"\s*/\s*", "/", validity) if validity else _BLANK,
        )
        for column, key in (("Scale", "scale"), ("Weight", "weight")):
            r.put(indicator, key, row.get(column), (*loc, key), r.number(row.get(column)))
        for key in ("name", "unit", "polarity"):
            r.cells.put_default((*loc, key), code_cell.ref)
        targets: dict[str, Any] = {}
        r.cells.put((*loc, "targets"), code_cell.ref)
        for period in TARGET_PERIODS:
            cell = row.get(period)
            value = r.number(cell, dash=True)
            if cell is not None:
                r.cells.put((*loc, "targets", period), cell.ref)
            if value is not _BLANK:
                targets[period] = value
        for name, cell in row.cells.items():
            if name in MEASURE_PERIODS and name not in TARGET_PERIODS and not cell.blank:
                r.errors.add(cell.ref, f"targets are set for {', '.join(TARGET_PERIODS)}, not {name}")
        indicator["targets"] = targets
        indicators.append(indicator)
    if not indicators:
        r.errors.add(table.title, "no IKU rows")
    agreement["objectives"] = objectives
    agreement["indicators"] = indicators
