"""The LAKIN files (issue 12) as a reader opens them, on the Kalbagtim 2024 demo: the workbook read
back by openpyxl carries per IKU the JSON answer's target, realisation and index, its header rows
are frozen and LibreOffice converts it; the PDF's text (pdftotext) shows the NKO, the predicate,
the perspective indices with the decimal comma and every IKU code, and every page renders
(pdftoppm). The files are rendered from the same report on both databases, so PostgreSQL only.

The tests that run the external readers are plain functions (their processes block). They are
skipped (with the reason) only when their binary is missing;
``scripts/install-system-deps`` installs libreoffice-calc and poppler-utils."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Context, Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from kernel.testing import sibling_database
from tests.conftest import Mint, bearer
from tests.scoring.test_report import R, report, scoring, system

__all__ = ["report", "scoring", "system"]  # the fixtures of test_report.py, on this module's database

pytestmark = pytest.mark.anyio
IKU_SHEET = "SS dan IKU"
HEADER_ROW = 4  # title, office, period, then the column headings


@pytest.fixture(scope="module")
def database(pg_url: str) -> Iterator[str]:
    with sibling_database(pg_url, "lakinfiles") as url:
        yield url


def _need(*binaries: str) -> None:
    missing = [b for b in binaries if shutil.which(b) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (scripts/install-system-deps installs it)")


EXCEL_DIGITS = Context(prec=15)  # a spreadsheet number is a double: Excel keeps 15 significant digits


def _cell(v: Any) -> Decimal | None:
    """A number as a spreadsheet holds it: the report's exact Decimal to Excel's 15 significant digits."""
    return None if v is None else EXCEL_DIGITS.plus(Decimal(str(v)))


def _shown(v: Any) -> str:
    """What the reader sees in the cell of format 0.00 (ROUND_HALF_UP, as the JSON's *_display)."""
    return str(Decimal(str(v)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


async def _file(scoring: httpx.AsyncClient, mint: Mint, fmt: str) -> bytes:
    r = await scoring.get(f"{R}/report", params={"year": 2024, "format": fmt}, headers=bearer(mint("viewer", "WBC.16")))
    assert r.status_code == 200, r.text
    return r.content


@pytest.fixture(scope="module")
async def xlsx(scoring: httpx.AsyncClient, mint: Mint) -> bytes:
    return await _file(scoring, mint, "xlsx")


@pytest.fixture(scope="module")
async def pdf(scoring: httpx.AsyncClient, mint: Mint, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lakinpdf") / "lakin.pdf"
    path.write_bytes(await _file(scoring, mint, "pdf"))
    return path


async def test_xlsx_reads_back_the_json_numbers(xlsx: bytes, report: dict[str, Any]) -> None:
    wb = load_workbook(BytesIO(xlsx))
    ws = wb[IKU_SHEET]
    heading = [c.value for c in ws[HEADER_ROW]]
    assert heading[3:10] == [
        "Kode",
        "Indikator Kinerja Utama",
        "Satuan",
        "Target",
        "Realisasi",
        "Indeks Capaian",
        "Status",
    ]
    rows = {row[3]: row for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if row[3] is not None}
    assert list(rows) == [i["code"] for i in report["indicators"]]
    for ind in report["indicators"]:
        row, y = rows[ind["code"]], ind["year"]
        got, want = [_cell(row[i]) for i in (6, 7, 8)], [_cell(y[k]) for k in ("target", "realization", "index")]
        assert got == want, ind["code"]
        assert _shown(row[8]) == y["index_display"], ind["code"]
        assert row[9] == y["status_label"]
    nko = {row[0]: row[2] for row in wb["NKO"].iter_rows(min_row=HEADER_ROW + 1, values_only=True)}
    assert _shown(nko["Nilai Kinerja Organisasi (NKO)"]) == report["nko_display"] == "118.30"
    assert _cell(nko["Nilai Kinerja Organisasi (NKO)"]) == _cell(report["nko"])
    for p in report["perspectives"]:
        assert (_cell(nko[p["name"]]), _shown(nko[p["name"]])) == (_cell(p["index"]), p["index_display"]), p["code"]


async def test_xlsx_sub_series_sheet_reads_back_the_json_rows(xlsx: bytes, report: dict[str, Any]) -> None:
    ws = load_workbook(BytesIO(xlsx))["Sub-IKU"]
    assert [c.value for c in ws[HEADER_ROW]][:3] == ["Kode", "Sub-IKU", "Tahun"]
    got = [row for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if row[0] is not None]
    want = [
        (ind["code"], sub["key"], t["year"], _cell(t["target"]), _cell(t["realization"]), _cell(t["index"]))
        for ind in report["indicators"]
        for sub in ind["sub_series"]
        for t in sub["rows"]
    ]
    assert len(want) == 5  # the risk-management series of 10b-N, 2020-2024
    assert [(r[0], r[1], r[2], _cell(r[5]), _cell(r[6]), _cell(r[7])) for r in got] == want


async def test_xlsx_header_rows_are_frozen(xlsx: bytes) -> None:
    wb = load_workbook(BytesIO(xlsx))
    assert len(wb.worksheets) >= 5
    for ws in wb.worksheets:
        assert ws.freeze_panes == f"A{HEADER_ROW + 1}", ws.title


@pytest.mark.usefixtures("anyio_backend")  # the async fixtures of a plain test
def test_libreoffice_converts_the_xlsx(xlsx: bytes, tmp_path: Path) -> None:
    _need("libreoffice", "pdfinfo")
    source = tmp_path / "lakin.xlsx"
    source.write_bytes(xlsx)
    profile = (tmp_path / "profile").as_uri()
    done = subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    converted = tmp_path / "out" / "lakin.pdf"
    assert converted.is_file() and converted.stat().st_size > 0, done.stdout.decode(errors="replace")
    assert _pages(converted) >= 1


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, timeout=60, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


@pytest.mark.usefixtures("anyio_backend")  # the async fixtures of a plain test
def test_pdf_text_shows_the_numbers_with_decimal_commas(pdf: Path, report: dict[str, Any]) -> None:
    _need("pdftotext")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "118,30" in text and "Istimewa" in text
    commas = [p["index_display"].replace(".", ",") for p in report["perspectives"]]
    assert commas == ["116,54", "117,55", "119,79", "119,50"]
    for shown in commas:
        assert shown in text, shown
    assert "118.30" not in text and "116.54" not in text  # no decimal point in the Indonesian document
    for ind in report["indicators"]:
        assert re.search(rf"(?<![\w-]){re.escape(ind['code'])}(?![\w-])", text), ind["code"]
    flat = " ".join(text.split())  # table cells wrap: compare the words
    for ind in report["indicators"]:
        for sub in ind["sub_series"]:
            assert f"Sub-IKU {sub['name']}" in flat, sub["key"]
    assert "98,10" in text and "99,93" in text  # the series' 2020 and 2021 realisations


@pytest.mark.usefixtures("anyio_backend")  # the async fixtures of a plain test
def test_pdf_every_page_renders(pdf: Path, tmp_path: Path) -> None:
    _need("pdfinfo", "pdftoppm")
    pages = _pages(pdf)
    assert pages >= 2
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")],
        capture_output=True,
        timeout=300,
        check=True,
    )
    images = sorted(tmp_path.glob("page*.png"))
    assert len(images) == pages
    assert all(p.stat().st_size > 0 and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in images)
