"""ZI results and gap view through the scoring API, with the real registry (PostgreSQL) composed
in-process: the template version is read from the registry on every request."""

from __future__ import annotations

import copy
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
S = "/api/v1/scoring/zi"
SHIPPED = {"code": "PermenPANRB-90-2021", "version": 1}


@pytest.fixture(scope="module")
def zi_db(pg_url: str) -> Iterator[str]:
    with sibling_database(pg_url, "zi") as url:
        yield url


@pytest.fixture(scope="module")
async def system(zi_db: str, auth: AuthSettings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[System]:
    common = CommonSettings(environment="test", data_dir=Path(tmp_path_factory.mktemp("zi-data")))
    built = build_system(
        common=common,
        auth=auth,
        settings={"registry": RegistrySettings(database_url=zi_db)},
        services=("registry", "scoring"),
    )
    async with running(built):
        yield built


@pytest.fixture
async def client(system: System) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["scoring"]), base_url="http://s") as c:
        yield c


@pytest.fixture
async def registry(system: System) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["registry"]), base_url="http://r") as c:
        yield c


async def test_ngurah_rai_2018_national_totals_give_wbk_not_wbbm(client: httpx.AsyncClient, mint: Mint) -> None:
    r = await client.post(
        f"{S}/results",
        json={"template": {"year": 2024}, "level": {"pengungkit": "41.14", "hasil": "36.44"}},
        headers=bearer(mint("satker_operator", "KBC.1602")),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["template"] == SHIPPED
    assert (body["total"], body["predicate"]) == ("77.58", "WBK")
    wbk, wbbm = body["predicates"]
    assert wbk["reached"] and not wbk["complete"]
    assert wbbm["failed"] == ["total", "pengungkit"]
    assert body["missing"]["WBBM"] == {"total": "7.42", "pengungkit": "6.86"}
    ministry = await client.post(
        f"{S}/results",
        json={"template": SHIPPED, "level": {"pengungkit": "52.07", "hasil": "36.87"}},
        headers=bearer(mint("admin")),
    )
    assert (ministry.json()["total"], ministry.json()["predicate"]) == ("88.94", "WBBM")


def _with_questions(doc: dict[str, Any]) -> dict[str, Any]:
    d = copy.deepcopy(doc) | {"code": "ZI-API", "version": 1, "valid_from_year": 2040}
    questions: list[dict[str, Any]] = []
    for area in d["template"]["components"][0]["areas"]:
        for half, weight in area["weights"].items():
            scale = "ratio" if area["code"] == "supervision" else "a_e"
            questions.append(
                {
                    "code": f"{area['code']}.{half}",
                    "text": f"Pertanyaan {area['name']} ({half})",
                    "scale": scale,
                    "weight": weight,
                    "area": area["code"],
                    "half": half,
                }
            )
    questions += [
        {
            "code": "ipak",
            "text": "Nilai survei persepsi anti korupsi",
            "scale": "survey",
            "weight": "17.5",
            "item": "anti_corruption_perception",
        },
        {
            "code": "kinerja",
            "text": "Capaian kinerja lebih baik dari tahun sebelumnya",
            "scale": "yes_no",
            "weight": "5",
            "item": "performance",
        },
        {
            "code": "ipkp",
            "text": "Nilai survei persepsi kualitas pelayanan",
            "scale": "survey",
            "weight": "17.5",
            "item": "service_quality_perception",
        },
    ]
    d["template"]["questions"] = questions
    return d


async def test_answers_results_gap_and_bad_input(
    client: httpx.AsyncClient, registry: httpx.AsyncClient, mint: Mint
) -> None:
    admin = bearer(mint("admin"))
    shipped = (await registry.get("/api/v1/registry/zi/templates/PermenPANRB-90-2021/versions/1", headers=admin)).json()
    stored = await registry.post(
        "/api/v1/registry/zi/templates", json=_with_questions(shipped["document"]), headers=admin
    )
    assert stored.status_code == 201, stored.text
    ref = {"code": "ZI-API", "version": 1}
    questions = stored.json()["document"]["template"]["questions"]
    unit: dict[str, Any] = {
        q["code"]: {"a_e": "A", "ratio": {"numerator": 10, "denominator": 10}, "survey": "3.9", "yes_no": "yes"}[
            q["scale"]
        ]
        for q in questions
    }
    evaluator = unit | {"supervision.reform": {"numerator": 6, "denominator": 10}, "business_process.reform": "C"}
    r = await client.post(f"{S}/results", json={"template": ref, "level": {"answers": evaluator}}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    supervision = next(a for a in body["areas"] if a["code"] == "supervision")
    assert (supervision["points"], supervision["share"]) == ("12", "0.8")  # 7.5 + 7.5 × 0.6
    assert body["pengungkit"] == "55.25"  # 60 − 3 − 1.75
    assert body["predicate"] == "WBK"  # the shipped WBBM public-service minimum 18 > its weight 17.5 (ADR 0015)
    assert body["predicates"][1]["failed"] == ["hasil.public_service_min"]
    gap = await client.post(f"{S}/gap", json={"template": ref, "unit": unit, "evaluator": evaluator}, headers=admin)
    assert gap.status_code == 200, gap.text
    top = gap.json()["items"][:2]
    assert [(g["question"], g["points_at_risk"]) for g in top] == [
        ("supervision.reform", "3"),
        ("business_process.reform", "1.75"),
    ]

    bad = [
        ({"answers": unit | {"ipak": "4.5"}}, "answers.ipak"),
        (
            {"answers": unit | {"supervision.reform": {"numerator": 1, "denominator": 0}}},
            "answers.supervision.reform.denominator",
        ),
        ({"answers": unit | {"nope": "A"}}, "answers.nope"),
        ({"answers": unit | {"change_management.reform": "F"}}, "answers.change_management.reform"),
        ({"pengungkit": "61", "hasil": "30"}, "pengungkit"),
        ({"pengungkit": "x", "hasil": "30"}, "pengungkit"),
        ({"pengungkit": "40", "hasil": "NaN"}, "hasil"),
    ]
    for level, field in bad:
        r = await client.post(f"{S}/results", json={"template": ref, "level": level}, headers=admin)
        assert r.status_code == 422, (field, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == field
    unknown = await client.post(
        f"{S}/results", json={"template": {"code": "NOPE", "version": 1}, "level": {}}, headers=admin
    )
    assert unknown.status_code == 404
    assert (await client.post(f"{S}/results", json={"template": SHIPPED, "level": {}})).status_code == 401
