"""An agreement as an Excel workbook (.xlsx), laid out the way the offices' performance managers keep it.

The workbook is only another spelling of the import document (``kinerja.agreement/v1``, see
:mod:`services.registry.domain.transfer`): :func:`read_workbook` turns it into that document plus a
map from JSON paths to cells, the document goes through the same all-or-nothing import (every rule
and error applies), and :func:`locate` renames the JSON paths of any error to the cells they came
from (``$.agreement.indicators[3].polarity`` -> ``IKU!G5``). :func:`write_workbook` is the export.

Layout (the full description, with an example, is docs/excel-format.md):

=============  ========  ==============================================================================
sheet          required  content
=============  ========  ==============================================================================
``PK``         yes       the agreement header, one field a row: label in column A, value in column B
                         (Format, Satker, Year, Number, Level, Rule set, Rule set version, Signed on,
                         Recorded at, Closed periods)
``IKU``        yes       a row per IKU: SS code, SS name, Perspective, SS weight, IKU code, IKU name,
                         Polarity, Unit, Scale, Consolidation, Validity, Weight, Region aggregation,
                         targets Q1 Q2 S1 Q3 TQ3 Q4 Y ("-" = no target, blank = not set)
``Realisasi``  no        a row per IKU: IKU code, IKU name (ignored), realisations by period column
``Rincian``    no        named parts, a row per value: IKU code, Period, Part, Value (the 1a-N months)
``Addendum``   no        a row per addendum and IKU: Number, Signed on, Recorded at, Note, IKU code,
                         the changed targets Q1..Y
``Satker``     no        satker to create if missing: Code, Name, Kind, Parent, Staff
``Manual``     no        IKU code, Manual (the manual document as JSON text)
=============  ========  ==============================================================================

Sheets and column headers are matched without regard to case, spacing or ``_``; the Indonesian
labels of the LAKIN tables are accepted too (``Kode IKU``, ``Polarisasi``, ``Satuan``,
``Konsolidasi Periode``, ``s.d. Q2``, ``s.d. Q3``, ``Y-24``...). A sheet's header row is the first of
its first ten rows that names the key column; rows above it (titles) are skipped, as are empty rows,
columns with an empty header and other sheets. A blank SS code (IKU sheet), addendum number
(Addendum) or IKU code/period (Rincian) repeats the one above, so merged cells read as intended.

Cells: numbers, or text holding a plain decimal (``0.75``; a trailing ``%`` is dropped). A cell
formatted as a percentage holds a fraction (82 % is stored as 0.82) and is read as shown (82).
Formulas are never evaluated: their value cached by Excel is read, and a formula without a cached
value, an error value (``#DIV/0!``) or text where a number belongs is an error naming the cell.
``Recorded at`` must be text with a UTC offset (Excel date-times carry no time zone).

Limits: the upload limit of the import (413), at most :data:`MAX_UNCOMPRESSED` bytes unpacked (413),
at most :data:`MAX_SHARED_STRINGS` shared strings and :data:`MAX_CELLS` stored cells in the whole
workbook (413, counted in the packed XML before openpyxl reads anything: a few MB of short strings
cost openpyxl tens of seconds and hundreds of MB),
:data:`MAX_ROWS` non-empty rows and :data:`MAX_PHYSICAL_ROWS` rows stored in the file per sheet (413);
columns after :data:`MAX_COLS` (BL) are not read.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

import orjson
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kernel.errors import FieldError, PayloadTooLarge, ProblemError, Unprocessable, UnsupportedMediaType
from kernel.types import MAX_FRACTION_DIGITS
from services.registry.domain.periods import MEASURE_PERIODS, TARGET_PERIODS, period_order
from services.registry.domain.schemas import ImportDocument

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UNCOMPRESSED = 64 * 1024 * 1024
MAX_ROWS = 20_000
MAX_PHYSICAL_ROWS = 100_000
MAX_COLS = 64
MAX_SHARED_STRINGS = 100_000
MAX_CELLS = 500_000
MAX_CELL_CHARS = 32_767  # Excel's limit for the text of one cell
HEADER_SCAN = 10
MAX_ERRORS = 200  # faulty cells listed in one answer (the rest are not worth a bigger answer)

Loc = tuple[str | int, ...]


# --- names --------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("\n", " ").split()).lower().rstrip(":").strip()


_SHEETS: dict[str, tuple[str, ...]] = {
    "PK": ("pk", "perjanjian", "perjanjian kinerja", "agreement"),
    "IKU": ("iku", "indicators"),
    "Realisasi": ("realisasi", "realization", "realisation"),
    "Rincian": ("rincian", "parts", "measures"),
    "Addendum": ("addendum", "addenda"),
    "Satker": ("satker", "satkers"),
    "Manual": ("manual", "manuals"),
}

_PK_FIELDS: dict[str, tuple[str, ...]] = {
    "Format": ("format",),
    "Satker": ("satker", "satker code", "kode satker"),
    "Year": ("year", "tahun"),
    "Number": ("number", "nomor", "nomor pk", "agreement number"),
    "Level": ("level", "tingkat"),
    "Rule set": ("rule set", "rule set code"),
    "Rule set version": ("rule set version", "versi rule set"),
    "Signed on": ("signed on", "tanggal", "tanggal pk"),
    "Recorded at": ("recorded at", "dicatat"),
    "Closed periods": ("closed periods", "periode ditutup"),
}

_PK_LOCS: dict[str, Loc] = {
    "Format": ("format",),
    "Satker": ("agreement", "satker"),
    "Year": ("agreement", "year"),
    "Number": ("agreement", "number"),
    "Level": ("agreement", "level"),
    "Rule set": ("agreement", "rule_set"),
    "Rule set version": ("agreement", "rule_set", "version"),
    "Signed on": ("agreement", "signed_on"),
    "Recorded at": ("agreement", "recorded_at"),
    "Closed periods": ("agreement", "closed_periods"),
}

_PK_REQUIRED = ("Satker", "Year", "Number", "Rule set", "Rule set version")

_IKU_CODE = ("iku code", "kode iku", "kode")
_IKU_COLUMNS: dict[str, tuple[str, ...]] = {
    "SS code": ("ss code", "kode ss", "ss"),
    "SS name": ("ss name", "nama ss", "sasaran strategis"),
    "Perspective": ("perspective", "perspektif"),
    "SS weight": ("ss weight", "bobot ss"),
    "IKU code": _IKU_CODE,
    "IKU name": ("iku name", "nama iku", "iku", "indikator kinerja utama"),
    "Polarity": ("polarity", "polarisasi"),
    "Unit": ("unit", "satuan", "satuan pengukuran"),
    "Scale": ("scale", "skala"),
    "Consolidation": ("consolidation", "konsolidasi", "konsolidasi periode"),
    "Validity": ("validity", "validity control", "validity / control", "validitas", "validitas / tingkat kendali"),
    "Weight": ("weight", "iku weight", "bobot", "bobot iku"),
    "Region aggregation": ("region aggregation", "agregasi wilayah"),
}
_IKU_REQUIRED = ("SS code", "SS name", "Perspective", "IKU code", "IKU name", "Polarity", "Unit")
_REALISASI_COLUMNS: dict[str, tuple[str, ...]] = {
    "IKU code": (*_IKU_CODE, "iku"),
    "IKU name": ("iku name", "nama iku", "indikator kinerja utama"),
}
_RINCIAN_COLUMNS: dict[str, tuple[str, ...]] = {
    "IKU code": (*_IKU_CODE, "iku"),
    "Period": ("period", "periode"),
    "Part": ("part", "komponen"),
    "Value": ("value", "nilai"),
}
_ADDENDUM_COLUMNS: dict[str, tuple[str, ...]] = {
    "Number": ("number", "nomor", "nomor addendum"),
    "Signed on": ("signed on", "tanggal"),
    "Recorded at": ("recorded at", "dicatat"),
    "Note": ("note", "keterangan", "catatan"),
    "IKU code": (*_IKU_CODE, "iku"),
}
_SATKER_COLUMNS: dict[str, tuple[str, ...]] = {
    "Code": ("code", "kode", "kode satker"),
    "Name": ("name", "nama", "nama satker"),
    "Kind": ("kind", "jenis"),
    "Parent": ("parent", "induk"),
    "Staff": ("staff", "pegawai", "jumlah pegawai"),
}
_MANUAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "IKU code": (*_IKU_CODE, "iku"),
    "Manual": ("manual", "manual (json)", "document"),
}

_PERIOD_WORDS = {"sm. i": "S1", "smt i": "S1", "sem i": "S1", "semester i": "S1", "tahunan": "Y", "year": "Y"}


def period_of(label: str) -> str | None:
    """The period code a column header or cell names (``s.d. Q3`` -> ``TQ3``, ``Y-24`` -> ``Y``), if any."""
    text = _norm(label)
    for prefix in ("target ", "realisasi ", "realization "):
        text = text.removeprefix(prefix)
    if text.upper() in MEASURE_PERIODS:
        return text.upper()
    if text in _PERIOD_WORDS:
        return _PERIOD_WORDS[text]
    if m := re.fullmatch(r"s\.? ?/?d\.? ?q([23])", text):
        return "S1" if m.group(1) == "2" else "TQ3"
    if re.fullmatch(r"y-?\d{2}(\d{2})?", text):
        return "Y"
    if m := re.fullmatch(r"m(\d{1,2})", text):
        month = int(m.group(1))
        return f"M{month:02d}" if 1 <= month <= 12 else None
    return None


def _slug(text: str) -> str:
    """``Learning & Growth`` -> ``learning_growth``, ``Take Last Known Value`` -> ``take_last_known_value``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


