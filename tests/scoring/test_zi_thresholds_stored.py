"""Every ZI threshold at its boundary through the stored path (issue 13): an evaluation stored in the
registry, submitted, scored by ``GET /scoring/satkers/{code}/zi/{year}/results`` — exactly at the
boundary passes, just below fails. Thresholds: the demo's (seed 002, Tabel 3). A test template
with ratio questions (one per area half, weighing the half) lets the lever shares be set exactly."""

from __future__ import annotations

import copy
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kernel.settings import AuthSettings
from runner.composition import System
from services.registry.seed.zi_demo import demo_template
from tests.conftest import Mint, bearer
from tests.scoring.zi_system import zi_demo_system

pytestmark = pytest.mark.anyio
OFFICE = "KPP.MP.01"
EV = f"/api/v1/registry/satkers/{OFFICE}/zi/evaluations"
TEMPLATE = {"code": "ZI-TEST-BATAS", "version": 1}
_years = itertools.count(2050)


def boundary_template() -> dict[str, Any]:
    doc = copy.deepcopy(demo_template())
    doc.update(TEMPLATE)
    questions = []
    for area in doc["template"]["components"][0]["areas"]:
        for half, weight in area["weights"].items():
            questions.append(
                {
                    "code": f"{area['code']}.{half}",
                    "text": f"Rasio {area['name']} ({half})",
                    "scale": "ratio",
                    "weight": weight,
                    "area": area["code"],
                    "half": half,
                }
            )
    questions += [
        {"code": "ipak", "text": "IPAK", "scale": "survey", "weight": "15", "item": "anti_corruption_perception"},
        {"code": "tlhp", "text": "TLHP", "scale": "ratio", "weight": "5", "item": "performance"},
        {"code": "ipkp", "text": "IPKP", "scale": "survey", "weight": "20", "item": "service_quality_perception"},
    ]
    doc["template"]["questions"] = questions
    return doc


@pytest.fixture(scope="module")
async def system(
    pg_url: str, auth: AuthSettings, mint: Mint, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    async with zi_demo_system(pg_url, "zi_th", auth, mint, Path(tmp_path_factory.mktemp("zi-th"))) as built:
        r = await built.peers["registry"].request(
            "POST", "/api/v1/registry/zi/templates", token=mint(), json=boundary_template()
        )
        assert r.status_code == 201, r.text
        yield built


@pytest.fixture
async def clients(system: System) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["registry"]), base_url="http://r") as reg,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["scoring"]), base_url="http://s") as sco,
    ):
        yield reg, sco


def answers(lever: str = "100", ipak: str = "4", tlhp: str = "1", ipkp: str = "4") -> dict[str, Any]:
    """Every lever ratio lever/100 (so every area's share), the surveys, TLHP as tlhp/1."""
    out: dict[str, Any] = {
        q["code"]: {"answer": {"numerator": lever, "denominator": "100"}}
        for q in boundary_template()["template"]["questions"]
        if "area" in q
    }
    out["ipak"] = {"answer": ipak}
    out["tlhp"] = {"answer": {"numerator": tlhp, "denominator": "1"}}
    out["ipkp"] = {"answer": ipkp}
    return out


#: (predicate, check, what the unit level holds, passed?) — each boundary, then just below it
CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("WBK", "total", {"totals": {"pengungkit": "45", "hasil": "30"}}, True),
    ("WBK", "total", {"totals": {"pengungkit": "45", "hasil": "29.99"}}, False),
    ("WBBM", "total", {"totals": {"pengungkit": "50", "hasil": "35"}}, True),
    ("WBBM", "total", {"totals": {"pengungkit": "50", "hasil": "34.99"}}, False),
    ("WBK", "pengungkit", {"totals": {"pengungkit": "40", "hasil": "40"}}, True),
    ("WBK", "pengungkit", {"totals": {"pengungkit": "39.99", "hasil": "40"}}, False),
    ("WBBM", "pengungkit", {"totals": {"pengungkit": "48", "hasil": "40"}}, True),
    ("WBBM", "pengungkit", {"totals": {"pengungkit": "47.99", "hasil": "40"}}, False),
    ("WBK", "area.supervision", {"answers": answers(lever="60")}, True),
    ("WBK", "area.supervision", {"answers": answers(lever="59.99")}, False),
    ("WBBM", "area.change_management", {"answers": answers(lever="75")}, True),
    ("WBBM", "area.change_management", {"answers": answers(lever="74.99")}, False),
    ("WBK", "hasil.clean_government_min", {"answers": answers(ipak="3.6", tlhp="1")}, True),
    ("WBK", "hasil.clean_government_min", {"answers": answers(ipak="3.6", tlhp="0.9998")}, False),
    ("WBBM", "hasil.clean_government_survey_min", {"answers": answers(ipak="3.6")}, True),
    ("WBBM", "hasil.clean_government_survey_min", {"answers": answers(ipak="3.5999")}, False),
    ("WBK", "hasil.anti_corruption_perception_min", {"answers": answers(ipak="3.60")}, True),
    ("WBK", "hasil.anti_corruption_perception_min", {"answers": answers(ipak="3.5999")}, False),
    ("WBBM", "hasil.tlhp_min", {"answers": answers(tlhp="1")}, True),
    ("WBBM", "hasil.tlhp_min", {"answers": answers(tlhp="0.9999")}, False),
    ("WBK", "hasil.public_service_min", {"answers": answers(ipkp="3.2")}, True),
    ("WBK", "hasil.public_service_min", {"answers": answers(ipkp="3.1999")}, False),
    ("WBK", "hasil.public_service_survey_min", {"answers": answers(ipkp="3.20")}, True),
    ("WBK", "hasil.public_service_survey_min", {"answers": answers(ipkp="3.1999")}, False),
    ("WBBM", "hasil.public_service_min", {"answers": answers(ipkp="3.6")}, True),
    ("WBBM", "hasil.public_service_min", {"answers": answers(ipkp="3.5999")}, False),
    ("WBBM", "hasil.public_service_survey_min", {"answers": answers(ipkp="3.6")}, True),
    ("WBBM", "hasil.public_service_survey_min", {"answers": answers(ipkp="3.5999")}, False),
]


@pytest.mark.parametrize(("predicate", "check", "level", "passed"), CASES)
async def test_threshold_boundary_through_the_stored_evaluation(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    mint: Mint,
    predicate: str,
    check: str,
    level: dict[str, Any],
    passed: bool,
) -> None:
    reg, sco = clients
    year = next(_years)
    op = bearer(mint("satker_operator", OFFICE, sub="op-th"))
    r = await reg.post(EV, json={"year": year, "template": TEMPLATE}, headers=op)
    assert r.status_code == 201, r.text
    r = await reg.put(f"{EV}/{year}/levels/unit", json=level, headers=op)
    assert r.status_code == 200, r.text
    assert (await reg.post(f"{EV}/{year}/levels/unit/submit", headers=op)).status_code == 200
    r = await sco.get(
        f"/api/v1/scoring/satkers/{OFFICE}/zi/{year}/results", params={"level": "unit"}, headers=bearer(mint())
    )
    assert r.status_code == 200, r.text
    result = next(p for p in r.json()["predicates"] if p["predicate"] == predicate)
    found = next(c for c in result["checks"] if c["code"] == check)
    assert found["passed"] is passed, found
    assert (check in result["failed"]) is not passed
