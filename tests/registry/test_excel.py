"""The agreement as an Excel workbook (docs/excel-format.md): export, import, errors naming cells."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook, load_workbook

from kernel.errors import ProblemError
from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import sibling_database
from runner.composition import build_system, running
from services.registry.adapters import xlsx
from services.registry.adapters.xlsx import book as xlsx_book
from services.registry.service.transfer import parse
from services.registry.settings import RegistrySettings
from tests.conftest import Mint, bearer
from tests.registry.conftest import mini_document

pytestmark = pytest.mark.anyio
R = "/api/v1/registry"
A = f"{R}/satkers/WBC.16/agreements/2024"
XLSX = {"Content-Type": xlsx.MEDIA_TYPE}


def workbook_of(doc: dict[str, Any], change: Callable[[Workbook], None] | None = None) -> bytes:
    """The export layout of ``doc`` (through the real writer), edited by ``change``."""
    wb = load_workbook(io.BytesIO(xlsx.write_workbook(parse(doc))))
    if change is not None:
        change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def post(api: httpx.AsyncClient, admin: dict[str, str], content: bytes, **params: str) -> httpx.Response:
    headers = admin | ({} if params else XLSX)
    return await api.post(f"{R}/import", content=content, headers=headers, params=params)


async def refused(
    api: httpx.AsyncClient, admin: dict[str, str], satker: str, content: bytes, status: int = 422
) -> list[dict[str, str]]:
    r = await post(api, admin, content)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await api.get(f"{R}/satkers/{satker}", headers=admin)).status_code == 404  # nothing half-written
    errors: list[dict[str, str]] = r.json().get("errors") or []
    return errors


# --- export and round trip --------------------------------------------------------------------------


async def test_export_layout(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    r = await api.get(f"{A}/export", params={"format": "xlsx"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == xlsx.MEDIA_TYPE
    assert r.headers["content-disposition"] == 'attachment; filename="WBC.16-2024.xlsx"'
    by_accept = await api.get(f"{A}/export", headers=admin | {"Accept": xlsx.MEDIA_TYPE})
    assert by_accept.headers["content-type"] == xlsx.MEDIA_TYPE

    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    assert wb.sheetnames == ["PK", "IKU", "Realisasi", "Rincian", "Addendum", "Satker", "Manual", "Dilaporkan"]
    pk = {row[0]: row[1] for row in wb["PK"].iter_rows(values_only=True)}
    assert pk["Number"] == "PK-29/BC/2024" and pk["Year"] == 2024 and pk["Rule set"] == "KMK-300-2022"
    iku = list(wb["IKU"].iter_rows(values_only=True))
    assert iku[0][:13] == tuple(
        [
            "SS code",
            "SS name",
            "Perspective",
            "SS weight",
            "IKU code",
            "IKU name",
            "Polarity",
            "Unit",
            "Scale",
            "Consolidation",
            "Validity",
            "Weight",
            "Region aggregation",
        ]
    )
    assert iku[0][13:] == ("Q1", "Q2", "S1", "Q3", "TQ3", "Q4", "Y")
    rows = {row[4]: row for row in iku[1:]}
    assert len(rows) == 16
    assert rows["1a-N"][:13] == (
        "SS-1",
        "Dukungan terhadap perekonomian yang optimal",
        "stakeholder",
        1,
        "1a-N",
        "Waktu penyelesaian proses kepabeanan",
        "min",
        "days",
        None,
        "take_last_known_value",
        "P/M",
        1,
        "sum_of_parts",
    )
    assert rows["4a-N"][13:] == ("-", "-", "-", "-", "-", 3, 3)  # the original PK: "-" until Q4
    assert rows["8a-N"][13:] == (None,) * 6 + (78,)  # not set vs "-"
    real = {row[0]: row for row in wb["Realisasi"].iter_rows(values_only=True)}
    assert real["1a-N"][2:] == (0.5201, 0.5844, 0.5532, 0.3285, 0.4695, 0.1991, 0.3969)
    parts = list(wb["Rincian"].iter_rows(values_only=True))
    assert parts[0] == ("IKU code", "Period", "Part", "Value")
    assert ("1a-N", "M01", "green_docs", 1099) in parts
    addendum = list(wb["Addendum"].iter_rows(values_only=True))
    assert addendum[1][0] == "PK-29A/BC/2024" and addendum[1][4] == "4a-N"
    assert addendum[1][5:] == (None, 3, 3, 3, 3, None, None)
    wb.close()


async def test_round_trip_into_a_fresh_database(
    api: httpx.AsyncClient, pg_url: str, auth: AuthSettings, mint: Mint, tmp_path: Path
) -> None:
    admin = bearer(mint("admin"))  # the actor of the session's seed import: addenda carry it
    exported = await api.get(f"{A}/export", params={"format": "xlsx"}, headers=admin)
    assert exported.status_code == 200
    original = (await api.get(f"{A}/bundle", headers=admin)).json()

    with sibling_database(pg_url, "excel") as url:
        fresh = build_system(
            common=CommonSettings(environment="test", data_dir=tmp_path),
            auth=auth,
            settings={"registry": RegistrySettings(database_url=url)},
            services=("registry", "scoring"),
        )
        async with running(fresh):
            transport = httpx.ASGITransport(app=fresh.apps["registry"])
            async with httpx.AsyncClient(transport=transport, base_url="http://fresh") as client:
                r = await client.post(f"{R}/import", content=exported.content, headers=admin | XLSX)
                assert r.status_code == 201, r.text
                assert r.json()["satkers_created"] == ["WBC.16"]
                assert r.json()["indicators"] == 16 and r.json()["addenda"] == 1 and r.json()["manuals"] == 16
                copy = (await client.get(f"{A}/bundle", headers=admin)).json()
                before = await client.get(f"{A}/bundle", params={"as_of": "2024-05-01T00:00:00+07:00"}, headers=admin)
    original.pop("as_of")
    copy.pop("as_of")
    assert copy == original
    assert before.json()["agreement"]["version"] == 1  # the PK's and the addendum's recorded_at came along


def test_workbook_round_trip_is_exact() -> None:
    from services.registry.seed import load_seed_document

    doc = parse(load_seed_document())
    back = parse(xlsx.read_workbook(xlsx.write_workbook(doc)).document)
    assert back == doc


# --- the users' own layout ----------------------------------------------------------------------------


def users_workbook() -> bytes:
    """A workbook as a performance manager keeps it: Indonesian labels, a title row, merged SS cells."""
    wb = Workbook()
    pk = wb.active
    pk.title = "Perjanjian"
    for row in (
        ["PERJANJIAN KINERJA 2024"],
        ["Kode Satker", "KBC.1670"],
        ["Tahun", 2024],
        ["Nomor PK", "PK-70/KBC.1670/2024"],
        ["Rule set", "KMK-300-2022"],
        ["Rule set version", 1],
        ["Tanggal", "2024-01-26"],
        ["Periode ditutup", "Q1"],
    ):
        pk.append(row)
    iku = wb.create_sheet("iku")
    iku.append(["Tabel 2.3 Sasaran Strategis sesuai Manual IKU"])
    iku.append(
        [
            "Kode SS",
            "Sasaran Strategis",
            "Perspektif",
            "Kode IKU",
            "IKU",
            "Polarisasi",
            "Satuan Pengukuran",
            "Validitas / Tingkat Kendali",
            "Konsolidasi Periode",
            "Q1",
            "Q2",
            "s.d. Q2",
            "Q3",
            "s.d. Q3",
            "Q4",
            "Y-24",
            None,
        ]
    )
    iku.append(
        ["SS-1", "Dukungan perekonomian", "Stakeholder", "1a-N", "Waktu penyelesaian", "Min", "hari", "P / M",
         "Take Last Known Value", 0.75, "0.75", 0.75, 0.75, 0.75, 0.75, 0.75, "catatan"]
    )  # fmt: skip
    iku.append([None, None, None, "1b-N", "UMKM", "Max", "%", "P / M", "Take Last Known Value", 0.06, 0.31])
    iku["J4"].number_format = iku["K4"].number_format = "0%"  # 6 % shown, 0.06 stored
    iku.merge_cells("A3:A4")
    iku.append(["SS-4", "Kepuasan", "Customer", "4a-N", "Indeks kepuasan", "Max", "indeks", "E/M", None, "-", "-"])
    iku["P5"] = 3
    real = wb.create_sheet("Realisasi")
    real.append(["Kode IKU", "Nama IKU", "Realisasi Q1", "M01"])
    real.append(["1a-N", "Waktu penyelesaian", 0.5201, None])
    real.append(["1b-N", "UMKM", "86.92", "-"])
    parts = wb.create_sheet("Rincian")
    parts.append(["Kode IKU", "Periode", "Komponen", "Nilai"])
    parts.append(["1a-N", "M01", "green_docs", 1099])
    parts.append([None, None, "red_docs", 306])
    parts.append([None, "M02", "green_docs", 1011])
    satker = wb.create_sheet("Satker")
    satker.append(["Kode", "Nama", "Jenis", "Induk"])
    satker.append(["KBC.1670", "KPPBC Uji", "KPPBC TMP C", "WBC.16"])
    wb.create_sheet("Catatan").append(["anything", "else"])  # other sheets are not read
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def test_users_layout_imports(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    r = await post(api, admin, users_workbook())
    assert r.status_code == 201, r.text
    assert r.json()["satkers_created"] == ["KBC.1670"] and r.json()["measures"] == 5
    b = (await api.get(f"{R}/satkers/KBC.1670/agreements/2024/bundle", headers=admin)).json()
    assert [(o["code"], o["perspective"]) for o in b["objectives"]] == [("SS-1", "stakeholder"), ("SS-4", "customer")]
    ind = {i["code"]: i for i in b["indicators"]}
    assert ind["1b-N"]["objective"] == "SS-1"  # the merged SS cell
    assert ind["1a-N"]["validity_control"] == "P/M" and ind["1a-N"]["polarity"] == "min"
    assert {p: t["value"] for p, t in ind["1a-N"]["targets"].items()} == dict.fromkeys(
        ("Q1", "Q2", "S1", "Q3", "TQ3", "Q4", "Y"), 0.75
    )
    assert {p: t["value"] for p, t in ind["1b-N"]["targets"].items()} == {"Q1": 6, "Q2": 31}
    assert {p: t["value"] for p, t in ind["4a-N"]["targets"].items()} == {"Q1": None, "Q2": None, "Y": 3}
    assert ind["1a-N"]["measures"] == {
        "Q1": {"realization": 0.5201},
        "M01": {"green_docs": 1099, "red_docs": 306},
        "M02": {"green_docs": 1011},
    }
    assert ind["1b-N"]["measures"] == {"Q1": {"realization": 86.92}}
    assert b["closed_periods"] == ["Q1"]


# --- errors name sheet, row and column; nothing is written ---------------------------------------------


def _set(ref: str, value: Any) -> Callable[[Workbook], None]:
    sheet, cell = ref.split("!")

    def change(wb: Workbook) -> None:
        wb[sheet][cell] = value

    return change


@pytest.mark.parametrize(
    ("ref", "value", "reason"),
    [
        ("IKU!G3", "Up", "max"),  # unknown polarity (row 3 = the second IKU)
        ("IKU!N2", "tinggi", "not a number"),  # a target that is text
        ("IKU!E3", "1a-N", "duplicate IKU code"),
        ("IKU!C4", "Finance", "not a perspective"),
        ("IKU!L4", 0, "positive"),
        ("Realisasi!C2", "#DIV/0!", "Excel error"),
        ("Rincian!D2", "banyak", "not a number"),
        ("Dilaporkan!A2", "Q9", "not a period"),
        ("PK!B3", "dua ribu", "not a number"),
        ("PK!B4", "PK-29/BC/2024", "already used"),  # a conflict raised by the import itself
        ("Satker!C2", "warung", "Input should be"),
    ],
)
async def test_cell_errors(api: httpx.AsyncClient, admin: dict[str, str], ref: str, value: Any, reason: str) -> None:
    doc = mini_document("KBC.1671", 2024, "PK-71/KBC.1671/2024")
    doc["agreement"]["measures"] = {"1a-N": {"Q1": {"realization": 0.52}, "M01": {"green_docs": 1099}}}
    status = 409 if "already" in reason else 422
    errors = await refused(api, admin, "KBC.1671", workbook_of(doc, _set(ref, value)), status)
    assert errors[0]["field"] == ref, errors
    assert reason in errors[0]["reason"], errors


async def test_all_bad_cells_are_listed(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    doc = mini_document("KBC.1672", 2024, "PK-72/KBC.1672/2024")

    def change(wb: Workbook) -> None:
        wb["IKU"]["N2"] = "tinggi"
        wb["IKU"]["O3"] = "sedang"
        wb["IKU"]["Q1"] = "Polarty"

    errors = await refused(api, admin, "KBC.1672", workbook_of(doc, change))
    assert [e["field"] for e in errors] == ["IKU!Q1", "IKU!N2", "IKU!O3"]
    assert errors[0]["reason"] == "unknown column 'Polarty'"


async def test_unreadable_cells_and_schema_errors_come_in_one_answer(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """A text target (the conversion refuses it) AND an unknown polarity and satker kind (the
    schema refuses them): every one of them, each with its cell, in the same 422."""
    doc = mini_document("KBC.1699", 2024, "PK-99/KBC.1699/2024")

    def change(wb: Workbook) -> None:
        wb["IKU"]["N2"] = "tinggi"
        wb["IKU"]["G3"] = "Up"
        wb["Satker"]["C2"] = "warung"

    errors = await refused(api, admin, "KBC.1699", workbook_of(doc, change))
    fields = {e["field"]: e["reason"] for e in errors}
    assert {"IKU!N2", "IKU!G3", "Satker!C2"} <= set(fields), errors
    assert "not a number" in fields["IKU!N2"] and "max" in fields["IKU!G3"]


def test_at_most_max_errors_cells_are_listed() -> None:
    doc = mini_document("KBC.1699", 2024, "PK-99/KBC.1699/2024")

    def change(wb: Workbook) -> None:
        for n in range(2, xlsx.MAX_ERRORS + 60):
            wb["Rincian"].append(["1a-N", f"M{(n % 12) + 1:02d}", f"part_{n}", "banyak"])

    converted = xlsx.read_workbook(workbook_of(doc, change))
    with pytest.raises(ProblemError) as caught:
        xlsx.validated(converted)
    assert len(caught.value.errors or []) == xlsx.MAX_ERRORS


async def test_import_error_after_writes_names_the_cell_and_rolls_back(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    doc = mini_document("KBC.1673", 2024, "PK-73/KBC.1673/2024")
    doc["agreement"]["measures"] = {"1a-N": {"Q1": {"realization": 0.52}}}

    def change(wb: Workbook) -> None:  # satker, agreement and targets are written before the measures
        wb["Realisasi"].append(["9z-N", "unknown", None, None, None, None, None, None, 1])

    errors = await refused(api, admin, "KBC.1673", workbook_of(doc, change))
    assert errors == [{"field": "Realisasi!A5", "reason": "unknown IKU 9z-N"}]


async def test_duplicates_are_refused(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    doc = mini_document("KBC.1674", 2024, "PK-74/KBC.1674/2024")
    doc["agreement"]["measures"] = {"1a-N": {"Q1": {"realization": 0.52}, "M01": {"green_docs": 1}}}

    def change(wb: Workbook) -> None:
        wb["Realisasi"]["A3"] = "1a-N"  # the row of 1b-N now repeats 1a-N
        wb["Rincian"].append(["1a-N", "M01", "green_docs", 2])
        wb["IKU"]["B3"] = "Another name for SS-1"
        wb["IKU"]["U1"] = "Y-24"  # a second Y column

    errors = await refused(api, admin, "KBC.1674", workbook_of(doc, change))
    fields = {e["field"]: e["reason"] for e in errors}
    assert set(fields) == {"IKU!U1", "IKU!B3", "Realisasi!A3", "Rincian!C3"}, errors
    assert "appears twice" in fields["Realisasi!A3"] and "given twice" in fields["Rincian!C3"]
    assert "IKU!B2" in fields["IKU!B3"]


async def test_missing_sheets_and_columns(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    doc = mini_document("KBC.1675", 2024, "PK-75/KBC.1675/2024")

    def no_iku(wb: Workbook) -> None:
        del wb["IKU"]

    errors = await refused(api, admin, "KBC.1675", workbook_of(doc, no_iku))
    assert errors == [{"field": "IKU", "reason": "missing sheet 'IKU'"}]

    def no_polarity(wb: Workbook) -> None:
        wb["IKU"].delete_cols(7)

    errors = await refused(api, admin, "KBC.1675", workbook_of(doc, no_polarity))
    assert errors == [{"field": "IKU", "reason": "missing column 'Polarity'"}]

    errors = await refused(api, admin, "KBC.1675", workbook_of(doc, _set("IKU!G3", None)))
    assert errors == [{"field": "IKU!G3", "reason": "Field required"}]  # the empty cell

    def no_year(wb: Workbook) -> None:
        wb["PK"].delete_rows(3)

    errors = await refused(api, admin, "KBC.1675", workbook_of(doc, no_year))
    assert errors == [{"field": "PK", "reason": "missing field 'Year' (label in column A, value in column B)"}]


async def test_formulas_are_never_evaluated(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    doc = mini_document("KBC.1676", 2024, "PK-76/KBC.1676/2024")
    raw = workbook_of(doc, _set("IKU!T2", "=0.5+0.25"))  # saved by openpyxl: no cached value
    errors = await refused(api, admin, "KBC.1676", raw)
    assert errors[0]["field"] == "IKU!T2" and "formula without a cached value" in errors[0]["reason"]

    cached = _with_cached_value(raw, "T2", "0.75")  # as Excel saves it: the formula and its value
    r = await post(api, admin, cached)
    assert r.status_code == 201, r.text
    t = await api.get(f"{R}/satkers/KBC.1676/agreements/2024/bundle", headers=admin)
    assert next(i for i in t.json()["indicators"] if i["code"] == "1a-N")["targets"]["Y"]["value"] == 0.75


def _with_cached_value(raw: bytes, cell: str, value: str) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                text, n = re.subn(
                    rf'(<c r="{cell}"[^>]*>)<f>([^<]*)</f><v\s*/?>(</v>)?', rf"\1<f>\2</f><v>{value}</v>", data.decode()
                )
                assert n == 1, data.decode()[:2000]
                data = text.encode()
            dst.writestr(info, data)
    return out.getvalue()


async def test_not_a_workbook_is_415(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for content in (
        b"satker;year\nKBC.1677;2024\n",  # CSV
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,  # Excel 97-2003
        _zip({"hello.txt": b"hi"}),  # a zip, but no workbook
        _zip({"xl/workbook.xml": b"<nonsense"}),  # a broken workbook
    ):
        r = await post(api, admin, content)
        assert r.status_code == 415, (content[:20], r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    xls = await post(api, admin, b"\xd0\xcf\x11\xe0" + b"\0" * 60)
    assert ".xls" in xls.json()["detail"]
    # ?format=xlsx overrides the declared type
    r = await api.post(f"{R}/import", params={"format": "xlsx"}, content=b"{}", headers=admin)
    assert r.status_code == 415


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


async def test_too_large_is_413(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    r = await post(api, admin, b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024))
    assert r.status_code == 413
    bomb = io.BytesIO()  # small on the wire, huge unpacked
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", b"<workbook/>")
        z.writestr("xl/sharedStrings.xml", b" " * (xlsx.MAX_UNCOMPRESSED + 1))
    assert len(bomb.getvalue()) < 1024 * 1024
    r = await post(api, admin, bomb.getvalue())
    assert r.status_code == 413 and "unpacks" in r.json()["detail"]


def _rewritten(raw: bytes, change: Callable[[str, bytes], bytes], extra: dict[str, bytes]) -> bytes:
    """The workbook ``raw`` with every member passed through ``change(name, data)``, ``extra`` added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change(info.filename, src.read(info)))
        for name, data in extra.items():
            dst.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("what", ["shared strings", "cells"])
