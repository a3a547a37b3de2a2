"""Stored ZI evaluations end to end (registry + scoring on PostgreSQL, in process): the Ngurah Rai
demo loaded through the API as ``make run`` loads it, the levels, the roles, bad input (problem+json,
nothing written), results per level, gap view and the Kanwil's readiness."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kernel.settings import AuthSettings
from runner.composition import System
from tests.conftest import Mint, bearer
from tests.scoring.zi_system import zi_demo_system

pytestmark = pytest.mark.anyio
OFFICE, KANWIL = "KPP.MP.01", "WBC.13"
EV = f"/api/v1/registry/satkers/{OFFICE}/zi/evaluations"
SC = f"/api/v1/scoring/satkers/{OFFICE}/zi"


@pytest.fixture(scope="module")
async def system(
    pg_url: str, auth: AuthSettings, mint: Mint, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    async with zi_demo_system(pg_url, "zi_ev", auth, mint, Path(tmp_path_factory.mktemp("zi-ev"))) as built:
        yield built


@pytest.fixture
async def reg(system: System) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["registry"]), base_url="http://r") as c:
        yield c


@pytest.fixture
async def sco(system: System) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["scoring"]), base_url="http://s") as c:
        yield c


async def test_2018_national_totals_give_wbk_and_name_the_failed_wbbm_thresholds(
    sco: httpx.AsyncClient, mint: Mint
) -> None:
    r = await sco.get(f"{SC}/2018/results", params={"level": "national"}, headers=bearer(mint("viewer", KANWIL)))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["pengungkit"], body["hasil"], body["total"], body["predicate"]) == ("41.14", "36.44", "77.58", "WBK")
    wbk, wbbm = body["predicates"]
    assert wbk["reached"] and not wbk["complete"]  # totals only: area and hasil checks not evaluable
    assert not wbbm["reached"] and wbbm["failed"] == ["total", "pengungkit"]
    assert body["missing"]["WBBM"] == {"total": "7.42", "pengungkit": "6.86"}
    ministry = (await sco.get(f"{SC}/2018/results", params={"level": "kanwil"}, headers=bearer(mint()))).json()
    assert (ministry["total"], ministry["team_label"]) == ("88.94", "Tim Kementerian")


async def test_2020_illustrative_answers_reach_wbbm_at_every_level(sco: httpx.AsyncClient, mint: Mint) -> None:
    totals = {}
    for level in ("unit", "kanwil", "national"):
        r = await sco.get(f"{SC}/2020/results", params={"level": level}, headers=bearer(mint()))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["predicate"] == "WBBM" and all(p["complete"] for p in body["predicates"])
        totals[level] = body["total"]
    # computed from the demo's answers with the engine (tests/scoring/test_zi_engine.py checks the engine)
    assert totals == {"unit": "97.775", "kanwil": "94.1875", "national": "89.9125"}


async def test_gap_view_lists_points_at_risk_largest_first(sco: httpx.AsyncClient, mint: Mint) -> None:
    r = await sco.get(f"{SC}/2020/gap", params={"evaluator": "national"}, headers=bearer(mint()))
    assert r.status_code == 200, r.text
    body = r.json()
    risks = [float(i["points_at_risk"]) for i in body["items"]]
    assert risks == sorted(risks, reverse=True) and risks[0] > 0
    top = body["items"][0]
    assert (top["question"], top["unit_answer"], top["evaluator_answer"], top["points_at_risk"]) == (
        "public_service.2",
        "A",
        "B",
        "1.25",
    )
    assert body["points_at_risk"] == "7.8625"  # = unit total 97.775 − national total 89.9125
    totals_only = await sco.get(f"{SC}/2018/gap", params={"evaluator": "national"}, headers=bearer(mint()))
    assert totals_only.status_code == 404  # 2018 has no unit level (the seed prints team totals only)


async def test_kanwil_readiness_lists_every_satker_under_it(sco: httpx.AsyncClient, mint: Mint) -> None:
    r = await sco.get(
        f"/api/v1/scoring/satkers/{KANWIL}/zi/readiness",
        params={"year": 2018},
        headers=bearer(mint("reviewer", KANWIL)),
    )
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    assert (item["satker"], item["level"], item["predicate"]) == (OFFICE, "national", "WBK")
    wbbm = item["predicates"][1]
    assert wbbm["failed"] == ["total", "pengungkit"] and wbbm["missing_points"] == "7.42"
    foreign = await sco.get(
        f"/api/v1/scoring/satkers/{KANWIL}/zi/readiness",
        params={"year": 2018},
        headers=bearer(mint("viewer", "WBC.16")),
    )
    assert foreign.status_code == 403


# --- levels, roles, bad input --------------------------------------------------------------------------


async def _fresh(reg: httpx.AsyncClient, mint: Mint, year: int) -> None:
    r = await reg.post(
        EV,
        json={"year": year, "template": {"code": "ZI-DEMO-NGURAH-RAI", "version": 1}},
        headers=bearer(mint("satker_operator", OFFICE, sub="op")),
    )
    assert r.status_code == 201, r.text


def _demo_unit(reg_body: dict[str, Any]) -> dict[str, Any]:
    unit = next(lv for lv in reg_body["levels"] if lv["level"] == "unit")
    return {code: {"answer": a["answer"]} for code, a in unit["answers"].items()}


async def test_levels_close_on_submit_and_reopen_only_with_a_reason(reg: httpx.AsyncClient, mint: Mint) -> None:
    await _fresh(reg, mint, 2031)
    demo = (await reg.get(f"{EV}/2020", headers=bearer(mint()))).json()
    answers = _demo_unit(demo)
    op = bearer(mint("satker_operator", OFFICE, sub="op"))
    reviewer = bearer(mint("reviewer", KANWIL, sub="rev"))
    r = await reg.put(f"{EV}/2031/levels/unit", json={"answers": dict(list(answers.items())[:5])}, headers=op)
    assert r.status_code == 200, r.text
    incomplete = await reg.post(f"{EV}/2031/levels/unit/submit", headers=op)
    assert incomplete.status_code == 422 and len(incomplete.json()["errors"]) == len(answers) - 5
    early = await reg.put(f"{EV}/2031/levels/kanwil", json={"answers": answers}, headers=reviewer)
    assert early.status_code == 409  # the unit level is still open
    assert (await reg.put(f"{EV}/2031/levels/unit", json={"answers": answers}, headers=op)).status_code == 200
    assert (await reg.post(f"{EV}/2031/levels/unit/submit", headers=op)).status_code == 200
    closed = await reg.put(f"{EV}/2031/levels/unit", json={"answers": answers}, headers=op)
    assert closed.status_code == 409
    no_reason = await reg.post(f"{EV}/2031/levels/unit/reopen", json={"reason": "x"}, headers=op)
    assert no_reason.status_code == 422
    assert (await reg.put(f"{EV}/2031/levels/kanwil", json={"answers": answers}, headers=reviewer)).status_code == 200
    reason = "Bukti SK tim belum diunggah, unit melengkapi"
    reopened = await reg.post(f"{EV}/2031/levels/unit/reopen", json={"reason": reason}, headers=op)
    assert reopened.status_code == 200, reopened.text
    unit = next(lv for lv in reopened.json()["levels"] if lv["level"] == "unit")
    assert unit["status"] == "open"
    assert [(e["event"], e["reason"], e["by"]) for e in unit["events"]] == [
        ("submitted", None, "op"),
        ("reopened", reason, "op"),
    ]
    kanwil = next(lv for lv in reopened.json()["levels"] if lv["level"] == "kanwil")
    assert len(kanwil["answers"]) == len(answers)  # each level's answers are kept


CASES = [
    ("satker_operator", OFFICE, "op2", "unit", 200),  # the unit answers itself
    ("satker_operator", "KBC.9999", "op3", "unit", 403),  # another unit's operator
    ("reviewer", OFFICE, "rev-own", "kanwil", 403),  # never one's own unit
    ("reviewer", KANWIL, "op2", "kanwil", 403),  # who answered for the unit does not evaluate it
    ("satker_operator", OFFICE, "op2", "kanwil", 403),
    ("reviewer", KANWIL, "rev", "national", 403),  # the national level: admin or service
    ("kanwil_manager", KANWIL, "km", "national", 403),
]


@pytest.mark.parametrize(("role", "satker", "sub", "level", "status"), CASES)
async def test_who_writes_which_level(
    reg: httpx.AsyncClient, mint: Mint, role: str, satker: str, sub: str, level: str, status: int
) -> None:
    year = 2040 + CASES.index((role, satker, sub, level, status))
    existing = await reg.get(f"{EV}/{year}", headers=bearer(mint()))
    if existing.status_code == 404:
        await _fresh(reg, mint, year)
    answers = _demo_unit((await reg.get(f"{EV}/2020", headers=bearer(mint()))).json())
    if level != "unit":
        op = bearer(mint("satker_operator", OFFICE, sub="op2"))
        await reg.put(f"{EV}/{year}/levels/unit", json={"answers": answers}, headers=op)
        await reg.post(f"{EV}/{year}/levels/unit/submit", headers=op)
    r = await reg.put(
        f"{EV}/{year}/levels/{level}", json={"answers": answers}, headers=bearer(mint(role, satker, sub=sub))
    )
    assert r.status_code == status, r.text
    if status == 403:
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_national_level_by_a_service_account_needs_the_evaluate_scope(reg: httpx.AsyncClient, mint: Mint) -> None:
    await _fresh(reg, mint, 2032)
    totals = {"totals": {"pengungkit": "50", "hasil": "36"}}
    bare = await reg.put(
        f"{EV}/2032/levels/national", json=totals, headers=bearer(mint("service", scopes=["read", "write"]))
    )
    assert bare.status_code == 403
    ok = await reg.put(
        f"{EV}/2032/levels/national", json=totals, headers=bearer(mint("service", scopes=["read", "evaluate"]))
    )
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"change_management.1": {"answer": "maybe"}}, "answers.change_management.1.answer"),  # off the scale
        ({"change_management.2": {"answer": "E"}}, "answers.change_management.2.answer"),  # A-D has no E
        (
            {"business_process.4": {"answer": {"numerator": 3, "denominator": 0}}},
            "answers.business_process.4.answer.denominator",
        ),
        ({"hasil.ipak": {"answer": "4.5"}}, "answers.hasil.ipak.answer"),  # a survey lies in 0..4
        ({"no.such": {"answer": "yes"}}, "answers.no.such"),  # not in the template
        (
            {"change_management.1": {"answer": "yes", "evidence": ["not-an-id"]}},
            "answers.change_management.1.evidence[0]",
        ),
    ],
)
async def test_bad_answers_are_problems_and_nothing_is_written(
    reg: httpx.AsyncClient, mint: Mint, answers: dict[str, Any], field: str
) -> None:
    year = 2033
    if (await reg.get(f"{EV}/{year}", headers=bearer(mint()))).status_code == 404:
        await _fresh(reg, mint, year)
    op = bearer(mint("satker_operator", OFFICE, sub="op"))
    good = {"public_service.1": {"answer": "A"}}
    r = await reg.put(f"{EV}/{year}/levels/unit", json={"answers": good | answers}, headers=op)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in r.json()["errors"]]
    after = (await reg.get(f"{EV}/{year}", headers=bearer(mint()))).json()
    unit = [lv for lv in after["levels"] if lv["level"] == "unit"]
    assert not unit or "public_service.1" not in unit[0]["answers"]  # the good answer was not written either


async def test_totals_outside_the_component_weights_and_unknown_template(reg: httpx.AsyncClient, mint: Mint) -> None:
    await _fresh(reg, mint, 2034)
    r = await reg.put(
        f"{EV}/2034/levels/national", json={"totals": {"pengungkit": "61", "hasil": "-1"}}, headers=bearer(mint())
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"totals.pengungkit", "totals.hasil"}
    unknown = await reg.post(
        EV, json={"year": 2035, "template": {"code": "NOPE", "version": 1}}, headers=bearer(mint())
    )
    assert unknown.status_code == 404
    twice = await reg.post(
        EV, json={"year": 2034, "template": {"code": "ZI-DEMO-NGURAH-RAI", "version": 1}}, headers=bearer(mint())
    )
    assert twice.status_code == 409


async def test_a_used_template_version_cannot_change(reg: httpx.AsyncClient, mint: Mint) -> None:
    tpl = (await reg.get("/api/v1/registry/zi/templates/ZI-DEMO-NGURAH-RAI/versions/1", headers=bearer(mint()))).json()
    changed = copy.deepcopy(tpl["document"])
    changed["thresholds"]["predicates"]["WBK"]["total_min"] = "70"
    r = await reg.post("/api/v1/registry/zi/templates", json=changed, headers=bearer(mint()))
    assert r.status_code == 409 and "new version" in r.json()["detail"]
