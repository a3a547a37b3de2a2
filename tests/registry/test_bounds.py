"""Numbers and text a client sends are bounded to what the columns and the engine hold.

Before: a measure of 1e60 made every score of the satker a 500 (quantize overflow); "1e999999"
was a 500 on PostgreSQL and an ``inf`` on SQLite that broke every later read; 5000 digits were
stored and read back as ``null``; NUL in a name and a ``sub`` over 200 characters were 500s.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kernel.db import run_migrations
from kernel.settings import AuthSettings, CommonSettings
from runner.composition import System, build_system, running
from services.registry.settings import RegistrySettings
from tests.conftest import Mint, bearer
from tests.registry.conftest import mini_document

pytestmark = pytest.mark.anyio
R = "/api/v1/registry"
SATKER, YEAR = "KBC.1961", 2024
A = f"{R}/satkers/{SATKER}/agreements/{YEAR}"
M = f"{A}/indicators/1b-N/measures"

POISON: list[Any] = [1e60, "1e60", "1e999999", "-1e999999", "9" * 5000, "NaN", "Infinity", "1.00000000001"]


async def etag(api: httpx.AsyncClient, url: str, headers: dict[str, str]) -> dict[str, str]:
    """``If-Match`` with the measure's current ETag (the precondition of every measure write)."""
    r = await api.get(url, headers=headers)
    assert r.status_code == 200, r.text
    return headers | {"If-Match": r.headers["etag"]}


@pytest.fixture(scope="module")
async def agreement(api: httpx.AsyncClient, admin: dict[str, str]) -> str:
    r = await api.post(f"{R}/import", json=mini_document(SATKER, YEAR, f"PK-96/{SATKER}/{YEAR}"), headers=admin)
    assert r.status_code == 201, r.text
    return A


@pytest.mark.parametrize("value", POISON)
async def test_measure_out_of_range_is_422_and_nothing_is_written(
    api: httpx.AsyncClient, agreement: str, mint: Mint, value: Any
) -> None:
    operator = bearer(mint("satker_operator", SATKER, sub="ana"))
    r = await api.put(f"{M}/Q1", json={"parts": {"realization": value}}, headers=await etag(api, f"{M}/Q1", operator))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "parts.realization"
    r = await api.patch(f"{M}/Q1", json={"parts": {"realization": value}}, headers=await etag(api, f"{M}/Q1", operator))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "parts.realization"
    assert (await api.get(f"{M}/Q1", headers=operator)).json()["parts"] == {}


async def test_scores_stay_computable_and_values_round_trip(
    api: httpx.AsyncClient, system: System, agreement: str, mint: Mint
) -> None:
    operator = bearer(mint("satker_operator", SATKER, sub="ana"))
    largest, finest = 999_999_999_999_999, "0.0000000001"
    r = await api.put(
        f"{M}/Y", json={"parts": {"realization": largest, "fine": finest}}, headers=await etag(api, f"{M}/Y", operator)
    )
    assert r.status_code == 200, r.text
    assert r.json()["parts"] == {"realization": largest, "fine": 1e-10}
    transport = httpx.ASGITransport(app=system.apps["scoring"])
    async with httpx.AsyncClient(transport=transport, base_url="http://scoring.test") as scoring:
        s = await scoring.get(f"/api/v1/scoring/satkers/{SATKER}/scores", params={"year": YEAR}, headers=operator)
    assert s.status_code == 200, s.text


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"objectives": {0: {"weight": 1e60}}}, "$.agreement.objectives[0].weight"),
        ({"indicators": {1: {"weight": "1e999999"}}}, "$.agreement.indicators[1].weight"),
        ({"indicators": {2: {"scale": "NaN"}}}, "$.agreement.indicators[2].scale"),
        ({"indicators": {0: {"targets": {"Y": "9" * 5000}}}}, "$.agreement.indicators[0].targets.Y"),
        ({"indicators": {0: {"name": "Clearance\x00time"}}}, "$.agreement.indicators[0].name"),
        ({"number": "PK\x00-1"}, "$.agreement.number"),
    ],
)
async def test_agreement_numbers_and_text_are_bounded(
    api: httpx.AsyncClient, admin: dict[str, str], patch: dict[str, Any], field: str
) -> None:
    doc = mini_document("KBC.1962", YEAR, "PK-97/KBC.1962/2024")
    for key, change in patch.items():
        if isinstance(change, dict):
            for i, fields in change.items():
                doc["agreement"][key][i].update(fields)
        else:
            doc["agreement"][key] = change
    r = await api.post(f"{R}/import", json=doc, headers=admin)
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json()["errors"]}, r.json()
    assert (await api.get(f"{R}/satkers/KBC.1962", headers=admin)).status_code == 404  # nothing half-written


async def test_addendum_targets_and_note_are_bounded(
    api: httpx.AsyncClient, agreement: str, admin: dict[str, str]
) -> None:
    for body, field in (
        ({"number": "PK-96A/2024", "targets": {"1b-N": {"Y": 1e60}}}, "targets.1b-N.Y"),
        ({"number": "PK-96B/2024", "note": "a\x00", "targets": {"1b-N": {"Y": 90}}}, "note"),
    ):
        r = await api.post(f"{A}/addenda", json=body, headers=admin | {"If-Match": "*"})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == field