# --- cells ----------------------------------------------------------------------------------------


_BLANK = object()


@dataclass(frozen=True)
class Cell:
    ref: str  # "IKU!G5"
    value: Any  # None when empty
    percent: bool = False
    problem: str | None = None  # a formula without a cached value, an Excel error value

    @property
    def blank(self) -> bool:
        return self.problem is None and (self.value is None or (isinstance(self.value, str) and not self.value.strip()))


@dataclass
class Row:
    number: int
    cells: dict[str, Cell]  # canonical column name (or period code) -> cell

    def get(self, column: str) -> Cell | None:
        return self.cells.get(column)

    def empty(self) -> bool:
        return all(c.blank for c in self.cells.values())


@dataclass
class Table:
    title: str
    columns: dict[str, Cell]  # canonical name -> header cell
    rows: list[Row]


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, ref: str, reason: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(FieldError(field=ref, reason=reason))

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0]
            raise Unprocessable(f"{first.field}: {first.reason}", errors=self.items)


@dataclass
class Cells:
    """JSON paths of the import document -> the cells (or sheets) they were read from."""

    refs: dict[Loc, str] = field(default_factory=dict)

    def put(self, loc: Loc, ref: str) -> None:
        self.refs[loc] = ref

    def put_default(self, loc: Loc, ref: str) -> None:
        self.refs.setdefault(loc, ref)

    def find(self, path: str) -> tuple[str, str] | None:
        """The cell of ``path`` (or of its nearest registered ancestor) and the part of the path below it."""
        loc = _parse_path(path)
        if loc is None:
            return None
        for n in range(len(loc), -1, -1):
            if (ref := self.refs.get(loc[:n])) is not None:
                rest = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[n:])
                return ref, rest
        return None


