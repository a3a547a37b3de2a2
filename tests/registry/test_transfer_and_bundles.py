"""Bundles (contracts.md §6), import all-or-nothing with JSON paths, export round trip, manuals via scoring."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import event

from contracts.bundle import check_bundle, check_bundles
from runner.composition import System, build_system, running
from services.registry.service.transfer import parse
from services.registry.settings import RegistrySettings
from tests.conftest import Mint, bearer
from tests.registry.conftest import mini_document, seed_copy

pytestmark = pytest.mark.anyio
R = "/api/v1/registry"
A = f"{R}/satkers/WBC.16/agreements/2024"


async def test_bundle_shape(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    r = await api.get(f"{A}/bundle", headers=admin)
    assert r.status_code == 200
    check_bundle(r.content)  # exactly the contract (ADR 0016): every field, none it does not know
    b = r.json()
    assert set(b) == {
        "as_of",
        "satker",
        "agreement",
        "rule_set",
        "addenda",
        "objectives",
        "indicators",
        "closed_periods",
        "cycle",
    }
    assert b["satker"] == {
        "code": "WBC.16",
        "name": "Kantor Wilayah DJBC Kalimantan Bagian Timur",
        "kind": "kanwil",
        "parent": None,
        "path": ["WBC.16"],
        "staff": 71,
    }
    assert b["agreement"] == {"number": "PK-29/BC/2024", "year": 2024, "level": "Kemenkeu-Two", "version": 2}
    assert (b["rule_set"]["code"], b["rule_set"]["version"]) == ("KMK-300-2022", 1)
    assert [a["number"] for a in b["addenda"]] == ["PK-29A/BC/2024"]
    assert b["objectives"][0] == {
        "code": "SS-1",
        "name": "Dukungan terhadap perekonomian yang optimal",
        "perspective": "stakeholder",
        "weight": 1.0,
    }
    ind = {i["code"]: i for i in b["indicators"]}
    assert list(ind)[:3] == ["1a-N", "1b-N", "2a-CP"]
    one_a = ind["1a-N"]
    assert {
        "code",
        "objective",
        "name",
        "polarity",
        "unit",
        "scale",
        "consolidation",
        "validity_control",
        "weight",
        "region_aggregation",
        "manual",
        "targets",
        "measures",
    } == set(one_a)
    assert one_a["measures"]["M01"] == {
        "green_total_days": 5.2731,
        "green_docs": 1099,
        "red_total_days": 728.52,
        "red_docs": 306,
    }
    assert one_a["measures"]["Y"]["realization"] == 0.3969
    assert (
        list(one_a["measures"])[:2] == ["Q1", "Q2"] and len([p for p in one_a["measures"] if p.startswith("M")]) == 12
    )
    assert one_a["manual"]["version"] == 1 and "realization" in one_a["manual"]["document"]
    assert one_a["targets"]["Y"] == {"value": 0.75, "document": "PK-29/BC/2024", "version": 1}
    # the 12 monthly parts recompute the printed year figure 0.3969 (Table 3.6)
    months = [one_a["measures"][f"M{m:02d}"] for m in range(1, 13)]
    days = sum(m["green_total_days"] + m["red_total_days"] for m in months)
    docs = sum(m["green_docs"] + m["red_docs"] for m in months)
    assert round(days / docs, 4) == 0.3969
    assert ind["4a-N"]["measures"].get("Q1") is None and ind["4a-N"]["scale"] == 4


async def test_bundle_as_of_before_the_addendum(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    r = await api.get(f"{A}/bundle", params={"as_of": "2024-05-01T00:00:00+07:00"}, headers=admin)
    check_bundle(r.content)
    b = r.json()
    assert b["as_of"] == "2024-04-30T17:00:00Z"  # the contract's Timestamp: UTC, as orjson wrote it before
    assert b["agreement"]["version"] == 1 and b["addenda"] == []
    four_a = next(i for i in b["indicators"] if i["code"] == "4a-N")
    assert four_a["targets"]["S1"]["value"] is None
    assert four_a["manual"] is None and four_a["measures"] == {}  # recorded later (at import time)


async def test_bundle_without_an_agreement_is_the_agreement_routes_404(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """The bundle reads the agreement and its rule set in one statement (ADR 0014 round 2); when
    it finds none at ``as_of`` it answers exactly the 404 of the agreement routes."""
    for params, year, when in (({}, 2031, False), ({"as_of": "2000-01-01T00:00:00Z"}, 2024, True)):
        path = f"{R}/satkers/WBC.16/agreements/{year}"
        r = await api.get(f"{path}/bundle", params=params, headers=admin)
        assert r.status_code == 404, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == "year"
        assert (" at 2000-01-01" in r.json()["detail"]) is when
        assert r.json()["detail"] == (await api.get(path, params=params, headers=admin)).json()["detail"]


async def test_subtree_bundles_and_constant_query_count(
    api: httpx.AsyncClient, system: System, admin: dict[str, str], mint: Mint
) -> None:
    year = 2026
    await api.post(f"{R}/satkers", json={"code": "WBC.77", "name": "Kanwil Test", "kind": "kanwil"}, headers=admin)
    for code in ("WBC.77", "KBC.7701", "KBC.7702"):
        parent = None if code == "WBC.77" else "WBC.77"
        r = await api.post(
            f"{R}/import", json=mini_document(code, year, f"PK-1/{code}/{year}", parent=parent), headers=admin
        )
        assert r.status_code == 201, r.text

    statements: list[str] = []
    engine = system.apps["registry"].state.db.engine.sync_engine

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        manager = bearer(mint("kanwil_manager", "WBC.77"))
        one = await api.get(f"{R}/satkers/KBC.7701/agreements/{year}/bundles", headers=manager)
        single_cost = len(statements)
        statements.clear()
        many = await api.get(f"{R}/satkers/WBC.77/agreements/{year}/bundles", headers=manager)
        many_cost = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert one.status_code == 200 and many.status_code == 200
    check_bundles(many.content)
    items = many.json()["items"]
    assert [i["satker"]["code"] for i in items] == ["WBC.77", "KBC.7701", "KBC.7702"]
    assert items[1]["satker"]["path"] == ["WBC.77", "KBC.7701"]
    assert len(items[2]["indicators"]) == 3
    assert many_cost == single_cost <= 14, statements  # no N+1: 3 agreements cost what 1 costs

    operator = bearer(mint("satker_operator", "KBC.7701"))
    assert (await api.get(f"{R}/satkers/WBC.77/agreements/{year}/bundles", headers=operator)).status_code == 403
    outsider = bearer(mint("kanwil_manager", "WBC.16"))
    assert (await api.get(f"{R}/satkers/WBC.77/agreements/{year}/bundles", headers=outsider)).status_code == 403


async def test_import_is_all_or_nothing(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    doc = mini_document("KBC.1684", 2024, "PK-84/KBC.1684/2024")
    doc["satkers"].append({"code": "KBC.1685", "name": "child", "kind": "pso", "parent": "KBC.1684"})
    doc["agreement"]["addenda"] = [{"number": "PK-84A/KBC.1684/2024", "targets": {"1b-N": {"Q2": 31}}}]
    doc["agreement"]["measures"] = {"1a-N": {"Q1": {"realization": 0.52}}, "9z-N": {"Y": {"realization": 1}}}
    r = await api.post(f"{R}/import", json=doc, headers=admin)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "$.agreement.measures['9z-N']"
    # satker, agreement, addendum and the valid measure were written before the error: all rolled back
    assert (await api.get(f"{R}/satkers/KBC.1684", headers=admin)).status_code == 404
    assert (await api.get(f"{R}/satkers/KBC.1685", headers=admin)).status_code == 404

    doc["agreement"]["measures"].pop("9z-N")
    doc["agreement"]["indicators"][1]["polarity"] = "up"
    r = await api.post(f"{R}/import", json=doc, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "$.agreement.indicators[1].polarity"

    doc["agreement"]["indicators"][1]["polarity"] = "max"
    r = await api.post(f"{R}/import", content=yaml.safe_dump(doc), headers=admin | {"Content-Type": "application/yaml"})
    assert r.status_code == 201, r.text
    assert r.json()["satkers_created"] == ["KBC.1684", "KBC.1685"] and r.json()["addenda"] == 1
    again = await api.post(f"{R}/import", json=doc, headers=admin)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "$.agreement.year"
    garbage = await api.post(f"{R}/import?format=yaml", content=b"agreement: [unclosed", headers=admin)
    assert garbage.status_code == 422 and garbage.json()["errors"][0]["field"] == "$"


async def test_import_needs_manage(api: httpx.AsyncClient, mint: Mint) -> None:
    doc = mini_document("KBC.1686", 2024, "PK-86/KBC.1686/2024")
    r = await api.post(f"{R}/import", json=doc, headers=bearer(mint("kanwil_manager", "WBC.16")))
    assert r.status_code == 403


async def test_invalid_manual_is_refused_by_scoring(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    doc = mini_document("KBC.1687", 2024, "PK-87/KBC.1687/2024")
    doc["agreement"]["manuals"] = {"1a-N": {"version": 1, "realization": {"op": "no_such_op"}}}
    r = await api.post(f"{R}/import", json=doc, headers=admin)
    assert r.status_code == 422, r.text
    assert all(e["field"].startswith("$.agreement.manuals['1a-N']") for e in r.json()["errors"])
    assert (await api.get(f"{R}/satkers/KBC.1687", headers=admin)).status_code == 404

    doc["agreement"].pop("manuals")
    assert (await api.post(f"{R}/import", json=doc, headers=admin)).status_code == 201
    url = f"{R}/satkers/KBC.1687/agreements/2024/indicators/1a-N/manual"
    assert (await api.get(url, headers=admin)).status_code == 404
    bad = await api.put(url, json={"version": 1, "realization": {"op": "no_such_op"}}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"]
    good_manual = seed_copy()["agreement"]["manuals"]["1a-N"]
    for expected in (1, 2):
        ok = await api.put(url, json=good_manual, headers=admin)
        assert ok.status_code == 200, ok.text
        assert ok.json()["version"] == expected
    versions = (await api.get(f"{url}/versions", headers=admin)).json()["items"]
    assert [v["version"] for v in versions] == [1, 2]


async def test_manual_without_scoring_is_503_not_skipped(
    registry_url: str, system: System, admin: dict[str, str]
) -> None:
    alone = build_system(
        common=system.common,
        auth=system.auth,
        settings={"registry": RegistrySettings(database_url=registry_url)},
        services=("registry",),
    )
    async with running(alone):
        transport = httpx.ASGITransport(app=alone.apps["registry"])
        async with httpx.AsyncClient(transport=transport, base_url="http://r") as client:
            url = f"{A}/indicators/1b-N/manual"
            before = (await client.get(f"{url}/versions", headers=admin)).json()
            r = await client.put(url, json=seed_copy()["agreement"]["manuals"]["1b-N"], headers=admin)
            assert r.status_code == 503
            assert (await client.get(f"{url}/versions", headers=admin)).json() == before


def _without_times(agreement: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(agreement)
    out.pop("recorded_at")
    out.pop("measures_recorded_at")
    for a in out["addenda"]:
        a.pop("recorded_at")
    return out


async def test_export_round_trips_the_seed(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    expected = parse(seed_copy()).model_dump(mode="json")["agreement"]
    as_json = await api.get(f"{A}/export", headers=admin)
    as_yaml = await api.get(f"{A}/export", headers=admin | {"Accept": "application/yaml"})
    assert as_json.headers["content-type"] == "application/json"
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    for exported in (as_json.json(), yaml.safe_load(as_yaml.text)):
        got = exported["agreement"]
        assert _without_times(got) == _without_times(expected)
        assert datetime.fromisoformat(got["recorded_at"]) == datetime.fromisoformat(expected["recorded_at"])
        # each period's measures keep the time they were reported (ADR 0024)
        times = {p: datetime.fromisoformat(t) for p, t in got["measures_recorded_at"].items()}
        assert times == {p: datetime.fromisoformat(t) for p, t in expected["measures_recorded_at"].items()}
        assert exported["satkers"][0]["code"] == "WBC.16"
    four_a = next(i for i in as_json.json()["agreement"]["indicators"] if i["code"] == "4a-N")
    assert four_a["targets"]["Q2"] is None  # the original document's value; the addendum carries 3


# --- work before authorisation, size while streaming, YAML bombs ---------------------------------


class CountingBody:
    """A request body produced on demand, counting the bytes the server pulled from it."""

    def __init__(self, total: int, chunk: int = 1024 * 1024) -> None:
        self.total, self.chunk, self.consumed = total, chunk, 0

    async def __aiter__(self) -> Any:
        while self.consumed < self.total:
            n = min(self.chunk, self.total - self.consumed)
            self.consumed += n
            yield b"a" * n


@pytest.mark.parametrize("role", ["viewer", "kanwil_manager", "satker_operator", "reviewer"])
async def test_import_is_authorised_before_the_body_is_read(api: httpx.AsyncClient, mint: Mint, role: str) -> None:
    body = CountingBody(300 * 1024 * 1024)
    r = await api.post(f"{R}/import", content=body, headers=bearer(mint(role, "WBC.16")) | {"Content-Type": "x"})
    assert r.status_code == 403, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert body.consumed <= 2 * body.chunk  # at most what the transport pulled ahead, never the body


async def test_an_oversized_import_is_refused_while_streaming(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    from services.registry.api.transfer import MAX_BYTES

    body = CountingBody(300 * 1024 * 1024)
    r = await api.post(f"{R}/import", content=body, headers=admin | {"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert body.consumed <= MAX_BYTES + 2 * body.chunk  # stopped at the cap, not after 300 MB
    declared = await api.post(
        f"{R}/import", content=b"{}", headers=admin | {"Content-Length": str(MAX_BYTES + 1)}
    )  # a declared length over the cap: refused before reading
    assert declared.status_code == 413, declared.text


YAML = {"Content-Type": "application/yaml"}


async def test_a_yaml_alias_bomb_is_refused_quickly(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    """Nine levels of ten aliases: 10**9 leaves once expanded; refused while composing."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    bomb = "\n".join(lines) + "\nformat: kinerja.agreement/v1\n"
    started = datetime.now()
    r = await api.post(f"{R}/import", content=bomb.encode(), headers=admin | YAML)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "$" and "alias" in r.json()["errors"][0]["reason"]
    assert (datetime.now() - started).total_seconds() < 5
    merge = "base: &b {name: x}\nother:\n  <<: *b\n"  # merge keys are aliases too
    assert (await api.post(f"{R}/import", content=merge.encode(), headers=admin | YAML)).status_code == 422


@pytest.mark.parametrize("kind", ["yaml", "json"])
async def test_deep_nesting_is_422_not_500(api: httpx.AsyncClient, admin: dict[str, str], kind: str) -> None:
    depth = 100_000 if kind == "yaml" else 1000  # orjson refuses more than 1024 levels by itself
    deep = "[" * depth + "]" * depth
    content_type = YAML if kind == "yaml" else {"Content-Type": "application/json"}
    r = await api.post(f"{R}/import", content=f'{{"agreement": {deep}}}'.encode(), headers=admin | content_type)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "$" and "deeper" in r.json()["errors"][0]["reason"]