async def test_nul_in_satker_text_query_and_raw_documents_is_422(
    api: httpx.AsyncClient, agreement: str, admin: dict[str, str]
) -> None:
    r = await api.post(f"{R}/satkers", json={"code": "KBC.1963", "name": "A\x00B", "kind": "pso"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name"
    r = await api.get(f"{R}/satkers", params={"parent": "WBC\x0016"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query"
    r = await api.put(f"{A}/indicators/1b-N/manual", json={"realization": {"op": "part\x00"}}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "document.realization.op"
    r = await api.post(f"{R}/rule-sets", json={"code": "K\x00", "version": 9}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "document.code"


async def test_a_long_provider_subject_can_record(api: httpx.AsyncClient, agreement: str, mint: Mint) -> None:
    subject = "oidc|" + "s" * 245  # 250 characters: more than the old 200-character columns
    operator = bearer(mint("satker_operator", SATKER, sub=subject))
    r = await api.put(f"{M}/Q2", json={"parts": {"realization": 3}}, headers=await etag(api, f"{M}/Q2", operator))
    assert r.status_code == 200, r.text
    assert r.json()["recorded_by"] == subject


# --- SQLite (embedded mode) -----------------------------------------------------------------------


@pytest.fixture
async def sqlite_registry(auth: AuthSettings, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    path = tmp_path / "registry.db"
    common = CommonSettings(environment="test", data_dir=tmp_path)
    built = build_system(
        common=common,
        auth=auth,
        settings={"registry": RegistrySettings(database_url=f"sqlite:///{path}")},
        services=("registry", "scoring"),
    )
    async with running(built):
        transport = httpx.ASGITransport(app=built.apps["registry"])
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
            yield client, path


async def test_sqlite_stores_decimals_as_text_exactly(
    sqlite_registry: tuple[httpx.AsyncClient, Path], mint: Mint
) -> None:
    api, path = sqlite_registry
    admin = bearer(mint("admin"))
    r = await api.post(f"{R}/import", json=mini_document(SATKER, YEAR, "PK-S/2024", parent=None), headers=admin)
    assert r.status_code == 201, r.text
    r = await api.put(f"{M}/Q1", json={"parts": {"realization": "1e999999"}}, headers=await etag(api, f"{M}/Q1", admin))
    assert r.status_code == 422  # was stored as REAL inf: every later read and export a 500
    exact = "12345.1234567891"
    r = await api.put(f"{M}/Q1", json={"parts": {"realization": exact}}, headers=await etag(api, f"{M}/Q1", admin))
    assert r.status_code == 200, r.text
    assert (await api.get(f"{M}/Q1", headers=admin)).json()["parts"] == {"realization": float(exact)}
    with sqlite3.connect(path) as conn:
        stored = conn.execute("select value, typeof(value) from measure where part = 'realization'").fetchall()
        targets = {t for (t,) in conn.execute("select typeof(value) from target where value is not null")}
    assert stored == [(exact, "text")]  # the digits as written, not a REAL
    assert targets == {"text"}


def test_sqlite_migration_0003_keeps_existing_values(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    run_migrations("registry", url, schema=None, revision="0002")
    with sqlite3.connect(tmp_path / "old.db") as conn:
        conn.executescript(
            """
            insert into satker values ('A', 'a', 'kanwil', null, null, '2024-01-01', '2024-01-01');
            insert into agreement values (1, 'A', 2024, 'N', 'L', 1, '2024-01-01', 'x');
            insert into objective values (1, 1, 'SS', 'n', 'p', '0.3', 0);
            insert into indicator values (1, 1, 1, 'I', 'n', 'max', 'u', null, 'c', null, '1', 'own', 0);
            insert into measure values (1, 1, 'Q1', 'p', '0.3969', '2024-01-01', 'x', null);
            """
        )
        assert conn.execute("select typeof(value) from measure").fetchone() == ("real",)
    run_migrations("registry", url, schema=None)
    with sqlite3.connect(tmp_path / "old.db") as conn:
        assert conn.execute("select value, typeof(value) from measure").fetchall() == [("0.3969", "text")]
        assert conn.execute("select weight from objective").fetchall() == [("0.3",)]
        # the partial unique index "one current row" survived the table rebuild
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("insert into measure values (2, 1, 'Q1', 'p', '1', '2024-01-02', 'x', null)")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/satkers/WBC%2016", "code"),
        ("/satkers/-WBC/agreements/2024", "code"),
        ("/satkers/" + "W" * 33 + "/agreements", "code"),
        ("/satkers/WBC.16/agreements/2024/indicators/1a%20N/targets", "iku"),
        ("/satkers/WBC.16/agreements/2024/indicators/.x/measures", "iku"),
    ],
)
async def test_a_malformed_code_in_the_path_is_a_422_naming_it(
    api: httpx.AsyncClient, admin: dict[str, str], path: str, field: str
) -> None:
    r = await api.get(f"{R}{path}", headers=admin)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]


@pytest.mark.parametrize(
    "path",
    [
        "/satkers/WBC.16/agreements/2024",
        "/satkers/WBC.16/agreements/2024/indicators/1a-N/targets",
        "/satkers/WBC.16/agreements/2024/indicators/1a-N/measures",
        "/satkers/WBC.16/agreements/2024/indicators/1a-N/measures/Q1",
    ],
)
async def test_a_malformed_as_of_is_one_422_naming_it(api: httpx.AsyncClient, admin: dict[str, str], path: str) -> None:
    """``as_of`` reaches a route through more than one typed dependency; it is checked once."""
    r = await api.get(f"{R}{path}", params={"as_of": "not-a-moment"}, headers=admin)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["as_of"]