_SEGMENT = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]")


def _parse_path(path: str) -> Loc | None:
    if not path.startswith("$"):
        return None
    out: list[str | int] = []
    pos = 1
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if m is None:
            return None
        name, index, quoted = m.groups()
        out.append(int(index) if index is not None else (name if name is not None else quoted))
        pos = m.end()
    return tuple(out)


def locate(exc: ProblemError, cells: Cells) -> None:
    """Rename the JSON paths of ``exc``'s errors to the cells they were read from (in place)."""
    errors: list[FieldError] = []
    for e in exc.errors or []:
        found = cells.find(e.field)
        if found is None:
            errors.append(e)
            continue
        ref, rest = found
        errors.append(FieldError(field=ref, reason=f"{e.reason} (at {rest})" if rest else e.reason))
        exc.detail = exc.detail.replace(e.field, ref)
    exc.errors = errors or None


@contextmanager
def located(cells: Cells) -> Iterator[None]:
    """Errors raised inside name the workbook's cells instead of JSON paths."""
    try:
        yield
    except ProblemError as exc:
        locate(exc, cells)
        raise


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
    from services.registry.domain.transfer import parse  # transfer never imports this module

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

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


__all__ = ["MEDIA_TYPE", "Cells", "Converted", "locate", "located", "period_of", "read_workbook", "write_workbook"]
