"""The answers of a Zona Integritas evaluation as the official LKE workbook lays them out (issue 13).

Two sheets (the full description, with an example, is docs/excel-format.md, "Zona Integritas"):

* ``Info`` (``Informasi``): one field a row, label in column A, value in column B — Format, Satker,
  Tahun, Templat, Versi templat, Tingkat penilai. The import checks them against the evaluation
  the workbook is uploaded to (the wrong office's workbook is refused, naming the cell).
* ``Jawaban`` (``LKE``, ``Answers``): a row per question of the template, in the template's order:
  Kode, Komponen (area and half, or hasil item), Pertanyaan, Jawaban Unit, Catatan Unit, Bukti
  (evidence document ids), Jawaban Penilai, Catatan Penilai, Skala, Bobot, Bukti yang diminta.
  Only Kode and the answer/note/evidence columns are read; the others are there for the reader.

Answers are written as people read them: ``Ya``/``Tidak`` (yes_no; ``yes``/``no`` accepted),
letters ``A``-``E`` (any case), a ratio as ``18/20``, a survey score as a number 0-4. A blank
answer cell leaves the question as it is stored. :func:`read_answers` converts within the limits of
:mod:`services.registry.adapters.xlsx` (it reuses its container checks and typed cells) and
returns every faulty cell at once; :func:`write_answers` is the export. Pure: no database.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from kernel.errors import FieldError, PayloadTooLarge
from services.registry.adapters.xlsx.book import _Book, _Reader
from services.registry.adapters.xlsx.cells import _BLANK, Cell, Cells, _Errors
from services.registry.adapters.xlsx.names import HEADER_SCAN, MAX_CELL_CHARS, MEDIA_TYPE, _norm

FORMAT = "kinerja.zi-workbook/v1"
MAX_QUESTION_ROWS = 2000  # as many answers as one PUT of a level takes
INFO_SHEET, ANSWER_SHEET = "Info", "Jawaban"
_SHEETS = {INFO_SHEET: ("info", "informasi"), ANSWER_SHEET: ("jawaban", "lke", "answers", "lembar kerja")}
#: Info labels -> canonical field
_INFO: dict[str, tuple[str, ...]] = {
    "Format": ("format",),
    "Satker": ("satker", "kode satker"),
    "Tahun": ("tahun", "year"),
    "Templat": ("templat", "template", "kode templat"),
    "Versi templat": ("versi templat", "template version", "versi"),
    "Tingkat penilai": ("tingkat penilai", "evaluator level", "penilai"),
}
_INFO_REQUIRED = ("Satker", "Tahun", "Templat", "Versi templat")
#: answer-sheet columns in export order -> accepted headers (normalised)
COLUMNS: dict[str, tuple[str, ...]] = {
    "Kode": ("kode", "code", "kode pertanyaan"),
    "Komponen": ("komponen", "area", "component"),
    "Pertanyaan": ("pertanyaan", "question"),
    "Jawaban Unit": ("jawaban unit", "unit answer", "jawaban"),
    "Catatan Unit": ("catatan unit", "unit note", "penjelasan"),
    "Bukti": ("bukti", "evidence", "bukti (id dokumen)", "data dukung"),
    "Jawaban Penilai": ("jawaban penilai", "evaluator answer", "jawaban evaluator"),
    "Catatan Penilai": ("catatan penilai", "evaluator note", "catatan evaluator"),
    "Skala": ("skala", "scale"),
    "Bobot": ("bobot", "weight"),
    "Bukti yang diminta": ("bukti yang diminta", "evidence kinds", "jenis bukti"),
}
#: which side of the sheet feeds which level
SIDES = {"unit": ("Jawaban Unit", "Catatan Unit", "Bukti"), "evaluator": ("Jawaban Penilai", "Catatan Penilai", None)}
YES_NO = {"ya": "yes", "yes": "yes", "tidak": "no", "no": "no"}
_SHOWN_YES_NO = {"yes": "Ya", "no": "Tidak"}
LETTERS: dict[str, tuple[str, ...]] = {
    "abc": ("A", "B", "C"),
    "a_d": ("A", "B", "C", "D"),
    "a_e": ("A", "B", "C", "D", "E"),
}
_RATIO = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*/\s*([0-9]+(?:\.[0-9]+)?)\s*$")
_IDS = re.compile(r"[\s,;]+")


@dataclass
class Side:
    """One side of the sheet: question code -> {answer, note?, evidence?}, and the cell of every field."""

    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)  # "answers.{code}.answer" -> "Jawaban!D17"


@dataclass
class ReadAnswers:
    info: dict[str, tuple[Any, str]]  # canonical field -> (value, cell)
    sides: dict[str, Side]
    errors: list[FieldError]
    sheet: str


def _scale_text(scale: str) -> str:
    if scale == "yes_no":
        return "Ya/Tidak"
    if scale in LETTERS:
        return "/".join(LETTERS[scale])
    return {"ratio": "pembilang/penyebut", "survey": "0-4"}.get(scale, scale)


def _answer(r: _Reader, cell: Cell, scale: str) -> Any:
    """The answer of a cell in the API's spelling (then checked by the registry as any answer), or _BLANK."""
    if scale == "survey":
        if isinstance(cell.value, str) and cell.problem is None:  # exact as written (the registry checks it)
            return cell.value.strip()
        value = r.number(cell)
        return _BLANK if value is _BLANK or value is None else str(value)
    text = r.text(cell)
    if text is None:
        return _BLANK
    if scale == "yes_no" and text.lower() in YES_NO:
        return YES_NO[text.lower()]
    if scale in LETTERS and text.upper() in LETTERS[scale]:
        return text.upper()
    if scale == "ratio":
        m = _RATIO.match(text)
        if m:
            return {"numerator": m.group(1), "denominator": m.group(2)}
    r.errors.add(cell.ref, f"{text!r} is not on the scale {_scale_text(scale)}")
    return _BLANK


