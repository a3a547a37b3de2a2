"""Opening a workbook within the limits (container checks before openpyxl) and reading typed cell values."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from kernel.errors import PayloadTooLarge, ProblemError, Unprocessable, UnsupportedMediaType
from kernel.types import MAX_FRACTION_DIGITS
from services.registry.adapters.xlsx.cells import _BLANK, Cell, Cells, Row, Table, _Errors
from services.registry.adapters.xlsx.names import (
    _SHEETS,
    HEADER_SCAN,
    MAX_CELLS,
    MAX_COLS,
    MAX_PHYSICAL_ROWS,
    MAX_ROWS,
    MAX_SHARED_STRINGS,
    MAX_UNCOMPRESSED,
    Loc,
    _norm,
    period_of,
)

# --- reading --------------------------------------------------------------------------------------


def _open(raw: bytes, *, data_only: bool) -> Any:
    return load_workbook(io.BytesIO(raw), read_only=True, data_only=data_only, keep_links=False)


def _check_container(raw: bytes) -> None:
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedMediaType("an Excel 97-2003 (.xls) file: save it as an .xlsx workbook")
    if not raw.startswith(b"PK\x03\x04"):
        raise UnsupportedMediaType("not an .xlsx workbook (not a zip container)")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise UnsupportedMediaType(f"not an .xlsx workbook: {exc}") from None
    if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
        raise PayloadTooLarge(f"the workbook unpacks to more than {MAX_UNCOMPRESSED} bytes")
    if not any(i.filename == "xl/workbook.xml" for i in infos):
        raise UnsupportedMediaType("not an .xlsx workbook (no xl/workbook.xml)")
    _check_counts(raw, infos)


#: an element start tag ``<si ...>`` / ``<x:c ...>`` (any namespace prefix up to 32 characters)
_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,31}:)?si[\s/>]")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,31}:)?c[\s/>]")
_TAG_SPAN = 64  # longer than any match above: the overlap kept between chunks


def _count_tags(archive: zipfile.ZipFile, info: zipfile.ZipInfo, pattern: re.Pattern[bytes], limit: int) -> int:
    """Occurrences of ``pattern`` in one member, streamed in chunks; stops counting past ``limit``."""
    count = 0
    tail = b""
    with archive.open(info) as fh:
        while chunk := fh.read(1024 * 1024):
            buffer = tail + chunk
            cut = max(len(buffer) - _TAG_SPAN, 0)  # matches starting later are counted with the next chunk
            count += sum(1 for m in pattern.finditer(buffer) if m.start() < cut)
            tail = buffer[cut:]
            if count > limit:
                return count
    return count + sum(1 for _ in pattern.finditer(tail))


def _check_counts(raw: bytes, infos: list[zipfile.ZipInfo]) -> None:
    """413 for a workbook with more shared strings or cells than an agreement can need."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        cells = 0
        for info in infos:
            name = info.filename.lower()
            if name == "xl/sharedstrings.xml":
                if _count_tags(archive, info, _SHARED_STRING, MAX_SHARED_STRINGS) > MAX_SHARED_STRINGS:
                    raise PayloadTooLarge(f"the workbook holds more than {MAX_SHARED_STRINGS} shared strings")
            elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
                cells += _count_tags(archive, info, _CELL, MAX_CELLS - cells)
                if cells > MAX_CELLS:
                    raise PayloadTooLarge(f"the workbook holds more than {MAX_CELLS} cells")


