"""Limits, sheet and column names (English and the LAKIN's Indonesian labels) and period labels of the workbook."""

from __future__ import annotations

import re

from services.registry.service.periods import MEASURE_PERIODS

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
    "Dilaporkan": ("dilaporkan", "reported", "measures recorded at"),
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

_REPORTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "Period": ("period", "periode"),
    "Recorded at": ("recorded at", "dilaporkan pada", "reported at"),
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