def _info(book: _Book, title: str, r: _Reader) -> dict[str, tuple[Any, str]]:
    aliases = {a: name for name, names in _INFO.items() for a in names}
    out: dict[str, tuple[Any, str]] = {}
    for _, row in book.rows(title):
        label, value = row[0], (row[1] if len(row) > 1 else None)
        if label.blank or not isinstance(label.value, str):
            continue
        name = aliases.get(_norm(label.value))
        if name is None:
            if value is not None and not value.blank:
                r.errors.add(label.ref, f"unknown field {label.value.strip()!r}")
            continue
        ref = value.ref if value is not None else label.ref.replace("!A", "!B")
        text = r.text(value) if value is not None else None
        if text:
            out[name] = (text, ref)
    for name in _INFO_REQUIRED:
        if name not in out:
            r.errors.add(title, f"missing field {name!r} (label in column A, value in column B)")
    return out


def read_answers(raw: bytes, questions: dict[str, dict[str, Any]]) -> ReadAnswers:
    """The workbook's Info fields and both sides of its answers (``questions``: the template's, by
    code, for the scales). Synchronous and CPU-bound: call it in a worker thread. Raises 415 / 413
    as the agreement workbook does; the cells it cannot read are in ``errors``. Writes nothing."""
    book = _Book(raw)
    try:
        return _read(book, questions)
    finally:
        book.close()


def _title(book: _Book, canonical: str) -> str | None:
    return next((book.titles[a] for a in _SHEETS[canonical] if a in book.titles), None)


def _read(book: _Book, questions: dict[str, dict[str, Any]]) -> ReadAnswers:
    errors = _Errors()
    r = _Reader(errors, Cells())
    info_title, sheet = _title(book, INFO_SHEET), _title(book, ANSWER_SHEET)
    for canonical, found in ((INFO_SHEET, info_title), (ANSWER_SHEET, sheet)):
        if found is None:
            errors.add(canonical, f"missing sheet {canonical!r}")
    errors.raise_if_any()
    assert info_title is not None and sheet is not None
    info = _info(book, info_title, r)
    sides = {"unit": Side(), "evaluator": Side()}
    rows = book.rows(sheet)
    aliases = {a: name for name, names in COLUMNS.items() for a in names}
    header_at = next(
        (
            i
            for i, (_, cells) in enumerate(rows[:HEADER_SCAN])
            if any(isinstance(c.value, str) and aliases.get(_norm(c.value)) == "Kode" for c in cells)
        ),
        None,
    )
    if header_at is None:
        errors.add(sheet, f"no header row naming the column 'Kode' in the first {HEADER_SCAN} rows")
        return ReadAnswers(info, sides, errors.items, sheet)
    position: dict[str, int] = {}
    for p, c in enumerate(rows[header_at][1]):
        if c.blank:
            continue
        name = aliases.get(_norm(str(c.value)))
        if name is None:
            errors.add(c.ref, f"unknown column {str(c.value).strip()!r}")
        elif name in position:
            errors.add(c.ref, f"column {name} appears twice")
        else:
            position[name] = p
    body = rows[header_at + 1 :]
    if len(body) > MAX_QUESTION_ROWS:
        raise PayloadTooLarge(f"sheet {sheet} has more than {MAX_QUESTION_ROWS} question rows")
    seen: dict[str, str] = {}
    for _, cells in body:

        def cell(name: str | None, row: list[Cell] = cells) -> Cell | None:
            p = position.get(name) if name is not None else None
            return row[p] if p is not None and p < len(row) else None

        code_cell = cell("Kode")
        code = r.text(code_cell)
        if code_cell is None or not code:
            continue  # a title or group row (Komponen only)
        if code in seen:
            errors.add(code_cell.ref, f"question {code} appears twice (also {seen[code]})")
            continue
        seen[code] = code_cell.ref
        question = questions.get(code)
        for side_name, (answer_col, note_col, evidence_col) in SIDES.items():
            side = sides[side_name]
            answer_cell = cell(answer_col)
            if answer_cell is None or answer_cell.blank:
                continue
            where = f"answers.{code}"
            side.cells[where] = code_cell.ref
            if question is None:  # the registry names it ("not a question of template ...") at the code cell
                side.answers[code] = {"answer": r.text(answer_cell)}
                continue
            value = _answer(r, answer_cell, question["scale"])
            if value is _BLANK:
                continue
            entry: dict[str, Any] = {"answer": value}
            side.cells[f"{where}.answer"] = answer_cell.ref
            note_cell = cell(note_col)
            if note_cell is not None and (note := r.text(note_cell)):
                entry["note"] = note
                side.cells[f"{where}.note"] = note_cell.ref
            evidence_cell = cell(evidence_col)
            if evidence_cell is not None and (ids := r.text(evidence_cell)):
                entry["evidence"] = [i for i in _IDS.split(ids) if i]
                side.cells[f"{where}.evidence"] = evidence_cell.ref
            side.answers[code] = entry
    for name in ("Kode",):
        if name not in position:
            errors.add(sheet, f"missing column {name!r}")
    return ReadAnswers(info, sides, errors.items, sheet)


