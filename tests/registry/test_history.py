"""History, plans and budget of a satker (issue 12): the Kalbagtim seed loaded through the API,
read back exactly as transcribed; writes validated before anything changes; who may read/write."""

from __future__ import annotations

import copy
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from alembic import command
from alembic.config import Config

from kernel.db import MIGRATIONS_INI, run_migrations
from services.registry.seed import load_history_requests
from tests.conftest import Mint, bearer
from tests.paths import in_checkout

pytestmark = pytest.mark.anyio
S = "/api/v1/registry/satkers/WBC.16"
SEED = "services/registry/seed/kalbagtim-2024"


@pytest.fixture(scope="module")
async def loaded(api: httpx.AsyncClient, admin: dict[str, str]) -> httpx.AsyncClient:
    for path, body in load_history_requests():
        r = await api.put(path, json=body, headers=admin)
        assert r.status_code == 200, (path, r.text)
    return api


def _seed(name: str) -> dict[str, Any]:
    with in_checkout(f"{SEED}/{name}").open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def _dec(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v))


async def test_history_rows_equal_the_seed_tables(loaded: httpx.AsyncClient, mint: Mint) -> None:
    r = await loaded.get(f"{S}/history", params={"limit": 500}, headers=bearer(mint("viewer", "WBC.16")))
    assert r.status_code == 200, r.text
    got = {(x["indicator"], x["series"], x["year"]): x for x in r.json()["items"]}
    expected = 0
    for ind in _seed("history.yaml")["indicators"]:
        for row in ind["rows"]:
            if row["year"] == 2024:  # the agreement's year: computed, never stored as history
                assert (ind["code"], None, 2024) not in got
                continue
            expected += 1
            x = got[(ind["code"], None, row["year"])]
            for key in ("target", "realization", "index"):
                assert _dec(x[key]) == _dec(row.get(key)), (ind["code"], row["year"], key)
            assert x["name"] == row["name"] and x["unit"] == row["unit"]
            assert x["same_indicator"] is (row.get("same_indicator_as") is not None)
    # the sub-series (a part of an IKU with its own five-year table): every year, 2024 included
    for sub in _seed("history.yaml")["sub_indicators"]:
        assert [y for (i, k, y) in got if (i, k) == (sub["part_of"], sub["key"])] == [r["year"] for r in sub["rows"]]
        for row in sub["rows"]:
            expected += 1
            x = got[(sub["part_of"], sub["key"], row["year"])]
            for key in ("target", "realization", "index"):
                assert _dec(x[key]) == _dec(row.get(key)), (sub["key"], row["year"], key)
            assert x["name"] == row["name"]
    assert r.json()["total"] == expected == len(got)
    # the IKU link: 10b-N's predecessor rows keep their printed name (its sub-series follows them)
    one = await loaded.get(f"{S}/history", params={"indicator": "10b-N", "year_to": 2021}, headers=bearer(mint()))
    assert [(x["year"], x["series"], x["name"]) for x in one.json()["items"]] == [
        (2020, None, "Persentase Manajemen Organisasi"),
        (2021, None, "Persentase Manajemen Organisasi"),
        (2020, "manajemen-risiko", "Persentase efektivitas implementasi manajemen risiko"),
        (2021, "manajemen-risiko", "Persentase efektivitas implementasi manajemen risiko"),
    ]
    na = got[("1b-N", None, 2020)]
    assert na["printed"] == "N/A" and na["same_indicator"] is False and na["index"] is None


async def test_lakin_inputs_in_one_answer(loaded: httpx.AsyncClient, mint: Mint) -> None:
    """The report's one read equals the separate reads: the window's history, the year's plans,
    the two budgets (null where none)."""
    viewer = bearer(mint("viewer", "WBC.16"))
    r = await loaded.get(f"{S}/lakin/2024", params={"years": 3}, headers=viewer)
    assert r.status_code == 200, r.text
    body = r.json()
    history = (await loaded.get(f"{S}/history", params={"year_from": 2022, "limit": 500}, headers=viewer)).json()
    assert body["history"] == history["items"] and {x["year"] for x in body["history"]} == {2022, 2023, 2024}
    plans = (await loaded.get(f"{S}/plans", params={"year": 2024, "limit": 500}, headers=viewer)).json()
    assert body["plans"] == plans["items"]
    for key, year in (("budget", 2024), ("previous_budget", 2023)):
        assert body[key] == (await loaded.get(f"{S}/budget/{year}", headers=viewer)).json()
    early = (await loaded.get(f"{S}/lakin/2020", headers=viewer)).json()
    assert early["budget"] is None and early["previous_budget"] is None and early["plans"] == []
    assert {x["year"] for x in early["history"]} == {2019, 2020}  # the window 2016-2020
    r = await loaded.get(f"{S}/lakin/2024", params={"years": 11}, headers=viewer)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    outside = await loaded.get(f"{S}/lakin/2024", headers=bearer(mint("satker_operator", "KBC.1602")))
    assert outside.status_code == 403


