"""Satker tree: listing, paths, authorisation, duplicates, unknown parents, cycles."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Mint, bearer

pytestmark = pytest.mark.anyio
R = "/api/v1/registry"
SEVEN = {"WBC.16", "KBC.1601", "KBC.1602", "KBC.1603", "KBC.1604", "KBC.1605", "KBC.1606"}


async def test_seed_lists_the_seven_satker(api: httpx.AsyncClient, mint: Mint) -> None:
    r = await api.get(f"{R}/satkers", params={"limit": 500}, headers=bearer(mint("kanwil_manager", "WBC.16")))
    assert r.status_code == 200
    items = {s["code"]: s for s in r.json()["items"]}
    assert set(items) >= SEVEN
    assert items["WBC.16"]["staff"] == 71 and items["WBC.16"]["kind"] == "kanwil"
    assert items["KBC.1602"]["path"] == ["WBC.16", "KBC.1602"]
    assert sum(items[c]["staff"] for c in SEVEN) == 454  # Table 1.1 total


async def test_operator_lists_only_own_satker(api: httpx.AsyncClient, mint: Mint) -> None:
    r = await api.get(f"{R}/satkers", headers=bearer(mint("satker_operator", "KBC.1602")))
    assert [s["code"] for s in r.json()["items"]] == ["KBC.1602"]


async def test_get_satker_children_subtree_path(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    r = await api.get(f"{R}/satkers/KBC.1603", headers=admin)
    assert r.json() == {
        "code": "KBC.1603",
        "name": "KPPBC TMP C Bontang",
        "kind": "kppbc_tmp_c",
        "parent": "WBC.16",
        "path": ["WBC.16", "KBC.1603"],
        "staff": 42,
    }
    children_page = (await api.get(f"{R}/satkers/WBC.16/children", headers=admin)).json()
    children = children_page["items"]
    assert {c["code"] for c in children} >= SEVEN - {"WBC.16"}
    assert children_page["total"] == len(children) and children_page["offset"] == 0
    subtree = (await api.get(f"{R}/satkers/WBC.16/subtree", headers=admin)).json()["items"]
    assert subtree[0]["code"] == "WBC.16" and {s["code"] for s in subtree} >= SEVEN
    second = (await api.get(f"{R}/satkers/WBC.16/subtree", params={"limit": 1, "offset": 1}, headers=admin)).json()
    assert second["items"] == subtree[1:2] and second["limit"] == 1 and second["total"] == len(subtree)
    assert (await api.get(f"{R}/satkers/KBC.1606/path", headers=admin)).json()["path"] == ["WBC.16", "KBC.1606"]


async def test_no_token_is_401(api: httpx.AsyncClient) -> None:
    r = await api.get(f"{R}/satkers/WBC.16")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"


async def test_operator_cannot_read_a_sibling(api: httpx.AsyncClient, mint: Mint) -> None:
    r = await api.get(f"{R}/satkers/KBC.1603", headers=bearer(mint("satker_operator", "KBC.1602")))
    assert r.status_code == 403


async def test_unknown_satker_is_404(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    r = await api.get(f"{R}/satkers/KBC.9999", headers=admin)
    assert r.status_code == 404
    assert r.json()["errors"][0]["field"] == "code"


async def test_create_update_and_tree_rules(api: httpx.AsyncClient, admin: dict[str, str], mint: Mint) -> None:
    body = {"code": "KBC.1690", "name": "PSO Test", "kind": "pso", "parent": "WBC.16", "staff": 3}
    manager = bearer(mint("kanwil_manager", "WBC.16"))
    assert (await api.post(f"{R}/satkers", json=body, headers=manager)).status_code == 403  # manage = admin
    r = await api.post(f"{R}/satkers", json=body, headers=admin)
    assert r.status_code == 201 and r.json()["path"] == ["WBC.16", "KBC.1690"]

    dup = await api.post(f"{R}/satkers", json=body, headers=admin)
    assert dup.status_code == 409 and dup.json()["errors"][0]["field"] == "code"

    orphan = await api.post(f"{R}/satkers", json=body | {"code": "KBC.1691", "parent": "WBC.99"}, headers=admin)
    assert orphan.status_code == 422 and orphan.json()["errors"][0]["field"] == "parent"

    bad_kind = await api.post(f"{R}/satkers", json=body | {"code": "KBC.1692", "kind": "castle"}, headers=admin)
    assert bad_kind.status_code == 422 and bad_kind.json()["errors"][0]["field"] == "kind"

    # a child under KBC.1690, then try to hang KBC.1690 under its own child: a cycle
    child = body | {"code": "KBC.1693", "parent": "KBC.1690"}
    assert (await api.post(f"{R}/satkers", json=child, headers=admin)).status_code == 201
    cycle = await api.patch(f"{R}/satkers/KBC.1690", json={"parent": "KBC.1693"}, headers=admin)
    assert cycle.status_code == 422 and cycle.json()["errors"][0]["field"] == "parent"
    self_parent = await api.patch(f"{R}/satkers/KBC.1690", json={"parent": "KBC.1690"}, headers=admin)
    assert self_parent.status_code == 422

    moved = await api.patch(f"{R}/satkers/KBC.1693", json={"parent": "WBC.16", "staff": 9}, headers=admin)
    assert moved.status_code == 200
    assert moved.json()["path"] == ["WBC.16", "KBC.1693"] and moved.json()["staff"] == 9


@pytest.mark.parametrize("suffix", ["", "/path", "/children", "/subtree", "/agreements", "/agreements/2024"])
async def test_a_foreign_satker_answers_like_an_unknown_one(api: httpx.AsyncClient, mint: Mint, suffix: str) -> None:
    """404 for an unknown code and 403 for a foreign one told an operator which satker exist."""
    op = bearer(mint("satker_operator", "KBC.1602"))
    foreign = await api.get(f"{R}/satkers/KBC.1603{suffix}", headers=op)
    unknown = await api.get(f"{R}/satkers/KBC.1699{suffix}", headers=op)
    assert (foreign.status_code, unknown.status_code) == (403, 403), (foreign.text, unknown.text)
    body = {k: v for k, v in foreign.json().items() if k != "instance"}
    other = {k: v for k, v in unknown.json().items() if k != "instance"}
    assert body | {"detail": ""} == other | {"detail": ""}
    assert body["detail"].replace("KBC.1603", "X") == other["detail"].replace("KBC.1699", "X")
    # who reads everything still learns that a code is unknown
    assert (await api.get(f"{R}/satkers/KBC.1699{suffix}", headers=bearer(mint("admin")))).status_code == 404
