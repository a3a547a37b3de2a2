"""Issue 9 through the API: registry + scoring composed in-process on PostgreSQL (migrations
included, so KMK-127-2026 comes from data migration 0004), agreements imported through the
registry, scores and explanations read from scoring."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import sibling_database
from runner.composition import System, build_system, running
from services.registry.settings import RegistrySettings
from tests.conftest import Mint, bearer

pytestmark = pytest.mark.anyio
REG = "/api/v1/registry"
SCO = "/api/v1/scoring"


@pytest.fixture(scope="module")
def issue9_db(pg_url: str) -> Iterator[str]:
    with sibling_database(pg_url, "issue9") as url:
        yield url


@pytest.fixture(scope="module")
async def system(issue9_db: str, auth: AuthSettings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[System]:
    common = CommonSettings(environment="test", data_dir=Path(tmp_path_factory.mktemp("issue9-data")))
    built = build_system(
        common=common,
        auth=auth,
        settings={"registry": RegistrySettings(database_url=issue9_db)},
        services=("registry", "scoring"),
    )
    async with running(built):
        yield built


@pytest.fixture(scope="module")
async def clients(system: System) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    reg = httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["registry"]), base_url="http://registry")
    sco = httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["scoring"]), base_url="http://scoring")
    async with reg, sco:
        yield reg, sco


def agreement_on_kmk_127(satker: str, *, manual_worst: Any = 10) -> dict[str, Any]:
    """One office, one SS per perspective; IKU with a negative target, a target 0 with a worst
    realisation, and a sum IKU with quarterly targets only."""
    return {
        "format": "kinerja.agreement/v1",
        "satkers": [{"code": satker, "name": f"Kantor uji {satker}", "kind": "kppbc_tmp_c", "parent": None}],
        "agreement": {
            "satker": satker,
            "year": 2026,
            "number": f"PK-{satker}/2026",
            "rule_set": {"code": "KMK-127-2026", "version": 1},
            "objectives": [
                {"code": "SS-1", "name": "Stakeholder", "perspective": "stakeholder"},
                {"code": "SS-2", "name": "Customer", "perspective": "customer"},
                {"code": "SS-3", "name": "Internal", "perspective": "internal_process"},
                {"code": "SS-4", "name": "Learning", "perspective": "learning_growth"},
            ],
            "indicators": [
                {
                    "code": "1a-N",
                    "objective": "SS-1",
                    "name": "Pertumbuhan (negatif)",
                    "polarity": "max",
                    "unit": "percent",
                    "targets": {"Y": -10},
                },
                {
                    "code": "2a-N",
                    "objective": "SS-2",
                    "name": "Jumlah keluhan",
                    "polarity": "min",
                    "unit": "count",
                    "targets": {"Y": 0},
                },
                {
                    "code": "3a-N",
                    "objective": "SS-3",
                    "name": "Kegiatan (jumlah)",
                    "polarity": "max",
                    "unit": "count",
                    "consolidation": "sum",
                    "targets": {"Q1": 10, "Q2": 20, "Q3": 30},
                },
                {
                    "code": "4a-N",
                    "objective": "SS-4",
                    "name": "Kompetensi",
                    "polarity": "max",
                    "unit": "percent",
                    "targets": {"Y": 80, "S1": 80},
                },
            ],
            "manuals": {
                "2a-N": {
                    "realization": {"op": "reported"},
                    "target_zero": {"worst": {"op": "const", "value": manual_worst}},
                }
            },
            "measures": {
                "1a-N": {"Y": {"realization": -5}},
                "2a-N": {"Y": {"realization": 2}},
                "3a-N": {"Q1": {"realization": 10}, "Q2": {"realization": 20}},
                "4a-N": {"Y": {"realization": 88}, "S1": {"realization": 88}},
            },
        },
    }


async def test_kmk_127_ships_by_migration(clients: Any, mint: Mint) -> None:
    reg, _ = clients
    r = await reg.get(f"{REG}/rule-sets/KMK-127-2026/versions/1", headers=bearer(mint("viewer", "KBC.1602")))
    assert r.status_code == 200, r.text
    doc = r.json()["document"]
    assert [(p["name"], p.get("at_least")) for p in doc["predicates"]] == [
        ("Sangat Baik", 110),
        ("Baik", 100),
        ("Cukup", 90),
        ("Kurang", 80),
        ("Buruk", None),
    ]
    assert "sekunder" in doc["description"]  # reconstructed from secondary sources, and says so


async def test_a_misspelt_formula_is_refused_at_the_registry(clients: Any, mint: Mint) -> None:
    reg, _ = clients
    admin = bearer(mint("admin"))
    doc = (await reg.get(f"{REG}/rule-sets/KMK-127-2026/versions/1", headers=admin)).json()["document"]
    doc = doc | {"version": 7, "polarity": doc["polarity"] | {"max": {"formula": "ratoi"}}}
    r = await reg.post(f"{REG}/rule-sets", json=doc, headers=admin)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    errors = r.json()["errors"]
    assert errors[0]["field"] == "polarity.max.formula" and "ratoi" in errors[0]["reason"]
    assert (await reg.get(f"{REG}/rule-sets/KMK-127-2026/versions/7", headers=admin)).status_code == 404
    doc["polarity"]["max"] = {"formula": "ratio", "negative_target": {"formula": "two_minus_ratoi"}}
    r = await reg.post(f"{REG}/rule-sets", json=doc, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "polarity.max.negative_target.formula"
    doc["polarity"]["max"] = {"formula": "ratio", "negative_target": {"formula": "two_minus_ratio"}}
    assert (await reg.post(f"{REG}/rule-sets", json=doc, headers=admin)).status_code == 201


async def test_the_new_rules_through_the_api(clients: Any, mint: Mint) -> None:
    reg, sco = clients
    admin = bearer(mint("admin"))
    r = await reg.post(f"{REG}/import", json=agreement_on_kmk_127("KBC.9101"), headers=admin)
    assert r.status_code == 201, r.text

    r = await sco.get(f"{SCO}/satkers/KBC.9101/scores", params={"year": 2026, "period": "Y"}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rule_set"] == {"code": "KMK-127-2026", "version": 1}
    iku = {i["code"]: i for i in body["indicators"]}
    assert iku["1a-N"]["index"] == 120 and iku["1a-N"]["status"] == "green"  # −5 beats the target −10
    assert iku["2a-N"]["index"] == 80  # target 0, worst 10: (10 − 2) / 10 × 100
    assert iku["3a-N"]["index"] is None and "Q3" in iku["3a-N"]["reason"]  # Q3 has a target, no realisation
    assert iku["3a-N"]["target"] == 60  # derived: 10 + 20 + 30
    # (120 × 0.30 + 80 × 0.20 + 110 × 0.25) / 0.75 (internal process has no index yet) = 106:
    # "Baik" under KMK 127/2026 (KMK 300/2022 would say "Istimewa")
    assert body["nko"] == 106 and body["predicate"] == "Baik"

    r = await sco.get(f"{SCO}/satkers/KBC.9101/scores", params={"year": 2026, "period": "S1"}, headers=admin)
    iku = {i["code"]: i for i in r.json()["indicators"]}
    assert iku["3a-N"]["target"] == 30 and iku["3a-N"]["realization"] == 30 and iku["3a-N"]["index"] == 100

    r = await sco.get(
        f"{SCO}/satkers/KBC.9101/explain", params={"year": 2026, "period": "S1", "indicator": "3a-N"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert r.json()["indicator"]["target_derivation"] == "derived from Q1 + Q2"
    r = await sco.get(
        f"{SCO}/satkers/KBC.9101/explain", params={"year": 2026, "period": "Y", "indicator": "1a-N"}, headers=admin
    )
    e = r.json()["indicator"]
    assert e["formula"] == "(1 + (1 − R / T)) × 100" and e["raw_index"] == 150 and e["index"] == 120


async def test_a_negative_worst_value_is_refused(clients: Any, mint: Mint) -> None:
    reg, _ = clients
    admin = bearer(mint("admin"))
    r = await reg.post(f"{REG}/import", json=agreement_on_kmk_127("KBC.9102", manual_worst=-5), headers=admin)
    assert r.status_code == 422, r.text
    assert any(e["field"].endswith("target_zero.worst.value") for e in r.json()["errors"])
    assert (await reg.get(f"{REG}/satkers/KBC.9102", headers=admin)).status_code == 404  # nothing half-written

    r = await reg.post(f"{REG}/import", json=agreement_on_kmk_127("KBC.9103"), headers=admin)
    assert r.status_code == 201, r.text
    bad = {"realization": {"op": "reported"}, "target_zero": {"worst": {"op": "const", "value": -5}}}
    r = await reg.put(f"{REG}/satkers/KBC.9103/agreements/2026/indicators/2a-N/manual", json=bad, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "target_zero.worst.value"
