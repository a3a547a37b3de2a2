"""The IKU link of Zona Integritas (issue 13, ADR 0025) through the API: an agreement whose IKU "Nilai
ZI" reads the stored evaluation through its manual (seed 002: the ZI value, plus 20 % of the reform
value when WBBM is reached, against a target of 85) scores from the submitted national level; the
NKO pre-fill of the hasil item "capaian kinerja lebih baik" answers from the NKO of two years."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from decimal import Decimal
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
OFFICE, KANWIL = "KPP.MP.01", "WBC.13"
EV = f"/api/v1/registry/satkers/{OFFICE}/zi/evaluations"
ZI = {"op": "zona_integritas", "level": "national"}
#: realisation = ZI total + 0.2 x reform when WBBM is reached (seed 002, evaluations.yaml 2020 note)
MANUAL = {
    "description": "Nilai ZI: pengungkit + hasil, ditambah 20 % nilai reform bila meraih WBBM",
    "realization": {
        "op": "sum",
        "args": [
            {**ZI, "field": "total"},
            {
                "op": "product",
                "args": [
                    {"op": "const", "value": "0.2"},
                    {"op": "first_of", "args": [{**ZI, "field": "reform"}, {"op": "const", "value": "0"}]},
                    {**ZI, "field": "wbbm"},
                ],
            },
        ],
    },
}


def agreement(year: int) -> dict[str, Any]:
    return {
        "format": "kinerja.agreement/v1",
        "agreement": {
            "satker": OFFICE,
            "year": year,
            "number": f"PK-ZI/{year}",
            "rule_set": {"code": "KMK-300-2022", "version": 1},
            "objectives": [{"code": "SS-9", "name": "Birokrasi bersih", "perspective": "internal_process"}],
            "indicators": [
                {
                    "code": "ZI-N",
                    "objective": "SS-9",
                    "name": "Nilai Zona Integritas",
                    "polarity": "max",
                    "unit": "index",
                    "targets": {"Y": 85},
                }
            ],
            "manuals": {"ZI-N": MANUAL},
        },
    }


@pytest.fixture(scope="module")
async def system(
    pg_url: str, auth: AuthSettings, mint: Mint, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    async with zi_demo_system(pg_url, "zi_iku", auth, mint, Path(tmp_path_factory.mktemp("zi-iku"))) as built:
        yield built


@pytest.fixture
async def clients(system: System) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["registry"]), base_url="http://r") as reg,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["scoring"]), base_url="http://s") as sco,
    ):
        yield reg, sco


async def _iku(sco: httpx.AsyncClient, token: str, year: int, *, explain: bool = False) -> dict[str, Any]:
    path = "explain" if explain else "scores"
    r = await sco.get(
        f"/api/v1/scoring/satkers/{OFFICE}/{path}", params={"year": year, "period": "Y"}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    return r.json()


def _find(body: Any, code: str) -> dict[str, Any]:
    """The IKU entry with ``code`` anywhere in a scores/explain answer."""
    if isinstance(body, dict):
        if body.get("code") == code and "realization" in body:
            return body
        values = list(body.values())
    elif isinstance(body, list):
        values = body
    else:
        values = []
    for v in values:
        found = _find(v, code) if isinstance(v, dict | list) else None
        if found:
            return found
    return {}


async def test_an_iku_scores_from_the_stored_evaluation(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], mint: Mint
) -> None:
    reg, sco = clients
    admin = mint()
    for year in (2018, 2020):
        r = await reg.post("/api/v1/registry/import", json=agreement(year), headers=bearer(admin))
        assert r.status_code == 201, r.text
    viewer = mint("viewer", KANWIL)
    results = {}
    for year in (2018, 2020):
        r = await sco.get(
            f"/api/v1/scoring/satkers/{OFFICE}/zi/{year}/results",
            params={"level": "national"},
            headers=bearer(viewer),
        )
        results[year] = r.json()
    # 2020: WBBM reached, the reform half of the national level's areas counts 20 %
    reform = sum(Decimal(a["halves"]["reform"]) for a in results[2020]["areas"])
    assert results[2020]["predicate"] == "WBBM" and reform > 0
    expected = Decimal(results[2020]["total"]) + Decimal("0.2") * reform
    iku = _find(await _iku(sco, viewer, 2020), "ZI-N")
    assert Decimal(str(iku["realization"])) == expected
    assert Decimal(str(iku["index"])) > 100  # above the target 85 (the rule set's conversion applies)
    # 2018: national totals only, WBK (not WBBM): the realisation is the total, nothing added
    iku = _find(await _iku(sco, viewer, 2018), "ZI-N")
    assert Decimal(str(iku["realization"])) == Decimal(results[2018]["total"]) == Decimal("77.58")


async def test_no_submitted_level_gives_no_value(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], mint: Mint
) -> None:
    reg, sco = clients
    r = await reg.post("/api/v1/registry/import", json=agreement(2036), headers=bearer(mint()))
    assert r.status_code == 201, r.text
    iku = _find(await _iku(sco, mint("viewer", KANWIL), 2036), "ZI-N")  # no ZI evaluation in 2036
    assert iku["realization"] is None
    # an open level is not read either
    op = bearer(mint("satker_operator", OFFICE, sub="op-iku"))
    r = await reg.post(EV, json={"year": 2036, "template": {"code": "ZI-DEMO-NGURAH-RAI", "version": 1}}, headers=op)
    assert r.status_code == 201, r.text
    r = await reg.put(f"{EV}/2036/levels/unit", json={"totals": {"pengungkit": "50", "hasil": "35"}}, headers=op)
    assert r.status_code == 200, r.text
    assert _find(await _iku(sco, mint(), 2036), "ZI-N")["realization"] is None


# --- the NKO pre-fill of "capaian kinerja lebih baik dari tahun sebelumnya" -----------------------------


def nko_template() -> dict[str, Any]:
    """The demo template with its performance item asked as the yes/no question scoring pre-fills."""
    doc = copy.deepcopy(demo_template())
    doc["code"] = "ZI-TEST-NKO"
    questions = [q for q in doc["template"]["questions"] if q.get("item") != "performance"]
    questions.append(
        {
            "code": "hasil.kinerja",
            "text": "Apakah capaian kinerja lebih baik dari tahun sebelumnya?",
            "scale": "yes_no",
            "weight": "5",
            "item": "performance",
            "prefill": "nko_improvement",
        }
    )
    doc["template"]["questions"] = questions
    return doc


def plain_agreement(year: int, realization: str) -> dict[str, Any]:
    doc = agreement(year)
    a = doc["agreement"]
    a["number"] = f"PK-NKO/{year}"
    a["indicators"] = [
        {
            "code": "1b-N",
            "objective": "SS-9",
            "name": "Persentase layanan tepat waktu",
            "polarity": "max",
            "unit": "percent",
            "targets": {"Y": 80},
        }
    ]
    a["manuals"] = {}
    a["measures"] = {"1b-N": {"Y": {"realization": realization}}}
    return doc


async def test_nko_prefill_answers_from_the_nko_history_with_its_numbers(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], mint: Mint
) -> None:
    reg, sco = clients
    admin = bearer(mint())
    bad = nko_template() | {"version": 2}
    bad["template"]["questions"][-1]["scale"] = "abc"
    r = await reg.post("/api/v1/registry/zi/templates", json=bad, headers=admin)
    assert r.status_code == 422 and any(e["field"].endswith(".prefill") for e in r.json()["errors"])
    assert (await reg.post("/api/v1/registry/zi/templates", json=nko_template(), headers=admin)).status_code == 201
    for year, realization in ((2037, "76"), (2038, "84"), (2039, "80")):
        r = await reg.post("/api/v1/registry/import", json=plain_agreement(year, realization), headers=admin)
        assert r.status_code == 201, r.text
    op = bearer(mint("satker_operator", OFFICE, sub="op-nko"))
    for year in (2037, 2038, 2039):
        r = await reg.post(EV, json={"year": year, "template": {"code": "ZI-TEST-NKO", "version": 1}}, headers=op)
        assert r.status_code == 201, r.text
    viewer = bearer(mint("viewer", KANWIL))
    nko = {}
    for year in (2037, 2038, 2039):
        r = await sco.get(f"/api/v1/scoring/satkers/{OFFICE}/scores", params={"year": year, "period": "Y"}, headers=op)
        nko[year] = Decimal(str(r.json()["nko"]))
    assert nko[2038] > nko[2037] and nko[2039] < nko[2038]

    r = await sco.get(f"/api/v1/scoring/satkers/{OFFICE}/zi/2038/prefill", headers=viewer)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["better"] is True and body["answers"]["hasil.kinerja"]["answer"] == "yes"
    assert Decimal(body["source"]["current"]["nko"]) == nko[2038]
    assert Decimal(body["source"]["previous"]["nko"]) == nko[2037]
    assert body["source"]["previous"]["agreement"] == "PK-NKO/2037"
    assert "riwayat NKO" in body["answers"]["hasil.kinerja"]["note"]
    # the suggestion is a body the unit can store as it is
    r = await reg.put(f"{EV}/2038/levels/unit", json={"answers": body["answers"]}, headers=op)
    assert r.status_code == 200, r.text

    worse = (await sco.get(f"/api/v1/scoring/satkers/{OFFICE}/zi/2039/prefill", headers=viewer)).json()
    assert worse["better"] is False and worse["answers"]["hasil.kinerja"]["answer"] == "no"
    first = await sco.get(f"/api/v1/scoring/satkers/{OFFICE}/zi/2037/prefill", headers=viewer)
    assert (
        first.status_code == 409 and "2036" in first.json()["detail"]
    )  # no NKO the year before (2036: only the ZI IKU, no evaluation)
    unmarked = await sco.get(f"/api/v1/scoring/satkers/{OFFICE}/zi/2020/prefill", headers=viewer)
    assert unmarked.status_code == 409 and "prefill" in unmarked.json()["detail"]