async def test_plans_and_budget_as_transcribed(loaded: httpx.AsyncClient, mint: Mint) -> None:
    r = await loaded.get(f"{S}/plans", params={"year": 2024, "indicator": "3a-CP"}, headers=bearer(mint()))
    assert {(p["plan"], p["target"]) for p in r.json()["items"]} == {("renja_kemenkeu", 80), ("renstra_djbc", 78.33)}
    b = (await loaded.get(f"{S}/budget/2024", headers=bearer(mint("viewer", "WBC.16")))).json()
    seed = _seed("budget.yaml")
    assert b["total"]["revised"] == seed["summary"]["budget"] == 6839826000
    assert b["total"]["net"] == seed["summary"]["realization"]
    assert b["total"]["remaining"] == -seed["summary"]["over_under"]
    assert Decimal(str(b["total"]["percent"])).quantize(Decimal("0.01")) == Decimal(seed["summary"]["percent"])
    assert b["by_spending_type"]["belanja_barang"]["net"] == 5078930179  # Tabel 3.84
    assert b["by_spending_type"]["belanja_modal"]["revised"] == 1541910000
    assert [c["kind"] for c in b["changes"]] == ["initial", "addition"]
    assert b["changes"][1]["document_number"] == "ND-2364/BC.01/2024"
    assert len(b["outputs"]) == 11 and sum(o["budget"] for o in b["outputs"]) == 6839826000
    prev = (await loaded.get(f"{S}/budget/2023", headers=bearer(mint()))).json()
    assert (prev["total"]["revised"], prev["total"]["net"]) == (4440923000, 4195664466)  # Tabel 3.82


async def test_writes_are_validated_and_all_or_nothing(loaded: httpx.AsyncClient, admin: dict[str, str]) -> None:
    # a year with an agreement is scored from it: no result of an IKU itself for it (its
    # sub-series rows, the seed's 2024 risk-management row, are taken: nothing scores them)
    row = {"indicator": "1a-N", "name": "Waktu", "polarity": "min", "target": "1", "realization": "0.5"}
    sub = row | {"indicator": "10b-N", "series": "manajemen-risiko", "polarity": "max"}
    r = await loaded.put(f"{S}/history/2024", json={"results": [sub, row]}, headers=admin)
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "year"
    r = await loaded.put(f"{S}/history/2019", json={"results": [sub, sub]}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "results[1]"
    r = await loaded.put(f"{S}/history/2019", json={"results": [row, row]}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "results[1]"
    r = await loaded.put(f"{S}/history/2019", json={"results": [row | {"target": "1e60"}]}, headers=admin)
    assert r.status_code == 422
    r = await loaded.put(f"{S}/history/2019", json={"results": [row | {"polarity": "up"}]}, headers=admin)
    assert r.status_code == 422
    before = (await loaded.get(f"{S}/history", params={"year_to": 2019}, headers=admin)).json()["items"]
    assert [x["indicator"] for x in before] == ["7a-N"]  # unchanged by the refused writes

    body = next(b for p, b in load_history_requests() if p.endswith("/budget/2024"))
    wrong = copy.deepcopy(body)
    wrong["items"][0]["revised"] += 1  # items no longer add up to the pagu history nor the outputs
    r = await loaded.put(f"{S}/budget/2024", json=wrong, headers=admin)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"outputs", "changes"}
    wrong = copy.deepcopy(body)
    wrong["items"][5]["net"] = wrong["items"][5]["gross"]  # refunds 328.000 ignored
    r = await loaded.put(f"{S}/budget/2024", json=wrong, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "items[5].net"
    got = (await loaded.get(f"{S}/budget/2024", headers=admin)).json()
    assert got["total"]["net"] == 6620210349  # unchanged
    r = await loaded.put(
        f"{S}/plans/2024", json={"targets": [{"indicator": "2a-CP", "plan": "renstra"}]}, headers=admin
    )
    assert r.status_code == 422


async def test_who_may_read_and_write(loaded: httpx.AsyncClient, mint: Mint) -> None:
    foreign = bearer(mint("satker_operator", "KBC.1602"))
    unknown = await loaded.get("/api/v1/registry/satkers/NOPE.1/history", headers=foreign)
    outside = await loaded.get(f"{S}/history", headers=foreign)
    assert unknown.status_code == outside.status_code == 403
    assert unknown.json()["detail"].replace("NOPE.1", "X") == outside.json()["detail"].replace("WBC.16", "X")
    r = await loaded.put(f"{S}/plans/2023", json={"targets": []}, headers=bearer(mint("kanwil_manager", "WBC.16")))
    assert r.status_code == 403
    r = await loaded.get(f"{S}/budget/2022", headers=bearer(mint()))
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "year"


def test_sqlite_migration_0014_keeps_rows_and_keys_by_series(tmp_path: Path) -> None:
    """0014 on SQLite (the table is rebuilt): existing rows become the IKU's own (''), the key
    takes the series, and going down removes only the sub-series rows."""
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    run_migrations("registry", url, schema=None, revision="0011")
    row = "'A', {year}, '10b-N', 'n', 'max', '2024-01-01', 'x'"
    insert = (
        "insert into historical_result (satker_code, year, indicator_code, name, polarity, recorded_at, recorded_by"
    )
    with sqlite3.connect(path) as conn:
        conn.execute("insert into satker values ('A', 'a', 'kanwil', null, null, '2024-01-01', '2024-01-01')")
        conn.execute(f"{insert}, same_indicator) values ({row.format(year=2020)}, 1)")
    run_migrations("registry", url, schema=None)
    with sqlite3.connect(path) as conn:
        assert conn.execute("select year, series from historical_result").fetchall() == [(2020, "")]
        conn.execute(f"{insert}, same_indicator, series) values ({row.format(year=2020)}, 1, 'manajemen-risiko')")
        with pytest.raises(sqlite3.IntegrityError):  # a second own row of the IKU-year
            conn.execute(f"{insert}, same_indicator) values ({row.format(year=2020)}, 1)")
    cfg = Config(str(MIGRATIONS_INI), ini_section="registry")
    cfg.attributes["database_url"], cfg.attributes["schema"] = url, None
    command.downgrade(cfg, "0011")
    with sqlite3.connect(path) as conn:
        assert conn.execute("select year, indicator_code from historical_result").fetchall() == [(2020, "10b-N")]
