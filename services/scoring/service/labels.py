"""What a person reads in the LAKIN, per language (``Accept-Language``: Indonesian by default).

Codes stay English (``green``, ``days``, ``renstra_djbc``); these are their labels. Predicate
names come from the rule set (they are the regulation's own words, e.g. *Istimewa*).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from services.scoring.schemas import Language

LABELS: dict[str, dict[str, str]] = {
    "id": {
        "title": "Laporan Kinerja (LAKIN) Tahun {year}",
        "title_kanwil": "Laporan Kinerja Konsolidasi Kanwil Tahun {year}",
        "chapter": "Bab III Akuntabilitas Kinerja",
        "office": "Satuan kerja",
        "period": "Periode",
        "year": "Tahun",
        "agreement": "Perjanjian Kinerja",
        "nko": "Nilai Kinerja Organisasi (NKO)",
        "predicate": "Predikat",
        "perspective": "Perspektif",
        "weight": "Bobot",
        "index": "Indeks Capaian",
        "objective": "Sasaran Strategis",
        "indicator": "Indikator Kinerja Utama",
        "code": "Kode",
        "name": "Nama",
        "unit": "Satuan",
        "target": "Target",
        "realization": "Realisasi",
        "status": "Status",
        "quarterly": "Capaian IKU per Periode",
        "trend": "Perbandingan Capaian Tahun {first} s.d. {last}",
        "sub_trend": "Sub-IKU {name}: Perbandingan Capaian Tahun {first} s.d. {last}",
        "sub_series": "Sub-IKU",
        "plans": "Perbandingan dengan Renstra DJBC dan Renja Kemenkeu",
        "plan": "Dokumen Rencana",
        "pk_target": "Target PK",
        "plan_target": "Target Rencana",
        "budget": "Realisasi Anggaran",
        "item": "Jenis Belanja",
        "initial": "Pagu Awal",
        "revised": "Pagu Setelah Revisi",
        "net": "Realisasi",
        "remaining": "Sisa Anggaran",
        "percent": "Persentase",
        "output": "Keluaran",
        "activity": "Kegiatan",
        "changes": "Riwayat Pagu",
        "document": "Dokumen",
        "amount": "Jumlah",
        "analysis": "Analisis IKU Berstatus Merah dan Kuning",
        "no_notes": "Belum ada catatan analisis.",
        "none_red_yellow": "Tidak ada IKU berstatus merah atau kuning.",
        "source": "Sumber",
        "note": "Catatan",
        "history": "data historis",
        "computed": "dihitung dari PK",
        "page": "Halaman {page}",
        "chart_perspectives": "Grafik NKO per Perspektif",
        "chart_quarterly": "Target dan Realisasi per Periode",
        "chart_trend": "Tren Indeks Capaian",
        "rank": "Peringkat",
        "members": "Peringkat Satuan Kerja",
        "red": "IKU Merah",
        "yellow": "IKU Kuning",
        "red_indicators": "IKU Berstatus Merah di Wilayah",
        "previous_year": "Tahun sebelumnya",
        "total": "Jumlah",
        "partial": "sebagian (ada IKU tanpa indeks)",
        "generated": "Disusun oleh kinerja dari data pada {as_of}",
    },
    "en": {
        "title": "Performance Report (LAKIN) {year}",
        "title_kanwil": "Consolidated Regional Performance Report {year}",
        "chapter": "Chapter III Performance Accountability",
        "office": "Office",
        "period": "Period",
        "year": "Year",
        "agreement": "Performance agreement",
        "nko": "Organisation score (NKO)",
        "predicate": "Predicate",
        "perspective": "Perspective",
        "weight": "Weight",
        "index": "Achievement index",
        "objective": "Strategic objective",
        "indicator": "Key performance indicator",
        "code": "Code",
        "name": "Name",
        "unit": "Unit",
        "target": "Target",
        "realization": "Realisation",
        "status": "Status",
        "quarterly": "IKU results per period",
        "trend": "Results {first} to {last}",
        "sub_trend": "Sub-indicator {name}: results {first} to {last}",
        "sub_series": "Sub-indicator",
        "plans": "Comparison with the DJBC strategic plan and the ministry work plan",
        "plan": "Plan",
        "pk_target": "Agreement target",
        "plan_target": "Plan target",
        "budget": "Budget realisation",
        "item": "Spending item",
        "initial": "Initial ceiling",
        "revised": "Revised ceiling",
        "net": "Realisation",
        "remaining": "Remaining",
        "percent": "Percent",
        "output": "Output",
        "activity": "Activity",
        "changes": "Ceiling history",
        "document": "Document",
        "amount": "Amount",
        "analysis": "Analysis of red and yellow IKU",
        "no_notes": "No analysis notes yet.",
        "none_red_yellow": "No red or yellow IKU.",
        "source": "Source",
        "note": "Note",
        "history": "historical record",
        "computed": "computed from the agreement",
        "page": "Page {page}",
        "chart_perspectives": "NKO by perspective",
        "chart_quarterly": "Target and realisation per period",
        "chart_trend": "Achievement index trend",
        "rank": "Rank",
        "members": "Ranking of the offices",
        "red": "Red IKU",
        "yellow": "Yellow IKU",
        "red_indicators": "Red IKU in the region",
        "previous_year": "Previous year",
        "total": "Total",
        "partial": "partial (IKU without an index)",
        "generated": "Compiled by kinerja from the data as of {as_of}",
    },
}

STATUS = {
    "id": {"green": "hijau", "yellow": "kuning", "red": "merah", "grey": "abu-abu"},
    "en": {"green": "green", "yellow": "yellow", "red": "red", "grey": "grey"},
}
UNITS = {
    "id": {
        "days": "hari",
        "percent": "%",
        "index": "indeks",
        "index_scale_4": "skala 4",
        "index_scale_5": "skala 5",
        "index_scale_100": "skala 100",
    },
    "en": {
        "days": "days",
        "percent": "%",
        "index": "index",
        "index_scale_4": "scale 4",
        "index_scale_5": "scale 5",
        "index_scale_100": "scale 100",
    },
}
PERIODS = {
    "id": {
        "Q1": "Triwulan I",
        "Q2": "Triwulan II",
        "S1": "Semester I",
        "Q3": "Triwulan III",
        "TQ3": "s.d. Triwulan III",
        "Q4": "Triwulan IV",
        "Y": "Tahunan",
    },
    "en": {
        "Q1": "Quarter 1",
        "Q2": "Quarter 2",
        "S1": "First half",
        "Q3": "Quarter 3",
        "TQ3": "Quarters 1-3",
        "Q4": "Quarter 4",
        "Y": "Year",
    },
}
PERSPECTIVES = {
    "id": {
        "stakeholder": "Stakeholder (Pemangku Kepentingan)",
        "customer": "Customer (Pengguna Layanan)",
        "internal_process": "Internal Process (Proses Bisnis Internal)",
        "learning_growth": "Learning & Growth (Pembelajaran dan Pertumbuhan)",
    },
    "en": {
        "stakeholder": "Stakeholder",
        "customer": "Customer",
        "internal_process": "Internal Process",
        "learning_growth": "Learning & Growth",
    },
}
PLANS = {
    "id": {"renstra_djbc": "Renstra DJBC", "renja_kemenkeu": "Renja Kemenkeu"},
    "en": {"renstra_djbc": "DJBC strategic plan (Renstra)", "renja_kemenkeu": "Ministry work plan (Renja)"},
}
SPENDING = {
    "id": {"belanja_pegawai": "Belanja Pegawai", "belanja_barang": "Belanja Barang", "belanja_modal": "Belanja Modal"},
    "en": {"belanja_pegawai": "Personnel", "belanja_barang": "Goods and services", "belanja_modal": "Capital"},
}


def language_of(accept_language: str | None) -> Language:
    """The first of ``id``/``en`` the header asks for (quality order); Indonesian when none."""
    if not accept_language:
        return "id"
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            key, _, value = p.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranked.append((-q, n, tag.strip().lower().split("-")[0]))
    for q, _, tag in sorted(ranked):
        if q < 0 and tag in ("id", "en"):
            return "id" if tag == "id" else "en"
    return "id"


def label(table: dict[str, dict[str, str]], language: Language, code: str | None) -> str | None:
    """The label of ``code``; an unknown code is shown as itself (a new unit still prints)."""
    if code is None:
        return None
    return table[language].get(code, code)


def number(value: Decimal | None, language: Language, places: int = 2, *, grouping: bool = False) -> str:
    """A number as the document prints it: ``places`` decimals, ROUND_HALF_UP, the decimal comma
    (and thousands dots) in Indonesian, a point (and commas) in English; "-" for none."""
    if value is None:
        return "-"
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{q:,.{places}f}" if grouping else f"{q:.{places}f}"
    if language == "id":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def value_places(value: Decimal | None) -> int:
    """Realisations/targets: 2 decimals, 4 below 1 (clearance time 0,3969 hari)."""
    return 4 if value is not None and abs(value) < 1 else 2
