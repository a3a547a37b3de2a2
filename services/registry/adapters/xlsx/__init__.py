"""An agreement as an Excel workbook (.xlsx), laid out the way the offices' performance managers keep it.

The workbook is only another spelling of the import document (``kinerja.agreement/v1``, see
:mod:`services.registry.service.transfer`): :func:`read_workbook` turns it into that document plus a
map from JSON paths to cells, the document goes through the same all-or-nothing import (every rule
and error applies), and :func:`locate` renames the JSON paths of any error to the cells they came
from (``$.agreement.indicators[3].polarity`` -> ``IKU!G5``). :func:`write_workbook` is the export.

Modules: ``names`` (limits, sheet/column names), ``cells`` (cells and the path->cell map), ``book``
(opening within limits, typed values), ``reader`` + ``sheets`` (workbook -> document), ``writer``.

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

An optional ``Dilaporkan`` sheet gives, per period, when its measures were really reported:
``Period``, ``Recorded at`` (text with its zone, e.g. ``2024-04-09T16:00:00+08:00``; ADR 0024).

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

from services.registry.adapters.xlsx.book import excel_float
from services.registry.adapters.xlsx.cells import Cells, locate, located
from services.registry.adapters.xlsx.names import (
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLS,
    MAX_ERRORS,
    MAX_PHYSICAL_ROWS,
    MAX_ROWS,
    MAX_SHARED_STRINGS,
    MAX_UNCOMPRESSED,
    MEDIA_TYPE,
    period_of,
)
from services.registry.adapters.xlsx.reader import Converted, read_workbook, validated
from services.registry.adapters.xlsx.writer import write_workbook

__all__ = [
    "MAX_CELLS",
    "MAX_CELL_CHARS",
    "MAX_COLS",
    "MAX_ERRORS",
    "MAX_PHYSICAL_ROWS",
    "MAX_ROWS",
    "MAX_SHARED_STRINGS",
    "MAX_UNCOMPRESSED",
    "MEDIA_TYPE",
    "Cells",
    "Converted",
    "excel_float",
    "locate",
    "located",
    "period_of",
    "read_workbook",
    "validated",
    "write_workbook",
]