async def test_too_many_strings_or_cells_is_413_before_openpyxl_reads(
    api: httpx.AsyncClient, admin: dict[str, str], what: str
) -> None:
    """A valid workbook, small packed and well under the unpacked limit, padded with unused
    shared strings or empty cells: refused from the count, not read by openpyxl."""
    satker = "KBC.1697" if what == "cells" else "KBC.1698"
    doc = mini_document(satker, 2024, f"PK-79/{satker}/2024")
    raw = workbook_of(doc)

    def pad(name: str, data: bytes) -> bytes:
        if what == "shared strings" and name == "[Content_Types].xml":  # the writer uses inline strings
            part = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
            override = b'<Override PartName="/xl/sharedStrings.xml" ContentType="' + part + b'"/>'
            return data.replace(b"</Types>", override + b"</Types>")
        if what == "cells" and name == "xl/worksheets/sheet1.xml":
            rows = b"".join(
                b'<row r="%d">' % n
                + b"".join(b'<c r="%s%d"/>' % (c, n) for c in (b"C", b"D", b"E", b"F", b"G"))
                + b"</row>"
                for n in range(1000, 1000 + xlsx.MAX_CELLS // 5 + 1)
            )
            return data.replace(b"</sheetData>", rows + b"</sheetData>")
        return data

    strings = b"<sst>" + b"<si><t>a</t></si>" * (xlsx.MAX_SHARED_STRINGS + 1) + b"</sst>"
    padded = _rewritten(raw, pad, {"xl/sharedStrings.xml": strings} if what == "shared strings" else {})
    assert len(padded) < 2 * 1024 * 1024
    r = await post(api, admin, padded)
    assert r.status_code == 413, r.text
    assert what in r.json()["detail"]
    assert (await api.get(f"{R}/satkers/{satker}", headers=admin)).status_code == 404


def test_tag_counting_across_chunks() -> None:
    """A tag cut by a chunk boundary is counted once."""
    raw = io.BytesIO()
    body = b"x" * (1024 * 1024 - 3) + b"<si><t>a</t></si>" * 3
    with zipfile.ZipFile(raw, "w") as z:
        z.writestr("s.xml", body)
    with zipfile.ZipFile(raw) as z:
        assert xlsx_book._count_tags(z, z.getinfo("s.xml"), xlsx_book._SHARED_STRING, 10) == 3


async def test_format_query_and_authorisation(api: httpx.AsyncClient, admin: dict[str, str], mint: Mint) -> None:
    doc = mini_document("KBC.1678", 2024, "PK-78/KBC.1678/2024")
    raw = workbook_of(doc)
    manager = bearer(mint("kanwil_manager", "WBC.16"))
    assert (await api.post(f"{R}/import", content=raw, headers=manager | XLSX)).status_code == 403
    r = await api.post(
        f"{R}/import",
        params={"format": "xlsx"},
        content=raw,
        headers=admin | {"Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["satkers_created"] == ["KBC.1678"] and r.json()["indicators"] == 3


@pytest.mark.parametrize(
    ("label", "period"),
    [("Q1", "Q1"), ("s.d. Q2", "S1"), ("Sm. I", "S1"), ("s.d. Q3", "TQ3"), ("Y-24", "Y"), ("Target Y", "Y"),
     ("m1", "M01"), ("M12", "M12"), ("Q5", None), ("M13", None)],
)  # fmt: skip
def test_period_labels(label: str, period: str | None) -> None:
    assert xlsx.period_of(label) == period


async def test_errors_inside_addenda_and_manuals_name_their_cells(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    doc = mini_document("KBC.1679", 2024, "PK-79/KBC.1679/2024")
    doc["agreement"]["addenda"] = [{"number": "PK-79A/KBC.1679/2024", "targets": {"9z-N": {"Q2": 31}}}]
    errors = await refused(api, admin, "KBC.1679", workbook_of(doc))
    assert errors == [{"field": "Addendum!E2", "reason": "unknown IKU"}]

    doc["agreement"]["addenda"] = []
    doc["agreement"]["manuals"] = {"1b-N": {"version": 1, "realization": {"op": "no_such_op"}}}
    errors = await refused(api, admin, "KBC.1679", workbook_of(doc))
    assert errors and all(e["field"] == "Manual!B2" for e in errors), errors
    assert any("(at .realization" in e["reason"] for e in errors), errors
    errors = await refused(api, admin, "KBC.1679", workbook_of(doc, _set("Manual!B2", "{not json")))
    assert errors[0]["field"] == "Manual!B2" and errors[0]["reason"].startswith("not valid JSON")


def test_excel_floats_are_read_as_the_sheet_shows_them() -> None:
    """A computed cell holds a double (0.1 + 0.2 = 0.30000000000000004); the sheet shows 0.3."""
    assert xlsx.excel_float(0.1 + 0.2) == Decimal("0.3")
    assert xlsx.excel_float(1 / 3) == Decimal("0.3333333333")  # the stored precision, 10 decimals
    assert xlsx.excel_float(7328.52 / 18464) == Decimal("0.3969085789")  # 0.39690857886...
    assert xlsx.excel_float(2.5) == Decimal("2.5")


async def test_a_computed_target_cell_imports(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    doc = mini_document("KBC.1673", 2024, "PK-73/KBC.1673/2024")

    def change(wb: Workbook) -> None:
        wb["IKU"]["N2"] = "=0.1+0.2"

    # Excel stores the formula's cached value with 17 digits (openpyxl would write "0.3")
    raw = _with_cached_value(workbook_of(doc, change), "N2", "0.30000000000000004")
    r = await post(api, admin, raw)
    assert r.status_code == 201, r.text
    targets = (await api.get(f"{R}/satkers/KBC.1673/agreements/2024/indicators/1a-N/targets", headers=admin)).json()
    assert targets["targets"]["Q1"]["value"] == 0.3, targets


async def test_a_reporting_time_in_the_future_names_its_cell(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    """The Dilaporkan sheet (ADR 0024): the import's own check on a past reporting time, at its cell."""
    doc = mini_document("KBC.1672", 2024, "PK-72/KBC.1672/2024")
    doc["agreement"]["measures"] = {"1a-N": {"Q1": {"realization": 0.52}}}

    def change(wb: Workbook) -> None:
        wb["Dilaporkan"]["A2"], wb["Dilaporkan"]["B2"] = "Q1", "2099-01-01T00:00:00+00:00"

    errors = await refused(api, admin, "KBC.1672", workbook_of(doc, change))
    assert (errors[0]["field"], "future" in errors[0]["reason"]) == ("Dilaporkan!B2", True), errors