def _sheet_rows(values_ws: Any, formulas_ws: Any, title: str) -> Iterator[tuple[int, list[Cell]]]:
    """The non-empty rows of a sheet as cells (1-based row numbers), values and formulas side by side."""
    sheet = title if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", title) else "'" + title.replace("'", "''") + "'"
    for ws in (values_ws, formulas_ws):
        ws.reset_dimensions()  # never trust the stored dimension (A1:XFD1048576 would pad every row)
    gap: Any = None
    count = physical = 0
    pairs = zip(
        values_ws.iter_rows(min_row=1, max_col=MAX_COLS),
        formulas_ws.iter_rows(min_row=1, max_col=MAX_COLS),
        strict=True,
    )
    for number, (values, formulas) in enumerate(pairs, start=1):
        if values is gap:  # rows missing from the file come as one shared empty tuple: skipped cheaply
            continue
        physical += 1
        if physical > MAX_PHYSICAL_ROWS:
            raise PayloadTooLarge(f"sheet {title} has more than {MAX_PHYSICAL_ROWS} rows (counting empty ones)")
        if all(v.value is None for v in values) and all(f.value is None for f in formulas):
            gap = values
            continue
        cells: list[Cell] = []
        for column, (v, f) in enumerate(zip(values, formulas, strict=True), start=1):
            value = v.value
            problem = None
            if getattr(v, "data_type", None) == "e":
                problem = f"the cell holds the Excel error {value}"
            elif value is None and getattr(f, "data_type", None) == "f":
                problem = "a formula without a cached value (recalculate and save the file in Excel, or paste values)"
            percent = "%" in (getattr(v, "number_format", None) or "")
            ref = f"{sheet}!{get_column_letter(column)}{number}"
            cells.append(Cell(ref=ref, value=value, percent=percent, problem=problem))
        if all(c.blank for c in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise PayloadTooLarge(f"sheet {title} has more than {MAX_ROWS} rows")
        yield number, cells


class _Book:
    def __init__(self, raw: bytes) -> None:
        _check_container(raw)
        try:
            self.values = _open(raw, data_only=True)
            self.formulas = _open(raw, data_only=False)
        except Exception as exc:  # an untrusted container: any failure to open it is the client's
            raise UnsupportedMediaType(f"not a readable .xlsx workbook: {type(exc).__name__}") from None
        self.titles = {_norm(t): t for t in self.values.sheetnames}

    def close(self) -> None:
        self.values.close()
        self.formulas.close()

    def title(self, canonical: str) -> str | None:
        return next((self.titles[a] for a in _SHEETS[canonical] if a in self.titles), None)

    def rows(self, title: str) -> list[tuple[int, list[Cell]]]:
        try:
            return list(_sheet_rows(self.values[title], self.formulas[title], title))
        except ProblemError:
            raise
        except Exception as exc:  # broken XML inside a readable container
            raise Unprocessable(f"sheet {title} cannot be read: {type(exc).__name__}", field=title) from None

    def table(
        self,
        canonical: str,
        columns: dict[str, tuple[str, ...]],
        key: str,
        errors: _Errors,
        *,
        periods: bool = False,
        required: tuple[str, ...] = (),
    ) -> Table | None:
        title = self.title(canonical)
        if title is None:
            return None
        rows = self.rows(title)
        aliases = {a: name for name, names in columns.items() for a in names}
        header_at: int | None = None
        for i, (_, cells) in enumerate(rows[:HEADER_SCAN]):
            if any(isinstance(c.value, str) and aliases.get(_norm(c.value)) == key for c in cells):
                header_at = i
                break
        if header_at is None:
            errors.add(title, f"no header row naming the column {key!r} in the first {HEADER_SCAN} rows")
            return None
        by_position: dict[int, str] = {}
        found: dict[str, Cell] = {}
        for position, c in enumerate(rows[header_at][1]):
            if c.blank:
                continue
            text = _norm(str(c.value))
            name = aliases.get(text) or (period_of(text) if periods else None)
            if name is None:
                errors.add(c.ref, f"unknown column {str(c.value).strip()!r}")
            elif name in found:
                errors.add(c.ref, f"column {name} appears twice (also {found[name].ref})")
            else:
                found[name] = c
                by_position[position] = name
        for name in required:
            if name not in found:
                errors.add(title, f"missing column {name!r}")
        table_rows = [
            Row(number, {by_position[p]: c for p, c in enumerate(cells) if p in by_position})
            for number, cells in rows[header_at + 1 :]
        ]
        return Table(title, found, [r for r in table_rows if not r.empty()])


# --- cell values --------------------------------------------------------------------------------------

_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def excel_float(v: float) -> Decimal:
    """The number an Excel cell holds, as the decimal Excel shows and kinerja stores.

    Excel keeps IEEE doubles and shows at most 15 significant digits, so a computed cell holds
    0.30000000000000004 where the sheet shows 0.3: the 15-digit form is the number the office
    typed or sees. It is then rounded to the stored precision (``kernel.types.MAX_FRACTION_DIGITS``
    decimals, half-even) — a ratio like 1/3 is a float with no exact decimal anyway. Text cells
    and integers are taken exactly as written (and refused beyond the bounds)."""
    out = Decimal(f"{v:.15g}")
    if out.is_finite() and out.as_tuple().exponent < -MAX_FRACTION_DIGITS:  # type: ignore[operator]
        out = out.quantize(Decimal(1).scaleb(-MAX_FRACTION_DIGITS), rounding=ROUND_HALF_EVEN)
    return out


class _Reader:
    def __init__(self, errors: _Errors, cells: Cells) -> None:
        self.errors = errors
        self.cells = cells

    def ok(self, cell: Cell | None) -> bool:
        if cell is None:
            return False
        if cell.problem is not None:
            self.errors.add(cell.ref, cell.problem)
            return False
        return not cell.blank

    def text(self, cell: Cell | None) -> str | None:
        if not self.ok(cell):
            return None
        assert cell is not None
        v = cell.value
        if isinstance(v, bool):
            return str(v).upper()
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        if isinstance(v, datetime | date):
            return v.isoformat()
        return str(v).strip()

    def number(self, cell: Cell | None, *, dash: bool = False) -> Decimal | None | object:
        """A Decimal; ``None`` for "-" when ``dash``; ``_BLANK`` when empty or refused (error recorded)."""
        if not self.ok(cell):
            return _BLANK
        assert cell is not None
        v = cell.value
        out: Decimal | None = None
        if isinstance(v, bool | datetime | date):
            pass
        elif isinstance(v, int | float | Decimal):
            out = excel_float(v) if isinstance(v, float) else Decimal(v)
            if cell.percent:
                out = out * 100
        elif isinstance(v, str):
            text = v.strip()
            if text in ("-", "–", "—"):
                if dash:
                    return None
                return _BLANK
            text = text.removesuffix("%").strip()
            if _DECIMAL.match(text):
                try:
                    out = Decimal(text)
                except InvalidOperation:
                    out = None
        if out is None or not out.is_finite():
            self.errors.add(cell.ref, f"not a number: {v!r}" + (' (use "-" for no target)' if dash else ""))
            return _BLANK
        return Decimal(int(out)) if out == out.to_integral_value() else out.normalize()

    def put(self, target: dict[str, Any], key: str, cell: Cell | None, loc: Loc, value: Any) -> None:
        """Register the cell of ``loc`` and set ``target[key]`` unless the value is blank."""
        if cell is not None:
            self.cells.put(loc, cell.ref)
        if value is not _BLANK and value is not None:
            target[key] = value


def _ref(cell: Cell | None, fallback: str) -> str:
    return cell.ref if cell is not None else fallback


def _int_like(value: Decimal | None | object) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    return _BLANK


def _date_cell(r: _Reader, cell: Cell | None) -> Any:
    if not r.ok(cell):
        return _BLANK
    assert cell is not None
    v = cell.value
    if isinstance(v, datetime):
        if v.time() != datetime.min.time():
            r.errors.add(cell.ref, "a date without a time of day")
            return _BLANK
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return r.text(cell)


def _instant_cell(r: _Reader, cell: Cell | None) -> Any:
    if not r.ok(cell):
        return _BLANK
    assert cell is not None
    if isinstance(cell.value, datetime | date):
        r.errors.add(cell.ref, "Excel date-times carry no time zone: write it as text, e.g. 2024-01-26T00:00:00+08:00")
        return _BLANK
    return r.text(cell)


# --- workbook -> import document ----------------------------------------------------------------------
