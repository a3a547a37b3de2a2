"""The LAKIN report (issue 12) on the demo data: the JSON equals the scores API and the seed's
tables, in Indonesian by default and English on request; all seven periods in one answer; the
Kanwil's consolidated view; bad input answers problem+json. PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from kernel.settings import AuthSettings
from kernel.testing import sibling_database
from runner.composition import System
from tests.conftest import Mint, bearer
from tests.paths import in_checkout
from tests.registry.conftest import mini_document
from tests.scoring.lakin import demo_system

pytestmark = pytest.mark.anyio
R = "/api/v1/scoring/satkers/WBC.16"
PERIODS = ["Q1", "Q2", "S1", "Q3", "TQ3", "Q4", "Y"]


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def database(request: pytest.FixtureRequest, pg_url: str) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    with sibling_database(pg_url, "lakin") as url:
        yield url


@pytest.fixture(scope="module")
async def system(
    database: str | None, auth: AuthSettings, tmp_path_factory: pytest.TempPathFactory, mint: Mint
) -> AsyncIterator[System]:
    async with demo_system(auth, Path(tmp_path_factory.mktemp("lakin")), mint("admin"), database) as built:
        yield built


@pytest.fixture(scope="module")
async def scoring(system: System) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=system.apps["scoring"])
    async with httpx.AsyncClient(transport=transport, base_url="http://scoring.test") as client:
        yield client


@pytest.fixture(scope="module")
async def report(scoring: httpx.AsyncClient, mint: Mint) -> dict[str, Any]:
    r = await scoring.get(f"{R}/report", params={"year": 2024}, headers=bearer(mint("viewer", "WBC.16")))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _history() -> dict[str, Any]:
    with in_checkout("services/registry/seed/kalbagtim-2024/history.yaml").open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def _d(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v))


async def test_report_equals_the_scores_api(report: dict[str, Any], scoring: httpx.AsyncClient, mint: Mint) -> None:
    assert (report["nko_display"], report["predicate"], report["language"]) == ("118.30", "Istimewa", "id")
    assert report["title"] == "Laporan Kinerja (LAKIN) Tahun 2024"
    scores = (await scoring.get(f"{R}/scores", params={"year": 2024}, headers=bearer(mint()))).json()
    assert report["nko"] == scores["nko"]
    assert [(p["code"], p["index"]) for p in report["perspectives"]] == [
        (p["code"], p["index"]) for p in scores["perspectives"]
    ]
    assert [p["index_display"] for p in report["perspectives"]] == ["116.54", "117.55", "119.79", "119.50"]
    assert report["perspectives"][2]["name"] == "Internal Process (Proses Bisnis Internal)"
    assert [i["code"] for i in report["indicators"]] == [i["code"] for i in scores["indicators"]]
    assert len(report["indicators"]) == 16 and len(report["objectives"]) == 11
    by_code = {i["code"]: i for i in report["indicators"]}
    for s in scores["indicators"]:
        y = by_code[s["code"]]["year"]
        assert (y["target"], y["realization"], y["index"], y["status"]) == (
            s["target"],
            s["realization"],
            s["index"],
            s["status"],
        )
    assert by_code["1a-N"]["unit_label"] == "hari" and by_code["2a-CP"]["unit_label"] == "%"
    assert by_code["4a-N"]["unit_label"] == "skala 4"
    assert by_code["9a-N"]["year"]["index_display"] == "118.34"
    assert {i["year"]["status_label"] for i in report["indicators"]} <= {"hijau", "kuning", "merah", "abu-abu"}
    assert [c["period"] for c in by_code["1a-N"]["quarterly"]] == PERIODS
    assert by_code["1a-N"]["quarterly"][0]["period_label"] == "Triwulan I"


async def test_seven_periods_in_one_answer(scoring: httpx.AsyncClient, report: dict[str, Any], mint: Mint) -> None:
    r = await scoring.get(f"{R}/scores/periods", params={"year": 2024}, headers=bearer(mint()))
    assert r.status_code == 200, r.text
    table = r.json()
    assert [p["period"] for p in table["periods"]] == PERIODS
    for period in ("Q1", "TQ3", "Y"):
        one = (await scoring.get(f"{R}/scores", params={"year": 2024, "period": period}, headers=bearer(mint()))).json()
        row = next(p for p in table["periods"] if p["period"] == period)
        assert (row["nko"], row["predicate"]) == (one["nko"], one["predicate"])
        for s in one["indicators"]:
            cell = next(c for c in table["indicators"][s["code"]] if c["period"] == period)
            assert (cell["realization"], cell["index"], cell["status"]) == (s["realization"], s["index"], s["status"])
            quarterly = next(i for i in report["indicators"] if i["code"] == s["code"])["quarterly"]
            assert next(c for c in quarterly if c["period"] == period) == cell


async def test_five_year_trend_equals_the_seed_tables(report: dict[str, Any]) -> None:
    by_code = {i["code"]: i for i in report["indicators"]}
    for ind in _history()["indicators"]:
        trend = by_code[ind["code"]]["trend"]
        assert [t["year"] for t in trend] == [2020, 2021, 2022, 2023, 2024], ind["code"]
        for t, row in zip(trend[:4], [r for r in ind["rows"] if 2020 <= r["year"] <= 2023], strict=True):
            assert t["source"] == "history"
            assert (_d(t["target"]), _d(t["realization"]), _d(t["index"])) == (
                _d(row.get("target")),
                _d(row.get("realization")),
                _d(row.get("index")),
            ), (ind["code"], row["year"])
        assert trend[4]["source"] == "agreement" and trend[4]["index"] == by_code[ind["code"]]["year"]["index"]
    # the sub-series (risk management within 10b-N): all five rows recorded, equal to the seed
    subs = _history()["sub_indicators"]
    for ind in report["indicators"]:
        assert [x["key"] for x in ind["sub_series"]] == [x["key"] for x in subs if x["part_of"] == ind["code"]]
    for sub in subs:
        (got,) = [x for x in by_code[sub["part_of"]]["sub_series"] if x["key"] == sub["key"]]
        assert got["name"] == sub["rows"][-1]["name"]
        assert [
            (t["year"], t["source"], _d(t["target"]), _d(t["realization"]), _d(t["index"])) for t in got["rows"]
        ] == [
            (r["year"], "history", _d(r.get("target")), _d(r.get("realization")), _d(r.get("index")))
            for r in sub["rows"]
        ]


async def test_plans_budget_and_analysis(report: dict[str, Any]) -> None:
    by_code = {i["code"]: i for i in report["indicators"]}
    assert {(p["plan_label"], p["target"]) for p in by_code["3a-CP"]["plans"]} == {
        ("Renja Kemenkeu", 80),
        ("Renstra DJBC", 78.33),
    }
    assert by_code["1a-N"]["plans"] == []
    b = report["budget"]
    assert (b["total"]["revised"], b["total"]["net"]) == (6839826000, 6620210349)
    assert b["previous"]["revised"] == 4440923000
    assert b["spending_type_labels"]["belanja_modal"] == "Belanja Modal"
    expected = [i["code"] for i in report["indicators"] if i["year"]["status"] in ("red", "yellow")]
    assert [a["indicator"] for a in report["analysis"]] == expected
    assert all(a["notes"] == [] for a in report["analysis"])  # the reporting cycle adds them (issue 11)


async def test_english_labels_codes_unchanged(scoring: httpx.AsyncClient, report: dict[str, Any], mint: Mint) -> None:
    r = await scoring.get(
        f"{R}/report", params={"year": 2024}, headers=bearer(mint()) | {"Accept-Language": "en-GB,en;q=0.9,id;q=0.5"}
    )
    en = r.json()
    assert en["language"] == "en" and en["title"] == "Performance Report (LAKIN) 2024"
    assert en["indicators"][0]["unit_label"] == "days" and en["indicators"][0]["year"]["status_label"] == "green"
    assert [i["year"]["status"] for i in en["indicators"]] == [i["year"]["status"] for i in report["indicators"]]
    assert en["nko"] == report["nko"]


async def test_bad_input_is_problem_json(scoring: httpx.AsyncClient, mint: Mint) -> None:
    r = await scoring.get(f"{R}/report", params={"year": 2023}, headers=bearer(mint()))
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    foreign = bearer(mint("satker_operator", "KBC.1603"))
    outside = await scoring.get(f"{R}/report", params={"year": 2024}, headers=foreign)
    unknown = await scoring.get("/api/v1/scoring/satkers/NOPE.9/report", params={"year": 2024}, headers=foreign)
    assert outside.status_code == unknown.status_code == 403
    assert outside.headers["content-type"].startswith("application/problem+json")
    assert outside.json()["detail"].replace("WBC.16", "X") == unknown.json()["detail"].replace("NOPE.9", "X")
    r = await scoring.get(f"{R}/report", params={"year": 2024, "format": "docx"}, headers=bearer(mint()))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "format"
    r = await scoring.get(f"{R}/report/consolidated", params={"year": 2024, "format": "odt"}, headers=bearer(mint()))
    assert r.status_code == 422


async def test_kanwil_consolidated(system: System, scoring: httpx.AsyncClient, mint: Mint) -> None:
    transport = httpx.ASGITransport(app=system.apps["registry"])
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as registry:
        for code, uptake in (("KBC.1691", 50), ("KBC.1692", 90)):
            doc = mini_document(code, 2024, f"PK-{code}/2024")
            doc["agreement"]["measures"] = {
                "1a-N": {"Y": {"realization": 0.5}},
                "1b-N": {"Y": {"realization": uptake}},  # 50 of 82: red; 90: green
                "4a-N": {"Y": {"realization": 3.5}},
            }
            r = await registry.post("/api/v1/registry/import", json=doc, headers=bearer(mint()))
            assert r.status_code == 201, r.text
    r = await scoring.get(f"{R}/report/consolidated", params={"year": 2024}, headers=bearer(mint("viewer", "WBC.16")))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["own"]["nko_display"], body["own"]["predicate"]) == ("118.30", "Istimewa")
    codes = [m["code"] for m in body["members"]]
    assert codes == ["KBC.1692", "KBC.1691"] and [m["rank"] for m in body["members"]] == [1, 2]
    assert body["members"][1]["red"] == ["1b-N"]
    assert body["red_indicators"] == [{"indicator": "1b-N", "name": "UMKM", "satkers": ["KBC.1691"]}]
    nkos = [m["nko"] for m in body["members"]]
    assert nkos == sorted(nkos, reverse=True)
    for m in body["members"]:
        one = (
            await scoring.get(
                f"/api/v1/scoring/satkers/{m['code']}/scores", params={"year": 2024}, headers=bearer(mint())
            )
        ).json()
        assert (m["nko"], m["predicate"]) == (one["nko"], one["predicate"])
        assert m["red"] == [i["code"] for i in one["indicators"] if i["status"] == "red"]
    r = await scoring.get(f"{R}/report/consolidated", params={"year": 2023}, headers=bearer(mint()))
    assert r.status_code == 404


async def test_report_reads_evidence_only_for_periods_declared_complete(
    system: System, scoring: httpx.AsyncClient, mint: Mint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ADR 0020: before a period is declared complete its reported realisation stands, so the
    report (like /scores) scores it without evidence, and does not ask evidence for it (ADR 0014)."""
    bundle = await system.peers["registry"].get_json(
        "/api/v1/registry/satkers/WBC.16/agreements/2024/bundle", token=mint("admin")
    )
    states = {q: (c or {}).get("state") for q, c in bundle["cycle"].items()}
    windows = {"Q1": "1", "Q2": "2", "Q3": "3", "Q4": "4", "S1": "12", "TQ3": "123", "Y": "1234"}
    declared = {
        p
        for p, qs in windows.items()
        if all(states.get(f"Q{q}") in ("submitted", "validated", "published") for q in qs)
    }
    asked: list[str] = []
    client = system.peers["evidence"]
    original = client.get_json

    async def spy(path: str, *, token: str | None, params: Any = None) -> Any:
        asked.append(params["period"])
        return await original(path, token=token, params=params)

    monkeypatch.setattr(client, "get_json", spy)
    r = await scoring.get(f"{R}/report", params={"year": 2024}, headers=bearer(mint("viewer", "WBC.16")))
    assert r.status_code == 200, r.text
    assert sorted(asked) == sorted(declared)
    assert r.json()["nko_display"] == "118.30"
