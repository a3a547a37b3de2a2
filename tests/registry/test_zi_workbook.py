"""The LKE workbook of a ZI evaluation (issue 13): export → import round trip per level, every faulty
cell named at once with nothing written, bounds and roles before the body is read. Registry on
PostgreSQL with the Ngurah Rai demo loaded through the API as ``make run`` loads it."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import sibling_database
from runner.composition import System, build_system, running
from services.registry.adapters.zi_xlsx import MEDIA_TYPE
from services.registry.seed.zi_demo import load_zi_demo
from services.registry.settings import RegistrySettings
from tests.conftest import Mint, bearer

pytestmark = pytest.mark.anyio
OFFICE, KANWIL = "KPP.MP.01", "WBC.13"
EV = f"/api/v1/registry/satkers/{OFFICE}/zi/evaluations"
XLSX = {"Content-Type": MEDIA_TYPE}


@pytest.fixture(scope="module")
def zi_db(pg_url: str) -> Iterator[str]:
    with sibling_database(pg_url, "zi_wb") as url:
        yield url


@pytest.fixture(scope="module")
async def system(
    zi_db: str, auth: AuthSettings, mint: Mint, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    common = CommonSettings(environment="test", data_dir=Path(tmp_path_factory.mktemp("zi-wb")))
    built = build_system(
        common=common, auth=auth, settings={"registry": RegistrySettings(database_url=zi_db)}, services=("registry",)
    )
    async with running(built):
        await load_zi_demo(built.peers["registry"], lambda role, satker, sub: mint(role, satker, sub=sub))
        yield built


@pytest.fixture
async def reg(system: System) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["registry"]), base_url="http://r") as c:
        yield c


def _edit(raw: bytes, changes: dict[str, Any]) -> bytes:
    """The workbook with cells changed: {"Info!B3": 2033, "Jawaban!D5": "X"}."""
    wb = load_workbook(io.BytesIO(raw))
    for ref, value in changes.items():
        sheet, cell = ref.split("!")
        wb[sheet][cell] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _row_of(raw: bytes, code: str) -> int:
    ws = load_workbook(io.BytesIO(raw))["Jawaban"]
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == code)


def _answers(body: dict[str, Any], level: str) -> dict[str, Any]:
    lv = next(x for x in body["levels"] if x["level"] == level)
    return {c: (a["answer"], a["note"], a["evidence"]) for c, a in lv["answers"].items()}


async def _new(reg: httpx.AsyncClient, mint: Mint, year: int) -> None:
    r = await reg.post(
        EV,
        json={"year": year, "template": {"code": "ZI-DEMO-NGURAH-RAI", "version": 1}},
        headers=bearer(mint("satker_operator", OFFICE, sub="op-wb")),
    )
    assert r.status_code == 201, r.text


async def test_export_then_import_gives_the_same_answers_per_level(reg: httpx.AsyncClient, mint: Mint) -> None:
    viewer = bearer(mint("viewer", KANWIL))
    r = await reg.get(f"{EV}/2020/workbook", params={"evaluator": "kanwil"}, headers=viewer)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == MEDIA_TYPE and "LKE-ZI-KPP.MP.01-2020.xlsx" in r.headers["content-disposition"]
    demo = (await reg.get(f"{EV}/2020", headers=viewer)).json()
    ws = load_workbook(io.BytesIO(r.content))["Jawaban"]
    assert ws["D2"].value == "Jawaban Unit" and ws["G2"].value == "Jawaban Penilai"
    assert ws.cell(row=_row_of(r.content, "change_management.1"), column=4).value == "Ya"  # people read Indonesian

    await _new(reg, mint, 2033)
    moved = _edit(r.content, {"Info!B3": 2033})  # the same answers for another year's evaluation
    op = bearer(mint("satker_operator", OFFICE, sub="op-wb"))
    up = await reg.put(f"{EV}/2033/workbook/unit", content=moved, headers=op | XLSX)
    assert up.status_code == 200, up.text
    assert up.json()["answers"] == len(_answers(demo, "unit"))
    stored = (await reg.get(f"{EV}/2033", headers=viewer)).json()
    assert _answers(stored, "unit") == _answers(demo, "unit")

    assert (await reg.post(f"{EV}/2033/levels/unit/submit", headers=op)).status_code == 200
    reviewer = bearer(mint("reviewer", KANWIL, sub="rev-wb"))
    up = await reg.put(f"{EV}/2033/workbook/kanwil", content=moved, headers=reviewer | XLSX)
    assert up.status_code == 200, up.text
    stored = (await reg.get(f"{EV}/2033", headers=viewer)).json()
    assert _answers(stored, "kanwil") == _answers(demo, "kanwil")
    # and the export of the copy is the export of the original, but for the year
    again = await reg.get(f"{EV}/2033/workbook", params={"evaluator": "kanwil"}, headers=viewer)
    a, b = (load_workbook(io.BytesIO(x))["Jawaban"] for x in (r.content, again.content))
    assert [[c.value for c in row] for row in a.iter_rows(min_row=2)] == [
        [c.value for c in row] for row in b.iter_rows(min_row=2)
    ]


async def test_import_errors_name_every_cell_at_once_and_write_nothing(reg: httpx.AsyncClient, mint: Mint) -> None:
    viewer = bearer(mint("viewer", KANWIL))
    raw = (await reg.get(f"{EV}/2020/workbook", headers=viewer)).content
    await _new(reg, mint, 2034)
    abc = _row_of(raw, "change_management.3")  # scale abc
    ratio = _row_of(raw, "business_process.4")
    survey = _row_of(raw, "hasil.ipak")
    evidence = _row_of(raw, "hr_management.1")
    bad = _edit(
        raw,
        {
            "Info!B3": 2034,
            "Info!B2": "KBC.1602",
            f"Jawaban!D{abc}": "X",
            f"Jawaban!D{ratio}": "3/0",
            f"Jawaban!D{survey}": 4.5,
            f"Jawaban!F{evidence}": "not-a-document-id",
            f"Jawaban!A{survey + 1}": "no.such.question",
            f"Jawaban!D{survey + 1}": "A",
        },
    )
    op = bearer(mint("satker_operator", OFFICE, sub="op-wb"))
    r = await reg.put(f"{EV}/2034/workbook/unit", content=bad, headers=op | XLSX)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    errors = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert errors[f"Jawaban!D{abc}"] == "'X' is not on the scale A/B/C"
    assert "denominator" in errors[f"Jawaban!D{ratio}"]
    assert "between 0 and 4" in errors[f"Jawaban!D{survey}"]
    assert "document id" in errors[f"Jawaban!F{evidence}"]
    assert "not a question of template" in errors[f"Jawaban!A{survey + 1}"]
    assert "KBC.1602" in errors["Info!B2"]
    assert r.json()["detail"].startswith("Jawaban!") or r.json()["detail"].startswith("Info!")
    stored = (await reg.get(f"{EV}/2034", headers=viewer)).json()
    assert stored["levels"] == []  # nothing half-written


async def test_bounds_and_roles_before_the_body(reg: httpx.AsyncClient, mint: Mint) -> None:
    await _new(reg, mint, 2035)
    op = bearer(mint("satker_operator", OFFICE, sub="op-wb"))
    not_xlsx = await reg.put(f"{EV}/2035/workbook/unit", content=b"hello", headers=op | XLSX)
    assert not_xlsx.status_code == 415
    too_big = await reg.put(
        f"{EV}/2035/workbook/unit", content=b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024), headers=op | XLSX
    )
    assert too_big.status_code == 413
    viewer = await reg.put(f"{EV}/2035/workbook/unit", content=b"x", headers=bearer(mint("viewer", KANWIL)) | XLSX)
    assert viewer.status_code == 403
    own = await reg.put(
        f"{EV}/2035/workbook/kanwil", content=b"x", headers=bearer(mint("reviewer", OFFICE, sub="r")) | XLSX
    )
    assert own.status_code == 403  # nobody evaluates their own unit


async def test_more_question_rows_than_a_level_takes_is_413(reg: httpx.AsyncClient, mint: Mint) -> None:
    from openpyxl import Workbook

    from services.registry.adapters.zi_xlsx import MAX_QUESTION_ROWS

    await _new(reg, mint, 2036)
    wb = Workbook()
    info = wb.active
    info.title = "Info"
    for row in (["Satker", OFFICE], ["Tahun", 2036], ["Templat", "ZI-DEMO-NGURAH-RAI"], ["Versi templat", 1]):
        info.append(row)
    sheet = wb.create_sheet("Jawaban")
    sheet.append(["Kode", "Jawaban Unit"])
    for i in range(MAX_QUESTION_ROWS + 1):
        sheet.append([f"q.{i}", "A"])
    out = io.BytesIO()
    wb.save(out)
    op = bearer(mint("satker_operator", OFFICE, sub="op-wb"))
    r = await reg.put(f"{EV}/2036/workbook/unit", content=out.getvalue(), headers=op | XLSX)
    assert r.status_code == 413, r.text
    assert (await reg.get(f"{EV}/2036", headers=op)).json()["levels"] == []