def cell_of(side: Side, path: str) -> str | None:
    """The cell a registry error's field (``answers.X.evidence[2]``...) came from, nearest first."""
    probe = path
    while probe:
        if probe in side.cells:
            return side.cells[probe]
        cut = max(probe.rfind("."), probe.rfind("["))
        probe = probe[:cut] if cut > 0 else ""
    return None


# --- export ------------------------------------------------------------------------------------------


def _shown(scale: str, answer: Any) -> Any:
    if answer is None:
        return None
    if scale == "yes_no":
        return _SHOWN_YES_NO.get(answer, answer)
    if scale == "ratio" and isinstance(answer, dict):
        return f"{answer['numerator']}/{answer['denominator']}"
    if scale == "survey":  # the stored text (3.80 stays 3.80: a number cell would show 3.8)
        return str(answer)
    return answer


def _weight(value: Any) -> Any:
    d = Decimal(str(value))
    return int(d) if d == d.to_integral_value() else float(d)


def _where(q: dict[str, Any], names: dict[str, str]) -> str:
    if "item" in q:
        return f"Hasil: {names.get(q['item'], q['item'])}"
    half = "Pemenuhan" if q.get("half") == "pemenuhan" else "Reform"
    return f"{names.get(q['area'], q['area'])} ({half})"


def write_answers(
    *,
    template: dict[str, Any],
    info: dict[str, Any],
    unit: dict[str, dict[str, Any]],
    evaluator: dict[str, dict[str, Any]],
) -> bytes:
    """The workbook :func:`read_answers` reads: every question of ``template`` (the
    ``kinerja.zi-template/v1`` document), the unit's and the evaluator level's stored answers."""
    wb = Workbook()
    ws_info = wb.active
    ws_info.title = INFO_SHEET
    for label in _INFO:
        ws_info.append([label, info.get(label)])
        ws_info.cell(row=ws_info.max_row, column=1).font = Font(bold=True)
    ws_info.column_dimensions["A"].width, ws_info.column_dimensions["B"].width = 18, 36
    ws = wb.create_sheet(ANSWER_SHEET)
    ws.append([f"Lembar Kerja Evaluasi Zona Integritas — {info.get('Satker')} {info.get('Tahun')}"])
    ws.append(list(COLUMNS))
    for c in ws[2]:
        c.font = Font(bold=True)
    ws.freeze_panes = "B3"
    widths = {"Kode": 26, "Komponen": 34, "Pertanyaan": 60, "Catatan Unit": 40, "Bukti": 40, "Catatan Penilai": 40}
    for i, name in enumerate(COLUMNS, start=1):
        ws.column_dimensions[ws.cell(row=2, column=i).column_letter].width = widths.get(name, max(10, len(name) + 2))
    names = {a["code"]: a["name"] for c in template["components"] for a in c.get("areas") or []}
    names.update(
        {
            it["code"]: it["name"]
            for c in template["components"]
            for s in c.get("sub_components") or []
            for it in s["items"]
        }
    )
    for q in template.get("questions") or []:
        mine, theirs = unit.get(q["code"]) or {}, evaluator.get(q["code"]) or {}
        row = [
            q["code"],
            _where(q, names),
            q["text"],
            _shown(q["scale"], mine.get("answer")),
            mine.get("note"),
            "\n".join(mine.get("evidence") or []) or None,
            _shown(q["scale"], theirs.get("answer")),
            theirs.get("note"),
            _scale_text(q["scale"]),
            _weight(q["weight"]),
            ", ".join(q.get("evidence_kinds") or []) or None,
        ]
        ws.append([v[:MAX_CELL_CHARS] if isinstance(v, str) else v for v in row])
        for column in (3, 5, 6, 8):
            ws.cell(row=ws.max_row, column=column).alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


__all__ = [
    "FORMAT",
    "MAX_QUESTION_ROWS",
    "MEDIA_TYPE",
    "ReadAnswers",
    "Side",
    "cell_of",
    "read_answers",
    "write_answers",
]
